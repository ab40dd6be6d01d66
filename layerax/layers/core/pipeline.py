"""`Pipeline`: a layer that applies a list of layers one after the other."""

from __future__ import annotations

from typing import Any

from layerax.core.layer import Layer
from layerax.layers import serialization


class Pipeline(Layer):
    """Applies `layers` in order, each to the previous one's output.

    Unlike `Sequential` it is a plain layer (no `fit`, no functional graph),
    meant for chains of preprocessing or augmentation layers. `training`
    (default True, as in Keras) is passed to every layer that takes it;
    masks flow between the layers as between eager layer calls.

    Args:
        layers: A list of `lx.layers.Layer` instances.
        name: The layer's name.

    Call arguments:
        inputs: The input of the first layer.
        training: Passed to the layers whose `call` accepts it.
        mask: Passed to the first layer when it accepts a mask.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> pipe = lx.layers.Pipeline([lx.layers.ReLU(), lx.layers.Lambda(lambda x: 2 * x)])
        >>> pipe(jnp.array([[-1.0, 3.0]])).tolist()
        [[0.0, 6.0]]
    """

    def __init__(self, layers: list[Layer], name: str | None = None) -> None:
        if not isinstance(layers, (list, tuple)) or not all(isinstance(l, Layer) for l in layers):
            raise TypeError(
                "Pipeline expects a list of `lx.layers.Layer` instances, e.g. "
                f"`Pipeline([lx.layers.ReLU()])`. Received: layers={layers!r}"
            )
        super().__init__(name=name)
        self._pipeline_layers = list(layers)

    @property
    def layers(self) -> list[Layer]:
        """The chained layers, in call order."""
        return self._pipeline_layers

    def call(self, inputs: Any, training: Any = True, mask: Any = None) -> Any:
        outputs = inputs
        for i, layer in enumerate(self._pipeline_layers):
            kwargs: dict[str, Any] = {}
            if training is not None:
                kwargs["training"] = training
            if i == 0 and mask is not None:
                kwargs["mask"] = mask
            outputs = layer(outputs, **kwargs)
        return outputs

    def compute_output_shape(self, input_shape: Any) -> Any:
        for layer in self._pipeline_layers:
            input_shape = layer.compute_output_shape(input_shape)
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {
            "layers": [serialization.serialize(l) for l in self._pipeline_layers],
            "name": self.name,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> Pipeline:
        layers = config.get("layers")
        if not isinstance(layers, (list, tuple)):
            raise ValueError(
                "A `Pipeline` config must hold a `layers` key mapping to a list of serialized "
                f"layers. Received: layers={layers!r}"
            )
        config = dict(config)
        config["layers"] = [
            serialization.deserialize(l, custom_objects=custom_objects) for l in layers
        ]
        return cls(**config)


__all__ = ["Pipeline"]
