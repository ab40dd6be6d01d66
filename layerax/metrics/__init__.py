"""Metrics (`lx.metrics`) with Keras 3's names, arguments and formulas.

Metrics are stateful: `update_state(y_true, y_pred, sample_weight=None)`
accumulates a batch into `lx.Variable`s, `result()` returns a JAX array,
`reset_state()` starts over. Updates are pure JAX on the variables' values,
so they run inside `lx.function` steps (the state is carried in and out of
the compiled computation) with no host synchronization.
"""

from __future__ import annotations

import inspect
from typing import Any

from layerax.core import registry, serialization
from layerax.losses.hinge_losses import categorical_hinge as categorical_hinge
from layerax.losses.hinge_losses import hinge as hinge
from layerax.losses.hinge_losses import squared_hinge as squared_hinge
from layerax.losses.label_shapes import is_binary_or_sparse_categorical as is_binary_or_sparse_categorical
from layerax.losses.probabilistic_losses import binary_crossentropy as binary_crossentropy
from layerax.losses.probabilistic_losses import binary_focal_crossentropy as binary_focal_crossentropy
from layerax.losses.probabilistic_losses import categorical_crossentropy as categorical_crossentropy
from layerax.losses.probabilistic_losses import (
    categorical_focal_crossentropy as categorical_focal_crossentropy,
)
from layerax.losses.probabilistic_losses import kl_divergence as kl_divergence
from layerax.losses.probabilistic_losses import poisson as poisson
from layerax.losses.probabilistic_losses import (
    sparse_categorical_crossentropy as sparse_categorical_crossentropy,
)
from layerax.losses.regression_losses import huber as huber
from layerax.losses.regression_losses import log_cosh as log_cosh
from layerax.losses.regression_losses import mean_absolute_error as mean_absolute_error
from layerax.losses.regression_losses import (
    mean_absolute_percentage_error as mean_absolute_percentage_error,
)
from layerax.losses.regression_losses import mean_squared_error as mean_squared_error
from layerax.losses.regression_losses import (
    mean_squared_logarithmic_error as mean_squared_logarithmic_error,
)
from layerax.metrics import iou_metrics as iou_metrics
from layerax.metrics import regression_metrics as regression_metrics
from layerax.metrics.accuracy_metrics import Accuracy as Accuracy
from layerax.metrics.accuracy_metrics import BinaryAccuracy as BinaryAccuracy
from layerax.metrics.accuracy_metrics import CategoricalAccuracy as CategoricalAccuracy
from layerax.metrics.accuracy_metrics import SparseCategoricalAccuracy as SparseCategoricalAccuracy
from layerax.metrics.accuracy_metrics import SparseTopKCategoricalAccuracy as SparseTopKCategoricalAccuracy
from layerax.metrics.accuracy_metrics import TopKCategoricalAccuracy as TopKCategoricalAccuracy
from layerax.metrics.accuracy_metrics import accuracy
from layerax.metrics.accuracy_metrics import binary_accuracy as binary_accuracy
from layerax.metrics.accuracy_metrics import categorical_accuracy as categorical_accuracy
from layerax.metrics.accuracy_metrics import sparse_categorical_accuracy as sparse_categorical_accuracy
from layerax.metrics.accuracy_metrics import (
    sparse_top_k_categorical_accuracy as sparse_top_k_categorical_accuracy,
)
from layerax.metrics.accuracy_metrics import top_k_categorical_accuracy as top_k_categorical_accuracy
from layerax.metrics.base import Metric as Metric
from layerax.metrics.confusion_metrics import AUC as AUC
from layerax.metrics.confusion_metrics import FalseNegatives as FalseNegatives
from layerax.metrics.confusion_metrics import FalsePositives as FalsePositives
from layerax.metrics.confusion_metrics import Precision as Precision
from layerax.metrics.confusion_metrics import Recall as Recall
from layerax.metrics.confusion_metrics import TrueNegatives as TrueNegatives
from layerax.metrics.confusion_metrics import TruePositives as TruePositives
from layerax.metrics.correlation_metrics import ConcordanceCorrelation as ConcordanceCorrelation
from layerax.metrics.correlation_metrics import PearsonCorrelation as PearsonCorrelation
from layerax.metrics.correlation_metrics import concordance_correlation as concordance_correlation
from layerax.metrics.correlation_metrics import pearson_correlation as pearson_correlation
from layerax.metrics.f_score_metrics import F1Score as F1Score
from layerax.metrics.f_score_metrics import FBetaScore as FBetaScore
from layerax.metrics.iou_metrics import BinaryIoU as BinaryIoU
from layerax.metrics.iou_metrics import IoU as IoU
from layerax.metrics.iou_metrics import MeanIoU as MeanIoU
from layerax.metrics.iou_metrics import OneHotIoU as OneHotIoU
from layerax.metrics.iou_metrics import OneHotMeanIoU as OneHotMeanIoU
from layerax.metrics.probabilistic_metrics import BinaryCrossentropy as BinaryCrossentropy
from layerax.metrics.probabilistic_metrics import CategoricalCrossentropy as CategoricalCrossentropy
from layerax.metrics.probabilistic_metrics import CategoricalHinge as CategoricalHinge
from layerax.metrics.probabilistic_metrics import Hinge as Hinge
from layerax.metrics.probabilistic_metrics import KLDivergence as KLDivergence
from layerax.metrics.probabilistic_metrics import Poisson as Poisson
from layerax.metrics.probabilistic_metrics import SparseCategoricalCrossentropy as SparseCategoricalCrossentropy
from layerax.metrics.probabilistic_metrics import SquaredHinge as SquaredHinge
from layerax.metrics.reduction_metrics import Mean as Mean
from layerax.metrics.reduction_metrics import MeanMetricWrapper as MeanMetricWrapper
from layerax.metrics.reduction_metrics import Sum as Sum
from layerax.metrics.regression_metrics import CosineSimilarity as CosineSimilarity
from layerax.metrics.regression_metrics import LogCoshError as LogCoshError
from layerax.metrics.regression_metrics import MeanAbsoluteError as MeanAbsoluteError
from layerax.metrics.regression_metrics import MeanAbsolutePercentageError as MeanAbsolutePercentageError
from layerax.metrics.regression_metrics import MeanSquaredError as MeanSquaredError
from layerax.metrics.regression_metrics import MeanSquaredLogarithmicError as MeanSquaredLogarithmicError
from layerax.metrics.regression_metrics import R2Score as R2Score
from layerax.metrics.regression_metrics import RootMeanSquaredError as RootMeanSquaredError
from layerax.metrics.resolution import resolve_metric as resolve_metric
from layerax.metrics.sensitivity_specificity_metrics import PrecisionAtRecall as PrecisionAtRecall
from layerax.metrics.sensitivity_specificity_metrics import RecallAtPrecision as RecallAtPrecision
from layerax.metrics.sensitivity_specificity_metrics import SensitivityAtSpecificity as SensitivityAtSpecificity
from layerax.metrics.sensitivity_specificity_metrics import SpecificityAtSensitivity as SpecificityAtSensitivity

def serialize(metric: Any) -> Any:
    """A `Metric`'s `{"class_name", "config"}`, or a metric function's name.

    Example:
        >>> import layerax as lx
        >>> lx.metrics.serialize(lx.metrics.BinaryAccuracy(threshold=0.7))["config"]["threshold"]
        0.7
    """
    return serialization.serialize(metric, "metrics.functions")


def deserialize(config: Any, custom_objects: Any = None) -> Any:
    """Inverse of `serialize`.

    Example:
        >>> import layerax as lx
        >>> lx.metrics.deserialize({"class_name": "AUC", "config": {"curve": "PR"}}).curve
        'PR'
    """
    if isinstance(config, str):
        return _resolve_name(config, custom_objects)
    return serialization.deserialize(config, "metric", "metrics", custom_objects=custom_objects)


def _resolve_name(name: str, custom_objects: Any = None) -> Any:
    return serialization.resolve(
        name, "metric", ("metrics", "metrics.functions"), instantiate=False,
        custom_objects=custom_objects,
    )


def serialize_function(fn: Any) -> Any:
    """How a MeanMetricWrapper config stores its function (a name when known)."""
    known = registry.name_in("metrics.functions", fn)
    if known is not None:
        return known
    from layerax import losses

    return losses.serialize(fn)


def deserialize_function(config: Any) -> Any:
    """Inverse of `serialize_function`."""
    if isinstance(config, str) and config in registry.entries("metrics.functions"):
        return registry.entries("metrics.functions")[config]
    from layerax import losses

    return losses.deserialize(config)


def get(identifier: Any) -> Any:
    """A metric from a name (`"accuracy"`, `"mse"`, `"AUC"`, `"f1_score"`, ...), a
    config dict, a `Metric`, or a callable (returned as is).

    Class names in CamelCase or snake_case give a new instance, as in Keras 3.

    Example:
        >>> import layerax as lx
        >>> type(lx.metrics.get("mse")).__name__
        'MeanSquaredError'
        >>> lx.metrics.get("sparse_categorical_accuracy").name
        'sparse_categorical_accuracy'
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        obj = deserialize(identifier)
    elif isinstance(identifier, str):
        obj = serialization.resolve(identifier, "metric", "metrics", instantiate=False)
    else:
        obj = identifier
    if inspect.isclass(obj):
        obj = obj()
    if not callable(obj) and not isinstance(obj, Metric):
        raise ValueError(
            f"Could not interpret metric identifier: {identifier!r}. Pass a metric name such as "
            "'accuracy' or 'mae', an lx.metrics.Metric instance, or a function "
            "`fn(y_true, y_pred)`."
        )
    return obj


__all__ = [
    "AUC",
    "Accuracy",
    "BinaryAccuracy",
    "BinaryCrossentropy",
    "BinaryIoU",
    "CategoricalAccuracy",
    "CategoricalCrossentropy",
    "CategoricalHinge",
    "ConcordanceCorrelation",
    "CosineSimilarity",
    "F1Score",
    "FBetaScore",
    "FalseNegatives",
    "FalsePositives",
    "Hinge",
    "IoU",
    "KLDivergence",
    "LogCoshError",
    "Mean",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanIoU",
    "MeanMetricWrapper",
    "MeanSquaredError",
    "MeanSquaredLogarithmicError",
    "Metric",
    "OneHotIoU",
    "OneHotMeanIoU",
    "PearsonCorrelation",
    "Poisson",
    "Precision",
    "PrecisionAtRecall",
    "R2Score",
    "Recall",
    "RecallAtPrecision",
    "RootMeanSquaredError",
    "SensitivityAtSpecificity",
    "SparseCategoricalAccuracy",
    "SparseCategoricalCrossentropy",
    "SparseTopKCategoricalAccuracy",
    "SpecificityAtSensitivity",
    "SquaredHinge",
    "Sum",
    "TopKCategoricalAccuracy",
    "TrueNegatives",
    "TruePositives",
    "binary_accuracy",
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "categorical_accuracy",
    "categorical_crossentropy",
    "categorical_focal_crossentropy",
    "categorical_hinge",
    "concordance_correlation",
    "deserialize",
    "get",
    "hinge",
    "huber",
    "is_binary_or_sparse_categorical",
    "kl_divergence",
    "log_cosh",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
    "pearson_correlation",
    "poisson",
    "resolve_metric",
    "serialize",
    "sparse_categorical_accuracy",
    "sparse_categorical_crossentropy",
    "sparse_top_k_categorical_accuracy",
    "squared_hinge",
    "top_k_categorical_accuracy",
]
