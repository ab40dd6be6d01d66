"""Conv1DTranspose, Conv2DTranspose, Conv3DTranspose (aliases Convolution*DTranspose)."""

from __future__ import annotations

from typing import Any

import jax

from layerax import activations, constraints, initializers, regularizers
from layerax import config as _config
from layerax.core import registry
from layerax.core.input_spec import InputSpec
from layerax.core.layer import Layer
from layerax.layers.convolution import _args, _kernels
from layerax.layers.convolution.base import input_channels


class BaseConvTranspose(Layer):
    """N-D transposed convolution (the gradient of a convolution, "deconvolution").

    Maps each input position to a `kernel_size` window of the output, spaced
    `strides` apart: it upsamples. Output lengths follow Keras:

    - `padding="valid"`: `(length - 1) * stride + span + output_padding`,
      with `span = dilation * (kernel - 1) + 1` and `output_padding`
      defaulting to `max(span, stride) - span`;
    - `padding="same"`: `length * stride`, or with an explicit
      `output_padding`, `(length - 1) * stride + span % 2 + output_padding`.

    Args:
        rank: Number of spatial dimensions.
        filters: Number of output channels.
        kernel_size: Window size (int or tuple of `rank` ints).
        strides: Upsampling strides (int or tuple).
        padding: `"valid"` or `"same"`.
        output_padding: Extra length added at the end of each spatial axis
            (int or tuple, each `< strides`), or None for the default above.
        data_format: `"channels_last"` or `"channels_first"`.
        dilation_rate: Kernel dilation (int or tuple); not with `strides > 1`.
        activation: Activation (None: linear).
        use_bias: Whether to add a bias.
        kernel_initializer: Kernel initializer.
        bias_initializer: Bias initializer.
        kernel_regularizer: Kernel regularizer.
        bias_regularizer: Bias regularizer.
        activity_regularizer: Output regularizer.
        kernel_constraint: Kernel constraint.
        bias_constraint: Bias constraint.

    Weights:
        `kernel` of shape `(*kernel_size, filters, input_channels)`, then `bias`
        of shape `(filters,)`.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> from layerax.layers.convolution.conv_transpose import BaseConvTranspose
        >>> BaseConvTranspose(1, 2, 3, strides=2)(jnp.ones((1, 4, 3))).shape
        (1, 9, 2)
    """

    def __init__(
        self,
        rank: int,
        filters: int,
        kernel_size: Any,
        strides: Any = 1,
        padding: str = "valid",
        output_padding: Any = None,
        data_format: str | None = None,
        dilation_rate: Any = 1,
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
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.rank = rank
        self.filters = _args.positive_int(filters, "filters", self)
        self.kernel_size = _args.normalize_tuple(kernel_size, rank, "kernel_size", self)
        self.strides = _args.normalize_tuple(strides, rank, "strides", self)
        self.dilation_rate = _args.normalize_tuple(dilation_rate, rank, "dilation_rate", self)
        self.padding = _args.normalize_padding(padding, self, ("valid", "same"))
        self.output_padding = (
            None
            if output_padding is None
            else _args.normalize_tuple(
                output_padding, rank, "output_padding", self, allow_zero=True
            )
        )
        self.data_format = _config.standardize_data_format(data_format)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        if self.output_padding is not None and any(
            p >= s for p, s in zip(self.output_padding, self.strides)
        ):
            raise ValueError(
                f"{_args.owner(self)}: every value of `output_padding` must be strictly less "
                f"than the matching stride. Received: output_padding={self.output_padding}, "
                f"strides={self.strides}."
            )
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                f"{_args.owner(self)}: `strides > 1` is not supported together with "
                f"`dilation_rate > 1`. Received: strides={self.strides}, "
                f"dilation_rate={self.dilation_rate}."
            )
        self.input_spec = InputSpec(ndim=rank + 2)

    def build(self, input_shape: Any) -> None:
        channels = input_channels(self, input_shape)
        self.kernel = self.add_weight(
            name="kernel",
            shape=(*self.kernel_size, self.filters, channels),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
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

    def _output_padding(self, i: int) -> int | None:
        return None if self.output_padding is None else self.output_padding[i]

    def call(self, inputs: Any) -> jax.Array:
        pads = tuple(
            _args.conv_transpose_pads(
                self.kernel_size[i], self.strides[i], self.padding, self._output_padding(i),
                self.dilation_rate[i],
            )
            for i in range(self.rank)
        )
        outputs = _kernels.conv_transpose(
            inputs,
            self.kernel.value,
            None if self.bias is None else self.bias.value,
            strides=self.strides,
            padding=pads,
            dilation=self.dilation_rate,
            data_format=self.data_format,
            groups=1,
            dtype=self.compute_dtype,
            activation=_kernels.fusable(self.activation),
        )
        return outputs if _kernels.fusable(self.activation) else self.activation(outputs)

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        shape = _args.check_rank(input_shape, self.rank + 2, self)
        out = list(shape)
        for i, axis in enumerate(_args.spatial_axes(self.data_format, self.rank)):
            out[axis] = _args.conv_transpose_output_length(
                shape[axis], self.kernel_size[i], self.strides[i], self.padding,
                self._output_padding(i), self.dilation_rate[i],
            )
        out[_args.channel_axis(self.data_format, self.rank)] = self.filters
        return tuple(out)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "output_padding": self.output_padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        }




class Conv1DTranspose(BaseConvTranspose):
    """1-D transposed convolution ("deconvolution") over `(batch, steps, channels)` inputs.

    See `BaseConvTranspose` for the output-length rules.

    Args:
        filters: Number of output channels.
        kernel_size: Window length (int or 1-tuple).
        strides: Upsampling stride (int or 1-tuple).
        padding: `"valid"` or `"same"`.
        output_padding: Extra length at the end (`< strides`), or None.
        data_format: `"channels_last"` or `"channels_first"`.
        dilation_rate: Kernel dilation (int or 1-tuple).
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
        >>> layer = lx.layers.Conv1DTranspose(3, 4, strides=2, padding="same")
        >>> layer(jnp.ones((2, 5, 6))).shape
        (2, 10, 3)
        >>> layer.kernel.shape
        (4, 3, 6)
    """

    def __init__(
        self,
        filters: int,
        kernel_size: Any,
        strides: Any = 1,
        padding: str = "valid",
        output_padding: Any = None,
        data_format: str | None = None,
        dilation_rate: Any = 1,
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
            1, filters, kernel_size, strides=strides, padding=padding,
            output_padding=output_padding, data_format=data_format,
            dilation_rate=dilation_rate, activation=activation, use_bias=use_bias,
            kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer, kernel_constraint=kernel_constraint,
            bias_constraint=bias_constraint, **kwargs,
        )


class Conv2DTranspose(BaseConvTranspose):
    """2-D transposed convolution ("deconvolution"): learned upsampling of images.

    See `BaseConvTranspose` for the output-size rules.

    Args:
        filters: Number of output channels.
        kernel_size: Window `(height, width)` (int or 2-tuple).
        strides: Upsampling strides (int or 2-tuple).
        padding: `"valid"` or `"same"`.
        output_padding: Extra size at the end of each axis (`< strides`), or None.
        data_format: `"channels_last"` or `"channels_first"`.
        dilation_rate: Kernel dilation (int or 2-tuple).
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
        >>> layer = lx.layers.Conv2DTranspose(16, 3)
        >>> layer(jnp.ones((1, 4, 4, 1))).shape
        (1, 6, 6, 16)
        >>> [w.shape for w in layer.weights]
        [(3, 3, 16, 1), (16,)]
    """

    def __init__(
        self,
        filters: int,
        kernel_size: Any,
        strides: Any = (1, 1),
        padding: str = "valid",
        output_padding: Any = None,
        data_format: str | None = None,
        dilation_rate: Any = (1, 1),
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
            2, filters, kernel_size, strides=strides, padding=padding,
            output_padding=output_padding, data_format=data_format,
            dilation_rate=dilation_rate, activation=activation, use_bias=use_bias,
            kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer, kernel_constraint=kernel_constraint,
            bias_constraint=bias_constraint, **kwargs,
        )


class Conv3DTranspose(BaseConvTranspose):
    """3-D transposed convolution ("deconvolution") over volumes.

    Note that, as in Keras, `data_format` comes before `output_padding` in
    this layer's positional arguments. See `BaseConvTranspose` for the
    output-size rules.

    Args:
        filters: Number of output channels.
        kernel_size: Window `(d1, d2, d3)` (int or 3-tuple).
        strides: Upsampling strides (int or 3-tuple).
        padding: `"valid"` or `"same"`.
        data_format: `"channels_last"` or `"channels_first"`.
        output_padding: Extra size at the end of each axis (`< strides`), or None.
        dilation_rate: Kernel dilation (int or 3-tuple).
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
        >>> lx.layers.Conv3DTranspose(2, 2, strides=2)(jnp.ones((1, 3, 3, 3, 4))).shape
        (1, 6, 6, 6, 2)
    """

    def __init__(
        self,
        filters: int,
        kernel_size: Any,
        strides: Any = (1, 1, 1),
        padding: str = "valid",
        data_format: str | None = None,
        output_padding: Any = None,
        dilation_rate: Any = (1, 1, 1),
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
            3, filters, kernel_size, strides=strides, padding=padding,
            output_padding=output_padding, data_format=data_format,
            dilation_rate=dilation_rate, activation=activation, use_bias=use_bias,
            kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer, kernel_constraint=kernel_constraint,
            bias_constraint=bias_constraint, **kwargs,
        )


Convolution1DTranspose = registry.register("layers", "Convolution1DTranspose")(Conv1DTranspose)
Convolution2DTranspose = registry.register("layers", "Convolution2DTranspose")(Conv2DTranspose)
Convolution3DTranspose = registry.register("layers", "Convolution3DTranspose")(Conv3DTranspose)
