"""Layer (de)serialization by class name: `lx.layers.serialize`, `deserialize` and `get`."""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

from layerax.core import serialization
from layerax.core.layer import Layer


def _layer_table() -> dict[str, type]:
    """Every Layer class of layerax by class name, plus the public aliases of `lx.layers`.

    Built at each lookup (it is cheap) so that layers defined later are found
    without a hand-kept list.
    """
    import layerax.layers as layers_module
    from layerax.models.layer_registry import layer_classes

    table = dict(layer_classes())
    for name in layers_module.__all__:
        obj = getattr(layers_module, name, None)
        if inspect.isclass(obj) and issubclass(obj, Layer):
            table.setdefault(name, obj)
    return table


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
    from layerax.saving.serialization_lib import serialize_keras_object

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
        config, "layer", _layer_table(), custom_objects=custom_objects
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
            identifier, "layer", _layer_table(), custom_objects=custom_objects,
            accept=lambda obj: False,
        )
    raise ValueError(
        f"Could not interpret layer identifier: {identifier!r}. Pass a layer instance, a "
        "serialized layer dict or a layer class name."
    )


__all__ = ["deserialize", "get", "serialize"]
