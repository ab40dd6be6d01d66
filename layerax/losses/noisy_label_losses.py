"""Losses robust to noisy labels: generalized cross-entropy."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from layerax.core import registry
from layerax.losses.base import _ConfiguredWrapper, to_array


@registry.register("losses")
def categorical_generalized_cross_entropy(y_true: Any, y_pred: Any, q: float) -> jax.Array:
    """Generalized cross-entropy `(1 - p**q) / q`, `p` the probability of the true class.

    As `q` goes to 0 it tends to the cross-entropy, at `q = 1` it is the mean
    absolute error (Zhang & Sabuncu, 2018).

    Args:
        y_true: Integer class indices `(batch_size,)` (or `(batch_size, 1)`).
        y_pred: Class probabilities `(batch_size, num_classes)`.
        q: The noise parameter, in `(0, 1)`.

    Returns:
        The loss of each sample, `(batch_size,)`.

    Example:
        >>> import layerax as lx, numpy as np
        >>> loss = lx.losses.categorical_generalized_cross_entropy(
        ...     np.array([1, 0]), np.array([[0.75, 0.25], [0.25, 0.75]]), q=0.5)
        >>> loss.tolist()
        [1.0, 1.0]
    """
    y_pred = to_array(y_pred)
    y_true = to_array(y_true)
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = jnp.squeeze(y_true, -1)
    one_hot = jax.nn.one_hot(y_true.astype("int32"), y_pred.shape[-1], dtype=y_pred.dtype)
    p = jnp.sum(y_pred * one_hot, axis=-1)
    return (1 - jnp.power(p, q)) / q


@registry.register("losses")
class CategoricalGeneralizedCrossEntropy(_ConfiguredWrapper):
    """Generalized cross-entropy between integer labels and class probabilities.

    Args:
        q: The noise parameter, in `(0, 1)`: near 0 the loss behaves like the
            cross-entropy, near 1 like the mean absolute error.
        reduction: See `lx.losses.Loss`.
        name: Loss name.
        dtype: Computation dtype.

    Example:
        >>> import layerax as lx, numpy as np
        >>> loss = lx.losses.CategoricalGeneralizedCrossEntropy(q=0.5)
        >>> float(loss(np.array([1, 0]), np.array([[0.75, 0.25], [0.25, 0.75]])))
        1.0
    """

    _config_keys = ("q",)

    def __init__(self, q: float = 0.5, reduction: Any = "sum_over_batch_size",
                 name: str = "categorical_generalized_cross_entropy", dtype: Any = None) -> None:
        if not 0 < q < 1:
            raise ValueError(
                "CategoricalGeneralizedCrossEntropy: `q` must lie strictly between 0 and 1 "
                f"(near 0: like cross-entropy, near 1: like mean absolute error). Received: q={q!r}"
            )
        super().__init__(categorical_generalized_cross_entropy, reduction=reduction, name=name,
                         dtype=dtype, q=q)
        self.q = q


__all__ = ["CategoricalGeneralizedCrossEntropy", "categorical_generalized_cross_entropy"]
