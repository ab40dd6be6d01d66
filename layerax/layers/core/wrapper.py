"""`Wrapper`: the base class of layers that wrap another layer (`TimeDistributed`, ...)."""

from __future__ import annotations

from typing import Any

from layerax.core.layer import Layer
from layerax.layers import serialization


class Wrapper(Layer):
    """Abstract base class of layers that take another layer and augment it.

    The wrapped layer is `self.layer`; it is built on the wrapper's input
    shape (subclasses may override `build`) and serialized inside the
    wrapper's config under `"layer"`. `TimeDistributed` and
    `SpectralNormalization` are wrappers.

    Args:
        layer: The `lx.layers.Layer` to wrap.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> class Doubled(lx.layers.Wrapper):
        ...     def call(self, x):
        ...         return 2 * self.layer(x)
        >>> layer = Doubled(lx.layers.Dense(3, kernel_initializer="ones"))
        >>> layer(jnp.ones((1, 2))).tolist()
        [[4.0, 4.0, 4.0]]
    """

    def __init__(self, layer: Layer, **kwargs: Any) -> None:
        if not isinstance(layer, Layer):
            raise ValueError(
                f"{type(self).__name__} wraps a `lx.layers.Layer` instance. Received: {layer!r} "
                f"(of type {type(layer).__name__}); pass a layer, e.g. "
                f"`{type(self).__name__}(lx.layers.Dense(4))`."
            )
        super().__init__(**kwargs)
        self.layer = layer

    def build(self, input_shape: Any = None) -> None:
        if not self.layer.built:
            self.layer.build(input_shape)
            self.layer.built = True

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "layer": serialization.serialize(self.layer)}

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> Wrapper:
        config = dict(config)
        layer = serialization.deserialize(config.pop("layer"), custom_objects=custom_objects)
        return cls(layer, **config)


__all__ = ["Wrapper"]
