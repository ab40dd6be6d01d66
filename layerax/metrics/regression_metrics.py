"""Regression metrics: MSE, MAE, MAPE, MSLE, RMSE, cosine similarity, log-cosh error."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from layerax.losses.base import squeeze_or_expand_to_same_rank, to_array
from layerax.losses.regression_losses import (
    l2_normalize,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
)
from layerax.metrics.reduction_metrics import Mean, _SimpleWrapper


def cosine_similarity(y_true: Any, y_pred: Any, axis: int = -1) -> jax.Array:
    """Cosine similarity `sum(l2_normalize(y_true) * l2_normalize(y_pred), axis)` (1 is best).

    Example:
        >>> import layerax as lx
        >>> lx.metrics.regression_metrics.cosine_similarity([[0.0, 1.0]], [[0.0, 3.0]]).tolist()
        [1.0]
    """
    y_pred = to_array(y_pred)
    y_true = to_array(y_true, y_pred.dtype)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return jnp.sum(l2_normalize(y_true, axis) * l2_normalize(y_pred, axis), axis=axis)


class MeanSquaredError(_SimpleWrapper):
    """Mean of squared errors over every sample seen.

    Example:
        >>> import layerax as lx
        >>> m = lx.metrics.MeanSquaredError()
        >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
        >>> float(m.result())
        0.25
    """

    def __init__(self, name: str = "mean_squared_error", dtype: Any = None) -> None:
        super().__init__(fn=mean_squared_error, name=name, dtype=dtype)
        self._direction = "down"


class MeanAbsoluteError(_SimpleWrapper):
    """Mean of absolute errors over every sample seen.

    Example:
        >>> import layerax as lx
        >>> m = lx.metrics.MeanAbsoluteError()
        >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
        >>> float(m.result())
        0.25
    """

    def __init__(self, name: str = "mean_absolute_error", dtype: Any = None) -> None:
        super().__init__(fn=mean_absolute_error, name=name, dtype=dtype)
        self._direction = "down"


class MeanAbsolutePercentageError(_SimpleWrapper):
    """Mean absolute percentage error over every sample seen.

    Example:
        >>> import layerax as lx
        >>> m = lx.metrics.MeanAbsolutePercentageError()
        >>> m.update_state([[2.0, 4.0]], [[1.0, 4.0]])
        >>> float(m.result())
        25.0
    """

    def __init__(self, name: str = "mean_absolute_percentage_error", dtype: Any = None) -> None:
        super().__init__(fn=mean_absolute_percentage_error, name=name, dtype=dtype)
        self._direction = "down"


class MeanSquaredLogarithmicError(_SimpleWrapper):
    """Mean squared logarithmic error over every sample seen.

    Example:
        >>> import layerax as lx
        >>> m = lx.metrics.MeanSquaredLogarithmicError()
        >>> m.update_state([[0.0]], [[1.0]])
        >>> round(float(m.result()), 4)
        0.4805
    """

    def __init__(self, name: str = "mean_squared_logarithmic_error", dtype: Any = None) -> None:
        super().__init__(fn=mean_squared_logarithmic_error, name=name, dtype=dtype)
        self._direction = "down"


class RootMeanSquaredError(Mean):
    """`sqrt(mean(square(y_true - y_pred)))` over every element seen.

    Example:
        >>> import layerax as lx
        >>> m = lx.metrics.RootMeanSquaredError()
        >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
        >>> float(m.result())
        0.5
    """

    def __init__(self, name: str = "root_mean_squared_error", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)
        self._direction = "down"

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        y_true = to_array(y_true, self.dtype)
        y_pred = to_array(y_pred, self.dtype)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        super().update_state(jnp.square(y_pred - y_true), sample_weight=sample_weight)

    def result(self) -> jax.Array:
        return jnp.sqrt(super().result())


class CosineSimilarity(_SimpleWrapper):
    """Mean cosine similarity between labels and predictions along `axis`.

    Example:
        >>> import layerax as lx
        >>> m = lx.metrics.CosineSimilarity()
        >>> m.update_state([[0.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [1.0, 1.0]])
        >>> round(float(m.result()), 4)
        0.5
    """

    def __init__(self, name: str = "cosine_similarity", dtype: Any = None, axis: int = -1) -> None:
        super().__init__(fn=cosine_similarity, name=name, dtype=dtype, axis=axis)
        self.axis = axis
        self._direction = "up"


class LogCoshError(_SimpleWrapper):
    """Mean of `log(cosh(y_pred - y_true))` over every sample seen.

    Example:
        >>> import layerax as lx
        >>> m = lx.metrics.LogCoshError()
        >>> m.update_state([[0.0]], [[1.0]])
        >>> round(float(m.result()), 4)
        0.4338
    """

    def __init__(self, name: str = "logcosh", dtype: Any = None) -> None:
        super().__init__(fn=log_cosh, name=name, dtype=dtype)
        self._direction = "down"


__all__ = [
    "CosineSimilarity",
    "LogCoshError",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanSquaredError",
    "MeanSquaredLogarithmicError",
    "RootMeanSquaredError",
    "cosine_similarity",
]
