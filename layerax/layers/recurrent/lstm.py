"""`LSTMCell` and `LSTM`: long short-term memory (Hochreiter & Schmidhuber, 1997)."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from layerax import activations, initializers
from layerax.core.input_spec import InputSpec
from layerax.layers.recurrent._cell_base import (
    DenseCellBase,
    forget_bias_initializer,
    gate_preactivations,
    layer_config_from_cell,
    validate_implementation,
    validate_use_cudnn,
)
from layerax.layers.recurrent.rnn import RNN, cell_property


class LSTMCell(DenseCellBase):
    """Cell of `LSTM`: one step of the LSTM recurrence.

    With gates in Keras' order `i, f, c, o` (blocks of `units` columns of the
    kernels): `c = f * c_prev + i * activation(z_c)`, `h = o * activation(c)`.

    Args:
        units: Dimension of the output and of both states.
        activation: Activation of the candidate and the output (`"tanh"`).
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
        inputs: `(batch, features)` inputs of one step.
        states: `[h, c]`, each `(batch, units)`.
        training: Whether dropout is active.

    Input shape:
        `(batch, features)` per step.

    Output shape:
        `(batch, units)`, and the new states `[h, c]`.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> cell = lx.layers.LSTMCell(4)
        >>> h, (h2, c) = cell(jnp.ones((2, 3)), [jnp.zeros((2, 4)), jnp.zeros((2, 4))])
        >>> h.shape, [w.shape for w in cell.weights]
        ((2, 4), [(3, 16), (4, 16), (16,)])
    """

    _gates = 4
    output_is_first_state = True
    compiles_eagerly = True

    def __init__(
        self,
        units: int,
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
        implementation = validate_implementation(kwargs.pop("implementation", 2))
        super().__init__(
            units,
            activation=activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            seed=seed,
            **kwargs,
        )
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = unit_forget_bias
        # Recurrent dropout needs one mask per gate (Keras switches to implementation 1).
        self.implementation = 1 if self.recurrent_dropout != 0.0 else implementation
        self.dropout_mask_count = 4 if self.implementation == 1 else None
        self.state_size = [self.units, self.units]
        self.output_size = self.units

    def build(self, input_shape: Any) -> None:
        self._build_kernels(input_shape)
        initializer = (
            forget_bias_initializer(self.bias_initializer, self.units)
            if self.unit_forget_bias
            else self.bias_initializer
        )
        self._add_bias((self.units * 4,), initializer)

    def call(self, inputs: Any, states: Any, training: bool = False) -> tuple[jax.Array, list[Any]]:
        h_prev, c_prev = states[0], states[1]
        units = self.units
        xs = self._dropout_inputs(inputs, training)
        hs = self._dropout_state(h_prev, training)
        x_parts = gate_preactivations(xs, self.kernel.value, units)
        h_parts = gate_preactivations(hs, self.recurrent_kernel.value, units)
        z = [x + h for x, h in zip(x_parts, h_parts)]
        if self.bias is not None:
            bias = self.bias.value
            z = [zk + bias[k * units : (k + 1) * units] for k, zk in enumerate(z)]
        return self._new_states(z, c_prev)

    def _new_states(self, z: list[jax.Array], c_prev: jax.Array) -> tuple[jax.Array, list[Any]]:
        """The new `(h, [h, c])` from the four gate pre-activations (i, f, candidate, o)."""
        i = self.recurrent_activation(z[0])
        f = self.recurrent_activation(z[1])
        c = f * c_prev + i * self.activation(z[2])
        o = self.recurrent_activation(z[3])
        h = o * self.activation(c)
        return h, [h, c]

    def _lx_projected_step(self, training: Any) -> Any:
        """For `RNN`: `(project, step)`, a fused step for the common case, or None.

        The step does one matmul for the four gates of the inputs and one for the
        recurrent part (`x_t @ kernel + h @ recurrent_kernel + bias`, then split), inside
        the loop. Projecting all time steps before the loop in one big matmul was measured
        slower on XLA:CPU (the `(time, batch, 4 * units)` projection and its cotangent
        are then written to and read from memory in full; see docs/recurrent.md), so
        `project` leaves the sequences as they are. None when input dropout needs a mask
        per gate or a subclass has its own `call`. The same numbers as `call`, up to rounding.
        """
        if (training and 0.0 < self.dropout < 1.0) or type(self).call is not LSTMCell.call:
            return None  # input dropout masks per gate, or a subclass with its own `call`
        units = self.units

        def project(sequences: jax.Array) -> jax.Array:
            return sequences

        def step(x_t: jax.Array, states: Any) -> tuple[jax.Array, list[Any]]:
            h_prev, c_prev = states[0], states[1]
            hs = self._dropout_state(h_prev, training)
            z = jnp.matmul(x_t, self.kernel.value)
            if self.bias is not None:
                z = z + self.bias.value
            if all(h is hs[0] for h in hs):
                # One (batch, 4 * units) pre-activation, split once into the four gates.
                z = z + jnp.matmul(hs[0], self.recurrent_kernel.value)
                return self._new_states(jnp.split(z, 4, axis=-1), c_prev)
            h_parts = gate_preactivations(hs, self.recurrent_kernel.value, units)
            z = [z[..., k * units : (k + 1) * units] + h for k, h in enumerate(h_parts)]
            return self._new_states(z, c_prev)

        return project, step

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "unit_forget_bias": self.unit_forget_bias,
            "implementation": self.implementation,
        }


class LSTM(RNN):
    """Long Short-Term Memory layer (Hochreiter & Schmidhuber, 1997).

    Runs `LSTMCell` over the time axis with `jax.lax.scan` (XLA compiles it
    for every device, so `use_cudnn` is accepted for compatibility only).

    Args:
        units: Dimension of the output.
        activation: Activation of the candidate and the output (`"tanh"`).
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
        unroll: Unroll the time loop in Python.
        use_cudnn: `"auto"`, True or False (accepted for Keras compatibility).

    Call arguments:
        sequences: `(batch, timesteps, features)` inputs.
        initial_state: `[h, c]` initial states, each `(batch, units)`.
        mask: `(batch, timesteps)` boolean mask: padded steps keep the states
            unchanged.
        training: Whether dropout is active.

    Input shape:
        `(batch, timesteps, features)`.

    Output shape:
        `(batch, timesteps, units)` with `return_sequences`, else `(batch, units)`;
        with `return_state`, followed by `h` and `c` of shape `(batch, units)`.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> layer = lx.layers.LSTM(4, return_state=True, name="lstm")
        >>> out, h, c = layer(jnp.ones((2, 5, 3)))
        >>> out.shape, [w.path for w in layer.weights]
        ((2, 4), ['lstm/lstm_cell/kernel', 'lstm/lstm_cell/recurrent_kernel', 'lstm/lstm_cell/bias'])
    """

    def __init__(
        self,
        units: int,
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
        unroll: bool = False,
        use_cudnn: Any = "auto",
        **kwargs: Any,
    ) -> None:
        cell = LSTMCell(
            units,
            activation=activation,
            recurrent_activation=recurrent_activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            unit_forget_bias=unit_forget_bias,
            recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            seed=seed,
            implementation=kwargs.pop("implementation", 2),
            dtype=kwargs.get("dtype"),
            trainable=kwargs.get("trainable", True),
            name="lstm_cell",
        )
        super().__init__(
            cell,
            return_sequences=return_sequences,
            return_state=return_state,
            go_backwards=go_backwards,
            stateful=stateful,
            unroll=unroll,
            activity_regularizer=activity_regularizer,
            **kwargs,
        )
        self.input_spec = InputSpec(ndim=3)
        self.use_cudnn = validate_use_cudnn(use_cudnn)

    def build(self, sequences_shape: Any, initial_state_shape: Any = None) -> None:
        super().build(sequences_shape, initial_state_shape)
        self.input_spec = InputSpec(ndim=3, axes={-1: sequences_shape[-1]})

    def call(
        self, sequences: Any, initial_state: Any = None, mask: Any = None, training: bool = False
    ) -> Any:
        return super().call(sequences, initial_state=initial_state, mask=mask, training=training)

    units = cell_property("units")
    activation = cell_property("activation")
    recurrent_activation = cell_property("recurrent_activation")
    use_bias = cell_property("use_bias")
    unit_forget_bias = cell_property("unit_forget_bias")
    kernel_initializer = cell_property("kernel_initializer")
    recurrent_initializer = cell_property("recurrent_initializer")
    bias_initializer = cell_property("bias_initializer")
    kernel_regularizer = cell_property("kernel_regularizer")
    recurrent_regularizer = cell_property("recurrent_regularizer")
    bias_regularizer = cell_property("bias_regularizer")
    kernel_constraint = cell_property("kernel_constraint")
    recurrent_constraint = cell_property("recurrent_constraint")
    bias_constraint = cell_property("bias_constraint")
    dropout = cell_property("dropout")
    recurrent_dropout = cell_property("recurrent_dropout")
    implementation = cell_property("implementation")

    def get_config(self) -> dict[str, Any]:
        config = {
            **super().get_config(),
            **layer_config_from_cell(self),
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "unit_forget_bias": self.unit_forget_bias,
            "seed": self.cell.seed,
        }
        del config["cell"]
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> LSTM:
        return cls(**config)

__all__ = ["LSTM", "LSTMCell"]
