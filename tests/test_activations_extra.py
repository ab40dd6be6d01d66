"""The shrink, sparse and thresholding activations: values and gradients against Keras 3,
name lookup, serialization and use as a layer's `activation=` string."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import layerax as lx
from tests.helpers import assert_close, keras

RNG = np.random.default_rng(7)
SHAPES = [(5,), (3, 4)]
INPUTS = [RNG.normal(scale=1.5, size=s).astype("float32") for s in SHAPES]

# name -> keyword arguments (Keras' defaults when empty, non-default values otherwise).
CASES = [
    ("hard_shrink", {}),
    ("hard_shrink", {"threshold": 0.3}),
    ("soft_shrink", {}),
    ("soft_shrink", {"threshold": 1.0}),
    ("tanh_shrink", {}),
    ("threshold", {"threshold": 0.2, "default_value": -1.5}),
    ("sparse_plus", {}),
    ("sparse_sigmoid", {}),
    ("squareplus", {}),
    ("squareplus", {"b": 1.0}),
]


@pytest.mark.parametrize("name,kwargs", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_values_and_gradients_match_keras(name, kwargs):
    k = keras()
    ours = getattr(lx.activations, name)
    ref = getattr(k.activations, name)
    for x in INPUTS:
        assert_close(ours(x, **kwargs), ref(x, **kwargs))
        # A random cotangent, so the gradient of every output entry counts.
        w = jnp.asarray(RNG.normal(size=x.shape).astype("float32"))
        g_ours = jax.grad(lambda v: jnp.sum(ours(v, **kwargs) * w))(jnp.asarray(x))
        g_ref = jax.grad(lambda v: jnp.sum(ref(v, **kwargs) * w))(jnp.asarray(x))
        assert_close(g_ours, g_ref, rtol=1e-5, atol=1e-5)


def _sparsemax_reference(x, axis=-1):
    """Simplex projection by bisection on tau, the root of `sum(max(x - tau, 0)) == 1`."""
    x = np.moveaxis(np.asarray(x, np.float64), axis, -1)
    low, high = x.min(-1, keepdims=True) - 1, x.max(-1, keepdims=True)
    for _ in range(60):
        tau = (low + high) / 2
        over = np.maximum(x - tau, 0).sum(-1, keepdims=True) > 1
        low, high = np.where(over, tau, low), np.where(over, high, tau)
    return np.moveaxis(np.maximum(x - (low + high) / 2, 0), -1, axis)


@pytest.mark.parametrize("axis", [-1, 0])
def test_sparsemax_values_and_gradients(axis):
    # Keras 3.15's sparsemax sums the cumulative sums over the support instead of taking the
    # last one, so its rows need not sum to 1 once two or more entries are non-zero: random inputs
    # are checked against a bisection reference, and Keras is the oracle where its support has
    # one entry (one dominant score), where its formula is right.
    k = keras()
    for x in INPUTS:
        y = lx.activations.sparsemax(x, axis=axis)
        assert_close(y, _sparsemax_reference(x, axis), rtol=1e-5, atol=1e-5)
        # Closed-form vector-Jacobian product: on the support S, w - mean_S(w); 0 elsewhere.
        w = RNG.normal(size=x.shape).astype("float32")
        support = (np.asarray(y) > 0).astype("float32")
        mean_w = (w * support).sum(axis, keepdims=True) / support.sum(axis, keepdims=True)
        g = jax.grad(lambda v: jnp.sum(lx.activations.sparsemax(v, axis=axis) * w))(jnp.asarray(x))
        assert_close(g, support * (w - mean_w), rtol=1e-5, atol=1e-5)
        first = (np.arange(x.shape[axis]) == 0).reshape([-1] + [1] * (x.ndim - 1 - axis % x.ndim))
        dominant = x + 5.0 * first
        assert_close(lx.activations.sparsemax(dominant, axis=axis),
                     k.activations.sparsemax(dominant, axis=axis))


NAMES = sorted({name for name, _ in CASES} | {"sparsemax"})


def test_every_keras_activation_exists_in_layerax():
    k = keras()
    missing = {n for n in dir(k.activations) if not n.startswith("_")} - set(dir(lx.activations))
    assert missing == set()


def test_names_resolve_and_serialize_like_keras():
    k = keras()
    for name in NAMES:
        fn = lx.activations.get(name)
        assert fn is getattr(lx.activations, name)
        assert lx.activations.serialize(fn) == k.activations.serialize(k.activations.get(name)) == name
        assert lx.activations.deserialize(name) is fn
        assert name in lx.activations.__all__


def test_activation_strings_in_layers_round_trip_and_compute():
    x = INPUTS[1]
    k = keras()
    for name in ("sparse_plus", "squareplus", "tanh_shrink"):
        layer = lx.layers.Dense(3, activation=name)
        y = layer(x)
        config = layer.get_config()
        assert config["activation"] == name
        assert lx.layers.Dense.from_config(config).activation is getattr(lx.activations, name)
        # Same weights in Keras' Dense with the same activation string: same outputs.
        ref = k.layers.Dense(3, activation=name)
        ref.build(x.shape)
        ref.set_weights([np.asarray(v) for v in layer.get_weights()])
        assert_close(y, ref(x), rtol=1e-5, atol=1e-5)
    layer = lx.layers.Dense(3, activation="sparsemax")
    y = layer(x)
    assert layer.get_config()["activation"] == "sparsemax"
    pre_activation = x @ np.asarray(layer.kernel) + np.asarray(layer.bias)
    assert_close(y, _sparsemax_reference(pre_activation), 1e-5, 1e-5)
    assert_close(lx.layers.Activation("sparse_sigmoid")(x), k.activations.sparse_sigmoid(x))


def test_functional_model_traces_the_new_activations():
    inp = lx.Input((4,))
    out = lx.activations.sparsemax(lx.activations.soft_shrink(inp, threshold=0.1))
    model = lx.Model(inp, out)
    x = INPUTS[1]
    assert_close(model(x), lx.ops.sparsemax(lx.ops.soft_shrink(x, 0.1)))


def test_variables_are_read_through_their_value():
    v = lx.Variable(INPUTS[0])
    assert_close(lx.activations.hard_shrink(v), lx.activations.hard_shrink(INPUTS[0]))


def test_unknown_name_is_a_clear_error():
    with pytest.raises(ValueError, match="sparse_plux"):
        lx.activations.get("sparse_plux")
