"""Reductions and statistics of `lx.ops` (Keras' numpy family): sums, extrema, moments, quantiles."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from layerax.ops import _sparse
from layerax.ops._common import ArrayLike, axis_arg, dtype_name, strong, tensor, to_float, with_doc

_REDUCE_DOC = """{summary}

Args:
    x: Input tensor.
    axis: Axis or tuple of axes to reduce; `None` reduces all of them.
    keepdims: Whether the reduced axes stay as axes of size 1.

Returns:
    The reduced tensor.

Example:
    >>> from layerax import ops
    >>> ops.{name}({example})
    {output}
"""


def _reduction(name: str, fn: Callable[..., Any], summary: str, example: str,
               output: str) -> Callable[..., jax.Array]:
    def op(x: ArrayLike, axis: Any = None, keepdims: bool = False) -> jax.Array:
        return fn(tensor(x), axis=axis_arg(axis), keepdims=keepdims)

    return with_doc(op, name, _REDUCE_DOC.format(summary=summary, name=name, example=example,
                                                 output=output))


def _low_precision_safe(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Runs `fn` in float32 for float16/bfloat16 inputs and casts back (avoids overflow)."""

    def run(x: jax.Array, axis: Any = None, keepdims: bool = False) -> jax.Array:
        x = to_float(strong(x))
        if x.dtype in (jnp.float16, jnp.bfloat16):
            return fn(x.astype("float32"), axis=axis, keepdims=keepdims).astype(x.dtype)
        return fn(x, axis=axis, keepdims=keepdims)

    return run


_M = "[[1.0, 2.0], [3.0, 4.0]], axis=0"
all = _reduction("all", jnp.all, "Whether all elements along `axis` are true (non-zero).",
                 "[[True, False], [True, True]], axis=0", "Array([ True, False], dtype=bool)")
any = _reduction("any", jnp.any, "Whether any element along `axis` is true (non-zero).",
                 "[[True, False], [False, False]], axis=0",
                 "Array([ True, False], dtype=bool)")
amax = _reduction("amax", jnp.max, "Maximum along `axis`.", _M, "Array([3., 4.], dtype=float32)")
amin = _reduction("amin", jnp.min, "Minimum along `axis`.", _M, "Array([1., 2.], dtype=float32)")
sum = _reduction("sum", jnp.sum, "Sum along `axis`; small integers and booleans sum as int32.",
                 _M, "Array([4., 6.], dtype=float32)")
mean = _reduction("mean", _low_precision_safe(jnp.mean),
                  "Arithmetic mean along `axis`; integers give `floatx()`.", _M,
                  "Array([2., 3.], dtype=float32)")
var = _reduction("var", _low_precision_safe(jnp.var), "Variance along `axis`.", _M,
                 "Array([1., 1.], dtype=float32)")
std = _reduction("std", _low_precision_safe(jnp.std), "Standard deviation along `axis`.", _M,
                 "Array([1., 1.], dtype=float32)")
median = _reduction("median", lambda x, **kw: jnp.median(to_float(strong(x)), **kw),
                    "Median along `axis`.", "[[1.0, 2.0], [3.0, 5.0]], axis=1",
                    "Array([1.5, 4. ], dtype=float32)")
ptp = _reduction("ptp", jnp.ptp, "Peak to peak (maximum minus minimum) along `axis`.", _M,
                 "Array([2., 2.], dtype=float32)")
nanmax = _reduction("nanmax", jnp.nanmax, "Maximum along `axis`, ignoring NaNs.",
                    "[1.0, float('nan'), 3.0]", "Array(3., dtype=float32)")
nanmin = _reduction("nanmin", jnp.nanmin, "Minimum along `axis`, ignoring NaNs.",
                    "[1.0, float('nan'), 3.0]", "Array(1., dtype=float32)")
nansum = _reduction("nansum", jnp.nansum, "Sum along `axis`, treating NaNs as zero.",
                    "[1.0, float('nan'), 3.0]", "Array(4., dtype=float32)")
nanprod = _reduction("nanprod", jnp.nanprod, "Product along `axis`, treating NaNs as one.",
                     "[2.0, float('nan'), 3.0]", "Array(6., dtype=float32)")
nanmean = _reduction("nanmean", jnp.nanmean, "Mean along `axis`, ignoring NaNs.",
                     "[1.0, float('nan'), 3.0]", "Array(2., dtype=float32)")
nanvar = _reduction("nanvar", jnp.nanvar, "Variance along `axis`, ignoring NaNs.",
                    "[1.0, float('nan'), 3.0]", "Array(1., dtype=float32)")
nanstd = _reduction("nanstd", jnp.nanstd, "Standard deviation along `axis`, ignoring NaNs.",
                    "[1.0, float('nan'), 3.0]", "Array(1., dtype=float32)")
nanmedian = _reduction("nanmedian", jnp.nanmedian, "Median along `axis`, ignoring NaNs.",
                       "[1.0, float('nan'), 3.0]", "Array(2., dtype=float32)")
argmax = _reduction("argmax", jnp.argmax, "Index of the maximum along `axis` (flat if `None`).",
                    _M, "Array([1, 1], dtype=int32)")
argmin = _reduction("argmin", jnp.argmin, "Index of the minimum along `axis` (flat if `None`).",
                    _M, "Array([0, 0], dtype=int32)")
nanargmax = _reduction("nanargmax", jnp.nanargmax, "Index of the maximum, ignoring NaNs.",
                       "[1.0, float('nan'), 3.0]", "Array(2, dtype=int32)")
nanargmin = _reduction("nanargmin", jnp.nanargmin, "Index of the minimum, ignoring NaNs.",
                       "[1.0, float('nan'), 3.0]", "Array(0, dtype=int32)")


def max(x: ArrayLike, axis: Any = None, keepdims: bool = False,
        initial: ArrayLike | None = None) -> jax.Array:
    """Maximum along `axis`.

    Args:
        x: Input tensor.
        axis: Axis or tuple of axes to reduce; `None` reduces all of them.
        keepdims: Whether the reduced axes stay as axes of size 1.
        initial: Lower bound of the result (needed for empty inputs).

    Returns:
        The reduced tensor.

    Example:
        >>> from layerax import ops
        >>> ops.max([[1, 5], [3, 2]], axis=1)
        Array([5, 3], dtype=int32)
    """
    return jnp.max(tensor(x), axis=axis_arg(axis), keepdims=keepdims, initial=initial)


def min(x: ArrayLike, axis: Any = None, keepdims: bool = False,
        initial: ArrayLike | None = None) -> jax.Array:
    """Minimum along `axis`.

    Args:
        x: Input tensor.
        axis: Axis or tuple of axes to reduce; `None` reduces all of them.
        keepdims: Whether the reduced axes stay as axes of size 1.
        initial: Upper bound of the result (needed for empty inputs).

    Returns:
        The reduced tensor.

    Example:
        >>> from layerax import ops
        >>> ops.min([[1, 5], [3, 2]], axis=1)
        Array([1, 2], dtype=int32)
    """
    return jnp.min(tensor(x), axis=axis_arg(axis), keepdims=keepdims, initial=initial)


def prod(x: ArrayLike, axis: Any = None, keepdims: bool = False, dtype: Any = None) -> jax.Array:
    """Product along `axis`.

    Args:
        x: Input tensor.
        axis: Axis or tuple of axes to reduce; `None` reduces all of them.
        keepdims: Whether the reduced axes stay as axes of size 1.
        dtype: Dtype of the result (default: as numpy, small integers become int32).

    Returns:
        The reduced tensor.

    Example:
        >>> from layerax import ops
        >>> ops.prod([[1.0, 2.0], [3.0, 4.0]], axis=1)
        Array([ 2., 12.], dtype=float32)
    """
    return jnp.prod(tensor(x), axis=axis_arg(axis), keepdims=keepdims, dtype=dtype_name(dtype))


def count_nonzero(x: ArrayLike, axis: Any = None) -> jax.Array:
    """Number of non-zero elements along `axis`.

    Args:
        x: Input tensor.
        axis: Axis or tuple of axes to count along; `None` counts all elements.

    Returns:
        An int32 tensor.

    Example:
        >>> from layerax import ops
        >>> ops.count_nonzero([[0, 1], [2, 3]], axis=0)
        Array([1, 2], dtype=int32)
    """
    return jnp.count_nonzero(tensor(x), axis=axis_arg(axis))


def _cumulative(name: str, fn: Callable[..., Any], summary: str, example: str,
                output: str) -> Callable[..., jax.Array]:
    def op(x: ArrayLike, axis: int | None = None, dtype: Any = None) -> jax.Array:
        return fn(tensor(x), axis=axis, dtype=dtype_name(dtype))

    doc = f"""{summary}

    Args:
        x: Input tensor.
        axis: Axis to accumulate along; `None` flattens `x` first.
        dtype: Dtype of the result (default: that of `x`, small integers become int32).

    Returns:
        A tensor of the shape of `x` (flat if `axis` is `None`).

    Example:
        >>> from layerax import ops
        >>> ops.{name}({example})
        {output}
    """
    return with_doc(op, name, doc)


cumsum = _cumulative("cumsum", jnp.cumsum, "Cumulative sum along `axis`.", "[1, 2, 3]",
                     "Array([1, 3, 6], dtype=int32)")
cumprod = _cumulative("cumprod", jnp.cumprod, "Cumulative product along `axis`.", "[1, 2, 3]",
                      "Array([1, 2, 6], dtype=int32)")
nancumsum = _cumulative("nancumsum", jnp.nancumsum,
                        "Cumulative sum along `axis`, treating NaNs as zero.",
                        "[1.0, float('nan'), 3.0]", "Array([1., 1., 4.], dtype=float32)")
nancumprod = _cumulative("nancumprod", jnp.nancumprod,
                         "Cumulative product along `axis`, treating NaNs as one.",
                         "[2.0, float('nan'), 3.0]", "Array([2., 2., 6.], dtype=float32)")


def average(x: ArrayLike, axis: Any = None, weights: ArrayLike | None = None) -> jax.Array:
    """Weighted average along `axis`.

    Args:
        x: Input tensor.
        axis: Axis or tuple of axes to average over; `None` averages all elements.
        weights: Weights broadcastable to `x` (or 1-D along `axis`); `None` weighs equally.

    Returns:
        A floating tensor.

    Example:
        >>> from layerax import ops
        >>> ops.average([1.0, 2.0, 4.0], weights=[1.0, 1.0, 2.0])
        Array(2.75, dtype=float32)
    """
    x = to_float(strong(x))
    if weights is None:
        return jnp.average(x, axis=axis)
    weights = to_float(strong(weights))
    dtype = jnp.result_type(x.dtype, weights.dtype)
    return jnp.average(x.astype(dtype), axis=axis, weights=weights.astype(dtype))


def _quantile_doc(name: str, summary: str, q_text: str, example: str, output: str) -> str:
    return f"""{summary}

    Args:
        x: Input tensor.
        q: {q_text}
        axis: Axis or tuple of axes to compute along; `None` uses all elements.
        method: `"linear"`, `"lower"`, `"higher"`, `"midpoint"` or `"nearest"`.
        keepdims: Whether the reduced axes stay as axes of size 1.

    Returns:
        A tensor with the axes of `q` first, then the remaining axes of `x`.

    Example:
        >>> from layerax import ops
        >>> ops.{name}({example})
        {output}
    """


def _quantile_op(name: str, fn: Callable[..., Any], summary: str, q_text: str, example: str,
                 output: str) -> Callable[..., jax.Array]:
    def op(x: ArrayLike, q: ArrayLike, axis: Any = None, method: str = "linear",
           keepdims: bool = False) -> jax.Array:
        return fn(to_float(strong(x)), tensor(q), axis=axis_arg(axis), method=method,
                  keepdims=keepdims)

    return with_doc(op, name, _quantile_doc(name, summary, q_text, example, output))


_Q = "quantile(s) in [0, 1]."
_P = "percentile(s) in [0, 100]."
quantile = _quantile_op("quantile", jnp.quantile, "The `q`-th quantile(s) along `axis`.", _Q,
                        "[1.0, 2.0, 3.0, 4.0], 0.5", "Array(2.5, dtype=float32)")
nanquantile = _quantile_op("nanquantile", jnp.nanquantile,
                           "The `q`-th quantile(s) along `axis`, ignoring NaNs.", _Q,
                           "[1.0, float('nan'), 3.0], 0.5", "Array(2., dtype=float32)")
percentile = _quantile_op("percentile", jnp.percentile,
                          "The `q`-th percentile(s) along `axis`.", _P,
                          "[1.0, 2.0, 3.0, 4.0], 50", "Array(2.5, dtype=float32)")
nanpercentile = _quantile_op("nanpercentile", jnp.nanpercentile,
                             "The `q`-th percentile(s) along `axis`, ignoring NaNs.", _P,
                             "[1.0, float('nan'), 3.0], 50", "Array(2., dtype=float32)")


def bincount(x: ArrayLike, weights: ArrayLike | None = None, minlength: int = 0,
             sparse: bool = False) -> jax.Array | _sparse.BCOO:
    """Counts occurrences of each non-negative integer (per row for 2-D inputs).

    The length of the result is `max(max(x) + 1, minlength)`, which depends on the values of
    `x`: like Keras' JAX backend, this op cannot run under `jax.jit` with a traced `x`.

    Args:
        x: 1-D or 2-D tensor of non-negative integers, or a `jax.experimental.sparse.BCOO`
            (its stored values are counted, per row for a 2-D one; implicit zeros are not).
        weights: Optional weights of the shape of `x` (a BCOO with the indices of `x` if `x`
            is one); the result then sums them.
        minlength: Minimum number of bins.
        sparse: Whether to return a BCOO (one unsummed entry per counted value, as in Keras'
            JAX backend). A BCOO `x` always gives one.

    Returns:
        The counts (int32, or the dtype of `weights`), one row per input row for 2-D `x`.

    Example:
        >>> from layerax import ops
        >>> ops.bincount([0, 1, 1, 3])
        Array([1, 2, 0, 1], dtype=int32)
        >>> ops.bincount([0, 1, 1, 3], sparse=True).todense()
        Array([1, 2, 0, 1], dtype=int32)
    """
    rows, num_rows = None, 0
    if _sparse.is_sparse(x):
        x, weights, rows, num_rows = _stored_values(x, weights)
        sparse = True
    x = strong(x)
    if x.ndim not in (1, 2):
        raise ValueError(f"bincount expects a 1-D or 2-D input. Received: x.shape={x.shape}.")
    length = int(jnp.maximum(jnp.max(x) + 1, minlength)) if x.size else minlength
    weights = None if weights is None else strong(weights)
    if sparse:
        dtype = jnp.int32 if weights is None else weights.dtype
        return _sparse.bincount(x, weights, length, dtype, rows, num_rows)
    if x.ndim == 1:
        return jnp.bincount(x, weights=weights, minlength=minlength, length=length)
    if weights is None:
        return jax.vmap(lambda row: jnp.bincount(row, length=length))(x)
    return jax.vmap(lambda row, w: jnp.bincount(row, weights=w, length=length))(x, weights)


def _stored_values(x: _sparse.BCOO, weights: Any) -> tuple[Any, Any, Any, int]:
    """The stored values of a BCOO `x` (and of `weights`), with their rows if `x` is 2-D."""
    if x.ndim not in (1, 2) or x.n_batch or x.n_dense:
        raise ValueError("bincount expects a 1-D or 2-D BCOO without batch or dense axes. "
                         f"Received: shape={x.shape}, n_batch={x.n_batch}, "
                         f"n_dense={x.n_dense}. Use `x.todense()` or `bcoo_update_layout`.")
    if weights is not None:
        if not _sparse.is_sparse(weights) or weights.indices.shape != x.indices.shape or (
                not bool(jnp.all(weights.indices == x.indices))):
            raise ValueError("bincount: with a sparse `x`, `weights` must be a BCOO with the "
                             "same indices as `x`. Received: weights of type "
                             f"{type(weights).__name__}.")
        weights = weights.data
    # Padding entries (indices out of bounds) count nothing, as a negative value.
    stored = jnp.all(x.indices < jnp.asarray(x.shape), axis=1)
    values = jnp.where(stored, x.data, -1)
    rows = x.indices[:, 0] if x.ndim == 2 else None
    return values, weights, rows, x.shape[0] if x.ndim == 2 else 0


def histogram(x: ArrayLike, bins: int = 10, range: tuple[float, float] | None = None,
              ) -> tuple[jax.Array, jax.Array]:
    """Histogram of a 1-D tensor.

    Args:
        x: 1-D input tensor.
        bins: Number of equal-width bins.
        range: `(min, max)` of the bins; default: the range of `x`.

    Returns:
        `(counts, bin_edges)`: `bins` counts and `bins + 1` edges.

    Example:
        >>> from layerax import ops
        >>> counts, edges = ops.histogram([0.0, 1.0, 1.0, 3.0], bins=3)
        >>> counts
        Array([1., 2., 1.], dtype=float32)
    """
    x = strong(x)
    if x.ndim != 1:
        raise ValueError(f"histogram expects a 1-D input. Received: x.shape={x.shape}. "
                         "Flatten it first (ops.ravel).")
    if not isinstance(bins, int) or bins <= 0:
        raise ValueError(f"histogram: `bins` must be a positive integer. Received: bins={bins}.")
    return jnp.histogram(x, bins=bins, range=range)


def corrcoef(x: ArrayLike) -> jax.Array:
    """Pearson correlation coefficients of the rows of `x` (variables in rows).

    Args:
        x: 1-D or 2-D tensor; each row is a variable, each column an observation.

    Returns:
        The correlation matrix (a floating tensor).

    Example:
        >>> from layerax import ops
        >>> ops.corrcoef([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0]])
        Array([[1., 1.],
               [1., 1.]], dtype=float32)
    """
    return jnp.corrcoef(to_float(strong(x)))


def trace(x: ArrayLike, offset: int = 0, axis1: int = 0, axis2: int = 1) -> jax.Array:
    """Sum along a diagonal.

    Args:
        x: Tensor of rank >= 2.
        offset: Diagonal offset (positive: above the main diagonal).
        axis1: First axis of the 2-D sub-arrays.
        axis2: Second axis of the 2-D sub-arrays.

    Returns:
        The diagonal sums (small integers and booleans sum as int32).

    Example:
        >>> from layerax import ops
        >>> ops.trace([[1, 2], [3, 4]])
        Array(5, dtype=int32)
    """
    return jnp.trace(tensor(x), offset=offset, axis1=axis1, axis2=axis2)


def trapezoid(y: ArrayLike, x: ArrayLike | None = None, dx: float = 1.0,
              axis: int = -1) -> jax.Array:
    """Integrates `y` along `axis` with the trapezoidal rule.

    Args:
        y: Values to integrate.
        x: Sample points (default: spaced by `dx`).
        dx: Spacing of the sample points when `x` is None.
        axis: Axis to integrate along.

    Returns:
        The integral (a floating tensor).

    Example:
        >>> from layerax import ops
        >>> ops.trapezoid([1.0, 2.0, 3.0])
        Array(4., dtype=float32)
    """
    y = to_float(strong(y))
    x = None if x is None else strong(x)
    return jnp.trapezoid(y, x, dx=dx, axis=axis)


def isclose(x1: ArrayLike, x2: ArrayLike, rtol: float = 1e-5, atol: float = 1e-8,
            equal_nan: bool = False) -> jax.Array:
    """Whether `|x1 - x2| <= atol + rtol * |x2|`, element-wise.

    Args:
        x1: First input tensor.
        x2: Second input tensor.
        rtol: Relative tolerance.
        atol: Absolute tolerance.
        equal_nan: Whether NaNs compare equal.

    Returns:
        A boolean tensor.

    Example:
        >>> from layerax import ops
        >>> ops.isclose([1.0, 2.0], [1.0, 2.1])
        Array([ True, False], dtype=bool)
    """
    return jnp.isclose(tensor(x1), tensor(x2), rtol=rtol, atol=atol, equal_nan=equal_nan)


def allclose(x1: ArrayLike, x2: ArrayLike, rtol: float = 1e-5, atol: float = 1e-8,
             equal_nan: bool = False) -> jax.Array:
    """Whether all elements of `x1` and `x2` are close (see `isclose`).

    Args:
        x1: First input tensor.
        x2: Second input tensor.
        rtol: Relative tolerance.
        atol: Absolute tolerance.
        equal_nan: Whether NaNs compare equal.

    Returns:
        A boolean scalar tensor.

    Example:
        >>> from layerax import ops
        >>> ops.allclose([1.0, 2.0], [1.0, 2.0000001])
        Array(True, dtype=bool)
    """
    return jnp.allclose(tensor(x1), tensor(x2), rtol=rtol, atol=atol, equal_nan=equal_nan)




__all__ = [
    "all", "allclose", "amax", "amin", "any", "argmax", "argmin", "average", "bincount",
    "corrcoef", "count_nonzero", "cumprod", "cumsum", "histogram", "isclose", "max", "mean",
    "median", "min", "nanargmax", "nanargmin", "nancumprod", "nancumsum", "nanmax", "nanmean",
    "nanmedian", "nanmin", "nanpercentile", "nanprod", "nanquantile", "nanstd", "nansum",
    "nanvar", "percentile", "prod", "ptp", "quantile", "std", "sum", "trace", "trapezoid", "var",
]
