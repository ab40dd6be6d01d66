"""Indexing, selection, sorting and searching of `lx.ops` (Keras' numpy family)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp

from layerax.ops._common import ArrayLike, strong, tensor


def get_item(x: ArrayLike, key: Any) -> jax.Array:
    """`x[key]`: numpy-style basic and advanced indexing.

    Args:
        x: Input tensor.
        key: An int, slice, `None`, `Ellipsis`, boolean/integer tensor, or a tuple of those.

    Returns:
        The indexed tensor.

    Example:
        >>> from layerax import ops
        >>> ops.get_item([[1, 2], [3, 4]], (1, slice(None)))
        Array([3, 4], dtype=int32)
    """
    if isinstance(key, list):
        key = jnp.asarray(key)
    return strong(x)[key]


def take(x: ArrayLike, indices: ArrayLike, axis: int | None = None) -> jax.Array:
    """Takes elements of `x` at `indices` along `axis` (of the flattened `x` if `axis` is None).

    Negative indices count from the end.

    Args:
        x: Input tensor.
        indices: Integer tensor of indices.
        axis: Axis to take along.

    Returns:
        A tensor of shape `x.shape[:axis] + indices.shape + x.shape[axis + 1:]`.

    Example:
        >>> from layerax import ops
        >>> ops.take([[1, 2], [3, 4]], [1, 0], axis=1)
        Array([[2, 1],
               [4, 3]], dtype=int32)
    """
    return jnp.take(tensor(x), strong(indices), axis=axis)


def take_along_axis(x: ArrayLike, indices: ArrayLike, axis: int | None = None) -> jax.Array:
    """Takes values of `x` at `indices` matched along `axis` (as from `argsort`).

    Args:
        x: Input tensor.
        indices: Integer tensor broadcastable with `x` except along `axis`.
        axis: Axis to take along; `None` uses the flattened `x` (and 1-D `indices`).

    Returns:
        The taken values.

    Example:
        >>> from layerax import ops
        >>> x = ops.array([[3, 1], [2, 4]])
        >>> ops.take_along_axis(x, ops.argsort(x, axis=1), axis=1)
        Array([[1, 3],
               [2, 4]], dtype=int32)
    """
    return jnp.take_along_axis(tensor(x), strong(indices), axis=axis)


def where(condition: ArrayLike, x1: ArrayLike | None = None,
          x2: ArrayLike | None = None) -> Any:
    """Chooses `x1` where `condition` is true and `x2` elsewhere.

    With only `condition`, returns the indices of its non-zero elements (as `nonzero`).

    Args:
        condition: Boolean tensor.
        x1: Values where `condition` is true.
        x2: Values where `condition` is false.

    Returns:
        A tensor of the broadcast shape, or a tuple of index tensors.

    Example:
        >>> from layerax import ops
        >>> ops.where([True, False], [1.0, 2.0], 0.0)
        Array([1., 0.], dtype=float32)
    """
    if x1 is None and x2 is None:
        return nonzero(condition)
    if x1 is None or x2 is None:
        raise ValueError("where: give both `x1` and `x2`, or neither (to get the indices of "
                         f"the true elements). Received: x1={x1!r}, x2={x2!r}.")
    return jnp.where(tensor(condition), tensor(x1), tensor(x2))


def select(condlist: Sequence[ArrayLike], choicelist: Sequence[ArrayLike],
           default: ArrayLike = 0) -> jax.Array:
    """Takes each element from the first choice whose condition holds, else `default`.

    Args:
        condlist: List of boolean tensors.
        choicelist: List of tensors, one per condition.
        default: Value where no condition holds.

    Returns:
        A tensor of the broadcast shape.

    Example:
        >>> from layerax import ops
        >>> x = ops.array([-1, 0, 2])
        >>> ops.select([x < 0, x > 0], [-x, x * 10], default=7)
        Array([ 1,  7, 20], dtype=int32)
    """
    if not isinstance(condlist, (list, tuple)) or not isinstance(choicelist, (list, tuple)):
        raise TypeError("select expects lists of tensors for `condlist` and `choicelist`. "
                        f"Received: {type(condlist).__name__} and {type(choicelist).__name__}.")
    if len(condlist) != len(choicelist):
        raise ValueError("select: `condlist` and `choicelist` must have the same length. "
                         f"Received: {len(condlist)} and {len(choicelist)}.")
    return jnp.select([tensor(c) for c in condlist], [tensor(c) for c in choicelist],
                      tensor(default))


def nonzero(x: ArrayLike) -> tuple[jax.Array, ...]:
    """Indices of the non-zero elements, one tensor per axis.

    The number of results depends on the values of `x`, so this op cannot run on a traced `x`
    under `jax.jit`.

    Args:
        x: Input tensor.

    Returns:
        A tuple of int32 tensors.

    Example:
        >>> from layerax import ops
        >>> ops.nonzero([0, 3, 0, 4])
        (Array([1, 3], dtype=int32),)
    """
    return jnp.nonzero(tensor(x))


def sort(x: ArrayLike, axis: int | None = -1) -> jax.Array:
    """Sorts `x` along `axis` in ascending order.

    Args:
        x: Input tensor.
        axis: Axis to sort along; `None` sorts the flattened tensor.

    Returns:
        The sorted tensor.

    Example:
        >>> from layerax import ops
        >>> ops.sort([3, 1, 2])
        Array([1, 2, 3], dtype=int32)
    """
    return jnp.sort(tensor(x), axis=axis)


def argsort(x: ArrayLike, axis: int | None = -1) -> jax.Array:
    """Indices that sort `x` along `axis` (stable).

    Args:
        x: Input tensor.
        axis: Axis to sort along; `None` sorts the flattened tensor.

    Returns:
        An int32 tensor of indices.

    Example:
        >>> from layerax import ops
        >>> ops.argsort([3, 1, 2])
        Array([1, 2, 0], dtype=int32)
    """
    return jnp.argsort(tensor(x), axis=axis)


def argpartition(x: ArrayLike, kth: int, axis: int = -1) -> jax.Array:
    """Indices that partition `x` around its `kth` smallest element along `axis`.

    Args:
        x: Input tensor.
        kth: Position of the element that lands in its sorted place.
        axis: Axis to partition along.

    Returns:
        An int32 tensor of indices: those of smaller elements come first.

    Example:
        >>> from layerax import ops
        >>> ops.argpartition([3, 4, 2, 1], 2)[2]
        Array(0, dtype=int32)
    """
    return jnp.argpartition(tensor(x), kth, axis=axis)


def searchsorted(sorted_sequence: ArrayLike, values: ArrayLike, side: str = "left") -> jax.Array:
    """Indices where `values` would be inserted into `sorted_sequence` to keep it sorted.

    Args:
        sorted_sequence: 1-D sorted tensor.
        values: Tensor of values to insert.
        side: `"left"` (first suitable index) or `"right"` (last).

    Returns:
        An int32 tensor of the shape of `values`.

    Example:
        >>> from layerax import ops
        >>> ops.searchsorted([1, 3, 5], [2, 5])
        Array([1, 2], dtype=int32)
    """
    sorted_sequence = strong(sorted_sequence)
    if sorted_sequence.ndim != 1:
        raise ValueError("searchsorted only supports 1-D sorted sequences; use "
                         "ops.vectorized_map for more axes. Received: "
                         f"sorted_sequence.shape={sorted_sequence.shape}.")
    if side not in ("left", "right"):
        raise ValueError(f"searchsorted: `side` must be 'left' or 'right'. Received: side={side!r}.")
    return jnp.searchsorted(sorted_sequence, tensor(values), side=side)


def digitize(x: ArrayLike, bins: ArrayLike) -> jax.Array:
    """Index of the bin each element of `x` falls in (`bins[i-1] <= x < bins[i]`).

    Args:
        x: Input tensor.
        bins: 1-D monotonic tensor of bin edges.

    Returns:
        An int32 tensor of the shape of `x`.

    Example:
        >>> from layerax import ops
        >>> ops.digitize([0.5, 1.5, 3.0], [1.0, 2.0])
        Array([0, 1, 2], dtype=int32)
    """
    return jnp.digitize(strong(x), strong(bins))


def isin(x1: ArrayLike, x2: ArrayLike, assume_unique: bool = False,
         invert: bool = False) -> jax.Array:
    """Whether each element of `x1` occurs in `x2`.

    Args:
        x1: Input tensor.
        x2: Values to test against.
        assume_unique: Whether both inputs have unique elements (a speed hint).
        invert: Whether to return the opposite (not in `x2`).

    Returns:
        A boolean tensor of the shape of `x1`.

    Example:
        >>> from layerax import ops
        >>> ops.isin([1, 2, 3], [2, 3])
        Array([False,  True,  True], dtype=bool)
    """
    return jnp.isin(tensor(x1), tensor(x2), assume_unique=assume_unique, invert=invert)


def unique(x: ArrayLike, sorted: bool = True, return_index: bool = False,
           return_inverse: bool = False, return_counts: bool = False, axis: int | None = None,
           size: int | None = None, fill_value: ArrayLike | None = None) -> Any:
    """The sorted unique elements of `x`.

    Without `size`, the result length depends on the values of `x` and the op cannot run on
    a traced `x` under `jax.jit`; with `size`, the result is padded with `fill_value`.

    Args:
        x: Input tensor.
        sorted: Whether the result is sorted (it always is here).
        return_index: Whether to also return the first index of each unique element.
        return_inverse: Whether to also return the indices that rebuild `x`.
        return_counts: Whether to also return the count of each unique element.
        axis: Axis along which to take unique slices; `None` flattens `x`.
        size: Static length of the result.
        fill_value: Padding value when `size` is larger (default: the smallest unique value).

    Returns:
        The unique values, or a tuple with the requested extra results.

    Example:
        >>> from layerax import ops
        >>> ops.unique([3, 1, 3, 2])
        Array([1, 2, 3], dtype=int32)
    """
    del sorted  # jnp.unique always sorts, which satisfies both choices.
    return jnp.unique(tensor(x), return_index=return_index, return_inverse=return_inverse,
                      return_counts=return_counts, axis=axis, size=size, fill_value=fill_value)


def unravel_index(indices: ArrayLike, shape: Sequence[int]) -> tuple[jax.Array, ...]:
    """Converts flat indices into a tuple of coordinate tensors for `shape`.

    Args:
        indices: Integer tensor of flat indices.
        shape: Shape of the indexed tensor.

    Returns:
        A tuple of tensors, one per axis of `shape`.

    Example:
        >>> from layerax import ops
        >>> ops.unravel_index([5], (2, 3))
        (Array([1], dtype=int32), Array([2], dtype=int32))
    """
    return tuple(jnp.unravel_index(strong(indices), tuple(shape)))


__all__ = [
    "argpartition", "argsort", "digitize", "get_item", "isin", "nonzero", "searchsorted",
    "select", "sort", "take", "take_along_axis", "unique", "unravel_index", "where",
]
