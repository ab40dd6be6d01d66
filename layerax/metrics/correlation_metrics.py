"""Correlation metrics: Pearson's and Lin's concordance coefficient, per sample then averaged."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from layerax import config as _config
from layerax.core import registry
from layerax.losses.base import squeeze_or_expand_to_same_rank, to_array
from layerax.metrics.reduction_metrics import _SimpleWrapper


def _prepare(y_true: Any, y_pred: Any) -> tuple[jax.Array, jax.Array]:
    y_pred = to_array(y_pred)
    y_true = to_array(y_true, y_pred.dtype)
    return squeeze_or_expand_to_same_rank(y_true, y_pred)


@registry.register("metrics.functions")
def pearson_correlation(y_true: Any, y_pred: Any, axis: Any = -1) -> jax.Array:
    """Pearson correlation of `y_true` and `y_pred` along `axis`.

    Both are centred and divided by their (population) standard deviation;
    the result is the mean of their product along `axis`.

    Args:
        y_true: Targets.
        y_pred: Predictions, same shape.
        axis: Axis (or axes) along which to correlate.

    Returns:
        The coefficients, with `axis` reduced.

    Example:
        >>> import layerax as lx
        >>> r = lx.metrics.pearson_correlation([[0.0, 1.0, 2.0]], [[1.0, 3.0, 5.0]])
        >>> [round(float(v), 4) for v in r]
        [1.0]
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    true_c = y_true - jnp.mean(y_true, axis=axis, keepdims=True)
    pred_c = y_pred - jnp.mean(y_pred, axis=axis, keepdims=True)
    true_c = true_c / jnp.std(true_c, axis=axis, keepdims=True)
    pred_c = pred_c / jnp.std(pred_c, axis=axis, keepdims=True)
    return jnp.mean(true_c * pred_c, axis=axis)


@registry.register("metrics.functions")
def concordance_correlation(y_true: Any, y_pred: Any, axis: Any = -1) -> jax.Array:
    """Lin's concordance correlation of `y_true` and `y_pred` along `axis`.

    `2 cov(t, p) / (var(t) + var(p) + (mean(t) - mean(p))**2)`, with
    population statistics and `lx.config.epsilon()` added to the denominator.

    Args:
        y_true: Targets.
        y_pred: Predictions, same shape.
        axis: Axis (or axes) along which to compare.

    Returns:
        The coefficients, with `axis` reduced.

    Example:
        >>> import layerax as lx
        >>> c = lx.metrics.concordance_correlation([[0.0, 1.0, 2.0]], [[0.0, 1.0, 2.0]])
        >>> [round(float(v), 4) for v in c]
        [1.0]
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    true_mean = jnp.mean(y_true, axis=axis, keepdims=True)
    pred_mean = jnp.mean(y_pred, axis=axis, keepdims=True)
    true_var = jnp.var(y_true, axis=axis, keepdims=True)
    pred_var = jnp.var(y_pred, axis=axis, keepdims=True)
    covariance_terms = (y_true - true_mean) * (y_pred - pred_mean)
    norm = true_var + pred_var + jnp.square(true_mean - pred_mean)
    return jnp.mean(2.0 * covariance_terms / (norm + _config.epsilon()), axis=axis)


@registry.register("metrics", "pearson_correlation")
class PearsonCorrelation(_SimpleWrapper):
    """Mean over samples of the Pearson correlation along `axis` (1 is best).

    Args:
        name: Metric name.
        dtype: Computation dtype.
        axis: Axis (or axes) along which each sample is correlated.

    Example:
        >>> import layerax as lx
        >>> m = lx.metrics.PearsonCorrelation()
        >>> m.update_state([[0, 1, 0.5], [1, 1, 0.2]], [[0.1, 0.9, 0.5], [1, 0.9, 0.2]])
        >>> round(float(m.result()), 4)
        0.9967
    """

    _config_keys = ("axis",)

    def __init__(
        self, name: str = "pearson_correlation", dtype: Any = None, axis: Any = -1
    ) -> None:
        super().__init__(fn=pearson_correlation, name=name, dtype=dtype, axis=axis)
        self.axis = axis
        self._direction = "up"


@registry.register("metrics", "concordance_correlation")
class ConcordanceCorrelation(_SimpleWrapper):
    """Mean over samples of Lin's concordance correlation along `axis` (1 is best).

    Args:
        name: Metric name.
        dtype: Computation dtype.
        axis: Axis (or axes) along which each sample is compared.

    Example:
        >>> import layerax as lx
        >>> m = lx.metrics.ConcordanceCorrelation()
        >>> m.update_state([[0, 1, 0.5], [1, 1, 0.2]], [[0.1, 0.9, 0.5], [1, 0.9, 0.2]])
        >>> round(float(m.result()), 4)
        0.9816
    """

    _config_keys = ("axis",)

    def __init__(
        self, name: str = "concordance_correlation", dtype: Any = None, axis: Any = -1
    ) -> None:
        super().__init__(fn=concordance_correlation, name=name, dtype=dtype, axis=axis)
        self.axis = axis
        self._direction = "up"


__all__ = [
    "ConcordanceCorrelation",
    "PearsonCorrelation",
    "concordance_correlation",
    "pearson_correlation",
]
