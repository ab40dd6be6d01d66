"""CategoryEncoding, Hashing, HashedCrossing: the layer harness, Keras 3 (JAX backend) parity
(for the hashing layers, Keras' recorded outputs: see test_numeric_hash64.py), sparse outputs,
a compiled fit step and errors."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import layerax as lx
from tests.helpers import assert_close, keras
from tests.layers.harness import check_layer

RNG = np.random.default_rng(19)


# ------------------------------------------------------------------ CategoryEncoding
def test_category_encoding_harness_keras_parity_and_sparse():
    k = keras()
    check_layer(lambda: lx.layers.CategoryEncoding(6, output_mode="one_hot"), (3, 1),
                input_dtype="int32", expected_output_shape=(3, 6),
                expected_num_non_trainable_weights=0)
    ids_2d = RNG.integers(0, 6, size=(4, 5)).astype("int32")
    ids_1d = RNG.integers(0, 6, size=(5,)).astype("int32")
    weights = RNG.uniform(size=(4, 5)).astype("float32")
    for mode in ("one_hot", "multi_hot", "count"):
        for ids in (ids_2d, ids_1d, np.int32(3)):
            a = lx.layers.CategoryEncoding(6, output_mode=mode)(ids)
            b = k.layers.CategoryEncoding(6, output_mode=mode)(ids)
            assert a.shape == b.shape and a.dtype == b.dtype, (mode, np.shape(ids))
            assert_close(a, b)
            layer = lx.layers.CategoryEncoding(6, output_mode=mode)
            assert layer.compute_output_shape(np.shape(ids)) == tuple(b.shape)
    # Sparse outputs (BCOO, compiled), against Keras' dense values.
    one_hot = lx.layers.CategoryEncoding(6, output_mode="one_hot", sparse=True)(ids_2d)
    assert isinstance(one_hot, jax.experimental.sparse.BCOO)
    assert_close(one_hot.todense(), k.layers.CategoryEncoding(6, output_mode="one_hot")(ids_2d))
    counted = lx.layers.CategoryEncoding(6, output_mode="count")(ids_2d, count_weights=weights)
    keras_counted = k.layers.CategoryEncoding(6, output_mode="count")(ids_2d, count_weights=weights)
    assert_close(counted, keras_counted)
    sparse_counted = lx.layers.CategoryEncoding(6, output_mode="count", sparse=True)(
        ids_2d, count_weights=weights)
    assert_close(sparse_counted.todense(), counted, rtol=1e-6)
    assert jax.jit(lx.layers.CategoryEncoding(6, output_mode="count"))(ids_2d).shape == (4, 6)
    with pytest.raises(ValueError, match="num_tokens"):
        lx.layers.CategoryEncoding()
    with pytest.raises(ValueError, match=">= 1"):
        lx.layers.CategoryEncoding(0)
    with pytest.raises(ValueError, match="output_mode"):
        lx.layers.CategoryEncoding(3, output_mode="int")
    with pytest.raises(ValueError, match="count_weights"):
        lx.layers.CategoryEncoding(3, output_mode="one_hot")(ids_1d, count_weights=weights[0])


# ------------------------------------------------------------------ Hashing, HashedCrossing
def test_hashing_harness_output_modes_and_fit():
    check_layer(lambda: lx.layers.Hashing(num_bins=7, salt=3), (4, 2), input_dtype="int32",
                expected_output_shape=(4, 2), expected_num_non_trainable_weights=0)
    words = np.array([["a", "b", "a"], ["c", "c", "d"]])
    ids = np.asarray(lx.layers.Hashing(num_bins=5)(words))
    for mode in ("one_hot", "multi_hot", "count"):
        layer = lx.layers.Hashing(num_bins=5, output_mode=mode)
        expected = lx.layers.CategoryEncoding(5, output_mode=mode)(ids)
        assert_close(layer(words), expected)
        assert layer.compute_output_shape(words.shape) == expected.shape
    multi_hot = lx.layers.Hashing(num_bins=5, output_mode="multi_hot", sparse=True)(words)
    assert_close(multi_hot.todense(), lx.layers.CategoryEncoding(5)(ids))
    assert lx.layers.Hashing(num_bins=5, dtype="int32")(words).dtype == jnp.int32
    # Integer features hash inside a compiled fit step (through a host callback).
    x = RNG.integers(0, 1000, size=(16, 3))
    model = lx.Sequential([lx.Input((3,), dtype="int32"),
                           lx.layers.Hashing(num_bins=8, output_mode="multi_hot"),
                           lx.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(x, np.ones((16, 1)), batch_size=8, epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    config = lx.layers.Hashing(num_bins=3, salt=5, mask_value="x").get_config()
    assert config["salt"] == [5, 5] and config["mask_value"] == "x"
    assert lx.layers.Hashing.from_config(config).get_config() == config


def test_hashed_crossing_harness_and_errors(tmp_path):
    a = RNG.integers(0, 50, size=(4,)).astype("int32")
    b = RNG.integers(0, 50, size=(4,)).astype("int32")
    check_layer(lambda: lx.layers.HashedCrossing(num_bins=6), [(4,), (4,)], inputs=[a, b],
                input_dtype="int32", expected_output_shape=(4,), run_vmap=False)
    check_layer(lambda: lx.layers.HashedCrossing(num_bins=6, output_mode="one_hot"),
                [(4, 1), (4, 1)], inputs=[a[:, None], b[:, None]], input_dtype="int32",
                expected_output_shape=(4, 6))
    with pytest.raises(ValueError, match="list or tuple"):
        lx.layers.HashedCrossing(num_bins=3)(a)
    with pytest.raises(ValueError, match="at least two"):
        lx.layers.HashedCrossing(num_bins=3)([a])
    with pytest.raises(ValueError, match="equal shapes"):
        lx.layers.HashedCrossing(num_bins=3)((a, b[:2]))
    with pytest.raises(ValueError, match="integer or string"):
        lx.layers.HashedCrossing(num_bins=3)((a * 1.0, b))
    with pytest.raises(ValueError, match="`\\(\\)`"):
        lx.layers.HashedCrossing(num_bins=3)((np.ones((2, 2), "int32"),) * 2)
    with pytest.raises(ValueError, match="output_mode"):
        lx.layers.HashedCrossing(num_bins=3, output_mode="count")
    with pytest.raises(ValueError, match="num_bins"):
        lx.layers.Hashing(num_bins=0)
    with pytest.raises(ValueError, match="salt"):
        lx.layers.Hashing(num_bins=2, salt=[1, 2, 3])
    with pytest.raises(ValueError, match="dtype"):
        lx.layers.Hashing(num_bins=2, dtype="float32")
    with pytest.raises(ValueError, match="sparse"):
        lx.layers.Hashing(num_bins=2, sparse=True)
    with pytest.raises(TypeError, match="traced"):
        jax.jit(lx.layers.Hashing(num_bins=2))(jnp.ones(3))


def test_feature_layers_in_a_saved_model(tmp_path):
    """Adapted Discretization -> integer Hashing -> CategoryEncoding -> Dense: a compiled fit
    step, then `model.save` / `load_model` give the same predictions (the adapted boundaries
    travel in the config)."""
    x = RNG.normal(size=(16, 4)).astype("float32")
    bins = lx.layers.Discretization(num_bins=4)
    bins.adapt(x)
    model = lx.Sequential([
        lx.Input((4,)), bins, lx.layers.Hashing(num_bins=6, salt=[7, 9]),
        lx.layers.CategoryEncoding(6, output_mode="count"), lx.layers.Dense(1),
    ])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, np.ones((16, 1), "float32"), batch_size=8, epochs=1, verbose=0)
    path = tmp_path / "features.keras"
    model.save(path)
    loaded = lx.saving.load_model(path)
    assert loaded.layers[0].bin_boundaries == bins.bin_boundaries
    assert_close(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
