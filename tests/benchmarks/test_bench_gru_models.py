"""Every framework's `gru` model computes Keras' GRU (reset_after=True) with the same weights.

The suite compares speeds only if the work is the same: here each builder gets the weights
of the hand-written reference and must give Keras 3's logits (Keras is the oracle).
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest
from flax import nnx

import layerax as lx
from benchmarks.suite import models_eqx, models_jax, models_keras, models_nnx
from benchmarks.suite.workloads import WORKLOADS, param_count

WORKLOAD = WORKLOADS["gru"].quick()  # 8 time steps of 16 features


@pytest.fixture(scope="module")
def reference():
    params, forward = models_jax.build(WORKLOAD, seed=3)
    rng = np.random.default_rng(4)
    # Non-zero biases, so that a bias in the wrong place shows.
    params["gru"]["input_bias"] = jnp.asarray(rng.normal(size=(3 * 64,)), jnp.float32)
    params["gru"]["recurrent_bias"] = jnp.asarray(rng.normal(size=(3 * 64,)), jnp.float32)
    x = rng.normal(size=(3, *WORKLOAD.input_shape)).astype(np.float32)
    return params, x, np.asarray(jax.jit(forward)(params, x))


def _keras_weights(params):
    p = params["gru"]
    bias = np.stack([p["input_bias"], p["recurrent_bias"]])
    return [np.asarray(w) for w in (p["kernel"], p["recurrent"], bias,
                                    params["head"]["w"], params["head"]["b"])]


@pytest.fixture(scope="module")
def keras_logits(reference):
    params, x, _ = reference
    model = models_keras.build(keras, WORKLOAD)
    model.set_weights(_keras_weights(params))
    return np.asarray(model(x))


def test_reference_is_keras_gru(reference, keras_logits):
    np.testing.assert_allclose(reference[2], keras_logits, rtol=1e-4, atol=1e-5)


def test_layerax_gru_gives_keras_logits_eagerly_and_jitted(reference, keras_logits):
    params, x, _ = reference
    model = models_keras.build(lx, WORKLOAD)
    model.set_weights(_keras_weights(params))
    assert param_count(model.get_weights()) == param_count(jax.tree.leaves(params))
    np.testing.assert_allclose(np.asarray(model(x)), keras_logits, rtol=1e-4, atol=1e-5)
    jitted = jax.jit(lambda m, x: m(x))(model, jnp.asarray(x))
    np.testing.assert_allclose(np.asarray(jitted), keras_logits, rtol=1e-4, atol=1e-5)


def test_nnx_gru_gives_keras_logits(reference, keras_logits):
    params, x, _ = reference
    model = models_nnx.build(WORKLOAD)
    p, cell = params["gru"], model.rnn.cell
    for layer, w, b in [(cell.dense_i, p["kernel"], p["input_bias"]),
                        (cell.dense_h, p["recurrent"], p["recurrent_bias"]),
                        (model.head, params["head"]["w"], params["head"]["b"])]:
        for variable, value in [(layer.kernel, w), (layer.bias, b)]:
            variable[...] = value
    trainable = jax.tree.leaves(nnx.state(model, nnx.Param))
    assert param_count(trainable) == param_count(jax.tree.leaves(params))
    logits = nnx.jit(lambda m, x: m(x))(model, x)
    np.testing.assert_allclose(np.asarray(logits), keras_logits, rtol=1e-4, atol=1e-5)


def test_equinox_gru_gives_keras_logits(reference, keras_logits):
    params, x, _ = reference
    model = models_eqx.build(WORKLOAD)
    p = params["gru"]
    model = eqx.tree_at(
        lambda m: (m.dense_i.weight, m.dense_i.bias, m.dense_h.weight, m.dense_h.bias,
                   m.head.weight, m.head.bias),
        model,
        (p["kernel"].T, p["input_bias"], p["recurrent"].T, p["recurrent_bias"],
         params["head"]["w"].T, params["head"]["b"]),
    )
    trainable = jax.tree.leaves(eqx.filter(model, eqx.is_inexact_array))
    assert param_count(trainable) == param_count(jax.tree.leaves(params))
    logits = eqx.filter_jit(lambda m, x: jax.vmap(m)(x))(model, jnp.asarray(x))
    np.testing.assert_allclose(np.asarray(logits), keras_logits, rtol=1e-4, atol=1e-5)
