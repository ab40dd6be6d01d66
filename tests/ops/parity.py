"""Table-driven parity of `lx.ops` with `keras.ops` (JAX backend, test-only oracle).

A `Spec` says how to make the arguments of one op for a dtype and a shape and which keyword
variants to try; `check_parity` compares values, shapes and dtypes with Keras for every
combination (see `combinations`; all but the first compiled with `jax.jit`, both ops in
one program), then on the first one the result under `jax.jit`, the float32
gradient of the summed outputs (against `jax.grad` through the Keras op), and the result with
the first array argument given as an `lx.Variable`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import ml_dtypes
import numpy as np

import layerax as lx
from tests.helpers import keras

Maker = Callable[[np.random.Generator, str, tuple[int, ...]], tuple[Any, ...]]

FLOAT_INT = ("float32", "int32")
FLOATS = ("float32", "float16")
FLOAT_INT_BOOL = ("float32", "int32", "bool")
SHAPES = ((5,), (2, 3))


@dataclasses.dataclass(frozen=True)
class Spec:
    """How to test one op: argument maker, dtypes, shapes and keyword variants."""

    make: Maker
    dtypes: Sequence[str] = FLOAT_INT
    shapes: Sequence[tuple[int, ...]] = SHAPES
    kwargs: Sequence[dict[str, Any]] = ({},)
    grad: bool = True
    jit: bool = True
    variable: bool = True
    rtol: float = 1e-5
    atol: float = 1e-5


def values(rng: np.random.Generator, shape: tuple[int, ...], dtype: str,
           domain: str = "any") -> np.ndarray:
    """Random values of `dtype` in a domain where the op is defined (and not too close to edges)."""
    if dtype == "bool":
        return rng.random(shape) > 0.5
    if "int" in dtype:
        low, high = {"any": (-5, 6), "pos": (1, 6), "unit": (0, 1), "ge1": (1, 6),
                     "nonneg": (0, 6)}[domain]
        if dtype.startswith("uint"):
            low = builtins_max(low, 0)
        return rng.integers(low, high, size=shape).astype(dtype)
    low, high = {"any": (-2.0, 2.0), "pos": (0.5, 2.0), "unit": (-0.9, 0.9), "ge1": (1.1, 3.0),
                 "nonneg": (0.0, 3.0)}[domain]
    np_dtype = ml_dtypes.bfloat16 if dtype == "bfloat16" else dtype
    return rng.uniform(low, high, size=shape).astype(np_dtype)


builtins_max = max


def unary(domain: str = "any", **spec: Any) -> Spec:
    return Spec(make=lambda r, d, s: (values(r, s, d, domain),), **spec)


def binary(domain: str = "any", second: str | None = None, scalar: Any = None, **spec: Any) -> Spec:
    """Two arrays of the same shape, and (if `scalar` is given) an array with a Python scalar."""
    def make(r: np.random.Generator, d: str, s: tuple[int, ...]) -> tuple[Any, ...]:
        if scalar is not None and s == spec.get("shapes", SHAPES)[-1]:
            return values(r, s, d, domain), scalar
        return values(r, s, d, domain), values(r, s, d, second or domain)

    return Spec(make=make, **spec)


def _tolerance(dtype: str, spec: Spec) -> tuple[float, float]:
    if dtype in ("float16", "bfloat16"):
        return builtins_max(spec.rtol, 2e-2), builtins_max(spec.atol, 2e-2)
    return spec.rtol, spec.atol


def _leaves(x: Any) -> list[Any]:
    return jax.tree_util.tree_leaves(x, is_leaf=lambda v: v is None)


def assert_same(actual: Any, expected: Any, rtol: float, atol: float, where: str) -> None:
    """Same structure, and per leaf the same shape, dtype and values (NaNs equal)."""
    a_leaves, e_leaves = _leaves(actual), _leaves(expected)
    assert len(a_leaves) == len(e_leaves), f"{where}: {len(a_leaves)} outputs vs {len(e_leaves)}"
    for a, e in zip(a_leaves, e_leaves):
        if not hasattr(e, "dtype") and not hasattr(a, "dtype"):
            assert a == e, f"{where}: {a!r} != {e!r}"
            continue
        a_arr, e_arr = np.asarray(a), np.asarray(e)
        assert a_arr.shape == e_arr.shape, f"{where}: shape {a_arr.shape} != Keras {e_arr.shape}"
        assert str(jnp.asarray(a).dtype) == str(jnp.asarray(e).dtype), (
            f"{where}: dtype {jnp.asarray(a).dtype} != Keras {jnp.asarray(e).dtype}")
        if a_arr.dtype.kind in "biu":
            np.testing.assert_array_equal(a_arr, e_arr, err_msg=where)
        else:
            np.testing.assert_allclose(a_arr.astype(np.complex128 if a_arr.dtype.kind == "c"
                                                    else np.float64),
                                       e_arr.astype(np.complex128 if e_arr.dtype.kind == "c"
                                                    else np.float64),
                                       rtol=rtol, atol=atol, equal_nan=True, err_msg=where)


def _is_array(x: Any) -> bool:
    return isinstance(x, (np.ndarray, jax.Array))


def _with(args: tuple[Any, ...], positions: list[int], arrays: tuple[Any, ...]) -> list[Any]:
    full = list(args)
    for i, value in zip(positions, arrays):
        full[i] = value
    return full


def _summed(fn: Callable[..., Any], args: tuple[Any, ...], positions: list[int],
            kwargs: dict[str, Any]) -> Callable[..., Any]:
    """The sum of the floating outputs of `fn`, as a function of the arrays at `positions`."""
    def loss(*arrays: Any) -> Any:
        outs = [o for o in _leaves(fn(*_with(args, positions, arrays), **kwargs))
                if hasattr(o, "dtype") and jnp.issubdtype(o.dtype, jnp.floating)]
        return sum(jnp.sum(o.astype("float32")) for o in outs)

    return loss


def check_parity(name: str, spec: Spec, module: Any) -> None:
    """Compares `lx.ops.<name>` with `keras.ops.<name>` over the spec's combinations."""
    ours, theirs = getattr(module, name), getattr(keras().ops, name)
    rng = np.random.default_rng(sum(map(ord, name)))
    first = (spec.dtypes[0], spec.shapes[0], spec.kwargs[0])
    for dtype, shape, kwargs in combinations(spec):
        args = spec.make(rng, dtype, shape)
        where = f"{name}(dtype={dtype}, shape={shape}, kwargs={kwargs})"
        rtol, atol = _tolerance(dtype, spec)
        positions = [i for i, a in enumerate(args) if _is_array(a)]
        if (dtype, shape, kwargs) == first or not (spec.jit and positions):
            expected = theirs(*args, **kwargs)
            assert_same(ours(*args, **kwargs), expected, rtol, atol, where)
            if (dtype, shape, kwargs) == first:
                _check_transforms(spec, ours, theirs, args, kwargs, expected, where)
            continue
        # The other combinations run both ops in one compiled program: compiling the eager
        # primitives one by one would cost several times more.
        def both(*arrays: Any, args: Any = args, kwargs: Any = kwargs,
                 positions: Any = positions) -> Any:
            full = _with(args, positions, arrays)
            return ours(*full, **kwargs), theirs(*full, **kwargs)

        got, expected = jax.jit(both)(*[jnp.asarray(args[i]) for i in positions])
        assert_same(got, expected, rtol, atol, f"jit {where}")


def combinations(spec: Spec) -> list[tuple[str, tuple[int, ...], dict[str, Any]]]:
    """Every keyword variant on the first dtype and shape, then every other shape and every
    other dtype with the first variant (a full product would cost minutes of compiling)."""
    dtype, shape = spec.dtypes[0], spec.shapes[0]
    out = [(dtype, shape, kw) for kw in spec.kwargs]
    out += [(dtype, s, spec.kwargs[0]) for s in spec.shapes[1:]]
    out += [(d, spec.shapes[-1], spec.kwargs[0]) for d in spec.dtypes[1:]]
    return out


def _check_transforms(spec: Spec, ours: Callable[..., Any], theirs: Callable[..., Any],
                      args: tuple[Any, ...], kwargs: dict[str, Any], expected: Any,
                      where: str) -> None:
    """jit (with the gradient in the same compiled program), Variables, gradients vs Keras."""
    positions = [i for i, a in enumerate(args) if _is_array(a)]
    if not positions:
        return
    arrays = tuple(jnp.asarray(args[i]) for i in positions)
    if spec.variable:
        full = _with(args, positions[:1], (lx.Variable(arrays[0], trainable=False),))
        assert_same(ours(*full, **kwargs), expected, spec.rtol, spec.atol, f"Variable {where}")
    float_outputs = [o for o in _leaves(expected)
                     if hasattr(o, "dtype") and jnp.issubdtype(o.dtype, jnp.floating)]
    argnums = tuple(k for k, a in enumerate(arrays) if a.dtype == jnp.float32)
    with_grad = spec.grad and bool(argnums) and bool(float_outputs)
    if not (spec.jit or with_grad):
        return

    def run(*arrays: Any) -> Any:
        out = ours(*_with(args, positions, arrays), **kwargs) if spec.jit else None
        if not with_grad:
            return out, None, None
        return (out, jax.grad(_summed(ours, args, positions, kwargs), argnums)(*arrays),
                jax.grad(_summed(theirs, args, positions, kwargs), argnums)(*arrays))

    out, grads, want = (jax.jit(run) if spec.jit else run)(*arrays)
    if spec.jit:
        assert_same(out, expected, spec.rtol, spec.atol, f"jit {where}")
    if with_grad:
        assert_same(grads, want, 1e-4, 1e-5, f"grad {where}")
