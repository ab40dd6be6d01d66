"""The base class of initializers and Keras' fan computation, shared by every initializer."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from layerax import config as _config
from layerax.core import registry

__all__ = ["Initializer", "compute_fans"]


def _dtype(dtype: Any) -> Any:
    return jnp.dtype(dtype or _config.floatx())


def compute_fans(
    shape: tuple[int, ...], input_axes: Any = None, output_axes: Any = None
) -> tuple[float, float]:
    """Keras' fan-in and fan-out of a weight shape (kernels: receptive field times channels).

    Example:
        >>> import layerax as lx
        >>> lx.initializers.compute_fans((3, 3, 8, 16))
        (72.0, 144.0)
        >>> lx.initializers.compute_fans((4, 2, 8), input_axes=[0], output_axes=[1, 2])
        (4.0, 16.0)
    """
    shape = tuple(shape)
    if input_axes is not None and output_axes is not None:
        fan_in = float(np.prod([shape[a] for a in input_axes]))
        fan_out = float(np.prod([shape[a] for a in output_axes]))
        return fan_in, fan_out
    if len(shape) < 1:
        return 1.0, 1.0
    if len(shape) == 1:
        return float(shape[0]), float(shape[0])
    if len(shape) == 2:
        return float(shape[0]), float(shape[1])
    receptive = float(np.prod(shape[:-2]))
    return shape[-2] * receptive, shape[-1] * receptive


@registry.register_base("initializers")
class Initializer:
    """Base class: `initializer(shape, dtype=None)` returns an array.

    Example:
        >>> import layerax as lx
        >>> lx.initializers.Ones()((2,)).tolist()
        [1.0, 1.0]
    """

    # Equal configurations compare equal, so layers holding them have equal pytree structures.
    _lx_static_eq = True

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.get_config() == self.get_config()

    def __hash__(self) -> int:
        return hash(type(self).__name__)


    def __call__(self, shape: Any, dtype: Any = None) -> jax.Array:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        """The initializer's constructor arguments, from which `from_config` rebuilds it.

        Example:
            >>> import layerax as lx
            >>> lx.initializers.RandomNormal(stddev=0.5, seed=1).get_config()
            {'mean': 0.0, 'stddev': 0.5, 'seed': 1}
        """
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Initializer:
        """Creates an initializer from `get_config()`'s output.

        Example:
            >>> import layerax as lx
            >>> init = lx.initializers.Constant.from_config({"value": 2.0})
            >>> init((2,)).tolist()
            [2.0, 2.0]
        """
        return cls(**config)

    def clone(self) -> Initializer:
        """A new initializer of the same class and configuration (`from_config(get_config())`).

        Example:
            >>> import layerax as lx
            >>> init = lx.initializers.HeNormal(seed=3)
            >>> twin = init.clone()
            >>> twin is not init and twin.get_config() == init.get_config()
            True
        """
        return self.__class__.from_config(self.get_config())
