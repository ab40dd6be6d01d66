"""Configs written by Keras 3.15 (`keras_model.get_config()`) build in layerax.

One small model per layer family is built in Keras, rebuilt in layerax from
its config, given Keras' weights with `set_weights`, and must compute the same
outputs on random batches of two sizes.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

import layerax as lx
from tests.helpers import assert_close, keras


def _families(k):
    L = k.layers

    def seq(shape, *layers, dtype="float32"):
        return k.Sequential([k.Input(shape, dtype=dtype), *layers])

    def merging():
        a, b = k.Input((4,)), k.Input((4,))
        x = L.Concatenate()([L.Add()([a, b]), L.Multiply()([a, b]), L.Subtract()([a, b])])
        return k.Model([a, b], L.Dense(2)(L.Average()([x, L.Maximum()([x, x])])))

    def attention():
        q, v = k.Input((5, 4)), k.Input((6, 4))
        return k.Model([q, v], L.MultiHeadAttention(2, 3)(q, v))

    return {
        "dense": lambda: seq((4,), L.Dense(3, activation="relu"), L.EinsumDense("ab,bc->ac", 2)),
        "conv": lambda: seq((6, 6, 2), L.Conv2D(3, 3, padding="same"), L.DepthwiseConv2D(3)),
        "pooling": lambda: seq((8, 8, 2), L.MaxPooling2D(), L.AveragePooling2D(2, padding="same"),
                               L.GlobalAveragePooling2D()),
        "normalization": lambda: seq((6, 4), L.BatchNormalization(), L.LayerNormalization(),
                                     L.GroupNormalization(2)),
        "recurrent": lambda: seq((4, 3), L.Bidirectional(L.GRU(3, return_sequences=True)),
                                 L.TimeDistributed(L.Dense(2))),
        "attention": attention,
        "embedding_masking": lambda: seq((5,), L.Embedding(10, 4, mask_zero=True), L.Masking(),
                                         L.SimpleRNN(3), dtype="int32"),
        "merging": merging,
        "reshaping": lambda: seq((4, 6), L.Reshape((6, 4)), L.Permute((2, 1)), L.Cropping1D(1),
                                 L.ZeroPadding1D(1), L.UpSampling1D(2), L.Flatten(), L.RepeatVector(2)),
        "regularization": lambda: seq((4,), L.Dropout(0.3), L.GaussianNoise(0.1), L.ActivityRegularization(0.01),
                                      L.Dense(2, kernel_regularizer="l2", kernel_constraint="non_neg")),
    }


def _batch(model, rng, batch):
    xs = []
    for t in model.inputs:
        shape = (batch, *t.shape[1:])
        if "int" in str(t.dtype):
            xs.append(rng.integers(1, 10, shape).astype("int32"))
        else:
            xs.append(rng.normal(size=shape).astype("float32"))
    return xs if len(xs) > 1 else xs[0]


@pytest.mark.parametrize("family", ["dense", "conv", "pooling", "normalization", "recurrent", "attention",
                                    "embedding_masking", "merging", "reshaping", "regularization"])
def test_keras_config_builds_the_same_model(family):
    k = keras()
    k_model = _families(k)[family]()
    config = k_model.get_config()
    cls = lx.Sequential if isinstance(k_model, k.Sequential) else lx.Model
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every key Keras writes here is understood
        model = cls.from_config(config)
    assert [layer.name for layer in model.layers] == [layer.name for layer in k_model.layers]
    model.set_weights(k_model.get_weights())
    # Two batch sizes for layerax; one compiled Keras call on both batches stacked (Keras'
    # eager calls were the slow part of this test), split per sample.
    x = _batch(k_model, np.random.default_rng(0), 5)
    expected = np.asarray(k_model.predict_on_batch(x))
    for part in (slice(0, 2), slice(2, 5)):
        x_part = [xi[part] for xi in x] if isinstance(x, list) else x[part]
        assert_close(np.asarray(model(x_part)), expected[part], rtol=1e-5, atol=1e-5)


def test_keras_json_and_nested_models():
    """`model_from_json(keras_model.to_json())`, a Keras Sequential nested in another, a
    DTypePolicy dict and a Sequential without an Input (`build_input_shape`)."""
    k = keras()
    inner = k.Sequential([k.layers.Dense(3, dtype="mixed_bfloat16")])
    k_model = k.Sequential([k.Input((4,)), inner, k.layers.Dense(1)])
    bare = k.Sequential([k.layers.Dense(2)])
    bare.build((None, 4))
    x = np.random.default_rng(1).normal(size=(2, 4)).astype("float32")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = lx.models.model_from_json(k_model.to_json())
        again = lx.Sequential.from_config(bare.get_config())
    assert model.layers[0].layers[0].dtype_policy.name == "mixed_bfloat16"
    model.set_weights(k_model.get_weights())
    assert_close(np.asarray(model(x), "float32"), np.asarray(k_model(x), "float32"), rtol=2e-2, atol=2e-2)
    again.set_weights(bare.get_weights())
    assert_close(np.asarray(again(x)), np.asarray(bare(x)))
    assert json.loads(k_model.to_json())["config"]["layers"][1]["module"].startswith("keras")


def test_unsupported_keras_keys_warn_with_key_and_layer():
    k = keras()
    k_model = k.Sequential([k.Input((4,)), k.layers.Dense(3, lora_rank=2, name="low_rank")])
    with pytest.warns(UserWarning) as record:
        model = lx.Sequential.from_config(k_model.get_config())
    assert [str(w.message).split(" (=")[0] for w in record] == [
        f"Layer 'low_rank' (Dense): ignoring the Keras config key '{key}'" for key in ("lora_rank", "lora_alpha")
    ]
    assert model.layers[0].units == 3


def test_layerax_configs_stay_strict():
    """Only Keras-written configs are relaxed: a bad key in a layerax config still raises."""
    config = lx.saving.serialize_keras_object(lx.layers.Dense(2))
    config["config"]["lora_rank"] = 2
    with pytest.raises(ValueError, match="Unrecognized keyword arguments passed to Dense"):
        lx.saving.deserialize_keras_object(config)
    config["module"] = "keras.layers"
    with pytest.warns(UserWarning, match="'lora_rank'"):
        layer = lx.saving.deserialize_keras_object(config)
    assert layer.units == 2
