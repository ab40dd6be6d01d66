"""`DropoutRNNCell`: dropout masks drawn once per sequence and reused at every time step."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from layerax import random as lx_random


class DropoutRNNCell:
    """Mixin for RNN cells with `dropout` / `recurrent_dropout` and a `seed_generator`.

    The recurrent layer draws the masks once before its time loop (with
    `_lx_cache_dropout_masks`) so that every step of one sequence uses the same
    masks and no random draw happens inside `lax.scan`; it clears them after
    the loop. A cell called on its own (outside an RNN) draws fresh masks on
    each call. A cell with `dropout_mask_count = k` gets a list of `k` masks
    (one per gate).

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> cell = lx.layers.SimpleRNNCell(4, dropout=0.5, seed=1)
        >>> cell.get_dropout_mask(jnp.ones((2, 3))).shape
        (2, 3)
    """

    dropout: float
    recurrent_dropout: float

    def _lx_draw_masks(self, like: Any, rate: float) -> Any:
        ones = jnp.ones_like(like)
        count = getattr(self, "dropout_mask_count", None)
        if count is None:
            return lx_random.dropout(ones, rate, seed=self.seed_generator)  # type: ignore[attr-defined]
        return [
            lx_random.dropout(ones, rate, seed=self.seed_generator)  # type: ignore[attr-defined]
            for _ in range(count)
        ]

    def get_dropout_mask(self, step_input: Any) -> Any:
        """The input dropout mask (cached for the current sequence), or None without dropout."""
        cached = self.__dict__.get("_lx_dropout_mask")
        if cached is not None:
            return cached
        if not 0.0 < self.dropout < 1.0:
            return None
        return self._lx_draw_masks(step_input, self.dropout)

    def get_recurrent_dropout_mask(self, state: Any) -> Any:
        """The recurrent dropout mask (cached for the current sequence), or None."""
        cached = self.__dict__.get("_lx_recurrent_dropout_mask")
        if cached is not None:
            return cached
        if not 0.0 < self.recurrent_dropout < 1.0:
            return None
        return self._lx_draw_masks(state, self.recurrent_dropout)

    def reset_dropout_mask(self) -> None:
        """Forgets the cached input mask (the RNN calls it after each sequence)."""
        object.__setattr__(self, "_lx_dropout_mask", None)

    def reset_recurrent_dropout_mask(self) -> None:
        """Forgets the cached recurrent mask."""
        object.__setattr__(self, "_lx_recurrent_dropout_mask", None)

    def _lx_cache_dropout_masks(self, step_input: jax.Array, state: jax.Array) -> None:
        object.__setattr__(self, "_lx_dropout_mask", self.get_dropout_mask(step_input))
        object.__setattr__(
            self, "_lx_recurrent_dropout_mask", self.get_recurrent_dropout_mask(state)
        )


def make_seed_generator(cell: Any, seed: Any) -> None:
    """Gives `cell` a SeedGenerator only when it uses dropout (no integer leaves otherwise)."""
    if cell.dropout > 0.0 or cell.recurrent_dropout > 0.0:
        cell.seed_generator = lx_random.SeedGenerator(seed)
    else:
        cell.seed_generator = None

__all__ = ["DropoutRNNCell"]
