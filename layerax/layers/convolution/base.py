"""`BaseConv`: the N-D convolution that Conv1D/2D/3D specialise, plus helpers shared by the
transposed, depthwise and separable convolutions."""

from __future__ import annotations

from typing import Any

import jax

from layerax import activations, constraints, initializers, regularizers
from layerax import config as _config
from layerax.core.input_spec import InputSpec
from layerax.core.layer import Layer
from layerax.layers.convolution import _args, _kernels


def input_channels(layer: Any, input_shape: Any) -> int:
    """The channel count of `input_shape` (checked to be defined)."""
    shape = _args.check_rank(input_shape, layer.rank + 2, layer)
    channels = shape[_args.channel_axis(layer.data_format, layer.rank)]
    if channels is None:
        raise ValueError(
            f"{_args.owner(layer)} needs a defined channel dimension (data_format="
            f"'{layer.data_format}'). Received input shape: {shape}"
        )
    return int(channels)


def check_spatial_output(layer: Any, input_shape: Any, output_shape: Any) -> None:
    """Raises when an input is too small for the kernel: the output would be empty."""
    spatial = _args.spatial_axes(layer.data_format, layer.rank)
    if any(output_shape[a] is not None and output_shape[a] <= 0 for a in spatial):
        raise ValueError(
            f"{_args.owner(layer)}: the input is too small for the window. Computed output "
            f"shape {tuple(output_shape)} has a dimension <= 0. Received input shape "
            f"{tuple(input_shape)}, kernel_size={layer.kernel_size}, strides={layer.strides}, "
            f"dilation_rate={layer.dilation_rate}, padding='{layer.padding}'. Use a larger "
            "input, a smaller kernel/stride/dilation, or padding='same'."
        )


class BaseConv(Layer):
    """N-D convolution (cross-correlation) of the inputs with a learned kernel.

    `outputs = activation(conv(inputs, kernel) + bias)`. The public layers are
    `Conv1D`, `Conv2D` and `Conv3D`; this base class takes the spatial `rank`.

    Args:
        rank: Number of spatial dimensions (1, 2 or 3).
        filters: Number of output channels.
        kernel_size: Window size: an int or a tuple of `rank` ints.
        strides: Stride of the window (int or tuple). `strides > 1` cannot be
            combined with `dilation_rate > 1`.
        padding: `"valid"` (no padding), `"same"` (output length
            `ceil(input / stride)`, padding split evenly, the extra one on the
            right) or, for `Conv1D` only, `"causal"` (pad on the left only, so
            `output[t]` sees only `input[:t + 1]`).
        data_format: `"channels_last"` (`(batch, *spatial, channels)`) or
            `"channels_first"` (`(batch, channels, *spatial)`); defaults to
            `lx.config.image_data_format()`.
        dilation_rate: Dilation of the kernel (int or tuple): `dilation_rate > 1`
            is the "atrous" (à trous) convolution, whose kernel taps are
            `dilation_rate` positions apart.
        groups: Number of channel groups: input channels and `filters` are split
            into `groups` parts, each convolved separately (`groups == channels`
            is a depthwise convolution).
        activation: Activation name or callable (None: linear).
        use_bias: Whether to add a bias.
        kernel_initializer: Initializer of the kernel (`"glorot_uniform"`).
        bias_initializer: Initializer of the bias (`"zeros"`).
        kernel_regularizer: Regularizer of the kernel.
        bias_regularizer: Regularizer of the bias.
        activity_regularizer: Regularizer of the output.
        kernel_constraint: Constraint of the kernel.
        bias_constraint: Constraint of the bias.

    Weights:
        `kernel` of shape `(*kernel_size, input_channels // groups, filters)`,
        then `bias` of shape `(filters,)`.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> from layerax.layers.convolution.base import BaseConv
        >>> BaseConv(2, 4, 3)(jnp.ones((1, 5, 5, 2))).shape
        (1, 3, 3, 4)
    """

    def __init__(
        self,
        rank: int,
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
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.rank = rank
        self.filters = _args.positive_int(filters, "filters", self)
        self.groups = _args.positive_int(groups, "groups", self)
        self.kernel_size = _args.normalize_tuple(kernel_size, rank, "kernel_size", self)
        self.strides = _args.normalize_tuple(strides, rank, "strides", self)
        self.dilation_rate = _args.normalize_tuple(dilation_rate, rank, "dilation_rate", self)
        allowed = ("valid", "same", "causal") if rank == 1 else ("valid", "same")
        self.padding = _args.normalize_padding(padding, self, allowed)
        self.data_format = _config.standardize_data_format(data_format)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        if self.filters % self.groups:
            raise ValueError(
                f"{_args.owner(self)}: the number of filters must be evenly divisible by the "
                f"number of groups. Received: filters={self.filters}, groups={self.groups}."
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
        if channels % self.groups:
            raise ValueError(
                f"{_args.owner(self)}: the number of input channels must be evenly divisible by "
                f"the number of groups. Received: groups={self.groups}, input channels="
                f"{channels} (input shape {tuple(input_shape)})."
            )
        check_spatial_output(self, input_shape, self.compute_output_shape(input_shape))
        self.kernel = self.add_weight(
            name="kernel",
            shape=(*self.kernel_size, channels // self.groups, self.filters),
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

    def call(self, inputs: Any) -> jax.Array:
        check_spatial_output(self, inputs.shape, self.compute_output_shape(inputs.shape))
        padding: Any = self.padding.upper()
        if self.padding == "causal":
            # Left padding only: output[t] depends on inputs[<= t].
            padding = ((self.dilation_rate[0] * (self.kernel_size[0] - 1), 0),)
        outputs = _kernels.conv(
            inputs,
            self.kernel.value,
            None if self.bias is None else self.bias.value,
            strides=self.strides,
            padding=padding,
            dilation=self.dilation_rate,
            data_format=self.data_format,
            groups=self.groups,
            dtype=self.compute_dtype,
            activation=_kernels.fusable(self.activation),
        )
        return outputs if _kernels.fusable(self.activation) else self.activation(outputs)

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        shape = _args.check_rank(input_shape, self.rank + 2, self)
        out = list(shape)
        for i, axis in enumerate(_args.spatial_axes(self.data_format, self.rank)):
            out[axis] = _args.conv_output_length(
                shape[axis], self.kernel_size[i], self.strides[i], self.padding,
                self.dilation_rate[i],
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
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "groups": self.groups,
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
