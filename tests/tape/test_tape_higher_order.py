"""Nested tapes (second order) and jacobians against jax.grad / jax.jacobian / jax.hessian."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import pytest

import layerax as lx
from tests.helpers import assert_close


def f(x):
    return jnp.sum(jnp.sin(x) ** 2 * x)


X0 = jnp.array([0.3, 1.2, -0.7])


def test_nested_tapes_second_derivative_of_array():
    x = jnp.array(3.0)
    with lx.GradientTape() as outer:
        outer.watch(x)
        with lx.GradientTape() as inner:
            inner.watch(x)
            y = x**3
        dy = inner.gradient(y, x)
    d2y = outer.gradient(dy, x)
    assert float(dy) == pytest.approx(27.0) and float(d2y) == pytest.approx(18.0)


def test_nested_tapes_with_variables():
    v = lx.Variable(jnp.array([2.0, -1.0]))
    with lx.GradientTape() as outer:
        with lx.GradientTape() as inner:
            y = jnp.sum(v**4)
        g = inner.gradient(y, v)
        g_norm = jnp.sum(g**2)
    gg = outer.gradient(g_norm, v)
    ref = jax.grad(lambda w: jnp.sum(jax.grad(lambda u: jnp.sum(u**4))(w) ** 2))(v.value)
    assert_close(g, 4 * v.value**3)
    assert_close(gg, ref)


def test_gradient_penalty_style_inner_value_reused_in_outer_block():
    v = lx.Variable(2.0)
    with lx.GradientTape() as outer:
        with lx.GradientTape() as inner:
            y = v**3
        gi = inner.gradient(y, v)
        loss = y + gi**2  # v^3 + 9 v^4, y used after the inner block
    assert float(outer.gradient(loss, v)) == pytest.approx(3 * 4.0 + 36 * 8.0)


def test_hessian_with_nested_tapes_and_jacobian():
    x = X0
    with lx.GradientTape() as outer:
        outer.watch(x)
        with lx.GradientTape() as inner:
            inner.watch(x)
            y = f(x)
        g = inner.gradient(y, x)
    hess = outer.jacobian(g, x)
    assert_close(g, jax.grad(f)(X0))
    assert_close(hess, jax.hessian(f)(X0), rtol=1e-5, atol=1e-5)


def test_jacobian_of_vector_with_respect_to_structure():
    x = jnp.array([1.0, 2.0, 3.0])
    w = lx.Variable(jnp.array([[0.5, -1.0], [2.0, 0.1], [0.3, 0.7]]))
    with lx.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = jnp.tanh(x @ w) * x[0]
    jac = tape.jacobian(y, {"x": x, "w": w})
    fn = lambda x, w: jnp.tanh(x @ w) * x[0]
    assert jac["x"].shape == (2, 3) and jac["w"].shape == (2, 3, 2)
    assert_close(jac["x"], jax.jacobian(fn, 0)(x, w.value))
    assert_close(jac["w"], jax.jacobian(fn, 1)(x, w.value))
    other = lx.Variable(jnp.ones(4))
    assert tape.jacobian(y, other) is None
    zeros = tape.jacobian(y, other, unconnected_gradients="zero")
    assert zeros.shape == (2, 4) and not bool(jnp.any(zeros))


def test_jacobian_of_matrix_target():
    x = jnp.arange(6.0).reshape(2, 3) / 5.0
    with lx.GradientTape() as tape:
        tape.watch(x)
        y = jnp.sin(x) @ x.T
    assert_close(tape.jacobian(y, x), jax.jacobian(lambda x: jnp.sin(x) @ x.T)(x), atol=1e-5)


def test_batch_jacobian():
    x = jax.random.normal(jax.random.key(0), (4, 3))
    w = lx.Variable(jax.random.normal(jax.random.key(1), (3, 2)))
    with lx.GradientTape() as tape:
        tape.watch(x)
        y = jnp.tanh(x @ w)
    got = tape.batch_jacobian(y, x)
    ref = jax.vmap(jax.jacobian(lambda row: jnp.tanh(row @ w.value)))(x)
    assert got.shape == (4, 2, 3)
    assert_close(got, ref, atol=1e-6)


def test_batch_jacobian_unconnected():
    x = jnp.ones((2, 3))
    z = jnp.ones((2, 5))
    with lx.GradientTape(persistent=True) as tape:
        tape.watch(x)
        tape.watch(z)
        y = x * 2.0
    assert tape.batch_jacobian(y, z) is None
    zeros = tape.batch_jacobian(y, z, unconnected_gradients="zero")
    assert zeros.shape == (2, 3, 5) and not bool(jnp.any(zeros))


def test_second_order_compiled():
    @jax.jit
    def hessian_via_tapes(x):
        with lx.GradientTape() as outer:
            outer.watch(x)
            with lx.GradientTape() as inner:
                inner.watch(x)
                y = f(x)
            g = inner.gradient(y, x)
        return y, g, outer.jacobian(g, x)

    y, g, hess = hessian_via_tapes(X0)
    assert float(y) == pytest.approx(float(f(X0)), rel=1e-6)
    assert_close(g, jax.grad(f)(X0))
    assert_close(hess, jax.hessian(f)(X0), rtol=1e-5, atol=1e-5)
