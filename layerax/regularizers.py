"""Weight regularizers with Keras 3's names: penalties added to `layer.losses`."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from layerax.core import registry, serialization
from layerax.core.resolvers import register_resolver


def _value(x: Any) -> Any:
    return x.value if hasattr(x, "value") and hasattr(x, "assign") else x


@registry.register_base("regularizers")
class Regularizer:
    """Base class: `regularizer(weight)` returns a scalar penalty.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> float(lx.regularizers.L2(0.5)(jnp.array([1.0, 2.0])))
        2.5
    """

    # Equal configurations compare equal, so layers holding them have equal pytree structures.
    _lx_static_eq = True

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.get_config() == self.get_config()

    def __hash__(self) -> int:
        return hash(type(self).__name__)


    def __call__(self, x: Any) -> jax.Array:
        return jnp.zeros(())

    def get_config(self) -> dict[str, Any]:
        """The regularizer's constructor arguments, from which `from_config` rebuilds it.

        Example:
            >>> import layerax as lx
            >>> lx.regularizers.L2(0.5).get_config()
            {'l2': 0.5}
        """
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Regularizer:
        """Creates a regularizer from `get_config()`'s output.

        Example:
            >>> import layerax as lx, jax.numpy as jnp
            >>> float(lx.regularizers.L1.from_config({"l1": 0.5})(jnp.array([1.0, -3.0])))
            2.0
        """
        return cls(**config)


@registry.register("regularizers", "l1")
class L1(Regularizer):
    """`l1 * sum(|x|)`.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> float(lx.regularizers.L1(0.1)(jnp.array([1.0, -2.0])))
        0.30000001192092896
    """

    def __init__(self, l1: float = 0.01) -> None:
        self.l1 = float(l1)

    def __call__(self, x: Any) -> jax.Array:
        return self.l1 * jnp.sum(jnp.abs(_value(x)))

    def get_config(self) -> dict[str, Any]:
        return {"l1": self.l1}


@registry.register("regularizers", "l2")
class L2(Regularizer):
    """`l2 * sum(x ** 2)`.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> float(lx.regularizers.L2(0.1)(jnp.array([1.0, -2.0])))
        0.5
    """

    def __init__(self, l2: float = 0.01) -> None:
        self.l2 = float(l2)

    def __call__(self, x: Any) -> jax.Array:
        return self.l2 * jnp.sum(jnp.square(_value(x)))

    def get_config(self) -> dict[str, Any]:
        return {"l2": self.l2}


@registry.register("regularizers", "l1_l2", "l1l2")
class L1L2(Regularizer):
    """`l1 * sum(|x|) + l2 * sum(x ** 2)`.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> float(lx.regularizers.L1L2(l1=1.0, l2=1.0)(jnp.array([2.0])))
        6.0
    """

    def __init__(self, l1: float = 0.0, l2: float = 0.0) -> None:
        self.l1, self.l2 = float(l1), float(l2)

    def __call__(self, x: Any) -> jax.Array:
        x = _value(x)
        return self.l1 * jnp.sum(jnp.abs(x)) + self.l2 * jnp.sum(jnp.square(x))

    def get_config(self) -> dict[str, Any]:
        return {"l1": self.l1, "l2": self.l2}


@registry.register("regularizers", "orthogonal_regularizer")
class OrthogonalRegularizer(Regularizer):
    """Penalises non-orthogonal rows (or columns) of a 2-D weight.

    `factor * 0.5 * sum(|off-diagonal of W W^T|) / num_pairs` after L2-normalising
    the rows (`mode="rows"`) or columns (`mode="columns"`).

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> float(lx.regularizers.OrthogonalRegularizer(1.0)(jnp.eye(3)))
        0.0
    """

    def __init__(self, factor: float = 0.01, mode: str = "rows") -> None:
        if mode not in ("rows", "columns"):
            raise ValueError(f"Invalid `mode`: {mode!r}. Expected 'rows' or 'columns'.")
        self.factor, self.mode = float(factor), mode

    def __call__(self, x: Any) -> jax.Array:
        x = _value(x)
        if x.ndim != 2:
            raise ValueError(
                f"OrthogonalRegularizer needs a 2-D weight. Received a weight of shape {x.shape}."
            )
        axis = 1 if self.mode == "rows" else 0
        norm = jnp.sqrt(jnp.maximum(jnp.sum(jnp.square(x), axis=axis, keepdims=True), 1e-12))
        x = x / norm
        product = x @ x.T if self.mode == "rows" else x.T @ x
        size = product.shape[0]
        off_diagonal = product * (1.0 - jnp.eye(size, dtype=x.dtype))
        num_pairs = size * (size - 1.0) / 2.0
        return self.factor * 0.5 * jnp.sum(jnp.abs(off_diagonal)) / num_pairs

    def get_config(self) -> dict[str, Any]:
        return {"factor": self.factor, "mode": self.mode}


# Keras 3's lower-case names are the classes themselves (so `l1_l2()` has L1L2's
# zero defaults, not Keras 2's 0.01 helper).
l1 = L1
l2 = L2
l1_l2 = L1L2
orthogonal_regularizer = OrthogonalRegularizer


def get(identifier: Any) -> Any:
    """Returns a regularizer from a name, config dict, instance or callable.

    Example:
        >>> import layerax as lx
        >>> type(lx.regularizers.get("l2")).__name__
        'L2'
    """
    return serialization.resolve(identifier, "regularizer", "regularizers")


def serialize(regularizer: Any) -> Any:
    """Config dict of a regularizer.

    Example:
        >>> import layerax as lx
        >>> lx.regularizers.serialize(lx.regularizers.L1(0.5))["config"]
        {'l1': 0.5}
    """
    return serialization.serialize(regularizer)


def deserialize(config: Any, custom_objects: Any = None) -> Any:
    """Inverse of `serialize`.

    Example:
        >>> import layerax as lx
        >>> lx.regularizers.deserialize({"class_name": "L2", "config": {"l2": 0.1}}).l2
        0.1
    """
    return serialization.deserialize(config, "regularizer", "regularizers", custom_objects=custom_objects)


__all__ = [
    "L1",
    "L1L2",
    "L2",
    "OrthogonalRegularizer",
    "Regularizer",
    "deserialize",
    "get",
    "l1",
    "l1_l2",
    "l2",
    "orthogonal_regularizer",
    "serialize",
]

# The kernel (Layer.add_weight) resolves identifiers through this catalogue.
register_resolver("regularizers", get)
