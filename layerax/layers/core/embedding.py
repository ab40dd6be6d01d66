"""Embedding: integer indices to dense vectors."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from layerax import constraints, initializers, regularizers
from layerax.core.index_checks import check_indices
from layerax.core.layer import Layer


def _positive_int(value: Any, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(
            f"`{name}` must be a positive integer. Received: {name}={value!r} "
            f"(of type {type(value).__name__})."
        )
    return value


class Embedding(Layer):
    """Turns non-negative integer indices into dense vectors: `embeddings[inputs]`.

    Args:
        input_dim: Size of the vocabulary (largest index + 1).
        output_dim: Size of each embedding vector.
        embeddings_initializer: Initializer of the `embeddings` matrix (`"uniform"`).
        embeddings_regularizer: Regularizer of the `embeddings` matrix.
        embeddings_constraint: Constraint of the `embeddings` matrix.
        mask_zero: Whether index 0 is padding: the layer then produces the mask
            `inputs != 0` (`compute_mask`) and `input_dim` should be the vocabulary size + 1.
        weights: Optional initial `(input_dim, output_dim)` matrix (or a list holding it).
        lora_rank: If set, enables LoRA with this rank at build (see `enable_lora`).
        lora_alpha: LoRA scale numerator (delta scaled by `lora_alpha / lora_rank`).
        quantization_config: Accepted for Keras config compatibility; must be None.

    Input shape:
        An integer tensor of any shape `(batch, ...)`; floats are cast to int32.

    Output shape:
        `(batch, ..., output_dim)`.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> layer = lx.layers.Embedding(10, 3, mask_zero=True)
        >>> x = jnp.array([[1, 2, 0]])
        >>> layer(x).shape
        (1, 3, 3)
        >>> layer.compute_mask(x).tolist()
        [[True, True, False]]
    """

    def __init__(
        self,
        input_dim: int,
        output_dim: int,
        embeddings_initializer: Any = "uniform",
        embeddings_regularizer: Any = None,
        embeddings_constraint: Any = None,
        mask_zero: bool = False,
        weights: Any = None,
        lora_rank: int | None = None,
        lora_alpha: float | None = None,
        quantization_config: Any = None,
        **kwargs: Any,
    ) -> None:
        _positive_int(input_dim, "input_dim")
        _positive_int(output_dim, "output_dim")
        # Keras deprecated `input_length`; it has no effect.
        kwargs.pop("input_length", None)
        super().__init__(**kwargs)
        if quantization_config is not None:
            raise ValueError(
                f"Layer '{self.name}': quantization is not supported by layerax. "
                f"Received: quantization_config={quantization_config!r}"
            )
        self.input_dim = input_dim
        self.output_dim = output_dim
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = bool(mask_zero)
        self.supports_masking = self.mask_zero
        self.autocast = False
        self.lora_rank = lora_rank
        self.lora_alpha = lora_alpha if lora_alpha is not None else lora_rank
        self.lora_enabled = False
        if weights is not None:
            self.build()
            if not (isinstance(weights, list) and len(weights) == 1):
                weights = [weights]
            self.set_weights(weights)

    def build(self, input_shape: Any = None) -> None:
        if self.built:
            return
        self._embeddings = self.add_weight(
            name="embeddings",
            shape=(self.input_dim, self.output_dim),
            initializer=self.embeddings_initializer,
            regularizer=self.embeddings_regularizer,
            constraint=self.embeddings_constraint,
        )
        self.built = True
        if self.lora_rank:
            self.enable_lora(self.lora_rank, lora_alpha=self.lora_alpha)

    @property
    def embeddings(self) -> Any:
        """The embedding matrix (with the LoRA delta added when LoRA is enabled)."""
        if not self.built:
            raise AttributeError(
                f"Layer '{self.name}' is not built yet: call it on data before reading "
                "`embeddings`."
            )
        if self.lora_enabled:
            delta = jnp.matmul(self.lora_embeddings_a.value, self.lora_embeddings_b.value)
            return self._embeddings.value + (self.lora_alpha / self.lora_rank) * delta
        return self._embeddings.value

    def enable_lora(
        self,
        rank: int,
        lora_alpha: float | None = None,
        a_initializer: Any = "he_uniform",
        b_initializer: Any = "zeros",
    ) -> None:
        """Freezes `embeddings` and learns a low-rank delta `lora_embeddings_a @ lora_embeddings_b`.

        Raises:
            ValueError: when the layer is not built, LoRA is already enabled, or the
                embeddings have a constraint.
        """
        if self.embeddings_constraint:
            raise ValueError(
                f"Layer '{self.name}': LoRA is incompatible with embedding constraints. Remove "
                "the `embeddings_constraint` argument to enable LoRA."
            )
        if not self.built:
            raise ValueError(f"Cannot enable LoRA on layer '{self.name}': it isn't built yet.")
        if self.lora_enabled:
            raise ValueError(
                f"LoRA is already enabled on layer '{self.name}'; it can be enabled only once."
            )
        self.lora_embeddings_a = self.add_weight(
            name="lora_embeddings_a",
            shape=(self.input_dim, rank),
            initializer=initializers.get(a_initializer),
            regularizer=self.embeddings_regularizer,
        )
        self.lora_embeddings_b = self.add_weight(
            name="lora_embeddings_b",
            shape=(rank, self.output_dim),
            initializer=initializers.get(b_initializer),
            regularizer=self.embeddings_regularizer,
        )
        self._embeddings.trainable = False
        self.lora_enabled = True
        self.lora_rank = rank
        self.lora_alpha = lora_alpha if lora_alpha is not None else rank

    def call(self, inputs: Any) -> jax.Array:
        inputs = jnp.asarray(inputs)
        if inputs.dtype not in (jnp.int32, jnp.int64):
            if not (jnp.issubdtype(inputs.dtype, jnp.integer)
                    or jnp.issubdtype(inputs.dtype, jnp.floating)
                    or inputs.dtype == jnp.bool_):
                raise TypeError(
                    f"Input 0 of layer '{self.name}' must hold integer indices; received dtype "
                    f"{inputs.dtype}. Cast the input to int32."
                )
            inputs = inputs.astype(jnp.int32)
        check_indices(
            inputs, self.input_dim, f"layer '{self.name}' (Embedding)", "id",
            f"Ids must be in [0, input_dim={self.input_dim}); raise input_dim or fix the ids.",
        )
        outputs = jnp.take(self.embeddings, inputs, axis=0)
        return outputs.astype(self.compute_dtype)

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        if not self.mask_zero:
            return None
        return jnp.not_equal(inputs, 0)

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        return (*tuple(input_shape), self.output_dim)

    def get_config(self) -> dict[str, Any]:
        config = {
            **super().get_config(),
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
            "embeddings_regularizer": regularizers.serialize(self.embeddings_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "embeddings_constraint": constraints.serialize(self.embeddings_constraint),
            "mask_zero": self.mask_zero,
            "quantization_config": None,
        }
        if self.lora_rank:
            config["lora_rank"] = self.lora_rank
            config["lora_alpha"] = self.lora_alpha
        return config
