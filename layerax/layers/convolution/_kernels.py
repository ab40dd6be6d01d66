"""The convolutions as pure, jitted functions of arrays.

Layers call these with their weights' values. Each is one XLA computation:
an eager layer call compiles once per input shape (instead of once per
primitive) and runs as a single fused program; inside an outer `jax.jit`,
`grad` or `vmap` they are simply inlined.
"""

from __future__ import annotations

import functools
from typing import Any

import jax
import jax.numpy as jnp

from layerax.layers.convolution import _args

_STATIC = ("strides", "padding", "dilation", "data_format", "groups", "dtype", "activation")


def fusable(activation: Any) -> Any:
    """`activation` when it can be a static argument of the jitted kernels (hashable), else None."""
    try:
        hash(activation)
    except TypeError:
        return None
    return activation


def _finish(outputs: jax.Array, bias: Any, data_format: str, activation: Any) -> jax.Array:
    """Adds the per-channel bias on the channel axis, then applies the activation."""
    if bias is not None:
        bias = bias.astype(outputs.dtype)
        if data_format == "channels_first":
            bias = jnp.reshape(bias, (bias.shape[0],) + (1,) * (outputs.ndim - 2))
        outputs = outputs + bias
    return outputs if activation is None else activation(outputs)


def _conv(x: Any, kernel: jax.Array, strides: Any, padding: Any, dilation: Any,
          data_format: str, groups: int) -> jax.Array:
    rank = kernel.ndim - 2
    return jax.lax.conv_general_dilated(
        x,
        kernel,
        window_strides=strides,
        padding=padding,
        rhs_dilation=dilation,
        dimension_numbers=_args.conv_dimension_numbers(data_format, rank),
        feature_group_count=groups,
    )


@functools.partial(jax.jit, static_argnames=_STATIC)
def conv(
    x: Any, kernel: Any, bias: Any, *, strides: tuple[int, ...], padding: Any,
    dilation: tuple[int, ...], data_format: str, groups: int, dtype: str, activation: Any = None,
) -> jax.Array:
    """`activation(conv(x, kernel) + bias)`; `padding` is "VALID", "SAME" or ((lo, hi), ...).

    `bias` and `activation` may be None.
    """
    x, kernel = jnp.asarray(x).astype(dtype), kernel.astype(dtype)
    outputs = _conv(x, kernel, strides, padding, dilation, data_format, groups)
    return _finish(outputs, bias, data_format, activation)


@functools.partial(jax.jit, static_argnames=_STATIC)
def conv_transpose(
    x: Any, kernel: Any, bias: Any, *, strides: tuple[int, ...], padding: Any,
    dilation: tuple[int, ...], data_format: str, groups: int, dtype: str, activation: Any = None,
) -> jax.Array:
    """Transposed convolution with a `(*spatial, filters, in)` kernel and explicit padding."""
    del groups
    x, kernel = jnp.asarray(x).astype(dtype), kernel.astype(dtype)
    # The kernel is described to lax as a forward kernel with out=in and in=filters;
    # `transpose_kernel=True` swaps those axes and flips the window: the exact gradient
    # of that forward convolution.
    outputs = jax.lax.conv_transpose(
        x,
        kernel,
        strides=strides,
        padding=padding,
        rhs_dilation=dilation,
        dimension_numbers=_args.conv_dimension_numbers(data_format, kernel.ndim - 2),
        transpose_kernel=True,
    )
    return _finish(outputs, bias, data_format, activation)


def _depthwise(x: jax.Array, kernel: jax.Array, strides: Any, padding: Any, dilation: Any,
               data_format: str) -> jax.Array:
    # (*k, C, M) is a grouped convolution with C groups of one input and M outputs each;
    # output channel c * M + m comes from input channel c and filter m.
    channels, multiplier = kernel.shape[-2], kernel.shape[-1]
    grouped = jnp.reshape(kernel, (*kernel.shape[:-2], 1, channels * multiplier))
    return _conv(x, grouped, strides, padding, dilation, data_format, channels)


@functools.partial(jax.jit, static_argnames=_STATIC)
def depthwise_conv(
    x: Any, kernel: Any, bias: Any, *, strides: tuple[int, ...], padding: Any,
    dilation: tuple[int, ...], data_format: str, groups: int, dtype: str, activation: Any = None,
) -> jax.Array:
    """Depthwise convolution with a `(*spatial, channels, depth_multiplier)` kernel."""
    del groups
    x, kernel = jnp.asarray(x).astype(dtype), kernel.astype(dtype)
    outputs = _depthwise(x, kernel, strides, padding, dilation, data_format)
    return _finish(outputs, bias, data_format, activation)


@functools.partial(jax.jit, static_argnames=_STATIC)
def separable_conv(
    x: Any, depthwise_kernel: Any, pointwise_kernel: Any, bias: Any, *,
    strides: tuple[int, ...], padding: Any, dilation: tuple[int, ...], data_format: str,
    groups: int, dtype: str, activation: Any = None,
) -> jax.Array:
    """Depthwise convolution, then a 1x1 convolution (a matmul over channels), then bias."""
    del groups
    x = jnp.asarray(x).astype(dtype)
    depthwise = _depthwise(x, depthwise_kernel.astype(dtype), strides, padding, dilation,
                           data_format)
    filters = pointwise_kernel.shape[-1]
    pointwise = jnp.reshape(pointwise_kernel.astype(dtype), (-1, filters))
    if data_format == "channels_last":
        outputs = jnp.matmul(depthwise, pointwise)
    else:
        outputs = jnp.einsum("nc...,cf->nf...", depthwise, pointwise)
    return _finish(outputs, bias, data_format, activation)
