"""`.keras` files of every layer family, Keras -> layerax -> Keras, outputs equal.

The layers here are the families' representatives that `test_keras_format.py`
does not already cross (it has Conv2D, BatchNormalization, LSTM, GRU,
Embedding, MultiHeadAttention, Add, ...). Each model is built by the same code
in both libraries (their APIs match); Keras 3 (JAX backend) is the oracle.
"""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest

import layerax as lx

RNG = np.random.default_rng(7)


def _sequence_model(lib):
    """core, activation, 1-D convolution, pooling, reshaping, regularization, normalization."""
    L = lib.layers
    return lib.Sequential([
        lib.Input((8, 3)),
        L.Conv1D(4, 3, padding="causal", dilation_rate=2), L.PReLU(), L.SeparableConv1D(4, 3, padding="same"),
        L.LeakyReLU(0.2), L.MaxPooling1D(2), L.UpSampling1D(2), L.ZeroPadding1D(1), L.Cropping1D((2, 0)),
        L.Conv1DTranspose(3, 2, strides=2), L.AveragePooling1D(2),
        L.UnitNormalization(), L.RMSNormalization(), L.ELU(), L.Flatten(),
        L.EinsumDense("ab,bc->ac", output_shape=5, bias_axes="c"), L.ActivityRegularization(l1=0.01),
        L.GaussianDropout(0.2), L.AlphaDropout(0.2), L.RepeatVector(2), L.Identity(),
        L.GlobalMaxPooling1D(), L.ReLU(max_value=1.5), L.Softmax(),
    ])


def _volume_model(lib):
    """2-D/3-D convolution and pooling, image preprocessing, a normalization wrapper."""
    L = lib.layers
    return lib.Sequential([
        lib.Input((6, 6, 2)),
        L.Rescaling(0.5, offset=-0.25), L.Resizing(8, 8), L.CenterCrop(6, 6),
        L.SeparableConv2D(3, 3, padding="same", depth_multiplier=2), L.UpSampling2D(2),
        L.AveragePooling2D(3), L.Reshape((4, 4, 3, 1)), L.Conv3D(2, 2), L.ZeroPadding3D(1),
        L.MaxPooling3D(2), L.GlobalAveragePooling3D(),
        L.SpectralNormalization(L.Dense(3)), L.Dense(2),
    ])


def _recurrent_attention_model(lib):
    """recurrent layers and wrappers, attention and merging in a two-input functional graph."""
    L = lib.layers
    a, b = lib.Input((5, 3)), lib.Input((4, 3))
    # (LSTM and GRU cross in test_keras_format.py)
    h = L.Bidirectional(L.SimpleRNN(2, return_sequences=True))(a)
    h = L.TimeDistributed(L.Dense(3))(h)
    att = L.AdditiveAttention()([h, b])
    gqa = L.GroupQueryAttention(head_dim=2, num_query_heads=2, num_key_value_heads=1)(h, b)
    merged = L.Concatenate()([L.Subtract()([att, gqa]), L.Maximum()([att, h]), L.Minimum()([gqa, h])])
    dot = L.Dot(axes=(2, 2), normalize=True)([merged, merged])
    return lib.Model([a, b], L.GlobalAveragePooling1D()(dot))


def _preprocessing_model(lib):
    """tabular preprocessing layers, one with state (an adapted Normalization).

    (Keras' lookup layers need TensorFlow, which the oracle does not have.)
    """
    L = lib.layers
    x = lib.Input((4,))
    norm = L.Normalization()
    norm.adapt(RNG.standard_normal((16, 4)).astype("float32") * 3.0 + 1.0)
    h = L.Discretization(bin_boundaries=[-1.0, 0.0, 1.0])(norm(x))
    encoded = L.CategoryEncoding(num_tokens=4, output_mode="count")(h)
    return lib.Model(x, L.Concatenate()([encoded, L.Dense(2)(norm(x))]))


MODELS = {
    "sequence": (_sequence_model, [(2, 8, 3)]),
    "volume": (_volume_model, [(2, 6, 6, 2)]),
    "recurrent_attention": (_recurrent_attention_model, [(2, 5, 3), (2, 4, 3)]),
    "preprocessing": (_preprocessing_model, [(3, 4)]),
}


def _randomize(model):
    # Non-trivial weights, so that every weight matters (the adapted statistics stay).
    values = [w if "normalization" in w.path else RNG.uniform(-1.0, 1.0, w.shape).astype("float32")
              for w in model.weights]
    model.set_weights([np.asarray(v) for v in values])


@pytest.mark.parametrize("name", sorted(MODELS))
def test_family_crosses_keras_files_both_ways(name, tmp_path):
    build, shapes = MODELS[name]
    theirs = build(keras)
    _randomize(theirs)
    x = [RNG.standard_normal(s).astype("float32") for s in shapes]
    x = x if len(x) > 1 else x[0]
    expected = np.asarray(theirs(x))
    theirs.save(tmp_path / "k.keras")

    mine = lx.saving.load_model(str(tmp_path / "k.keras"))
    assert [type(l).__name__ for l in mine.layers] == [type(l).__name__ for l in theirs.layers]
    # the compiled predict step, on numpy and on jax arrays
    np.testing.assert_allclose(mine.predict(x, verbose=0), expected, rtol=1e-4, atol=1e-5)
    on_device = jax.tree.map(jnp.asarray, x)
    np.testing.assert_allclose(mine.predict(on_device, verbose=0), expected, rtol=1e-4, atol=1e-5)

    mine.save(str(tmp_path / "lx.keras"))
    back = keras.saving.load_model(tmp_path / "lx.keras")
    assert [type(l).__name__ for l in back.layers] == [type(l).__name__ for l in theirs.layers]
    np.testing.assert_allclose(np.asarray(back(x)), expected, rtol=1e-4, atol=1e-5)
