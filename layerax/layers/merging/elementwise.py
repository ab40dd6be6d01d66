"""Element-wise merging layers: Add, Subtract, Multiply, Average, Maximum, Minimum."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from layerax.layers.merging.base_merge import Merge


def _merge_masked(
    op: Callable[[jax.Array, jax.Array], jax.Array], inputs: list[jax.Array], masks: list[Any]
) -> jax.Array:
    """Applies `op` pairwise, where a masked entry of one side takes the other side's value."""
    output, output_mask = inputs[0], masks[0]
    for x, m in zip(inputs[1:], masks[1:]):
        if m is not None:
            x = jnp.where(m, x, output)
        if output_mask is not None:
            output = jnp.where(output_mask, output, x)
        output_mask = jnp.logical_or(output_mask, m) if (
            m is not None and output_mask is not None) else None
        output = op(output, x)
    return output


class Add(Merge):
    """Adds a list of inputs element-wise (with broadcasting).

    Input shape:
        A list of tensors of compatible shapes.

    Output shape:
        The broadcast shape.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> lx.layers.Add()([jnp.ones((2, 3)), 2 * jnp.ones((2, 3))])[0].tolist()
        [3.0, 3.0, 3.0]
    """

    def _merge_function(self, inputs: list[jax.Array], masks: list[Any]) -> jax.Array:
        output = inputs[0]
        for x in inputs[1:]:
            output = output + x
        return output


class Subtract(Merge):
    """Subtracts two inputs: `inputs[0] - inputs[1]`.

    Input shape:
        A list of exactly two tensors of compatible shapes.

    Output shape:
        The broadcast shape.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> lx.layers.Subtract()([jnp.ones((1, 2)), 3 * jnp.ones((1, 2))]).tolist()
        [[-2.0, -2.0]]
    """

    _exact_inputs = 2

    def _merge_function(self, inputs: list[jax.Array], masks: list[Any]) -> jax.Array:
        return inputs[0] - inputs[1]


class Multiply(Merge):
    """Multiplies a list of inputs element-wise.

    With masks, a masked entry counts as 1; when every input has a mask, the
    entries masked in all inputs are 0.

    Input shape:
        A list of tensors of compatible shapes.

    Output shape:
        The broadcast shape.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> lx.layers.Multiply()([jnp.full((1, 2), 2.0), jnp.full((1, 2), 3.0)]).tolist()
        [[6.0, 6.0]]
    """

    def _merge_function(self, inputs: list[jax.Array], masks: list[Any]) -> jax.Array:
        all_masked = all(m is not None for m in masks)
        output, output_mask = None, None
        for x, m in zip(inputs, masks):
            if m is not None:
                x = jnp.where(m, x, jnp.ones((), x.dtype))
                if all_masked:
                    output_mask = m if output_mask is None else jnp.logical_or(output_mask, m)
            output = x if output is None else output * x
        if all_masked:
            output = jnp.where(output_mask, output, jnp.zeros((), output.dtype))
        return output


class Average(Merge):
    """Averages a list of inputs element-wise.

    Input shape:
        A list of tensors of compatible shapes.

    Output shape:
        The broadcast shape.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> lx.layers.Average()([jnp.zeros((1, 2)), jnp.full((1, 2), 4.0)]).tolist()
        [[2.0, 2.0]]
    """

    def _merge_function(self, inputs: list[jax.Array], masks: list[Any]) -> jax.Array:
        output = inputs[0]
        for x in inputs[1:]:
            output = output + x
        return output / len(inputs)


class Maximum(Merge):
    """Element-wise maximum of a list of inputs (a masked entry takes the other inputs' value).

    Input shape:
        A list of tensors of compatible shapes.

    Output shape:
        The broadcast shape.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> lx.layers.Maximum()([jnp.array([[1.0, 5.0]]), jnp.array([[3.0, 2.0]])]).tolist()
        [[3.0, 5.0]]
    """

    def _merge_function(self, inputs: list[jax.Array], masks: list[Any]) -> jax.Array:
        return _merge_masked(jnp.maximum, inputs, masks)


class Minimum(Merge):
    """Element-wise minimum of a list of inputs (a masked entry takes the other inputs' value).

    Input shape:
        A list of tensors of compatible shapes.

    Output shape:
        The broadcast shape.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> lx.layers.Minimum()([jnp.array([[1.0, 5.0]]), jnp.array([[3.0, 2.0]])]).tolist()
        [[1.0, 2.0]]
    """

    def _merge_function(self, inputs: list[jax.Array], masks: list[Any]) -> jax.Array:
        return _merge_masked(jnp.minimum, inputs, masks)
