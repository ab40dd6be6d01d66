"""MelSpectrogram and STFTSpectrogram: the layer harness and Keras 3 (JAX backend) parity."""

from __future__ import annotations

import jax
import numpy as np
import pytest

import layerax as lx
from tests.helpers import assert_close, keras
from tests.layers.harness import check_layer, keras_parity

RNG = np.random.default_rng(7)


def _signal(*shape):
    return RNG.normal(size=shape).astype("float32")


MEL_CASES = [
    (dict(fft_length=32, sequence_stride=8, num_mel_bins=4, top_db=20.0, ref_power=2.0,
          window=None), (96,)),
    (dict(fft_length=128, sequence_stride=32, sequence_length=100, window="hamming",
          sampling_rate=8000, num_mel_bins=10, min_freq=50.0, max_freq=3000.0,
          power_to_db=False, mag_exp=1.0), (3, 257)),
]


def test_mel_spectrogram_matches_keras():
    k = keras()
    for kwargs, shape in MEL_CASES:
        x = _signal(*shape)
        ours, theirs = lx.layers.MelSpectrogram(**kwargs), k.layers.MelSpectrogram(**kwargs)
        # Keras' layer compiled (one program instead of its op-by-op eager dispatch).
        out, expected = ours(x), np.asarray(jax.jit(lambda v: theirs(v))(x))
        assert out.shape == expected.shape == ours.compute_output_shape(shape)
        assert_close(out, expected, rtol=1e-4, atol=2e-4)
        assert {key: ours.get_config()[key] for key in kwargs} == {
            key: theirs.get_config()[key] for key in kwargs}
    check_layer(lambda: lx.layers.MelSpectrogram(fft_length=64, sequence_stride=16,
                                                 num_mel_bins=8), (2, 200),
                expected_output_shape=(2, 8, 13), expected_num_trainable_weights=0,
                rtol=1e-4, atol=1e-4)


STFT_CASES = [
    (dict(mode="log", frame_length=16, frame_step=8), (2, 64, 2)),
    (dict(mode="psd", frame_length=20, fft_length=32, padding="same", expand_dims=True),
     (2, 50, 1)),
    (dict(mode="stft", frame_length=16, window=None, scaling="spectrum",
          data_format="channels_first"), (2, 3, 48)),
]


def _keras_compiled(layer, x):
    layer.build(x.shape)
    tv = [v.value for v in layer.trainable_variables]
    return np.asarray(jax.jit(lambda tv, x: layer.stateless_call(tv, [], x)[0])(tv, x))


def test_stft_spectrogram_matches_keras():
    k = keras()
    for kwargs, shape in STFT_CASES:
        x = _signal(*shape)
        ours, theirs = lx.layers.STFTSpectrogram(**kwargs), k.layers.STFTSpectrogram(**kwargs)
        # Keras' initial (exact DFT) kernels against ours: same initializer, same weights.
        out, expected = ours(x), _keras_compiled(theirs, x)
        assert out.shape == expected.shape == ours.compute_output_shape(shape)
        assert [w.path for w in ours.weights] == [w.path for w in theirs.weights]
        assert_close(out, expected, rtol=1e-4, atol=1e-4)
        assert {key: ours.get_config()[key] for key in kwargs} == {
            key: theirs.get_config()[key] for key in kwargs}
    # The phase: equal up to the branch cut (compare angles on the circle).
    x = _signal(1, 2, 40)
    kwargs = dict(mode="angle", frame_length=12, frame_step=5, window="hamming", periodic=True,
                  expand_dims=True, data_format="channels_first")
    ours = lx.layers.STFTSpectrogram(**kwargs)(x)
    keras_out = _keras_compiled(k.layers.STFTSpectrogram(**kwargs), x)
    assert_close(np.cos(ours), np.cos(keras_out), atol=1e-4)
    assert_close(np.sin(ours), np.sin(keras_out), atol=1e-4)
    # Trained (random) kernels: Keras' weights copied into ours give Keras' outputs and input
    # gradients; then the full harness (config, pytree, jit, grad, a fit step, vmap).
    keras_parity(lx.layers.STFTSpectrogram(mode="imag", frame_length=8, scaling=None),
                 k.layers.STFTSpectrogram(mode="imag", frame_length=8, scaling=None),
                 _signal(2, 24, 1), random_weights=True, compile_keras=True, rtol=1e-4,
                 atol=1e-4)
    check_layer(lambda: lx.layers.STFTSpectrogram(mode="magnitude", frame_length=8), (2, 24, 1),
                expected_output_shape=(2, 5, 5), expected_num_trainable_weights=2,
                rtol=1e-4, atol=1e-4)


def test_spectrogram_errors():
    with pytest.raises(ValueError, match="fft_length"):
        lx.layers.MelSpectrogram(fft_length=64, sequence_length=100)
    with pytest.raises(ValueError, match="frame_step"):
        lx.layers.STFTSpectrogram(frame_length=8, frame_step=9)
    with pytest.raises(ValueError, match="fft_length"):
        lx.layers.STFTSpectrogram(frame_length=8, fft_length=4)
    with pytest.raises(ValueError, match="mode"):
        lx.layers.STFTSpectrogram(mode="power")
    with pytest.raises(ValueError, match="scaling"):
        lx.layers.STFTSpectrogram(scaling="energy")
    with pytest.raises(ValueError, match="padding"):
        lx.layers.STFTSpectrogram(padding="causal")
    with pytest.raises(TypeError, match="float"):
        lx.layers.STFTSpectrogram(frame_length=4)(np.ones((1, 8, 1), "int32"))
    with pytest.warns(UserWarning, match="power of two"):
        lx.layers.STFTSpectrogram(frame_length=8, fft_length=12)


def test_spectrogram_models_save_and_load(tmp_path):
    """The (trainable) STFT kernels and the mel settings survive `model.save` / `load_model`
    (the layer configs of the harness checks above: their programs are already compiled)."""
    stft = lx.layers.STFTSpectrogram(mode="magnitude", frame_length=8)
    models = [
        lx.Sequential([lx.Input((24, 1)), stft]),
        lx.Sequential([lx.Input((200,)), lx.layers.MelSpectrogram(
            fft_length=64, sequence_stride=16, num_mel_bins=8)]),
    ]
    inputs = [_signal(2, 24, 1), _signal(2, 200)]
    models[0](inputs[0])
    stft.set_weights([w + 0.1 for w in stft.get_weights()])  # as after training
    for i, (model, x) in enumerate(zip(models, inputs)):
        path = tmp_path / f"audio{i}.keras"
        model.save(path)
        loaded = lx.saving.load_model(path)
        assert_close(loaded(x), model(x), rtol=1e-5, atol=1e-5)
    assert_close(loaded.layers[0].get_config()["num_mel_bins"], 8)
