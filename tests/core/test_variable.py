"""lx.Variable: reads, assignments, array protocol, errors."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import layerax as lx
from tests.helpers import assert_close


def test_basic_properties_and_assign():
    v = lx.Variable(np.arange(6, dtype="float32").reshape(2, 3), name="w")
    assert v.name == "w" and v.path == "w" and v.trainable
    assert v.shape == (2, 3) and v.dtype == jnp.float32 and v.ndim == 2 and v.size == 6
    out = v.assign(jnp.ones((2, 3)))
    assert out is v
    v.assign_add(jnp.ones((2, 3)))
    v.assign_sub(0.5 * jnp.ones((2, 3)))
    assert_close(v.numpy(), np.full((2, 3), 1.5))
    assert isinstance(v.numpy(), np.ndarray)


def test_default_names_are_unique():
    a, b = lx.Variable(1.0), lx.Variable(2.0)
    assert (a.name, b.name) == ("variable", "variable_1")


def test_dtype_argument_and_callable_initializer():
    v = lx.Variable(lx.initializers.Ones(), shape=(2,), dtype="float16")
    assert v.dtype == jnp.float16
    assert_close(v.numpy(), [1.0, 1.0])
    w = lx.Variable([1, 2, 3], dtype="float32")
    assert w.dtype == jnp.float32


def test_usable_in_jax_numpy_and_operators():
    w_np = np.random.default_rng(0).normal(size=(3, 2)).astype("float32")
    x = jnp.asarray(np.random.default_rng(1).normal(size=(4, 3)), jnp.float32)
    w = lx.Variable(w_np)
    assert_close(jnp.matmul(x, w), x @ w_np)
    assert_close(x @ w, x @ w_np)
    assert_close(w + 1, w_np + 1)
    assert_close(1 - w, 1 - w_np)
    assert_close(w * w, w_np * w_np)
    assert_close(-w, -w_np)
    assert_close(jnp.sum(w), w_np.sum())
    assert_close(jnp.tanh(w), np.tanh(w_np))
    assert_close(jax.nn.relu(x @ w), np.maximum(x @ w_np, 0))
    assert_close(np.asarray(w), w_np)
    assert_close(w[0], w_np[0])
    assert_close((w > 0).astype(jnp.float32), (w_np > 0).astype("float32"))
    assert float(lx.Variable(2.5)) == 2.5
    assert_close(w.T, w_np.T)


def test_usable_inside_jit_by_closure_and_as_argument():
    w = lx.Variable(jnp.arange(3.0))
    assert_close(jax.jit(lambda x: x * w)(jnp.ones(3)), np.arange(3.0))
    assert_close(jax.jit(lambda v, x: v @ x)(w, jnp.ones(3)), 3.0)


def test_assign_wrong_shape_names_variable():
    v = lx.Variable(jnp.zeros((2, 3)), name="kernel")
    with pytest.raises(ValueError, match=r"shape \(4,\) to variable .kernel.: expected shape \(2, 3\)"):
        v.assign(jnp.zeros((4,)))
    assert_close(v.numpy(), np.zeros((2, 3)))


def test_assign_incompatible_dtype():
    v = lx.Variable(jnp.zeros((2,), jnp.int32), name="count")
    with pytest.raises(ValueError, match=r"float32.*count.*int32"):
        v.assign(jnp.ones((2,), jnp.float32))
    v.assign(np.array([1, 2], dtype="int64"))  # same kind: fine
    assert v.numpy().tolist() == [1, 2]


def test_assigning_a_tracer_outside_the_bridge_raises_clearly():
    v = lx.Variable(jnp.zeros(()), name="leaky")

    @jax.jit
    def f(x):
        v.assign(x)
        return x

    with pytest.raises(RuntimeError, match=r"leaky.*lx.function"):
        f(jnp.ones(()))
    assert float(v) == 0.0


def test_variable_is_a_pytree_with_one_leaf():
    v = lx.Variable(jnp.ones(2), name="p", trainable=False)
    leaves, treedef = jax.tree_util.tree_flatten(v)
    assert len(leaves) == 1
    doubled = jax.tree.map(lambda x: 2 * x, v)
    assert isinstance(doubled, lx.Variable) and not doubled.trainable
    assert_close(doubled.numpy(), [2.0, 2.0])
    assert_close(v.numpy(), [1.0, 1.0])


def test_initial_value_must_be_concrete():
    @jax.jit
    def f(x):
        return lx.Variable(x)

    with pytest.raises(ValueError, match="concrete"):
        f(jnp.ones(2))


def test_missing_initial_value():
    with pytest.raises(ValueError, match="initial value"):
        lx.Variable()
