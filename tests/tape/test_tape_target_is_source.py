"""A target that is itself a source (`tape.gradient(v, [v, u])`): ones for it, as in TF.

The references are `jax.grad` of the equivalent function of the variables'
arrays: a variable as a target stands for `sum(v)`.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import layerax as lx
from tests.helpers import assert_close

V0 = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]], np.float32)
U0 = np.array([3.0, -2.0], np.float32)


def _variables():
    return lx.Variable(V0, name="v"), lx.Variable(U0, name="u")


def _sum_grads(fn):
    """jax.grad of fn(v, u) with respect to both arrays."""
    return jax.grad(fn, argnums=(0, 1))(jnp.asarray(V0), jnp.asarray(U0))


def _record(how, v, u):
    """A tape block in which `v` is watched (or not) as `how` says; `u` is never touched."""
    if how == "read":
        tape = lx.GradientTape(persistent=True)
        with tape:
            _ = v * 2.0
    elif how == "watched":
        tape = lx.GradientTape(persistent=True, watch_accessed_variables=False)
        with tape:
            tape.watch(v)
    elif how == "read_unwatched":
        tape = lx.GradientTape(persistent=True, watch_accessed_variables=False)
        with tape:
            _ = v * 2.0
    else:  # "untouched": TF gives a target that is a source its ones even then
        tape = lx.GradientTape(persistent=True)
        with tape:
            pass
    return tape


HOW = ["read", "watched", "read_unwatched", "untouched"]


@pytest.mark.parametrize("how", HOW)
def test_variable_target_eagerly(how):
    v, u = _variables()
    tape = _record(how, v, u)
    want_v, want_u = _sum_grads(lambda a, b: jnp.sum(a))
    dv, du = tape.gradient(v, [v, u])
    assert du is None
    assert_close(dv, want_v)
    dv, du = tape.gradient(v, [v, u], unconnected_gradients="zero")  # persistent: again
    assert_close([dv, du], [want_v, want_u])
    assert du.shape == U0.shape and du.dtype == jnp.float32


@pytest.mark.parametrize("how", HOW)
def test_variable_target_in_lx_function(how):
    v, u = _variables()

    @lx.function
    def step():
        tape = _record(how, v, u)
        return tape.gradient(v, [v, u]), tape.gradient(v, [v, u], unconnected_gradients="zero")

    (dv, du), zero = step()
    want = _sum_grads(lambda a, b: jnp.sum(a))
    assert du is None
    assert_close(dv, want[0])
    assert_close(list(zero), list(want))


def test_non_persistent_tape_answers_once():
    v, u = _variables()
    with lx.GradientTape() as tape:
        tape.watch(v)
    dv, du = tape.gradient(v, [v, u])
    assert_close(dv, np.ones_like(V0))
    assert du is None
    with pytest.raises(RuntimeError, match="non-persistent"):
        tape.gradient(v, [v, u])


def test_inside_the_block_and_after_an_assignment():
    v, u = _variables()
    with lx.GradientTape() as tape:
        y = jnp.sum(v * v)
        v.assign(v * 3.0)
        dv, du = tape.gradient(v, [v, u])  # recording stops here (non-persistent)
    assert_close(dv, np.ones_like(V0))
    assert du is None
    assert_close(y, np.sum(V0 * V0))


@pytest.mark.parametrize("watch", [True, False])
def test_variable_and_a_computed_value_together(watch):
    v, u = _variables()
    with lx.GradientTape(watch_accessed_variables=watch) as tape:
        tape.watch(u)
        loss = jnp.sum(jnp.tanh(v) * 2.0) + jnp.sum(u**2)
    dv, du = tape.gradient([loss, v, v], [v, u])
    if watch:
        fn = lambda a, b: jnp.sum(jnp.tanh(a) * 2.0) + jnp.sum(b**2) + 2 * jnp.sum(a)  # noqa: E731
    else:  # v is not watched: only the two targets that are v itself reach it
        fn = lambda a, b: jnp.sum(b**2) + 2 * jnp.sum(a)  # noqa: E731
    assert_close([dv, du], list(_sum_grads(fn)))


def test_output_gradients_for_a_variable_target():
    v, u = _variables()
    with lx.GradientTape(persistent=True) as tape:
        y = v * u[0]
    weights = np.arange(6, dtype=np.float32).reshape(2, 3)
    dv, du = tape.gradient([y, v], [v, u], output_gradients=[None, weights])
    fn = lambda a, b: jnp.sum(a * b[0]) + jnp.sum(weights * a)  # noqa: E731
    assert_close([dv, du], list(_sum_grads(fn)))
    with lx.GradientTape() as fresh:
        pass
    dv, du = fresh.gradient(v, [v, u], output_gradients=weights)
    assert_close(dv, weights)
    assert du is None


def test_array_target_that_is_a_source():
    x, other = jnp.asarray(V0), jnp.asarray(U0)
    with lx.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = jnp.sum(x * 3.0)
    grads = tape.gradient(x, [x, other], unconnected_gradients="zero")
    assert_close(grads, [np.ones_like(V0), np.zeros_like(U0)])
    dx, dother = tape.gradient([y, other], [x, other])  # `other` was never watched
    assert_close([dx, dother], [np.full_like(V0, 3.0), np.ones_like(U0)])


def test_integer_variable_target_has_no_gradient():
    count = lx.Variable(np.array([1, 2], np.int32))
    with lx.GradientTape() as tape:
        tape.watch(count)
    assert tape.gradient(count, count) is None
