"""Best value of one rate where another reaches a target: PrecisionAtRecall, RecallAtPrecision,
SensitivityAtSpecificity and SpecificityAtSensitivity.

Each keeps true/false positive/negative counts at `num_thresholds` evenly
spaced thresholds in `[0, 1]` (the bucketing update of `confusion_metrics`)
and, in `result`, takes the largest value of the reported rate over the
thresholds whose constrained rate is at least the target (0 when none is).
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from layerax.core import registry
from layerax.metrics.base import Metric
from layerax.metrics.confusion_metrics import (
    FN,
    FP,
    TN,
    TP,
    _divide_no_nan,
    update_confusion_matrix_variables,
)


def _check_rate(owner: str, argument: str, value: float) -> None:
    if value < 0 or value > 1:
        raise ValueError(
            f"{owner}: `{argument}` must be in the range [0, 1]. Received: {argument}={value}"
        )


class _SensitivitySpecificityBase(Metric):
    """Shared state and update of the four "rate at rate" metrics."""

    _target_argument = "value"

    def __init__(
        self, value: float, num_thresholds: int = 200, class_id: int | None = None,
        name: str | None = None, dtype: Any = None,
    ) -> None:
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        if num_thresholds <= 0:
            raise ValueError(
                f"{type(self).__name__}: `num_thresholds` must be an integer > 0. "
                f"Received: num_thresholds={num_thresholds}"
            )
        self.value = value
        self.class_id = class_id
        self.num_thresholds = num_thresholds
        if num_thresholds == 1:
            self.thresholds = [0.5]
            self._thresholds_distributed_evenly = False
        else:
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self.thresholds = [0.0] + inner + [1.0]
            self._thresholds_distributed_evenly = True
        shape = (len(self.thresholds),)
        self.true_positives = self.add_variable(shape, "zeros", name="true_positives")
        self.false_positives = self.add_variable(shape, "zeros", name="false_positives")
        self.true_negatives = self.add_variable(shape, "zeros", name="true_negatives")
        self.false_negatives = self.add_variable(shape, "zeros", name="false_negatives")

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        update_confusion_matrix_variables(
            {
                TP: self.true_positives, TN: self.true_negatives,
                FP: self.false_positives, FN: self.false_negatives,
            },
            y_true, y_pred, self.thresholds, class_id=self.class_id, sample_weight=sample_weight,
            thresholds_distributed_evenly=self._thresholds_distributed_evenly,
        )

    def _rates(self) -> dict[str, jax.Array]:
        tp, fp = self.true_positives.value, self.false_positives.value
        tn, fn = self.true_negatives.value, self.false_negatives.value
        return {
            "recall": _divide_no_nan(tp, tp + fn),  # = sensitivity
            "precision": _divide_no_nan(tp, tp + fp),
            "specificity": _divide_no_nan(tn, tn + fp),
        }

    def _max_where_at_least(self, constrained: jax.Array, reported: jax.Array) -> jax.Array:
        feasible = constrained >= self.value
        return jnp.max(jnp.where(feasible, reported, 0.0), initial=0.0)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "class_id": self.class_id,
            "num_thresholds": self.num_thresholds,
            self._target_argument: self.value,
        }


@registry.register("metrics", "sensitivity_at_specificity")
class SensitivityAtSpecificity(_SensitivitySpecificityBase):
    """Best sensitivity (recall) over the thresholds whose specificity is `>= specificity`.

    Args:
        specificity: Target specificity, in `[0, 1]`.
        num_thresholds: Number of thresholds evenly spaced in `[0, 1]` (1
            means the single threshold 0.5).
        class_id: Restrict the metric to one class (last axis of `y_pred`).
        name: Metric name.
        dtype: Computation dtype.

    Example:
        >>> import layerax as lx
        >>> m = lx.metrics.SensitivityAtSpecificity(0.5)
        >>> m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8])
        >>> float(m.result())
        0.5
    """

    _target_argument = "specificity"

    def __init__(
        self, specificity: float, num_thresholds: int = 200, class_id: int | None = None,
        name: str | None = None, dtype: Any = None,
    ) -> None:
        _check_rate("SensitivityAtSpecificity", "specificity", specificity)
        self.specificity = specificity
        super().__init__(
            specificity, num_thresholds=num_thresholds, class_id=class_id, name=name, dtype=dtype
        )

    def result(self) -> jax.Array:
        rates = self._rates()
        return self._max_where_at_least(rates["specificity"], rates["recall"])


@registry.register("metrics", "specificity_at_sensitivity")
class SpecificityAtSensitivity(_SensitivitySpecificityBase):
    """Best specificity over the thresholds whose sensitivity (recall) is `>= sensitivity`.

    Args:
        sensitivity: Target sensitivity, in `[0, 1]`.
        num_thresholds: Number of thresholds evenly spaced in `[0, 1]`.
        class_id: Restrict the metric to one class (last axis of `y_pred`).
        name: Metric name.
        dtype: Computation dtype.

    Example:
        >>> import layerax as lx
        >>> m = lx.metrics.SpecificityAtSensitivity(0.5)
        >>> m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8])
        >>> round(float(m.result()), 4)
        0.6667
    """

    _target_argument = "sensitivity"

    def __init__(
        self, sensitivity: float, num_thresholds: int = 200, class_id: int | None = None,
        name: str | None = None, dtype: Any = None,
    ) -> None:
        _check_rate("SpecificityAtSensitivity", "sensitivity", sensitivity)
        self.sensitivity = sensitivity
        super().__init__(
            sensitivity, num_thresholds=num_thresholds, class_id=class_id, name=name, dtype=dtype
        )

    def result(self) -> jax.Array:
        rates = self._rates()
        return self._max_where_at_least(rates["recall"], rates["specificity"])


@registry.register("metrics", "precision_at_recall")
class PrecisionAtRecall(_SensitivitySpecificityBase):
    """Best precision over the thresholds whose recall is `>= recall`.

    Args:
        recall: Target recall, in `[0, 1]`.
        num_thresholds: Number of thresholds evenly spaced in `[0, 1]`.
        class_id: Restrict the metric to one class (last axis of `y_pred`).
        name: Metric name.
        dtype: Computation dtype.

    Example:
        >>> import layerax as lx
        >>> m = lx.metrics.PrecisionAtRecall(0.5)
        >>> m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8])
        >>> float(m.result())
        0.5
    """

    _target_argument = "recall"

    def __init__(
        self, recall: float, num_thresholds: int = 200, class_id: int | None = None,
        name: str | None = None, dtype: Any = None,
    ) -> None:
        _check_rate("PrecisionAtRecall", "recall", recall)
        self.recall = recall
        super().__init__(
            recall, num_thresholds=num_thresholds, class_id=class_id, name=name, dtype=dtype
        )

    def result(self) -> jax.Array:
        rates = self._rates()
        return self._max_where_at_least(rates["recall"], rates["precision"])


@registry.register("metrics", "recall_at_precision")
class RecallAtPrecision(_SensitivitySpecificityBase):
    """Best recall over the thresholds whose precision is `>= precision`.

    Args:
        precision: Target precision, in `[0, 1]`.
        num_thresholds: Number of thresholds evenly spaced in `[0, 1]`.
        class_id: Restrict the metric to one class (last axis of `y_pred`).
        name: Metric name.
        dtype: Computation dtype.

    Example:
        >>> import layerax as lx
        >>> m = lx.metrics.RecallAtPrecision(0.8)
        >>> m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
        >>> float(m.result())
        0.5
    """

    _target_argument = "precision"

    def __init__(
        self, precision: float, num_thresholds: int = 200, class_id: int | None = None,
        name: str | None = None, dtype: Any = None,
    ) -> None:
        _check_rate("RecallAtPrecision", "precision", precision)
        self.precision = precision
        super().__init__(
            precision, num_thresholds=num_thresholds, class_id=class_id, name=name, dtype=dtype
        )

    def result(self) -> jax.Array:
        rates = self._rates()
        return self._max_where_at_least(rates["precision"], rates["recall"])


__all__ = [
    "PrecisionAtRecall",
    "RecallAtPrecision",
    "SensitivityAtSpecificity",
    "SpecificityAtSensitivity",
]
