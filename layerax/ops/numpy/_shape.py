"""Shape manipulation, joining and splitting of `lx.ops` (Keras' numpy family)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp

from layerax.ops import _sparse
from layerax.ops._common import ArrayLike, axis_arg, tensor


def _tensors(xs: Sequence[ArrayLike], name: str) -> list[Any]:
    if not isinstance(xs, (list, tuple)):
        raise TypeError(f"{name} expects a list or tuple of tensors. Received: {type(xs).__name__}. "
                        f"Wrap a single tensor in a list: ops.{name}([x, y]).")
    return [tensor(x) for x in xs]


def reshape(x: ArrayLike, newshape: Any) -> jax.Array:
    """Gives `x` a new shape (one dimension may be -1, inferred).

    Args:
        x: Input tensor.
        newshape: The new shape, an int or a tuple of ints.

    Returns:
        The reshaped tensor.

    Example:
        >>> from layerax import ops
        >>> ops.reshape([1, 2, 3, 4], (2, -1)).shape
        (2, 2)
    """
    return jnp.reshape(tensor(x), newshape)


def ravel(x: ArrayLike) -> jax.Array:
    """Flattens `x` into a 1-D tensor.

    Args:
        x: Input tensor.

    Returns:
        A 1-D tensor.

    Example:
        >>> from layerax import ops
        >>> ops.ravel([[1, 2], [3, 4]])
        Array([1, 2, 3, 4], dtype=int32)
    """
    return jnp.ravel(tensor(x))


def transpose(x: ArrayLike, axes: Sequence[int] | None = None) -> jax.Array:
    """Permutes the axes of `x` (reverses them by default).

    Args:
        x: Input tensor.
        axes: The permutation; default reversed order.

    Returns:
        The transposed tensor.

    Example:
        >>> from layerax import ops
        >>> ops.transpose([[1, 2, 3]]).shape
        (3, 1)
    """
    return jnp.transpose(tensor(x), None if axes is None else tuple(axes))


def swapaxes(x: ArrayLike, axis1: int, axis2: int) -> jax.Array:
    """Swaps two axes of `x`.

    Args:
        x: Input tensor.
        axis1: First axis.
        axis2: Second axis.

    Returns:
        The tensor with the axes swapped.

    Example:
        >>> from layerax import ops
        >>> ops.swapaxes([[1, 2, 3]], 0, 1).shape
        (3, 1)
    """
    return jnp.swapaxes(tensor(x), axis1, axis2)


def moveaxis(x: ArrayLike, source: int | Sequence[int],
             destination: int | Sequence[int]) -> jax.Array:
    """Moves axes of `x` to new positions; the others keep their order.

    Args:
        x: Input tensor.
        source: Original position(s) of the axes.
        destination: New position(s) of the axes.

    Returns:
        The tensor with moved axes.

    Example:
        >>> from layerax import ops
        >>> ops.moveaxis(ops.zeros((2, 3, 4)), 0, -1).shape
        (3, 4, 2)
    """
    return jnp.moveaxis(tensor(x), axis_arg(source), axis_arg(destination))


def expand_dims(x: ArrayLike, axis: int | Sequence[int]) -> jax.Array:
    """Inserts axes of size 1.

    Args:
        x: Input tensor.
        axis: Position(s) of the new axes.

    Returns:
        The expanded tensor.

    Example:
        >>> from layerax import ops
        >>> ops.expand_dims([1, 2], 0).shape
        (1, 2)
    """
    return jnp.expand_dims(tensor(x), axis_arg(axis))


def squeeze(x: ArrayLike, axis: int | Sequence[int] | None = None) -> jax.Array:
    """Removes axes of size 1 (all of them by default).

    Args:
        x: Input tensor.
        axis: Axis or axes to remove; each must have size 1.

    Returns:
        The squeezed tensor.

    Example:
        >>> from layerax import ops
        >>> ops.squeeze([[1], [2]]).shape
        (2,)
    """
    return jnp.squeeze(tensor(x), axis_arg(axis))


def broadcast_to(x: ArrayLike, shape: Sequence[int]) -> jax.Array:
    """Broadcasts `x` to `shape`.

    Args:
        x: Input tensor.
        shape: The target shape.

    Returns:
        The broadcast tensor.

    Example:
        >>> from layerax import ops
        >>> ops.broadcast_to([1, 2], (2, 2))
        Array([[1, 2],
               [1, 2]], dtype=int32)
    """
    return jnp.broadcast_to(tensor(x), tuple(shape) if isinstance(shape, list) else shape)


def concatenate(xs: Sequence[ArrayLike], axis: int | None = 0) -> jax.Array:
    """Joins tensors along an existing axis.

    Args:
        xs: List of tensors with equal shapes except along `axis`.
        axis: Axis to join along; `None` flattens them first.

    Returns:
        The joined tensor.

    Example:
        >>> from layerax import ops
        >>> ops.concatenate([[1, 2], [3]])
        Array([1, 2, 3], dtype=int32)
    """
    return jnp.concatenate(_tensors(xs, "concatenate"), axis=axis)


def stack(x: Sequence[ArrayLike], axis: int = 0) -> jax.Array:
    """Joins tensors of equal shape along a new axis.

    Args:
        x: List of tensors of the same shape.
        axis: Position of the new axis.

    Returns:
        The stacked tensor.

    Example:
        >>> from layerax import ops
        >>> ops.stack([[1, 2], [3, 4]], axis=1)
        Array([[1, 3],
               [2, 4]], dtype=int32)
    """
    return jnp.stack(_tensors(x, "stack"), axis=axis)


def hstack(xs: Sequence[ArrayLike]) -> jax.Array:
    """Joins tensors horizontally (along axis 1, or axis 0 for 1-D tensors).

    Args:
        xs: List of tensors.

    Returns:
        The joined tensor.

    Example:
        >>> from layerax import ops
        >>> ops.hstack([[1, 2], [3]])
        Array([1, 2, 3], dtype=int32)
    """
    return jnp.hstack(_tensors(xs, "hstack"))


def vstack(xs: Sequence[ArrayLike]) -> jax.Array:
    """Joins tensors vertically (along axis 0, 1-D tensors become rows).

    Args:
        xs: List of tensors.

    Returns:
        The joined tensor.

    Example:
        >>> from layerax import ops
        >>> ops.vstack([[1, 2], [3, 4]]).shape
        (2, 2)
    """
    return jnp.vstack(_tensors(xs, "vstack"))


def dstack(xs: Sequence[ArrayLike]) -> jax.Array:
    """Joins tensors along the third axis (depth).

    Args:
        xs: List of tensors.

    Returns:
        The joined tensor, of rank >= 3.

    Example:
        >>> from layerax import ops
        >>> ops.dstack([[1, 2], [3, 4]]).shape
        (1, 2, 2)
    """
    return jnp.dstack(_tensors(xs, "dstack"))


def append(x1: ArrayLike, x2: ArrayLike, axis: int | None = None) -> jax.Array:
    """Appends `x2` to the end of `x1` along `axis` (both flattened if `axis` is None).

    Args:
        x1: First tensor.
        x2: Tensor to append.
        axis: Axis to append along.

    Returns:
        The joined tensor.

    Example:
        >>> from layerax import ops
        >>> ops.append([1, 2], [3])
        Array([1, 2, 3], dtype=int32)
    """
    return jnp.append(tensor(x1), tensor(x2), axis=axis)


def split(x: ArrayLike, indices_or_sections: int | Sequence[int], axis: int = 0) -> list[jax.Array]:
    """Splits `x` into equal sections or at the given indices.

    Args:
        x: Input tensor.
        indices_or_sections: Number of equal sections, or the indices to split at.
        axis: Axis to split along.

    Returns:
        A list of tensors.

    Example:
        >>> from layerax import ops
        >>> ops.split([1, 2, 3, 4], 2)
        [Array([1, 2], dtype=int32), Array([3, 4], dtype=int32)]
    """
    return jnp.split(tensor(x), indices_or_sections, axis=axis)


def array_split(x: ArrayLike, indices_or_sections: int | Sequence[int],
                axis: int = 0) -> list[jax.Array]:
    """Splits `x` into sections that may differ in size by one (unlike `split`).

    Args:
        x: Input tensor.
        indices_or_sections: Number of sections, or the indices to split at.
        axis: Axis to split along.

    Returns:
        A list of tensors.

    Example:
        >>> from layerax import ops
        >>> ops.array_split([1, 2, 3], 2)
        [Array([1, 2], dtype=int32), Array([3], dtype=int32)]
    """
    return jnp.array_split(tensor(x), indices_or_sections, axis=axis)


def hsplit(x: ArrayLike, indices_or_sections: int | Sequence[int]) -> list[jax.Array]:
    """Splits `x` horizontally (along axis 1, or axis 0 for 1-D tensors).

    Args:
        x: Input tensor.
        indices_or_sections: Number of equal sections, or the indices to split at.

    Returns:
        A list of tensors.

    Example:
        >>> from layerax import ops
        >>> [t.shape for t in ops.hsplit(ops.zeros((2, 4)), 2)]
        [(2, 2), (2, 2)]
    """
    return jnp.hsplit(tensor(x), indices_or_sections)


def vsplit(x: ArrayLike, indices_or_sections: int | Sequence[int]) -> list[jax.Array]:
    """Splits `x` vertically (along axis 0).

    Args:
        x: Input tensor of rank >= 2.
        indices_or_sections: Number of equal sections, or the indices to split at.

    Returns:
        A list of tensors.

    Example:
        >>> from layerax import ops
        >>> [t.shape for t in ops.vsplit(ops.zeros((4, 2)), 2)]
        [(2, 2), (2, 2)]
    """
    return jnp.vsplit(tensor(x), indices_or_sections)


def dsplit(x: ArrayLike, indices_or_sections: int | Sequence[int]) -> list[jax.Array]:
    """Splits `x` along the third axis (depth).

    Args:
        x: Input tensor of rank >= 3.
        indices_or_sections: Number of equal sections, or the indices to split at.

    Returns:
        A list of tensors.

    Example:
        >>> from layerax import ops
        >>> [t.shape for t in ops.dsplit(ops.zeros((1, 2, 4)), 2)]
        [(1, 2, 2), (1, 2, 2)]
    """
    return jnp.dsplit(tensor(x), indices_or_sections)


def flip(x: ArrayLike, axis: int | Sequence[int] | None = None) -> jax.Array:
    """Reverses the order of elements along `axis` (all axes by default).

    Args:
        x: Input tensor.
        axis: Axis or axes to reverse.

    Returns:
        The flipped tensor.

    Example:
        >>> from layerax import ops
        >>> ops.flip([1, 2, 3])
        Array([3, 2, 1], dtype=int32)
    """
    return jnp.flip(tensor(x), axis_arg(axis))


def fliplr(x: ArrayLike) -> jax.Array:
    """Reverses the order of columns (axis 1).

    Args:
        x: Input tensor of rank >= 2.

    Returns:
        The flipped tensor.

    Example:
        >>> from layerax import ops
        >>> ops.fliplr([[1, 2]])
        Array([[2, 1]], dtype=int32)
    """
    return jnp.fliplr(tensor(x))


def flipud(x: ArrayLike) -> jax.Array:
    """Reverses the order of rows (axis 0).

    Args:
        x: Input tensor of rank >= 1.

    Returns:
        The flipped tensor.

    Example:
        >>> from layerax import ops
        >>> ops.flipud([[1], [2]])
        Array([[2],
               [1]], dtype=int32)
    """
    return jnp.flipud(tensor(x))


def rot90(array: ArrayLike, k: int = 1, axes: tuple[int, int] = (0, 1)) -> jax.Array:
    """Rotates `array` by 90 degrees `k` times in the plane of `axes`.

    Args:
        array: Input tensor of rank >= 2.
        k: Number of quarter turns (counter-clockwise).
        axes: The two axes of the rotation plane.

    Returns:
        The rotated tensor.

    Example:
        >>> from layerax import ops
        >>> ops.rot90([[1, 2], [3, 4]])
        Array([[2, 4],
               [1, 3]], dtype=int32)
    """
    return jnp.rot90(tensor(array), k=k, axes=tuple(axes))


def roll(x: ArrayLike, shift: int | Sequence[int], axis: int | Sequence[int] | None = None,
         ) -> jax.Array:
    """Rolls elements along `axis` (of the flattened tensor if `axis` is None).

    Args:
        x: Input tensor.
        shift: Number of places to shift (per axis).
        axis: Axis or axes to roll along.

    Returns:
        The rolled tensor.

    Example:
        >>> from layerax import ops
        >>> ops.roll([1, 2, 3], 1)
        Array([3, 1, 2], dtype=int32)
    """
    return jnp.roll(tensor(x), shift, axis_arg(axis))


def repeat(x: ArrayLike, repeats: int | Sequence[int], axis: int | None = None) -> jax.Array:
    """Repeats each element of `x` (flattened if `axis` is None).

    Args:
        x: Input tensor.
        repeats: Number of repetitions, one for all or one per element along `axis`.
        axis: Axis to repeat along.

    Returns:
        The repeated tensor.

    Example:
        >>> from layerax import ops
        >>> ops.repeat([1, 2], 2)
        Array([1, 1, 2, 2], dtype=int32)
    """
    return jnp.repeat(tensor(x), tensor(repeats), axis=axis)


def tile(x: ArrayLike, repeats: int | Sequence[int]) -> jax.Array:
    """Repeats the whole of `x` `repeats` times (per axis).

    Args:
        x: Input tensor.
        repeats: Number of repetitions per axis.

    Returns:
        The tiled tensor.

    Example:
        >>> from layerax import ops
        >>> ops.tile([1, 2], 2)
        Array([1, 2, 1, 2], dtype=int32)
    """
    return jnp.tile(tensor(x), repeats)


def pad(x: ArrayLike, pad_width: Any, mode: str = "constant",
        constant_values: ArrayLike | None = None) -> jax.Array:
    """Pads `x`.

    Args:
        x: Input tensor.
        pad_width: `((before, after), ...)` per axis, or one pair/int for all axes.
        mode: `"constant"`, `"edge"`, `"linear_ramp"`, `"maximum"`, `"mean"`, `"median"`,
            `"minimum"`, `"reflect"`, `"symmetric"`, `"wrap"`, `"empty"` or `"circular"`.
        constant_values: Fill value for `mode="constant"` (default 0).

    Returns:
        The padded tensor.

    Example:
        >>> from layerax import ops
        >>> ops.pad([1, 2], (1, 2))
        Array([0, 1, 2, 0, 0], dtype=int32)
    """
    if mode == "circular":
        mode = "wrap"
    if constant_values is not None:
        if mode != "constant":
            raise ValueError("pad: `constant_values` can only be given with mode='constant'. "
                             f"Received: mode={mode!r}, constant_values={constant_values!r}.")
        return jnp.pad(tensor(x), pad_width, mode=mode, constant_values=constant_values)
    return jnp.pad(tensor(x), pad_width, mode=mode)


def diag(x: ArrayLike, k: int = 0) -> jax.Array:
    """Extracts the `k`-th diagonal of a 2-D `x`, or builds a diagonal matrix from a 1-D `x`.

    Args:
        x: 1-D or 2-D input tensor.
        k: Diagonal offset (positive: above the main diagonal).

    Returns:
        The diagonal (1-D) or the diagonal matrix (2-D).

    Example:
        >>> from layerax import ops
        >>> ops.diag([[1, 2], [3, 4]])
        Array([1, 4], dtype=int32)
    """
    x = tensor(x)
    if jnp.ndim(x) not in (1, 2):
        raise ValueError(f"diag expects a 1-D or 2-D input. Received: x.shape={jnp.shape(x)}.")
    return jnp.diag(x, k=k)


def diagflat(x: ArrayLike, k: int = 0) -> jax.Array:
    """A 2-D tensor with the flattened `x` on its `k`-th diagonal.

    Args:
        x: Input tensor (flattened first).
        k: Diagonal offset.

    Returns:
        A square 2-D tensor.

    Example:
        >>> from layerax import ops
        >>> ops.diagflat([1, 2])
        Array([[1, 0],
               [0, 2]], dtype=int32)
    """
    return jnp.diagflat(tensor(x), k=k)


def diagonal(x: ArrayLike, offset: int = 0, axis1: int = 0, axis2: int = 1) -> jax.Array:
    """The diagonals of the 2-D sub-arrays of `x` in the plane `(axis1, axis2)`.

    Args:
        x: Tensor of rank >= 2.
        offset: Diagonal offset (positive: above the main diagonal).
        axis1: First axis of the 2-D sub-arrays.
        axis2: Second axis of the 2-D sub-arrays.

    Returns:
        The diagonals, along a new last axis.

    Example:
        >>> from layerax import ops
        >>> ops.diagonal([[1, 2], [3, 4]], offset=1)
        Array([2], dtype=int32)
    """
    return jnp.diagonal(tensor(x), offset=offset, axis1=axis1, axis2=axis2)


def tril(x: ArrayLike, k: int = 0) -> jax.Array:
    """The lower triangle of the last two axes of `x` (zeros above the `k`-th diagonal).

    Args:
        x: Tensor of rank >= 2.
        k: Diagonal offset.

    Returns:
        A tensor of the shape of `x`.

    Example:
        >>> from layerax import ops
        >>> ops.tril([[1, 2], [3, 4]])
        Array([[1, 0],
               [3, 4]], dtype=int32)
    """
    return jnp.tril(tensor(x), k=k)


def triu(x: ArrayLike, k: int = 0) -> jax.Array:
    """The upper triangle of the last two axes of `x` (zeros below the `k`-th diagonal).

    Args:
        x: Tensor of rank >= 2.
        k: Diagonal offset.

    Returns:
        A tensor of the shape of `x`.

    Example:
        >>> from layerax import ops
        >>> ops.triu([[1, 2], [3, 4]])
        Array([[1, 2],
               [0, 4]], dtype=int32)
    """
    return jnp.triu(tensor(x), k=k)


def view(x: ArrayLike, dtype: Any = None) -> jax.Array:
    """Reinterprets the bytes of `x` as another dtype (the last axis scales with the item size).

    Args:
        x: Input tensor.
        dtype: The new dtype; `None` keeps that of `x`.

    Returns:
        The reinterpreted tensor.

    Example:
        >>> from layerax import ops
        >>> ops.view(ops.array([1.0], dtype="float32"), "int32")
        Array([1065353216], dtype=int32)
    """
    x = jnp.asarray(tensor(x))
    return x if dtype is None else x.view(dtype)


def ndim(x: ArrayLike) -> int:
    """Number of axes of `x`.

    Args:
        x: Input tensor.

    Returns:
        The rank, a Python int.

    Example:
        >>> from layerax import ops
        >>> ops.ndim([[1, 2]])
        2
    """
    return x.ndim if _sparse.is_sparse(x) else jnp.ndim(tensor(x))


def size(x: ArrayLike) -> int:
    """Number of elements of `x`.

    Args:
        x: Input tensor.

    Returns:
        The element count, a Python int.

    Example:
        >>> from layerax import ops
        >>> ops.size([[1, 2, 3]])
        3
    """
    x = tensor(x)
    if isinstance(x, (bool, int, float, complex)):
        return 1
    # `.size`, not `jnp.size`: a symbolic tensor has none and takes the symbolic path.
    return x.size


def diff(a: ArrayLike, n: int = 1, axis: int = -1) -> jax.Array:
    """The `n`-th discrete difference along `axis`.

    Args:
        a: Input tensor.
        n: Number of times to take differences.
        axis: Axis to take differences along.

    Returns:
        A tensor whose `axis` is shorter by `n`.

    Example:
        >>> from layerax import ops
        >>> ops.diff([1, 4, 9])
        Array([3, 5], dtype=int32)
    """
    return jnp.diff(tensor(a), n=n, axis=axis)


__all__ = [
    "append", "array_split", "broadcast_to", "concatenate", "diag", "diagflat", "diagonal",
    "diff", "dsplit", "dstack", "expand_dims", "flip", "fliplr", "flipud", "hsplit", "hstack",
    "moveaxis", "ndim", "pad", "ravel", "repeat", "reshape", "roll", "rot90", "size", "split",
    "squeeze", "stack", "swapaxes", "tile", "transpose", "tril", "triu", "view", "vsplit",
    "vstack",
]
