"""Intersection-over-union metrics for segmentation: `IoU`, `MeanIoU`, `BinaryIoU`, `OneHotIoU`
and `OneHotMeanIoU`."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from layerax import config as _config
from layerax.core import registry
from layerax.losses.base import to_array
from layerax.metrics.base import Metric


def confusion_matrix(labels: jax.Array, predictions: jax.Array, num_classes: int, weights: Any = None, dtype: Any = "int32") -> jax.Array:
    """`(num_classes, num_classes)` matrix: entry `[i, j]` sums the weights of label i predicted as j.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> lx.metrics.iou_metrics.confusion_matrix(jnp.array([0, 1, 1]), jnp.array([0, 1, 0]), 2).tolist()
        [[1, 0], [1, 1]]
    """
    labels = jnp.asarray(labels).astype(jnp.int32)
    predictions = jnp.asarray(predictions).astype(jnp.int32)
    values = jnp.ones_like(labels, dtype) if weights is None else jnp.asarray(weights).astype(dtype)
    return jnp.zeros((num_classes, num_classes), dtype).at[labels, predictions].add(values)


@registry.register("metrics", "io_u")
class IoU(Metric):
    """Mean intersection-over-union of the classes in `target_class_ids`.

    `IoU = true_positives / (true_positives + false_positives + false_negatives)`,
    accumulated in a confusion matrix; classes absent from both labels and
    predictions are left out of the mean.

    Args:
        num_classes: Number of classes.
        target_class_ids: The classes whose IoU is averaged.
        name: Metric name.
        dtype: dtype of the confusion matrix (int32 by default).
        ignore_class: A label value left out of the counts.
        sparse_y_true: Whether labels are class ids (else one-hot/scores).
        sparse_y_pred: Whether predictions are class ids (else scores).
        axis: The class axis of non-sparse inputs.

    Example:
        >>> import layerax as lx
        >>> m = lx.metrics.IoU(num_classes=2, target_class_ids=[0])
        >>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1])
        >>> round(float(m.result()), 4)
        0.3333
    """

    def __init__(
        self,
        num_classes: int,
        target_class_ids: Any,
        name: str | None = None,
        dtype: Any = None,
        ignore_class: int | None = None,
        sparse_y_true: bool = True,
        sparse_y_pred: bool = True,
        axis: int = -1,
    ) -> None:
        super().__init__(name=name, dtype=dtype or "int32")
        self._direction = "up"
        target_class_ids = list(target_class_ids)
        if max(target_class_ids) >= num_classes:
            raise ValueError(
                f"Target class id {max(target_class_ids)} is out of range, which is [0, {num_classes})."
            )
        self.num_classes = num_classes
        self.target_class_ids = target_class_ids
        self.ignore_class = ignore_class
        self.sparse_y_true = sparse_y_true
        self.sparse_y_pred = sparse_y_pred
        self.axis = axis
        self.total_cm = self.add_variable(
            shape=(num_classes, num_classes), initializer="zeros", dtype=self.dtype,
            name="total_confusion_matrix",
        )

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        y_true, y_pred = to_array(y_true), to_array(y_pred)
        if not self.sparse_y_true:
            y_true = jnp.argmax(y_true, axis=self.axis)
        if not self.sparse_y_pred:
            y_pred = jnp.argmax(y_pred, axis=self.axis)
        y_true = jnp.reshape(y_true.astype(self.dtype), (-1,))
        y_pred = jnp.reshape(y_pred.astype(self.dtype), (-1,))
        weights = jnp.ones((), self.dtype) if sample_weight is None else to_array(sample_weight).astype(self.dtype)
        weights = jnp.broadcast_to(jnp.reshape(weights, (-1,)) if weights.ndim > 1 else weights, y_true.shape)
        # Out-of-range ids (and the ignored class) never reach the matrix.
        valid = (y_true >= 0) & (y_true < self.num_classes) & (y_pred >= 0) & (y_pred < self.num_classes)
        if self.ignore_class is not None:
            valid = valid & (y_true != self.ignore_class)
        y_true = jnp.where(valid, y_true, 0)
        y_pred = jnp.where(valid, y_pred, 0)
        weights = jnp.where(valid, weights, 0)
        current = confusion_matrix(y_true, y_pred, self.num_classes, weights=weights, dtype=self.dtype)
        self.total_cm.assign(self.total_cm.value + current)

    def result(self) -> jax.Array:
        cm = self.total_cm.value
        sum_over_row = jnp.sum(cm, axis=0).astype(self.dtype)
        sum_over_col = jnp.sum(cm, axis=1).astype(self.dtype)
        true_positives = jnp.diagonal(cm).astype(self.dtype)
        denominator = sum_over_row + sum_over_col - true_positives
        ids = jnp.asarray(self.target_class_ids, jnp.int32)
        true_positives = true_positives[ids].astype(jnp.float32)
        denominator = denominator[ids].astype(jnp.float32)
        valid = (denominator > 1e-9).astype(jnp.float32)
        iou = true_positives / (denominator + _config.epsilon())
        iou = jnp.where(valid > 0, iou, 0.0)
        return jnp.sum(iou, axis=self.axis) / (jnp.sum(valid) + _config.epsilon())

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "num_classes": self.num_classes,
            "target_class_ids": self.target_class_ids,
            "ignore_class": self.ignore_class,
            "sparse_y_true": self.sparse_y_true,
            "sparse_y_pred": self.sparse_y_pred,
            "axis": self.axis,
        }


@registry.register("metrics", "mean_io_u")
class MeanIoU(IoU):
    """Mean intersection-over-union over all `num_classes` classes.

    Example:
        >>> import layerax as lx
        >>> m = lx.metrics.MeanIoU(num_classes=2)
        >>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1])
        >>> round(float(m.result()), 4)
        0.3333
    """

    def __init__(
        self,
        num_classes: int,
        name: str | None = None,
        dtype: Any = None,
        ignore_class: int | None = None,
        sparse_y_true: bool = True,
        sparse_y_pred: bool = True,
        axis: int = -1,
    ) -> None:
        super().__init__(
            num_classes=num_classes, target_class_ids=list(range(num_classes)), name=name,
            dtype=dtype, ignore_class=ignore_class, sparse_y_true=sparse_y_true,
            sparse_y_pred=sparse_y_pred, axis=axis,
        )

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["target_class_ids"]
        return config


@registry.register("metrics", "binary_io_u")
class BinaryIoU(IoU):
    """IoU for binary tasks: predictions `>= threshold` are class 1, the rest class 0.

    Labels are cast to the metric's dtype (so they should be 0 or 1); the
    IoU of the classes in `target_class_ids` is averaged.

    Args:
        target_class_ids: Which of the classes `0` and `1` to average
            (both by default).
        threshold: Predictions at or above it count as class 1.
        name: Metric name.
        dtype: dtype of the confusion matrix (int32 by default).

    Example:
        >>> import layerax as lx
        >>> m = lx.metrics.BinaryIoU(target_class_ids=[0, 1], threshold=0.3)
        >>> m.update_state([0, 1, 0, 1], [0.1, 0.2, 0.4, 0.7])
        >>> round(float(m.result()), 4)
        0.3333
    """

    def __init__(
        self,
        target_class_ids: Any = (0, 1),
        threshold: float = 0.5,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(num_classes=2, target_class_ids=target_class_ids, name=name, dtype=dtype)
        self.threshold = threshold

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        y_true = to_array(y_true).astype(self.dtype)
        y_pred = (to_array(y_pred).astype(jnp.float32) >= self.threshold).astype(self.dtype)
        super().update_state(y_true, y_pred, sample_weight)

    def get_config(self) -> dict[str, Any]:
        return {
            "target_class_ids": self.target_class_ids,
            "threshold": self.threshold,
            "name": self.name,
            "dtype": self.dtype,
        }


@registry.register("metrics", "one_hot_io_u")
class OneHotIoU(IoU):
    """`IoU` for one-hot labels: labels (and, unless `sparse_y_pred`, predictions)
    are turned into class ids with an argmax over `axis` first.

    Args:
        num_classes: Number of classes (the size of `axis`).
        target_class_ids: The classes whose IoU is averaged.
        name: Metric name.
        dtype: dtype of the confusion matrix (int32 by default).
        ignore_class: A class id left out of the counts.
        sparse_y_pred: Whether predictions are already class ids.
        axis: The class axis.

    Example:
        >>> import layerax as lx
        >>> m = lx.metrics.OneHotIoU(num_classes=3, target_class_ids=[0, 2], dtype="float32")
        >>> m.update_state([[0, 0, 1], [1, 0, 0], [0, 1, 0], [1, 0, 0]],
        ...                [[0.2, 0.3, 0.5], [0.1, 0.2, 0.7], [0.5, 0.3, 0.1], [0.1, 0.4, 0.5]],
        ...                sample_weight=[0.1, 0.2, 0.3, 0.4])
        >>> round(float(m.result()), 4)
        0.0714
    """

    def __init__(
        self,
        num_classes: int,
        target_class_ids: Any,
        name: str | None = None,
        dtype: Any = None,
        ignore_class: int | None = None,
        sparse_y_pred: bool = False,
        axis: int = -1,
    ) -> None:
        super().__init__(
            num_classes=num_classes, target_class_ids=target_class_ids, name=name, dtype=dtype,
            ignore_class=ignore_class, sparse_y_true=False, sparse_y_pred=sparse_y_pred, axis=axis,
        )

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["sparse_y_true"]
        return config


@registry.register("metrics", "one_hot_mean_io_u")
class OneHotMeanIoU(MeanIoU):
    """`MeanIoU` for one-hot labels: an argmax over `axis` gives the class ids first.

    Args:
        num_classes: Number of classes (the size of `axis`).
        name: Metric name.
        dtype: dtype of the confusion matrix (int32 by default).
        ignore_class: A class id left out of the counts.
        sparse_y_pred: Whether predictions are already class ids.
        axis: The class axis.

    Example:
        >>> import layerax as lx
        >>> m = lx.metrics.OneHotMeanIoU(num_classes=2)
        >>> m.update_state([[1, 0], [1, 0], [0, 1], [0, 1]],
        ...                [[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]])
        >>> round(float(m.result()), 4)
        0.3333
    """

    def __init__(
        self,
        num_classes: int,
        name: str | None = None,
        dtype: Any = None,
        ignore_class: int | None = None,
        sparse_y_pred: bool = False,
        axis: int = -1,
    ) -> None:
        super().__init__(
            num_classes=num_classes, name=name, dtype=dtype, ignore_class=ignore_class,
            sparse_y_true=False, sparse_y_pred=sparse_y_pred, axis=axis,
        )

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["sparse_y_true"]
        return config


__all__ = ["BinaryIoU", "IoU", "MeanIoU", "OneHotIoU", "OneHotMeanIoU", "confusion_matrix"]
