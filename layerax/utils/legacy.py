"""Keras' legacy (TF 2 / Keras 2) object serialization: `lx.utils.legacy` and `lx.legacy.saving`.

The legacy format is `{"class_name": ..., "config": obj.get_config()}`, with
no `module` or `registered_name` entry; objects nested in the config are
whatever the object's own `get_config` wrote. It is what Keras 2 wrote in
`.h5` model files and what older code passes around. New code should use
`lx.saving.serialize_keras_object` / `deserialize_keras_object`.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

from layerax.core import serialization

__all__ = ["deserialize_keras_object", "serialize_keras_object"]


def serialize_keras_object(instance: Any) -> Any:
    """The legacy `{"class_name", "config"}` dict of an object with `get_config()`.

    None gives None; a registered or plain function gives its (registered) name.

    Raises:
        ValueError: when the object has no `get_config()`.

    Example:
        >>> import layerax as lx
        >>> config = lx.utils.legacy.serialize_keras_object(lx.layers.Dense(2, name="d"))
        >>> config["class_name"], config["config"]["units"], "module" in config
        ('Dense', 2, False)
    """
    if instance is None:
        return None
    if hasattr(instance, "get_config"):
        try:
            config = instance.get_config()
        except NotImplementedError as err:
            raise ValueError(
                f"Cannot serialize {instance!r}: its get_config() is not implemented. "
                "Implement get_config() (and from_config) on its class."
            ) from err
        return {"class_name": serialization.get_registered_name(type(instance)),
                "config": serialization.serialize_config(config)}
    if inspect.isfunction(instance) or inspect.isbuiltin(instance) or inspect.isclass(instance):
        return serialization.get_registered_name(instance)
    raise ValueError(
        f"Cannot serialize {instance!r} because it doesn't implement `get_config()`. "
        "Give its class a get_config() method, or pass a registered function."
    )


def _find(name: str, module_objects: Mapping[str, Any] | None,
          custom_objects: Mapping[str, Any] | None) -> Any:
    for table in (custom_objects or {}, serialization.current_custom_objects(),
                  serialization.get_custom_objects(), module_objects or {}):
        if name in table:
            return table[name]
    return None


def _keras_written(config: Mapping[str, Any]) -> bool:
    """Whether a legacy layer config came from Keras 3 (DTypePolicy dicts, quantization_config)."""
    dtype = config.get("dtype")
    return "quantization_config" in config or (
        isinstance(dtype, Mapping) and str(dtype.get("module", "")).startswith("keras"))


def deserialize_keras_object(identifier: Any, module_objects: Mapping[str, Any] | None = None,
                             custom_objects: Mapping[str, Any] | None = None,
                             printable_module_name: str = "object") -> Any:
    """Rebuilds an object from `serialize_keras_object`'s legacy dict, or a function by name.

    Names are looked up in `custom_objects`, the active `custom_object_scope`,
    the registered objects (`register_keras_serializable`) and last
    `module_objects`, as in Keras.

    Args:
        identifier: A `{"class_name", "config"}` dict, a name, or None.
        module_objects: Name -> class/function table of the calling module.
        custom_objects: Extra names for this call.
        printable_module_name: What to call the object in errors ("layer", ...).

    Raises:
        ValueError: for an unknown name or a malformed dict.

    Example:
        >>> import layerax as lx
        >>> config = lx.utils.legacy.serialize_keras_object(lx.layers.Dense(2))
        >>> layer = lx.utils.legacy.deserialize_keras_object(
        ...     config, module_objects={"Dense": lx.layers.Dense})
        >>> type(layer).__name__, layer.units
        ('Dense', 2)
    """
    if identifier is None:
        return None
    if isinstance(identifier, Mapping):
        if "class_name" not in identifier or "config" not in identifier:
            raise ValueError(
                f"Improper config format for {printable_module_name}: {dict(identifier)!r}. "
                "Expected a dict with the keys 'class_name' and 'config'."
            )
        name = identifier["class_name"]
        cls = _find(name, module_objects, custom_objects)
        if cls is None:
            raise ValueError(
                f"Unknown {printable_module_name}: '{name}'. Please ensure you are using a "
                "`keras.utils.custom_object_scope` and that this object is included in the scope, "
                "pass it in `custom_objects`, or register it with "
                "`@lx.saving.register_keras_serializable()`."
            )
        config = dict(identifier["config"])
        if _keras_written(config) and inspect.isclass(cls):
            from layerax.core.keras_configs import normalize_keras_layer_config
            from layerax.core.layer import Layer

            if issubclass(cls, Layer):
                config = normalize_keras_layer_config(cls, config)
        with serialization.custom_object_scope(dict(custom_objects or {})):
            if hasattr(cls, "from_config"):
                return cls.from_config(config)
            return cls(**config)
    if isinstance(identifier, str):
        obj = _find(identifier, module_objects, custom_objects)
        if obj is None:
            raise ValueError(
                f"Unknown {printable_module_name}: '{identifier}'. Pass it in `custom_objects` "
                "or `module_objects`, or register it with `@lx.saving.register_keras_serializable()`."
            )
        return obj
    if callable(identifier):
        return identifier
    raise ValueError(
        f"Could not interpret serialized {printable_module_name}: {identifier!r}. Expected a "
        "dict with 'class_name' and 'config', a name, or None."
    )
