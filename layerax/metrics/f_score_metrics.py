"""F-scores: `FBetaScore` and `F1Score` over multi-class or multi-label predictions."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from layerax import config as _config
from layerax.core import registry
from layerax.losses.base import to_array
from layerax.metrics.base import Metric


@registry.register("metrics", "f_beta_score")
class FBetaScore(Metric):
    """F-beta score: `(1 + beta**2) * precision * recall / (beta**2 * precision + recall)`.

    Args:
        average: `None` (one score per class), `"micro"` (global counts),
            `"macro"` (unweighted mean of the class scores) or `"weighted"`
            (mean weighted by each class's number of true labels).
        beta: Weight of recall relative to precision (a float > 0).
        threshold: Predictions above it count as positive; `None` marks the
            highest-scored class of each sample positive.
        name: Metric name.
        dtype: Computation dtype.

    Inputs are 2D: `(batch_size, num_classes)` for both labels and scores.

    Example:
        >>> import layerax as lx
        >>> m = lx.metrics.FBetaScore(beta=2.0, threshold=0.5, average="micro")
        >>> m.update_state([[1, 1, 0], [1, 0, 0]], [[0.9, 0.2, 0.7], [0.8, 0.1, 0.2]])
        >>> round(float(m.result()), 4)
        0.6667
    """

    def __init__(
        self,
        average: str | None = None,
        beta: float = 1.0,
        threshold: float | None = None,
        name: str = "fbeta_score",
        dtype: Any = None,
    ) -> None:
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        if average not in (None, "micro", "macro", "weighted"):
            raise ValueError(
                "Invalid `average` argument value. Expected one of: {None, 'micro', 'macro', "
                f"'weighted'}}. Received: average={average!r}"
            )
        if not isinstance(beta, float):
            raise ValueError(
                f"Invalid `beta` argument value. It should be a Python float. Received: beta={beta!r} "
                f"of type '{type(beta)}'"
            )
        if beta <= 0.0:
            raise ValueError(f"Invalid `beta` argument value. It should be > 0. Received: beta={beta}")
        if threshold is not None:
            if not isinstance(threshold, float):
                raise ValueError(
                    "Invalid `threshold` argument value. It should be a Python float. Received: "
                    f"threshold={threshold!r} of type '{type(threshold)}'"
                )
            if threshold > 1.0 or threshold <= 0.0:
                raise ValueError(
                    "Invalid `threshold` argument value. It should verify 0 < threshold <= 1. "
                    f"Received: threshold={threshold}"
                )
        self.average = average
        self.beta = beta
        self.threshold = threshold
        self.axis = None if average == "micro" else 0
        self._built = False

    def _build(self, y_true_shape: tuple[int, ...], y_pred_shape: tuple[int, ...]) -> None:
        if len(y_pred_shape) != 2 or len(y_true_shape) != 2:
            raise ValueError(
                f"{type(self).__name__} expects 2D inputs with shape (batch_size, output_dim). "
                f"Received input shapes: y_pred.shape={tuple(y_pred_shape)} and "
                f"y_true.shape={tuple(y_true_shape)}."
            )
        shape = () if self.average == "micro" else (y_pred_shape[-1],)
        self.true_positives = self.add_variable(shape, "zeros", dtype=self.dtype, name="true_positives")
        self.false_positives = self.add_variable(shape, "zeros", dtype=self.dtype, name="false_positives")
        self.false_negatives = self.add_variable(shape, "zeros", dtype=self.dtype, name="false_negatives")
        self.intermediate_weights = self.add_variable(
            shape, "zeros", dtype=self.dtype, name="intermediate_weights"
        )
        self._built = True

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        y_true = to_array(y_true, self.dtype)
        y_pred = to_array(y_pred, self.dtype)
        if not self._built:
            self._build(y_true.shape, y_pred.shape)
        if self.threshold is None:
            top = jnp.max(y_pred, axis=-1, keepdims=True)
            # An all-zero row must not turn into all positives.
            y_pred = (y_pred >= top) & (jnp.abs(y_pred) > 1e-9)
        else:
            y_pred = y_pred > self.threshold
        y_pred = y_pred.astype(self.dtype)
        if sample_weight is not None:
            sample_weight = to_array(sample_weight, self.dtype)

        def weighted_sum(values: jax.Array) -> jax.Array:
            if sample_weight is not None:
                values = values * jnp.expand_dims(sample_weight, 1)
            return jnp.sum(values, axis=self.axis)

        self.true_positives.assign(self.true_positives.value + weighted_sum(y_pred * y_true))
        self.false_positives.assign(self.false_positives.value + weighted_sum(y_pred * (1 - y_true)))
        self.false_negatives.assign(self.false_negatives.value + weighted_sum((1 - y_pred) * y_true))
        self.intermediate_weights.assign(self.intermediate_weights.value + weighted_sum(y_true))

    def result(self) -> jax.Array:
        if not self._built:
            raise ValueError(
                f"{type(self).__name__} '{self.name}' has no state yet: call `update_state` with a "
                "batch first (the number of classes comes from it)."
            )
        eps = _config.epsilon()
        tp, fp, fn = self.true_positives.value, self.false_positives.value, self.false_negatives.value
        precision = tp / (tp + fp + eps)
        recall = tp / (tp + fn + eps)
        beta2 = self.beta**2
        score = (precision * recall) / (beta2 * precision + recall + eps) * (1 + beta2)
        if self.average == "weighted":
            w = self.intermediate_weights.value
            return jnp.sum(score * (w / (jnp.sum(w) + eps)))
        if self.average is not None:
            return jnp.mean(score)
        return score

    def reset_state(self) -> None:
        if self._built:
            super().reset_state()

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "average": self.average,
            "beta": self.beta,
            "threshold": self.threshold,
        }


@registry.register("metrics", "f1_score")
class F1Score(FBetaScore):
    """F1 score: the harmonic mean of precision and recall (`FBetaScore` with beta 1).

    Args:
        average: `None`, `"micro"`, `"macro"` or `"weighted"` (see `FBetaScore`).
        threshold: Predictions above it count as positive; `None` marks the
            highest-scored class positive.

    Example:
        >>> import layerax as lx
        >>> m = lx.metrics.F1Score(threshold=0.5)
        >>> m.update_state([[1, 1, 0], [1, 0, 0]], [[0.9, 0.2, 0.7], [0.8, 0.1, 0.2]])
        >>> [round(v, 4) for v in m.result().tolist()]
        [1.0, 0.0, 0.0]
    """

    def __init__(
        self, average: str | None = None, threshold: float | None = None, name: str = "f1_score", dtype: Any = None
    ) -> None:
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["beta"]
        return config


__all__ = ["F1Score", "FBetaScore"]
