"""Parity of every op of `lx.ops`' core family with `keras.ops` (values, shapes, dtypes, grads).

Ops on tensors go through the shared `Spec` table; control flow takes functions, so each of
those ops has its own test below, run with the same function through layerax and Keras.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import layerax as lx
from layerax import ops
from tests.helpers import keras
from tests.ops.parity import Spec, check_parity, values

F32 = ("float32",)


def _v(r, s, d, domain="any"):
    return values(r, s, d, domain)


SPECS: dict[str, Spec] = {
    "cast": Spec(make=lambda r, d, s: (_v(r, s, d), "int32"), dtypes=("float32", "bool")),
    "saturate_cast": Spec(
        make=lambda r, d, s: (_v(r, s, d) * 200.0, "uint8"), dtypes=F32,
        kwargs=({},), grad=False),
    "convert_to_tensor": Spec(make=lambda r, d, s: (_v(r, s, d),),
                              kwargs=({}, {"dtype": "float32"}), grad=False),
    "convert_to_numpy": Spec(make=lambda r, d, s: (_v(r, s, d),), grad=False, jit=False),
    "shape": Spec(make=lambda r, d, s: (_v(r, s, d),), grad=False, jit=False),
    "dtype": Spec(make=lambda r, d, s: (_v(r, s, d),), dtypes=("float32", "int32", "bool"),
                  grad=False, jit=False),
    "is_tensor": Spec(make=lambda r, d, s: (_v(r, s, d),), grad=False, jit=False,
                      variable=False),
    "stop_gradient": Spec(make=lambda r, d, s: (_v(r, s, d),)),
    "unstack": Spec(make=lambda r, d, s: (_v(r, (3, 2), d),), shapes=((),),
                    kwargs=({}, {"axis": 1}, {"num": 3})),
    "slice": Spec(make=lambda r, d, s: (_v(r, (4, 5), d), (1, 2), (2, -1)), shapes=((),)),
    "slice_update": Spec(make=lambda r, d, s: (_v(r, (4, 5), d), (1, 2), _v(r, (2, 3), d)),
                         shapes=((),)),
    "scatter": Spec(make=lambda r, d, s: (np.array([[0, 1], [2, 0], [0, 1]]),
                                          _v(r, (3,), d), (3, 2)), shapes=((),)),
    "scatter_update": Spec(
        make=lambda r, d, s: (_v(r, (4, 3), d), np.array([[0, 1], [2, 2]]), _v(r, (2,), d)),
        shapes=((),), kwargs=({}, {"reduction": "add"}, {"reduction": "max"},
                              {"reduction": "min"}, {"reduction": "mul"})),
}

# Ops taking functions: each has a test below (same functions through layerax and Keras).
LEFT_OUT: dict[str, str] = {
    name: "takes functions: tested by its own test in this file"
    for name in ("associative_scan", "cond", "custom_gradient", "fori_loop", "map", "scan",
                 "switch", "vectorized_map", "while_loop")
}


@pytest.mark.parametrize("name", sorted(SPECS))
def test_parity_with_keras(name):
    check_parity(name, SPECS[name], ops)


def _both(name):
    return getattr(ops, name), getattr(keras().ops, name)


def _assert_tree_same(ours, theirs):
    a, b = jax.tree_util.tree_leaves(ours), jax.tree_util.tree_leaves(theirs)
    assert jax.tree_util.tree_structure(ours) == jax.tree_util.tree_structure(theirs)
    for x, y in zip(a, b):
        assert jnp.asarray(x).dtype == jnp.asarray(y).dtype
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=1e-6, atol=1e-6)


X = np.arange(1.0, 7.0, dtype="float32").reshape(3, 2)


@pytest.mark.parametrize("pred", [True, False, np.bool_(True)])
def test_cond(pred):
    ours, theirs = _both("cond")
    _assert_tree_same(ours(pred, lambda: X * 2, lambda: X - 1),
                      theirs(pred, lambda: X * 2, lambda: X - 1))
    # Traced predicate, and the gradient flows through the taken branch.
    grad = jax.grad(lambda x: jnp.sum(ours(jnp.sum(x) > 0, lambda: x ** 2, lambda: x)))(X)
    np.testing.assert_allclose(grad, 2 * X)


@pytest.mark.parametrize("index", [0, 1, 5])
def test_switch(index):
    ours, theirs = _both("switch")
    branches = [lambda a, b: a + b, lambda a, b: a * b]
    _assert_tree_same(ours(index, branches, X, 2.0), theirs(index, branches, X, 2.0))
    jitted = jax.jit(lambda i, x: ours(i, branches, x, 3.0))(index, X)
    _assert_tree_same(jitted, theirs(index, branches, X, 3.0))


@pytest.mark.parametrize("loop_vars,maximum_iterations", [
    ((0, X), None), ([0, X], 2), (np.float32(1.0), None), (np.float32(1.0), 3)])
def test_while_loop(loop_vars, maximum_iterations):
    ours, theirs = _both("while_loop")
    if isinstance(loop_vars, (tuple, list)):
        def cond(i, x):
            return i < 4

        def body(i, x):
            return i + 1, x * 1.5
    else:
        def cond(x):
            return x < 100.0

        def body(x):
            return x * 3.0
    _assert_tree_same(ours(cond, body, loop_vars, maximum_iterations=maximum_iterations),
                      theirs(cond, body, loop_vars, maximum_iterations=maximum_iterations))


def test_while_loop_takes_variables_and_jits():
    counter = lx.Variable(np.zeros((), "float32"), trainable=False)
    run = jax.jit(lambda v: ops.while_loop(lambda x: x < 5.0, lambda x: x + 2.0, v))
    np.testing.assert_allclose(run(counter.value), 6.0)
    np.testing.assert_allclose(ops.while_loop(lambda x: x < 5.0, lambda x: x + 2.0, counter), 6.0)


def test_fori_loop():
    ours, theirs = _both("fori_loop")
    body = lambda i, x: x * 2.0 + i  # noqa: E731
    _assert_tree_same(ours(0, 4, body, X), theirs(0, 4, body, X))
    grad = jax.grad(lambda x: jnp.sum(ours(0, 3, lambda i, v: v * x, 1.0)))(2.0)
    np.testing.assert_allclose(grad, 3 * 2.0 ** 2)


@pytest.mark.parametrize("kwargs", [{}, {"reverse": True}, {"unroll": 2}, {"unroll": True}])
def test_scan(kwargs):
    ours, theirs = _both("scan")

    def step(carry, x):
        return carry + x, carry * x

    _assert_tree_same(ours(step, np.zeros(2, "float32"), X, **kwargs),
                      theirs(step, np.zeros(2, "float32"), X, **kwargs))
    # No xs: `length` iterations, xs=None.
    count = lambda c, _: (c + 1, c)  # noqa: E731
    _assert_tree_same(ours(count, 0, length=3, **kwargs), theirs(count, 0, length=3, **kwargs))
    grad = jax.grad(lambda xs: jnp.sum(ours(step, jnp.ones(2), xs, **kwargs)[1]))(X)
    want = jax.grad(lambda xs: jnp.sum(theirs(step, jnp.ones(2), xs, **kwargs)[1]))(X)
    np.testing.assert_allclose(grad, want)


@pytest.mark.parametrize("kwargs", [{}, {"reverse": True}, {"axis": 1}])
def test_associative_scan(kwargs):
    ours, theirs = _both("associative_scan")
    _assert_tree_same(ours(lambda a, b: a + b, X, **kwargs),
                      theirs(lambda a, b: a + b, X, **kwargs))
    pair = (X, X * 2)
    fn = lambda a, b: (a[0] * b[0], a[1] + b[1])  # noqa: E731
    _assert_tree_same(ours(fn, pair, **kwargs), theirs(fn, pair, **kwargs))


def test_map_and_vectorized_map():
    for name in ("map", "vectorized_map"):
        ours, theirs = _both(name)
        _assert_tree_same(ours(lambda r: jnp.sum(r ** 2), X), theirs(lambda r: jnp.sum(r ** 2), X))
        tree_in = {"a": X, "b": X[:, 0]}
        fn = lambda t: t["a"] * t["b"][None]  # noqa: E731
        _assert_tree_same(ours(fn, tree_in), theirs(fn, tree_in))
        grad = jax.grad(lambda x: jnp.sum(ours(lambda r: jnp.sin(r), x)))(X)
        np.testing.assert_allclose(grad, np.cos(X), rtol=1e-6)


def test_custom_gradient():
    ours, theirs = _both("custom_gradient")

    def log1pexp(x):
        e = jnp.exp(x)

        def grad(upstream):
            return upstream * (1 - 1 / (1 + e))

        return jnp.log(1 + e), grad

    f_ours, f_theirs = ours(log1pexp), theirs(log1pexp)
    x = np.array([0.5, 2.0, 10.0], "float32")
    _assert_tree_same(f_ours(x), f_theirs(x))
    g_ours = jax.grad(lambda v: jnp.sum(f_ours(v)))(x)
    g_theirs = jax.grad(lambda v: jnp.sum(f_theirs(v)))(x)
    np.testing.assert_allclose(g_ours, g_theirs, rtol=1e-6)
    np.testing.assert_allclose(g_ours, 1 - 1 / (1 + np.exp(x)), rtol=1e-6)
    # A Variable argument is passed as its value.
    np.testing.assert_allclose(f_ours(lx.Variable(x, trainable=False)), f_theirs(x))


def test_scatter_update_rejects_unknown_reduction():
    with pytest.raises(ValueError, match="unsupported reduction 'sum'"):
        ops.scatter_update(np.zeros(3), [[0]], [1.0], reduction="sum")


def test_unstack_checks_num():
    with pytest.raises(ValueError, match="must equal the size of axis 0"):
        ops.unstack(np.zeros((3, 2)), num=2)


def test_slice_with_traced_start():
    x = np.arange(12.0, dtype="float32").reshape(3, 4)
    got = jax.jit(lambda start: ops.slice(x, (start, 1), (2, 2)))(1)
    np.testing.assert_allclose(got, keras().ops.slice(x, (1, 1), (2, 2)))


@pytest.mark.parametrize("dtype", ["float32", "bfloat16", "int32"])
def test_convert_to_numpy_keeps_dtype(dtype):
    x = jnp.ones((2,), dtype)
    ours, theirs = ops.convert_to_numpy(x), keras().ops.convert_to_numpy(x)
    assert isinstance(ours, np.ndarray) and ours.dtype == theirs.dtype


