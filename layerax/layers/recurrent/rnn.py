"""`RNN`: runs a recurrent cell over the time axis of a sequence."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from layerax.core import naming
from layerax.core.context import bump_structure_version
from layerax.core.layer import Layer
from layerax.core.state import is_trace_local, state_is_routed
from layerax.core.variable import Tracer, Variable
from layerax.layers import serialization
from layerax.layers.recurrent._loop import run_rnn
from layerax.layers.recurrent.dropout_cell import DropoutRNNCell
from layerax.layers.recurrent.stacked_rnn_cells import StackedRNNCells


def _is_nested(x: Any) -> bool:
    return isinstance(x, (list, tuple))


def _is_variable(x: Any) -> bool:
    return isinstance(x, Variable)


def _uses_dropout(cell: Any) -> bool:
    if isinstance(cell, StackedRNNCells):
        return any(_uses_dropout(inner) for inner in cell.cells)
    return isinstance(cell, DropoutRNNCell) and (
        0.0 < cell.dropout < 1.0 or 0.0 < cell.recurrent_dropout < 1.0
    )


def check_cell(cell: Any, where: str) -> None:
    """Raises a clear error when `cell` is not a usable RNN cell."""
    if not isinstance(cell, Layer):
        raise TypeError(
            f"{where}: an RNN cell must be a layer (a `lx.layers.Layer` subclass with "
            f"`state_size` and `call(inputs, states)`). Received: {cell!r}"
        )
    if "state_size" not in dir(cell):
        raise ValueError(
            f"{where}: the RNN cell {type(cell).__name__} must have a `state_size` attribute "
            "(an integer, or a list of integers, one per state tensor)."
        )


class RNN(Layer):
    """Base class of recurrent layers: applies `cell` to every time step of a sequence.

    The cell is any layer with a `state_size` attribute (an integer or a list
    of integers, one per state) and `call(inputs, states)` returning
    `(output, new_states)`; it may define `output_size` and
    `get_initial_state(batch_size)`. A list of cells is stacked with
    `StackedRNNCells`. The time loop is a `jax.lax.scan` (a Python loop with
    `unroll=True`, same numbers).

    Args:
        cell: An RNN cell, or a list of cells (stacked).
        return_sequences: Return the whole output sequence instead of the last output.
        return_state: Also return the final states (`output, *states`).
        go_backwards: Process the sequence backwards (and return the
            outputs in that reversed order).
        stateful: Keep the final states of one call as the initial states of
            the next (same batch size on every call). The states live in
            non-trainable variables (`layer.states`, also in
            `layer.variables` but not in `layer.weights`, as in Keras);
            `reset_states()` zeroes them.
        unroll: Unroll the time loop in Python (short, fixed-length sequences).
        zero_output_for_mask: Output zeros at masked steps instead of
            repeating the previous output.

    Call arguments:
        sequences: `(batch, timesteps, features...)` inputs.
        initial_state: Initial state tensor(s) (a list, one per state).
        mask: `(batch, timesteps)` boolean mask; `False` steps are skipped (the
            states carry through unchanged).
        training: Whether the cell's dropout is active.

    Input shape:
        `(batch, timesteps, features...)`.

    Output shape:
        `(batch, timesteps, output_size)` with `return_sequences`, else
        `(batch, output_size)`; with `return_state` the final states follow.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> class MinimalRNNCell(lx.layers.Layer):
        ...     def __init__(self, units, **kwargs):
        ...         super().__init__(**kwargs)
        ...         self.units = units
        ...         self.state_size = units
        ...     def build(self, input_shape):
        ...         self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
        ...         self.recurrent_kernel = self.add_weight(
        ...             shape=(self.units, self.units), name="recurrent_kernel")
        ...     def call(self, inputs, states):
        ...         output = inputs @ self.kernel + states[0] @ self.recurrent_kernel
        ...         return output, [output]
        >>> layer = lx.layers.RNN(MinimalRNNCell(4), return_sequences=True)
        >>> layer(jnp.ones((2, 5, 3))).shape
        (2, 5, 4)
    """

    def __init__(
        self,
        cell: Any,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        unroll: bool = False,
        zero_output_for_mask: bool = False,
        **kwargs: Any,
    ) -> None:
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(list(cell))
        check_cell(cell, type(self).__name__)
        state_size = getattr(cell, "state_size", None)
        if state_size is None or not isinstance(state_size, (int, list, tuple)):
            raise ValueError(
                f"{type(self).__name__}: the cell's `state_size` must be an integer or a list of "
                f"integers (one per state tensor). Received: state_size={state_size!r}"
            )
        super().__init__(**kwargs)
        self.zero_output_for_mask = zero_output_for_mask
        self.cell = cell
        self.return_sequences = return_sequences
        self.return_state = return_state
        self.go_backwards = go_backwards
        self.stateful = stateful
        self.unroll = unroll
        self.supports_masking = True
        self.input_spec = None
        self._expected_batch_size: int | None = None
        # Stateful state variables: kept out of `weights` (as in Keras) under an `_lx_`
        # attribute, and added to `variables` so that pytrees and lx.function carry them.
        object.__setattr__(self, "_lx_states", None)

    # ------------------------------------------------------------ states
    @property
    def state_size(self) -> list[Any]:
        """The cell's state sizes, as a list (one entry per state)."""
        size = self.cell.state_size
        return [size] if isinstance(size, int) else list(size)

    @property
    def states(self) -> Any:
        """The state variables of a stateful layer (None otherwise or before the first call)."""
        return self.__dict__.get("_lx_states")

    def _state_variables(self) -> list[Variable]:
        states = self.__dict__.get("_lx_states")
        return [] if states is None else jax.tree.leaves(states, is_leaf=_is_variable)

    @property
    def variables(self) -> list[Variable]:
        """Weights, random-seed states and, for stateful layers, the recurrent states."""
        found = super().variables
        extra = self._state_variables()
        if not extra:
            return found
        seen = {id(v) for v in found}
        return found + [v for v in extra if id(v) not in seen]

    def get_initial_state(self, batch_size: int) -> list[Any]:
        """Zero states for a batch (from the cell's `get_initial_state` when it has one)."""
        get_initial = getattr(self.cell, "get_initial_state", None)
        if get_initial is not None:
            states = get_initial(batch_size=batch_size)
            return list(states) if _is_nested(states) else [states]
        dtype = self.cell.compute_dtype
        return [jnp.zeros((batch_size, d), dtype) for d in self.state_size]

    def _create_state_variables(self, batch_size: int) -> None:
        with naming.name_scope(self.name), jax.ensure_compile_time_eval():
            # Concrete zeros even when the first call is traced (e.g. inside lx.function).
            values = self.get_initial_state(batch_size)
            states = jax.tree.map(
                lambda v: Variable(
                    np.asarray(v), name="rnn_state", trainable=False, dtype=self.variable_dtype
                ),
                values,
            )
        object.__setattr__(self, "_lx_states", states)
        self._expected_batch_size = batch_size
        bump_structure_version()

    def reset_states(self, states: Any = None) -> None:
        """Zeroes the states of a stateful layer, or sets them to `states` (arrays, one per state)."""
        variables = self._state_variables()
        if not variables:
            if not self.stateful:
                raise AttributeError(
                    f"Layer '{self.name}' is not stateful: create it with `stateful=True` to "
                    "keep (and reset) states between calls."
                )
            return
        if states is None:
            for var in variables:
                var.assign(jnp.zeros(var.shape, var.dtype))
            return
        values = jax.tree.leaves(states if _is_nested(states) else [states])
        if len(values) != len(variables):
            raise ValueError(
                f"Layer '{self.name}' has {len(variables)} state tensors, but reset_states() "
                f"received {len(values)} values."
            )
        for var, value in zip(variables, values):
            var.assign(value)

    def reset_state(self, states: Any = None) -> None:
        """Keras 3 name of `reset_states`."""
        self.reset_states(states)

    # ------------------------------------------------------------- build
    def _check_sequences_shape(self, shape: Any) -> None:
        if shape is None or len(shape) < 3:
            raise ValueError(
                f"Input 0 of layer '{self.name}' is incompatible with the layer: expected "
                f"min_ndim=3 (batch, timesteps, features), found ndim="
                f"{None if shape is None else len(shape)}. Full shape received: {shape}"
            )

    def build(self, sequences_shape: Any, initial_state_shape: Any = None) -> None:
        sequences_shape = tuple(sequences_shape)
        self._check_sequences_shape(sequences_shape)
        step_shape = (sequences_shape[0], *sequences_shape[2:])
        if not self.cell.built:
            self.cell.build(step_shape)
        if self.stateful:
            if self.states is not None:
                self.reset_states()
            else:
                if sequences_shape[0] is None:
                    raise ValueError(
                        f"Layer '{self.name}' is stateful, so its batch size must be static. "
                        f"Received input shape: {sequences_shape}"
                    )
                self._create_state_variables(int(sequences_shape[0]))

    # -------------------------------------------------------------- call
    def _prepare_initial_state(self, initial_state: Any, batch_size: int) -> list[Any]:
        expected = self.get_initial_state(batch_size)
        if initial_state is None:
            if self.stateful and self.states is not None:
                return jax.tree.map(lambda v: v.value, self.states, is_leaf=_is_variable)
            return expected
        given = list(initial_state) if _is_nested(initial_state) else [initial_state]
        expected_leaves, structure = jax.tree.flatten(expected)
        given_leaves = jax.tree.leaves(given)
        if len(given_leaves) != len(expected_leaves):
            raise ValueError(
                f"Layer '{self.name}' expects {len(expected_leaves)} initial state tensor(s) of "
                f"shapes {[tuple(e.shape) for e in expected_leaves]}, but received "
                f"{len(given_leaves)}: shapes {[tuple(np.shape(g)) for g in given_leaves]}."
            )
        cast = []
        for g, e in zip(given_leaves, expected_leaves):
            if tuple(np.shape(g)) != tuple(e.shape):
                raise ValueError(
                    f"Layer '{self.name}': an initial state has shape {tuple(np.shape(g))}, but "
                    f"shape {tuple(e.shape)} was expected (batch, state size). Expected shapes: "
                    f"{[tuple(x.shape) for x in expected_leaves]}."
                )
            cast.append(jnp.asarray(g).astype(self.cell.compute_dtype))
        return jax.tree.unflatten(structure, cast)

    def _prepare_mask(self, mask: Any, sequences: jax.Array) -> jax.Array | None:
        if _is_nested(mask):
            mask = jax.tree.leaves(mask)[0] if jax.tree.leaves(mask) else None
        if mask is None:
            return None
        mask = jnp.asarray(mask)
        batch, steps = sequences.shape[:2]
        if mask.ndim < 2 or tuple(mask.shape[:2]) != (batch, steps):
            raise ValueError(
                f"Layer '{self.name}': the mask must have shape (batch, timesteps) = "
                f"{(batch, steps)}, matching the inputs of shape {tuple(sequences.shape)}. "
                f"Received a mask of shape {tuple(mask.shape)}."
            )
        mask = mask.astype(bool)
        if mask.ndim > 2:
            # A step counts when any of its mask entries is set (Keras: masked iff all unset).
            mask = jnp.any(mask.reshape(batch, steps, -1), axis=-1)
        return mask

    def _cache_dropout_masks(self, cell: Any, step_input: jax.Array, states: Any) -> None:
        state = states[0] if _is_nested(states) else states
        if isinstance(cell, DropoutRNNCell):
            while _is_nested(state):
                state = state[0]
            cell._lx_cache_dropout_masks(step_input, state)
        if isinstance(cell, StackedRNNCells):
            for inner, inner_states in zip(cell.cells, states):
                self._cache_dropout_masks(inner, step_input, inner_states)
                inner_states = list(inner_states) if _is_nested(inner_states) else [inner_states]
                step_input, _ = inner(step_input, inner_states)

    def _reset_dropout_masks(self, cell: Any) -> None:
        if isinstance(cell, DropoutRNNCell):
            cell.reset_dropout_mask()
            cell.reset_recurrent_dropout_mask()
        if isinstance(cell, StackedRNNCells):
            for inner in cell.cells:
                self._reset_dropout_masks(inner)

    def call(
        self,
        sequences: Any,
        initial_state: Any = None,
        mask: Any = None,
        training: bool = False,
    ) -> Any:
        if self._can_compile_eagerly(sequences, initial_state, mask, training):
            return self._compiled_call(sequences, initial_state, mask, bool(training))
        return self._run(sequences, initial_state, mask, training)

    def _can_compile_eagerly(self, *args: Any) -> bool:
        """Whether this is an eager call of built-in cells (compiled once per structure)."""
        if state_is_routed() or not _builtin_cell(self.cell):
            return False
        if any(isinstance(x, Tracer) for x in jax.tree.leaves(args)):
            return False
        return not any(is_trace_local(v) for v in self.variables)

    def _compiled_call(
        self, sequences: Any, initial_state: Any, mask: Any, training: bool
    ) -> Any:
        # An eager call would trace and compile a fresh `lax.scan` every time. Instead, run
        # the layer (as a pytree) through one cached `jax.jit`, reused by every layer of the
        # same structure, and write back the state it updates (seeds, stateful states).
        output, new_values = _COMPILED_RUN(self, sequences, initial_state, mask, training)
        for var, value in zip(self.variables, new_values):
            if value is not None:
                var.assign(value)
        return output

    def _run(
        self,
        sequences: Any,
        initial_state: Any,
        mask: Any,
        training: Any,
    ) -> Any:
        sequences = jnp.asarray(sequences)
        self._check_sequences_shape(tuple(sequences.shape))
        batch_size = sequences.shape[0]
        if sequences.shape[1] == 0:
            raise ValueError(
                f"Layer '{self.name}' received a sequence with 0 timesteps (input shape "
                f"{tuple(sequences.shape)}); it needs at least one step."
            )
        if self.stateful and self._expected_batch_size not in (None, batch_size):
            raise ValueError(
                f"Layer '{self.name}' is stateful: the batch size of its inputs must stay "
                f"{self._expected_batch_size} (the batch size of its first call), but received "
                f"inputs of shape {tuple(sequences.shape)}. Create a new layer for another batch "
                "size."
            )
        states = self._prepare_initial_state(initial_state, batch_size)
        mask = self._prepare_mask(mask, sequences)
        cell = self.cell

        def step(inputs_t: jax.Array, states_t: Any) -> tuple[Any, Any]:
            output, new_states = cell(inputs_t, states_t, training=training)
            if not _is_nested(new_states):
                new_states = [new_states]
            return output, new_states

        try:
            if training and _uses_dropout(cell):
                self._cache_dropout_masks(cell, sequences[:, 0], states)
            loop_inputs = sequences
            projected = getattr(cell, "_lx_projected_step", None)
            if projected is not None and cell.compute_dtype == self.compute_dtype:
                # Cells that can do their input projection for all time steps at once (one
                # big matmul instead of one per step in the loop).
                projected = projected(training)
                if projected is not None:
                    project, step = projected
                    loop_inputs = project(sequences)
            last_output, outputs, final_states = run_rnn(
                step,
                loop_inputs,
                states,
                mask=mask,
                go_backwards=self.go_backwards,
                unroll=self.unroll,
                zero_output_for_mask=self.zero_output_for_mask,
                output_is_first_state=not self.return_sequences and _output_is_first_state(cell),
            )
        finally:
            self._reset_dropout_masks(cell)
        dtype = self.compute_dtype
        if self.stateful:
            for var, value in zip(self._state_variables(), jax.tree.leaves(final_states)):
                var.assign(value)
        output = outputs if self.return_sequences else last_output
        output = output.astype(dtype)
        if self.return_state:
            final_states = jax.tree.map(lambda s: s.astype(dtype), final_states)
            return (output, *final_states)
        return output

    # ------------------------------------------------------------ shapes
    def _output_size(self) -> int:
        size = getattr(self.cell, "output_size", None)
        if size is None:
            size = self.state_size[0]
            while _is_nested(size):
                size = size[0]
        return size

    def compute_output_shape(self, sequences_shape: Any, initial_state_shape: Any = None) -> Any:
        sequences_shape = tuple(sequences_shape)
        batch, steps = sequences_shape[0], sequences_shape[1]
        output_size = self._output_size()
        if self.return_sequences:
            output_shape: Any = (batch, steps, output_size)
        else:
            output_shape = (batch, output_size)
        if not self.return_state:
            return output_shape
        state_shapes: list[Any] = []
        for size in self.state_size:
            if _is_nested(size):
                state_shapes.append([(batch, s) for s in size])
            else:
                state_shapes.append((batch, size))
        return (output_shape, *state_shapes)

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        mask = previous_mask
        if _is_nested(mask):
            mask = mask[0] if mask else None
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None for _ in self.state_size]
        return output_mask

    # ------------------------------------------------------------ config
    def _rnn_config(self) -> dict[str, Any]:
        return {
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "stateful": self.stateful,
            "unroll": self.unroll,
            "zero_output_for_mask": self.zero_output_for_mask,
        }

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            **self._rnn_config(),
            "cell": serialization.serialize(self.cell),
        }

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> RNN:
        config = dict(config)
        cell = serialization.deserialize(config.pop("cell"), custom_objects=custom_objects)
        return cls(cell, **config)


def _run_pure(layer: RNN, sequences: Any, initial_state: Any, mask: Any, training: bool) -> Any:
    output = layer._run(sequences, initial_state, mask, training)
    # New values of the state the call may update (None for the weights, left as they were).
    new_values = [None if v.trainable else v.value for v in layer.variables]
    return output, new_values


_COMPILED_RUN = jax.jit(_run_pure, static_argnames=("training",))


def _own_flag(cell: Any, name: str) -> bool:
    """A cell class's own `name` attribute: set on the class itself, not inherited, so that a
    subclass with another `call` does not claim what its parent's `call` promised."""
    return bool(vars(type(cell)).get(name, False))


def _output_is_first_state(cell: Any) -> bool:
    """The cell's output is its new first state (`h`): see `DenseCellBase.output_is_first_state`."""
    return _own_flag(cell, "output_is_first_state")


def _builtin_cell(cell: Any) -> bool:
    """Eager calls may run through one cached `jax.jit` (`compiles_eagerly` on the cell class)."""
    if type(cell) is StackedRNNCells:
        return all(_builtin_cell(inner) for inner in cell.cells)
    return _own_flag(cell, "compiles_eagerly")


def cell_property(name: str, doc: str | None = None) -> property:
    """A read-only layer property forwarding to the same attribute of `self.cell`."""
    return property(lambda self: getattr(self.cell, name), doc=doc or f"The cell's `{name}`.")

__all__ = ["RNN"]
