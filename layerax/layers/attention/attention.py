"""`Attention` (dot-product, Luong-style) and `AdditiveAttention` (Bahdanau-style)."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from layerax import random as lx_random
from layerax.core.layer import Layer
from layerax.layers.attention._common import causal_mask, large_negative


class Attention(Layer):
    """Dot-product attention over `[query, value]` or `[query, value, key]`.

    Scores are `query @ key^T` (`score_mode="dot"`, times `scale` with
    `use_scale`) or `concat_score_weight * sum(tanh(scale * (q + k)))`
    (`score_mode="concat"`); masked positions are excluded from the softmax,
    and the output is the probability-weighted sum of `value`.

    Args:
        use_scale: Learn a scalar `scale` for the scores.
        score_mode: `"dot"` or `"concat"`.
        dropout: Dropout rate on the attention probabilities (training only).
        seed: Seed of the dropout.

    Call arguments:
        inputs: List `[query (B, Tq, dim), value (B, Tv, dim)]`, with an
            optional `key (B, Tv, dim)` third (`value` by default).
        mask: List `[query_mask (B, Tq), value_mask (B, Tv)]`: padded query
            rows output zeros, padded value positions get no attention.
        training: Whether dropout is active.
        return_attention_scores: Also return the `(B, Tq, Tv)` probabilities.
        use_causal_mask: Forbid attending to later positions.

    Input shape:
        `[(B, Tq, dim), (B, Tv, dim)]` (and `(B, Tv, dim)` for the key).

    Output shape:
        `(B, Tq, dim)`, and the scores `(B, Tq, Tv)`.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> layer = lx.layers.Attention(use_scale=True)
        >>> out, scores = layer([jnp.ones((2, 4, 3)), jnp.ones((2, 5, 3))],
        ...                     return_attention_scores=True)
        >>> out.shape, scores.shape, [w.name for w in layer.weights]
        ((2, 4, 3), (2, 4, 5), ['scale'])
    """

    def __init__(
        self,
        use_scale: bool = False,
        score_mode: str = "dot",
        dropout: float = 0.0,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if score_mode not in ("dot", "concat"):
            raise ValueError(
                "Invalid value for argument score_mode. Expected one of {'dot', 'concat'}. "
                f"Received: score_mode={score_mode!r}"
            )
        self.use_scale = use_scale
        self.score_mode = score_mode
        self.dropout = float(dropout)
        self.seed = seed
        self.seed_generator = lx_random.SeedGenerator(seed) if self.dropout > 0 else None
        self.supports_masking = True

    def build(self, input_shape: Any) -> None:
        self._validate_inputs(input_shape)
        self.scale = None
        self.concat_score_weight = None
        if self.use_scale:
            self.scale = self.add_weight(name="scale", shape=(), initializer="ones")
        if self.score_mode == "concat":
            self.concat_score_weight = self.add_weight(
                name="concat_score_weight", shape=(), initializer="ones"
            )

    def _calculate_scores(self, query: jax.Array, key: jax.Array) -> jax.Array:
        if self.score_mode == "dot":
            scores = jnp.matmul(query, jnp.swapaxes(key, -2, -1))
            if self.scale is not None:
                scores = scores * self.scale.value
            return scores
        summed = query[..., :, None, :] + key[..., None, :, :]
        if self.scale is not None:
            summed = self.scale.value * summed
        return self.concat_score_weight.value * jnp.sum(jnp.tanh(summed), axis=-1)

    def _validate_inputs(self, inputs: Any, mask: Any = None) -> None:
        kind = type(self).__name__
        if not isinstance(inputs, (list, tuple)) or (
            inputs and not isinstance(inputs[0], (list, tuple)) and not hasattr(inputs[0], "shape")
        ):
            raise ValueError(
                f"{kind} layer '{self.name}' must be called on a list of inputs, namely "
                f"[query, value] or [query, value, key]. Received: inputs={inputs!r}."
            )
        if not 2 <= len(inputs) <= 3:
            raise ValueError(
                f"{kind} layer '{self.name}' accepts inputs list of length 2 or 3, namely "
                f"[query, value] or [query, value, key]. Received length: {len(inputs)}."
            )
        if mask is not None:
            if not isinstance(mask, (list, tuple)) or not 2 <= len(mask) <= 3:
                raise ValueError(
                    f"{kind} layer '{self.name}' mask must be a list of length 2 or 3, namely "
                    f"[query_mask, value_mask]. Received: mask={mask!r}."
                )

    def call(
        self,
        inputs: Any,
        mask: Any = None,
        training: Any = False,
        return_attention_scores: bool = False,
        use_causal_mask: bool = False,
    ) -> Any:
        self._validate_inputs(inputs, mask)
        query = jnp.asarray(inputs[0])
        value = jnp.asarray(inputs[1])
        key = jnp.asarray(inputs[2]) if len(inputs) > 2 else value
        if query.ndim < 3 or value.ndim != query.ndim or key.ndim != query.ndim:
            raise ValueError(
                f"{type(self).__name__} layer '{self.name}' expects query, value and key of "
                "shape (batch, steps, dim). Received shapes: "
                f"{[tuple(jnp.shape(x)) for x in inputs]}"
            )
        query_mask = mask[0] if mask else None
        value_mask = mask[1] if mask else None
        scores = self._calculate_scores(query, key)
        scores_mask = None
        if value_mask is not None:
            scores_mask = jnp.asarray(value_mask).astype(bool)[..., None, :]
        if use_causal_mask:
            causal = causal_mask(scores.shape[-2], scores.shape[-1])
            scores_mask = causal if scores_mask is None else jnp.logical_and(scores_mask, causal)
        if scores_mask is not None:
            scores = jnp.where(scores_mask, scores, scores + large_negative(scores.dtype))
        weights = jax.nn.softmax(scores, axis=-1)
        applied = weights
        if training and self.dropout > 0:
            applied = lx_random.dropout(weights, self.dropout, seed=self.seed_generator)
        output = jnp.matmul(applied, value)
        if query_mask is not None:
            output = jnp.where(jnp.asarray(query_mask).astype(bool)[..., None], output, 0.0)
        if return_attention_scores:
            return output, weights
        return output

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        if previous_mask is None or not isinstance(previous_mask, (list, tuple)):
            return None
        return None if previous_mask[0] is None else jnp.asarray(previous_mask[0])

    def compute_output_shape(self, input_shape: Any) -> Any:
        self._validate_inputs(input_shape)
        query_shape, value_shape = tuple(input_shape[0]), tuple(input_shape[1])
        return (*query_shape[:-1], value_shape[-1])

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "use_scale": self.use_scale,
            "score_mode": self.score_mode,
            "dropout": self.dropout,
            "seed": self.seed,
        }


class AdditiveAttention(Attention):
    """Additive (Bahdanau-style) attention: scores are `sum(scale * tanh(query + key))`.

    Args:
        use_scale: Learn a per-dimension `scale` of shape `(dim,)` (default True).
        dropout: Dropout rate on the attention probabilities (training only).
        seed: Seed of the dropout.

    Call arguments:
        inputs: List `[query, value]` or `[query, value, key]`.
        mask: List `[query_mask, value_mask]`.
        training: Whether dropout is active.
        return_attention_scores: Also return the `(B, Tq, Tv)` probabilities.
        use_causal_mask: Forbid attending to later positions.

    Input shape:
        `[(B, Tq, dim), (B, Tv, dim)]` (and `(B, Tv, dim)` for the key).

    Output shape:
        `(B, Tq, dim)`.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> layer = lx.layers.AdditiveAttention()
        >>> layer([jnp.ones((2, 4, 3)), jnp.ones((2, 5, 3))]).shape, layer.scale.shape
        ((2, 4, 3), (3,))
    """

    def __init__(
        self,
        use_scale: bool = True,
        dropout: float = 0.0,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(use_scale=use_scale, dropout=dropout, seed=seed, **kwargs)

    def build(self, input_shape: Any) -> None:
        self._validate_inputs(input_shape)
        dim = input_shape[0][-1]
        self.scale = None
        self.concat_score_weight = None
        if self.use_scale:
            self.scale = self.add_weight(
                name="scale", shape=(dim,), initializer="glorot_uniform"
            )

    def _calculate_scores(self, query: jax.Array, key: jax.Array) -> jax.Array:
        summed = jnp.tanh(query[..., :, None, :] + key[..., None, :, :])
        if self.scale is not None:
            summed = self.scale.value * summed
        return jnp.sum(summed, axis=-1)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["score_mode"]
        return config

__all__ = ["AdditiveAttention", "Attention"]
