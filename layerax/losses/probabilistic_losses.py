"""Probabilistic losses: cross-entropies (plain and focal), KL divergence, Poisson."""

from __future__ import annotations

import warnings
from typing import Any

import jax
import jax.numpy as jnp

from layerax import config as _config
from layerax.core import registry
from layerax.core.index_checks import check_indices
from layerax.losses.base import _ConfiguredWrapper, check_same_shape, to_array


def _check_axis(axis: Any, fn: str) -> None:
    if isinstance(axis, bool) or not isinstance(axis, int):
        raise ValueError(f"In {fn}, `axis` must be an int. Received: axis={axis!r} of type {type(axis)}")


def _warn_single_class(y_pred: jax.Array, fn: str) -> None:
    if y_pred.shape[-1] == 1:
        warnings.warn(
            f"In loss {fn}, expected y_pred.shape to be (batch_size, num_classes) with "
            f"num_classes > 1. Received: y_pred.shape={tuple(y_pred.shape)}. Consider using "
            "'binary_crossentropy' if you only have 2 classes.",
            SyntaxWarning,
            stacklevel=3,
        )


def _same_shape(target: jax.Array, output: jax.Array, fn: str) -> None:
    if target.shape != output.shape:
        raise ValueError(
            f"In {fn}, `y_true` and `y_pred` must have the same shape. Received: "
            f"y_true.shape={tuple(target.shape)}, y_pred.shape={tuple(output.shape)}. "
            "Reshape the labels to the predictions' shape (for integer class labels use "
            "sparse_categorical_crossentropy)."
        )


def _elementwise_binary_crossentropy(target: jax.Array, output: jax.Array, from_logits: bool) -> jax.Array:
    _same_shape(target, output, "binary_crossentropy")
    if from_logits:
        return -target * jax.nn.log_sigmoid(output) - (1.0 - target) * jax.nn.log_sigmoid(-output)
    eps = _config.epsilon()
    output = jnp.clip(output, eps, 1.0 - eps)
    return -(target * jnp.log(output) + (1.0 - target) * jnp.log(1.0 - output))


def _log_probabilities(output: jax.Array, from_logits: bool, axis: int) -> jax.Array:
    if from_logits:
        return jax.nn.log_softmax(output, axis=axis)
    # Probabilities are renormalized to sum to one, then clipped away from 0 and 1.
    eps = _config.epsilon()
    output = output / jnp.sum(output, axis=axis, keepdims=True)
    return jnp.log(jnp.clip(output, eps, 1.0 - eps))


@registry.register("losses", "bce", "BCE")
@registry.register("metrics.functions")
def binary_crossentropy(
    y_true: Any, y_pred: Any, from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1
) -> jax.Array:
    """Binary cross-entropy, averaged over `axis`.

    Probabilities are clipped to `[epsilon, 1 - epsilon]`; with
    `label_smoothing`, labels move towards 0.5: `y * (1 - ls) + 0.5 * ls`.

    Example:
        >>> import layerax as lx
        >>> [round(v, 4) for v in lx.losses.binary_crossentropy([[0.0, 1.0]], [[0.4, 0.6]]).tolist()]
        [0.5108]
    """
    y_pred = to_array(y_pred)
    y_true = to_array(y_true, y_pred.dtype)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    return jnp.mean(_elementwise_binary_crossentropy(y_true, y_pred, from_logits), axis=axis)


@registry.register("losses")
@registry.register("metrics.functions")
def binary_focal_crossentropy(
    y_true: Any,
    y_pred: Any,
    apply_class_balancing: bool = False,
    alpha: float = 0.25,
    gamma: float = 2.0,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> jax.Array:
    """Focal binary cross-entropy: `(1 - p_t) ** gamma * bce`, averaged over `axis`.

    With `apply_class_balancing`, positives weigh `alpha` and negatives
    `1 - alpha`.

    Example:
        >>> import layerax as lx
        >>> [round(v, 4) for v in lx.losses.binary_focal_crossentropy([[0.0, 1.0]], [[0.4, 0.6]]).tolist()]
        [0.0817]
    """
    y_pred = to_array(y_pred)
    y_true = to_array(y_true, y_pred.dtype)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        y_pred = jax.nn.sigmoid(y_pred)
    bce = _elementwise_binary_crossentropy(y_true, y_pred, from_logits=False)
    p_t = y_true * y_pred + (1 - y_true) * (1 - y_pred)
    focal = jnp.power(1.0 - p_t, gamma) * bce
    if apply_class_balancing:
        focal = (y_true * alpha + (1 - y_true) * (1 - alpha)) * focal
    return jnp.mean(focal, axis=axis)


@registry.register("losses")
@registry.register("metrics.functions")
def categorical_crossentropy(
    y_true: Any, y_pred: Any, from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1
) -> jax.Array:
    """Cross-entropy between one-hot (or soft) labels and predicted distributions.

    Probabilities are renormalized to sum to 1 and clipped to
    `[epsilon, 1 - epsilon]`; `label_smoothing` mixes the labels with the
    uniform distribution: `y * (1 - ls) + ls / num_classes`.

    Example:
        >>> import layerax as lx
        >>> [round(v, 4) for v in lx.losses.categorical_crossentropy([[0, 1, 0]], [[0.05, 0.95, 0.0]]).tolist()]
        [0.0513]
    """
    _check_axis(axis, "categorical_crossentropy")
    y_pred = to_array(y_pred)
    y_true = to_array(y_true, y_pred.dtype)
    _warn_single_class(y_pred, "categorical_crossentropy")
    if label_smoothing:
        num_classes = y_true.shape[-1]
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / num_classes
    _same_shape(y_true, y_pred, "categorical_crossentropy")
    if y_true.ndim < 1:
        raise ValueError("In categorical_crossentropy, `y_true` and `y_pred` must be at least rank 1.")
    return -jnp.sum(y_true * _log_probabilities(y_pred, from_logits, axis), axis=axis)


@registry.register("losses")
@registry.register("metrics.functions")
def categorical_focal_crossentropy(
    y_true: Any,
    y_pred: Any,
    alpha: float = 0.25,
    gamma: float = 2.0,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> jax.Array:
    """Focal categorical cross-entropy: `sum(alpha * (1 - p) ** gamma * -y * log(p), axis)`.

    Example:
        >>> import layerax as lx
        >>> [round(v, 6) for v in lx.losses.categorical_focal_crossentropy([[0, 1, 0]], [[0.05, 0.95, 0.0]]).tolist()]
        [3.2e-05]
    """
    _check_axis(axis, "categorical_focal_crossentropy")
    y_pred = to_array(y_pred)
    y_true = to_array(y_true, y_pred.dtype)
    _warn_single_class(y_pred, "categorical_focal_crossentropy")
    if label_smoothing:
        num_classes = y_true.shape[-1]
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / num_classes
    if from_logits:
        y_pred = jax.nn.softmax(y_pred, axis=axis)
    eps = _config.epsilon()
    output = jnp.clip(y_pred / jnp.sum(y_pred, axis=axis, keepdims=True), eps, 1.0 - eps)
    cce = -y_true * jnp.log(output)
    focal = alpha * jnp.power(1.0 - output, gamma) * cce
    return jnp.sum(focal, axis=axis)


def _sparse_categorical_crossentropy_with_mask(
    y_true: Any, y_pred: Any, from_logits: bool = False, ignore_class: int | None = None, axis: int = -1
) -> tuple[jax.Array, Any]:
    y_pred = to_array(y_pred)
    y_true = to_array(y_true)
    if y_pred.ndim < 1:
        raise ValueError(
            f"In sparse_categorical_crossentropy, `y_pred` must be at least rank 1. "
            f"Received: y_pred.shape={tuple(y_pred.shape)}"
        )
    if y_true.ndim == y_pred.ndim and y_true.shape[axis] == 1:
        y_true = jnp.squeeze(y_true, axis=axis)
    valid = None
    if ignore_class is not None:
        valid = y_true != jnp.asarray(ignore_class, y_true.dtype)
        y_true = jnp.where(valid, y_true, 0)
        # Ignored rows get harmless predictions (Keras uses zeros, which give
        # NaN gradients for probabilities); their loss is zeroed below anyway.
        y_pred = jnp.where(jnp.expand_dims(valid, axis), y_pred, jnp.ones((), y_pred.dtype))
    target = y_true.astype(jnp.int32)
    if target.ndim == y_pred.ndim and target.shape[-1] == 1:
        target = jnp.squeeze(target, axis=-1)
    if target.shape != y_pred.shape[:-1]:
        raise ValueError(
            "In sparse_categorical_crossentropy, `y_true` must have the shape of `y_pred` without "
            f"its last (class) axis. Received: y_true.shape={tuple(target.shape)}, "
            f"y_pred.shape={tuple(y_pred.shape)}. For one-hot labels use categorical_crossentropy."
        )
    check_indices(
        target, y_pred.shape[axis], "sparse_categorical_crossentropy", "label",
        "Labels must be class indices in [0, num_classes); y_pred has "
        f"{y_pred.shape[axis]} classes (pass ignore_class= to skip a padding label).",
    )
    log_prob = _log_probabilities(y_pred, from_logits, axis)
    one_hot = jax.nn.one_hot(target, y_pred.shape[axis], axis=axis, dtype=log_prob.dtype)
    result = -jnp.sum(one_hot * log_prob, axis=axis)
    if valid is not None:
        valid = jnp.reshape(valid, result.shape)
        result = jnp.where(valid, result, 0.0)
    return result, valid


@registry.register("losses")
@registry.register("metrics.functions")
def sparse_categorical_crossentropy(
    y_true: Any, y_pred: Any, from_logits: bool = False, ignore_class: int | None = None, axis: int = -1
) -> jax.Array:
    """Cross-entropy between integer labels and predicted distributions.

    Entries whose label equals `ignore_class` get a loss of 0; the `Loss`
    class and the training loop also leave them out of the average.

    Example:
        >>> import layerax as lx
        >>> [round(v, 4) for v in lx.losses.sparse_categorical_crossentropy([1, 2], [[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]]).tolist()]
        [0.0513, 2.3026]
    """
    return _sparse_categorical_crossentropy_with_mask(y_true, y_pred, from_logits, ignore_class, axis)[0]


sparse_categorical_crossentropy._lx_with_mask = _sparse_categorical_crossentropy_with_mask  # type: ignore[attr-defined]


@registry.register("losses", "kld", "KLD")
@registry.register("metrics.functions")
def kl_divergence(y_true: Any, y_pred: Any) -> jax.Array:
    """Kullback-Leibler divergence `sum(y_true * log(y_true / y_pred), axis=-1)` (both clipped to `[eps, 1]`).

    Example:
        >>> import layerax as lx
        >>> [round(v, 4) for v in lx.losses.kl_divergence([[0.5, 0.5]], [[0.25, 0.75]]).tolist()]
        [0.1438]
    """
    y_pred = to_array(y_pred)
    y_true = to_array(y_true, y_pred.dtype)
    check_same_shape("kl_divergence", y_true, y_pred)
    eps = _config.epsilon()
    y_true = jnp.clip(y_true, eps, 1)
    y_pred = jnp.clip(y_pred, eps, 1)
    return jnp.sum(y_true * jnp.log(y_true / y_pred), axis=-1)


@registry.register("losses")
@registry.register("metrics.functions")
def poisson(y_true: Any, y_pred: Any) -> jax.Array:
    """Poisson loss `mean(y_pred - y_true * log(y_pred + epsilon), axis=-1)`.

    Example:
        >>> import layerax as lx
        >>> [round(v, 4) for v in lx.losses.poisson([[1.0, 0.0]], [[1.0, 2.0]]).tolist()]
        [1.5]
    """
    y_pred = to_array(y_pred)
    y_true = to_array(y_true, y_pred.dtype)
    check_same_shape("poisson", y_true, y_pred)
    eps = jnp.asarray(_config.epsilon(), y_pred.dtype)
    return jnp.mean(y_pred - y_true * jnp.log(y_pred + eps), axis=-1)


@registry.register("losses")
class BinaryCrossentropy(_ConfiguredWrapper):
    """Binary cross-entropy between labels in {0, 1} and predicted probabilities (or logits).

    Args:
        from_logits: Whether `y_pred` holds logits rather than probabilities.
        label_smoothing: In `[0, 1]`; labels become `y * (1 - ls) + 0.5 * ls`.
        axis: Axis the element losses are averaged over.
        reduction: See `lx.losses.Loss`.
        name: Loss name.
        dtype: Computation dtype.

    Example:
        >>> import layerax as lx
        >>> round(float(lx.losses.BinaryCrossentropy(from_logits=True)([[1.0], [0.0]], [[2.0], [-1.0]])), 4)
        0.2201
    """

    _config_keys = ("from_logits", "label_smoothing", "axis")

    def __init__(
        self,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        reduction: Any = "sum_over_batch_size",
        name: str = "binary_crossentropy",
        dtype: Any = None,
    ) -> None:
        super().__init__(
            binary_crossentropy, reduction=reduction, name=name, dtype=dtype,
            from_logits=from_logits, label_smoothing=label_smoothing, axis=axis,
        )
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis


@registry.register("losses")
class BinaryFocalCrossentropy(_ConfiguredWrapper):
    """Focal binary cross-entropy: down-weights well-classified examples by `(1 - p_t) ** gamma`.

    Args:
        apply_class_balancing: Weigh positives by `alpha`, negatives by `1 - alpha`.
        alpha: Class-balancing weight.
        gamma: Focusing parameter.
        from_logits: Whether `y_pred` holds logits.
        label_smoothing: See `BinaryCrossentropy`.
        axis: Axis the element losses are averaged over.

    Example:
        >>> import layerax as lx
        >>> round(float(lx.losses.BinaryFocalCrossentropy()([[0.0, 1.0]], [[0.4, 0.6]])), 4)
        0.0817
    """

    _config_keys = ("from_logits", "label_smoothing", "axis", "apply_class_balancing", "alpha", "gamma")

    def __init__(
        self,
        apply_class_balancing: bool = False,
        alpha: float = 0.25,
        gamma: float = 2.0,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        reduction: Any = "sum_over_batch_size",
        name: str = "binary_focal_crossentropy",
        dtype: Any = None,
    ) -> None:
        super().__init__(
            binary_focal_crossentropy, reduction=reduction, name=name, dtype=dtype,
            apply_class_balancing=apply_class_balancing, alpha=alpha, gamma=gamma,
            from_logits=from_logits, label_smoothing=label_smoothing, axis=axis,
        )
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis
        self.apply_class_balancing = apply_class_balancing
        self.alpha = alpha
        self.gamma = gamma


@registry.register("losses")
class CategoricalCrossentropy(_ConfiguredWrapper):
    """Cross-entropy between one-hot labels and predicted class distributions (or logits).

    Args:
        from_logits: Whether `y_pred` holds logits.
        label_smoothing: Labels become `y * (1 - ls) + ls / num_classes`.
        axis: The class axis.

    Example:
        >>> import layerax as lx
        >>> round(float(lx.losses.CategoricalCrossentropy()([[0, 1, 0], [0, 0, 1]], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]])), 4)
        1.1769
    """

    _config_keys = ("from_logits", "label_smoothing", "axis")

    def __init__(
        self,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        reduction: Any = "sum_over_batch_size",
        name: str = "categorical_crossentropy",
        dtype: Any = None,
    ) -> None:
        super().__init__(
            categorical_crossentropy, reduction=reduction, name=name, dtype=dtype,
            from_logits=from_logits, label_smoothing=label_smoothing, axis=axis,
        )
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis


@registry.register("losses")
class CategoricalFocalCrossentropy(_ConfiguredWrapper):
    """Focal categorical cross-entropy (`alpha * (1 - p) ** gamma` times the cross-entropy).

    Example:
        >>> import layerax as lx
        >>> round(float(lx.losses.CategoricalFocalCrossentropy()([[0, 1, 0], [0, 0, 1]], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]])), 4)
        0.2332
    """

    _config_keys = ("from_logits", "label_smoothing", "axis", "alpha", "gamma")

    def __init__(
        self,
        alpha: float = 0.25,
        gamma: float = 2.0,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        reduction: Any = "sum_over_batch_size",
        name: str = "categorical_focal_crossentropy",
        dtype: Any = None,
    ) -> None:
        super().__init__(
            categorical_focal_crossentropy, reduction=reduction, name=name, dtype=dtype,
            alpha=alpha, gamma=gamma, from_logits=from_logits, label_smoothing=label_smoothing,
            axis=axis,
        )
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis
        self.alpha = alpha
        self.gamma = gamma


@registry.register("losses")
class SparseCategoricalCrossentropy(_ConfiguredWrapper):
    """Cross-entropy between integer class labels and predicted distributions (or logits).

    Args:
        from_logits: Whether `y_pred` holds logits.
        ignore_class: A label value to leave out of the loss (e.g. padding);
            the average runs over the other entries.
        reduction: See `lx.losses.Loss`.
        axis: The class axis.

    Example:
        >>> import layerax as lx
        >>> loss = lx.losses.SparseCategoricalCrossentropy(ignore_class=-1)
        >>> round(float(loss([1, -1], [[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]])), 4)
        0.0513
    """

    _config_keys = ("from_logits", "ignore_class", "axis")

    def __init__(
        self,
        from_logits: bool = False,
        ignore_class: int | None = None,
        reduction: Any = "sum_over_batch_size",
        axis: int = -1,
        name: str = "sparse_categorical_crossentropy",
        dtype: Any = None,
    ) -> None:
        super().__init__(
            sparse_categorical_crossentropy, reduction=reduction, name=name, dtype=dtype,
            from_logits=from_logits, ignore_class=ignore_class, axis=axis,
        )
        self.from_logits = from_logits
        self.ignore_class = ignore_class
        self.axis = axis


@registry.register("losses")
class KLDivergence(_ConfiguredWrapper):
    """Kullback-Leibler divergence between label and predicted distributions.

    Example:
        >>> import layerax as lx
        >>> round(float(lx.losses.KLDivergence()([[0.5, 0.5]], [[0.25, 0.75]])), 4)
        0.1438
    """

    def __init__(self, reduction: Any = "sum_over_batch_size", name: str = "kl_divergence", dtype: Any = None) -> None:
        super().__init__(kl_divergence, reduction=reduction, name=name, dtype=dtype)


@registry.register("losses")
class Poisson(_ConfiguredWrapper):
    """Poisson loss `mean(y_pred - y_true * log(y_pred))`.

    Example:
        >>> import layerax as lx
        >>> float(lx.losses.Poisson()([[1.0, 0.0]], [[1.0, 2.0]]))
        1.5
    """

    def __init__(self, reduction: Any = "sum_over_batch_size", name: str = "poisson", dtype: Any = None) -> None:
        super().__init__(poisson, reduction=reduction, name=name, dtype=dtype)


__all__ = [
    "BinaryCrossentropy",
    "BinaryFocalCrossentropy",
    "CategoricalCrossentropy",
    "CategoricalFocalCrossentropy",
    "KLDivergence",
    "Poisson",
    "SparseCategoricalCrossentropy",
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "categorical_crossentropy",
    "categorical_focal_crossentropy",
    "kl_divergence",
    "poisson",
    "sparse_categorical_crossentropy",
]
