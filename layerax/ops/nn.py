"""Neural-network ops of `keras.ops` (activations, convolutions, pooling, losses, attention).

Every op takes jax or numpy arrays, Python scalars or `lx.Variable`s, and is traceable under
`jax.jit`, `jax.grad` and `jax.vmap`. Image-like ops follow Keras' `data_format` convention
(default: `lx.config.image_data_format()`).
"""

from __future__ import annotations

import math as _pymath
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from layerax import config as _config
from layerax.ops import _sparse
from layerax.ops._ctc_beam import ctc_beam_search as _ctc_beam_search

__all__ = [
    "adaptive_average_pool", "adaptive_max_pool", "average_pool", "batch_normalization",
    "binary_crossentropy", "categorical_crossentropy", "celu", "conv", "conv_transpose",
    "ctc_decode", "ctc_loss", "depth_to_space", "depthwise_conv", "dot_product_attention", "elu",
    "fold", "gelu", "glu", "hard_shrink", "hard_sigmoid", "hard_silu", "hard_swish", "hard_tanh",
    "layer_normalization", "leaky_relu", "log_sigmoid", "log_softmax", "max_pool", "moments",
    "multi_hot", "normalize", "one_hot", "polar", "psnr", "relu", "relu6", "rms_normalization",
    "selu", "separable_conv", "sigmoid", "silu", "soft_shrink", "softmax", "softplus", "softsign",
    "space_to_depth", "sparse_categorical_crossentropy", "sparse_plus", "sparse_sigmoid",
    "sparsemax", "squareplus", "swish", "tanh_shrink", "threshold", "unfold",
]


def _t(x: Any) -> jax.Array:
    """An array from a jax/numpy array, a Python scalar or nested list, or an `lx.Variable`."""
    return jnp.asarray(x)


def _float(x: Any) -> jax.Array:
    """`x` as an array, integers and booleans promoted to the default float (Keras' rule)."""
    x = jnp.asarray(x)
    if not jnp.issubdtype(x.dtype, jnp.inexact):
        x = x.astype(_config.floatx())
    return x


def _data_format(data_format: str | None) -> str:
    return _config.standardize_data_format(data_format)


def _tuple(value: Any, n: int, name: str, op: str) -> tuple[int, ...]:
    """An int or `n` ints as a tuple of `n` positive ints."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        values = (int(value),) * n
    else:
        try:
            values = tuple(int(v) for v in value)
        except TypeError:
            values = ()
    if len(values) != n or any(v < 1 for v in values):
        raise ValueError(
            f"`{op}`: `{name}` must be a positive int or a tuple of {n} positive ints (one per "
            f"spatial axis). Received: {name}={value!r}"
        )
    return values


def _padding(padding: Any, op: str, allowed: Sequence[str] = ("valid", "same")) -> str:
    mode = padding.lower() if isinstance(padding, str) else padding
    if mode not in allowed:
        raise ValueError(
            f"`{op}`: `padding` must be one of {list(allowed)}. Received: padding={padding!r}"
        )
    return mode


def _check_rank(x: jax.Array, op: str, low: int = 3, high: int = 5) -> int:
    if not low <= x.ndim <= high:
        raise ValueError(
            f"`{op}` expects inputs of rank {low} to {high} (batch, spatial axes, channels). "
            f"Received: inputs.shape={x.shape}"
        )
    return x.ndim - 2


def _dimension_numbers(data_format: str, rank: int) -> jax.lax.ConvDimensionNumbers:
    """Inputs in `data_format`, kernels `(*spatial, in, out)` as Keras stores them."""
    chan = rank + 1 if data_format == "channels_last" else 1
    first = 1 if data_format == "channels_last" else 2
    lhs = (0, chan, *range(first, first + rank))
    return jax.lax.ConvDimensionNumbers(lhs, (rank + 1, rank, *range(rank)), lhs)


def _channels(x: jax.Array, data_format: str) -> int:
    return x.shape[-1] if data_format == "channels_last" else x.shape[1]


# ------------------------------------------------------------------ activations


def relu(x: Any) -> jax.Array:
    """`max(x, 0)`.

    Example:
        >>> import layerax as lx
        >>> lx.ops.nn.relu([-1.0, 2.0]).tolist()
        [0.0, 2.0]
    """
    return jax.nn.relu(_t(x))


def relu6(x: Any) -> jax.Array:
    """`min(max(x, 0), 6)`.

    Example:
        >>> import layerax as lx
        >>> lx.ops.nn.relu6([-1.0, 7.0]).tolist()
        [0.0, 6.0]
    """
    return jax.nn.relu6(_t(x))


def sigmoid(x: Any) -> jax.Array:
    """`1 / (1 + exp(-x))`.

    Example:
        >>> import layerax as lx
        >>> float(lx.ops.nn.sigmoid(0.0))
        0.5
    """
    return jax.nn.sigmoid(_t(x))


def sparse_sigmoid(x: Any) -> jax.Array:
    """Piecewise-linear sigmoid: 0 below -1, `(x + 1) / 2` on [-1, 1], 1 above.

    Example:
        >>> import layerax as lx
        >>> lx.ops.nn.sparse_sigmoid([-2.0, 0.0, 2.0]).tolist()
        [0.0, 0.5, 1.0]
    """
    return jax.nn.sparse_sigmoid(_t(x))


def softplus(x: Any) -> jax.Array:
    """`log(1 + exp(x))`.

    Example:
        >>> import layerax as lx
        >>> round(float(lx.ops.nn.softplus(0.0)), 4)
        0.6931
    """
    return jax.nn.softplus(_t(x))


def softsign(x: Any) -> jax.Array:
    """`x / (1 + |x|)`.

    Example:
        >>> import layerax as lx
        >>> lx.ops.nn.softsign([1.0]).tolist()
        [0.5]
    """
    return jax.nn.soft_sign(_t(x))


def soft_shrink(x: Any, threshold: float = 0.5) -> jax.Array:
    """Moves `x` towards 0 by `threshold`; values within `threshold` of 0 become 0.

    Example:
        >>> import layerax as lx
        >>> lx.ops.nn.soft_shrink([-1.0, 0.2, 1.0]).tolist()
        [-0.5, 0.0, 0.5]
    """
    x = _t(x)
    return jnp.where(x > threshold, x - threshold, jnp.where(x < -threshold, x + threshold, 0))


def sparse_plus(x: Any) -> jax.Array:
    """0 below -1, `(x + 1)**2 / 4` on [-1, 1], `x` above.

    Example:
        >>> import layerax as lx
        >>> lx.ops.nn.sparse_plus([-2.0, 0.0, 2.0]).tolist()
        [0.0, 0.25, 2.0]
    """
    return jax.nn.sparse_plus(_t(x))


def silu(x: Any) -> jax.Array:
    """`x * sigmoid(x)` (also `swish`).

    Example:
        >>> import layerax as lx
        >>> float(lx.ops.nn.silu(0.0))
        0.0
    """
    return jax.nn.silu(_t(x))


swish = silu


def squareplus(x: Any, b: float = 4) -> jax.Array:
    """`(x + sqrt(x**2 + b)) / 2`.

    Example:
        >>> import layerax as lx
        >>> float(lx.ops.nn.squareplus(0.0))
        1.0
    """
    return jax.nn.squareplus(_t(x), b)


def log_sigmoid(x: Any) -> jax.Array:
    """`log(sigmoid(x))`, computed stably.

    Example:
        >>> import layerax as lx
        >>> round(float(lx.ops.nn.log_sigmoid(0.0)), 4)
        -0.6931
    """
    return jax.nn.log_sigmoid(_t(x))


def leaky_relu(x: Any, negative_slope: float = 0.2) -> jax.Array:
    """`x` where positive, else `negative_slope * x`.

    Example:
        >>> import layerax as lx
        >>> lx.ops.nn.leaky_relu([-1.0, 1.0], negative_slope=0.5).tolist()
        [-0.5, 1.0]
    """
    return jax.nn.leaky_relu(_t(x), negative_slope)


def hard_sigmoid(x: Any) -> jax.Array:
    """`relu6(x + 3) / 6`.

    Example:
        >>> import layerax as lx
        >>> lx.ops.nn.hard_sigmoid([-3.0, 0.0, 3.0]).tolist()
        [0.0, 0.5, 1.0]
    """
    return jax.nn.hard_sigmoid(_t(x))


def hard_silu(x: Any) -> jax.Array:
    """`x * hard_sigmoid(x)` (also `hard_swish`).

    Example:
        >>> import layerax as lx
        >>> lx.ops.nn.hard_silu([-3.0, 3.0]).tolist()
        [-0.0, 3.0]
    """
    return jax.nn.hard_silu(_t(x))


hard_swish = hard_silu


def elu(x: Any, alpha: float = 1.0) -> jax.Array:
    """`x` where positive, else `alpha * (exp(x) - 1)`.

    Example:
        >>> import layerax as lx
        >>> lx.ops.nn.elu([1.0]).tolist()
        [1.0]
    """
    return jax.nn.elu(_t(x), alpha)


def selu(x: Any) -> jax.Array:
    """Scaled ELU with the self-normalising constants.

    Example:
        >>> import layerax as lx
        >>> float(lx.ops.nn.selu(0.0))
        0.0
    """
    return jax.nn.selu(_t(x))


def gelu(x: Any, approximate: bool = True) -> jax.Array:
    """Gaussian error linear unit; `approximate=True` uses the tanh formula (Keras' default).

    Example:
        >>> import layerax as lx
        >>> float(lx.ops.nn.gelu(0.0))
        0.0
    """
    return jax.nn.gelu(_t(x), approximate)


def celu(x: Any, alpha: float = 1.0) -> jax.Array:
    """`max(x, 0) + min(0, alpha * (exp(x / alpha) - 1))`.

    Example:
        >>> import layerax as lx
        >>> lx.ops.nn.celu([2.0]).tolist()
        [2.0]
    """
    return jax.nn.celu(_t(x), alpha)


def glu(x: Any, axis: int = -1) -> jax.Array:
    """Gated linear unit: splits `axis` into halves `a, b` and returns `a * sigmoid(b)`.

    Example:
        >>> import layerax as lx
        >>> lx.ops.nn.glu([[2.0, 0.0]]).tolist()
        [[1.0]]
    """
    x = _t(x)
    if x.shape[axis] % 2:
        raise ValueError(
            f"`glu` splits axis {axis} into two halves, so its size must be even. "
            f"Received: x.shape={x.shape}"
        )
    return jax.nn.glu(x, axis)


def tanh_shrink(x: Any) -> jax.Array:
    """`x - tanh(x)`.

    Example:
        >>> import layerax as lx
        >>> float(lx.ops.nn.tanh_shrink(0.0))
        0.0
    """
    x = _t(x)
    return x - jnp.tanh(x)


def hard_tanh(x: Any) -> jax.Array:
    """`clip(x, -1, 1)`.

    Example:
        >>> import layerax as lx
        >>> lx.ops.nn.hard_tanh([-2.0, 0.5, 2.0]).tolist()
        [-1.0, 0.5, 1.0]
    """
    return jax.nn.hard_tanh(_t(x))


def hard_shrink(x: Any, threshold: float = 0.5) -> jax.Array:
    """`x` where `|x| > threshold`, else 0.

    Example:
        >>> import layerax as lx
        >>> lx.ops.nn.hard_shrink([-1.0, 0.2, 1.0]).tolist()
        [-1.0, 0.0, 1.0]
    """
    x = _t(x)
    return jnp.where(jnp.abs(x) > threshold, x, jnp.zeros_like(x))


def threshold(x: Any, threshold: float, default_value: float) -> jax.Array:
    """`x` where `x > threshold`, else `default_value`.

    Example:
        >>> import layerax as lx
        >>> lx.ops.nn.threshold([0.0, 2.0], 1.0, -5.0).tolist()
        [-5.0, 2.0]
    """
    x = _t(x)
    return jnp.where(x > threshold, x, jnp.asarray(default_value, x.dtype))


def softmax(x: Any, axis: int | Sequence[int] = -1) -> jax.Array:
    """`exp(x) / sum(exp(x))` over `axis` (an int or a tuple of axes).

    Example:
        >>> import layerax as lx
        >>> lx.ops.nn.softmax([0.0, 0.0]).tolist()
        [0.5, 0.5]
    """
    axis = tuple(axis) if isinstance(axis, (list, tuple)) else axis
    return jax.nn.softmax(_float(x), axis=axis)


def log_softmax(x: Any, axis: int | Sequence[int] = -1) -> jax.Array:
    """`x - logsumexp(x)` over `axis`.

    Example:
        >>> import layerax as lx
        >>> [round(v, 4) for v in lx.ops.nn.log_softmax([0.0, 0.0]).tolist()]
        [-0.6931, -0.6931]
    """
    axis = tuple(axis) if isinstance(axis, (list, tuple)) else axis
    return jax.nn.log_softmax(_float(x), axis=axis)


def sparsemax(x: Any, axis: int = -1) -> jax.Array:
    """Euclidean projection of `x` onto the probability simplex along `axis` (sparse softmax).

    Example:
        >>> import layerax as lx
        >>> lx.ops.nn.sparsemax([0.0, 2.0]).tolist()
        [0.0, 1.0]
    """
    x = _float(x)
    ordered = -jnp.sort(-x, axis=axis)
    csum = jnp.cumsum(ordered, axis=axis)
    shape = [1] * x.ndim
    shape[axis] = x.shape[axis]
    rank = jnp.arange(1, x.shape[axis] + 1, dtype=x.dtype).reshape(shape)
    support = ordered * rank > csum - 1
    k = jnp.sum(support, axis=axis, keepdims=True).astype(x.dtype)
    tau = (jnp.sum(jnp.where(support, ordered, 0), axis=axis, keepdims=True) - 1) / k
    return jnp.maximum(x - tau, 0)


# --------------------------------------------------------------------- pooling


def _pool(x: jax.Array, mode: str, pool_size: Any, strides: Any, padding: str,
          data_format: str | None, op: str) -> jax.Array:
    data_format = _data_format(data_format)
    rank = _check_rank(x, op)
    window = _tuple(pool_size, rank, "pool_size", op)
    steps = window if strides is None else _tuple(strides, rank, "strides", op)
    padding = _padding(padding, op).upper()
    if data_format == "channels_last":
        window, steps = (1, *window, 1), (1, *steps, 1)
    else:
        window, steps = (1, 1, *window), (1, 1, *steps)
    if mode == "max":
        low = -np.inf if jnp.issubdtype(x.dtype, jnp.floating) else jnp.iinfo(x.dtype).min
        return jax.lax.reduce_window(x, np.array(low, x.dtype), jax.lax.max, window, steps, padding)
    x = _float(x)
    zero = np.array(0, x.dtype)
    total = jax.lax.reduce_window(x, zero, jax.lax.add, window, steps, padding)
    if padding == "VALID":
        return total / np.prod(window)
    # "same": average over the real inputs of each window only (a constant of the shape).
    ones = np.ones([d if w > 1 else 1 for d, w in zip(x.shape, window)], np.float32)
    counts = jax.lax.reduce_window(jnp.asarray(ones, x.dtype), zero, jax.lax.add, window, steps,
                                   padding)
    return total / counts


def max_pool(inputs: Any, pool_size: Any, strides: Any = None, padding: str = "valid",
             data_format: str | None = None) -> jax.Array:
    """Maximum over sliding windows of the spatial axes (1D, 2D or 3D).

    Args:
        inputs: `(batch, *spatial, channels)` (channels_last) or `(batch, channels, *spatial)`.
        pool_size: Window size, an int or one int per spatial axis.
        strides: Window step; defaults to `pool_size`.
        padding: `"valid"` or `"same"`.
        data_format: `"channels_last"` or `"channels_first"`.

    Example:
        >>> import layerax as lx, numpy as np
        >>> lx.ops.nn.max_pool(np.arange(4.0).reshape(1, 4, 1), 2).ravel().tolist()
        [1.0, 3.0]
    """
    return _pool(_t(inputs), "max", pool_size, strides, padding, data_format, "max_pool")


def average_pool(inputs: Any, pool_size: Any, strides: Any = None, padding: str = "valid",
                 data_format: str | None = None) -> jax.Array:
    """Mean over sliding windows of the spatial axes; with `"same"`, padding is not counted.

    Args:
        inputs: `(batch, *spatial, channels)` (channels_last) or `(batch, channels, *spatial)`.
        pool_size: Window size, an int or one int per spatial axis.
        strides: Window step; defaults to `pool_size`.
        padding: `"valid"` or `"same"`.
        data_format: `"channels_last"` or `"channels_first"`.

    Example:
        >>> import layerax as lx, numpy as np
        >>> lx.ops.nn.average_pool(np.arange(4.0).reshape(1, 4, 1), 2).ravel().tolist()
        [0.5, 2.5]
    """
    return _pool(_t(inputs), "avg", pool_size, strides, padding, data_format, "average_pool")


def _adaptive_bounds(length: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Window `[start, end)` of each of `size` outputs over `length` inputs (PyTorch's rule)."""
    i = np.arange(size)
    return (i * length) // size, -((-(i + 1) * length) // size)


def _adaptive_pool(x: jax.Array, mode: str, output_size: Any, data_format: str | None,
                   op: str) -> jax.Array:
    data_format = _data_format(data_format)
    rank = _check_rank(x, op)
    sizes = _tuple(output_size, rank, "output_size", op)
    first = 1 if data_format == "channels_last" else 2
    if mode == "avg":
        x = _float(x)
    # Windows over a box are products of windows over each axis: reduce one axis at a time.
    for k, size in enumerate(sizes):
        ax = first + k
        length = x.shape[ax]
        start, end = _adaptive_bounds(length, size)
        member = (np.arange(length)[None, :] >= start[:, None]) & (
            np.arange(length)[None, :] < end[:, None])
        moved = jnp.moveaxis(x, ax, -1)
        if mode == "avg":
            weights = member / member.sum(axis=1, keepdims=True)
            out = moved @ jnp.asarray(weights.T, x.dtype)
        else:
            low = -np.inf if jnp.issubdtype(x.dtype, jnp.floating) else jnp.iinfo(x.dtype).min
            out = jnp.max(jnp.where(member, moved[..., None, :], np.array(low, x.dtype)), axis=-1)
        x = jnp.moveaxis(out, -1, ax)
    return x


def adaptive_average_pool(inputs: Any, output_size: Any, data_format: str | None = None
                          ) -> jax.Array:
    """Averages windows chosen so that the spatial output shape is `output_size`.

    Output position `i` of an axis of length `L` averages inputs
    `floor(i * L / n)` to `ceil((i + 1) * L / n)` (exclusive).

    Example:
        >>> import layerax as lx, numpy as np
        >>> lx.ops.nn.adaptive_average_pool(np.arange(4.0).reshape(1, 4, 1), 2).ravel().tolist()
        [0.5, 2.5]
    """
    return _adaptive_pool(_t(inputs), "avg", output_size, data_format, "adaptive_average_pool")


def adaptive_max_pool(inputs: Any, output_size: Any, data_format: str | None = None
                      ) -> jax.Array:
    """Maximum over windows chosen so that the spatial output shape is `output_size`.

    Example:
        >>> import layerax as lx, numpy as np
        >>> lx.ops.nn.adaptive_max_pool(np.arange(4.0).reshape(1, 4, 1), 2).ravel().tolist()
        [1.0, 3.0]
    """
    return _adaptive_pool(_t(inputs), "max", output_size, data_format, "adaptive_max_pool")


# ---------------------------------------------------------------- convolutions


def _conv_padding(padding: str, op: str) -> str:
    mode = _padding(padding, op, ("valid", "same", "causal"))
    if mode == "causal":
        raise ValueError(
            f"`{op}`: padding='causal' is a property of the Conv1D layer, not of the op. Pad the "
            "inputs on the left by `dilation_rate * (kernel_size - 1)` and use padding='valid'."
        )
    return mode.upper()


def conv(inputs: Any, kernel: Any, strides: Any = 1, padding: str = "valid",
         data_format: str | None = None, dilation_rate: Any = 1) -> jax.Array:
    """N-D convolution (1D, 2D or 3D); grouped when the kernel has fewer input channels.

    Args:
        inputs: `(batch, *spatial, channels)` or `(batch, channels, *spatial)`.
        kernel: `(*kernel_size, in_channels // groups, out_channels)`.
        strides: An int or one int per spatial axis.
        padding: `"valid"` or `"same"`.
        data_format: `"channels_last"` or `"channels_first"`.
        dilation_rate: An int or one int per spatial axis.

    Example:
        >>> import layerax as lx, numpy as np
        >>> lx.ops.nn.conv(np.ones((1, 4, 2)), np.ones((3, 2, 5))).shape
        (1, 2, 5)
    """
    x, k = _t(inputs), _t(kernel)
    data_format = _data_format(data_format)
    rank = _check_rank(x, "conv")
    if k.ndim != rank + 2:
        raise ValueError(
            f"`conv`: the kernel must have rank {rank + 2} (*kernel_size, in_channels, "
            f"out_channels) for inputs of rank {x.ndim}. Received: kernel.shape={k.shape}"
        )
    channels = _channels(x, data_format)
    if channels % k.shape[-2]:
        raise ValueError(
            f"`conv`: the input channels ({channels}) must be a multiple of the kernel's input "
            f"channels (kernel.shape[-2]={k.shape[-2]}). Received: inputs.shape={x.shape}, "
            f"kernel.shape={k.shape}, data_format={data_format!r}"
        )
    return jax.lax.conv_general_dilated(
        x, k, _tuple(strides, rank, "strides", "conv"), _conv_padding(padding, "conv"),
        rhs_dilation=_tuple(dilation_rate, rank, "dilation_rate", "conv"),
        dimension_numbers=_dimension_numbers(data_format, rank),
        feature_group_count=channels // k.shape[-2],
    )


def depthwise_conv(inputs: Any, kernel: Any, strides: Any = 1, padding: str = "valid",
                   data_format: str | None = None, dilation_rate: Any = 1) -> jax.Array:
    """Convolves each input channel with its own `channel_multiplier` filters.

    Args:
        inputs: `(batch, *spatial, channels)` or `(batch, channels, *spatial)`.
        kernel: `(*kernel_size, channels, channel_multiplier)`.
        strides, padding, data_format, dilation_rate: As in `conv`.

    Example:
        >>> import layerax as lx, numpy as np
        >>> lx.ops.nn.depthwise_conv(np.ones((1, 4, 2)), np.ones((3, 2, 3))).shape
        (1, 2, 6)
    """
    x, k = _t(inputs), _t(kernel)
    data_format = _data_format(data_format)
    rank = _check_rank(x, "depthwise_conv")
    channels = _channels(x, data_format)
    if k.ndim != rank + 2 or k.shape[-2] != channels:
        raise ValueError(
            f"`depthwise_conv`: the kernel must be (*kernel_size, {channels}, multiplier) for "
            f"inputs with {channels} channels. Received: kernel.shape={k.shape}"
        )
    k = k.reshape(*k.shape[:-2], 1, channels * k.shape[-1])
    return jax.lax.conv_general_dilated(
        x, k, _tuple(strides, rank, "strides", "depthwise_conv"),
        _conv_padding(padding, "depthwise_conv"),
        rhs_dilation=_tuple(dilation_rate, rank, "dilation_rate", "depthwise_conv"),
        dimension_numbers=_dimension_numbers(data_format, rank), feature_group_count=channels,
    )


def separable_conv(inputs: Any, depthwise_kernel: Any, pointwise_kernel: Any, strides: Any = 1,
                   padding: str = "valid", data_format: str | None = None,
                   dilation_rate: Any = 1) -> jax.Array:
    """A depthwise convolution followed by a pointwise (1x1) convolution.

    Args:
        inputs: `(batch, *spatial, channels)` or `(batch, channels, *spatial)`.
        depthwise_kernel: `(*kernel_size, channels, multiplier)`.
        pointwise_kernel: `(*ones, channels * multiplier, out_channels)`.
        strides, padding, data_format, dilation_rate: As in `conv` (of the depthwise step).

    Example:
        >>> import layerax as lx, numpy as np
        >>> lx.ops.nn.separable_conv(np.ones((1, 4, 2)), np.ones((3, 2, 2)),
        ...                          np.ones((1, 4, 7))).shape
        (1, 2, 7)
    """
    depth = depthwise_conv(inputs, depthwise_kernel, strides, padding, data_format, dilation_rate)
    return conv(depth, pointwise_kernel, 1, "valid", data_format, 1)


def _transpose_pads(kernel: int, stride: int, padding: str, extra: int | None,
                    dilation: int) -> tuple[int, int]:
    """Padding of the stride-dilated input that gives Keras' transposed-conv output length."""
    span = dilation * (kernel - 1) + 1
    if padding == "valid":
        extra = max(span, stride) - span if extra is None else extra
        return span - 1, span - 1 + extra
    total = stride + span - 2 if extra is None else span + span % 2 - 2 + extra
    before = min((total + 1) // 2, span - 1)
    return before, total - before


def conv_transpose(inputs: Any, kernel: Any, strides: Any = 1, padding: str = "valid",
                   output_padding: Any = None, data_format: str | None = None,
                   dilation_rate: Any = 1) -> jax.Array:
    """Transposed convolution (the gradient of `conv` with respect to its input).

    Args:
        inputs: `(batch, *spatial, channels)` or `(batch, channels, *spatial)`.
        kernel: `(*kernel_size, out_channels, in_channels)` (Keras' layout).
        strides: An int or one int per spatial axis.
        padding: `"valid"` or `"same"`.
        output_padding: Extra length at the end of each spatial axis (int or tuple), or None.
        data_format, dilation_rate: As in `conv`.

    Example:
        >>> import layerax as lx, numpy as np
        >>> lx.ops.nn.conv_transpose(np.ones((1, 3, 2)), np.ones((3, 4, 2)), strides=2).shape
        (1, 7, 4)
    """
    x, k = _t(inputs), _t(kernel)
    data_format = _data_format(data_format)
    rank = _check_rank(x, "conv_transpose")
    channels = _channels(x, data_format)
    if k.ndim != rank + 2 or k.shape[-1] != channels:
        raise ValueError(
            f"`conv_transpose`: the kernel must be (*kernel_size, out_channels, {channels}) for "
            f"inputs with {channels} channels. Received: kernel.shape={k.shape}"
        )
    mode = _padding(padding, "conv_transpose")
    steps = _tuple(strides, rank, "strides", "conv_transpose")
    dil = _tuple(dilation_rate, rank, "dilation_rate", "conv_transpose")
    if output_padding is None or isinstance(output_padding, int):
        extras: Sequence[Any] = (output_padding,) * rank
    else:
        extras = tuple(output_padding)
    pads = [_transpose_pads(k.shape[i], steps[i], mode, extras[i], dil[i]) for i in range(rank)]
    # Swap the kernel's in/out axes and flip it spatially: a transposed convolution is a
    # convolution of the stride-dilated input with that kernel.
    flipped = jnp.flip(jnp.swapaxes(k, -1, -2), axis=tuple(range(rank)))
    return jax.lax.conv_general_dilated(
        x, flipped, (1,) * rank, pads, lhs_dilation=steps, rhs_dilation=dil,
        dimension_numbers=_dimension_numbers(data_format, rank),
    )


# ------------------------------------------------------------ encodings, losses


def one_hot(x: Any, num_classes: int, axis: int = -1, dtype: Any = None,
            sparse: bool = False) -> jax.Array | _sparse.BCOO:
    """One-hot encoding of integer class ids along a new `axis` (ids out of range: zeros).

    Args:
        x: Integer class ids.
        num_classes: Length of the new axis.
        axis: Where the new axis goes.
        dtype: Output dtype (default: `lx.config.floatx()`).
        sparse: Whether to return a `jax.experimental.sparse.BCOO` (one stored entry per id,
            a stored zero for a negative id), as Keras' JAX backend does.

    Example:
        >>> import layerax as lx
        >>> lx.ops.nn.one_hot([0, 2], 3).tolist()
        [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
        >>> lx.ops.nn.one_hot([0, 2], 3, sparse=True).todense().tolist()
        [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
    """
    dtype = dtype or _config.floatx()
    if sparse:
        return _sparse.one_hot(_t(x), num_classes, axis, dtype)
    return jax.nn.one_hot(_t(x), num_classes, dtype=dtype, axis=axis)


def multi_hot(inputs: Any, num_classes: int | None = None, axis: int = -1, dtype: Any = None,
              sparse: bool = False, **kwargs: Any) -> jax.Array | _sparse.BCOO:
    """Multi-hot encoding: for each sample (row), 1 at every class id it contains.

    `num_tokens=` is accepted as an alias of `num_classes`. With `sparse=True` the result is a
    `jax.experimental.sparse.BCOO` with one stored entry per distinct (sample, id) (this
    needs concrete ids: not under `jax.jit`).

    Example:
        >>> import layerax as lx
        >>> lx.ops.nn.multi_hot([[0, 2]], 3).tolist()
        [[1.0, 0.0, 1.0]]
        >>> lx.ops.nn.multi_hot([[0, 2, 2]], 3, sparse=True).nse
        2
    """
    if num_classes is None:
        num_classes = kwargs.pop("num_tokens", None)
    if kwargs:
        raise TypeError(f"`multi_hot` got unexpected keyword arguments {sorted(kwargs)}.")
    if num_classes is None:
        raise ValueError("`multi_hot` needs `num_classes` (the number of classes), e.g. "
                         "`multi_hot(ids, num_classes=10)`.")
    x = _t(inputs).astype("int32")
    if sparse:
        return _sparse.multi_hot(x, num_classes, axis, dtype or _config.floatx())
    encoded = jax.nn.one_hot(x, num_classes, dtype=dtype or _config.floatx(), axis=axis)
    return jnp.max(encoded, axis=1 if x.ndim > 1 else 0)


def _check_same_shape(target: jax.Array, output: jax.Array, op: str) -> None:
    if target.shape != output.shape:
        raise ValueError(
            f"`{op}`: `target` and `output` must have the same shape. Received: "
            f"target.shape={target.shape}, output.shape={output.shape}"
        )


def binary_crossentropy(target: Any, output: Any, from_logits: bool = False) -> jax.Array:
    """Elementwise binary cross-entropy between labels `target` and probabilities (or logits).

    Probabilities are clipped to `[epsilon, 1 - epsilon]` (`lx.config.epsilon()`).

    Example:
        >>> import layerax as lx
        >>> [round(v, 4) for v in lx.ops.nn.binary_crossentropy([1.0], [0.5]).tolist()]
        [0.6931]
    """
    target, output = _float(target), _float(output)
    _check_same_shape(target, output, "binary_crossentropy")
    if from_logits:
        return target * jax.nn.softplus(-output) + (1 - target) * jax.nn.softplus(output)
    eps = _config.epsilon()
    output = jnp.clip(output, eps, 1 - eps)
    return -(target * jnp.log(output) + (1 - target) * jnp.log1p(-output))


def _log_probs(output: jax.Array, from_logits: bool, axis: int) -> jax.Array:
    if from_logits:
        return jax.nn.log_softmax(output, axis=axis)
    output = output / jnp.sum(output, axis=axis, keepdims=True)
    eps = _config.epsilon()
    return jnp.log(jnp.clip(output, eps, 1 - eps))


def categorical_crossentropy(target: Any, output: Any, from_logits: bool = False,
                             axis: int = -1) -> jax.Array:
    """Cross-entropy between one-hot (or soft) labels and class probabilities (or logits).

    Probabilities are renormalised over `axis` and clipped to `[epsilon, 1 - epsilon]`.

    Example:
        >>> import layerax as lx
        >>> [round(v, 4) for v in lx.ops.nn.categorical_crossentropy([[0.0, 1.0]],
        ...                                                            [[0.5, 0.5]]).tolist()]
        [0.6931]
    """
    target, output = _float(target), _float(output)
    _check_same_shape(target, output, "categorical_crossentropy")
    return -jnp.sum(target * _log_probs(output, from_logits, axis), axis=axis)


def sparse_categorical_crossentropy(target: Any, output: Any, from_logits: bool = False,
                                    axis: int = -1) -> jax.Array:
    """Cross-entropy between integer class ids and class probabilities (or logits).

    Example:
        >>> import layerax as lx
        >>> [round(v, 4) for v in lx.ops.nn.sparse_categorical_crossentropy(
        ...     [1], [[0.5, 0.5]]).tolist()]
        [0.6931]
    """
    target, output = _t(target).astype("int32"), _float(output)
    if target.ndim == output.ndim and target.shape[-1] == 1:
        target = target[..., 0]
    if target.ndim != output.ndim - 1:
        raise ValueError(
            "`sparse_categorical_crossentropy`: `target` must have one axis fewer than "
            f"`output` (class ids, not one-hot). Received: target.shape={target.shape}, "
            f"output.shape={output.shape}"
        )
    log_probs = _log_probs(output, from_logits, axis)
    picked = jnp.take_along_axis(log_probs, jnp.expand_dims(target, axis), axis=axis)
    return -jnp.squeeze(picked, axis)


# ---------------------------------------------------------------- normalization


def moments(x: Any, axes: Any, keepdims: bool = False, synchronized: bool = False
            ) -> tuple[jax.Array, jax.Array]:
    """Mean and variance of `x` over `axes` (half-precision inputs are reduced in float32).

    Example:
        >>> import layerax as lx
        >>> [float(v) for v in lx.ops.nn.moments([1.0, 3.0], axes=[0])]
        [2.0, 1.0]
    """
    if synchronized:
        raise ValueError("`moments`: synchronized=True (a cross-device mean) is not supported; "
                         "compute moments per device and average them with jax.lax.pmean.")
    x = _float(x)
    axes = tuple(axes) if isinstance(axes, (list, tuple)) else axes
    half = x.dtype in (jnp.float16, jnp.bfloat16)
    work = x.astype(jnp.float32) if half else x
    mean = jnp.mean(work, axis=axes, keepdims=keepdims)
    variance = jnp.var(work, axis=axes, keepdims=keepdims)
    if half:
        big = jnp.finfo(jnp.float16).max
        mean = jnp.clip(mean, -big, big).astype(x.dtype)
        variance = jnp.clip(variance, -big, big).astype(x.dtype)
    return mean, variance


def batch_normalization(x: Any, mean: Any, variance: Any, axis: int, offset: Any = None,
                        scale: Any = None, epsilon: float = 1e-3) -> jax.Array:
    """`(x - mean) / sqrt(variance + epsilon) * scale + offset`, statistics along `axis`.

    `mean`, `variance`, `offset` and `scale` are vectors of length `x.shape[axis]`.

    Example:
        >>> import layerax as lx
        >>> lx.ops.nn.batch_normalization([[1.0, 2.0]], [1.0, 2.0], [1.0, 1.0], axis=-1,
        ...                               epsilon=0.0).tolist()
        [[0.0, 0.0]]
    """
    x = _float(x)
    shape = [1] * x.ndim
    shape[axis] = x.shape[axis]

    def vec(v: Any) -> jax.Array:
        return jnp.reshape(_t(v), shape)

    inv = jax.lax.rsqrt(vec(variance) + epsilon)
    if scale is not None:
        inv = inv * vec(scale)
    out = (x - vec(mean)) * inv
    return out if offset is None else out + vec(offset)


def normalize(x: Any, axis: int = -1, order: int = 2, epsilon: float | None = None
              ) -> jax.Array:
    """`x` divided by its `order`-norm along `axis` (at least `epsilon`).

    Example:
        >>> import layerax as lx
        >>> lx.ops.nn.normalize([3.0, 4.0]).tolist()
        [0.6000000238418579, 0.800000011920929]
    """
    if isinstance(order, bool) or not isinstance(order, int) or order < 1:
        raise ValueError(f"`normalize`: `order` must be an int >= 1. Received: order={order!r}")
    x = _float(x)
    if x.ndim == 0:
        x = x[None]
    eps = _config.epsilon() if epsilon is None else epsilon
    if order == 2:
        inv = jax.lax.rsqrt(jnp.sum(jnp.square(x), axis=axis, keepdims=True))
        # The cap 1 / epsilon overflows half precision: apply it in float32.
        cap = jnp.minimum(inv.astype(jnp.promote_types(x.dtype, jnp.float32)), 1.0 / eps)
        return x * cap.astype(x.dtype)
    norm = jnp.linalg.norm(x, ord=order, axis=axis, keepdims=True)
    return x / jnp.maximum(norm, eps)


def _in_float32(x: Any) -> tuple[jax.Array, Any]:
    x = _t(x)
    dtype = x.dtype
    return x.astype(jnp.promote_types(dtype, jnp.float32)), dtype


def rms_normalization(x: Any, scale: Any = None, axis: int | Sequence[int] = -1,
                      epsilon: float | None = None) -> jax.Array:
    """`x / sqrt(mean(x**2, axis) + epsilon) * scale`, computed in at least float32.

    Example:
        >>> import layerax as lx
        >>> lx.ops.nn.rms_normalization([3.0, 3.0], epsilon=0.0).tolist()
        [1.0, 1.0]
    """
    x, dtype = _in_float32(x)
    if x.ndim == 0:
        x = x[None]
    axis = tuple(axis) if isinstance(axis, (list, tuple)) else axis
    eps = _config.epsilon() if epsilon is None else epsilon
    out = x * jax.lax.rsqrt(jnp.mean(jnp.square(x), axis=axis, keepdims=True) + eps)
    if scale is not None:
        out = out * _t(scale).astype(x.dtype)
    return out.astype(dtype)


def layer_normalization(x: Any, gamma: Any = None, beta: Any = None,
                        axis: int | Sequence[int] = -1, epsilon: float | None = None,
                        **kwargs: Any) -> jax.Array:
    """`(x - mean) / sqrt(var + epsilon) * gamma + beta` over `axis`, in at least float32.

    `gamma` and `beta` have the shape of the normalised axes (or broadcast to `x`).
    `rms_scaling=True` (deprecated in Keras) skips the centring and `beta`.

    Example:
        >>> import layerax as lx
        >>> lx.ops.nn.layer_normalization([1.0, 3.0], epsilon=0.0).tolist()
        [-1.0, 1.0]
    """
    rms_scaling = kwargs.pop("rms_scaling", False)
    if kwargs:
        raise TypeError(f"`layer_normalization` got unexpected keyword arguments {sorted(kwargs)}.")
    x, dtype = _in_float32(x)
    axes = sorted(a % x.ndim for a in (axis if isinstance(axis, (list, tuple)) else [axis]))
    shape = [x.shape[d] if d in axes else 1 for d in range(x.ndim)]

    def param(v: Any) -> jax.Array:
        v = _t(v).astype(x.dtype)
        return v.reshape(shape) if v.ndim != x.ndim else v

    eps = _config.epsilon() if epsilon is None else epsilon
    axes_t = tuple(axes)
    variance = jnp.var(x, axis=axes_t, keepdims=True)
    if rms_scaling:
        out = x * jax.lax.rsqrt(variance + eps)
        if gamma is not None:
            out = out * param(gamma)
        return out.astype(dtype)
    mean = jnp.mean(x, axis=axes_t, keepdims=True)
    inv = jax.lax.rsqrt(variance + eps)
    if gamma is not None:
        inv = inv * param(gamma)
    out = (x - mean) * inv
    if beta is not None:
        out = out + param(beta)
    return out.astype(dtype)


# ----------------------------------------------------------------- sequences


def ctc_loss(target: Any, output: Any, target_length: Any, output_length: Any,
             mask_index: int = 0) -> jax.Array:
    """Connectionist temporal classification loss per sample.

    Args:
        target: Integer labels `(batch, max_label_length)`.
        output: Logits `(batch, max_length, num_classes)`.
        target_length: Label lengths `(batch,)`.
        output_length: Logit sequence lengths `(batch,)`.
        mask_index: The blank class.

    Returns:
        The negative log-likelihood of each label sequence, `(batch,)`.

    Example:
        >>> import layerax as lx, numpy as np
        >>> loss = lx.ops.nn.ctc_loss(np.array([[1]]), np.zeros((1, 2, 3)), np.array([1]),
        ...                           np.array([2]))
        >>> round(float(loss[0]), 4)  # 3 of the 9 paths give the label "1"
        1.0986
    """
    import optax

    target = _t(target).astype("int32")
    output = _float(output)
    if output.ndim != 3 or target.ndim != 2 or target.shape[0] != output.shape[0]:
        raise ValueError(
            "`ctc_loss` expects target (batch, max_label_length) and output (batch, max_length, "
            f"num_classes). Received: target.shape={target.shape}, output.shape={output.shape}"
        )
    steps = jnp.arange(output.shape[1])[None, :]
    logit_pads = (steps >= _t(output_length)[:, None]).astype(output.dtype)
    labels = jnp.arange(target.shape[1])[None, :]
    label_pads = (labels >= _t(target_length)[:, None]).astype(output.dtype)
    return optax.ctc_loss(output, logit_pads, target, label_pads, blank_id=mask_index)


def ctc_decode(inputs: Any, sequence_lengths: Any, strategy: str = "greedy",
               beam_width: int = 100, top_paths: int = 1, merge_repeated: bool = True,
               mask_index: int | None = 0) -> tuple[jax.Array, jax.Array]:
    """Decodes CTC outputs, by best path (`"greedy"`) or by prefix beam search (`"beam_search"`).

    Steps at or past a sample's sequence length are ignored.

    Args:
        inputs: Logits `(batch, max_length, num_classes)` (not softmax-normalised).
        sequence_lengths: Lengths `(batch,)`.
        strategy: `"greedy"` (the best class at each step) or `"beam_search"` (the most
            probable label sequences, summing the probabilities of their alignments).
        beam_width: Prefixes kept at each step of the beam search.
        top_paths: Number of sequences the beam search returns per sample.
        merge_repeated: Greedy only: whether consecutive repeats of a class collapse into one.
            The beam search always applies the CTC rule (repeats collapse unless a blank
            separates them) and ignores it, as Keras' JAX backend does.
        mask_index: The blank class (`None`: the last class).

    Returns:
        `(decoded, scores)`: class ids `(1, batch, max_length)` (greedy) or
        `(top_paths, batch, max_length)` (beam search), padded with -1; and the scores
        `(batch, 1)`, the negative sum of the per-step maximum logits (greedy), or
        `(batch, top_paths)`, the log-probability of each sequence (beam search; `-inf` with
        an all -1 path where the beam holds fewer than `top_paths` sequences).

    Example:
        >>> import layerax as lx, numpy as np
        >>> logits = np.eye(3)[[1, 1, 0, 2]][None]
        >>> lx.ops.nn.ctc_decode(logits, np.array([4]))[0][0].tolist()
        [[1, 2, -1, -1]]
        >>> paths, scores = lx.ops.nn.ctc_decode(logits, np.array([4]), strategy="beam_search",
        ...                                      beam_width=4, top_paths=2)
        >>> paths[:, 0].tolist()
        [[1, 2, -1, -1], [1, -1, -1, -1]]
    """
    if strategy not in ("greedy", "beam_search"):
        raise ValueError(
            "`ctc_decode`: `strategy` must be 'greedy' or 'beam_search'. Received: "
            f"strategy={strategy!r}"
        )
    x = _float(inputs)
    x = x.astype(jnp.promote_types(x.dtype, jnp.float32))
    if x.ndim != 3:
        raise ValueError(
            "`ctc_decode` expects inputs of shape (batch, max_length, num_classes). Received: "
            f"inputs.shape={x.shape}"
        )
    _, length, num_classes = x.shape
    if mask_index is None:
        mask_index = num_classes - 1
    lengths = _t(sequence_lengths).astype("int32")
    if strategy == "beam_search":
        for name, value in (("beam_width", beam_width), ("top_paths", top_paths)):
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
                raise ValueError(f"`ctc_decode`: `{name}` must be a positive int. Received: "
                                 f"{name}={value!r}")
        return _ctc_beam_search(jax.nn.log_softmax(x, axis=-1), lengths,
                                beam_width=int(beam_width), top_paths=int(top_paths),
                                blank_id=int(mask_index))
    ids = jnp.argmax(x, axis=-1)
    best = jnp.max(x, axis=-1)
    past_end = jnp.arange(length)[None, :] >= lengths[:, None]
    ids = jnp.where(past_end, mask_index, ids)
    best = jnp.where(past_end, 0.0, best)
    if merge_repeated:
        repeat = jnp.pad(ids[:, 1:] == ids[:, :-1], ((0, 0), (1, 0)))
        ids = jnp.where(repeat, mask_index, ids)
    blank = ids == mask_index
    # A stable sort on "is blank" moves the kept ids to the front, in order.
    order = jnp.argsort(blank, axis=-1, stable=True)
    ids = jnp.take_along_axis(jnp.where(blank, -1, ids), order, axis=-1)
    return ids[None], -jnp.sum(best, axis=1, keepdims=True)


def psnr(x1: Any, x2: Any, max_val: Any) -> jax.Array:
    """Peak signal-to-noise ratio: `20 log10(max_val) - 10 log10(mean((x1 - x2)**2))`.

    Example:
        >>> import layerax as lx
        >>> round(float(lx.ops.nn.psnr([0.0, 1.0], [0.0, 0.9], 1.0)), 2)
        23.01
    """
    x1, x2 = _float(x1), _float(x2)
    if x1.shape != x2.shape:
        raise ValueError(f"`psnr`: x1 and x2 must have the same shape. Received: "
                         f"x1.shape={x1.shape}, x2.shape={x2.shape}")
    mse = jnp.mean(jnp.square(x1 - x2))
    return 20 * jnp.log10(jnp.asarray(max_val, x2.dtype)) - 10 * jnp.log10(mse)


def dot_product_attention(query: Any, key: Any, value: Any, bias: Any = None, mask: Any = None,
                          scale: float | None = None, is_causal: bool = False,
                          flash_attention: bool | None = None,
                          attn_logits_soft_cap: float | None = None) -> jax.Array:
    """Scaled dot-product attention, `softmax(q k^T * scale + bias) v`, with grouped heads.

    Args:
        query: `(batch, q_length, num_heads, head_dim)`.
        key, value: `(batch, kv_length, num_kv_heads, head_dim)`; `num_heads` must be a
            multiple of `num_kv_heads`.
        bias: Added to the logits, broadcastable to `(batch, num_heads, q_length, kv_length)`.
        mask: Boolean, same broadcast shape; False positions are excluded.
        scale: Logit scale; defaults to `1 / sqrt(head_dim)`.
        is_causal: Whether each query attends only to keys at or before its position.
        flash_attention: True requests the cuDNN fused kernel (GPU only).
        attn_logits_soft_cap: If set, logits become `cap * tanh(logits / cap)`.

    Example:
        >>> import layerax as lx, numpy as np
        >>> q = np.ones((1, 2, 4, 8), np.float32)
        >>> lx.ops.nn.dot_product_attention(q, q, q).shape
        (1, 2, 4, 8)
    """
    q, k, v = _t(query), _t(key), _t(value)
    if q.ndim != 4 or k.ndim != 4 or v.ndim != 4:
        raise ValueError(
            "`dot_product_attention` expects query, key and value of rank 4 (batch, length, "
            f"heads, head_dim). Received: query.shape={q.shape}, key.shape={k.shape}, "
            f"value.shape={v.shape}"
        )
    bias = None if bias is None else _t(bias)
    mask = None if mask is None else _t(mask).astype(bool)
    if attn_logits_soft_cap is None:
        implementation = "cudnn" if flash_attention else None
        return jax.nn.dot_product_attention(q, k, v, bias=bias, mask=mask, scale=scale,
                                            is_causal=is_causal, implementation=implementation)
    if flash_attention:
        raise ValueError("`dot_product_attention`: attn_logits_soft_cap is not supported together "
                         "with flash_attention=True. Pass flash_attention=None.")
    return _soft_capped_attention(q, k, v, bias, mask, scale, is_causal, attn_logits_soft_cap)


def _soft_capped_attention(q: jax.Array, k: jax.Array, v: jax.Array, bias: Any, mask: Any,
                           scale: float | None, is_causal: bool, cap: float) -> jax.Array:
    heads, kv_heads = q.shape[2], k.shape[2]
    if heads % kv_heads:
        raise ValueError(f"`dot_product_attention`: query heads ({heads}) must be a multiple of "
                         f"key/value heads ({kv_heads}).")
    group = heads // kv_heads
    k = jnp.repeat(k, group, axis=2)
    v = jnp.repeat(v, group, axis=2)
    scale = 1.0 / _pymath.sqrt(q.shape[-1]) if scale is None else scale
    logits = jnp.einsum("btnh,bsnh->bnts", q, k).astype(jnp.float32) * scale
    if bias is not None:
        logits = logits + bias.astype(logits.dtype)
    logits = cap * jnp.tanh(logits / cap)
    keep = None
    if mask is not None:
        keep = mask
    if is_causal:
        causal = jnp.tril(jnp.ones((q.shape[1], k.shape[1]), bool))
        keep = causal if keep is None else keep & causal
    if keep is not None:
        logits = jnp.where(keep, logits, jnp.finfo(logits.dtype).min)
    probs = jax.nn.softmax(logits, axis=-1).astype(q.dtype)
    return jnp.einsum("bnts,bsnh->btnh", probs, v)


def polar(abs_: Any, angle: Any) -> jax.Array:
    """The complex number `abs_ * (cos(angle) + i sin(angle))`.

    Example:
        >>> import layerax as lx, numpy as np
        >>> z = lx.ops.nn.polar(2.0, np.pi / 2)
        >>> abs(float(z.real)) < 1e-6, round(float(z.imag), 5)
        (True, 2.0)
    """
    r, a = _float(abs_), _float(angle)
    return jax.lax.complex(r * jnp.cos(a), r * jnp.sin(a))


# ------------------------------------------------------------ patches and blocks


def _pair(value: Any, name: str, op: str, allow_zero: bool = False) -> tuple[int, int]:
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        values = (int(value), int(value))
    else:
        values = tuple(int(v) for v in value)
    low = 0 if allow_zero else 1
    if len(values) != 2 or min(values) < low:
        raise ValueError(f"`{op}`: `{name}` must be an int or a pair of ints >= {low}. "
                         f"Received: {name}={value!r}")
    return values  # type: ignore[return-value]


def unfold(x: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1
           ) -> jax.Array:
    """Extracts sliding blocks of a `(N, C, H, W)` input as columns (PyTorch's `unfold`).

    Returns:
        `(N, C * kh * kw, L)` with `L` the number of block positions; rows run over `C`
        first, then the kernel's rows and columns.

    Example:
        >>> import layerax as lx, numpy as np
        >>> lx.ops.nn.unfold(np.ones((1, 2, 3, 3)), 2).shape
        (1, 8, 4)
    """
    x = _t(x)
    if x.ndim != 4:
        raise ValueError(f"`unfold` expects a (N, C, H, W) input. Received: x.shape={x.shape}")
    kh, kw = _pair(kernel_size, "kernel_size", "unfold")
    ph, pw = _pair(padding, "padding", "unfold", allow_zero=True)
    patches = jax.lax.conv_general_dilated_patches(
        x, (kh, kw), _pair(stride, "stride", "unfold"), ((ph, ph), (pw, pw)),
        rhs_dilation=_pair(dilation, "dilation", "unfold"),
        dimension_numbers=("NCHW", "OIHW", "NCHW"), precision=jax.lax.Precision.HIGHEST,
    )
    return patches.reshape(x.shape[0], patches.shape[1], -1)


def fold(x: Any, output_size: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
         stride: Any = 1) -> jax.Array:
    """Sums columns of sliding blocks back into a `(N, C, H, W)` array (the adjoint of `unfold`).

    Args:
        x: `(N, C * kh * kw, L)`, as `unfold` returns.
        output_size: `(H, W)` of the result.

    Example:
        >>> import layerax as lx, numpy as np
        >>> lx.ops.nn.fold(np.ones((1, 4, 4)), (3, 3), 2)[0, 0].tolist()
        [[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]
    """
    x = _float(x)
    kh, kw = _pair(kernel_size, "kernel_size", "fold")
    if x.ndim != 3 or x.shape[1] % (kh * kw):
        raise ValueError(f"`fold` expects (N, C * {kh} * {kw}, L). Received: x.shape={x.shape}")
    h, w = _pair(output_size, "output_size", "fold")
    (dh, dw), (ph, pw) = _pair(dilation, "dilation", "fold"), _pair(padding, "padding", "fold", True)
    sh, sw = _pair(stride, "stride", "fold")
    blocks = ((h + 2 * ph - dh * (kh - 1) - 1) // sh + 1) * ((w + 2 * pw - dw * (kw - 1) - 1) // sw + 1)
    if x.shape[2] != blocks:
        raise ValueError(
            f"`fold`: output_size={(h, w)} with these kernel_size, dilation, padding and stride "
            f"has {blocks} block positions, but x has {x.shape[2]} (x.shape={x.shape})."
        )
    template = jax.ShapeDtypeStruct((x.shape[0], x.shape[1] // (kh * kw), h, w), x.dtype)

    def _unfold(images: jax.Array) -> jax.Array:
        return unfold(images, kernel_size, dilation, padding, stride)

    (out,) = jax.linear_transpose(_unfold, template)(x)
    return out


def _block_args(x: Any, block_size: int, data_format: str, op: str) -> jax.Array:
    x = _t(x)
    if x.ndim != 4:
        raise ValueError(f"`{op}` expects a 4-D input. Received: x.shape={x.shape}")
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"`{op}`: data_format must be 'channels_last' or 'channels_first'. "
                         f"Received: data_format={data_format!r}")
    if isinstance(block_size, bool) or not isinstance(block_size, int) or block_size < 1:
        raise ValueError(f"`{op}`: block_size must be a positive int. "
                         f"Received: block_size={block_size!r}")
    return x


def depth_to_space(x: Any, block_size: int, data_format: str = "channels_last") -> jax.Array:
    """Moves channel blocks into `block_size x block_size` spatial tiles (pixel shuffle).

    Example:
        >>> import layerax as lx, numpy as np
        >>> lx.ops.nn.depth_to_space(np.arange(4).reshape(1, 1, 1, 4), 2)[0, ..., 0].tolist()
        [[0, 1], [2, 3]]
    """
    x = _block_args(x, block_size, data_format, "depth_to_space")
    b = block_size
    if data_format == "channels_last":
        n, h, w, c = x.shape
        y = x.reshape(n, h, w, b, b, c // (b * b)).transpose(0, 1, 3, 2, 4, 5)
        return y.reshape(n, h * b, w * b, c // (b * b))
    n, c, h, w = x.shape
    y = x.reshape(n, c // (b * b), b, b, h, w).transpose(0, 1, 4, 2, 5, 3)
    return y.reshape(n, c // (b * b), h * b, w * b)


def space_to_depth(x: Any, block_size: int, data_format: str = "channels_last") -> jax.Array:
    """Moves `block_size x block_size` spatial tiles into channels (the inverse of
    `depth_to_space`).

    Example:
        >>> import layerax as lx, numpy as np
        >>> lx.ops.nn.space_to_depth(np.arange(4).reshape(1, 2, 2, 1), 2).ravel().tolist()
        [0, 1, 2, 3]
    """
    x = _block_args(x, block_size, data_format, "space_to_depth")
    b = block_size
    if data_format == "channels_last":
        n, h, w, c = x.shape
        y = x.reshape(n, h // b, b, w // b, b, c).transpose(0, 1, 3, 2, 4, 5)
        return y.reshape(n, h // b, w // b, c * b * b)
    n, c, h, w = x.shape
    y = x.reshape(n, c, h // b, b, w // b, b).transpose(0, 1, 3, 5, 2, 4)
    return y.reshape(n, c * b * b, h // b, w // b)
