"""Shared pieces of the dense recurrent cells (SimpleRNN, LSTM, GRU) and their layers."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from layerax import activations, constraints, initializers, regularizers
from layerax.core.input_spec import InputSpec
from layerax.core.layer import Layer
from layerax.layers.recurrent.dropout_cell import DropoutRNNCell, make_seed_generator


class DenseCellBase(Layer, DropoutRNNCell):
    """A cell with `kernel`, `recurrent_kernel` and `bias` weights and dropout.

    Subclasses set `_gates` (how many blocks of `units` the kernels hold) and
    implement `call`.

    Two class attributes tell `RNN` how it may run a cell; they count only when set on the
    cell's own class (a subclass is not assumed to keep its parent's promise), and any
    user cell may set them:

    - `output_is_first_state`: the output of `call` is its first new state (`h`). With
      `return_sequences=False`, `RNN` then carries only the states through the loop and
      reads the last output from them, instead of stacking every step's output.
    - `compiles_eagerly`: `call` is a pure function of the inputs, states and weights
      (randomness only through the layer's seed generators), so an eager `RNN` call may run
      through one cached `jax.jit` instead of tracing the loop on every call.
    """

    _gates = 1
    output_is_first_state = False
    compiles_eagerly = False

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
        kernel_constraint: Any = None,
        recurrent_constraint: Any = None,
        bias_constraint: Any = None,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        if not isinstance(units, (int,)) or isinstance(units, bool) or units <= 0:
            raise ValueError(
                "Received an invalid value for argument `units`, expected a positive integer. "
                f"Received: units={units!r}"
            )
        super().__init__(**kwargs)
        self.units = units
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = min(1.0, max(0.0, float(dropout)))
        self.recurrent_dropout = min(1.0, max(0.0, float(recurrent_dropout)))
        self.seed = seed
        make_seed_generator(self, seed)

    def _build_kernels(self, input_shape: Any) -> None:
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(
                f"Layer '{self.name}' needs a defined last input dimension (features). "
                f"Received input shape: {tuple(input_shape)}"
            )
        # Checked on every call: a step input with other features fails with a clear message.
        self.input_spec = InputSpec(min_ndim=2, axes={-1: input_dim})
        width = self.units * self._gates
        self.kernel = self.add_weight(
            shape=(input_dim, width),
            name="kernel",
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.recurrent_kernel = self.add_weight(
            shape=(self.units, width),
            name="recurrent_kernel",
            initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint,
        )

    def _add_bias(self, shape: tuple[int, ...], initializer: Any) -> None:
        if self.use_bias:
            self.bias = self.add_weight(
                shape=shape,
                name="bias",
                initializer=initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        else:
            self.bias = None

    def _dropout_inputs(self, inputs: jax.Array, training: Any) -> list[jax.Array]:
        """The input seen by each gate: one masked copy per gate, or the input itself."""
        mask = self.get_dropout_mask(inputs) if training and 0.0 < self.dropout < 1.0 else None
        return _apply_masks(inputs, mask, self._gates)

    def _dropout_state(self, state: jax.Array, training: Any) -> list[jax.Array]:
        rate = self.recurrent_dropout
        mask = self.get_recurrent_dropout_mask(state) if training and 0.0 < rate < 1.0 else None
        return _apply_masks(state, mask, self._gates)

    def get_initial_state(self, batch_size: int | None = None) -> list[jax.Array]:
        """Zero states, one `(batch_size, size)` array per entry of `state_size`.

        Example:
            >>> import layerax as lx
            >>> [s.shape for s in lx.layers.LSTMCell(3).get_initial_state(batch_size=2)]
            [(2, 3), (2, 3)]
        """
        size = self.state_size
        sizes = [size] if isinstance(size, int) else list(size)
        return [jnp.zeros((batch_size, d), self.compute_dtype) for d in sizes]

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "recurrent_regularizer": regularizers.serialize(self.recurrent_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "recurrent_constraint": constraints.serialize(self.recurrent_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        }


def _apply_masks(x: jax.Array, mask: Any, gates: int) -> list[jax.Array]:
    if mask is None:
        return [x] * gates
    if isinstance(mask, list):
        return [x * m for m in mask]
    return [x * mask] * gates


def gate_preactivations(
    inputs: list[jax.Array], kernel: jax.Array, units: int
) -> list[jax.Array]:
    """`inputs[k] @ kernel[:, k-th block]` for each gate; one matmul when the inputs are shared."""
    gates = len(inputs)
    if all(x is inputs[0] for x in inputs):
        fused = jnp.matmul(inputs[0], kernel)
        return [fused[..., k * units : (k + 1) * units] for k in range(gates)]
    return [jnp.matmul(x, kernel[:, k * units : (k + 1) * units]) for k, x in enumerate(inputs)]


def forget_bias_initializer(bias_initializer: Any, units: int) -> Any:
    """`bias_initializer` for the input, cell and output gates and ones for the forget gate."""

    def initializer(shape: Any, dtype: Any = None) -> jax.Array:
        return jnp.concatenate(
            [
                bias_initializer((units,), dtype),
                initializers.get("ones")((units,), dtype),
                bias_initializer((units * 2,), dtype),
            ]
        )

    return initializer


def validate_implementation(implementation: Any) -> int:
    if implementation not in (1, 2):
        raise ValueError(
            f"`implementation` must be 1 (one matmul per gate) or 2 (fused). "
            f"Received: implementation={implementation!r}"
        )
    return int(implementation)


def validate_use_cudnn(use_cudnn: Any) -> Any:
    if use_cudnn not in ("auto", True, False):
        raise ValueError(
            "Invalid value received for argument `use_cudnn`. Expected one of "
            f"{{'auto', True, False}}. Received: use_cudnn={use_cudnn!r}"
        )
    return use_cudnn


LAYER_ARG_NAMES = (
    "units",
    "activation",
    "use_bias",
    "kernel_initializer",
    "recurrent_initializer",
    "bias_initializer",
    "kernel_regularizer",
    "recurrent_regularizer",
    "bias_regularizer",
    "kernel_constraint",
    "recurrent_constraint",
    "bias_constraint",
    "dropout",
    "recurrent_dropout",
)


def layer_config_from_cell(layer: Any) -> dict[str, Any]:
    """The cell arguments of a SimpleRNN/LSTM/GRU layer's config (Keras' layout)."""
    cell_config = layer.cell.get_config()
    config = {name: cell_config[name] for name in LAYER_ARG_NAMES}
    config["activity_regularizer"] = regularizers.serialize(layer.activity_regularizer)
    return config

__all__ = [
    "DenseCellBase",
    "forget_bias_initializer",
    "gate_preactivations",
    "layer_config_from_cell",
    "validate_implementation",
    "validate_use_cudnn",
]
