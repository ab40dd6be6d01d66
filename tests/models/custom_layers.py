"""Small custom layers shared by the model tests (mask producers/consumers, merges)."""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp

import layerax as lx


class AddPair(lx.layers.Layer):
    """Adds the two tensors of a list input."""

    def call(self, inputs: Any) -> Any:
        return inputs[0] + inputs[1]


class ConcatLast(lx.layers.Layer):
    """Concatenates a list of tensors on the last axis (shape inferred by tracing)."""

    def call(self, inputs: Any) -> Any:
        return jnp.concatenate(inputs, axis=-1)


class TokenEmbedding(lx.layers.Layer):
    """A tiny Embedding with `mask_zero`: the mask is `tokens != 0`."""

    def __init__(self, vocab: int = 10, dim: int = 4, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.vocab, self.dim = vocab, dim

    def build(self, input_shape: Any) -> None:
        self.table = self.add_weight(
            shape=(self.vocab, self.dim), initializer="random_normal", name="embeddings"
        )

    def call(self, tokens: Any) -> Any:
        return jnp.take(self.table.value, tokens.astype("int32"), axis=0)

    def compute_mask(self, tokens: Any, previous_mask: Any = None) -> Any:
        return tokens != 0

    def compute_output_shape(self, input_shape: Any) -> Any:
        return (*input_shape, self.dim)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "vocab": self.vocab, "dim": self.dim}


class MaskedMean(lx.layers.Layer):
    """Mean over axis 1 of the unmasked steps; consumes the mask."""

    def call(self, x: Any, mask: Any = None) -> Any:
        if mask is None:
            return jnp.mean(x, axis=1)
        weights = mask.astype(x.dtype)[..., None]
        return jnp.sum(x * weights, axis=1) / jnp.maximum(jnp.sum(weights, axis=1), 1.0)

    def compute_mask(self, x: Any, previous_mask: Any = None) -> Any:
        return None


class MaskedCumSum(lx.layers.Layer):
    """Running sum over axis 1 that skips masked steps; passes the mask on."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, x: Any, mask: Any = None) -> Any:
        if mask is not None:
            x = x * mask.astype(x.dtype)[..., None]
        return jnp.cumsum(x, axis=1)


class TwiceInTraining(lx.layers.Layer):
    """Doubles its input in training mode (to test `training` propagation)."""

    def call(self, x: Any, training: Any = None) -> Any:
        return x * 2.0 if training else x
