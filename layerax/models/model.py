"""`lx.Model`: a Layer with the training API."""

from __future__ import annotations

from typing import Any

from layerax.core.layer import Layer
from layerax.trainers.trainer import Trainer


class Model(Trainer, Layer):
    """A layer that groups layers and, with `compile`/`fit`, trains them.

    Subclass it like a Layer (sub-layers in `__init__`, computation in
    `call`); `layers` lists the tracked sub-layers.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> class MLP(lx.Model):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.hidden = lx.layers.Dense(8, activation="relu")
        ...         self.out = lx.layers.Dense(2)
        ...     def call(self, x):
        ...         return self.out(self.hidden(x))
        >>> model = MLP()
        >>> model(jnp.ones((1, 4))).shape
        (1, 2)
        >>> [layer.name for layer in model.layers]
        ['dense', 'dense_1']
    """

    @property
    def layers(self) -> list[Layer]:
        """The tracked sub-layers, in the order they were assigned."""
        return list(self._direct_sublayers())

    def get_layer(self, name: str | None = None, index: int | None = None) -> Layer:
        """A sub-layer by name or index.

        Raises:
            ValueError: when neither or both are given, or nothing matches.
        """
        if (name is None) == (index is None):
            raise ValueError(
                "Provide exactly one of `name` or `index` to get_layer(). "
                f"Received: name={name!r}, index={index!r}"
            )
        layers = self.layers
        if index is not None:
            if not -len(layers) <= index < len(layers):
                raise ValueError(
                    f"Was asked to retrieve layer at index {index} but model '{self.name}' only "
                    f"has {len(layers)} layers."
                )
            return layers[index]
        for layer in layers:
            if layer.name == name:
                return layer
        raise ValueError(
            f"No such layer: {name}. Existing layers are: {[layer.name for layer in layers]}."
        )

    def call(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            f"Model '{self.name}' ({type(self).__name__}) does not implement `call()`. Subclass "
            "lx.Model and define `call(self, inputs)`, or build a Functional or Sequential model."
        )
