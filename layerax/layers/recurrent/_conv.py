"""A small N-D convolution helper (channels_last / channels_first) for the ConvLSTM cells."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

_SPATIAL = "DHW"


def normalize_tuple(value: Any, rank: int, name: str, allow_zero: bool = False) -> tuple[int, ...]:
    """`value` (an int or a sequence of `rank` ints) as a tuple of `rank` positive ints."""
    if isinstance(value, int):
        out = (value,) * rank
    else:
        try:
            out = tuple(int(v) for v in value)
        except TypeError as err:
            raise ValueError(
                f"The `{name}` argument must be an int or a tuple of {rank} ints. "
                f"Received: {name}={value!r}"
            ) from err
    lowest = 0 if allow_zero else 1
    if len(out) != rank or any(v < lowest for v in out):
        raise ValueError(
            f"The `{name}` argument must be an int or a tuple of {rank} integers >= {lowest}. "
            f"Received: {name}={value!r}"
        )
    return out


def normalize_padding(padding: Any) -> str:
    value = str(padding).lower()
    if value not in ("valid", "same"):
        raise ValueError(
            f"The `padding` argument must be 'valid' or 'same'. Received: padding={padding!r}"
        )
    return value


def conv(
    x: jax.Array,
    kernel: jax.Array,
    strides: tuple[int, ...],
    padding: str,
    data_format: str,
    dilation_rate: tuple[int, ...] | None = None,
) -> jax.Array:
    """N-D convolution of `x` with a `(*kernel_size, in, out)` kernel (Keras' layout)."""
    rank = kernel.ndim - 2
    spatial = _SPATIAL[-rank:]
    lhs = f"N{spatial}C" if data_format == "channels_last" else f"NC{spatial}"
    numbers = jax.lax.conv_dimension_numbers(x.shape, kernel.shape, (lhs, f"{spatial}IO", lhs))
    return jax.lax.conv_general_dilated(
        x,
        jnp.asarray(kernel, x.dtype),
        window_strides=strides,
        padding=padding.upper(),
        rhs_dilation=dilation_rate,
        dimension_numbers=numbers,
    )


def conv_output_length(
    length: int | None, kernel: int, padding: str, stride: int, dilation: int
) -> int | None:
    """Length of one spatial axis after a convolution."""
    if length is None:
        return None
    span = (kernel - 1) * dilation + 1
    out = length if padding == "same" else length - span + 1
    return (out + stride - 1) // stride

__all__ = ["conv", "conv_output_length", "normalize_padding", "normalize_tuple"]
