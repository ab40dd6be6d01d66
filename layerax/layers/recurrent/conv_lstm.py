"""Convolutional LSTM: `ConvLSTMCell` and `ConvLSTM1D` / `ConvLSTM2D` / `ConvLSTM3D`."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from layerax import activations, constraints, initializers, regularizers
from layerax import config as lx_config
from layerax.core.input_spec import InputSpec
from layerax.core.layer import Layer
from layerax.layers.recurrent import _conv
from layerax.layers.recurrent._cell_base import forget_bias_initializer
from layerax.layers.recurrent.dropout_cell import DropoutRNNCell, make_seed_generator
from layerax.layers.recurrent.rnn import RNN, cell_property


class ConvLSTMCell(Layer, DropoutRNNCell):
    """Cell of the ConvLSTM layers: an LSTM step whose matmuls are convolutions.

    Gates in Keras' order `i, f, c, o` (blocks of `filters` output channels
    of the kernels). The input convolution uses `strides`, `padding` and
    `dilation_rate`; the recurrent one is a stride-1 `"same"` convolution.

    Args:
        rank: Number of spatial dimensions (1, 2 or 3).
        filters: Number of output channels.
        kernel_size: Int or tuple of `rank` ints.
        strides: Int or tuple of `rank` ints (`1`).
        padding: `"valid"` or `"same"`.
        data_format: `"channels_last"` or `"channels_first"` (default from `lx.config`).
        dilation_rate: Int or tuple of `rank` ints (`1`).
        activation: Activation of the candidate and output (`"tanh"`).
        recurrent_activation: Activation of the gates (`"sigmoid"`).
        use_bias: Whether to add a bias.
        kernel_initializer: Initializer of `kernel` (`"glorot_uniform"`).
        recurrent_initializer: Initializer of `recurrent_kernel` (`"orthogonal"`).
        bias_initializer: Initializer of `bias` (`"zeros"`).
        unit_forget_bias: Initialize the forget gate's bias to ones.
        kernel_regularizer: Regularizer of `kernel`.
        recurrent_regularizer: Regularizer of `recurrent_kernel`.
        bias_regularizer: Regularizer of `bias`.
        kernel_constraint: Constraint of `kernel`.
        recurrent_constraint: Constraint of `recurrent_kernel`.
        bias_constraint: Constraint of `bias`.
        dropout: Fraction of the inputs dropped (training only).
        recurrent_dropout: Fraction of the recurrent state dropped (training only).
        seed: Seed of the dropout masks.

    Call arguments:
        inputs: `(batch, *spatial, channels)` (channels_last) inputs of one step.
        states: `[h, c]`.
        training: Whether dropout is active.

    Input shape:
        `(batch, *spatial, channels)` or `(batch, channels, *spatial)`.

    Output shape:
        `(batch, *new_spatial, filters)` (or channels first), and `[h, c]`.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> cell = lx.layers.ConvLSTMCell(2, 4, 3, padding="same")
        >>> cell.build((2, 6, 6, 3))
        >>> h, _ = cell(jnp.ones((2, 6, 6, 3)), cell.get_initial_state(2))
        >>> h.shape, cell.kernel.shape
        ((2, 6, 6, 4), (3, 3, 3, 16))
    """

    compiles_eagerly = True

    def __init__(
        self,
        rank: int,
        filters: int,
        kernel_size: Any,
        strides: Any = 1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: Any = 1,
        activation: Any = "tanh",
        recurrent_activation: Any = "sigmoid",
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        recurrent_initializer: Any = "orthogonal",
        bias_initializer: Any = "zeros",
        unit_forget_bias: bool = True,
        kernel_regularizer: Any = None,
        recurrent_regularizer: Any = None,
        bias_regularizer: Any = None,
        kernel_constraint: Any = None,
        recurrent_constraint: Any = None,
        bias_constraint: Any = None,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if rank not in (1, 2, 3):
            raise ValueError(
                f"ConvLSTM supports rank 1, 2 or 3 convolutions. Received: rank={rank}"
            )
        if not isinstance(filters, int) or filters <= 0:
            raise ValueError(
                "Received an invalid value for argument `filters`, expected a positive integer. "
                f"Received: filters={filters!r}"
            )
        self.rank = rank
        self.filters = filters
        self.kernel_size = _conv.normalize_tuple(kernel_size, rank, "kernel_size")
        self.strides = _conv.normalize_tuple(strides, rank, "strides")
        self.padding = _conv.normalize_padding(padding)
        self.data_format = lx_config.standardize_data_format(data_format)
        self.dilation_rate = _conv.normalize_tuple(dilation_rate, rank, "dilation_rate")
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                "Specifying `strides > 1` is not compatible with `dilation_rate > 1`. Provide "
                f"`strides=1` or `dilation_rate=1`. Received: strides={self.strides} and "
                f"dilation_rate={self.dilation_rate}"
            )
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.unit_forget_bias = unit_forget_bias
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = min(1.0, max(0.0, float(dropout)))
        self.recurrent_dropout = min(1.0, max(0.0, float(recurrent_dropout)))
        self.dropout_mask_count = 4
        self.seed = seed
        make_seed_generator(self, seed)
        self.input_spec = InputSpec(ndim=rank + 2)
        # As in Keras: the state shapes depend on the input's spatial size (see get_initial_state).
        self.state_size = -1
        self.spatial_dims: tuple[int, ...] | None = None
        self.input_dim: int | None = None

    def _channel_axis(self) -> int:
        return -1 if self.data_format == "channels_last" else 1

    def build(self, inputs_shape: Any, states_shape: Any = None) -> None:
        inputs_shape = tuple(inputs_shape)
        if len(inputs_shape) != self.rank + 2:
            raise ValueError(
                f"Layer '{self.name}' expects step inputs of rank {self.rank + 2} "
                f"(batch, spatial..., channels). Received input shape: {inputs_shape}"
            )
        if self.data_format == "channels_last":
            spatial = inputs_shape[1:-1]
        else:
            spatial = inputs_shape[2:]
        if any(d is None for d in spatial):
            raise ValueError(
                f"ConvLSTM layers need static spatial dimensions. Layer '{self.name}' received "
                f"input shape: {inputs_shape}"
            )
        input_dim = inputs_shape[self._channel_axis()]
        if input_dim is None:
            raise ValueError(
                f"Layer '{self.name}' needs a defined channel dimension. Received input shape: "
                f"{inputs_shape}"
            )
        self.spatial_dims = tuple(spatial)
        self.input_dim = int(input_dim)
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={self._channel_axis(): input_dim})
        self.kernel = self.add_weight(
            shape=(*self.kernel_size, self.input_dim, self.filters * 4),
            name="kernel",
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.recurrent_kernel = self.add_weight(
            shape=(*self.kernel_size, self.filters, self.filters * 4),
            name="recurrent_kernel",
            initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint,
        )
        if self.use_bias:
            initializer = (
                forget_bias_initializer(self.bias_initializer, self.filters)
                if self.unit_forget_bias
                else self.bias_initializer
            )
            self.bias = self.add_weight(
                shape=(self.filters * 4,),
                name="bias",
                initializer=initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        else:
            self.bias = None

    def _masked(self, x: jax.Array, mask: Any) -> list[jax.Array]:
        if mask is None:
            return [x] * 4
        return [x * m for m in mask]

    def call(self, inputs: Any, states: Any, training: bool = False) -> tuple[jax.Array, list[Any]]:
        h_prev, c_prev = states[0], states[1]
        dp = (
            self.get_dropout_mask(inputs) if training and 0.0 < self.dropout < 1.0 else None
        )
        rdp = (
            self.get_recurrent_dropout_mask(h_prev)
            if training and 0.0 < self.recurrent_dropout < 1.0
            else None
        )
        xs = self._masked(inputs, dp)
        hs = self._masked(h_prev, rdp)
        kernel = self.kernel.value
        recurrent_kernel = self.recurrent_kernel.value
        f = self.filters
        bias_shape = (
            (1,) * (self.rank + 1) + (f,)
            if self.data_format == "channels_last"
            else (1, f) + (1,) * self.rank
        )
        ones = (1,) * self.rank
        z = []
        for k in range(4):
            x_k = _conv.conv(
                xs[k],
                kernel[..., k * f : (k + 1) * f],
                self.strides,
                self.padding,
                self.data_format,
                self.dilation_rate,
            )
            if self.bias is not None:
                x_k = x_k + jnp.reshape(self.bias.value[k * f : (k + 1) * f], bias_shape)
            h_k = _conv.conv(
                hs[k], recurrent_kernel[..., k * f : (k + 1) * f], ones, "same", self.data_format
            )
            z.append(x_k + h_k)
        i = self.recurrent_activation(z[0])
        fg = self.recurrent_activation(z[1])
        c = fg * c_prev + i * self.activation(z[2])
        o = self.recurrent_activation(z[3])
        h = o * self.activation(c)
        return h, [h, c]

    def compute_output_shape(self, inputs_shape: Any, states_shape: Any = None) -> Any:
        inputs_shape = tuple(inputs_shape)
        if self.data_format == "channels_last":
            spatial = inputs_shape[1:-1]
        else:
            spatial = inputs_shape[2:]
        new_spatial = tuple(
            _conv.conv_output_length(d, k, self.padding, s, r)
            for d, k, s, r in zip(spatial, self.kernel_size, self.strides, self.dilation_rate)
        )
        if self.data_format == "channels_last":
            shape = (inputs_shape[0], *new_spatial, self.filters)
        else:
            shape = (inputs_shape[0], self.filters, *new_spatial)
        return shape, [shape, shape]

    def get_initial_state(self, batch_size: int | None = None) -> list[jax.Array]:
        """Zero hidden and cell states of shape `(batch_size, *spatial, filters)`.

        The cell must be built first (the spatial size comes from its input);
        otherwise a ValueError names the layer.
        """
        if self.spatial_dims is None:
            raise ValueError(
                f"Layer '{self.name}' must be built (it needs the spatial size of its inputs) "
                "before get_initial_state() is called."
            )
        if self.data_format == "channels_last":
            input_shape = (batch_size, *self.spatial_dims, self.input_dim)
        else:
            input_shape = (batch_size, self.input_dim, *self.spatial_dims)
        state_shape = self.compute_output_shape(input_shape)[0]
        zeros = jnp.zeros(state_shape, self.compute_dtype)
        return [zeros, zeros]

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "rank": self.rank,
            **_conv_lstm_args(self),
            "seed": self.seed,
        }


def _conv_lstm_args(cell: ConvLSTMCell) -> dict[str, Any]:
    return {
        "filters": cell.filters,
        "kernel_size": cell.kernel_size,
        "strides": cell.strides,
        "padding": cell.padding,
        "data_format": cell.data_format,
        "dilation_rate": cell.dilation_rate,
        "activation": activations.serialize(cell.activation),
        "recurrent_activation": activations.serialize(cell.recurrent_activation),
        "use_bias": cell.use_bias,
        "kernel_initializer": initializers.serialize(cell.kernel_initializer),
        "recurrent_initializer": initializers.serialize(cell.recurrent_initializer),
        "bias_initializer": initializers.serialize(cell.bias_initializer),
        "unit_forget_bias": cell.unit_forget_bias,
        "kernel_regularizer": regularizers.serialize(cell.kernel_regularizer),
        "recurrent_regularizer": regularizers.serialize(cell.recurrent_regularizer),
        "bias_regularizer": regularizers.serialize(cell.bias_regularizer),
        "kernel_constraint": constraints.serialize(cell.kernel_constraint),
        "recurrent_constraint": constraints.serialize(cell.recurrent_constraint),
        "bias_constraint": constraints.serialize(cell.bias_constraint),
        "dropout": cell.dropout,
        "recurrent_dropout": cell.recurrent_dropout,
    }


class ConvLSTM(RNN):
    """Base of the N-D convolutional LSTM layers (use ConvLSTM1D/2D/3D)."""

    def __init__(
        self,
        rank: int,
        filters: int,
        kernel_size: Any,
        strides: Any = 1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: Any = 1,
        activation: Any = "tanh",
        recurrent_activation: Any = "sigmoid",
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        recurrent_initializer: Any = "orthogonal",
        bias_initializer: Any = "zeros",
        unit_forget_bias: bool = True,
        kernel_regularizer: Any = None,
        recurrent_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        recurrent_constraint: Any = None,
        bias_constraint: Any = None,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        seed: int | None = None,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        **kwargs: Any,
    ) -> None:
        cell = ConvLSTMCell(
            rank=rank,
            filters=filters,
            kernel_size=kernel_size,
            strides=strides,
            padding=padding,
            data_format=data_format,
            dilation_rate=dilation_rate,
            activation=activation,
            recurrent_activation=recurrent_activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer,
            unit_forget_bias=unit_forget_bias,
            kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            seed=seed,
            name="conv_lstm_cell",
            dtype=kwargs.get("dtype"),
        )
        super().__init__(
            cell,
            return_sequences=return_sequences,
            return_state=return_state,
            go_backwards=go_backwards,
            stateful=stateful,
            activity_regularizer=activity_regularizer,
            **kwargs,
        )
        self.input_spec = InputSpec(ndim=rank + 3)

    def build(self, sequences_shape: Any, initial_state_shape: Any = None) -> None:
        super().build(sequences_shape, initial_state_shape)
        channel_axis = -1 if self.cell.data_format == "channels_last" else 2
        self.input_spec = InputSpec(
            ndim=self.cell.rank + 3, axes={channel_axis: sequences_shape[channel_axis]}
        )

    def call(
        self, sequences: Any, initial_state: Any = None, mask: Any = None, training: bool = False
    ) -> Any:
        return super().call(sequences, initial_state=initial_state, mask=mask, training=training)

    def compute_output_shape(self, sequences_shape: Any, initial_state_shape: Any = None) -> Any:
        sequences_shape = tuple(sequences_shape)
        batch, steps = sequences_shape[0], sequences_shape[1]
        step_shape = (batch, *sequences_shape[2:])
        state_shape = tuple(self.cell.compute_output_shape(step_shape)[0][1:])
        if self.return_sequences:
            output_shape: Any = (batch, steps, *state_shape)
        else:
            output_shape = (batch, *state_shape)
        if self.return_state:
            return output_shape, (batch, *state_shape), (batch, *state_shape)
        return output_shape

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        mask = previous_mask[0] if isinstance(previous_mask, (list, tuple)) else previous_mask
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask, None, None]
        return output_mask

    filters = cell_property("filters")
    kernel_size = cell_property("kernel_size")
    strides = cell_property("strides")
    padding = cell_property("padding")
    data_format = cell_property("data_format")
    dilation_rate = cell_property("dilation_rate")
    activation = cell_property("activation")
    recurrent_activation = cell_property("recurrent_activation")
    use_bias = cell_property("use_bias")
    kernel_initializer = cell_property("kernel_initializer")
    recurrent_initializer = cell_property("recurrent_initializer")
    bias_initializer = cell_property("bias_initializer")
    unit_forget_bias = cell_property("unit_forget_bias")
    kernel_regularizer = cell_property("kernel_regularizer")
    recurrent_regularizer = cell_property("recurrent_regularizer")
    bias_regularizer = cell_property("bias_regularizer")
    kernel_constraint = cell_property("kernel_constraint")
    recurrent_constraint = cell_property("recurrent_constraint")
    bias_constraint = cell_property("bias_constraint")
    dropout = cell_property("dropout")
    recurrent_dropout = cell_property("recurrent_dropout")

    def get_config(self) -> dict[str, Any]:
        config = {
            **super().get_config(),
            **_conv_lstm_args(self.cell),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "seed": self.cell.seed,
        }
        del config["cell"]
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> ConvLSTM:
        return cls(**config)


_LAYER_DOC = """{n}D Convolutional LSTM: an LSTM whose input and recurrent transformations are
    convolutions.

    Args:
        filters: Number of output channels.
        kernel_size: Int or tuple of {n} ints.
        strides: Int or tuple of {n} ints (`1`).
        padding: `"valid"` or `"same"`.
        data_format: `"channels_last"` or `"channels_first"` (default from `lx.config`).
        dilation_rate: Int or tuple of {n} ints (`1`).
        activation: Activation of the candidate and output (`"tanh"`).
        recurrent_activation: Activation of the gates (`"sigmoid"`).
        use_bias: Whether to add a bias.
        kernel_initializer: Initializer of `kernel` (`"glorot_uniform"`).
        recurrent_initializer: Initializer of `recurrent_kernel` (`"orthogonal"`).
        bias_initializer: Initializer of `bias` (`"zeros"`).
        unit_forget_bias: Initialize the forget gate's bias to ones.
        kernel_regularizer: Regularizer of `kernel`.
        recurrent_regularizer: Regularizer of `recurrent_kernel`.
        bias_regularizer: Regularizer of `bias`.
        activity_regularizer: Regularizer of the output.
        kernel_constraint: Constraint of `kernel`.
        recurrent_constraint: Constraint of `recurrent_kernel`.
        bias_constraint: Constraint of `bias`.
        dropout: Fraction of the inputs dropped (training only).
        recurrent_dropout: Fraction of the recurrent state dropped (training only).
        seed: Seed of the dropout masks.
        return_sequences: Return the full sequence of outputs.
        return_state: Also return the last states `h, c`.
        go_backwards: Process the sequence backwards.
        stateful: Carry the last states over to the next call.

    Call arguments:
        sequences: `(batch, time, *spatial, channels)` inputs (channels_last).
        initial_state: `[h, c]` initial states.
        mask: `(batch, time)` boolean mask.
        training: Whether dropout is active.

    Input shape:
        `(batch, time, *spatial, channels)` (channels_last) or
        `(batch, time, channels, *spatial)` (channels_first), {n} spatial axes.

    Output shape:
        `(batch, time, *new_spatial, filters)` with `return_sequences`, else
        `(batch, *new_spatial, filters)` (channels_last).

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> layer = lx.layers.{cls}(4, 3, padding="same", return_sequences=True)
        >>> layer(jnp.ones({example})).shape
        {result}
    """


class ConvLSTM1D(ConvLSTM):
    __doc__ = _LAYER_DOC.format(
        n=1, cls="ConvLSTM1D", example="(2, 3, 8, 2)", result="(2, 3, 8, 4)"
    )

    def __init__(
        self,
        filters: int,
        kernel_size: Any,
        strides: Any = 1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: Any = 1,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            1,
            filters,
            kernel_size,
            strides=strides,
            padding=padding,
            data_format=data_format,
            dilation_rate=dilation_rate,
            **kwargs,
        )


class ConvLSTM2D(ConvLSTM):
    __doc__ = _LAYER_DOC.format(
        n=2, cls="ConvLSTM2D", example="(2, 3, 6, 6, 2)", result="(2, 3, 6, 6, 4)"
    )

    def __init__(
        self,
        filters: int,
        kernel_size: Any,
        strides: Any = 1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: Any = 1,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            2,
            filters,
            kernel_size,
            strides=strides,
            padding=padding,
            data_format=data_format,
            dilation_rate=dilation_rate,
            **kwargs,
        )


class ConvLSTM3D(ConvLSTM):
    __doc__ = _LAYER_DOC.format(
        n=3, cls="ConvLSTM3D", example="(2, 3, 4, 4, 4, 2)", result="(2, 3, 4, 4, 4, 4)"
    )

    def __init__(
        self,
        filters: int,
        kernel_size: Any,
        strides: Any = 1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: Any = 1,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            3,
            filters,
            kernel_size,
            strides=strides,
            padding=padding,
            data_format=data_format,
            dilation_rate=dilation_rate,
            **kwargs,
        )

__all__ = ["ConvLSTM", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D", "ConvLSTMCell"]
