"""Layer classes by name, for model configs (`get_config`/`from_config`, `clone_model`).

A minimal lookup owned by the models package: names resolve, in order, through
`custom_objects`, the active `custom_object_scope`, classes registered with
`lx.saving.register_serializable`, then every `Layer` subclass defined inside
layerax (built-in layers and the model classes).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from layerax.core import serialization
from layerax.core.layer import Layer

__all__ = ["deserialize_layer", "layer_classes", "serialize_layer"]


def layer_classes() -> dict[str, type]:
    """Every Layer subclass defined in the layerax package, by class name.

    Example:
        >>> from layerax.models.layer_registry import layer_classes
        >>> classes = layer_classes()
        >>> classes["Dense"].__name__, "Sequential" in classes, "InputLayer" in classes
        ('Dense', True, True)
    """
    import layerax.layers  # noqa: F401 - make sure the built-in layers are defined
    import layerax.models  # noqa: F401

    found: dict[str, type] = {}
    stack = [Layer]
    while stack:
        cls = stack.pop()
        if cls.__module__.startswith("layerax.") and not cls.__name__.startswith("_"):
            found.setdefault(cls.__name__, cls)
        stack.extend(cls.__subclasses__())
    return found


def serialize_layer(layer: Layer) -> dict[str, Any]:
    """`{"class_name", "registered_name", "config"}` of a layer.

    Example:
        >>> import layerax as lx
        >>> from layerax.models.layer_registry import serialize_layer
        >>> config = serialize_layer(lx.layers.Dense(3, name="d"))
        >>> config["class_name"], config["config"]["units"]
        ('Dense', 3)
    """
    config = serialization.serialize(layer)
    if not isinstance(config, dict):
        raise TypeError(f"Cannot serialize {layer!r}: it has no get_config().")
    if _overrides_build_hooks(layer):
        # As Keras 3: the layer's own build config travels with its config, and
        # `deserialize_layer` hands it to its `build_from_config`.
        build = layer.get_build_config()
        if build is not None:
            config["build_config"] = build
    return config


def _overrides_build_hooks(layer: Layer) -> bool:
    return any(getattr(type(layer), hook) is not getattr(Layer, hook)
               for hook in ("get_build_config", "build_from_config"))


def deserialize_layer(config: Mapping[str, Any], custom_objects: Mapping[str, Any] | None = None) -> Layer:
    """Creates a layer from `serialize_layer`'s output.

    Raises:
        ValueError: for an unknown class name (pass it in `custom_objects` or
            register it with `lx.saving.register_serializable`).

    Example:
        >>> import layerax as lx
        >>> from layerax.models.layer_registry import deserialize_layer, serialize_layer
        >>> layer = deserialize_layer(serialize_layer(lx.layers.Dense(3, name="d")))
        >>> type(layer).__name__, layer.units, layer.name
        ('Dense', 3, 'd')
    """
    layer = serialization.deserialize(config, "layer", layer_classes(), custom_objects=custom_objects)
    if not isinstance(layer, Layer):
        raise ValueError(
            f"Deserializing {config.get('class_name')!r} gave {type(layer).__name__}, not a layer."
        )
    build = config.get("build_config")
    if build and not layer.built and _overrides_build_hooks(layer):
        layer.build_from_config(build)
        object.__setattr__(layer, "built", True)
    return layer

