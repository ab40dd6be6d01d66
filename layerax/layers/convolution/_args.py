"""Argument checking and shape arithmetic shared by the convolution and pooling layers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax


def owner(layer: Any) -> str:
    """`"Conv2D layer 'conv2d'"`: how error messages name a layer."""
    return f"{type(layer).__name__} layer '{layer.name}'"


def normalize_tuple(
    value: Any, n: int, name: str, layer: Any, *, allow_zero: bool = False
) -> tuple[int, ...]:
    """An int or a sequence of `n` ints as a tuple of `n` ints, checked for sign."""
    if isinstance(value, bool):
        value = [value]  # fails the length/type checks below with a clear message
    if isinstance(value, int):
        values: tuple[Any, ...] = (value,) * n
    else:
        try:
            values = tuple(value)
        except TypeError:
            values = ()
        if len(values) != n or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in values
        ):
            raise ValueError(
                f"{owner(layer)}: the `{name}` argument must be an integer or a tuple of {n} "
                f"integers. Received: {name}={value!r}"
            )
    bound = 0 if allow_zero else 1
    if any(v < bound for v in values):
        raise ValueError(
            f"{owner(layer)}: every value of `{name}` must be "
            f"{'>= 0' if allow_zero else '> 0'}. Received: {name}={value!r}"
        )
    return values


def normalize_padding(value: Any, layer: Any, allowed: Sequence[str]) -> str:
    """Lower-cased padding mode, one of `allowed`."""
    padding = value.lower() if isinstance(value, str) else value
    if padding not in allowed:
        raise ValueError(
            f"{owner(layer)}: the `padding` argument must be one of {list(allowed)}. "
            f"Received: padding={value!r}"
        )
    return padding


def positive_int(value: Any, name: str, layer: Any) -> int:
    """Checks that `value` is a positive integer."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(
            f"{owner(layer)}: `{name}` must be a positive integer. Received: {name}={value!r}"
        )
    return value


def channel_axis(data_format: str, rank: int) -> int:
    """Index of the channel axis of a `rank`-D (spatial) input with batch and channels."""
    return rank + 1 if data_format == "channels_last" else 1


def spatial_axes(data_format: str, rank: int) -> tuple[int, ...]:
    """Indices of the spatial axes."""
    start = 1 if data_format == "channels_last" else 2
    return tuple(range(start, start + rank))


def conv_dimension_numbers(data_format: str, rank: int) -> jax.lax.ConvDimensionNumbers:
    """`(lhs, rhs, out)` specs for `lax.conv_general_dilated`.

    Inputs and outputs use `data_format`; kernels are `(*spatial, in, out)`,
    which `lax` describes as (out axis, in axis, *spatial axes).
    """
    lhs = (0, channel_axis(data_format, rank), *spatial_axes(data_format, rank))
    rhs = (rank + 1, rank, *range(rank))
    return jax.lax.ConvDimensionNumbers(lhs_spec=lhs, rhs_spec=rhs, out_spec=lhs)


def conv_output_length(
    length: int | None, kernel: int, stride: int, padding: str, dilation: int
) -> int | None:
    """Length of one spatial axis after a (dilated, strided) convolution or pooling."""
    if length is None:
        return None
    if padding == "valid":
        span = dilation * (kernel - 1) + 1
        return (length - span) // stride + 1
    # "same" and "causal" keep ceil(length / stride) positions.
    return (length - 1) // stride + 1


def conv_transpose_pads(
    kernel: int, stride: int, padding: str, output_padding: int | None, dilation: int
) -> tuple[int, int]:
    """Padding `(before, after)` of the stride-dilated input of a transposed convolution.

    Chosen so that the output length is Keras' (see `conv_transpose_output_length`):
    with `span = dilation * (kernel - 1) + 1`, a transposed convolution of the
    stride-dilated input padded by `(before, after)` has length
    `(length - 1) * stride + before + after - span + 2`.
    """
    span = dilation * (kernel - 1) + 1
    if padding == "valid":
        extra = max(span, stride) - span if output_padding is None else output_padding
        return span - 1, span - 1 + extra
    if output_padding is None:
        total = stride + span - 2
    else:
        total = span + span % 2 - 2 + output_padding
    before = min((total + 1) // 2, span - 1)
    return before, total - before


def conv_transpose_output_length(
    length: int | None,
    kernel: int,
    stride: int,
    padding: str,
    output_padding: int | None,
    dilation: int,
) -> int | None:
    """Length of one spatial axis after a transposed convolution (Keras' rule)."""
    if length is None:
        return None
    span = dilation * (kernel - 1) + 1
    if padding == "valid":
        extra = max(span, stride) - span if output_padding is None else output_padding
        return (length - 1) * stride + span + extra
    if output_padding is None:
        return length * stride
    return (length - 1) * stride + span % 2 + output_padding


def check_rank(input_shape: Any, ndim: int, layer: Any) -> tuple[Any, ...]:
    """The input shape as a tuple, after checking its rank."""
    shape = tuple(input_shape)
    if len(shape) != ndim:
        raise ValueError(
            f"{owner(layer)} expects inputs of rank {ndim}, but received an input of rank "
            f"{len(shape)}. Full shape received: {shape}"
        )
    return shape
