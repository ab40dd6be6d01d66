"""`GroupedQueryAttention` (Ainslie et al., 2023): query heads share fewer key/value heads."""

from __future__ import annotations

import math
from typing import Any

import jax.numpy as jnp

from layerax import constraints, initializers, regularizers
from layerax import random as lx_random
from layerax.core import registry
from layerax.core.flags import get_flag
from layerax.core.layer import Layer
from layerax.layers.attention._common import (
    EinsumProjection,
    clone_initializer,
    combine_masks,
    flash_attention,
    masked_softmax,
)


class GroupedQueryAttention(Layer):
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
        flash_attention: Accepted for Keras compatibility (same numbers here).
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
        for arg, value in (
            ("head_dim", head_dim),
            ("num_query_heads", num_query_heads),
            ("num_key_value_heads", num_key_value_heads),
        ):
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(
                    f"Received an invalid value for argument `{arg}`, expected a positive "
                    f"integer. Received: {arg}={value!r}"
                )
        if num_query_heads % num_key_value_heads != 0:
            raise ValueError(
                "`num_query_heads` must be divisible by `num_key_value_heads`. Received: "
                f"num_query_heads={num_query_heads}, num_key_value_heads={num_key_value_heads}"
            )
        if sliding_window is not None and (
            not isinstance(sliding_window, int) or sliding_window <= 0
        ):
            raise ValueError(
                "`sliding_window` must be None or a positive integer. "
                f"Received: sliding_window={sliding_window!r}"
            )
        if flash_attention and dropout > 0.0:
            raise ValueError(
                "Dropout is not supported when flash attention is enabled. Set dropout to 0.0 "
                "to use flash attention."
            )
        # Activity regularization is applied by the projections, not by this layer itself.
        super().__init__(**kwargs)
        self.supports_masking = True
        self.head_dim = head_dim
        self.num_query_heads = num_query_heads
        self.num_key_value_heads = num_key_value_heads
        self.num_repeats = num_query_heads // num_key_value_heads
        self.dropout = float(dropout)
        self.use_bias = use_bias
        self.use_gate = use_gate
        self.sliding_window = sliding_window
        # As Keras: None follows `lx.config.enable/disable_flash_attention()`.
        self._flash_attention = flash_attention or get_flag("flash_attention")
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self._projection_activity_regularizer = regularizers.get(activity_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.seed = seed
        self.seed_generator = lx_random.SeedGenerator(seed) if self.dropout > 0 else None
        self._inverse_sqrt_head_dim = 1.0 / math.sqrt(float(head_dim))

    def _common_kwargs(self) -> dict[str, Any]:
        return {
            "kernel_initializer": clone_initializer(self.kernel_initializer),
            "bias_initializer": clone_initializer(self.bias_initializer),
            "kernel_regularizer": self.kernel_regularizer,
            "bias_regularizer": self.bias_regularizer,
            "activity_regularizer": self._projection_activity_regularizer,
            "kernel_constraint": self.kernel_constraint,
            "bias_constraint": self.bias_constraint,
            "dtype": self.dtype_policy,
        }

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
        self.feature_dim = query_shape[-1]
        n_q, n_kv, h = self.num_query_heads, self.num_key_value_heads, self.head_dim
        self._query_dense = EinsumProjection(
            "bqm,muh->bquh", (query_shape[-1], n_q, h), (n_q, h) if self.use_bias else None,
            name="query", **self._common_kwargs(),
        )
        self._query_dense.build(query_shape)
        self._key_dense = EinsumProjection(
            "bkm,mvh->bkvh", (key_shape[-1], n_kv, h), (n_kv, h) if self.use_bias else None,
            name="key", **self._common_kwargs(),
        )
        self._key_dense.build(key_shape)
        if self.use_gate:
            self._gate_dense = EinsumProjection(
                "bqm,muh->bquh", (query_shape[-1], n_q, h), (n_q, h) if self.use_bias else None,
                activation="sigmoid", name="gate", **self._common_kwargs(),
            )
            self._gate_dense.build(query_shape)
        self._value_dense = EinsumProjection(
            "bkm,mvh->bkvh", (value_shape[-1], n_kv, h), (n_kv, h) if self.use_bias else None,
            name="value", **self._common_kwargs(),
        )
        self._value_dense.build(value_shape)
        self._output_dense = EinsumProjection(
            "bquh,uhm->bqm", (n_q, h, self.feature_dim),
            (self.feature_dim,) if self.use_bias else None,
            name="attention_output", **self._common_kwargs(),
        )
        self._output_dense.build(None)

    def call(
        self,
        query: Any,
        value: Any,
        key: Any = None,
        query_mask: Any = None,
        value_mask: Any = None,
        key_mask: Any = None,
        attention_mask: Any = None,
        return_attention_scores: bool = False,
        training: Any = None,
        use_causal_mask: bool = False,
    ) -> Any:
        if self._flash_attention and return_attention_scores:
            raise ValueError(
                "Returning attention scores is not supported when flash attention is enabled. "
                "Disable flash attention to access attention scores."
            )
        query = jnp.asarray(query)
        value = jnp.asarray(value)
        key = value if key is None else jnp.asarray(key)
        mask = combine_masks(
            query.shape[1],
            value.shape[1],
            query_mask=query_mask,
            value_mask=value_mask,
            key_mask=key_mask,
            attention_mask=attention_mask,
            use_causal_mask=use_causal_mask,
            sliding_window=self.sliding_window,
        )
        gate = self._gate_dense(query) if self.use_gate else None
        q = self._query_dense(query)
        k = jnp.repeat(self._key_dense(key), self.num_repeats, axis=2)
        v = jnp.repeat(self._value_dense(value), self.num_repeats, axis=2)
        if self._flash_attention and not (self.dropout > 0.0 or return_attention_scores):
            if mask is not None:
                mask = jnp.expand_dims(mask, axis=-3) if mask.ndim == 3 else mask
            output = flash_attention(self, q, k, v, mask, self._inverse_sqrt_head_dim)
            if gate is not None:
                output = output * gate
            return self._output_dense(output)
        q = q * jnp.asarray(self._inverse_sqrt_head_dim, q.dtype)
        scores = jnp.einsum("bquh,bkuh->buqk", q, k)
        if mask is not None:
            while mask.ndim < scores.ndim:
                mask = jnp.expand_dims(mask, axis=-3)
        # Keras' fused kernel (no dropout, no returned scores) leaves fully masked rows uniform.
        fused = not (self.dropout > 0.0 or return_attention_scores)
        probs = masked_softmax(scores, mask, (-1,), zero_masked=not fused)
        weights = probs
        if training and self.dropout > 0.0:
            weights = lx_random.dropout(probs, self.dropout, seed=self.seed_generator)
        output = jnp.einsum("buqk,bkuh->bquh", weights, v)
        if gate is not None:
            output = output * gate
        output = self._output_dense(output)
        if return_attention_scores:
            return output, probs
        return output

    def compute_output_shape(self, query_shape: Any, value_shape: Any, key_shape: Any = None) -> Any:
        value_shape = tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        if value_shape[1:-1] != key_shape[1:-1]:
            raise ValueError(
                f"Layer '{self.name}': all dimensions of `value` and `key`, except the last one, "
                f"must be equal. Received: value_shape={value_shape} and key_shape={key_shape}"
            )
        return tuple(query_shape)

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        if isinstance(previous_mask, (list, tuple)):
            return previous_mask[0] if previous_mask else None
        return previous_mask

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "head_dim": self.head_dim,
            "num_query_heads": self.num_query_heads,
            "num_key_value_heads": self.num_key_value_heads,
            "use_bias": self.use_bias,
            "use_gate": self.use_gate,
            "sliding_window": self.sliding_window,
            "flash_attention": self._flash_attention,
            "dropout": self.dropout,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self._projection_activity_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "seed": self.seed,
        }


GroupQueryAttention = registry.register("layers", "GroupQueryAttention")(GroupedQueryAttention)

__all__ = ["GroupQueryAttention", "GroupedQueryAttention"]
