"""Losses (`lx.losses`) with Keras 3's names, arguments, formulas and reductions.

Each loss has a class form (`lx.losses.MeanSquaredError()`, configurable,
reduces with `sample_weight`) and a function form
(`lx.losses.mean_squared_error(y_true, y_pred)`, one value per sample).
"""

from __future__ import annotations

import inspect
from typing import Any

from layerax.core import serialization
from layerax.losses import base as base
from layerax.losses.base import Loss as Loss
from layerax.losses.base import LossFunctionWrapper as LossFunctionWrapper
from layerax.losses.base import reduce_weighted_values as reduce_weighted_values
from layerax.losses.hinge_losses import CategoricalHinge as CategoricalHinge
from layerax.losses.hinge_losses import Hinge as Hinge
from layerax.losses.hinge_losses import SquaredHinge as SquaredHinge
from layerax.losses.hinge_losses import categorical_hinge as categorical_hinge
from layerax.losses.hinge_losses import hinge as hinge
from layerax.losses.hinge_losses import squared_hinge as squared_hinge
from layerax.losses.label_shapes import is_binary_or_sparse_categorical as is_binary_or_sparse_categorical
from layerax.losses.noisy_label_losses import (
    CategoricalGeneralizedCrossEntropy as CategoricalGeneralizedCrossEntropy,
)
from layerax.losses.noisy_label_losses import (
    categorical_generalized_cross_entropy as categorical_generalized_cross_entropy,
)
from layerax.losses.probabilistic_losses import BinaryCrossentropy as BinaryCrossentropy
from layerax.losses.probabilistic_losses import BinaryFocalCrossentropy as BinaryFocalCrossentropy
from layerax.losses.probabilistic_losses import CategoricalCrossentropy as CategoricalCrossentropy
from layerax.losses.probabilistic_losses import CategoricalFocalCrossentropy as CategoricalFocalCrossentropy
from layerax.losses.probabilistic_losses import KLDivergence as KLDivergence
from layerax.losses.probabilistic_losses import Poisson as Poisson
from layerax.losses.probabilistic_losses import SparseCategoricalCrossentropy as SparseCategoricalCrossentropy
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
from layerax.losses.regression_losses import CosineSimilarity as CosineSimilarity
from layerax.losses.regression_losses import Huber as Huber
from layerax.losses.regression_losses import LogCosh as LogCosh
from layerax.losses.regression_losses import MeanAbsoluteError as MeanAbsoluteError
from layerax.losses.regression_losses import MeanAbsolutePercentageError as MeanAbsolutePercentageError
from layerax.losses.regression_losses import MeanSquaredError as MeanSquaredError
from layerax.losses.regression_losses import MeanSquaredLogarithmicError as MeanSquaredLogarithmicError
from layerax.losses.regression_losses import cosine_similarity as cosine_similarity
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
from layerax.losses.segmentation_losses import Dice as Dice
from layerax.losses.segmentation_losses import Tversky as Tversky
from layerax.losses.segmentation_losses import dice as dice
from layerax.losses.segmentation_losses import tversky as tversky
from layerax.losses.sequence_losses import CTC as CTC
from layerax.losses.sequence_losses import ctc as ctc
from layerax.losses.similarity_losses import Circle as Circle
from layerax.losses.similarity_losses import circle as circle

def serialize(loss: Any) -> Any:
    """A loss function's name, or a `Loss` instance's `{"class_name", "config"}`.

    Example:
        >>> import layerax as lx
        >>> lx.losses.serialize(lx.losses.mean_squared_error)
        'mean_squared_error'
        >>> lx.losses.serialize(lx.losses.Huber(delta=2.0))["config"]["delta"]
        2.0
    """
    return serialization.serialize(loss, "losses")


def deserialize(config: Any, custom_objects: Any = None) -> Any:
    """Inverse of `serialize`: a loss function or a `Loss` instance.

    Example:
        >>> import layerax as lx
        >>> lx.losses.deserialize({"class_name": "Huber", "config": {"delta": 2.0}}).delta
        2.0
    """
    return serialization.deserialize(
        config, "loss", "losses", custom_objects=custom_objects, instantiate=False
    )


def get(identifier: Any) -> Any:
    """A loss from a function or class name, a config dict, a `Loss` or a callable.

    Function names (`"mse"`, `"categorical_crossentropy"`) give the function;
    class names (`"MeanSquaredError"`) give an instance, as in Keras 3.

    Example:
        >>> import layerax as lx
        >>> lx.losses.get("mse") is lx.losses.mean_squared_error
        True
        >>> type(lx.losses.get("CategoricalCrossentropy")).__name__
        'CategoricalCrossentropy'
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        obj = deserialize(identifier)
    elif isinstance(identifier, str):
        obj = serialization.resolve(identifier, "loss", "losses", instantiate=False)
    else:
        obj = identifier
    if inspect.isclass(obj):
        obj = obj()
    if not callable(obj):
        raise ValueError(
            f"Could not interpret loss identifier: {identifier!r}. Pass a loss name such as "
            "'mse' or 'sparse_categorical_crossentropy', an lx.losses.Loss instance, or a "
            "callable `fn(y_true, y_pred)`."
        )
    return obj


def resolve_loss(identifier: Any, y_true: Any = None, y_pred: Any = None) -> Loss | None:
    """The `Loss` object `compile(loss=identifier)` trains with (Keras 3's rules).

    `"crossentropy"`/`"ce"` pick binary, sparse categorical or categorical
    cross-entropy from the shapes of `y_true` and `y_pred`; functions are
    wrapped in a `LossFunctionWrapper` named after the identifier.

    Example:
        >>> import layerax as lx, numpy as np
        >>> loss = lx.losses.resolve_loss("ce", np.zeros((4,)), np.zeros((4, 3)))
        >>> loss.fn.__name__, loss.name
        ('sparse_categorical_crossentropy', 'ce')
    """
    if identifier is None:
        return None
    if isinstance(identifier, str) and identifier.lower() in ("crossentropy", "ce"):
        if y_true is None or y_pred is None:
            raise ValueError(
                f"loss={identifier!r} chooses the cross-entropy from the shapes of the targets and "
                "predictions: pass `y_true` and `y_pred` (or name the loss explicitly)."
            )
        is_binary, is_sparse = is_binary_or_sparse_categorical(y_true, y_pred)
        if is_binary:
            obj: Any = binary_crossentropy
        elif is_sparse:
            obj = sparse_categorical_crossentropy
        else:
            obj = categorical_crossentropy
    else:
        obj = get(identifier)
    if isinstance(obj, Loss):
        return obj
    name = identifier if isinstance(identifier, str) else getattr(obj, "__name__", None)
    return LossFunctionWrapper(obj, name=name)


__all__ = [
    "BinaryCrossentropy",
    "BinaryFocalCrossentropy",
    "CTC",
    "CategoricalCrossentropy",
    "CategoricalFocalCrossentropy",
    "CategoricalGeneralizedCrossEntropy",
    "CategoricalHinge",
    "Circle",
    "CosineSimilarity",
    "Dice",
    "Hinge",
    "Huber",
    "KLDivergence",
    "LogCosh",
    "Loss",
    "LossFunctionWrapper",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanSquaredError",
    "MeanSquaredLogarithmicError",
    "Poisson",
    "SparseCategoricalCrossentropy",
    "SquaredHinge",
    "Tversky",
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "categorical_crossentropy",
    "categorical_focal_crossentropy",
    "categorical_generalized_cross_entropy",
    "categorical_hinge",
    "circle",
    "cosine_similarity",
    "ctc",
    "deserialize",
    "dice",
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
    "poisson",
    "reduce_weighted_values",
    "resolve_loss",
    "serialize",
    "sparse_categorical_crossentropy",
    "squared_hinge",
    "tversky",
]
