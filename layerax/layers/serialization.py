"""Layer (de)serialization by class name: `lx.layers.serialize`, `deserialize` and `get`.

Names are found in the `"layers"` namespace of `layerax.core.registry`: every layer
class of layerax (models included) declares itself there when it is defined.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from layerax.core import serialization
from layerax.core.layer import Layer
from layerax.core.serialization_lib import is_layer_class, serialize_keras_object


def serialize(layer: Layer) -> dict[str, Any]:
    """The `{"module", "class_name", "config", "registered_name"}` dict of a layer.

    The same as `lx.saving.serialize_keras_object(layer)`, as in Keras.

    Example:
        >>> import layerax as lx
        >>> config = lx.layers.serialize(lx.layers.Dense(3))
        >>> config["module"], config["class_name"], config["config"]["units"]
        ('layerax.layers', 'Dense', 3)
    """
    if not isinstance(layer, Layer):
        raise TypeError(
            f"lx.layers.serialize expects a layer instance. Received: {layer!r} "
            f"of type {type(layer).__name__}."
        )
    return serialize_keras_object(layer)


def deserialize(config: Any, custom_objects: Mapping[str, Any] | None = None) -> Layer:
    """Rebuilds a layer from `serialize`'s output.

    Built-in layers are found by class name; custom layers must be registered
    with `register_serializable` or passed in `custom_objects`.

    Example:
        >>> import layerax as lx
        >>> layer = lx.layers.deserialize({"class_name": "Dense", "config": {"units": 2}})
        >>> type(layer).__name__, layer.units
        ('Dense', 2)
    """
    if isinstance(config, Layer):
        return config
    if not isinstance(config, Mapping):
        raise ValueError(
            "lx.layers.deserialize expects a dict with 'class_name' and 'config' (the output of "
            f"lx.layers.serialize). Received: {config!r}"
        )
    return serialization.deserialize(
        config, "layer", "layers", custom_objects=custom_objects, where=is_layer_class
    )


def get(identifier: Any, custom_objects: Mapping[str, Any] | None = None) -> Layer | None:
    """A layer from a layer instance, a serialized dict, or a class name (built with defaults).

    Example:
        >>> import layerax as lx
        >>> type(lx.layers.get({"class_name": "Dense", "config": {"units": 1}})).__name__
        'Dense'
    """
    if identifier is None or isinstance(identifier, Layer):
        return identifier
    if isinstance(identifier, Mapping):
        return deserialize(identifier, custom_objects=custom_objects)
    if isinstance(identifier, str):
        return serialization.resolve(
            identifier, "layer", "layers", custom_objects=custom_objects, where=is_layer_class,
            accept=lambda obj: False,
        )
    raise ValueError(
        f"Could not interpret layer identifier: {identifier!r}. Pass a layer instance, a "
        "serialized layer dict or a layer class name."
    )


__all__ = ["deserialize", "get", "serialize"]
