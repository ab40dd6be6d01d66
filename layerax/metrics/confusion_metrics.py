"""Confusion-matrix metrics: true/false positive/negative counts, Precision, Recall, AUC.

Counts are accumulated per threshold. As in Keras 3, evenly spaced thresholds
(AUC's default) use a bucketing algorithm (one `segment_sum`, linear in the
batch), other thresholds compare every prediction with every threshold.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from layerax import config as _config
from layerax.core import registry
from layerax.losses.base import squeeze_or_expand_to_same_rank, to_array
from layerax.metrics.base import Metric

NEG_INF = -1e10
TP, FP, TN, FN = "tp", "fp", "tn", "fn"


def _divide_no_nan(a: jax.Array, b: jax.Array) -> jax.Array:
    safe = jnp.where(b == 0, jnp.ones_like(b), b)
    return jnp.where(b == 0, jnp.zeros_like(a), a / safe)


def parse_init_thresholds(thresholds: Any, default_threshold: float = 0.5) -> list[float]:
    """A list of thresholds in `[0, 1]` (the default when `thresholds` is None)."""
    if thresholds is None:
        return [default_threshold]
    values = list(thresholds) if isinstance(thresholds, (list, tuple, np.ndarray)) else [thresholds]
    bad = [t for t in values if t is None or t < 0 or t > 1]
    if bad:
        raise ValueError(f"Threshold values must be in [0, 1]. Received: {bad}")
    return [float(t) for t in values]


def is_evenly_distributed_thresholds(thresholds: Sequence[float]) -> bool:
    """Whether thresholds are `i / (n - 1)` for `i = 0..n-1` (n >= 3)."""
    n = len(thresholds)
    if n < 3:
        return False
    even = np.arange(n, dtype=np.float32) / (n - 1)
    return bool(np.allclose(thresholds, even, atol=_config.epsilon()))


def _filter_top_k(x: jax.Array, k: int) -> jax.Array:
    _, idx = jax.lax.top_k(x, k)
    keep = jnp.sum(jax.nn.one_hot(idx, x.shape[-1], dtype=x.dtype), axis=-2)
    return x * keep + NEG_INF * (1 - keep)


def _reverse_cumsum(x: jax.Array, axis: int) -> jax.Array:
    return jnp.flip(jnp.cumsum(jnp.flip(x, axis), axis=axis), axis)


def _update_bucketed(
    variables: dict[str, Any],
    y_true: jax.Array,
    y_pred: jax.Array,
    num_thresholds: int,
    multi_label: bool,
    sample_weight: Any,
    label_weights: Any,
    thresholds_with_epsilon: bool,
) -> None:
    dtype = y_pred.dtype
    weights: Any = 1.0
    if sample_weight is not None:
        weights = jnp.broadcast_to(sample_weight.astype(dtype), y_pred.shape)
    if label_weights is not None:
        lw = jnp.broadcast_to(jnp.expand_dims(jnp.asarray(label_weights, dtype), 0), y_pred.shape)
        weights = weights * lw
    weights = jnp.asarray(weights, dtype)
    y_pred = jnp.clip(y_pred, 0.0, 1.0)
    y_true = y_true.astype(bool).astype(dtype)
    if not multi_label:
        y_true, y_pred = jnp.reshape(y_true, (-1,)), jnp.reshape(y_pred, (-1,))
        if weights.ndim:
            weights = jnp.reshape(weights, (-1,))
    true_labels = y_true * weights
    false_labels = (1.0 - y_true) * weights
    # A prediction must exceed a threshold strictly: bucket = ceil(p * (n - 1)) - 1.
    buckets = jnp.ceil(y_pred * (num_thresholds - 1)) - 1
    if thresholds_with_epsilon:
        buckets = jax.nn.relu(buckets)
    buckets = buckets.astype(jnp.int32)

    def counts(labels: jax.Array, ids: jax.Array) -> jax.Array:
        return jax.ops.segment_sum(labels, ids, num_segments=num_thresholds)

    if multi_label:
        tp = _reverse_cumsum(jax.vmap(counts)(true_labels.T, buckets.T), axis=1).T
        fp = _reverse_cumsum(jax.vmap(counts)(false_labels.T, buckets.T), axis=1).T
        total_true = jnp.sum(true_labels, axis=0)
        total_false = jnp.sum(false_labels, axis=0)
    else:
        tp = _reverse_cumsum(counts(true_labels, buckets), axis=0)
        fp = _reverse_cumsum(counts(false_labels, buckets), axis=0)
        total_true = jnp.sum(true_labels)
        total_false = jnp.sum(false_labels)
    updates = {TP: tp, FP: fp, TN: total_false - fp, FN: total_true - tp}
    for key, var in variables.items():
        var.assign(var.value + updates[key].astype(var.dtype))


def update_confusion_matrix_variables(
    variables: dict[str, Any],
    y_true: Any,
    y_pred: Any,
    thresholds: Sequence[float],
    top_k: int | None = None,
    class_id: int | None = None,
    sample_weight: Any = None,
    multi_label: bool = False,
    label_weights: Any = None,
    thresholds_distributed_evenly: bool = False,
) -> None:
    """Adds a batch's per-threshold confusion counts to `variables`.

    Args:
        variables: Maps `"tp"`, `"fp"`, `"tn"`, `"fn"` to the variables to update.
        y_true: Labels (cast to bool).
        y_pred: Scores in `[0, 1]`.
        thresholds: A prediction is positive when it exceeds the threshold.
        top_k: Only the `k` highest scores of each sample can be positive.
        class_id: Only this class (last axis) is counted.
        sample_weight: Optional weights broadcastable to the predictions.
        multi_label: Keep one count per label (the last axis) instead of pooling.
        label_weights: Per-class weights (pooled counts only).
        thresholds_distributed_evenly: Use the bucketing algorithm.
    """
    if multi_label and label_weights is not None:
        raise ValueError(
            "`label_weights` for multi-label data must be applied outside "
            "`update_confusion_matrix_variables` when `multi_label` is True."
        )
    unknown = [k for k in variables if k not in (TP, FP, TN, FN)]
    if unknown or not variables:
        raise ValueError(
            f"Invalid confusion-matrix keys {unknown or list(variables)}. Expected some of "
            f"{[TP, FP, TN, FN]}."
        )
    dtype = next(iter(variables.values())).dtype
    y_true = to_array(y_true).astype(dtype)
    y_pred = to_array(y_pred).astype(dtype)
    thresholds = [float(t) for t in thresholds]
    with_epsilon = thresholds[0] < 0.0 or thresholds[-1] > 1.0
    y_pred, y_true = squeeze_or_expand_to_same_rank(y_pred, y_true)
    if sample_weight is not None:
        sample_weight = jnp.expand_dims(to_array(sample_weight).astype(dtype), -1)
        _, sample_weight = squeeze_or_expand_to_same_rank(y_true, sample_weight, expand_rank_1=False)
    if top_k is not None:
        y_pred = _filter_top_k(y_pred, top_k)
    if class_id is not None:
        if y_pred.ndim == 1:
            raise ValueError(
                "When `class_id` is given, `y_pred` must have shape (num_samples, num_classes). "
                f"Received: y_pred.shape={tuple(y_pred.shape)}"
            )
        y_true = y_true[..., class_id, None]
        y_pred = y_pred[..., class_id, None]
    if thresholds_distributed_evenly:
        _update_bucketed(
            variables, y_true, y_pred, len(thresholds), multi_label, sample_weight,
            label_weights, with_epsilon,
        )
        return
    thresh = jnp.asarray(thresholds, dtype)
    if multi_label:
        preds = y_pred[None]
        labels = y_true.astype(bool)[None]
        thresh = thresh.reshape((-1,) + (1,) * y_pred.ndim)
    else:
        preds = jnp.reshape(y_pred, (1, -1))
        labels = jnp.reshape(y_true.astype(bool), (1, -1))
        thresh = thresh[:, None]
    pred_pos = preds > thresh
    label_pos = jnp.broadcast_to(labels, pred_pos.shape)
    weights = None
    if sample_weight is not None:
        weights = jnp.broadcast_to(sample_weight.astype(dtype), y_pred.shape)
        weights = weights[None] if multi_label else jnp.reshape(weights, (1, -1))
    if label_weights is not None and not multi_label:
        lw = jnp.broadcast_to(jnp.expand_dims(jnp.asarray(label_weights, dtype), 0), y_pred.shape)
        lw = jnp.reshape(lw, (1, -1))
        weights = lw if weights is None else weights * lw
    conditions = {
        TP: (label_pos, pred_pos),
        FP: (~label_pos, pred_pos),
        TN: (~label_pos, ~pred_pos),
        FN: (label_pos, ~pred_pos),
    }
    for key, var in variables.items():
        label, pred = conditions[key]
        both = label & pred
        if weights is not None:
            hits = jnp.where(both, weights.astype(var.dtype), 0)
        else:
            hits = both.astype(var.dtype)
        var.assign(var.value + jnp.sum(hits, axis=1))


class _ConfusionMatrixConditionCount(Metric):
    _condition = TP

    def __init__(self, thresholds: Any = None, name: str | None = None, dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.thresholds = parse_init_thresholds(thresholds, default_threshold=0.5)
        self._thresholds_distributed_evenly = is_evenly_distributed_thresholds(self.thresholds)
        self.accumulator = self.add_variable(shape=(len(self.thresholds),), initializer="zeros", name="accumulator")

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        update_confusion_matrix_variables(
            {self._condition: self.accumulator}, y_true, y_pred, self.thresholds,
            thresholds_distributed_evenly=self._thresholds_distributed_evenly,
            sample_weight=sample_weight,
        )

    def result(self) -> jax.Array:
        value = self.accumulator.value
        return value[0] if len(self.thresholds) == 1 else value

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "thresholds": self.init_thresholds}


@registry.register("metrics", "true_positives")
class TruePositives(_ConfusionMatrixConditionCount):
    """The (weighted) number of true positives at each threshold.

    Example:
        >>> import layerax as lx
        >>> m = lx.metrics.TruePositives()
        >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
        >>> float(m.result())
        2.0
    """

    _condition = TP


@registry.register("metrics", "false_positives")
class FalsePositives(_ConfusionMatrixConditionCount):
    """The (weighted) number of false positives at each threshold.

    Example:
        >>> import layerax as lx
        >>> m = lx.metrics.FalsePositives()
        >>> m.update_state([0, 1, 0, 0], [0, 0, 1, 1])
        >>> float(m.result())
        2.0
    """

    _condition = FP


@registry.register("metrics", "true_negatives")
class TrueNegatives(_ConfusionMatrixConditionCount):
    """The (weighted) number of true negatives at each threshold.

    Example:
        >>> import layerax as lx
        >>> m = lx.metrics.TrueNegatives()
        >>> m.update_state([0, 1, 0, 0], [1, 1, 0, 0])
        >>> float(m.result())
        2.0
    """

    _condition = TN


@registry.register("metrics", "false_negatives")
class FalseNegatives(_ConfusionMatrixConditionCount):
    """The (weighted) number of false negatives at each threshold.

    Example:
        >>> import layerax as lx
        >>> m = lx.metrics.FalseNegatives()
        >>> m.update_state([0, 1, 1, 1], [0, 1, 0, 0])
        >>> float(m.result())
        2.0
    """

    _condition = FN


class _PrecisionRecallBase(Metric):
    _second = FP

    def __init__(
        self, thresholds: Any = None, top_k: int | None = None, class_id: int | None = None,
        name: str | None = None, dtype: Any = None,
    ) -> None:
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        self.init_thresholds = thresholds
        self.top_k = top_k
        self.class_id = class_id
        default = 0.5 if top_k is None else NEG_INF
        self.thresholds = parse_init_thresholds(thresholds, default_threshold=default)
        self._thresholds_distributed_evenly = is_evenly_distributed_thresholds(self.thresholds)
        n = len(self.thresholds)
        self.true_positives = self.add_variable(shape=(n,), initializer="zeros", name="true_positives")
        second_name = "false_positives" if self._second == FP else "false_negatives"
        self._second_var = self.add_variable(shape=(n,), initializer="zeros", name=second_name)
        setattr(self, second_name, self._second_var)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        update_confusion_matrix_variables(
            {TP: self.true_positives, self._second: self._second_var}, y_true, y_pred,
            self.thresholds, top_k=self.top_k, class_id=self.class_id,
            sample_weight=sample_weight,
            thresholds_distributed_evenly=self._thresholds_distributed_evenly,
        )

    def result(self) -> jax.Array:
        tp = self.true_positives.value
        value = _divide_no_nan(tp, tp + self._second_var.value)
        return value[0] if len(self.thresholds) == 1 else value

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "thresholds": self.init_thresholds,
            "top_k": self.top_k,
            "class_id": self.class_id,
        }


@registry.register("metrics", "precision")
class Precision(_PrecisionRecallBase):
    """`true_positives / (true_positives + false_positives)` at each threshold.

    Args:
        thresholds: A float or list of floats in `[0, 1]`; predictions above
            a threshold count as positive (default 0.5).
        top_k: Only the `k` highest-scored classes of each sample count as
            positive.
        class_id: Restrict the metric to one class (last axis).
        name: Metric name.
        dtype: Computation dtype.

    Example:
        >>> import layerax as lx
        >>> m = lx.metrics.Precision()
        >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
        >>> round(float(m.result()), 4)
        0.6667
    """

    _second = FP


@registry.register("metrics", "recall")
class Recall(_PrecisionRecallBase):
    """`true_positives / (true_positives + false_negatives)` at each threshold.

    Args: as `Precision`.

    Example:
        >>> import layerax as lx
        >>> m = lx.metrics.Recall()
        >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
        >>> round(float(m.result()), 4)
        0.6667
    """

    _second = FN


@registry.register("metrics", "auc")
class AUC(Metric):
    """Area under the ROC or precision-recall curve, from per-threshold counts.

    Args:
        num_thresholds: Number of thresholds, evenly spaced in `[0, 1]`.
        curve: `"ROC"` or `"PR"`.
        summation_method: `"interpolation"` (trapezoids; for PR the
            Davis & Goadrich interpolation), `"minoring"` or `"majoring"`.
        name: Metric name.
        dtype: Computation dtype.
        thresholds: Explicit thresholds in `[0, 1]` (overrides
            `num_thresholds`).
        multi_label: Compute one AUC per label (last axis) and average them.
        num_labels: Number of labels, to create the state up front when
            `multi_label=True` (else created on the first update).
        label_weights: Per-label weights of the average (or of the pooled
            counts when `multi_label=False`).
        from_logits: Apply a sigmoid to the predictions first.

    Example:
        >>> import layerax as lx
        >>> m = lx.metrics.AUC(num_thresholds=3)
        >>> m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
        >>> float(m.result())
        0.75
    """

    def __init__(
        self,
        num_thresholds: int = 200,
        curve: str = "ROC",
        summation_method: str = "interpolation",
        name: str | None = None,
        dtype: Any = None,
        thresholds: Any = None,
        multi_label: bool = False,
        num_labels: int | None = None,
        label_weights: Any = None,
        from_logits: bool = False,
    ) -> None:
        curve_key = str(curve).upper()
        if curve_key not in ("ROC", "PR"):
            raise ValueError(f'Invalid AUC curve value: "{curve}". Expected one of ["ROC", "PR"].')
        method = str(summation_method).lower()
        if method not in ("interpolation", "majoring", "minoring"):
            raise ValueError(
                f'Invalid AUC summation method value: "{summation_method}". Expected one of '
                '["interpolation", "majoring", "minoring"].'
            )
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            self.num_thresholds = len(thresholds) + 2
            thresholds = sorted(float(t) for t in thresholds)
            self._thresholds_distributed_evenly = is_evenly_distributed_thresholds(
                np.array([0.0] + thresholds + [1.0])
            )
        else:
            if num_thresholds <= 1:
                raise ValueError(
                    f"Argument `num_thresholds` must be an integer > 1. Received: num_thresholds={num_thresholds}"
                )
            self.num_thresholds = num_thresholds
            thresholds = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self._thresholds_distributed_evenly = True
        # End points just outside [0, 1] absorb floating-point imprecision.
        eps = _config.epsilon()
        self._thresholds = np.array([0.0 - eps] + thresholds + [1.0 + eps])
        self.curve = curve_key
        self.summation_method = method
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        self.multi_label = multi_label
        self.num_labels = num_labels
        self.label_weights = None if label_weights is None else jnp.asarray(label_weights, self.dtype)
        self._from_logits = from_logits
        self._built = False
        if multi_label:
            if num_labels:
                self._build((None, num_labels))
        else:
            if num_labels:
                raise ValueError("`num_labels` is needed only when `multi_label` is True.")
            self._build(None)

    @property
    def thresholds(self) -> list[float]:
        """The thresholds, including the two end points."""
        return [float(t) for t in self._thresholds]

    def _build(self, shape: Any) -> None:
        if self.multi_label:
            if len(shape) != 2:
                raise ValueError(
                    f"`y_pred` must have rank 2 when `multi_label=True`. Found rank {len(shape)}. "
                    f"Full shape received for `y_pred`: {tuple(shape)}"
                )
            self._num_labels = shape[1]
            var_shape: tuple[int, ...] = (self.num_thresholds, self._num_labels)
        else:
            var_shape = (self.num_thresholds,)
        self.true_positives = self.add_variable(shape=var_shape, initializer="zeros", name="true_positives")
        self.false_positives = self.add_variable(shape=var_shape, initializer="zeros", name="false_positives")
        self.true_negatives = self.add_variable(shape=var_shape, initializer="zeros", name="true_negatives")
        self.false_negatives = self.add_variable(shape=var_shape, initializer="zeros", name="false_negatives")
        self._built = True

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        y_pred = to_array(y_pred)
        if not self._built:
            self._build(y_pred.shape)
        if self._from_logits:
            y_pred = jax.nn.sigmoid(y_pred)
        update_confusion_matrix_variables(
            {TP: self.true_positives, TN: self.true_negatives, FP: self.false_positives, FN: self.false_negatives},
            y_true, y_pred, self._thresholds,
            thresholds_distributed_evenly=self._thresholds_distributed_evenly,
            sample_weight=sample_weight, multi_label=self.multi_label,
            label_weights=None if self.multi_label else self.label_weights,
        )

    def _average(self, by_label: jax.Array) -> jax.Array:
        if self.label_weights is None:
            return jnp.mean(by_label)
        return _divide_no_nan(jnp.sum(by_label * self.label_weights), jnp.sum(self.label_weights))

    def interpolate_pr_auc(self) -> jax.Array:
        """PR-AUC with Davis & Goadrich's interpolation between thresholds."""
        n = self.num_thresholds
        tp, fp, fn = self.true_positives.value, self.false_positives.value, self.false_negatives.value
        dtp = tp[: n - 1] - tp[1:]
        p = tp + fp
        dp = p[: n - 1] - p[1:]
        prec_slope = _divide_no_nan(dtp, jnp.maximum(dp, 0))
        intercept = tp[1:] - prec_slope * p[1:]
        safe_p_ratio = jnp.where(
            (p[: n - 1] > 0) & (p[1:] > 0),
            _divide_no_nan(p[: n - 1], jnp.maximum(p[1:], 0)),
            jnp.ones_like(p[1:]),
        )
        increment = _divide_no_nan(
            prec_slope * (dtp + intercept * jnp.log(safe_p_ratio)),
            jnp.maximum(tp[1:] + fn[1:], 0),
        )
        if self.multi_label:
            return self._average(jnp.sum(increment, axis=0))
        return jnp.sum(increment)

    def result(self) -> jax.Array:
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self.interpolate_pr_auc()
        n = self.num_thresholds
        tp, fp = self.true_positives.value, self.false_positives.value
        tn, fn = self.true_negatives.value, self.false_negatives.value
        recall = _divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x, y = _divide_no_nan(fp, fp + tn), recall
        else:
            x, y = recall, _divide_no_nan(tp, tp + fp)
        if self.summation_method == "interpolation":
            heights = (y[: n - 1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = jnp.minimum(y[: n - 1], y[1:])
        else:
            heights = jnp.maximum(y[: n - 1], y[1:])
        terms = (x[: n - 1] - x[1:]) * heights
        if self.multi_label:
            return self._average(jnp.sum(terms, axis=0))
        return jnp.sum(terms)

    def reset_state(self) -> None:
        if self._built:
            super().reset_state()

    def get_config(self) -> dict[str, Any]:
        label_weights = None if self.label_weights is None else np.asarray(self.label_weights).tolist()
        config = {
            "num_thresholds": self.num_thresholds,
            "curve": self.curve,
            "summation_method": self.summation_method,
            "multi_label": self.multi_label,
            "num_labels": self.num_labels,
            "label_weights": label_weights,
            "from_logits": self._from_logits,
        }
        if self._init_from_thresholds:
            config["thresholds"] = self.thresholds[1:-1]
        return {**super().get_config(), **config}


__all__ = [
    "AUC",
    "FalseNegatives",
    "FalsePositives",
    "Precision",
    "Recall",
    "TrueNegatives",
    "TruePositives",
    "update_confusion_matrix_variables",
]
