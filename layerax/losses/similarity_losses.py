"""Metric-learning losses on embeddings: Circle loss."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
from jax.scipy.special import logsumexp

from layerax.core import registry
from layerax.losses.base import _ConfiguredWrapper, to_array


def _pair_masks(
    labels: jax.Array, ref_labels: jax.Array, remove_diagonal: bool
) -> tuple[jax.Array, jax.Array]:
    """Same-label (positive) and different-label (negative) pairs, `(n_queries, n_refs)`."""
    same = labels.reshape(-1, 1) == ref_labels.reshape(1, -1)
    positive = same
    if remove_diagonal:
        positive = same & ~jnp.eye(labels.size, ref_labels.size, dtype=bool)
    return positive, ~same


def _circle_with_mask(
    y_true: Any,
    y_pred: Any,
    ref_labels: Any = None,
    ref_embeddings: Any = None,
    remove_diagonal: bool = True,
    gamma: float = 80,
    margin: float = 0.4,
) -> tuple[jax.Array, jax.Array]:
    """Circle loss per query and the mask of queries with a non-zero loss."""
    y_pred = to_array(y_pred)
    labels = to_array(y_true).astype("int32")
    refs = y_pred if ref_embeddings is None else to_array(ref_embeddings)
    ref_labels = labels if ref_labels is None else to_array(ref_labels).astype("int32")
    if y_pred.ndim != 2 or refs.ndim != 2:
        raise ValueError(
            "circle: `y_pred` (and `ref_embeddings`) must be L2-normalised embeddings of shape "
            f"(batch_size, embedding_dim). Received: y_pred.shape={tuple(y_pred.shape)}, "
            f"ref_embeddings.shape={tuple(refs.shape)}"
        )
    distance = jnp.maximum(1 - y_pred @ refs.T, 0.0)
    positive, negative = _pair_masks(labels, ref_labels, remove_diagonal)
    # Each similarity is weighted by how far it is from its optimum (1 - margin for positives'
    # distance margin, 1 + margin for negatives'), as in Sun et al. (2020).
    pos_weight = jnp.maximum((margin + distance) * positive, 0.0)
    neg_weight = jnp.maximum((1 + margin - distance) * negative, 0.0)
    pos_logits = -gamma * pos_weight * (margin - distance)
    neg_logits = gamma * neg_weight * (1 - margin - distance)
    pos_term = logsumexp(jnp.where(positive, pos_logits, -jnp.inf), axis=1)
    neg_term = logsumexp(jnp.where(negative, neg_logits, -jnp.inf), axis=1)
    loss = jax.nn.softplus(pos_term + neg_term)
    return loss, loss > 0


@registry.register("losses")
def circle(
    y_true: Any,
    y_pred: Any,
    ref_labels: Any = None,
    ref_embeddings: Any = None,
    remove_diagonal: bool = True,
    gamma: float = 80,
    margin: float = 0.4,
) -> jax.Array:
    """Circle loss of each query embedding against the reference embeddings.

    Pairs with the same label are pulled together, pairs with different labels
    pushed apart, each similarity weighted by its distance from its optimum.

    Args:
        y_true: Integer labels `(batch_size,)`.
        y_pred: L2-normalised embeddings `(batch_size, embedding_dim)`.
        ref_labels: Labels of the reference embeddings (default: `y_true`).
        ref_embeddings: L2-normalised reference embeddings (default: `y_pred`).
        remove_diagonal: Whether a sample is not its own positive pair.
        gamma: Scale of the similarity logits.
        margin: Relaxation margin.

    Returns:
        The loss of each query, `(batch_size,)`. The class form `Circle`
        averages over the queries with a non-zero loss only, as Keras does.

    Example:
        >>> import layerax as lx, numpy as np
        >>> emb = np.array([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]])
        >>> [round(v, 4) for v in lx.losses.circle(np.array([0, 0, 1]), emb, gamma=2.0).tolist()]
        [2.1977, 2.7089, 0.0]
    """
    losses, _ = _circle_with_mask(
        y_true, y_pred, ref_labels, ref_embeddings, remove_diagonal, gamma, margin
    )
    return losses


circle._lx_with_mask = _circle_with_mask  # type: ignore[attr-defined]


@registry.register("losses")
class Circle(_ConfiguredWrapper):
    """Circle loss between integer labels and L2-normalised embeddings (Sun et al., 2020).

    The model should end with embeddings (no activation) followed by
    `lx.layers.UnitNormalization()`. The averaging reductions average over the
    samples with a non-zero loss, as in Keras (here the third sample has no
    positive pair, so the result is the mean of the first two losses).

    Args:
        gamma: Scale of the similarity logits.
        margin: Relaxation margin.
        remove_diagonal: Whether a sample is not its own positive pair.
        reduction: See `lx.losses.Loss`.
        name: Loss name.
        dtype: Computation dtype.

    Example:
        >>> import layerax as lx, numpy as np
        >>> emb = np.array([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]])
        >>> round(float(lx.losses.Circle(gamma=2.0)(np.array([0, 0, 1]), emb)), 4)
        2.4533
    """

    _config_keys = ("gamma", "margin", "remove_diagonal")

    def __init__(
        self,
        gamma: float = 80.0,
        margin: float = 0.4,
        remove_diagonal: bool = True,
        reduction: Any = "sum_over_batch_size",
        name: str = "circle",
        dtype: Any = None,
    ) -> None:
        super().__init__(circle, reduction=reduction, name=name, dtype=dtype, gamma=gamma,
                         margin=margin, remove_diagonal=remove_diagonal)
        self.gamma = gamma
        self.margin = margin
        self.remove_diagonal = remove_diagonal


__all__ = ["Circle", "circle"]
