"""Overlap losses for image segmentation: Dice and Tversky."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from layerax import config as _config
from layerax.core import registry
from layerax.losses.base import _ConfiguredWrapper, check_same_shape, to_array

Axis = int | tuple[int, ...] | None


def _axis(axis: Any) -> Axis:
    # Configs read back from JSON give lists; jnp.sum wants a tuple.
    return tuple(axis) if isinstance(axis, list) else axis


@registry.register("losses")
def dice(y_true: Any, y_pred: Any, axis: Axis = None) -> jax.Array:
    """Dice loss `1 - 2 * sum(y_true * y_pred) / (sum(y_true) + sum(y_pred) + epsilon)`.

    Args:
        y_true: Targets (e.g. binary masks).
        y_pred: Predictions (e.g. probabilities), same shape as `y_true`.
        axis: Axes the sums run over; `None` (default) sums over everything
            and gives one scalar.

    Returns:
        The loss, with the `axis` dimensions reduced.

    Example:
        >>> import layerax as lx
        >>> lx.losses.dice([[1.0, 0.0], [1.0, 1.0]], [[1.0, 0.0], [0.0, 1.0]], axis=1).tolist()
        [0.0, 0.3333333134651184]
    """
    y_pred = to_array(y_pred)
    y_true = to_array(y_true, y_pred.dtype)
    check_same_shape("dice", y_true, y_pred)
    axis = _axis(axis)
    intersection = jnp.sum(y_true * y_pred, axis=axis)
    total = jnp.sum(y_true, axis=axis) + jnp.sum(y_pred, axis=axis) + _config.epsilon()
    return 1 - 2.0 * intersection / total


@registry.register("losses")
def tversky(
    y_true: Any, y_pred: Any, alpha: float = 0.5, beta: float = 0.5, axis: Axis = None
) -> jax.Array:
    """Tversky loss `1 - TP / (TP + alpha * FP + beta * FN + epsilon)`, soft counts.

    `TP = sum(y_true * y_pred)`, `FP = sum((1 - y_pred) * y_true)` and
    `FN = sum(y_pred * (1 - y_true))` (Keras 3's definitions). With
    `alpha = beta = 0.5` it is the Dice loss.

    Args:
        y_true: Targets.
        y_pred: Predictions, same shape as `y_true`.
        alpha: Weight of the `FP` term.
        beta: Weight of the `FN` term.
        axis: Axes the sums run over; `None` (default) sums over everything.

    Returns:
        The loss, with the `axis` dimensions reduced.

    Example:
        >>> import layerax as lx
        >>> loss = lx.losses.tversky([1.0, 1.0, 0.0], [1.0, 0.0, 1.0], alpha=0.3, beta=0.7)
        >>> round(float(loss), 4)
        0.5
    """
    y_pred = to_array(y_pred)
    y_true = to_array(y_true, y_pred.dtype)
    check_same_shape("tversky", y_true, y_pred)
    axis = _axis(axis)
    true_pos = jnp.sum(y_true * y_pred, axis=axis)
    false_pos = jnp.sum((1 - y_pred) * y_true, axis=axis)
    false_neg = jnp.sum(y_pred * (1 - y_true), axis=axis)
    denominator = true_pos + alpha * false_pos + beta * false_neg + _config.epsilon()
    return 1 - true_pos / denominator


@registry.register("losses")
class Dice(_ConfiguredWrapper):
    """Dice loss (see `lx.losses.dice`), reduced over the batch.

    Args:
        reduction: See `lx.losses.Loss`.
        name: Loss name.
        axis: Axes the overlap sums run over (`None`: all of them).
        dtype: Computation dtype.

    Example:
        >>> import layerax as lx
        >>> loss = lx.losses.Dice(axis=1, reduction=None)
        >>> loss([[1.0, 0.0], [1.0, 1.0]], [[1.0, 0.0], [0.0, 1.0]]).tolist()
        [0.0, 0.3333333134651184]
    """

    _config_keys = ("axis",)

    def __init__(self, reduction: Any = "sum_over_batch_size", name: str = "dice", axis: Axis = None,
                 dtype: Any = None) -> None:
        super().__init__(dice, reduction=reduction, name=name, dtype=dtype, axis=axis)
        self.axis = axis


@registry.register("losses")
class Tversky(_ConfiguredWrapper):
    """Tversky loss (see `lx.losses.tversky`), reduced over the batch.

    Args:
        alpha: Weight of the false-positive term.
        beta: Weight of the false-negative term.
        reduction: See `lx.losses.Loss`.
        name: Loss name.
        axis: Axes the sums run over (`None`: all of them).
        dtype: Computation dtype.

    Example:
        >>> import layerax as lx
        >>> loss = lx.losses.Tversky(alpha=0.3, beta=0.7)
        >>> round(float(loss([1.0, 1.0, 0.0], [1.0, 0.0, 1.0])), 4)
        0.5
    """

    _config_keys = ("alpha", "beta", "axis")

    def __init__(self, alpha: float = 0.5, beta: float = 0.5, reduction: Any = "sum_over_batch_size",
                 name: str = "tversky", axis: Axis = None, dtype: Any = None) -> None:
        super().__init__(tversky, reduction=reduction, name=name, dtype=dtype, alpha=alpha, beta=beta,
                         axis=axis)
        self.alpha = alpha
        self.beta = beta
        self.axis = axis


__all__ = ["Dice", "Tversky", "dice", "tversky"]
