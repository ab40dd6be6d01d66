"""`GroupedQueryAttention` (Ainslie et al., 2023): query heads share fewer key/value heads."""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp

from layerax import random as lx_random
from layerax.core import registry
from layerax.layers.attention._common import (
    ProjectedAttention,
    check_positive_ints,
    config_property,
    flash_attention,
    masked_softmax,
)


class GroupedQueryAttention(ProjectedAttention):
    """Grouped-query attention: `num_query_heads` query heads, `num_key_value_heads` K/V heads.

    Each key/value head is shared by `num_query_heads // num_key_value_heads`
    consecutive query heads. Keras exports it as `GroupQueryAttention`; both
    names work here.

    Args:
        head_dim: Size of each attention head.
        num_query_heads: Number of query heads.
        num_key_value_heads: Number of key and value heads (divides `num_query_heads`).
        dropout: Dropout rate on the attention probabilities (training only).
        use_bias: Whether the projections have biases.
        sliding_window: If set, position `i` only attends to `|i - j| < sliding_window`.
        flash_attention: None (default) follows `lx.config.enable_flash_attention()` /
            `disable_flash_attention()`; True runs the cuDNN fused kernel (NVIDIA GPUs
            only; elsewhere a ValueError), incompatible with dropout and with returning
            scores, as in Keras.
        kernel_initializer: Initializer of the projection kernels.
        bias_initializer: Initializer of the projection biases.
        kernel_regularizer: Regularizer of the projection kernels.
        bias_regularizer: Regularizer of the projection biases.
        activity_regularizer: Regularizer of the projections' outputs.
        kernel_constraint: Constraint of the projection kernels.
        bias_constraint: Constraint of the projection biases.
        use_gate: Multiply the attention output by a sigmoid gate computed from the query.
        seed: Seed of the dropout.

    Call arguments:
        query: `(B, T, dim)` query.
        value: `(B, S, dim)` value.
        key: `(B, S, dim)` key (`value` by default).
        query_mask: `(B, T)` boolean mask of the query.
        value_mask: `(B, S)` boolean mask of the value.
        key_mask: `(B, S)` boolean mask of the key.
        attention_mask: `(B, T, S)` boolean mask.
        return_attention_scores: Also return the `(B, num_query_heads, T, S)` probabilities.
        training: Whether dropout is active.
        use_causal_mask: Forbid attending to later positions.

    Input shape:
        query `(B, T, dim)`, value `(B, S, dim_v)`, key `(B, S, dim_k)`.

    Output shape:
        `(B, T, dim)`, and the scores `(B, num_query_heads, T, S)`.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> gqa = lx.layers.GroupedQueryAttention(head_dim=4, num_query_heads=4,
        ...                                       num_key_value_heads=2)
        >>> gqa(jnp.ones((2, 5, 6)), jnp.ones((2, 3, 6))).shape
        (2, 5, 6)
        >>> [w.shape for w in gqa.weights][::2]
        [(6, 4, 4), (6, 2, 4), (6, 2, 4), (4, 4, 6)]
    """

    _CONFIG_KEYS = (
        "head_dim", "num_query_heads", "num_key_value_heads", "use_bias", "use_gate",
        "sliding_window", "flash_attention", "dropout",
    )

    def __init__(
        self,
        head_dim: int,
        num_query_heads: int,
        num_key_value_heads: int,
        dropout: float = 0.0,
        use_bias: bool = True,
        sliding_window: int | None = None,
        flash_attention: bool | None = None,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        use_gate: bool = False,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        check_positive_ints(
            head_dim=head_dim,
            num_query_heads=num_query_heads,
            num_key_value_heads=num_key_value_heads,
        )
        if num_query_heads % num_key_value_heads != 0:
            raise ValueError(
                "`num_query_heads` must be divisible by `num_key_value_heads`. Received: "
                f"num_query_heads={num_query_heads}, num_key_value_heads={num_key_value_heads}"
            )
        super().__init__(
            dropout=dropout,
            use_bias=use_bias,
            sliding_window=sliding_window,
            flash_attention=flash_attention,
            kernel_initializer=kernel_initializer,
            bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer,
            bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer,
            kernel_constraint=kernel_constraint,
            bias_constraint=bias_constraint,
            use_gate=use_gate,
            seed=seed,
            **kwargs,
        )
        self._head_dim = head_dim
        self._num_query_heads = num_query_heads
        self._num_key_value_heads = num_key_value_heads
        self._num_repeats = num_query_heads // num_key_value_heads
        self._score_scale = 1.0 / math.sqrt(float(head_dim))

    head_dim = config_property("head_dim", "Size of each attention head.")
    num_query_heads = config_property("num_query_heads", "Number of query heads.")
    num_key_value_heads = config_property("num_key_value_heads", "Number of key and value heads.")
    num_repeats = config_property("num_repeats", "Query heads sharing each key/value head.")
    feature_dim = config_property("feature_dim", "The query's last dimension (once built).")

    def build(self, query_shape: Any, value_shape: Any, key_shape: Any = None) -> None:
        query_shape = tuple(query_shape)
        value_shape = tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        for what, shape in (("query", query_shape), ("value", value_shape), ("key", key_shape)):
            if len(shape) != 3 or shape[-1] is None:
                raise ValueError(
                    f"Layer '{self.name}' expects a 3-D {what} (batch, positions, features) with "
                    f"a defined last dimension. Received {what} shape: {shape}"
                )
        self._feature_dim = query_shape[-1]
        n_q, n_kv, h = self._num_query_heads, self._num_key_value_heads, self._head_dim
        self._query_dense = self._projection(
            "query", "bqm,muh->bquh", (query_shape[-1], n_q, h), (n_q, h)
        )
        self._query_dense.build(query_shape)
        self._key_dense = self._projection("key", "bkm,mvh->bkvh", (key_shape[-1], n_kv, h), (n_kv, h))
        self._key_dense.build(key_shape)
        if self._use_gate:
            self._gate_dense = self._projection(
                "gate", "bqm,muh->bquh", (query_shape[-1], n_q, h), (n_q, h), activation="sigmoid"
            )
            self._gate_dense.build(query_shape)
        self._value_dense = self._projection(
            "value", "bkm,mvh->bkvh", (value_shape[-1], n_kv, h), (n_kv, h)
        )
        self._value_dense.build(value_shape)
        self._output_dense = self._projection(
            "attention_output", "bquh,uhm->bqm", (n_q, h, self._feature_dim), (self._feature_dim,)
        )
        self._output_dense.build(None)

    def _output_features(self, query_shape: tuple[Any, ...]) -> tuple[Any, ...]:
        return (query_shape[-1],)

    def _project(
        self, query: jax.Array, key: jax.Array, value: jax.Array
    ) -> tuple[jax.Array, jax.Array, jax.Array]:
        q = self._query_dense(query)
        k = jnp.repeat(self._key_dense(key), self._num_repeats, axis=2)
        v = jnp.repeat(self._value_dense(value), self._num_repeats, axis=2)
        return q, k, v

    def _compute_attention(
        self,
        query: jax.Array,
        key: jax.Array,
        value: jax.Array,
        attention_mask: jax.Array | None,
        training: Any,
        return_attention_scores: bool,
    ) -> tuple[jax.Array, jax.Array | None]:
        mask = attention_mask
        if self._flash_attention and not (self._dropout > 0.0 or return_attention_scores):
            if mask is not None:
                mask = jnp.expand_dims(mask, axis=-3) if mask.ndim == 3 else mask
            return flash_attention(self, query, key, value, mask, self._score_scale), None
        query = query * jnp.asarray(self._score_scale, query.dtype)
        scores = jnp.einsum("bquh,bkuh->buqk", query, key)
        if mask is not None:
            while mask.ndim < scores.ndim:
                mask = jnp.expand_dims(mask, axis=-3)
        # Keras' fused kernel (no dropout, no returned scores) leaves fully masked rows uniform.
        fused = not (self._dropout > 0.0 or return_attention_scores)
        probs = masked_softmax(scores, mask, (-1,), zero_masked=not fused)
        weights = probs
        if training and self._dropout > 0.0:
            weights = lx_random.dropout(probs, self._dropout, seed=self.seed_generator)
        return jnp.einsum("buqk,bkuh->bquh", weights, value), probs


GroupQueryAttention = registry.register("layers", "GroupQueryAttention")(GroupedQueryAttention)

__all__ = ["GroupQueryAttention", "GroupedQueryAttention"]
