"""Regression losses: MSE, MAE, MAPE, MSLE, cosine similarity, Huber, log-cosh."""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp

from layerax import config as _config
from layerax.core import registry
from layerax.losses.base import (
    _ConfiguredWrapper,
    check_same_shape,
    squeeze_or_expand_to_same_rank,
    to_array,
)


def _prepare(y_true: Any, y_pred: Any, fn: str) -> tuple[jax.Array, jax.Array]:
    y_pred = to_array(y_pred)
    y_true = to_array(y_true, y_pred.dtype)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    check_same_shape(fn, y_true, y_pred)
    return y_true, y_pred


@registry.register("losses", "mse", "MSE")
@registry.register("metrics.functions")
def mean_squared_error(y_true: Any, y_pred: Any) -> jax.Array:
    """`mean(square(y_true - y_pred), axis=-1)`.

    Example:
        >>> import layerax as lx
        >>> lx.losses.mean_squared_error([[0.0, 1.0]], [[1.0, 1.0]]).tolist()
        [0.5]
    """
    y_true, y_pred = _prepare(y_true, y_pred, "mean_squared_error")
    return jnp.mean(jnp.square(y_true - y_pred), axis=-1)


@registry.register("losses", "mae", "MAE")
@registry.register("metrics.functions")
def mean_absolute_error(y_true: Any, y_pred: Any) -> jax.Array:
    """`mean(abs(y_true - y_pred), axis=-1)`.

    Example:
        >>> import layerax as lx
        >>> lx.losses.mean_absolute_error([[0.0, 1.0]], [[2.0, 1.0]]).tolist()
        [1.0]
    """
    y_true, y_pred = _prepare(y_true, y_pred, "mean_absolute_error")
    return jnp.mean(jnp.abs(y_true - y_pred), axis=-1)


@registry.register("losses", "mape", "MAPE")
@registry.register("metrics.functions")
def mean_absolute_percentage_error(y_true: Any, y_pred: Any) -> jax.Array:
    """`100 * mean(abs((y_true - y_pred) / max(abs(y_true), epsilon)), axis=-1)`.

    Example:
        >>> import layerax as lx
        >>> lx.losses.mean_absolute_percentage_error([[2.0, 4.0]], [[1.0, 4.0]]).tolist()
        [25.0]
    """
    y_true, y_pred = _prepare(y_true, y_pred, "mean_absolute_percentage_error")
    eps = jnp.asarray(_config.epsilon(), y_pred.dtype)
    diff = jnp.abs((y_true - y_pred) / jnp.maximum(jnp.abs(y_true), eps))
    return 100.0 * jnp.mean(diff, axis=-1)


@registry.register("losses", "msle", "MSLE")
@registry.register("metrics.functions")
def mean_squared_logarithmic_error(y_true: Any, y_pred: Any) -> jax.Array:
    """`mean(square(log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1)), axis=-1)`.

    Example:
        >>> import layerax as lx
        >>> round(lx.losses.mean_squared_logarithmic_error([[0.0]], [[1.0]]).tolist()[0], 4)
        0.4805
    """
    y_true, y_pred = _prepare(y_true, y_pred, "mean_squared_logarithmic_error")
    eps = _config.epsilon()
    first = jnp.log(jnp.maximum(y_pred, eps) + 1.0)
    second = jnp.log(jnp.maximum(y_true, eps) + 1.0)
    return jnp.mean(jnp.square(first - second), axis=-1)


def l2_normalize(x: jax.Array, axis: Any = -1) -> jax.Array:
    """`x * min(rsqrt(sum(x**2)), 1 / epsilon)` along `axis` (Keras' `ops.normalize`)."""
    inv_norm = jax.lax.rsqrt(jnp.sum(jnp.square(x), axis=axis, keepdims=True))
    return x * jnp.minimum(inv_norm, 1.0 / _config.epsilon())


@registry.register("losses")
def cosine_similarity(y_true: Any, y_pred: Any, axis: int = -1) -> jax.Array:
    """`-sum(l2_normalize(y_true) * l2_normalize(y_pred), axis)` (in `[-1, 1]`; -1 is best).

    Example:
        >>> import layerax as lx
        >>> lx.losses.cosine_similarity([[0.0, 1.0]], [[0.0, 3.0]]).tolist()
        [-1.0]
    """
    y_true, y_pred = _prepare(y_true, y_pred, "cosine_similarity")
    return -jnp.sum(l2_normalize(y_true, axis) * l2_normalize(y_pred, axis), axis=axis)


@registry.register("losses")
@registry.register("metrics.functions")
def huber(y_true: Any, y_pred: Any, delta: float = 1.0) -> jax.Array:
    """Mean of `0.5 * e**2` where `|e| <= delta`, else `delta * |e| - 0.5 * delta**2`.

    Example:
        >>> import layerax as lx
        >>> lx.losses.huber([[0.0, 0.0]], [[0.5, 3.0]]).tolist()
        [1.3125]
    """
    y_true, y_pred = _prepare(y_true, y_pred, "huber")
    delta = jnp.asarray(delta, y_pred.dtype)
    error = y_pred - y_true
    abs_error = jnp.abs(error)
    quadratic = 0.5 * jnp.square(error)
    linear = delta * abs_error - 0.5 * jnp.square(delta)
    return jnp.mean(jnp.where(abs_error <= delta, quadratic, linear), axis=-1)


@registry.register("losses")
@registry.register("metrics.functions")
def log_cosh(y_true: Any, y_pred: Any) -> jax.Array:
    """`mean(log(cosh(y_pred - y_true)), axis=-1)`, computed stably as `x + softplus(-2x) - log 2`.

    Example:
        >>> import layerax as lx
        >>> round(lx.losses.log_cosh([[0.0]], [[1.0]]).tolist()[0], 4)
        0.4338
    """
    y_true, y_pred = _prepare(y_true, y_pred, "log_cosh")
    x = y_pred - y_true
    values = x + jax.nn.softplus(-2.0 * x) - jnp.asarray(math.log(2.0), y_pred.dtype)
    return jnp.mean(values, axis=-1)


@registry.register("losses")
class MeanSquaredError(_ConfiguredWrapper):
    """Mean of squared errors: `mean(square(y_true - y_pred))`.

    Args:
        reduction: See `lx.losses.Loss`.
        name: Loss name.
        dtype: Computation dtype.

    Example:
        >>> import layerax as lx
        >>> float(lx.losses.MeanSquaredError()([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [1.0, 0.0]]))
        0.5
    """

    def __init__(self, reduction: Any = "sum_over_batch_size", name: str = "mean_squared_error", dtype: Any = None) -> None:
        super().__init__(mean_squared_error, reduction=reduction, name=name, dtype=dtype)


@registry.register("losses")
class MeanAbsoluteError(_ConfiguredWrapper):
    """Mean of absolute errors: `mean(abs(y_true - y_pred))`.

    Example:
        >>> import layerax as lx
        >>> float(lx.losses.MeanAbsoluteError()([[0.0, 1.0]], [[1.0, 3.0]]))
        1.5
    """

    def __init__(self, reduction: Any = "sum_over_batch_size", name: str = "mean_absolute_error", dtype: Any = None) -> None:
        super().__init__(mean_absolute_error, reduction=reduction, name=name, dtype=dtype)


@registry.register("losses")
class MeanAbsolutePercentageError(_ConfiguredWrapper):
    """`100 * mean(abs((y_true - y_pred) / y_true))`.

    Example:
        >>> import layerax as lx
        >>> float(lx.losses.MeanAbsolutePercentageError()([[2.0, 4.0]], [[1.0, 4.0]]))
        25.0
    """

    def __init__(
        self, reduction: Any = "sum_over_batch_size", name: str = "mean_absolute_percentage_error", dtype: Any = None
    ) -> None:
        super().__init__(mean_absolute_percentage_error, reduction=reduction, name=name, dtype=dtype)


@registry.register("losses")
class MeanSquaredLogarithmicError(_ConfiguredWrapper):
    """`mean(square(log(y_true + 1) - log(y_pred + 1)))`.

    Example:
        >>> import layerax as lx
        >>> round(float(lx.losses.MeanSquaredLogarithmicError()([[0.0]], [[1.0]])), 4)
        0.4805
    """

    def __init__(
        self, reduction: Any = "sum_over_batch_size", name: str = "mean_squared_logarithmic_error", dtype: Any = None
    ) -> None:
        super().__init__(mean_squared_logarithmic_error, reduction=reduction, name=name, dtype=dtype)


@registry.register("losses")
class CosineSimilarity(_ConfiguredWrapper):
    """Negative cosine similarity between labels and predictions along `axis`.

    Args:
        axis: The axis along which the similarity is computed.

    Example:
        >>> import layerax as lx
        >>> float(lx.losses.CosineSimilarity()([[0.0, 1.0], [1.0, 0.0]], [[0.0, 2.0], [0.0, 1.0]]))
        -0.5
    """

    _config_keys = ("axis",)

    def __init__(
        self, axis: int = -1, reduction: Any = "sum_over_batch_size", name: str = "cosine_similarity", dtype: Any = None
    ) -> None:
        super().__init__(cosine_similarity, reduction=reduction, name=name, dtype=dtype, axis=axis)
        self.axis = axis


@registry.register("losses")
class Huber(_ConfiguredWrapper):
    """Huber loss: quadratic for errors up to `delta`, linear beyond.

    Args:
        delta: Where the loss changes from quadratic to linear.

    Example:
        >>> import layerax as lx
        >>> float(lx.losses.Huber()([[0.0, 0.0]], [[0.5, 3.0]]))
        1.3125
    """

    _config_keys = ("delta",)

    def __init__(
        self, delta: float = 1.0, reduction: Any = "sum_over_batch_size", name: str = "huber_loss", dtype: Any = None
    ) -> None:
        super().__init__(huber, reduction=reduction, name=name, dtype=dtype, delta=delta)
        self.delta = delta


@registry.register("losses")
class LogCosh(_ConfiguredWrapper):
    """Mean of `log(cosh(y_pred - y_true))`.

    Example:
        >>> import layerax as lx
        >>> round(float(lx.losses.LogCosh()([[0.0]], [[1.0]])), 4)
        0.4338
    """

    def __init__(self, reduction: Any = "sum_over_batch_size", name: str = "log_cosh", dtype: Any = None) -> None:
        super().__init__(log_cosh, reduction=reduction, name=name, dtype=dtype)


__all__ = [
    "CosineSimilarity",
    "Huber",
    "LogCosh",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanSquaredError",
    "MeanSquaredLogarithmicError",
    "cosine_similarity",
    "huber",
    "log_cosh",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
]
