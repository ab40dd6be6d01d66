"""`MultiHeadAttention` (Vaswani et al., 2017) with Keras 3's weights and attention axes."""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp

from layerax import random as lx_random
from layerax.core.input_spec import InputSpec
from layerax.layers.attention._common import (
    ProjectedAttention,
    check_positive_ints,
    config_property,
    flash_attention,
    letters,
    masked_softmax,
)


def _projection_equation(free_dims: int, bound_dims: int, output_dims: int) -> str:
    """`<free><bound>,<bound><out>-><free><out>`: contracts the trailing `bound_dims` axes."""
    free = letters(0, free_dims)
    bound = letters(free_dims, bound_dims)
    out = letters(free_dims + bound_dims, output_dims)
    return f"{free}{bound},{bound}{out}->{free}{out}"


def _attention_equations(rank: int, attention_axes: tuple[int, ...]) -> tuple[str, str, int]:
    """Einsum equations of the scores (key, query -> scores) and of the weighted sum.

    Projected tensors have shape `(batch, <other axes>, <attention axes>,
    heads, channels)`; every axis that is neither an attention axis nor the
    channels axis is a batch-like axis of the scores, which have shape
    `(<batch-like axes>, <query attention axes>, <key attention axes>)`.
    """
    target = letters(0, rank)
    source = list(target)
    extra = iter(letters(rank, len(attention_axes)))
    for axis in attention_axes:
        source[axis] = next(extra)
    source_str = "".join(source)
    batch_like = [i for i in range(rank - 1) if i not in attention_axes]
    product = (
        "".join(target[i] for i in batch_like)
        + "".join(target[i] for i in attention_axes)
        + "".join(source[i] for i in attention_axes)
    )
    return f"{source_str},{target}->{product}", f"{product},{source_str}->{target}", len(product)


class MultiHeadAttention(ProjectedAttention):
    """Multi-head attention: projects query, key and value into heads, attends, projects back.

    Args:
        num_heads: Number of attention heads.
        key_dim: Size of each head for query and key.
        value_dim: Size of each head for value (`key_dim` by default).
        dropout: Dropout rate on the attention probabilities (training only).
        use_bias: Whether the projections have biases.
        output_shape: Trailing shape of the output (the query's last
            dimension by default); an int or a tuple.
        attention_axes: Axes over which attention is applied (all axes
            but batch, heads and features by default).
        sliding_window: If set, position `i` only attends to `|i - j| < sliding_window`.
        flash_attention: None (default) follows `lx.config.enable_flash_attention()` /
            `disable_flash_attention()`; True runs the cuDNN fused kernel (NVIDIA GPUs
            only; elsewhere a ValueError). Otherwise accepted for Keras compatibility (the fused and
            the explicit computation give the same numbers here); `True` is
            incompatible with dropout and with returning scores, as in Keras.
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
        query_mask: `(B, T)` boolean mask of the query (its padded rows).
        value_mask: `(B, S)` boolean mask of the value.
        key_mask: `(B, S)` boolean mask of the key.
        attention_mask: `(B, T, S)` boolean mask: which positions each query attends to.
        return_attention_scores: Also return the `(B, heads, T, S)` attention probabilities.
        training: Whether dropout is active.
        use_causal_mask: Forbid attending to later positions.

    Input shape:
        query `(B, T, dim)`, value `(B, S, dim_v)`, key `(B, S, dim_k)`
        (more axes with `attention_axes`).

    Output shape:
        `(B, T, dim)` (or `(B, T, *output_shape)`), and the scores `(B, heads, T, S)`.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> mha = lx.layers.MultiHeadAttention(num_heads=2, key_dim=4)
        >>> out, scores = mha(jnp.ones((2, 5, 6)), jnp.ones((2, 3, 6)),
        ...                   return_attention_scores=True)
        >>> out.shape, scores.shape
        ((2, 5, 6), (2, 2, 5, 3))
        >>> [w.shape for w in mha.weights][:2]
        [(6, 2, 4), (2, 4)]
    """

    _CONFIG_KEYS = (
        "num_heads", "key_dim", "value_dim", "dropout", "use_bias", "use_gate", "output_shape",
        "attention_axes", "sliding_window", "flash_attention",
    )

    def __init__(
        self,
        num_heads: int,
        key_dim: int,
        value_dim: int | None = None,
        dropout: float = 0.0,
        use_bias: bool = True,
        output_shape: Any = None,
        attention_axes: Any = None,
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
        check_positive_ints(num_heads=num_heads, key_dim=key_dim)
        if value_dim is not None and (not isinstance(value_dim, int) or value_dim <= 0):
            raise ValueError(
                "Received an invalid value for argument `value_dim`, expected a positive integer "
                f"or None. Received: value_dim={value_dim!r}"
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
        self._num_heads = num_heads
        self._key_dim = key_dim
        self._value_dim = value_dim if value_dim else key_dim
        if output_shape:
            if isinstance(output_shape, int):
                output_shape = (output_shape,)
            try:
                output_shape = tuple(int(d) for d in output_shape)
            except TypeError as err:
                raise ValueError(
                    f"Invalid `output_shape`: {output_shape!r}. It must be an int, a tuple or a "
                    "list."
                ) from err
        self._output_shape = output_shape or None
        if isinstance(attention_axes, int):
            attention_axes = (attention_axes,)
        elif attention_axes is not None and not isinstance(attention_axes, (list, tuple)):
            raise ValueError(
                "`attention_axes` must be an int, list, or tuple. "
                f"Received: attention_axes={attention_axes!r}"
            )
        self._attention_axes = None if attention_axes is None else tuple(attention_axes)
        self._score_scale = 1.0 / math.sqrt(float(self._key_dim))

    num_heads = config_property("num_heads", "Number of attention heads.")
    key_dim = config_property("key_dim", "Size of each query and key head.")
    value_dim = config_property("value_dim", "Size of each value head.")
    attention_axes = config_property(
        "attention_axes", "Axes attended over (resolved to non-negative axes once built)."
    )
    query_dense = property(lambda self: self._query_dense, doc="The query projection (once built).")
    key_dense = property(lambda self: self._key_dense, doc="The key projection (once built).")
    value_dense = property(lambda self: self._value_dense, doc="The value projection (once built).")
    output_dense = property(
        lambda self: self._output_dense, doc="The output projection (once built)."
    )

    # ------------------------------------------------------------- build
    def _heads_projection(self, input_shape: Any, head_size: int, name: str, **extra: Any) -> Any:
        rank = len(input_shape)
        if input_shape[-1] is None:
            raise ValueError(
                f"Layer '{self.name}' needs a defined last dimension for its {name} input. "
                f"Received shape: {tuple(input_shape)}"
            )
        return self._projection(
            name,
            _projection_equation(rank - 1, 1, 2),
            (input_shape[-1], self._num_heads, head_size),
            (self._num_heads, head_size),
            **extra,
        )

    def _output_features(self, query_shape: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(self._output_shape) if self._output_shape else (query_shape[-1],)

    def build(self, query_shape: Any, value_shape: Any, key_shape: Any = None) -> None:
        query_shape = tuple(query_shape)
        value_shape = tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        self._check_value_key_shapes(value_shape, key_shape)
        if len(query_shape) < 3 or len(query_shape) != len(value_shape):
            raise ValueError(
                f"Layer '{self.name}' expects query and value of the same rank (at least 3: "
                f"batch, positions, features). Received: query_shape={query_shape}, "
                f"value_shape={value_shape}"
            )
        self._query_dense = self._heads_projection(query_shape, self._key_dim, "query")
        self._query_dense.build(query_shape)
        self._key_dense = self._heads_projection(key_shape, self._key_dim, "key")
        self._key_dense.build(key_shape)
        if self._use_gate:
            self._gate_dense = self._heads_projection(
                query_shape, self._value_dim, "gate", activation="sigmoid"
            )
            self._gate_dense.build(query_shape)
        self._value_dense = self._heads_projection(value_shape, self._value_dim, "value")
        self._value_dense.build(value_shape)
        rank = len(query_shape) + 1
        self._build_attention(rank)
        output_shape = self._output_features(query_shape)
        self._output_dense = self._projection(
            "attention_output",
            _projection_equation(len(query_shape) - 1, 2, len(output_shape)),
            (self._num_heads, self._value_dim, *output_shape),
            output_shape,
        )
        self._output_dense.build(None)
        # The projections check what reaches them (a backstop: `call` checks first, by name).
        for dense, shape in ((self._query_dense, query_shape), (self._key_dense, key_shape),
                             (self._value_dense, value_shape)):
            dense.input_spec = InputSpec(ndim=len(shape), axes={-1: shape[-1]})
        if self._use_gate:
            self._gate_dense.input_spec = InputSpec(ndim=len(query_shape), axes={-1: query_shape[-1]})
        self._lx_built_shapes = {"query": query_shape, "value": value_shape, "key": key_shape}

    def _check_call_shapes(self, query: Any, value: Any, key: Any) -> None:
        """Names the layer and the offending input, instead of a raw einsum message."""
        built = getattr(self, "_lx_built_shapes", None)
        if built is None:
            return
        received = {"query": tuple(query.shape), "value": tuple(value.shape), "key": tuple(key.shape)}
        for name, shape in received.items():
            expected = built[name]
            if len(shape) != len(expected) or shape[-1] != expected[-1]:
                raise ValueError(
                    f"Layer '{self.name}' (MultiHeadAttention) was built for `{name}` of rank "
                    f"{len(expected)} with {expected[-1]} features (shape {expected}), but received "
                    f"`{name}` of shape {shape}. Pass inputs with the built rank and last axis, or "
                    "use a new layer."
                )
        if received["value"][:-1] != received["key"][:-1]:
            raise ValueError(
                f"Layer '{self.name}' (MultiHeadAttention): `value` and `key` must have equal "
                f"dimensions except the last. Received: value.shape={received['value']}, "
                f"key.shape={received['key']}"
            )
        if received["query"][0] != received["value"][0]:
            raise ValueError(
                f"Layer '{self.name}' (MultiHeadAttention): `query` and `value` must have the same "
                f"batch size. Received: query.shape={received['query']}, "
                f"value.shape={received['value']}"
            )

    def _build_attention(self, rank: int) -> None:
        if self._attention_axes is None:
            axes = tuple(range(1, rank - 2))
        else:
            # Negative axes count from the end of the (unprojected) input.
            axes = tuple(a if a >= 0 else (rank - 1) + a for a in self._attention_axes)
        self._attention_axes = axes
        self._dot_product_equation, self._combine_equation, scores_rank = _attention_equations(
            rank, axes
        )
        self._norm_axes = tuple(range(scores_rank - len(axes), scores_rank))

    # -------------------------------------------------------------- call
    def _expand_mask(self, mask: jax.Array | None, ndim: int) -> jax.Array | None:
        """Inserts the heads (and other batch-like) axes before the attention axes."""
        if mask is not None:
            where = -len(self._attention_axes) * 2 - 1
            while mask.ndim < ndim:
                mask = jnp.expand_dims(mask, axis=where)
        return mask

    def _project(
        self, query: jax.Array, key: jax.Array, value: jax.Array
    ) -> tuple[jax.Array, jax.Array, jax.Array]:
        return self._query_dense(query), self._key_dense(key), self._value_dense(value)

    def _compute_attention(
        self,
        query: jax.Array,
        key: jax.Array,
        value: jax.Array,
        attention_mask: jax.Array | None,
        training: Any,
        return_attention_scores: bool,
    ) -> tuple[jax.Array, jax.Array]:
        # Keras computes 3-D attention without dropout or returned scores with its fused
        # kernel (a fully masked row becomes uniform), else with Softmax (the row becomes 0).
        fused = not (self._dropout > 0.0 or return_attention_scores or query.ndim != 4)
        if fused and self._flash_attention:
            # The kernel scales the scores itself: it gets the unscaled query.
            mask = self._expand_mask(attention_mask, query.ndim)
            return flash_attention(self, query, key, value, mask, self._score_scale), None
        query = query * jnp.asarray(self._score_scale, query.dtype)
        scores = jnp.einsum(self._dot_product_equation, key, query)
        attention_mask = self._expand_mask(attention_mask, scores.ndim)
        probs = masked_softmax(scores, attention_mask, self._norm_axes, zero_masked=not fused)
        weights = probs
        if training and self._dropout > 0.0:
            weights = lx_random.dropout(probs, self._dropout, seed=self.seed_generator)
        output = jnp.einsum(self._combine_equation, weights, value)
        return output, probs


__all__ = ["MultiHeadAttention"]
