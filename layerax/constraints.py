"""Weight constraints with Keras 3's names, applied after each optimizer step."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from layerax import config as _config
from layerax.core import registry, serialization
from layerax.core.resolvers import register_resolver


def _norms(w: Any, axis: Any) -> jax.Array:
    return jnp.sqrt(jnp.sum(jnp.square(w), axis=axis, keepdims=True))


@registry.register_base("constraints")
class Constraint:
    """Base class: `constraint(weight)` returns the projected weight.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> (lx.constraints.NonNeg()(jnp.array([-1.0, 2.0])) > 0).tolist()
        [False, True]
    """

    # Equal configurations compare equal, so layers holding them have equal pytree structures.
    _lx_static_eq = True

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.get_config() == self.get_config()

    def __hash__(self) -> int:
        return hash(type(self).__name__)


    def __call__(self, w: Any) -> jax.Array:
        return w

    def get_config(self) -> dict[str, Any]:
        """The constraint's constructor arguments, from which `from_config` rebuilds it.

        Example:
            >>> import layerax as lx
            >>> lx.constraints.MaxNorm(2.0).get_config()
            {'max_value': 2.0, 'axis': 0}
        """
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Constraint:
        """Creates a constraint from `get_config()`'s output.

        Example:
            >>> import layerax as lx
            >>> lx.constraints.MaxNorm.from_config({"max_value": 3.0, "axis": 0}).max_value
            3.0
        """
        return cls(**config)


@registry.register("constraints", "max_norm")
class MaxNorm(Constraint):
    """Rescales weights whose norm along `axis` exceeds `max_value`.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> w = lx.constraints.MaxNorm(1.0)(jnp.array([[3.0], [4.0]]))
        >>> round(float(jnp.linalg.norm(w)), 4)
        1.0
    """

    def __init__(self, max_value: float = 2.0, axis: Any = 0) -> None:
        self.max_value, self.axis = max_value, axis

    def __call__(self, w: Any) -> jax.Array:
        w = jnp.asarray(w)
        norms = _norms(w, self.axis)
        desired = jnp.clip(norms, 0, self.max_value)
        return w * (desired / (_config.epsilon() + norms))

    def get_config(self) -> dict[str, Any]:
        return {"max_value": self.max_value, "axis": self.axis}


@registry.register("constraints", "min_max_norm")
class MinMaxNorm(Constraint):
    """Moves the norm along `axis` into `[min_value, max_value]` at speed `rate`.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> w = lx.constraints.MinMaxNorm(2.0, 3.0)(jnp.array([[0.6], [0.8]]))
        >>> round(float(jnp.linalg.norm(w)), 4)
        2.0
    """

    def __init__(self, min_value: float = 0.0, max_value: float = 1.0, rate: float = 1.0, axis: Any = 0) -> None:
        self.min_value, self.max_value, self.rate, self.axis = min_value, max_value, rate, axis

    def __call__(self, w: Any) -> jax.Array:
        w = jnp.asarray(w)
        norms = _norms(w, self.axis)
        desired = self.rate * jnp.clip(norms, self.min_value, self.max_value) + (1 - self.rate) * norms
        return w * (desired / (_config.epsilon() + norms))

    def get_config(self) -> dict[str, Any]:
        return {
            "min_value": self.min_value,
            "max_value": self.max_value,
            "rate": self.rate,
            "axis": self.axis,
        }


@registry.register("constraints", "non_neg")
class NonNeg(Constraint):
    """Sets negative weights to zero.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> w = lx.constraints.NonNeg()(jnp.array([-3.0, 3.0]))
        >>> bool((w >= 0).all()), float(w[1])
        (True, 3.0)
    """

    def __call__(self, w: Any) -> jax.Array:
        w = jnp.asarray(w)
        return w * (w >= 0.0).astype(w.dtype)


@registry.register("constraints", "unit_norm")
class UnitNorm(Constraint):
    """Scales weights to unit norm along `axis`.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> w = lx.constraints.UnitNorm()(jnp.array([[3.0], [4.0]]))
        >>> round(float(jnp.linalg.norm(w)), 4)
        1.0
    """

    def __init__(self, axis: Any = 0) -> None:
        self.axis = axis

    def __call__(self, w: Any) -> jax.Array:
        w = jnp.asarray(w)
        return w / (_config.epsilon() + _norms(w, self.axis))

    def get_config(self) -> dict[str, Any]:
        return {"axis": self.axis}


def get(identifier: Any) -> Any:
    """Returns a constraint from a name, config dict, instance or callable.

    Example:
        >>> import layerax as lx
        >>> type(lx.constraints.get("non_neg")).__name__
        'NonNeg'
    """
    return serialization.resolve(identifier, "constraint", "constraints")


def serialize(constraint: Any) -> Any:
    """Config dict of a constraint.

    Example:
        >>> import layerax as lx
        >>> lx.constraints.serialize(lx.constraints.MaxNorm(3.0))["config"]["max_value"]
        3.0
    """
    return serialization.serialize(constraint)


def deserialize(config: Any, custom_objects: Any = None) -> Any:
    """Inverse of `serialize`.

    Example:
        >>> import layerax as lx
        >>> lx.constraints.deserialize({"class_name": "UnitNorm", "config": {"axis": 1}}).axis
        1
    """
    return serialization.deserialize(config, "constraint", "constraints", custom_objects=custom_objects)


# Keras' lowercase aliases name the same classes (`max_norm is MaxNorm`).
max_norm, min_max_norm, non_neg, unit_norm = MaxNorm, MinMaxNorm, NonNeg, UnitNorm

__all__ = [
    "Constraint", "MaxNorm", "MinMaxNorm", "NonNeg", "UnitNorm", "deserialize", "get",
    "max_norm", "min_max_norm", "non_neg", "serialize", "unit_norm",
]

# The kernel (Layer.add_weight) resolves identifiers through this catalogue.
register_resolver("constraints", get)
