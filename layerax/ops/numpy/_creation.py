"""Tensor creation of `lx.ops` (Keras' numpy family): constants, ranges, grids, windows.

Unlike numpy, a missing `dtype` means `floatx()` (not float64) where Keras says so.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from layerax.config import floatx
from layerax.ops._common import ArrayLike, dtype_name, strong, tensor, with_doc

Shape = Any


def _filled(name: str, fn: Callable[..., Any], what: str, output: str) -> Callable[..., jax.Array]:
    def op(shape: Shape, dtype: Any = None) -> jax.Array:
        return fn(shape, dtype=dtype_name(dtype) or floatx())

    doc = f"""Returns a new tensor of the given shape {what}.

    Args:
        shape: Shape of the tensor (an int or a tuple of ints).
        dtype: Dtype of the tensor; default `floatx()`.

    Returns:
        The new tensor.

    Example:
        >>> from layerax import ops
        >>> ops.{name}((2,))
        {output}
    """
    return with_doc(op, name, doc)


def _filled_like(name: str, fn: Callable[..., Any], what: str, example: str,
                 output: str) -> Callable[..., jax.Array]:
    def op(x: ArrayLike, dtype: Any = None) -> jax.Array:
        return fn(tensor(x), dtype=dtype_name(dtype))

    doc = f"""Returns a tensor of the shape (and, by default, the dtype) of `x` {what}.

    Args:
        x: The tensor whose shape and dtype to take.
        dtype: Dtype of the result; default that of `x`.

    Returns:
        The new tensor.

    Example:
        >>> from layerax import ops
        >>> ops.{name}({example})
        {output}
    """
    return with_doc(op, name, doc)


zeros = _filled("zeros", jnp.zeros, "filled with zeros", "Array([0., 0.], dtype=float32)")
ones = _filled("ones", jnp.ones, "filled with ones", "Array([1., 1.], dtype=float32)")
empty = _filled("empty", jnp.empty, "(JAX has no uninitialised memory: filled with zeros)",
                "Array([0., 0.], dtype=float32)")
zeros_like = _filled_like("zeros_like", jnp.zeros_like, "filled with zeros", "[1, 2]",
                          "Array([0, 0], dtype=int32)")
ones_like = _filled_like("ones_like", jnp.ones_like, "filled with ones", "[1, 2]",
                         "Array([1, 1], dtype=int32)")
empty_like = _filled_like("empty_like", jnp.empty_like,
                          "(JAX has no uninitialised memory: filled with zeros)", "[1.0, 2.0]",
                          "Array([0., 0.], dtype=float32)")


def full(shape: Shape, fill_value: ArrayLike, dtype: Any = None) -> jax.Array:
    """Returns a new tensor of the given shape filled with `fill_value`.

    Args:
        shape: Shape of the tensor.
        fill_value: The value (a scalar or a tensor broadcastable to `shape`).
        dtype: Dtype of the tensor; default `floatx()`.

    Returns:
        The new tensor.

    Example:
        >>> from layerax import ops
        >>> ops.full((2,), 7)
        Array([7., 7.], dtype=float32)
    """
    return jnp.full(shape, tensor(fill_value), dtype=dtype_name(dtype) or floatx())


def full_like(x: ArrayLike, fill_value: ArrayLike, dtype: Any = None) -> jax.Array:
    """Returns a tensor of the shape (and, by default, dtype) of `x` filled with `fill_value`.

    Args:
        x: The tensor whose shape and dtype to take.
        fill_value: The value.
        dtype: Dtype of the result; default that of `x`.

    Returns:
        The new tensor.

    Example:
        >>> from layerax import ops
        >>> ops.full_like([1, 2], 5)
        Array([5, 5], dtype=int32)
    """
    return jnp.full_like(tensor(x), tensor(fill_value), dtype=dtype_name(dtype))


def _scalar_dtype(value: Any) -> Any:
    if hasattr(value, "dtype"):
        return value.dtype
    if isinstance(value, bool):
        return jnp.bool_
    if isinstance(value, int):
        return jnp.int32
    return floatx()


def arange(start: ArrayLike, stop: ArrayLike | None = None, step: ArrayLike | None = None,
           dtype: Any = None) -> jax.Array:
    """Evenly spaced values in `[start, stop)`.

    Args:
        start: Start of the range (or its end, from 0, if `stop` is None).
        stop: End of the range (exclusive).
        step: Spacing of the values; default 1.
        dtype: Dtype of the result; default int32 for integer arguments, `floatx()` otherwise.

    Returns:
        A 1-D tensor.

    Example:
        >>> from layerax import ops
        >>> ops.arange(1, 7, 2)
        Array([1, 3, 5], dtype=int32)
    """
    if dtype is None:
        given = [v for v in (start, stop, step) if v is not None]
        dtype = jnp.result_type(*[_scalar_dtype(v) for v in given])
    return jnp.arange(start, stop, step, dtype=dtype_name(dtype))


def _spaced_doc(name: str, summary: str, extra: str, example: str, output: str) -> str:
    return f"""{summary}

    Args:
        start: First value (for `logspace`: `base ** start`).
        stop: Last value (for `logspace`: `base ** stop`).
        num: Number of values.
        endpoint: Whether `stop` is included.{extra}
        dtype: Dtype of the result; default `floatx()` for integer bounds.
        axis: Where the new axis goes when `start`/`stop` are tensors.

    Returns:
        A tensor of `num` values along `axis`.

    Example:
        >>> from layerax import ops
        >>> ops.{name}({example})
        {output}
    """


def linspace(start: ArrayLike, stop: ArrayLike, num: int = 50, endpoint: bool = True,
             retstep: bool = False, dtype: Any = None, axis: int = 0) -> Any:
    return jnp.linspace(tensor(start), tensor(stop), num=num, endpoint=endpoint, retstep=retstep,
                        dtype=dtype_name(dtype), axis=axis)


linspace.__doc__ = _spaced_doc(
    "linspace", "Evenly spaced values over an interval.",
    "\n        retstep: Whether to also return the spacing, as `(values, step)`.",
    "0.0, 1.0, num=5", "Array([0.  , 0.25, 0.5 , 0.75, 1.  ], dtype=float32)")


def logspace(start: ArrayLike, stop: ArrayLike, num: int = 50, endpoint: bool = True,
             base: float = 10, dtype: Any = None, axis: int = 0) -> jax.Array:
    return jnp.logspace(tensor(start), tensor(stop), num=num, endpoint=endpoint, base=base,
                        dtype=dtype_name(dtype), axis=axis)


logspace.__doc__ = _spaced_doc(
    "logspace", "Values evenly spaced on a log scale, `base ** linspace(start, stop)`.",
    "\n        base: Base of the log scale.", "0.0, 2.0, num=3",
    "Array([  1.,  10., 100.], dtype=float32)")


def geomspace(start: ArrayLike, stop: ArrayLike, num: int = 50, endpoint: bool = True,
              dtype: Any = None, axis: int = 0) -> jax.Array:
    return jnp.geomspace(tensor(start), tensor(stop), num=num, endpoint=endpoint,
                         dtype=dtype_name(dtype), axis=axis)


geomspace.__doc__ = _spaced_doc(
    "geomspace", "Values evenly spaced on a log scale between `start` and `stop` (a geometric "
    "progression).", "", "1.0, 100.0, num=3", "Array([  1.,  10., 100.], dtype=float32)")


def eye(N: int, M: int | None = None, k: int = 0, dtype: Any = None) -> jax.Array:
    """A 2-D tensor with ones on the `k`-th diagonal and zeros elsewhere.

    Args:
        N: Number of rows.
        M: Number of columns; default `N`.
        k: Diagonal offset (positive: above the main diagonal).
        dtype: Dtype of the result; default `floatx()`.

    Returns:
        An `(N, M)` tensor.

    Example:
        >>> from layerax import ops
        >>> ops.eye(2)
        Array([[1., 0.],
               [0., 1.]], dtype=float32)
    """
    return jnp.eye(N, M, k=k, dtype=dtype_name(dtype) or floatx())


def identity(n: int, dtype: Any = None) -> jax.Array:
    """The `n x n` identity matrix.

    Args:
        n: Number of rows and columns.
        dtype: Dtype of the result; default `floatx()`.

    Returns:
        An `(n, n)` tensor.

    Example:
        >>> from layerax import ops
        >>> ops.identity(2, dtype="int32")
        Array([[1, 0],
               [0, 1]], dtype=int32)
    """
    return jnp.identity(n, dtype=dtype_name(dtype) or floatx())


def tri(N: int, M: int | None = None, k: int = 0, dtype: Any = None) -> jax.Array:
    """A 2-D tensor with ones at and below the `k`-th diagonal and zeros elsewhere.

    Args:
        N: Number of rows.
        M: Number of columns; default `N`.
        k: Diagonal offset (positive: above the main diagonal).
        dtype: Dtype of the result; default `floatx()`.

    Returns:
        An `(N, M)` tensor.

    Example:
        >>> from layerax import ops
        >>> ops.tri(2)
        Array([[1., 0.],
               [1., 1.]], dtype=float32)
    """
    return jnp.tri(N, M, k=k, dtype=dtype_name(dtype) or floatx())


def meshgrid(*x: ArrayLike, indexing: str = "xy") -> list[jax.Array]:
    """Coordinate matrices from 1-D coordinate vectors.

    Args:
        *x: 1-D tensors of coordinates.
        indexing: `"xy"` (Cartesian) or `"ij"` (matrix) indexing.

    Returns:
        A list of tensors, one per input.

    Example:
        >>> from layerax import ops
        >>> xs, ys = ops.meshgrid([1, 2], [3, 4, 5])
        >>> xs.shape
        (3, 2)
    """
    if indexing not in ("xy", "ij"):
        raise ValueError(f"meshgrid: `indexing` must be 'xy' or 'ij'. Received: indexing={indexing!r}.")
    return jnp.meshgrid(*[tensor(v) for v in x], indexing=indexing)


def _window(name: str, fn: Callable[..., Any], summary: str, output: str) -> Callable[..., jax.Array]:
    def op(x: int) -> jax.Array:
        return fn(x).astype(floatx())

    doc = f"""{summary}

    Args:
        x: Number of points of the window (an int).

    Returns:
        A 1-D `floatx()` tensor of `x` points.

    Example:
        >>> from layerax import ops
        >>> ops.{name}(3)
        {output}
    """
    return with_doc(op, name, doc)


bartlett = _window("bartlett", jnp.bartlett, "The Bartlett (triangular) window.",
                   "Array([0., 1., 0.], dtype=float32)")
blackman = _window("blackman", jnp.blackman, "The Blackman window.",
                   "Array([-1.4901161e-08,  ...e-01, -1.4901161e-08], dtype=float32)")
hamming = _window("hamming", jnp.hamming, "The Hamming window.",
                  "Array([0.08..., 1. ..., 0.08...], dtype=float32)")
hanning = _window("hanning", jnp.hanning, "The Hann window.", "Array([0., 1., 0.], dtype=float32)")


def kaiser(x: int, beta: float) -> jax.Array:
    """The Kaiser window.

    Args:
        x: Number of points of the window (an int).
        beta: Shape parameter of the window.

    Returns:
        A 1-D `floatx()` tensor of `x` points.

    Example:
        >>> from layerax import ops
        >>> ops.kaiser(3, 0.0)
        Array([1., 1., 1.], dtype=float32)
    """
    return jnp.kaiser(x, beta).astype(floatx())


def vander(x: ArrayLike, N: int | None = None, increasing: bool = False) -> jax.Array:
    """The Vandermonde matrix: columns are powers of `x`.

    Args:
        x: 1-D input tensor.
        N: Number of columns; default `len(x)`.
        increasing: Whether the powers increase from left to right.

    Returns:
        A `(len(x), N)` tensor.

    Example:
        >>> from layerax import ops
        >>> ops.vander([2, 3], increasing=True)
        Array([[1, 2],
               [1, 3]], dtype=int32)
    """
    x = strong(x)
    if x.ndim != 1:
        raise ValueError(f"vander expects a 1-D input. Received: x.shape={x.shape}.")
    return jnp.vander(x, N=N, increasing=increasing)


def array(x: ArrayLike, dtype: Any = None) -> jax.Array:
    """Creates a tensor from `x` (a copy).

    Args:
        x: Array-like input (nested lists, numpy arrays, tensors, scalars).
        dtype: Dtype of the result; default inferred (Python floats give float32).

    Returns:
        A new tensor.

    Example:
        >>> from layerax import ops
        >>> ops.array([[1, 2], [3, 4]], dtype="float32")
        Array([[1., 2.],
               [3., 4.]], dtype=float32)
    """
    return jnp.array(tensor(x), dtype=dtype_name(dtype))


__all__ = [
    "arange", "array", "bartlett", "blackman", "empty", "empty_like", "eye", "full", "full_like",
    "geomspace", "hamming", "hanning", "identity", "kaiser", "linspace", "logspace", "meshgrid",
    "ones", "ones_like", "tri", "vander", "zeros", "zeros_like",
]
