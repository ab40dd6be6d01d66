"""Keras-1-era Highway and MaxoutDense, against their defining numpy formulas."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

import layerax as lx
from tests.helpers import assert_close
from tests.layers.harness import check_layer

RNG = np.random.default_rng(5)


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


@pytest.mark.parametrize("kwargs", [{"activation": "relu"}, {"bias": False}])
def test_highway_harness_and_formula(kwargs):
    if kwargs.get("bias", True):
        layer = check_layer(lambda: lx.layers.Highway(**kwargs), (3, 4),
                            expected_output_shape=(3, 4), expected_num_trainable_weights=4)
    else:
        layer = lx.layers.Highway(**kwargs)
        layer(jnp.ones((3, 4)))
    weights = [RNG.normal(size=w.shape).astype("float32") for w in layer.weights]
    layer.set_weights(weights)
    x = RNG.normal(size=(3, 4)).astype("float32")
    if kwargs.get("bias", True):
        w, b, w_carry, b_carry = weights
        assert [v.name for v in layer.weights] == ["W", "b", "W_carry", "b_carry"]
    else:
        (w, w_carry), b, b_carry = weights, 0.0, 0.0
        assert [v.name for v in layer.weights] == ["W", "W_carry"]
    t = _sigmoid(x @ w_carry + b_carry)
    h = x @ w + b
    if kwargs.get("activation") == "relu":
        h = np.maximum(h, 0.0)
    assert_close(layer(x), t * h + (1 - t) * x, 1e-5, 1e-5)


def test_highway_defaults_follow_keras1():
    layer = lx.layers.Highway(transform_bias=-1.5)
    layer(jnp.ones((1, 3)))
    assert_close(layer.b_carry.numpy(), np.full(3, -1.5))
    assert_close(layer.b.numpy(), np.zeros(3))
    assert lx.layers.Highway().transform_bias == -2
    config = lx.layers.Highway(activation="tanh", W_regularizer="l2").get_config()
    assert config["activation"] == "tanh" and config["transform_bias"] == -2
    # W_regularizer penalizes W only.
    reg = lx.layers.Highway(W_regularizer=lx.regularizers.L2(0.1))
    reg(jnp.ones((1, 3)))
    assert_close(reg.losses[0], 0.1 * np.sum(reg.W.numpy() ** 2), 1e-5, 1e-6)
    with pytest.raises(ValueError, match=r"'hw'.*axis -1.*3"):
        hw = lx.layers.Highway(name="hw")
        hw(jnp.ones((1, 3)))
        hw(jnp.ones((1, 4)))


@pytest.mark.parametrize("kwargs", [{"nb_feature": 3}, {"nb_feature": 2, "bias": False}])
def test_maxout_dense_harness_and_formula(kwargs):
    if kwargs.get("bias", True):
        layer = check_layer(lambda: lx.layers.MaxoutDense(5, **kwargs), (3, 4),
                            expected_output_shape=(3, 5))
    else:
        layer = lx.layers.MaxoutDense(5, **kwargs)
        layer(jnp.ones((3, 4)))
    weights = [RNG.normal(size=w.shape).astype("float32") for w in layer.weights]
    layer.set_weights(weights)
    x = RNG.normal(size=(3, 4)).astype("float32")
    w = weights[0]
    b = weights[1] if len(weights) == 2 else np.zeros((kwargs["nb_feature"], 5), "float32")
    assert w.shape == (kwargs["nb_feature"], 4, 5)
    pieces = np.stack([x @ w[k] + b[k] for k in range(kwargs["nb_feature"])], axis=1)
    assert_close(layer(x), pieces.max(axis=1), 1e-5, 1e-5)


def test_keras1_layers_initial_weights_and_errors():
    w = RNG.normal(size=(2, 3, 4)).astype("float32")
    b = RNG.normal(size=(2, 4)).astype("float32")
    layer = lx.layers.MaxoutDense(4, nb_feature=2, weights=[w, b], input_dim=3)
    x = RNG.normal(size=(5, 3)).astype("float32")
    assert_close(layer(x), np.maximum(x @ w[0] + b[0], x @ w[1] + b[1]), 1e-5, 1e-5)
    assert layer.get_config()["input_dim"] == 3
    with pytest.raises(ValueError, match="output_dim"):
        lx.layers.MaxoutDense(0)
    with pytest.raises(ValueError, match=r"'mo'.*expected ndim=2, found ndim=3"):
        lx.layers.MaxoutDense(2, name="mo")(jnp.ones((1, 2, 3)))
