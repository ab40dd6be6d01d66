"""Conv1D, Conv2D, Conv3D (aliases Convolution1D/2D/3D)."""

from __future__ import annotations

from typing import Any

from layerax.core import registry
from layerax.layers.convolution.base import BaseConv


class Conv1D(BaseConv):
    """1-D convolution over `(batch, steps, channels)` inputs (temporal convolution).

    `padding="causal"` pads on the left only, so that `output[t]` depends on
    `inputs[:t + 1]` (WaveNet-style); `dilation_rate > 1` gives a dilated
    ("atrous") convolution. See `BaseConv` for every argument.

    Args:
        filters: Number of output channels.
        kernel_size: Window length (int or 1-tuple).
        strides: Stride (int or 1-tuple).
        padding: `"valid"`, `"same"` or `"causal"`.
        data_format: `"channels_last"` or `"channels_first"`.
        dilation_rate: Dilation (int or 1-tuple).
        groups: Number of channel groups.
        activation: Activation (None: linear).
        use_bias: Whether to add a bias.
        kernel_initializer: Kernel initializer.
        bias_initializer: Bias initializer.
        kernel_regularizer: Kernel regularizer.
        bias_regularizer: Bias regularizer.
        activity_regularizer: Output regularizer.
        kernel_constraint: Kernel constraint.
        bias_constraint: Bias constraint.

    Input shape:
        `(batch, steps, channels)` (channels_last) or `(batch, channels, steps)`.

    Output shape:
        `(batch, new_steps, filters)` (channels_last) or `(batch, filters, new_steps)`.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> layer = lx.layers.Conv1D(4, 3, padding="causal", dilation_rate=2)
        >>> layer(jnp.ones((2, 10, 3))).shape
        (2, 10, 4)
        >>> layer.kernel.shape
        (3, 3, 4)
    """

    def __init__(
        self,
        filters: int,
        kernel_size: Any,
        strides: Any = 1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: Any = 1,
        groups: int = 1,
        activation: Any = None,
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            1, filters, kernel_size, strides=strides, padding=padding, data_format=data_format,
            dilation_rate=dilation_rate, groups=groups, activation=activation, use_bias=use_bias,
            kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer, kernel_constraint=kernel_constraint,
            bias_constraint=bias_constraint, **kwargs,
        )


class Conv2D(BaseConv):
    """2-D convolution over images (spatial convolution).

    See `BaseConv` for the arguments; `dilation_rate > 1` is the atrous
    convolution.

    Args:
        filters: Number of output channels.
        kernel_size: Window `(height, width)` (int or 2-tuple).
        strides: Strides (int or 2-tuple).
        padding: `"valid"` or `"same"`.
        data_format: `"channels_last"` or `"channels_first"`.
        dilation_rate: Dilation (int or 2-tuple).
        groups: Number of channel groups.
        activation: Activation (None: linear).
        use_bias: Whether to add a bias.
        kernel_initializer: Kernel initializer.
        bias_initializer: Bias initializer.
        kernel_regularizer: Kernel regularizer.
        bias_regularizer: Bias regularizer.
        activity_regularizer: Output regularizer.
        kernel_constraint: Kernel constraint.
        bias_constraint: Bias constraint.

    Input shape:
        `(batch, height, width, channels)` (channels_last) or
        `(batch, channels, height, width)`.

    Output shape:
        `(batch, new_height, new_width, filters)` (channels_last) or
        `(batch, filters, new_height, new_width)`.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> layer = lx.layers.Conv2D(16, 3, activation="relu")
        >>> layer(jnp.ones((1, 28, 28, 1))).shape
        (1, 26, 26, 16)
        >>> [w.shape for w in layer.weights]
        [(3, 3, 1, 16), (16,)]
    """

    def __init__(
        self,
        filters: int,
        kernel_size: Any,
        strides: Any = (1, 1),
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: Any = (1, 1),
        groups: int = 1,
        activation: Any = None,
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            2, filters, kernel_size, strides=strides, padding=padding, data_format=data_format,
            dilation_rate=dilation_rate, groups=groups, activation=activation, use_bias=use_bias,
            kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer, kernel_constraint=kernel_constraint,
            bias_constraint=bias_constraint, **kwargs,
        )


class Conv3D(BaseConv):
    """3-D convolution over volumes (e.g. video or medical scans).

    See `BaseConv` for the arguments.

    Args:
        filters: Number of output channels.
        kernel_size: Window `(depth, height, width)` (int or 3-tuple).
        strides: Strides (int or 3-tuple).
        padding: `"valid"` or `"same"`.
        data_format: `"channels_last"` or `"channels_first"`.
        dilation_rate: Dilation (int or 3-tuple).
        groups: Number of channel groups.
        activation: Activation (None: linear).
        use_bias: Whether to add a bias.
        kernel_initializer: Kernel initializer.
        bias_initializer: Bias initializer.
        kernel_regularizer: Kernel regularizer.
        bias_regularizer: Bias regularizer.
        activity_regularizer: Output regularizer.
        kernel_constraint: Kernel constraint.
        bias_constraint: Bias constraint.

    Input shape:
        `(batch, d1, d2, d3, channels)` (channels_last) or
        `(batch, channels, d1, d2, d3)`.

    Output shape:
        `(batch, new_d1, new_d2, new_d3, filters)` (channels_last) or
        `(batch, filters, new_d1, new_d2, new_d3)`.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> lx.layers.Conv3D(2, 3, padding="same")(jnp.ones((1, 4, 4, 4, 3))).shape
        (1, 4, 4, 4, 2)
    """

    def __init__(
        self,
        filters: int,
        kernel_size: Any,
        strides: Any = (1, 1, 1),
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: Any = (1, 1, 1),
        groups: int = 1,
        activation: Any = None,
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            3, filters, kernel_size, strides=strides, padding=padding, data_format=data_format,
            dilation_rate=dilation_rate, groups=groups, activation=activation, use_bias=use_bias,
            kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer, kernel_constraint=kernel_constraint,
            bias_constraint=bias_constraint, **kwargs,
        )


Convolution1D = registry.register("layers", "Convolution1D")(Conv1D)
Convolution2D = registry.register("layers", "Convolution2D")(Conv2D)
Convolution3D = registry.register("layers", "Convolution3D")(Conv3D)
