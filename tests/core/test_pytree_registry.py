"""The registry of state containers (core/state.py) and the layer marker core/pytree.py tests."""

from __future__ import annotations

import ast
import importlib
import inspect

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import layerax as lx
from layerax.core import pytree, state
from tests.helpers import assert_close


class Accumulator:
    """A state container outside the layer hierarchy: one variable."""

    def __init__(self) -> None:
        self.total = lx.Variable(np.zeros((3,), "float32"), trainable=False)


state.register_stateful_type(Accumulator)


def test_function_reads_the_registry_of_core():
    function_module = importlib.import_module("layerax.function")  # lx.function is the decorator
    assert function_module.register_stateful_type is state.register_stateful_type
    assert state.is_stateful(Accumulator())
    assert state.is_stateful(lx.layers.Dense(2)) and state.is_stateful(lx.Variable(1.0))
    assert not state.is_stateful(np.zeros(3)) and not state.is_stateful(2.0)


def test_registered_container_is_passed_by_identity_and_its_state_written_back():
    acc = Accumulator()

    @lx.function
    def add(container, x):
        container.total.assign(container.total + x)
        return jnp.sum(container.total.value)

    inputs = [np.arange(3, dtype="float32"), jnp.ones(3), np.full(3, 2.5, "float32")]
    expected = np.zeros(3, "float32")
    traces = []
    for x in inputs:
        out = add(acc, x)
        traces.append(add.trace_count)
        expected = expected + np.asarray(x)
        assert_close(out, expected.sum())
    assert_close(acc.total.value, expected)
    assert traces[1:] == [traces[0]] * 2  # the container is static: new values do not retrace


def test_register_stateful_type_rejects_an_instance():
    with pytest.raises(TypeError, match="expects a class.*Accumulator"):
        state.register_stateful_type(Accumulator())


def test_core_pytree_does_not_import_the_layer_package():
    tree = ast.parse(inspect.getsource(pytree))
    imported = [
        node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
    ] + [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names]
    assert not [m for m in imported if m and m.startswith("layerax.core.layer")], imported


def test_marked_layers_round_trip_through_jit_with_numpy_and_scalar_inputs():
    model = lx.Sequential([lx.Input((4,)), lx.layers.Dense(3, activation="tanh"), lx.layers.Dense(2)])
    k1, b1, k2, b2 = (np.asarray(v.value) for v in model.weights)
    x = np.linspace(-1.0, 1.0, 8, dtype="float32").reshape(2, 4)

    @jax.jit
    def step(m, x, lr):
        grads = jax.grad(lambda m: jnp.sum(m(x) ** 2))(m)
        return jax.tree.map(lambda p, g: p - lr * g, m, grads)

    def reference(params, x):
        k1, b1, k2, b2 = params
        return jnp.sum((jnp.tanh(x @ k1 + b1) @ k2 + b2) ** 2)

    expected = jax.tree.map(lambda p, g: p - 0.1 * g, [k1, b1, k2, b2],
                            jax.grad(reference)([k1, b1, k2, b2], x))
    new = step(model, x, 0.1)
    assert type(new) is type(model) and new is not model
    for got, want in zip(new.weights, expected):
        assert_close(got.value, want)
    assert_close(model.weights[0].value, k1)  # the live model is untouched
