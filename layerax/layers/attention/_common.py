"""Pieces shared by the attention layers: einsum projections, masks and the masked softmax."""

from __future__ import annotations

import string
from typing import Any

import jax
import jax.numpy as jnp

from layerax import activations, constraints, initializers, regularizers
from layerax.core.layer import Layer


def large_negative(dtype: Any) -> float:
    """The additive value that removes a masked score from a softmax (fits float16 too)."""
    return -3e4 if jnp.dtype(dtype) == jnp.float16 else -1e9


def masked_softmax(
    scores: jax.Array, mask: jax.Array | None, axes: tuple[int, ...], zero_masked: bool
) -> jax.Array:
    """Softmax of `scores` over `axes` ignoring positions where `mask` is False.

    A row whose every position is masked becomes uniform, or zeros with
    `zero_masked=True` (Keras' `Softmax` layer); Keras' fused attention
    (`dot_product_attention`) gives the uniform row, its einsum path the zeros.
    """
    if mask is not None:
        scores = jnp.where(mask, scores, large_negative(scores.dtype))
    if len(axes) == 1:
        probs = jax.nn.softmax(scores, axis=axes[0])
    else:
        probs = jnp.exp(scores - jax.scipy.special.logsumexp(scores, axis=axes, keepdims=True))
    if mask is not None and zero_masked:
        probs = jnp.where(mask, probs, 0.0)
    return probs


def causal_mask(query_length: int, value_length: int) -> jax.Array:
    """`(1, T, S)` lower-triangular mask: query `i` sees positions `j <= i`."""
    rows = jnp.arange(query_length)[:, None]
    cols = jnp.arange(value_length)[None, :]
    return (rows >= cols)[None]


def sliding_window_mask(query_length: int, value_length: int, window: int) -> jax.Array:
    """`(1, T, S)` band mask: `|i - j| < window`."""
    rows = jnp.arange(query_length)[:, None]
    cols = jnp.arange(value_length)[None, :]
    return (jnp.abs(rows - cols) < window)[None]


def combine_masks(
    query_length: int,
    value_length: int,
    *,
    query_mask: Any = None,
    value_mask: Any = None,
    key_mask: Any = None,
    attention_mask: Any = None,
    use_causal_mask: bool = False,
    sliding_window: int | None = None,
) -> jax.Array | None:
    """The `(B, T, S)` boolean attention mask implied by the inputs' masks (Keras' rules).

    The query mask becomes `[B, T, 1]`, the value and key masks `[B, 1, S]`,
    the causal and sliding-window masks `[1, T, S]`; all are AND-ed with
    `attention_mask`.
    """
    auto = None

    def add(mask: jax.Array) -> None:
        nonlocal auto
        auto = mask if auto is None else jnp.logical_and(auto, mask)

    if query_mask is not None:
        add(jnp.asarray(query_mask).astype(bool)[..., :, None])
    if value_mask is not None:
        add(jnp.asarray(value_mask).astype(bool)[..., None, :])
    if key_mask is not None:
        add(jnp.asarray(key_mask).astype(bool)[..., None, :])
    if use_causal_mask:
        add(causal_mask(query_length, value_length))
    if sliding_window is not None:
        add(sliding_window_mask(query_length, value_length, sliding_window))
    if attention_mask is not None:
        attention_mask = jnp.asarray(attention_mask).astype(bool)
        return attention_mask if auto is None else jnp.logical_and(attention_mask, auto)
    return auto


def letters(start: int, count: int) -> str:
    return string.ascii_lowercase[start : start + count]


class EinsumProjection(Layer):
    """Internal projection `activation(einsum(equation, inputs, kernel) + bias)`.

    Its weights are named `kernel` and `bias` with the shapes Keras'
    `EinsumDense` gives them inside the attention layers, so that weights
    copied from Keras line up.

    Args:
        equation: Einsum equation `"<input>,<kernel>-><output>"`.
        kernel_shape: Shape of `kernel`.
        bias_shape: Shape of `bias` (trailing output axes), or None for no bias.
        activation: Activation applied to the result.
        kernel_initializer: Initializer of `kernel`.
        bias_initializer: Initializer of `bias`.
        kernel_regularizer: Regularizer of `kernel`.
        bias_regularizer: Regularizer of `bias`.
        kernel_constraint: Constraint of `kernel`.
        bias_constraint: Constraint of `bias`.

    Example:
        >>> import jax.numpy as jnp
        >>> from layerax.layers.attention._common import EinsumProjection
        >>> proj = EinsumProjection("abc,cde->abde", (4, 2, 3), (2, 3), name="query")
        >>> proj(jnp.ones((1, 5, 4))).shape, [w.path for w in proj.weights]
        ((1, 5, 2, 3), ['query/kernel', 'query/bias'])
    """

    def __init__(
        self,
        equation: str,
        kernel_shape: Any,
        bias_shape: Any = None,
        activation: Any = None,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.equation = equation
        self.kernel_shape = tuple(int(d) for d in kernel_shape)
        self.bias_shape = None if bias_shape is None else tuple(int(d) for d in bias_shape)
        self.activation = activations.get(activation)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)

    def build(self, input_shape: Any = None) -> None:
        self.kernel = self.add_weight(
            name="kernel",
            shape=self.kernel_shape,
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        if self.bias_shape is not None:
            self.bias = self.add_weight(
                name="bias",
                shape=self.bias_shape,
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        else:
            self.bias = None

    def call(self, inputs: Any) -> jax.Array:
        out = jnp.einsum(self.equation, inputs, self.kernel.value)
        if self.bias is not None:
            out = out + self.bias.value
        return self.activation(out)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "equation": self.equation,
            "kernel_shape": self.kernel_shape,
            "bias_shape": self.bias_shape,
            "activation": activations.serialize(self.activation),
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        }


def clone_initializer(initializer: Any) -> Any:
    """A fresh copy (so that sub-layers seeded alike still draw their own values)."""
    clone = getattr(initializer, "clone", None)
    return clone() if clone is not None else initializer

__all__ = ["EinsumProjection", "causal_mask", "combine_masks", "masked_softmax"]


def flash_attention(layer: Layer, query: jax.Array, key: jax.Array, value: jax.Array,
                    mask: jax.Array | None, scale: float) -> jax.Array:
    """Attention through the fused (cuDNN flash) kernel, for a layer made with `flash_attention=True`.

    `query`/`key`/`value` are the projected `(batch, length, heads, head_dim)`
    tensors and `mask` broadcasts to `(batch, heads, q_length, kv_length)`.
    The kernel exists only on NVIDIA GPUs; elsewhere this raises a ValueError
    that names the layer, as Keras does (its JAX backend raises there too).
    """
    platform = jax.devices()[0].platform
    if platform != "gpu":
        raise ValueError(
            f"Layer '{layer.name}': flash_attention=True needs the cuDNN fused attention kernel, "
            f"which runs only on an NVIDIA GPU; this process runs on '{platform}'. Pass "
            "flash_attention=None (use it where supported) or False."
        )
    from layerax.ops.nn import dot_product_attention

    return dot_product_attention(query, key, value, mask=mask, scale=scale, flash_attention=True)
