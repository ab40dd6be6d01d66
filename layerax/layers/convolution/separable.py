"""SeparableConv1D and SeparableConv2D (aliases SeparableConvolution1D/2D)."""

from __future__ import annotations

from typing import Any

import jax

from layerax import activations, constraints, initializers, regularizers
from layerax import config as _config
from layerax.core import registry
from layerax.core.input_spec import InputSpec
from layerax.core.layer import Layer
from layerax.layers.convolution import _args, _kernels
from layerax.layers.convolution.base import check_spatial_output, input_channels
from layerax.layers.convolution.depthwise import conv_output_shape


class BaseSeparableConv(Layer):
    """N-D separable convolution: a depthwise convolution, then a 1x1 (pointwise) one.

    Args:
        rank: Number of spatial dimensions.
        depth_multiplier: Depthwise output channels per input channel.
        filters: Number of output channels (of the pointwise step).
        kernel_size: Depthwise window size (int or tuple).
        strides: Depthwise strides (int or tuple).
        padding: `"valid"` or `"same"`.
        data_format: `"channels_last"` or `"channels_first"`.
        dilation_rate: Depthwise kernel dilation (int or tuple).
        activation: Activation (None: linear).
        use_bias: Whether to add a bias.
        depthwise_initializer: Depthwise kernel initializer.
        pointwise_initializer: Pointwise kernel initializer.
        bias_initializer: Bias initializer.
        depthwise_regularizer: Depthwise kernel regularizer.
        pointwise_regularizer: Pointwise kernel regularizer.
        bias_regularizer: Bias regularizer.
        activity_regularizer: Output regularizer.
        depthwise_constraint: Depthwise kernel constraint.
        pointwise_constraint: Pointwise kernel constraint.
        bias_constraint: Bias constraint.

    Weights:
        `depthwise_kernel` `(*kernel_size, channels, depth_multiplier)`,
        `pointwise_kernel` `(1, ..., 1, channels * depth_multiplier, filters)`,
        then `bias` `(filters,)`.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> from layerax.layers.convolution.separable import BaseSeparableConv
        >>> BaseSeparableConv(1, 1, 5, 3)(jnp.ones((1, 6, 4))).shape
        (1, 4, 5)
    """

    def __init__(
        self,
        rank: int,
        depth_multiplier: int,
        filters: int,
        kernel_size: Any,
        strides: Any = 1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: Any = 1,
        activation: Any = None,
        use_bias: bool = True,
        depthwise_initializer: Any = "glorot_uniform",
        pointwise_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        depthwise_regularizer: Any = None,
        pointwise_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        depthwise_constraint: Any = None,
        pointwise_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.rank = rank
        self.depth_multiplier = _args.positive_int(depth_multiplier, "depth_multiplier", self)
        self.filters = _args.positive_int(filters, "filters", self)
        self.kernel_size = _args.normalize_tuple(kernel_size, rank, "kernel_size", self)
        self.strides = _args.normalize_tuple(strides, rank, "strides", self)
        self.dilation_rate = _args.normalize_tuple(dilation_rate, rank, "dilation_rate", self)
        self.padding = _args.normalize_padding(padding, self, ("valid", "same"))
        self.data_format = _config.standardize_data_format(data_format)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)
        self.pointwise_constraint = constraints.get(pointwise_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(ndim=rank + 2)

    def build(self, input_shape: Any) -> None:
        channels = input_channels(self, input_shape)
        check_spatial_output(self, input_shape, self.compute_output_shape(input_shape))
        self.depthwise_kernel = self.add_weight(
            name="depthwise_kernel",
            shape=(*self.kernel_size, channels, self.depth_multiplier),
            initializer=self.depthwise_initializer,
            regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint,
        )
        self.pointwise_kernel = self.add_weight(
            name="pointwise_kernel",
            shape=(1,) * self.rank + (channels * self.depth_multiplier, self.filters),
            initializer=self.pointwise_initializer,
            regularizer=self.pointwise_regularizer,
            constraint=self.pointwise_constraint,
        )
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias",
                shape=(self.filters,),
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
        outputs = _kernels.separable_conv(
            inputs,
            self.depthwise_kernel.value,
            self.pointwise_kernel.value,
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
        return conv_output_shape(self, input_shape, self.filters)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "depth_multiplier": self.depth_multiplier,
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
            "pointwise_initializer": initializers.serialize(self.pointwise_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "depthwise_regularizer": regularizers.serialize(self.depthwise_regularizer),
            "pointwise_regularizer": regularizers.serialize(self.pointwise_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "depthwise_constraint": constraints.serialize(self.depthwise_constraint),
            "pointwise_constraint": constraints.serialize(self.pointwise_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        }


class SeparableConv1D(BaseSeparableConv):
    """1-D separable convolution: depthwise filtering, then a pointwise channel mix.

    Args:
        filters: Number of output channels.
        kernel_size: Depthwise window length (int or 1-tuple).
        strides: Depthwise stride (int or 1-tuple).
        padding: `"valid"` or `"same"`.
        data_format: `"channels_last"` or `"channels_first"`.
        dilation_rate: Depthwise dilation (int or 1-tuple).
        depth_multiplier: Depthwise output channels per input channel.
        activation: Activation (None: linear).
        use_bias: Whether to add a bias.
        depthwise_initializer: Depthwise kernel initializer.
        pointwise_initializer: Pointwise kernel initializer.
        bias_initializer: Bias initializer.
        depthwise_regularizer: Depthwise kernel regularizer.
        pointwise_regularizer: Pointwise kernel regularizer.
        bias_regularizer: Bias regularizer.
        activity_regularizer: Output regularizer.
        depthwise_constraint: Depthwise kernel constraint.
        pointwise_constraint: Pointwise kernel constraint.
        bias_constraint: Bias constraint.

    Input shape:
        `(batch, steps, channels)` (channels_last) or `(batch, channels, steps)`.

    Output shape:
        `(batch, new_steps, filters)` (channels_last) or `(batch, filters, new_steps)`.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> layer = lx.layers.SeparableConv1D(4, 3, depth_multiplier=2)
        >>> layer(jnp.ones((2, 8, 3))).shape
        (2, 6, 4)
        >>> [w.shape for w in layer.weights]
        [(3, 3, 2), (1, 6, 4), (4,)]
    """

    def __init__(
        self,
        filters: int,
        kernel_size: Any,
        strides: Any = 1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: Any = 1,
        depth_multiplier: int = 1,
        activation: Any = None,
        use_bias: bool = True,
        depthwise_initializer: Any = "glorot_uniform",
        pointwise_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        depthwise_regularizer: Any = None,
        pointwise_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        depthwise_constraint: Any = None,
        pointwise_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            1, depth_multiplier, filters, kernel_size, strides=strides, padding=padding,
            data_format=data_format, dilation_rate=dilation_rate, activation=activation,
            use_bias=use_bias, depthwise_initializer=depthwise_initializer,
            pointwise_initializer=pointwise_initializer, bias_initializer=bias_initializer,
            depthwise_regularizer=depthwise_regularizer,
            pointwise_regularizer=pointwise_regularizer, bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer, depthwise_constraint=depthwise_constraint,
            pointwise_constraint=pointwise_constraint, bias_constraint=bias_constraint,
            **kwargs,
        )


class SeparableConv2D(BaseSeparableConv):
    """2-D separable convolution: depthwise filtering, then a pointwise channel mix.

    Args:
        filters: Number of output channels.
        kernel_size: Depthwise window `(height, width)` (int or 2-tuple).
        strides: Depthwise strides (int or 2-tuple).
        padding: `"valid"` or `"same"`.
        data_format: `"channels_last"` or `"channels_first"`.
        dilation_rate: Depthwise dilation (int or 2-tuple).
        depth_multiplier: Depthwise output channels per input channel.
        activation: Activation (None: linear).
        use_bias: Whether to add a bias.
        depthwise_initializer: Depthwise kernel initializer.
        pointwise_initializer: Pointwise kernel initializer.
        bias_initializer: Bias initializer.
        depthwise_regularizer: Depthwise kernel regularizer.
        pointwise_regularizer: Pointwise kernel regularizer.
        bias_regularizer: Bias regularizer.
        activity_regularizer: Output regularizer.
        depthwise_constraint: Depthwise kernel constraint.
        pointwise_constraint: Pointwise kernel constraint.
        bias_constraint: Bias constraint.

    Input shape:
        `(batch, height, width, channels)` (channels_last) or
        `(batch, channels, height, width)`.

    Output shape:
        `(batch, new_height, new_width, filters)` (channels_last) or
        `(batch, filters, new_height, new_width)`.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> layer = lx.layers.SeparableConv2D(8, 3, padding="same")
        >>> layer(jnp.ones((1, 6, 6, 3))).shape
        (1, 6, 6, 8)
    """

    def __init__(
        self,
        filters: int,
        kernel_size: Any,
        strides: Any = (1, 1),
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: Any = (1, 1),
        depth_multiplier: int = 1,
        activation: Any = None,
        use_bias: bool = True,
        depthwise_initializer: Any = "glorot_uniform",
        pointwise_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        depthwise_regularizer: Any = None,
        pointwise_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        depthwise_constraint: Any = None,
        pointwise_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            2, depth_multiplier, filters, kernel_size, strides=strides, padding=padding,
            data_format=data_format, dilation_rate=dilation_rate, activation=activation,
            use_bias=use_bias, depthwise_initializer=depthwise_initializer,
            pointwise_initializer=pointwise_initializer, bias_initializer=bias_initializer,
            depthwise_regularizer=depthwise_regularizer,
            pointwise_regularizer=pointwise_regularizer, bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer, depthwise_constraint=depthwise_constraint,
            pointwise_constraint=pointwise_constraint, bias_constraint=bias_constraint,
            **kwargs,
        )


SeparableConvolution1D = registry.register("layers", "SeparableConvolution1D")(SeparableConv1D)
SeparableConvolution2D = registry.register("layers", "SeparableConvolution2D")(SeparableConv2D)
