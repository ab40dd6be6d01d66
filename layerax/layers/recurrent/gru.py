"""`GRUCell` and `GRU`: gated recurrent unit (Cho et al., 2014)."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from layerax import activations
from layerax.core.input_spec import InputSpec
from layerax.layers.recurrent._cell_base import (
    DenseCellBase,
    gate_preactivations,
    layer_config_from_cell,
    validate_implementation,
    validate_use_cudnn,
)
from layerax.layers.recurrent.rnn import RNN, cell_property


class GRUCell(DenseCellBase):
    """Cell of `GRU`: one step of the GRU recurrence.

    Gates in Keras' order `z, r, h` (blocks of `units` columns):
    `h = z * h_prev + (1 - z) * activation(x W_h + r * (h_prev U_h + b_rh))`
    with `reset_after=True` (the cuDNN convention, with separate input and
    recurrent biases: `bias` has shape `(2, 3 * units)`), or
    `activation(x W_h + (r * h_prev) U_h + b_h)` with `reset_after=False`
    (`bias` of shape `(3 * units,)`).

    Args:
        units: Dimension of the output and state.
        activation: Activation of the candidate (`"tanh"`).
        recurrent_activation: Activation of the gates (`"sigmoid"`).
        use_bias: Whether to add biases.
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
        reset_after: Apply the reset gate after the recurrent matmul (True) or before.
        seed: Seed of the dropout masks.

    Call arguments:
        inputs: `(batch, features)` inputs of one step.
        states: List with the previous state `(batch, units)`.
        training: Whether dropout is active.

    Input shape:
        `(batch, features)` per step.

    Output shape:
        `(batch, units)`, and the new states `[(batch, units)]`.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> cell = lx.layers.GRUCell(4)
        >>> h, _ = cell(jnp.ones((2, 3)), [jnp.zeros((2, 4))])
        >>> h.shape, [w.shape for w in cell.weights]
        ((2, 4), [(3, 12), (4, 12), (2, 12)])
    """

    _gates = 3
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
        kernel_regularizer: Any = None,
        recurrent_regularizer: Any = None,
        bias_regularizer: Any = None,
        kernel_constraint: Any = None,
        recurrent_constraint: Any = None,
        bias_constraint: Any = None,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        reset_after: bool = True,
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
        self.reset_after = reset_after
        self.implementation = 1 if self.recurrent_dropout != 0.0 else implementation
        self.dropout_mask_count = 3 if self.implementation == 1 else None
        self.state_size = self.units
        self.output_size = self.units

    def build(self, input_shape: Any) -> None:
        self._build_kernels(input_shape)
        shape = (2, 3 * self.units) if self.reset_after else (3 * self.units,)
        self._add_bias(shape, self.bias_initializer)

    def _biases(self) -> tuple[jax.Array | None, jax.Array | None]:
        """`(input_bias, recurrent_bias)`, each `(3 * units,)` or None."""
        if self.bias is None:
            return None, None
        bias = self.bias.value
        return (bias[0], bias[1]) if self.reset_after else (bias, None)

    def call(self, inputs: Any, states: Any, training: bool = False) -> tuple[jax.Array, Any]:
        nested = isinstance(states, (list, tuple))
        h_prev = states[0] if nested else states
        units = self.units
        input_bias, recurrent_bias = self._biases()
        xs = self._dropout_inputs(inputs, training)
        hs = self._dropout_state(h_prev, training)
        x_z, x_r, x_h = gate_preactivations(xs, self.kernel.value, units)
        if input_bias is not None:
            x_z = x_z + input_bias[:units]
            x_r = x_r + input_bias[units : 2 * units]
            x_h = x_h + input_bias[2 * units :]
        h = self._new_state([x_z, x_r, x_h], h_prev, hs, recurrent_bias)
        return h, ([h] if nested else h)

    def _new_state(
        self,
        x_parts: list[jax.Array],
        h_prev: jax.Array,
        hs: list[jax.Array],
        recurrent_bias: jax.Array | None,
    ) -> jax.Array:
        """The new state from the input parts `x_z, x_r, x_h` (biases added) and the
        (dropped-out) states `hs` of the three gates."""
        units = self.units
        x_z, x_r, x_h = x_parts
        recurrent_kernel = self.recurrent_kernel.value
        if self.reset_after:
            if all(h is hs[0] for h in hs):
                # One (batch, 3 * units) recurrent product with its bias, split once.
                h_proj = jnp.matmul(hs[0], recurrent_kernel)
                if recurrent_bias is not None:
                    h_proj = h_proj + recurrent_bias
                r_z, r_r, r_h = jnp.split(h_proj, 3, axis=-1)
            else:
                r_z, r_r, r_h = gate_preactivations(hs, recurrent_kernel, units)
                if recurrent_bias is not None:
                    r_z = r_z + recurrent_bias[:units]
                    r_r = r_r + recurrent_bias[units : 2 * units]
                    r_h = r_h + recurrent_bias[2 * units :]
            z = self.recurrent_activation(x_z + r_z)
            r = self.recurrent_activation(x_r + r_r)
            candidate = self.activation(x_h + r * r_h)
        else:
            r_z, r_r = gate_preactivations(hs[:2], recurrent_kernel[:, : 2 * units], units)
            z = self.recurrent_activation(x_z + r_z)
            r = self.recurrent_activation(x_r + r_r)
            candidate = self.activation(
                x_h + jnp.matmul(r * hs[2], recurrent_kernel[:, 2 * units :])
            )
        return z * h_prev + (1.0 - z) * candidate

    def _lx_projected_step(self, training: Any) -> Any:
        """For `RNN`: `(project, step)`, a fused step for the common case, or None.

        As for `LSTMCell`: inside the loop, one matmul for the three gates of the inputs
        (plus the input bias, then one split) and one for the recurrent part, instead of a
        slice and a bias add per gate; the input projection stays in the loop (see
        docs/recurrent.md). None when input dropout needs a mask per gate or a subclass
        has its own `call`. The same numbers as `call`, up to rounding.
        """
        if (training and 0.0 < self.dropout < 1.0) or type(self).call is not GRUCell.call:
            return None  # input dropout masks per gate, or a subclass with its own `call`

        def project(sequences: jax.Array) -> jax.Array:
            return sequences

        def step(x_t: jax.Array, states: Any) -> tuple[jax.Array, list[Any]]:
            h_prev = states[0]
            input_bias, recurrent_bias = self._biases()
            x_proj = jnp.matmul(x_t, self.kernel.value)
            if input_bias is not None:
                x_proj = x_proj + input_bias
            hs = self._dropout_state(h_prev, training)
            h = self._new_state(jnp.split(x_proj, 3, axis=-1), h_prev, hs, recurrent_bias)
            return h, [h]

        return project, step

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "reset_after": self.reset_after,
            "implementation": self.implementation,
        }


class GRU(RNN):
    """Gated Recurrent Unit layer (Cho et al., 2014).

    Runs `GRUCell` over the time axis with `jax.lax.scan`; `reset_after=True`
    (default) is the cuDNN-compatible variant.

    Args:
        units: Dimension of the output.
        activation: Activation of the candidate (`"tanh"`).
        recurrent_activation: Activation of the gates (`"sigmoid"`).
        use_bias: Whether to add biases.
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
        seed: Seed of the dropout masks.
        return_sequences: Return the full sequence of outputs.
        return_state: Also return the last state.
        go_backwards: Process the sequence backwards.
        stateful: Carry the last state over to the next call.
        unroll: Unroll the time loop in Python.
        reset_after: Apply the reset gate after the recurrent matmul.
        use_cudnn: `"auto"`, True or False (accepted for Keras compatibility).

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
        >>> layer = lx.layers.GRU(4, reset_after=False)
        >>> layer(jnp.ones((2, 5, 3))).shape, layer.weights[-1].shape
        ((2, 4), (12,))
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
        reset_after: bool = True,
        use_cudnn: Any = "auto",
        **kwargs: Any,
    ) -> None:
        cell = GRUCell(
            units,
            activation=activation,
            recurrent_activation=recurrent_activation,
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
            reset_after=reset_after,
            seed=seed,
            implementation=kwargs.pop("implementation", 2),
            dtype=kwargs.get("dtype"),
            trainable=kwargs.get("trainable", True),
            name="gru_cell",
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
    reset_after = cell_property("reset_after")
    implementation = cell_property("implementation")

    def get_config(self) -> dict[str, Any]:
        config = {
            **super().get_config(),
            **layer_config_from_cell(self),
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "reset_after": self.reset_after,
            "seed": self.cell.seed,
        }
        del config["cell"]
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> GRU:
        return cls(**config)

__all__ = ["GRU", "GRUCell"]
