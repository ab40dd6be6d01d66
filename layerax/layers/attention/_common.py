"""Pieces shared by the attention layers: einsum projections, masks, the masked softmax, and
`ProjectedAttention`, the base of `MultiHeadAttention` and `GroupedQueryAttention`."""

from __future__ import annotations

import string
from typing import Any

import jax
import jax.numpy as jnp

from layerax import activations, constraints, initializers, regularizers
from layerax import random as lx_random
from layerax.core.flags import get_flag
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
    """`count` consecutive lowercase letters from the `start`-th: einsum axis names."""
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


def check_positive_ints(**values: Any) -> None:
    """Raises a ValueError naming the first argument that is not a positive int."""
    for arg, value in values.items():
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise ValueError(
                f"Received an invalid value for argument `{arg}`, expected a positive "
                f"integer. Received: {arg}={value!r}"
            )


# The projections' config entries, in Keras' order, and the family that serializes each.
_PROJECTION_ARGS = (
    ("kernel_initializer", initializers),
    ("bias_initializer", initializers),
    ("kernel_regularizer", regularizers),
    ("bias_regularizer", regularizers),
    ("activity_regularizer", regularizers),
    ("kernel_constraint", constraints),
    ("bias_constraint", constraints),
)


def config_property(name: str, doc: str) -> property:
    """A read-only property returning `self._<name>`: every config entry is stored that way."""
    return property(lambda self: getattr(self, f"_{name}"), doc=doc)


class ProjectedAttention(Layer):
    """Base of the attention layers that project query, key and value into heads.

    `MultiHeadAttention` and `GroupedQueryAttention` share through it their
    common arguments (checked and stored here), the call prologue (inputs,
    masks, gate) and epilogue (gate, output projection), `compute_output_shape`,
    `compute_mask` and `get_config`. Every configuration entry `x` lives in
    `self._x`, readable through a property `x` where Keras has a public name.

    A subclass lists its own config entries in `_CONFIG_KEYS` (Keras' order;
    the projections' arguments and `seed` follow), builds `_query_dense`,
    `_key_dense`, `_value_dense`, `_output_dense` (and `_gate_dense` with
    `use_gate`) through `_projection`, and implements `_project`,
    `_compute_attention` and `_output_features`.

    Args:
        dropout: Dropout rate on the attention probabilities (training only).
        use_bias: Whether the projections have biases.
        sliding_window: If set, position `i` only attends to `|i - j| < sliding_window`.
        flash_attention: None follows `lx.config.enable/disable_flash_attention()`.
        kernel_initializer: Initializer of the projection kernels.
        bias_initializer: Initializer of the projection biases.
        kernel_regularizer: Regularizer of the projection kernels.
        bias_regularizer: Regularizer of the projection biases.
        activity_regularizer: Regularizer of the projections' outputs (not of
            this layer's own output).
        kernel_constraint: Constraint of the projection kernels.
        bias_constraint: Constraint of the projection biases.
        use_gate: Multiply the attention output by a sigmoid gate computed from the query.
        seed: Seed of the dropout.
        **kwargs: Base `Layer` arguments (`name`, `dtype`, ...).

    Example:
        >>> import layerax as lx
        >>> from layerax.layers.attention._common import ProjectedAttention
        >>> issubclass(lx.layers.GroupedQueryAttention, ProjectedAttention)
        True
        >>> lx.layers.MultiHeadAttention(2, 4, dropout=0.1).dropout
        0.1
    """

    _CONFIG_KEYS: tuple[str, ...] = ()

    def __init__(
        self,
        *,
        dropout: float,
        use_bias: bool,
        sliding_window: int | None,
        flash_attention: bool | None,
        kernel_initializer: Any,
        bias_initializer: Any,
        kernel_regularizer: Any,
        bias_regularizer: Any,
        activity_regularizer: Any,
        kernel_constraint: Any,
        bias_constraint: Any,
        use_gate: bool,
        seed: int | None,
        **kwargs: Any,
    ) -> None:
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
        # `activity_regularizer` goes to the projections, not to this layer's own output.
        super().__init__(**kwargs)
        self.supports_masking = True
        self._dropout = float(dropout)
        self._use_bias = use_bias
        self._use_gate = use_gate
        self._sliding_window = sliding_window
        # As Keras: None follows `lx.config.enable/disable_flash_attention()`.
        self._flash_attention = flash_attention or get_flag("flash_attention")
        self._kernel_initializer = initializers.get(kernel_initializer)
        self._bias_initializer = initializers.get(bias_initializer)
        self._kernel_regularizer = regularizers.get(kernel_regularizer)
        self._bias_regularizer = regularizers.get(bias_regularizer)
        self._activity_regularizer = regularizers.get(activity_regularizer)
        self._kernel_constraint = constraints.get(kernel_constraint)
        self._bias_constraint = constraints.get(bias_constraint)
        self.seed = seed
        self.seed_generator = lx_random.SeedGenerator(seed) if self._dropout > 0 else None

    dropout = config_property("dropout", "Dropout rate on the attention probabilities.")
    use_bias = config_property("use_bias", "Whether the projections have biases.")
    use_gate = config_property("use_gate", "Whether a sigmoid gate multiplies the attention output.")
    sliding_window = config_property(
        "sliding_window", "The attended band's half width, or None for no band."
    )
    kernel_initializer = config_property("kernel_initializer", "Initializer of the projection kernels.")
    bias_initializer = config_property("bias_initializer", "Initializer of the projection biases.")
    kernel_regularizer = config_property("kernel_regularizer", "Regularizer of the projection kernels.")
    bias_regularizer = config_property("bias_regularizer", "Regularizer of the projection biases.")
    kernel_constraint = config_property("kernel_constraint", "Constraint of the projection kernels.")
    bias_constraint = config_property("bias_constraint", "Constraint of the projection biases.")

    # ------------------------------------------------------------- build
    def _projection(
        self, name: str, equation: str, kernel_shape: Any, bias_shape: Any, **extra: Any
    ) -> EinsumProjection:
        """A sub-layer projection sharing this layer's weight arguments and dtype policy."""
        return EinsumProjection(
            equation,
            kernel_shape=kernel_shape,
            bias_shape=bias_shape if self._use_bias else None,
            name=name,
            **extra,
            # Cloned initializers: projections seeded alike still draw their own values.
            kernel_initializer=clone_initializer(self._kernel_initializer),
            bias_initializer=clone_initializer(self._bias_initializer),
            kernel_regularizer=self._kernel_regularizer,
            bias_regularizer=self._bias_regularizer,
            activity_regularizer=self._activity_regularizer,
            kernel_constraint=self._kernel_constraint,
            bias_constraint=self._bias_constraint,
            dtype=self.dtype_policy,
        )

    def _check_value_key_shapes(self, value_shape: tuple[Any, ...], key_shape: tuple[Any, ...]) -> None:
        if value_shape[1:-1] != key_shape[1:-1]:
            raise ValueError(
                f"Layer '{self.name}': all dimensions of `value` and `key`, except the last one, "
                f"must be equal. Received: value_shape={value_shape} and key_shape={key_shape}"
            )

    def _output_features(self, query_shape: tuple[Any, ...]) -> tuple[Any, ...]:
        """Trailing shape of the output (the query's last dimension unless configured)."""
        raise NotImplementedError

    # -------------------------------------------------------------- call
    def _check_call_shapes(self, query: jax.Array, value: jax.Array, key: jax.Array) -> None:
        """Checks the call's inputs against the built layer (nothing by default)."""

    def _project(
        self, query: jax.Array, key: jax.Array, value: jax.Array
    ) -> tuple[jax.Array, jax.Array, jax.Array]:
        """The projected query, key and value heads."""
        raise NotImplementedError

    def _compute_attention(
        self,
        query: jax.Array,
        key: jax.Array,
        value: jax.Array,
        attention_mask: jax.Array | None,
        training: Any,
        return_attention_scores: bool,
    ) -> tuple[jax.Array, jax.Array | None]:
        """The attended heads and the attention probabilities (None from the fused kernel)."""
        raise NotImplementedError

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
        self._check_call_shapes(query, value, key)
        mask = combine_masks(
            query.shape[1],
            value.shape[1],
            query_mask=query_mask,
            value_mask=value_mask,
            key_mask=key_mask,
            attention_mask=attention_mask,
            use_causal_mask=use_causal_mask,
            sliding_window=self._sliding_window,
        )
        gate = self._gate_dense(query) if self._use_gate else None
        q, k, v = self._project(query, key, value)
        output, scores = self._compute_attention(q, k, v, mask, training, return_attention_scores)
        if gate is not None:
            output = output * gate
        output = self._output_dense(output)
        if return_attention_scores:
            return output, scores
        return output

    # ------------------------------------------------------------ shapes
    def compute_output_shape(self, query_shape: Any, value_shape: Any, key_shape: Any = None) -> Any:
        query_shape = tuple(query_shape)
        value_shape = tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        self._check_value_key_shapes(value_shape, key_shape)
        return query_shape[:-1] + self._output_features(query_shape)

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        if isinstance(previous_mask, (list, tuple)):
            return previous_mask[0] if previous_mask else None
        return previous_mask

    # ------------------------------------------------------------ config
    def get_config(self) -> dict[str, Any]:
        config = {**super().get_config()}
        config.update({key: getattr(self, f"_{key}") for key in self._CONFIG_KEYS})
        for arg, family in _PROJECTION_ARGS:
            config[arg] = family.serialize(getattr(self, f"_{arg}"))
        config["seed"] = self.seed
        return config


__all__ = [
    "EinsumProjection",
    "ProjectedAttention",
    "causal_mask",
    "check_positive_ints",
    "combine_masks",
    "config_property",
    "masked_softmax",
]
