"""Accuracy metrics: exact, binary, categorical, sparse categorical and top-k."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from layerax import config as _config
from layerax.core import registry
from layerax.losses.base import squeeze_or_expand_to_same_rank, to_array
from layerax.metrics.reduction_metrics import _SimpleWrapper


def _floatx() -> Any:
    return jnp.dtype(_config.floatx())


@registry.register("metrics.functions")
def accuracy(y_true: Any, y_pred: Any) -> jax.Array:
    """1.0 where `y_true == y_pred` exactly, else 0.0.

    Example:
        >>> import layerax as lx
        >>> lx.metrics.accuracy([1, 2, 3], [1, 2, 4]).tolist()
        [1.0, 1.0, 0.0]
    """
    y_pred = to_array(y_pred)
    y_true = to_array(y_true, y_pred.dtype)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return (y_true == y_pred).astype(_floatx())


@registry.register("metrics.functions")
def binary_accuracy(y_true: Any, y_pred: Any, threshold: float = 0.5) -> jax.Array:
    """1.0 where `(y_pred > threshold) == y_true`, else 0.0.

    Example:
        >>> import layerax as lx
        >>> lx.metrics.binary_accuracy([1, 0, 1], [0.9, 0.6, 0.2]).tolist()
        [1.0, 0.0, 0.0]
    """
    y_pred = to_array(y_pred)
    y_true = to_array(y_true)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    y_pred = (y_pred > threshold).astype(y_true.dtype)
    return (y_true == y_pred).astype(_floatx())


@registry.register("metrics.functions")
def categorical_accuracy(y_true: Any, y_pred: Any) -> jax.Array:
    """1.0 where `argmax(y_true) == argmax(y_pred)` (one-hot labels), else 0.0.

    Example:
        >>> import layerax as lx
        >>> lx.metrics.categorical_accuracy([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]]).tolist()
        [0.0, 1.0]
    """
    y_pred = to_array(y_pred)
    y_true = jnp.argmax(to_array(y_true), axis=-1).astype(y_pred.dtype)
    original_shape = y_true.shape
    reshape = False
    if y_true.ndim == y_pred.ndim:
        y_true = jnp.squeeze(y_true, -1)
        reshape = True
    predicted = jnp.argmax(y_pred, axis=-1).astype(y_true.dtype)
    matches = (y_true == predicted).astype(_floatx())
    return jnp.reshape(matches, original_shape) if reshape else matches


@registry.register("metrics.functions")
def sparse_categorical_accuracy(y_true: Any, y_pred: Any) -> jax.Array:
    """1.0 where the integer label equals `argmax(y_pred)`, else 0.0.

    Example:
        >>> import layerax as lx
        >>> lx.metrics.sparse_categorical_accuracy([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]]).tolist()
        [0.0, 1.0]
    """
    y_pred = to_array(y_pred)
    y_true = to_array(y_true, y_pred.dtype)
    original_shape = y_true.shape
    reshape = False
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = jnp.squeeze(y_true, -1)
        reshape = True
    predicted = jnp.argmax(y_pred, axis=-1).astype(y_true.dtype)
    matches = (y_true == predicted).astype(_floatx())
    if reshape:
        matches = jnp.reshape(matches, original_shape)
    if matches.ndim > 1 and matches.shape[-1] == 1:
        matches = jnp.squeeze(matches, -1)
    return matches


def _in_top_k(targets: jax.Array, predictions: jax.Array, k: int) -> jax.Array:
    at_label = jnp.take_along_axis(predictions, targets[..., None], axis=-1)
    # A NaN score never counts as a high one.
    at_label = jnp.where(jnp.isnan(at_label), -jnp.inf, at_label)
    rank = 1 + jnp.sum(predictions > at_label, axis=-1)
    return rank <= k


@registry.register("metrics.functions")
def top_k_categorical_accuracy(y_true: Any, y_pred: Any, k: int = 5) -> jax.Array:
    """1.0 where the one-hot label's class is among the `k` highest scores.

    Example:
        >>> import layerax as lx
        >>> lx.metrics.top_k_categorical_accuracy([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.6, 0.05, 0.35]], k=2).tolist()
        [1.0, 0.0]
    """
    y_pred = to_array(y_pred)
    y_true = jnp.argmax(to_array(y_true, y_pred.dtype), axis=-1)
    return _top_k_matches(y_true.astype(jnp.int32), y_pred, k)


def _top_k_matches(y_true: jax.Array, y_pred: jax.Array, k: int) -> jax.Array:
    original_shape = y_true.shape
    if y_pred.ndim > 2:
        y_pred = jnp.reshape(y_pred, (-1, y_pred.shape[-1]))
    reshape = y_true.ndim > 1
    if reshape:
        y_true = jnp.reshape(y_true, (-1,))
    matches = _in_top_k(y_true, y_pred, k).astype(_floatx())
    return jnp.reshape(matches, original_shape) if reshape else matches


@registry.register("metrics.functions")
def sparse_top_k_categorical_accuracy(
    y_true: Any, y_pred: Any, k: int = 5, from_sorted_ids: bool = False
) -> jax.Array:
    """1.0 where the integer label is among the `k` highest scores.

    With `from_sorted_ids=True`, `y_pred` holds class ids sorted by score and
    the label is looked up among the first `k`.

    Example:
        >>> import layerax as lx
        >>> lx.metrics.sparse_top_k_categorical_accuracy([2, 1], [[0.1, 0.9, 0.8], [0.6, 0.05, 0.35]], k=2).tolist()
        [1.0, 0.0]
    """
    y_pred = to_array(y_pred)
    if from_sorted_ids:
        y_true = to_array(y_true, y_pred.dtype)
        original_shape = y_true.shape
        if y_pred.ndim > 2:
            y_pred = jnp.reshape(y_pred, (-1, y_pred.shape[-1]))
        flat = jnp.reshape(y_true, (-1,)) if y_true.ndim > 1 else y_true
        matches = jnp.any(flat[:, None] == y_pred[:, :k], axis=1).astype(_floatx())
        return jnp.reshape(matches, original_shape) if y_true.ndim > 1 else matches
    y_true = to_array(y_true).astype(jnp.int32)
    return _top_k_matches(y_true, y_pred, k)


@registry.register("metrics", "accuracy")
class Accuracy(_SimpleWrapper):
    """How often predictions equal labels exactly.

    Example:
        >>> import layerax as lx
        >>> m = lx.metrics.Accuracy()
        >>> m.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]])
        >>> float(m.result())
        0.75
    """

    def __init__(self, name: str = "accuracy", dtype: Any = None) -> None:
        super().__init__(fn=accuracy, name=name, dtype=dtype)
        self._direction = "up"


@registry.register("metrics", "binary_accuracy")
class BinaryAccuracy(_SimpleWrapper):
    """How often `y_pred > threshold` matches the binary labels.

    Args:
        threshold: Probability above which a prediction counts as 1.

    Example:
        >>> import layerax as lx
        >>> m = lx.metrics.BinaryAccuracy()
        >>> m.update_state([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]])
        >>> float(m.result())
        0.75
    """

    _config_keys = ("threshold",)

    def __init__(self, name: str = "binary_accuracy", dtype: Any = None, threshold: float = 0.5) -> None:
        super().__init__(fn=binary_accuracy, name=name, dtype=dtype, threshold=threshold)
        self.threshold = threshold
        self._direction = "up"


@registry.register("metrics", "categorical_accuracy")
class CategoricalAccuracy(_SimpleWrapper):
    """How often the argmax of the predictions matches the one-hot labels.

    Example:
        >>> import layerax as lx
        >>> m = lx.metrics.CategoricalAccuracy()
        >>> m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
        >>> float(m.result())
        0.5
    """

    def __init__(self, name: str = "categorical_accuracy", dtype: Any = None) -> None:
        super().__init__(fn=categorical_accuracy, name=name, dtype=dtype)
        self._direction = "up"


@registry.register("metrics", "sparse_categorical_accuracy")
class SparseCategoricalAccuracy(_SimpleWrapper):
    """How often the argmax of the predictions matches the integer labels.

    Example:
        >>> import layerax as lx
        >>> m = lx.metrics.SparseCategoricalAccuracy()
        >>> m.update_state([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]])
        >>> float(m.result())
        0.5
    """

    def __init__(self, name: str = "sparse_categorical_accuracy", dtype: Any = None) -> None:
        super().__init__(fn=sparse_categorical_accuracy, name=name, dtype=dtype)
        self._direction = "up"


@registry.register("metrics", "top_k_categorical_accuracy")
class TopKCategoricalAccuracy(_SimpleWrapper):
    """How often the one-hot label's class is among the top `k` predictions.

    Example:
        >>> import layerax as lx
        >>> m = lx.metrics.TopKCategoricalAccuracy(k=1)
        >>> m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
        >>> float(m.result())
        0.5
    """

    _config_keys = ("k",)

    def __init__(self, k: int = 5, name: str = "top_k_categorical_accuracy", dtype: Any = None) -> None:
        super().__init__(fn=top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
        self.k = k
        self._direction = "up"


@registry.register("metrics", "sparse_top_k_categorical_accuracy")
class SparseTopKCategoricalAccuracy(_SimpleWrapper):
    """How often the integer label is among the top `k` predictions.

    Example:
        >>> import layerax as lx
        >>> m = lx.metrics.SparseTopKCategoricalAccuracy(k=1)
        >>> m.update_state([2, 1], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
        >>> float(m.result())
        0.5
    """

    def __init__(
        self, k: int = 5, name: str = "sparse_top_k_categorical_accuracy", dtype: Any = None,
        from_sorted_ids: bool = False,
    ) -> None:
        super().__init__(
            fn=sparse_top_k_categorical_accuracy, name=name, dtype=dtype, k=k,
            from_sorted_ids=from_sorted_ids,
        )
        self.k = k
        self.from_sorted_ids = from_sorted_ids
        self._direction = "up"

    def get_config(self) -> dict[str, Any]:
        config = {"name": self.name, "dtype": self.dtype, "k": self.k}
        if self.from_sorted_ids:
            config["from_sorted_ids"] = True
        return config


__all__ = [
    "Accuracy",
    "BinaryAccuracy",
    "CategoricalAccuracy",
    "SparseCategoricalAccuracy",
    "SparseTopKCategoricalAccuracy",
    "TopKCategoricalAccuracy",
    "accuracy",
    "binary_accuracy",
    "categorical_accuracy",
    "sparse_categorical_accuracy",
    "sparse_top_k_categorical_accuracy",
    "top_k_categorical_accuracy",
]
