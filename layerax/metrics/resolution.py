"""How `compile(metrics=[...])` turns identifiers into metric objects (Keras 3's rules).

The training loop calls `resolve_metric` once per identifier and output,
with the first batch's targets and predictions (or their shapes).
"""

from __future__ import annotations

from typing import Any

from layerax.losses.label_shapes import is_binary_or_sparse_categorical
from layerax.metrics.base import Metric


_BINARY_LOSSES = ("binary_crossentropy", "binary_focal_crossentropy", "bce")
_SPARSE_LOSSES = ("sparse_categorical_crossentropy",)
_CATEGORICAL_LOSSES = ("categorical_crossentropy", "categorical_focal_crossentropy")


def _accuracy_kind_from_loss(loss: Any) -> str | None:
    """'binary', 'sparse' or 'categorical' when the loss names its kind of labels."""
    from layerax import losses

    if loss is None:
        return None
    if isinstance(loss, str):
        name = loss
        if name.lower() in ("crossentropy", "ce"):
            return None
        try:
            loss = losses.get(name)
        except ValueError:
            return None
    if isinstance(loss, losses.LossFunctionWrapper) and type(loss) is losses.LossFunctionWrapper:
        loss = loss.fn
    if isinstance(loss, (losses.BinaryCrossentropy, losses.BinaryFocalCrossentropy)):
        return "binary"
    if isinstance(loss, losses.SparseCategoricalCrossentropy):
        return "sparse"
    if isinstance(loss, (losses.CategoricalCrossentropy, losses.CategoricalFocalCrossentropy)):
        return "categorical"
    name = getattr(loss, "__name__", None)
    if name in _BINARY_LOSSES:
        return "binary"
    if name in _SPARSE_LOSSES:
        return "sparse"
    if name in _CATEGORICAL_LOSSES:
        return "categorical"
    return None


def resolve_metric(identifier: Any, y_true: Any = None, y_pred: Any = None, loss: Any = None) -> Metric:
    """The `Metric` object for one `compile(metrics=...)` entry.

    `"accuracy"` / `"acc"` become `BinaryAccuracy`, `SparseCategoricalAccuracy`
    or `CategoricalAccuracy` (named as given). The kind comes from `loss` when
    it is a binary / sparse / categorical cross-entropy, else from the shapes
    of `y_true` and `y_pred` as in Keras 3. Other identifiers go through
    `lx.metrics.get`; plain functions are wrapped in `MeanMetricWrapper`.
    A string identifier becomes the metric's name (`"mse"` logs as `mse`).

    Args:
        identifier: String, config dict, `Metric`, or function `fn(y_true, y_pred)`.
        y_true: Targets of a batch (or their shape), needed for `"accuracy"`.
        y_pred: Predictions of a batch (or their shape), needed for `"accuracy"`.
        loss: The output's loss (identifier or object), if any.

    Example:
        >>> import layerax as lx
        >>> m = lx.metrics.resolve_metric("accuracy", (32,), (32, 10))
        >>> type(m).__name__, m.name
        ('SparseCategoricalAccuracy', 'accuracy')
        >>> type(lx.metrics.resolve_metric("acc", (32, 1), (32, 1))).__name__
        'BinaryAccuracy'
        >>> type(lx.metrics.resolve_metric("accuracy", (32, 10), (32, 10), loss="binary_crossentropy")).__name__
        'BinaryAccuracy'
    """
    from layerax import metrics

    if identifier is None:
        raise ValueError("Expected a metric identifier, received None.")
    if isinstance(identifier, str) and identifier.lower() in ("accuracy", "acc"):
        kind = _accuracy_kind_from_loss(loss)
        if kind is None:
            if y_true is None or y_pred is None:
                raise ValueError(
                    f"metrics=[{identifier!r}] picks binary, categorical or sparse categorical "
                    "accuracy from the targets and predictions: pass `y_true` and `y_pred` (or "
                    "their shapes), or a cross-entropy `loss`."
                )
            is_binary, is_sparse = is_binary_or_sparse_categorical(y_true, y_pred)
            kind = "binary" if is_binary else "sparse" if is_sparse else "categorical"
        cls = {
            "binary": metrics.BinaryAccuracy,
            "sparse": metrics.SparseCategoricalAccuracy,
            "categorical": metrics.CategoricalAccuracy,
        }[kind]
        return cls(name=identifier)
    obj = metrics.get(identifier)
    if isinstance(identifier, str):
        name = identifier
    else:
        name = getattr(obj, "name", None) or getattr(obj, "__name__", None) or type(obj).__name__
    if not isinstance(obj, Metric):
        obj = metrics.MeanMetricWrapper(obj, name=name)
    obj.name = name
    return obj


__all__ = ["is_binary_or_sparse_categorical", "resolve_metric"]
