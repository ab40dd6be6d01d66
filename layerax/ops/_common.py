"""Argument normalisation shared by the `lx.ops` families (private)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from layerax.config import floatx
from layerax.core.variable import Variable

ArrayLike = Any


def tensor(x: ArrayLike) -> Any:
    """Returns `x` in a form every `jnp` function accepts, keeping Python scalars weakly typed.

    Lists and tuples become arrays, a `Variable` gives its value; arrays, numpy arrays and
    Python scalars go through untouched (so `ops.add(half_precision, 1.0)` stays half).
    """
    if isinstance(x, Variable):
        return x.value
    if isinstance(x, (list, tuple)):
        return jnp.asarray(x)
    return x


def strong(x: ArrayLike) -> jax.Array:
    """Returns `x` as an array; a Python scalar gets its default (not weak) dtype, as in Keras."""
    if isinstance(x, Variable):
        return x.value
    if isinstance(x, jax.Array):
        return x
    if isinstance(x, (bool, int, float, complex)):
        # An explicit dtype makes the array strongly typed, as Keras' convert_to_tensor does.
        return jnp.asarray(x, dtype=jnp.asarray(x).dtype)
    return jnp.asarray(x)


def to_float(x: jax.Array) -> jax.Array:
    """Casts integer and boolean arrays to `floatx()`; floating arrays are returned as they are."""
    if jnp.issubdtype(x.dtype, jnp.inexact):
        return x
    return x.astype(floatx())


def dtype_name(dtype: Any) -> str | None:
    """Standardises a dtype (`"float32"`, `jnp.float32`, `np.dtype`) to its string name."""
    if dtype is None:
        return None
    if isinstance(dtype, str):
        if dtype == "float":
            return floatx()
        if dtype == "int":
            return "int32"
        return np.dtype(dtype).name if dtype != "bfloat16" else dtype
    if dtype is float:
        return floatx()
    if dtype is int:
        return "int32"
    if dtype is bool:
        return "bool"
    return jnp.dtype(dtype).name


def axis_arg(axis: Any) -> Any:
    """jnp wants a hashable axis: lists become tuples."""
    return tuple(axis) if isinstance(axis, list) else axis


def with_doc(fn: Callable[..., Any], name: str, doc: str) -> Callable[..., Any]:
    """Names a generated op after its Keras name and gives it its docstring."""
    fn.__name__ = name
    fn.__qualname__ = name
    fn.__doc__ = doc
    return fn
