"""DepthwiseConv1D and DepthwiseConv2D."""

from __future__ import annotations

from typing import Any

import jax

from layerax import activations, constraints, initializers, regularizers
from layerax import config as _config
from layerax.core.input_spec import InputSpec
from layerax.core.layer import Layer
from layerax.layers.convolution import _args, _kernels
from layerax.layers.convolution.base import check_spatial_output, input_channels


def conv_output_shape(layer: Any, input_shape: Any, channels_out: Any) -> tuple[Any, ...]:
    """Output shape of a (depthwise or separable) convolution with `channels_out` channels."""
    shape = _args.check_rank(input_shape, layer.rank + 2, layer)
    out = list(shape)
    for i, axis in enumerate(_args.spatial_axes(layer.data_format, layer.rank)):
        out[axis] = _args.conv_output_length(
            shape[axis], layer.kernel_size[i], layer.strides[i], layer.padding,
            layer.dilation_rate[i],
        )
    out[_args.channel_axis(layer.data_format, layer.rank)] = channels_out
    return tuple(out)


class BaseDepthwiseConv(Layer):
    """N-D depthwise convolution: each input channel convolved with its own filters.

    Args:
        rank: Number of spatial dimensions.
        depth_multiplier: Output channels per input channel.
        kernel_size: Window size (int or tuple of `rank` ints).
        strides: Strides (int or tuple).
        padding: `"valid"` or `"same"`.
        data_format: `"channels_last"` or `"channels_first"`.
        dilation_rate: Kernel dilation (int or tuple).
        activation: Activation (None: linear).
        use_bias: Whether to add a bias.
        depthwise_initializer: Kernel initializer (`"glorot_uniform"`).
        bias_initializer: Bias initializer (`"zeros"`).
        depthwise_regularizer: Kernel regularizer.
        bias_regularizer: Bias regularizer.
        activity_regularizer: Output regularizer.
        depthwise_constraint: Kernel constraint.
        bias_constraint: Bias constraint.

    Weights:
        `kernel` of shape `(*kernel_size, channels, depth_multiplier)`, then
        `bias` of shape `(channels * depth_multiplier,)`.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> from layerax.layers.convolution.depthwise import BaseDepthwiseConv
        >>> BaseDepthwiseConv(1, 2, 3)(jnp.ones((1, 6, 4))).shape
        (1, 4, 8)
    """

    def __init__(
        self,
        rank: int,
        depth_multiplier: int,
        kernel_size: Any,
        strides: Any = 1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: Any = 1,
        activation: Any = None,
        use_bias: bool = True,
        depthwise_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        depthwise_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        depthwise_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.rank = rank
        self.depth_multiplier = _args.positive_int(depth_multiplier, "depth_multiplier", self)
        self.kernel_size = _args.normalize_tuple(kernel_size, rank, "kernel_size", self)
        self.strides = _args.normalize_tuple(strides, rank, "strides", self)
        self.dilation_rate = _args.normalize_tuple(dilation_rate, rank, "dilation_rate", self)
        self.padding = _args.normalize_padding(padding, self, ("valid", "same"))
        self.data_format = _config.standardize_data_format(data_format)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(ndim=rank + 2)

    def build(self, input_shape: Any) -> None:
        channels = input_channels(self, input_shape)
        check_spatial_output(self, input_shape, self.compute_output_shape(input_shape))
        self.kernel = self.add_weight(
            name="kernel",
            shape=(*self.kernel_size, channels, self.depth_multiplier),
            initializer=self.depthwise_initializer,
            regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint,
        )
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias",
                shape=(channels * self.depth_multiplier,),
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        else:
            self.bias = None
        self.input_spec = InputSpec(
            ndim=self.rank + 2, axes={_args.channel_axis(self.data_format, self.rank): channels}
        )

    def call(self, inputs: Any) -> jax.Array:
        check_spatial_output(self, inputs.shape, self.compute_output_shape(inputs.shape))
        outputs = _kernels.depthwise_conv(
            inputs,
            self.kernel.value,
            None if self.bias is None else self.bias.value,
            strides=self.strides,
            padding=self.padding.upper(),
            dilation=self.dilation_rate,
            data_format=self.data_format,
            groups=1,
            dtype=self.compute_dtype,
            activation=_kernels.fusable(self.activation),
        )
        return outputs if _kernels.fusable(self.activation) else self.activation(outputs)

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        shape = _args.check_rank(input_shape, self.rank + 2, self)
        channels = shape[_args.channel_axis(self.data_format, self.rank)]
        return conv_output_shape(
            self, shape, None if channels is None else channels * self.depth_multiplier
        )

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "depth_multiplier": self.depth_multiplier,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "depthwise_regularizer": regularizers.serialize(self.depthwise_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "depthwise_constraint": constraints.serialize(self.depthwise_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        }


class DepthwiseConv1D(BaseDepthwiseConv):
    """1-D depthwise convolution: each channel filtered separately.

    Args:
        kernel_size: Window length (int or 1-tuple).
        strides: Stride (int or 1-tuple).
        padding: `"valid"` or `"same"`.
        depth_multiplier: Output channels per input channel.
        data_format: `"channels_last"` or `"channels_first"`.
        dilation_rate: Kernel dilation (int or 1-tuple).
        activation: Activation (None: linear).
        use_bias: Whether to add a bias.
        depthwise_initializer: Kernel initializer.
        bias_initializer: Bias initializer.
        depthwise_regularizer: Kernel regularizer.
        bias_regularizer: Bias regularizer.
        activity_regularizer: Output regularizer.
        depthwise_constraint: Kernel constraint.
        bias_constraint: Bias constraint.

    Input shape:
        `(batch, steps, channels)` (channels_last) or `(batch, channels, steps)`.

    Output shape:
        `(batch, new_steps, channels * depth_multiplier)` (channels_last) or
        `(batch, channels * depth_multiplier, new_steps)`.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> layer = lx.layers.DepthwiseConv1D(3, depth_multiplier=2)
        >>> layer(jnp.ones((2, 8, 4))).shape
        (2, 6, 8)
        >>> [w.shape for w in layer.weights]
        [(3, 4, 2), (8,)]
    """

    def __init__(
        self,
        kernel_size: Any,
        strides: Any = 1,
        padding: str = "valid",
        depth_multiplier: int = 1,
        data_format: str | None = None,
        dilation_rate: Any = 1,
        activation: Any = None,
        use_bias: bool = True,
        depthwise_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        depthwise_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        depthwise_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            1, depth_multiplier, kernel_size, strides=strides, padding=padding,
            data_format=data_format, dilation_rate=dilation_rate, activation=activation,
            use_bias=use_bias, depthwise_initializer=depthwise_initializer,
            bias_initializer=bias_initializer, depthwise_regularizer=depthwise_regularizer,
            bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
            depthwise_constraint=depthwise_constraint, bias_constraint=bias_constraint,
            **kwargs,
        )


class DepthwiseConv2D(BaseDepthwiseConv):
    """2-D depthwise convolution: each channel of an image filtered separately.

    Args:
        kernel_size: Window `(height, width)` (int or 2-tuple).
        strides: Strides (int or 2-tuple).
        padding: `"valid"` or `"same"`.
        depth_multiplier: Output channels per input channel.
        data_format: `"channels_last"` or `"channels_first"`.
        dilation_rate: Kernel dilation (int or 2-tuple).
        activation: Activation (None: linear).
        use_bias: Whether to add a bias.
        depthwise_initializer: Kernel initializer.
        bias_initializer: Bias initializer.
        depthwise_regularizer: Kernel regularizer.
        bias_regularizer: Bias regularizer.
        activity_regularizer: Output regularizer.
        depthwise_constraint: Kernel constraint.
        bias_constraint: Bias constraint.

    Input shape:
        `(batch, height, width, channels)` (channels_last) or
        `(batch, channels, height, width)`.

    Output shape:
        `(batch, new_height, new_width, channels * depth_multiplier)`
        (channels_last) or `(batch, channels * depth_multiplier, new_height, new_width)`.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> layer = lx.layers.DepthwiseConv2D(3, padding="same", depth_multiplier=2)
        >>> layer(jnp.ones((1, 5, 5, 3))).shape
        (1, 5, 5, 6)
    """

    def __init__(
        self,
        kernel_size: Any,
        strides: Any = (1, 1),
        padding: str = "valid",
        depth_multiplier: int = 1,
        data_format: str | None = None,
        dilation_rate: Any = (1, 1),
        activation: Any = None,
        use_bias: bool = True,
        depthwise_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        depthwise_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        depthwise_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            2, depth_multiplier, kernel_size, strides=strides, padding=padding,
            data_format=data_format, dilation_rate=dilation_rate, activation=activation,
            use_bias=use_bias, depthwise_initializer=depthwise_initializer,
            bias_initializer=bias_initializer, depthwise_regularizer=depthwise_regularizer,
            bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
            depthwise_constraint=depthwise_constraint, bias_constraint=bias_constraint,
            **kwargs,
        )
