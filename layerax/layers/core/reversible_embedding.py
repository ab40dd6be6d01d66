"""`ReversibleEmbedding`: an embedding that can also project vectors back to vocabulary logits."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from layerax.layers.core.embedding import Embedding


class ReversibleEmbedding(Embedding):
    """An `Embedding` whose `call(x, reverse=True)` maps hidden vectors to logits.

    Forward (`reverse=False`), indices become vectors as in `Embedding`. In
    reverse, `(..., output_dim)` inputs are multiplied by the transposed
    embedding matrix (`tie_weights=True`) or by a separate
    `reverse_embeddings` matrix of shape `(output_dim, input_dim)`, giving
    `(..., input_dim)` logits, as in a language model's output head.

    Args:
        input_dim: Size of the vocabulary.
        output_dim: Size of each embedding vector.
        tie_weights: Reuse the embedding matrix for the reverse projection;
            when False a `reverse_embeddings` weight is created.
        embeddings_initializer: Initializer of both matrices.
        embeddings_regularizer: Regularizer of the embedding matrix.
        embeddings_constraint: Constraint of the embedding matrix.
        mask_zero: Whether index 0 is padding (forward call only).
        reverse_dtype: Dtype the reverse matmul is computed in (e.g.
            `"float32"` under mixed precision); None keeps the inputs' dtype.
        logit_soft_cap: If set, reverse logits become
            `tanh(logits / logit_soft_cap) * logit_soft_cap`.

    Call arguments:
        inputs: Integer indices (forward) or `(..., output_dim)` vectors
            (reverse).
        reverse: Whether to project vectors back to logits.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> layer = lx.layers.ReversibleEmbedding(10, 4)
        >>> hidden = layer(jnp.array([[1, 2, 3]]))
        >>> hidden.shape, layer(hidden, reverse=True).shape
        ((1, 3, 4), (1, 3, 10))
    """

    def __init__(
        self,
        input_dim: int,
        output_dim: int,
        tie_weights: bool = True,
        embeddings_initializer: Any = "uniform",
        embeddings_regularizer: Any = None,
        embeddings_constraint: Any = None,
        mask_zero: bool = False,
        reverse_dtype: Any = None,
        logit_soft_cap: float | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            input_dim,
            output_dim,
            embeddings_initializer=embeddings_initializer,
            embeddings_regularizer=embeddings_regularizer,
            embeddings_constraint=embeddings_constraint,
            mask_zero=mask_zero,
            **kwargs,
        )
        if logit_soft_cap is not None and not logit_soft_cap > 0:
            raise ValueError(
                f"ReversibleEmbedding layer '{self.name}': `logit_soft_cap` must be a positive "
                f"number or None. Received: logit_soft_cap={logit_soft_cap!r}"
            )
        self.tie_weights = bool(tie_weights)
        self.reverse_dtype = reverse_dtype
        self.logit_soft_cap = logit_soft_cap

    def build(self, input_shape: Any = None) -> None:
        if self.built:
            return
        super().build(input_shape)
        if not self.tie_weights:
            self.reverse_embeddings = self.add_weight(
                name="reverse_embeddings",
                shape=(self.output_dim, self.input_dim),
                initializer=self.embeddings_initializer,
            )

    def call(self, inputs: Any, reverse: bool = False) -> jax.Array:
        if not reverse:
            return super().call(inputs)
        inputs = jnp.asarray(inputs)
        if inputs.ndim < 1 or inputs.shape[-1] != self.output_dim:
            raise ValueError(
                f"ReversibleEmbedding layer '{self.name}': with reverse=True the inputs' last "
                f"axis must be output_dim={self.output_dim}. Received input shape "
                f"{tuple(inputs.shape)}."
            )
        kernel = (
            jnp.transpose(self.embeddings) if self.tie_weights else self.reverse_embeddings.value
        )
        if self.reverse_dtype is not None:
            inputs = inputs.astype(self.reverse_dtype)
            kernel = kernel.astype(self.reverse_dtype)
        else:
            kernel = kernel.astype(inputs.dtype)
        logits = jnp.matmul(inputs, kernel)
        if self.logit_soft_cap is not None:
            logits = jnp.tanh(logits / self.logit_soft_cap) * self.logit_soft_cap
        return logits

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        # A reverse call's float inputs have no padding index: only index inputs get a mask.
        if not jnp.issubdtype(jnp.asarray(inputs).dtype, jnp.integer):
            return None
        return super().compute_mask(inputs, previous_mask)

    def compute_output_shape(self, input_shape: Any, reverse: bool = False) -> tuple[Any, ...]:
        if reverse:
            return (*tuple(input_shape)[:-1], self.input_dim)
        return (*tuple(input_shape), self.output_dim)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "tie_weights": self.tie_weights,
            "reverse_dtype": self.reverse_dtype,
            "logit_soft_cap": self.logit_soft_cap,
        }


__all__ = ["ReversibleEmbedding"]
