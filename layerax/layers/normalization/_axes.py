"""Axis checks shared by the normalization layers."""

from __future__ import annotations

from typing import Any

from layerax.core.input_spec import InputSpec


def owner(layer: Any) -> str:
    return f"{type(layer).__name__} layer '{layer.name}'"


def axis_list(axis: Any, layer: Any) -> list[int] | int:
    """`axis` as given (an int) or as a list of ints; anything else is a TypeError."""
    if isinstance(axis, (list, tuple)) and all(
        isinstance(a, int) and not isinstance(a, bool) for a in axis
    ):
        return list(axis)
    if isinstance(axis, int) and not isinstance(axis, bool):
        return axis
    raise TypeError(
        f"{owner(layer)}: expected an int or a list/tuple of ints for the argument `axis`. "
        f"Received: axis={axis!r}"
    )


def check_axes(axes: Any, input_shape: Any, layer: Any) -> None:
    """Raises when an axis is outside an input of shape `input_shape`."""
    rank = len(input_shape)
    for a in [axes] if isinstance(axes, int) else axes:
        if not -rank <= a < rank:
            raise ValueError(
                f"{owner(layer)}: axis {a} is out of bounds for an input of rank {rank}. "
                f"Received: axis={layer.axis}, input shape {tuple(input_shape)}"
            )


def defined_sizes(axes: list[int], input_shape: Any, layer: Any) -> tuple[int, ...]:
    """Sizes of `axes` in `input_shape`; each must be defined."""
    check_axes(axes, input_shape, layer)
    sizes = tuple(input_shape[a] for a in axes)
    if any(s is None for s in sizes):
        raise ValueError(
            f"{owner(layer)}: the normalized axes {axes} must have defined sizes. "
            f"Received input shape {tuple(input_shape)}"
        )
    return tuple(int(s) for s in sizes)


def axes_spec(axes: list[int], sizes: tuple[int, ...]) -> InputSpec:
    """An InputSpec fixing the sizes of `axes` (positive or negative)."""
    min_ndim = max(a + 1 if a >= 0 else -a for a in axes)
    return InputSpec(min_ndim=min_ndim, axes=dict(zip(axes, sizes)))


def broadcast_shape(axes: list[int], sizes: tuple[int, ...], rank: int) -> tuple[int, ...]:
    """Shape with `sizes` at `axes` and 1 elsewhere, for broadcasting a parameter."""
    shape = [1] * rank
    for a, s in zip(axes, sizes):
        shape[a] = s
    return tuple(shape)
