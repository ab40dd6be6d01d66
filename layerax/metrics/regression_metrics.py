"""Regression metrics: MSE, MAE, MAPE, MSLE, RMSE, cosine similarity, log-cosh error, R2."""

from __future__ import annotations

import warnings
from typing import Any

import jax
import jax.numpy as jnp

from layerax.core import registry
from layerax.losses.base import squeeze_or_expand_to_same_rank, to_array
from layerax.losses.regression_losses import (
    l2_normalize,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
)
from layerax.metrics.base import Metric
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


@registry.register("metrics", "mean_squared_error", "mse", "MSE")
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


@registry.register("metrics", "mean_absolute_error", "mae", "MAE")
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


@registry.register("metrics", "mean_absolute_percentage_error", "mape", "MAPE")
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


@registry.register("metrics", "mean_squared_logarithmic_error", "msle", "MSLE")
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


@registry.register("metrics", "root_mean_squared_error")
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


@registry.register("metrics", "cosine_similarity")
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


@registry.register("metrics", "log_cosh_error")
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


_CLASS_AGGREGATIONS = (None, "uniform_average", "variance_weighted_average")


@registry.register("metrics", "r2_score")
class R2Score(Metric):
    """Coefficient of determination `1 - SS_res / SS_tot`, per output, over every sample seen.

    The state is per-output sums of the (weighted) targets, squared targets,
    squared residuals and weights, created on the first update from
    `y_pred.shape[-1]`. With `num_regressors > 0` the adjusted R2
    `1 - (1 - R2) (n - 1) / (n - p - 1)` is returned (`n` counts every
    element seen); when `p >= n - 1` the plain R2 is returned instead.

    Args:
        class_aggregation: How per-output scores combine: `"uniform_average"`
            (their mean), `"variance_weighted_average"` (weighted by each
            output's total sum of squares) or `None` (one score per output).
        num_regressors: Number of independent regressors (`p`) of the
            adjusted R2; 0 gives the plain R2.
        name: Metric name.
        dtype: Computation dtype.

    Inputs are 2D: `(batch_size, output_dim)`.

    Example:
        >>> import layerax as lx
        >>> m = lx.metrics.R2Score()
        >>> m.update_state([[1.0], [4.0], [3.0]], [[2.0], [4.0], [4.0]])
        >>> round(float(m.result()), 4)
        0.5714
    """

    def __init__(
        self,
        class_aggregation: str | None = "uniform_average",
        num_regressors: int = 0,
        name: str = "r2_score",
        dtype: Any = None,
    ) -> None:
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        if class_aggregation not in _CLASS_AGGREGATIONS:
            raise ValueError(
                f"R2Score: invalid `class_aggregation`. Expected one of {_CLASS_AGGREGATIONS}. "
                f"Received: class_aggregation={class_aggregation!r}"
            )
        if num_regressors < 0:
            raise ValueError(
                "R2Score: `num_regressors` must be >= 0 (0 gives the plain R2). "
                f"Received: num_regressors={num_regressors}"
            )
        self.class_aggregation = class_aggregation
        self.num_regressors = num_regressors
        self.num_samples = self.add_variable(shape=(), initializer="zeros", name="num_samples")
        self._built = False

    def _build(self, y_true_shape: tuple[int, ...], y_pred_shape: tuple[int, ...]) -> None:
        if len(y_pred_shape) != 2 or len(y_true_shape) != 2:
            raise ValueError(
                "R2Score expects 2D inputs of shape (batch_size, output_dim); reshape 1D "
                f"targets to (-1, 1). Received: y_true.shape={tuple(y_true_shape)}, "
                f"y_pred.shape={tuple(y_pred_shape)}"
            )
        outputs = (y_pred_shape[-1],)
        self.squared_sum = self.add_variable(shape=outputs, initializer="zeros", name="squared_sum")
        self.sum = self.add_variable(shape=outputs, initializer="zeros", name="sum")
        self.total_mse = self.add_variable(shape=outputs, initializer="zeros", name="residual")
        self.count = self.add_variable(shape=outputs, initializer="zeros", name="count")
        self._built = True

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        y_true = to_array(y_true, self.dtype)
        y_pred = to_array(y_pred, self.dtype)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        if not self._built:
            self._build(y_true.shape, y_pred.shape)
        if sample_weight is None:
            weights = jnp.ones((), self.dtype)
        else:
            weights = to_array(sample_weight, self.dtype)
        if weights.ndim == 1:
            weights = weights[:, None]  # one weight per sample
        weights = jnp.broadcast_to(weights, y_true.shape)
        weighted_true = y_true * weights
        self.sum.assign(self.sum.value + jnp.sum(weighted_true, axis=0))
        self.squared_sum.assign(self.squared_sum.value + jnp.sum(y_true * weighted_true, axis=0))
        squared_residuals = jnp.square(y_true - y_pred) * weights
        self.total_mse.assign(self.total_mse.value + jnp.sum(squared_residuals, axis=0))
        self.count.assign(self.count.value + jnp.sum(weights, axis=0))
        self.num_samples.assign(self.num_samples.value + jnp.asarray(y_true.size, self.dtype))

    def result(self) -> jax.Array:
        total = self.squared_sum.value - self.sum.value * (self.sum.value / self.count.value)
        raw_scores = 1.0 - self.total_mse.value / total
        raw_scores = jnp.where(jnp.isinf(raw_scores), 0.0, raw_scores)
        if self.class_aggregation == "uniform_average":
            score = jnp.mean(raw_scores)
        elif self.class_aggregation == "variance_weighted_average":
            score = jnp.sum(total * raw_scores) / jnp.sum(total)
        else:
            score = raw_scores
        if self.num_regressors == 0:
            return score
        n = self.num_samples.value.astype("float32")
        p = float(self.num_regressors)
        _warn_if_not_adjustable(n, p)
        adjusted = 1.0 - (1.0 - score) * (n - 1.0) / jnp.where(n - p - 1.0 > 0, n - p - 1.0, 1.0)
        return jnp.where(p < n - 1.0, adjusted, score)

    def reset_state(self) -> None:
        for v in self.variables:
            v.assign(jnp.zeros(v.shape, v.dtype))

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "class_aggregation": self.class_aggregation,
            "num_regressors": self.num_regressors,
        }


def _warn_if_not_adjustable(n: jax.Array, p: float) -> None:
    # Inside a compiled step the count is abstract: the fallback happens silently there.
    if isinstance(n, jax.core.Tracer):
        return
    if p > float(n) - 1:
        warnings.warn(
            "R2Score: more regressors (`num_regressors`) than samples seen; the adjusted R2 is "
            "undefined, returning the plain R2 score.",
            stacklevel=3,
        )
    elif p == float(n) - 1:
        warnings.warn(
            "R2Score: `num_regressors` equals the number of samples seen minus one (a division by "
            "zero in the adjusted R2); returning the plain R2 score.",
            stacklevel=3,
        )


__all__ = [
    "CosineSimilarity",
    "LogCoshError",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanSquaredError",
    "MeanSquaredLogarithmicError",
    "R2Score",
    "RootMeanSquaredError",
    "cosine_similarity",
]
