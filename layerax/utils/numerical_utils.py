"""Array helpers with Keras' names: `to_categorical` and `normalize`."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from layerax import config as _config


def to_categorical(x: Any, num_classes: int | None = None) -> Any:
    """One-hot encodes integer class labels (the class axis is added last).

    NumPy or list input gives a float64 NumPy array, as in Keras; a JAX array
    gives a float32 JAX array. A trailing axis of size 1 is dropped first.

    Args:
        x: Integer labels in `[0, num_classes)`.
        num_classes: Number of classes; `max(x) + 1` when None.

    Example:
        >>> import layerax as lx
        >>> lx.utils.to_categorical([0, 2, 1], num_classes=3).tolist()
        [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0]]
    """
    if isinstance(x, jax.Array):
        if x.ndim > 1 and x.shape[-1] == 1:
            x = jnp.reshape(x, x.shape[:-1])
        if num_classes is None:
            num_classes = int(jnp.max(x)) + 1
        return jax.nn.one_hot(x, num_classes, dtype=jnp.float32)
    x = np.array(x, dtype="int64")
    shape = x.shape
    if shape and shape[-1] == 1 and len(shape) > 1:
        shape = tuple(shape[:-1])
    flat = x.reshape(-1)
    if not num_classes:
        num_classes = int(np.max(flat)) + 1 if flat.size else 0
    if flat.size and (flat.min() < 0 or flat.max() >= num_classes):
        raise ValueError(
            f"to_categorical: labels must be in [0, {num_classes}). Received values from "
            f"{flat.min()} to {flat.max()}. Pass a larger `num_classes` or fix the labels."
        )
    categorical = np.zeros((flat.shape[0], num_classes))
    categorical[np.arange(flat.shape[0]), flat] = 1
    return categorical.reshape(shape + (num_classes,))


def normalize(x: Any, axis: int = -1, order: int = 2) -> Any:
    """Scales `x` to unit `order`-norm along `axis`.

    NumPy input gives NumPy output (zero vectors stay zero); other input is
    computed with JAX as `x / max(norm(x), epsilon)`.

    Example:
        >>> import layerax as lx, numpy as np
        >>> lx.utils.normalize(np.array([[3.0, 4.0], [0.0, 0.0]])).tolist()
        [[0.6, 0.8], [0.0, 0.0]]
    """
    if isinstance(x, np.ndarray):
        norm = np.atleast_1d(np.linalg.norm(x, order, axis))
        norm[norm == 0] = 1
        # (Keras writes `axis or -1` here, which breaks axis=0.)
        return x / np.expand_dims(norm, axis)
    if not isinstance(order, int) or order < 1:
        raise ValueError(f"Argument `order` must be an int >= 1. Received: order={order}")
    x = jnp.asarray(x)
    if x.ndim == 0:
        x = jnp.expand_dims(x, 0)
    eps = _config.epsilon()
    if order == 2:
        inv_norm = jax.lax.rsqrt(jnp.sum(jnp.square(x), axis=axis, keepdims=True))
        return x * jnp.minimum(inv_norm, 1.0 / eps)
    norm = jnp.linalg.norm(x, ord=order, axis=axis, keepdims=True)
    return x / jnp.maximum(norm, eps)


__all__ = ["normalize", "to_categorical"]
