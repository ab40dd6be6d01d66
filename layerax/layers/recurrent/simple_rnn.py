"""`SimpleRNNCell` and `SimpleRNN`: a fully connected recurrence `h = act(x W + h U + b)`."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from layerax.core.input_spec import InputSpec
from layerax.layers.recurrent._cell_base import DenseCellBase, layer_config_from_cell
from layerax.layers.recurrent.rnn import RNN, cell_property


class SimpleRNNCell(DenseCellBase):
    """Cell of `SimpleRNN`: one step `output = activation(x @ kernel + h @ recurrent_kernel + bias)`.

    Args:
        units: Dimension of the output and state.
        activation: Activation (`"tanh"`; None: linear).
        use_bias: Whether to add a bias.
        kernel_initializer: Initializer of `kernel` (`"glorot_uniform"`).
        recurrent_initializer: Initializer of `recurrent_kernel` (`"orthogonal"`).
        bias_initializer: Initializer of `bias` (`"zeros"`).
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
        sequence: `(batch, features)` inputs of one step.
        states: List with the previous state `(batch, units)`.
        training: Whether dropout is active.

    Input shape:
        `(batch, features)` per step.

    Output shape:
        `(batch, units)`, and the new states `[(batch, units)]`.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> cell = lx.layers.SimpleRNNCell(4)
        >>> out, states = cell(jnp.ones((2, 3)), [jnp.zeros((2, 4))])
        >>> out.shape, [w.shape for w in cell.weights]
        ((2, 4), [(3, 4), (4, 4), (4,)])
    """

    _gates = 1
    output_is_first_state = True
    compiles_eagerly = True

    def __init__(self, units: int, **kwargs: Any) -> None:
        super().__init__(units, **kwargs)
        self.state_size = self.units
        self.output_size = self.units

    def build(self, input_shape: Any) -> None:
        self._build_kernels(input_shape)
        self._add_bias((self.units,), self.bias_initializer)

    def call(self, sequence: Any, states: Any, training: bool = False) -> tuple[jax.Array, Any]:
        nested = isinstance(states, (list, tuple))
        prev_output = states[0] if nested else states
        (x,) = self._dropout_inputs(sequence, training)
        (h_prev,) = self._dropout_state(prev_output, training)
        h = jnp.matmul(x, self.kernel.value)
        if self.bias is not None:
            h = h + self.bias.value
        output = self.activation(h + jnp.matmul(h_prev, self.recurrent_kernel.value))
        return output, ([output] if nested else output)


class SimpleRNN(RNN):
    """Fully connected RNN whose output is fed back as the next step's state.

    Args:
        units: Dimension of the output.
        activation: Activation (`"tanh"`).
        use_bias: Whether to add a bias.
        kernel_initializer: Initializer of `kernel` (`"glorot_uniform"`).
        recurrent_initializer: Initializer of `recurrent_kernel` (`"orthogonal"`).
        bias_initializer: Initializer of `bias` (`"zeros"`).
        kernel_regularizer: Regularizer of `kernel`.
        recurrent_regularizer: Regularizer of `recurrent_kernel`.
        bias_regularizer: Regularizer of `bias`.
        activity_regularizer: Regularizer of the output.
        kernel_constraint: Constraint of `kernel`.
        recurrent_constraint: Constraint of `recurrent_kernel`.
        bias_constraint: Constraint of `bias`.
        dropout: Fraction of the inputs dropped (training only).
        recurrent_dropout: Fraction of the recurrent state dropped (training only).
        return_sequences: Return the full sequence of outputs.
        return_state: Also return the last state.
        go_backwards: Process the sequence backwards.
        stateful: Carry the last state over to the next call.
        unroll: Unroll the time loop in Python.
        seed: Seed of the dropout masks.

    Call arguments:
        sequences: `(batch, timesteps, features)` inputs.
        initial_state: List with the initial state `(batch, units)`.
        mask: `(batch, timesteps)` boolean mask.
        training: Whether dropout is active.

    Input shape:
        `(batch, timesteps, features)`.

    Output shape:
        `(batch, timesteps, units)` with `return_sequences`, else `(batch, units)`.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> layer = lx.layers.SimpleRNN(4, return_sequences=True, return_state=True)
        >>> seq, state = layer(jnp.ones((2, 5, 3)))
        >>> seq.shape, state.shape
        ((2, 5, 4), (2, 4))
    """

    def __init__(
        self,
        units: int,
        activation: Any = "tanh",
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        recurrent_initializer: Any = "orthogonal",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        recurrent_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        recurrent_constraint: Any = None,
        bias_constraint: Any = None,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        unroll: bool = False,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        cell = SimpleRNNCell(
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
            dtype=kwargs.get("dtype"),
            trainable=kwargs.get("trainable", True),
            name="simple_rnn_cell",
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

    def build(self, sequences_shape: Any, initial_state_shape: Any = None) -> None:
        super().build(sequences_shape, initial_state_shape)
        self.input_spec = InputSpec(ndim=3, axes={-1: sequences_shape[-1]})

    def call(
        self, sequences: Any, initial_state: Any = None, mask: Any = None, training: bool = False
    ) -> Any:
        return super().call(sequences, initial_state=initial_state, mask=mask, training=training)

    units = cell_property("units")
    activation = cell_property("activation")
    use_bias = cell_property("use_bias")
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

    def get_config(self) -> dict[str, Any]:
        config = {**super().get_config(), **layer_config_from_cell(self), "seed": self.cell.seed}
        del config["cell"]
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> SimpleRNN:
        return cls(**config)

__all__ = ["SimpleRNN", "SimpleRNNCell"]
