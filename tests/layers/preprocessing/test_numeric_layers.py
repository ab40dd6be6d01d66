"""Normalization, Discretization, CategoryEncoding, Hashing, HashedCrossing: the layer harness,
Keras 3 (JAX backend) parity, adapt on every data kind, errors, and save/load in a model."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import layerax as lx
from tests.helpers import assert_close, keras
from tests.layers.harness import check_layer, keras_parity

RNG = np.random.default_rng(19)


def _data(*shape):
    return (RNG.normal(size=shape) * 3 + 1).astype("float32")


class _Batches(lx.utils.PyDataset):
    def __init__(self, x, batch_size):
        super().__init__()
        self.x, self.batch_size = x, batch_size

    def __len__(self):
        return -(-len(self.x) // self.batch_size)

    def __getitem__(self, i):
        part = self.x[i * self.batch_size:(i + 1) * self.batch_size]
        return part, np.zeros(len(part))


# ------------------------------------------------------------------ Normalization
def test_normalization_harness_and_keras_parity():
    x = _data(6, 4)
    adapted = lx.layers.Normalization()
    adapted.adapt(x)
    check_layer(lambda: lx.layers.Normalization(axis=-1), (3, 4),
                expected_output_shape=(3, 4), expected_num_trainable_weights=0,
                expected_num_non_trainable_weights=3)
    k = keras()
    for kwargs, shape in (({"axis": -1}, (6, 4)), ({"axis": (1, 2), "invert": True}, (5, 2, 3)),
                          ({"axis": None}, (6, 4))):
        data = _data(*shape)
        ours, theirs = lx.layers.Normalization(**kwargs), k.layers.Normalization(**kwargs)
        ours.adapt(data)
        theirs.adapt(data)  # Keras adapts numpy arrays without TensorFlow
        assert_close([v.value for v in ours.weights[:2]], [w.numpy() for w in theirs.weights[:2]],
                     rtol=1e-5, atol=1e-6)
        test = _data(*shape)
        assert_close(ours(test), theirs(test), rtol=1e-5, atol=1e-5)
        # Keras' weights copied into a fresh layer give Keras' outputs (and input gradients).
        keras_parity(lx.layers.Normalization(**kwargs), theirs, test, atol=1e-5,
                     check_input_grad=kwargs.get("invert", False))
    given = dict(mean=[1.0, 2.0, 3.0], variance=[4.0, 1.0, 0.25])
    x3 = _data(2, 5, 3)
    keras_parity(lx.layers.Normalization(**given), k.layers.Normalization(**given), x3,
                 check_input_grad=False)
    keras_parity(lx.layers.Normalization(mean=2.0, variance=9.0, invert=True),
                 k.layers.Normalization(mean=2.0, variance=9.0, invert=True), x3,
                 check_input_grad=False)
    layer = lx.layers.Normalization(**given)
    assert layer(x3) is not None and layer.weights == []
    clone = lx.layers.Normalization.from_config(layer.get_config())
    assert_close(jax.jit(clone)(x3), layer(x3))
    theirs_config = k.layers.Normalization(**given).get_config()
    ours_config = layer.get_config()
    for key in ("axis", "invert", "mean", "variance"):
        assert list(np.atleast_1d(ours_config[key])) == list(np.atleast_1d(theirs_config[key]))


def test_normalization_adapt_streams_every_data_kind_to_numpy_statistics():
    x = _data(103, 2, 3)
    expected = (x.astype(np.float64).mean(axis=0), x.astype(np.float64).var(axis=0))

    def generator():
        for i in range(0, 103, 10):
            yield x[i:i + 10]

    sources = [
        ("numpy", x, {}), ("jax", jnp.asarray(x), {}), ("batched numpy", x, {"batch_size": 7}),
        ("list", [x[:50], x[50:]], {}), ("generator", generator(), {}),
        ("PyDataset", _Batches(x, 16), {}), ("tuples", [(x[:3], None), (x[3:], None)], {}),
    ]
    for name, data, kwargs in sources:
        layer = lx.layers.Normalization(axis=(1, 2))
        layer.adapt(data, **kwargs)
        assert_close([layer.adapt_mean.value, layer.adapt_variance.value], expected,
                     rtol=1e-5, atol=1e-6)
        assert int(layer.count.value) == 103, name
    # steps: only the first batches.
    layer = lx.layers.Normalization(axis=(1, 2))
    layer.adapt(_Batches(x, 16), steps=2)
    assert_close(layer.adapt_mean.value, x[:32].mean(axis=0), rtol=1e-5, atol=1e-6)


def test_normalization_saves_adapted_state_and_trains_in_fit(tmp_path):
    x = _data(32, 3)
    norm = lx.layers.Normalization()
    norm.adapt(x)
    model = lx.Sequential([lx.Input((3,)), norm, lx.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, x[:, :1], batch_size=16, epochs=1, verbose=0)
    assert_close(norm.adapt_mean.value, x.mean(0), rtol=1e-5, atol=1e-6)  # not trained
    path = tmp_path / "norm.keras"
    model.save(path)
    loaded = lx.saving.load_model(path)
    assert_close(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert_close(loaded.layers[0].adapt_variance.value, x.var(0), rtol=1e-5, atol=1e-6)


def test_normalization_errors():
    with pytest.raises(ValueError, match="both `mean` and `variance`"):
        lx.layers.Normalization(mean=1.0)
    with pytest.raises(ValueError, match="same shape"):
        lx.layers.Normalization(mean=[1.0, 2.0], variance=[1.0])
    with pytest.raises(ValueError, match="range"):
        lx.layers.Normalization(axis=3)(np.ones((2, 3), "float32"))
    layer = lx.layers.Normalization()
    layer.adapt(np.ones((4, 3), "float32"))
    with pytest.raises(ValueError, match="built for inputs of shape"):
        layer.adapt(np.ones((4, 2), "float32"))
    with pytest.raises(ValueError, match="no data"):
        lx.layers.Normalization().adapt([])
    with pytest.raises(TypeError, match="PyDataset"):
        lx.layers.Normalization().adapt("abc")


# ------------------------------------------------------------------ Discretization
def test_discretization_adapt_equals_keras_quantiles_and_outputs():
    k = keras()
    for num_bins, epsilon, shape in ((4, 0.01, (200,)), (5, 0.05, (40, 3))):
        data = _data(*shape)
        ours = lx.layers.Discretization(num_bins=num_bins, epsilon=epsilon)
        ours.adapt([data[:15], data[15:]])
        # Keras' adapt needs TensorFlow only to test for tf.data; its update/finalize are numpy.
        theirs = k.layers.Discretization(num_bins=num_bins, epsilon=epsilon)
        theirs.update_state(data[:15])
        theirs.update_state(data[15:])
        theirs.finalize_state()
        assert ours.bin_boundaries == theirs.bin_boundaries
    # The output modes, on the last adapted boundaries.
    test = _data(3, 4)
    for mode in ("int", "one_hot", "multi_hot", "count"):
        kw = dict(bin_boundaries=theirs.bin_boundaries, output_mode=mode)
        a, b = lx.layers.Discretization(**kw)(test), k.layers.Discretization(**kw)(test)
        assert a.dtype == b.dtype and a.shape == b.shape, mode
        np.testing.assert_array_equal(a, b)
    restored = lx.layers.Discretization.from_config(ours.get_config())
    assert restored.bin_boundaries == ours.bin_boundaries and restored.num_bins == 5


def test_discretization_harness_and_errors():
    check_layer(lambda: lx.layers.Discretization(bin_boundaries=[-1.0, 0.0, 1.5]), (3, 4),
                expected_output_shape=(3, 4), expected_num_non_trainable_weights=0)
    with pytest.raises(ValueError, match="either `num_bins`"):
        lx.layers.Discretization()
    with pytest.raises(ValueError, match="not both"):
        lx.layers.Discretization(num_bins=3, bin_boundaries=[1.0])
    with pytest.raises(ValueError, match="sparse=True"):
        lx.layers.Discretization(num_bins=3, sparse=True)
    with pytest.raises(ValueError, match="output_mode"):
        lx.layers.Discretization(num_bins=3, output_mode="binary")
    with pytest.raises(ValueError, match="adapt"):
        lx.layers.Discretization(num_bins=3)(np.ones(3, "float32"))


def test_keras_written_configs_load_and_match():
    """Configs Keras writes deserialize into the layerax layers, whose own configs carry the
    same entries (so that saved models carry over both ways)."""
    k = keras()
    cases = [
        ("Normalization", dict(axis=(1,), mean=[1.0, 2.0], variance=[1.0, 4.0], invert=True)),
        ("Discretization", dict(bin_boundaries=[0.0, 1.0], output_mode="one_hot")),
        ("CategoryEncoding", dict(num_tokens=4, output_mode="count")),
        ("STFTSpectrogram", dict(mode="psd", frame_length=8, frame_step=3, fft_length=16)),
        ("MelSpectrogram", dict(fft_length=256, sequence_stride=64, num_mel_bins=16,
                                top_db=60.0)),
    ]
    for name, kwargs in cases:
        theirs = getattr(k.layers, name)(**kwargs)
        ours = lx.layers.deserialize(k.layers.serialize(theirs))
        assert type(ours) is getattr(lx.layers, name)
        expected = {key: value for key, value in theirs.get_config().items()
                    if key not in ("dtype", "name")}
        got = ours.get_config()
        for key, value in expected.items():
            assert np.array(got[key]).tolist() == np.array(value).tolist(), (name, key)
