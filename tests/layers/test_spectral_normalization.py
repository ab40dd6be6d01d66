"""SpectralNormalization: Keras 3 parity (same kernel, bias and u), u updates, the contract."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import layerax as lx
from tests.helpers import assert_close, keras
from tests.layers.harness import check_layer


def _pair(make_lx, make_keras, x, power_iterations):
    k = keras()
    ours = lx.layers.SpectralNormalization(make_lx(), power_iterations=power_iterations)
    theirs = k.layers.SpectralNormalization(make_keras(k), power_iterations=power_iterations)
    ours(x)
    theirs(x)
    rng = np.random.default_rng(1)
    by_name = {w.name: rng.normal(size=tuple(w.shape)).astype("float32") for w in theirs.weights}
    for w in theirs.weights:
        w.assign(by_name[w.name])
    for w in ours.weights:
        w.assign(by_name[w.name])
    return ours, theirs


@pytest.mark.parametrize("case", ["dense", "conv"])
def test_spectral_normalization_matches_keras(case):
    rng = np.random.default_rng(0)
    if case == "dense":
        x = rng.normal(size=(3, 5)).astype("float32")
        ours, theirs = _pair(lambda: lx.layers.Dense(4), lambda k: k.layers.Dense(4), x, 1)
    else:
        x = rng.normal(size=(2, 6, 6, 2)).astype("float32")
        ours, theirs = _pair(lambda: lx.layers.Conv2D(3, 3), lambda k: k.layers.Conv2D(3, 3),
                             x, 3)
    assert [w.name for w in ours.weights] == [w.name for w in theirs.weights]
    assert [w.trainable for w in ours.weights if w.name == "vector_u"] == [False]
    # Inference: the stored kernel, nothing updated.
    assert_close(ours(x), theirs(x), 1e-5, 1e-5)
    # Training: kernel and u updated as Keras does, twice in a row.
    for _ in range(2):
        assert_close(ours(x, training=True), theirs(x, training=True), 1e-4, 1e-5)
        expected = {w.name: np.asarray(w.value) for w in theirs.weights}
        for w in ours.weights:
            assert_close(w.value, expected[w.name], 1e-4, 1e-6)
    # The kernel's spectral norm is ~1 after an update (closed form: the largest singular value).
    kernel = np.asarray(ours.layer.kernel.value).reshape(-1, ours.layer.kernel.shape[-1])
    assert abs(np.linalg.svd(kernel, compute_uv=False)[0] - 1.0) < 0.2
    assert ours.get_config()["power_iterations"] == theirs.get_config()["power_iterations"]


def test_spectral_normalization_gradient_matches_keras():
    x = np.random.default_rng(2).normal(size=(3, 5)).astype("float32")
    ours, theirs = _pair(lambda: lx.layers.Dense(4), lambda k: k.layers.Dense(4), x, 2)

    def lx_loss(layer, x):
        return jnp.sum(layer(x, training=True) ** 2)

    def keras_loss(tv, ntv, x):
        return jnp.sum(theirs.stateless_call(tv, ntv, x, training=True)[0] ** 2)

    tv = [v.value for v in theirs.trainable_variables]
    ntv = [v.value for v in theirs.non_trainable_variables]
    g_lx = jax.grad(lx_loss)(ours, x)
    g_keras = dict(zip([v.name for v in theirs.trainable_variables], jax.grad(keras_loss)(tv, ntv, x)))
    for v in g_lx.trainable_variables:
        assert_close(v.value, g_keras[v.name], 1e-4, 1e-5)


def test_spectral_normalization_zero_kernel_and_contract():
    layer = lx.layers.SpectralNormalization(lx.layers.Dense(2, kernel_initializer="zeros"))
    layer(jnp.ones((2, 3)), training=True)
    assert np.all(np.asarray(layer.layer.kernel.value) == 0)
    check_layer(lambda: lx.layers.SpectralNormalization(lx.layers.Dense(3, name="d"), name="sn"),
                (2, 4), expected_output_shape=(2, 3), expected_num_trainable_weights=2,
                expected_num_non_trainable_weights=1)


def test_spectral_normalization_bad_arguments():
    with pytest.raises(ValueError, match="power_iterations"):
        lx.layers.SpectralNormalization(lx.layers.Dense(2), power_iterations=0)
    with pytest.raises(ValueError, match="Layer"):
        lx.layers.SpectralNormalization("dense")
    with pytest.raises(ValueError, match="no `kernel` nor `embeddings`"):
        lx.layers.SpectralNormalization(lx.layers.ReLU())(jnp.ones((2, 3)))
