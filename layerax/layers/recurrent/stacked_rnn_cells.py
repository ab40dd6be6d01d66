"""`StackedRNNCells`: several RNN cells acting as one (the output of each feeds the next)."""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp

from layerax.core.layer import Layer


def _is_nested(x: Any) -> bool:
    return isinstance(x, (list, tuple))


class StackedRNNCells(Layer):
    """Wraps a list of RNN cells so that they behave as a single cell.

    At each step the first cell reads the input, each following cell reads
    the output of the one before, and the states are the list of every
    cell's states.

    Args:
        cells: List of RNN cells.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> cells = [lx.layers.LSTMCell(4), lx.layers.GRUCell(3)]
        >>> layer = lx.layers.RNN(lx.layers.StackedRNNCells(cells))
        >>> layer(jnp.ones((2, 5, 6))).shape
        (2, 3)
        >>> [w.shape for w in layer.weights]
        [(6, 16), (4, 16), (16,), (4, 9), (3, 9), (2, 9)]
    """

    def __init__(self, cells: list[Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        cells = list(cells)
        if not cells:
            raise ValueError("StackedRNNCells needs at least one cell. Received: cells=[]")
        for cell in cells:
            if not isinstance(cell, Layer) or "state_size" not in dir(cell):
                raise ValueError(
                    "All cells of StackedRNNCells must be layers with a `state_size` attribute "
                    f"and a `call(inputs, states)` method. Received: {cell!r}"
                )
        self.cells = cells

    @property
    def state_size(self) -> list[Any]:
        """The cells' state sizes, in order.

        Example:
            >>> import layerax as lx
            >>> cells = lx.layers.StackedRNNCells([lx.layers.LSTMCell(3), lx.layers.GRUCell(2)])
            >>> cells.state_size, cells.output_size
            ([[3, 3], 2], 2)
        """
        return [cell.state_size for cell in self.cells]

    @property
    def output_size(self) -> int:
        """The last cell's output size."""
        return _cell_output_size(self.cells[-1])

    def get_initial_state(self, batch_size: int | None = None) -> list[Any]:
        """Each cell's initial states (zeros), in order."""
        states: list[Any] = []
        for cell in self.cells:
            get_initial = getattr(cell, "get_initial_state", None)
            if get_initial is not None:
                states.append(get_initial(batch_size=batch_size))
            elif isinstance(cell.state_size, int):
                states.append(jnp.zeros((batch_size, cell.state_size), self.compute_dtype))
            else:
                states.append(
                    [jnp.zeros((batch_size, d), self.compute_dtype) for d in cell.state_size]
                )
        return states

    def build(self, input_shape: Any) -> None:
        input_shape = tuple(input_shape)
        for cell in self.cells:
            if not cell.built:
                cell.build(input_shape)
            input_shape = (input_shape[0], _cell_output_size(cell))

    def call(self, inputs: Any, states: Any, training: bool = False) -> tuple[Any, list[Any]]:
        new_states = []
        for cell, cell_states in zip(self.cells, states):
            was_list = _is_nested(cell_states)
            cell_states = list(cell_states) if was_list else [cell_states]
            inputs, cell_new = cell(inputs, cell_states, training=training)
            if not _is_nested(cell_new):
                cell_new = [cell_new]
            if len(cell_new) == 1 and not was_list:
                cell_new = cell_new[0]
            new_states.append(cell_new)
        return inputs, new_states

    def get_config(self) -> dict[str, Any]:
        from layerax.layers import serialization

        return {
            **super().get_config(),
            "cells": [serialization.serialize(cell) for cell in self.cells],
        }

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> StackedRNNCells:
        from layerax.layers import serialization

        config = dict(config)
        cells = [
            serialization.deserialize(c, custom_objects=custom_objects)
            for c in config.pop("cells")
        ]
        return cls(cells, **config)


def _cell_output_size(cell: Any) -> int:
    size = getattr(cell, "output_size", None)
    if size is not None:
        return size
    size = cell.state_size
    return size[0] if _is_nested(size) else size

__all__ = ["StackedRNNCells"]
