"""Hinge losses for maximum-margin classification."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from layerax.core import registry
from layerax.losses.base import _ConfiguredWrapper, check_same_shape, to_array


def convert_binary_labels_to_hinge(y_true: jax.Array) -> jax.Array:
    """Maps labels in {0, 1} to {-1, 1}; leaves other labels (e.g. already -1/1) unchanged."""
    is_binary = jnp.all((y_true == 0) | (y_true == 1))
    return jnp.where(is_binary, 2.0 * y_true - 1.0, y_true)


@registry.register("losses")
@registry.register("metrics.functions")
def hinge(y_true: Any, y_pred: Any) -> jax.Array:
    """`mean(maximum(1 - y_true * y_pred, 0), axis=-1)`; 0/1 labels are mapped to -1/1.

    Example:
        >>> import layerax as lx
        >>> lx.losses.hinge([[0.0, 1.0]], [[0.5, 0.5]]).tolist()
        [1.0]
    """
    y_pred = to_array(y_pred)
    y_true = convert_binary_labels_to_hinge(to_array(y_true, y_pred.dtype))
    check_same_shape("hinge", y_true, y_pred)
    return jnp.mean(jnp.maximum(1.0 - y_true * y_pred, 0.0), axis=-1)


@registry.register("losses")
@registry.register("metrics.functions")
def squared_hinge(y_true: Any, y_pred: Any) -> jax.Array:
    """`mean(square(maximum(1 - y_true * y_pred, 0)), axis=-1)`; 0/1 labels are mapped to -1/1.

    Example:
        >>> import layerax as lx
        >>> lx.losses.squared_hinge([[0.0, 1.0]], [[0.5, 0.5]]).tolist()
        [1.25]
    """
    y_pred = to_array(y_pred)
    y_true = convert_binary_labels_to_hinge(to_array(y_true, y_pred.dtype))
    check_same_shape("squared_hinge", y_true, y_pred)
    return jnp.mean(jnp.square(jnp.maximum(1.0 - y_true * y_pred, 0.0)), axis=-1)


@registry.register("losses")
@registry.register("metrics.functions")
def categorical_hinge(y_true: Any, y_pred: Any) -> jax.Array:
    """`maximum(neg - pos + 1, 0)` with `pos = sum(y_true * y_pred)`, `neg = max((1 - y_true) * y_pred)`.

    Example:
        >>> import layerax as lx
        >>> lx.losses.categorical_hinge([[0.0, 1.0]], [[0.5, 0.25]]).tolist()
        [1.25]
    """
    y_pred = to_array(y_pred)
    y_true = to_array(y_true, y_pred.dtype)
    check_same_shape("categorical_hinge", y_true, y_pred)
    pos = jnp.sum(y_true * y_pred, axis=-1)
    neg = jnp.max((1.0 - y_true) * y_pred, axis=-1)
    return jnp.maximum(neg - pos + 1.0, jnp.zeros((), y_pred.dtype))


@registry.register("losses")
class Hinge(_ConfiguredWrapper):
    """Hinge loss; labels are -1/1 (0/1 labels are converted).

    Example:
        >>> import layerax as lx
        >>> float(lx.losses.Hinge()([[0.0, 1.0]], [[0.5, 0.5]]))
        1.0
    """

    def __init__(self, reduction: Any = "sum_over_batch_size", name: str = "hinge", dtype: Any = None) -> None:
        super().__init__(hinge, reduction=reduction, name=name, dtype=dtype)


@registry.register("losses")
class SquaredHinge(_ConfiguredWrapper):
    """Squared hinge loss; labels are -1/1 (0/1 labels are converted).

    Example:
        >>> import layerax as lx
        >>> float(lx.losses.SquaredHinge()([[0.0, 1.0]], [[0.5, 0.5]]))
        1.25
    """

    def __init__(self, reduction: Any = "sum_over_batch_size", name: str = "squared_hinge", dtype: Any = None) -> None:
        super().__init__(squared_hinge, reduction=reduction, name=name, dtype=dtype)


@registry.register("losses")
class CategoricalHinge(_ConfiguredWrapper):
    """Categorical hinge loss between one-hot labels and scores.

    Example:
        >>> import layerax as lx
        >>> float(lx.losses.CategoricalHinge()([[0.0, 1.0]], [[0.5, 0.25]]))
        1.25
    """

    def __init__(self, reduction: Any = "sum_over_batch_size", name: str = "categorical_hinge", dtype: Any = None) -> None:
        super().__init__(categorical_hinge, reduction=reduction, name=name, dtype=dtype)


__all__ = ["CategoricalHinge", "Hinge", "SquaredHinge", "categorical_hinge", "hinge", "squared_hinge"]
