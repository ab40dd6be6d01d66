"""The time loop shared by every recurrent layer: `jax.lax.scan` (or a Python unroll)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp


def _expand_like(mask_t: jax.Array, target: jax.Array) -> jax.Array:
    """Reshapes a `(batch,)` mask so that it broadcasts against `target`."""
    return jnp.reshape(mask_t, mask_t.shape + (1,) * (target.ndim - 1))


def _first_state(states: Any) -> Any:
    """The state that holds the previous output: the first one (of the last cell when stacked)."""
    first = states[0]
    if isinstance(first, (list, tuple)):
        first = states[-1]
        while isinstance(first, (list, tuple)):
            first = first[0]
    return first


def run_rnn(
    step: Callable[[Any, Any], tuple[Any, Any]],
    inputs: jax.Array,
    initial_states: Any,
    *,
    mask: jax.Array | None = None,
    go_backwards: bool = False,
    unroll: bool = False,
    zero_output_for_mask: bool = False,
    output_is_first_state: bool = False,
) -> tuple[jax.Array, jax.Array | None, Any]:
    """Iterates `step(input_t, states) -> (output_t, new_states)` over the time axis.

    Args:
        step: The per-step function. `new_states` must have the structure of
            `states` (lists/tuples are normalized to that structure).
        inputs: `(batch, time, ...)` inputs.
        initial_states: Pytree (usually a list) of `(batch, ...)` states.
        mask: Optional `(batch, time)` boolean mask. A masked step keeps the
            states unchanged and outputs the previous output (the first state)
            or zeros when `zero_output_for_mask` (Keras' JAX semantics).
        go_backwards: Process the sequence from its last step to its first;
            the outputs are then in processing (reversed) order, as in Keras.
        unroll: Use a Python loop over the (static) time steps instead of
            `lax.scan`. Both give the same numbers.
        zero_output_for_mask: See `mask`.
        output_is_first_state: The step's output is its first new state (built-in
            cells): the outputs of every step are then not collected, the last one is
            read from the final states, and `outputs` is None. Ignored with `unroll`
            or `zero_output_for_mask`.

    Returns:
        `(last_output, outputs, final_states)` with `outputs` of shape
        `(batch, time, ...)` (None with `output_is_first_state`).
    """
    xs = jnp.swapaxes(inputs, 0, 1)
    ms = None if mask is None else jnp.swapaxes(mask, 0, 1)
    if go_backwards:
        xs = jnp.flip(xs, axis=0)
        ms = None if ms is None else jnp.flip(ms, axis=0)
    structure = jax.tree.structure(initial_states)
    state_leaves = jax.tree.leaves(initial_states)

    def normalize(new_states: Any) -> Any:
        leaves = jax.tree.leaves(new_states)
        if len(leaves) != len(state_leaves):
            raise ValueError(
                f"The RNN cell returned {len(leaves)} state tensors but the layer holds "
                f"{len(state_leaves)} (structure {structure}). A cell's `call` must return "
                "`(output, new_states)` with one new state per state in `state_size`."
            )
        cast = [jnp.asarray(n).astype(s.dtype) for n, s in zip(leaves, state_leaves)]
        return jax.tree.unflatten(structure, cast)

    def body(states: Any, x_t: Any, m_t: Any) -> tuple[Any, jax.Array]:
        output, new_states = step(x_t, states)
        new_states = normalize(new_states)
        if m_t is None:
            return new_states, output
        if zero_output_for_mask:
            previous = jnp.zeros_like(output)
        else:
            previous = _first_state(states)
            if tuple(previous.shape) != tuple(output.shape):
                # The first state is not the output (custom cell): padded steps output zeros.
                previous = jnp.zeros_like(output)
        output = jnp.where(_expand_like(m_t, output), output, previous.astype(output.dtype))
        new_states = jax.tree.map(
            lambda new, old: jnp.where(_expand_like(m_t, new), new, old), new_states, states
        )
        return new_states, output

    if output_is_first_state and not unroll and not zero_output_for_mask:
        # No per-step outputs to stack (and no cotangents for them in the backward pass).
        if ms is None:
            states, _ = jax.lax.scan(lambda s, x: (body(s, x, None)[0], None), initial_states, xs)
        else:
            states, _ = jax.lax.scan(
                lambda s, xm: (body(s, *xm)[0], None), initial_states, (xs, ms)
            )
        return _first_state(states), None, states
    if unroll:
        states = initial_states
        outputs = []
        for t in range(xs.shape[0]):
            states, out = body(states, xs[t], None if ms is None else ms[t])
            outputs.append(out)
        stacked = jnp.stack(outputs)
    elif ms is None:
        states, stacked = jax.lax.scan(lambda s, x: body(s, x, None), initial_states, xs)
    else:
        states, stacked = jax.lax.scan(lambda s, xm: body(s, *xm), initial_states, (xs, ms))
    return stacked[-1], jnp.swapaxes(stacked, 0, 1), states

__all__ = ["run_rnn"]
