"""Functional forms of the merging layers: `add(inputs)`, `concatenate(inputs, axis)`, ..."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from layerax.layers.merging.concatenate_dot import Concatenate, Dot
from layerax.layers.merging.elementwise import (
    Add,
    Average,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
)


def add(inputs: Sequence[Any], **kwargs: Any) -> Any:
    """Functional form of `Add`: `Add(**kwargs)(inputs)`.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> lx.layers.add([jnp.ones((1, 2)), jnp.ones((1, 2))]).tolist()
        [[2.0, 2.0]]
    """
    return Add(**kwargs)(inputs)


def subtract(inputs: Sequence[Any], **kwargs: Any) -> Any:
    """Functional form of `Subtract`: `Subtract(**kwargs)(inputs)`.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> lx.layers.subtract([jnp.ones((1, 2)), jnp.ones((1, 2))]).tolist()
        [[0.0, 0.0]]
    """
    return Subtract(**kwargs)(inputs)


def multiply(inputs: Sequence[Any], **kwargs: Any) -> Any:
    """Functional form of `Multiply`: `Multiply(**kwargs)(inputs)`.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> lx.layers.multiply([jnp.full((1, 2), 2.0), jnp.full((1, 2), 5.0)]).tolist()
        [[10.0, 10.0]]
    """
    return Multiply(**kwargs)(inputs)


def average(inputs: Sequence[Any], **kwargs: Any) -> Any:
    """Functional form of `Average`: `Average(**kwargs)(inputs)`.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> lx.layers.average([jnp.zeros((1, 2)), jnp.full((1, 2), 2.0)]).tolist()
        [[1.0, 1.0]]
    """
    return Average(**kwargs)(inputs)


def maximum(inputs: Sequence[Any], **kwargs: Any) -> Any:
    """Functional form of `Maximum`: `Maximum(**kwargs)(inputs)`.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> lx.layers.maximum([jnp.array([[1.0, 4.0]]), jnp.array([[2.0, 3.0]])]).tolist()
        [[2.0, 4.0]]
    """
    return Maximum(**kwargs)(inputs)


def minimum(inputs: Sequence[Any], **kwargs: Any) -> Any:
    """Functional form of `Minimum`: `Minimum(**kwargs)(inputs)`.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> lx.layers.minimum([jnp.array([[1.0, 4.0]]), jnp.array([[2.0, 3.0]])]).tolist()
        [[1.0, 3.0]]
    """
    return Minimum(**kwargs)(inputs)


def concatenate(inputs: Sequence[Any], axis: int = -1, **kwargs: Any) -> Any:
    """Functional form of `Concatenate`: `Concatenate(axis=axis, **kwargs)(inputs)`.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> lx.layers.concatenate([jnp.ones((1, 2)), jnp.zeros((1, 1))]).tolist()
        [[1.0, 1.0, 0.0]]
    """
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs: Sequence[Any], axes: Any = -1, normalize: bool = False, **kwargs: Any) -> Any:
    """Functional form of `Dot`: `Dot(axes=axes, normalize=normalize, **kwargs)(inputs)`.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> lx.layers.dot([jnp.array([[1.0, 2.0]]), jnp.array([[3.0, 4.0]])], axes=1).tolist()
        [[11.0]]
    """
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)
