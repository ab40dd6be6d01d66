"""Shared harness of the ops parity tests: layerax op vs Keras 3 (JAX backend) as oracle."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

TOLS = {"float64": 1e-9, "float32": 1e-5, "float16": 2e-3, "bfloat16": 2e-2}


@dataclasses.dataclass
class Case:
    """One call: positional array arguments, static keyword arguments, what to check."""

    name: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any] = dataclasses.field(default_factory=dict)
    grad: tuple[int, ...] = (0,)  # positional args differentiated (empty: not differentiable)
    rtol: float | None = None
    atol: float | None = None
    jit: bool = True
    id: str = ""

    def __str__(self) -> str:
        return f"{self.name}-{self.id}" if self.id else self.name


def rand(shape: Any, dtype: str = "float32", low: float = -2.0, high: float = 2.0,
         seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed + hash(tuple(np.atleast_1d(shape))) % 1000)
    if np.issubdtype(np.dtype(dtype), np.integer):
        return rng.integers(int(low), int(high), size=shape).astype(dtype)
    x = rng.uniform(low, high, size=shape)
    return jnp.asarray(x, dtype) if dtype == "bfloat16" else x.astype(dtype)


def _tol(x: Any) -> float:
    name = jnp.dtype(getattr(x, "dtype", np.float32)).name
    return TOLS.get(name.replace("complex64", "float32").replace("complex128", "float64"), 1e-5)


def assert_close(got: Any, want: Any, rtol: float | None = None, atol: float | None = None,
                 what: str = "value", check_dtype: bool = True) -> None:
    got_leaves, got_tree = jax.tree_util.tree_flatten(got)
    want_leaves, want_tree = jax.tree_util.tree_flatten(want)
    assert got_tree == want_tree, f"{what}: structure {got_tree} != {want_tree}"
    for g, w in zip(got_leaves, want_leaves):
        g, w = jnp.asarray(g), jnp.asarray(w)
        assert g.shape == w.shape, f"{what}: shape {g.shape} != {w.shape}"
        if check_dtype:
            assert g.dtype == w.dtype, f"{what}: dtype {g.dtype} != {w.dtype}"
        tol = _tol(w)
        r = tol if rtol is None else rtol
        a = tol if atol is None else atol
        np.testing.assert_allclose(np.asarray(g.astype(jnp.promote_types(g.dtype, np.float32))),
                                   np.asarray(w.astype(jnp.promote_types(w.dtype, np.float32))),
                                   rtol=r, atol=a, err_msg=what)


def _scalar_sum(out: Any) -> jax.Array:
    total = 0.0
    for leaf in jax.tree_util.tree_leaves(out):
        leaf = jnp.asarray(leaf)
        if jnp.issubdtype(leaf.dtype, jnp.complexfloating):
            leaf = jnp.real(leaf) + 0.5 * jnp.imag(leaf)
        if jnp.issubdtype(leaf.dtype, jnp.inexact):
            total = total + jnp.sum(leaf.astype(jnp.float32))
    return total


def _array_positions(args: tuple[Any, ...]) -> list[int]:
    return [i for i, a in enumerate(args) if isinstance(a, (np.ndarray, jax.Array))]


def _jitted(fn: Callable[..., Any], case: Case) -> Callable[[], Any]:
    """`fn(*case.args, **case.kwargs)` as one compiled program over the array arguments."""
    where = _array_positions(case.args)

    def traced(*xs: Any) -> Any:
        full = list(case.args)
        for i, x in zip(where, xs):
            full[i] = x
        return fn(*full, **case.kwargs)

    return lambda: jax.jit(traced)(*[case.args[i] for i in where])


def _grad(fn: Callable[..., Any], case: Case) -> Any:
    args = tuple(jnp.asarray(a) if i in case.grad else a for i, a in enumerate(case.args))
    fixed = {i: a for i, a in enumerate(args) if i not in case.grad}

    def loss(*diff: Any) -> jax.Array:
        full = [None] * len(args)
        for i, a in fixed.items():
            full[i] = a
        for i, d in zip(case.grad, diff):
            full[i] = d
        return _scalar_sum(fn(*full, **case.kwargs))

    # Static (non-array) arguments are closed over; the gradient is one compiled program.
    return jax.jit(jax.grad(loss, argnums=tuple(range(len(case.grad)))))(
        *[args[i] for i in case.grad])


def check_case(case: Case, ours: Callable[..., Any], oracle: Callable[..., Any]) -> None:
    """Values, shapes and dtypes vs the oracle (eager and jit); gradients of the sum match."""
    got = ours(*case.args, **case.kwargs)
    want = _jitted(oracle, case)()
    assert_close(got, want, case.rtol, case.atol, f"{case}: value")
    if case.jit:
        assert_close(_jitted(ours, case)(), got, case.rtol, case.atol, f"{case}: jit")
    if case.grad:
        assert_close(_grad(ours, case), _grad(oracle, case), case.rtol, case.atol,
                     f"{case}: grad")
