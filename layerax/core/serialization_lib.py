"""`serialize_keras_object` / `deserialize_keras_object`: any layerax object to a JSON-able config.

A serialized object is `{"module", "class_name", "config", "registered_name"}`
(Keras 3's shape): `module` names the layerax family (`layerax.layers`,
`layerax.optimizers`, ...), whose registry namespace rebuilds it. Functions are
`{"module", "class_name": "function", "config": name}`. Tuples and numpy
arrays are tagged (`__tuple__`, `__numpy__`) so that they come back as they were.
Layers also go through `serialize_layer` / `deserialize_layer`, which carry a
custom build config (Keras 3's `build_config`).
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

import numpy as np

from layerax.core import registry, serialization
from layerax.core.layer import Layer

__all__ = [
    "deserialize_keras_object", "deserialize_layer", "is_layer_class", "serialize_keras_object",
    "serialize_layer",
]

# Namespace -> the family's name in error messages.
FAMILIES: dict[str, str] = {
    "layers": "layer",
    "optimizers.schedules": "learning rate schedule",
    "optimizers": "optimizer",
    "losses": "loss",
    "metrics": "metric",
    "initializers": "initializer",
    "regularizers": "regularizer",
    "constraints": "constraint",
    "activations": "activation",
}
_BY_MODULE: dict[str, str] = {registry.MODULES[namespace]: namespace for namespace in FAMILIES}
# Where a function is searched when its config names no family (as Keras: losses before metrics).
_FUNCTION_NAMESPACES = (
    "optimizers.schedules", "optimizers", "losses", "metrics.functions", "metrics",
    "initializers", "regularizers", "constraints", "activations",
)


def _class_module(cls: type) -> str:
    if not cls.__module__.startswith("layerax."):
        return cls.__module__
    namespace = registry.namespace_of(cls, tuple(FAMILIES))
    return registry.MODULES[namespace] if namespace else "layerax.layers"


def serialize_keras_object(obj: Any) -> Any:
    """A JSON-able description of `obj` (layer, model, optimizer, loss, metric, initializer,
    regularizer, constraint, schedule, function, or plain data).

    Example:
        >>> import layerax as lx
        >>> config = lx.saving.serialize_keras_object(lx.layers.Dense(3, name="d"))
        >>> config["module"], config["class_name"], config["config"]["units"]
        ('layerax.layers', 'Dense', 3)
        >>> lx.saving.serialize_keras_object(lx.activations.relu)["config"]
        'relu'
    """
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, (np.generic,)):
        return obj.item()
    if isinstance(obj, np.ndarray) or (hasattr(obj, "__array__") and hasattr(obj, "dtype")
                                       and not hasattr(obj, "get_config")):
        arr = np.asarray(obj)
        return {"class_name": "__numpy__", "config": {"value": arr.tolist(), "dtype": arr.dtype.name}}
    if isinstance(obj, tuple):
        return {"class_name": "__tuple__", "config": {"value": [serialize_keras_object(v) for v in obj]}}
    if isinstance(obj, list):
        return [serialize_keras_object(v) for v in obj]
    if isinstance(obj, Mapping) and not hasattr(obj, "get_config"):
        return {str(k): serialize_keras_object(v) for k, v in obj.items()}
    if hasattr(obj, "get_config") and not inspect.isclass(obj):
        cls = type(obj)
        return {
            "module": _class_module(cls),
            "class_name": cls.__name__,
            "config": serialization.serialize_config(obj.get_config(), serialize_keras_object),
            "registered_name": registry.custom_name(cls) or cls.__name__,
        }
    if callable(obj):
        registered = registry.custom_name(obj)
        namespace = registry.namespace_of(obj, _FUNCTION_NAMESPACES)
        name = registry.name_in(namespace, obj) if namespace else None
        name = registered or name or getattr(obj, "__name__", None)
        return {
            "module": registry.MODULES[namespace] if namespace else getattr(obj, "__module__", None),
            "class_name": "function",
            "config": name or repr(obj),
            "registered_name": name,
        }
    raise TypeError(
        f"Cannot serialize {obj!r} of type {type(obj).__name__}: it has no get_config(). "
        "Implement get_config() (and register the class with "
        "`@lx.saving.register_serializable()`)."
    )


def deserialize_keras_object(
    config: Any,
    custom_objects: Mapping[str, Any] | None = None,
    safe_mode: bool = True,
    **kwargs: Any,
) -> Any:
    """Inverse of `serialize_keras_object`.

    Args:
        config: What `serialize_keras_object` returned (after a JSON round trip).
        custom_objects: Classes and functions by name, for user-defined objects.
        safe_mode: Refuse configs that would rebuild arbitrary Python code
            (a `Lambda` layer's Python function).

    Raises:
        ValueError: for an unknown class or function (pass it in
            `custom_objects` or register it with `lx.saving.register_serializable`).

    Example:
        >>> import layerax as lx
        >>> config = lx.saving.serialize_keras_object(lx.optimizers.Adam(0.01))
        >>> opt = lx.saving.deserialize_keras_object(config)
        >>> type(opt).__name__, round(float(opt.learning_rate), 4)
        ('Adam', 0.01)
    """
    with registry.custom_object_scope(custom_objects or {}), serialization.safe_mode_scope(safe_mode):
        return _deserialize(config, custom_objects)


def _deserialize(config: Any, custom_objects: Mapping[str, Any] | None) -> Any:
    if config is None or isinstance(config, (bool, int, float, str)):
        return config
    if isinstance(config, list):
        return [_deserialize(v, custom_objects) for v in config]
    if not isinstance(config, Mapping):
        raise TypeError(f"Cannot deserialize {config!r}: expected a config dict.")
    class_name = config.get("class_name")
    if class_name is None:
        return {k: _deserialize(v, custom_objects) for k, v in config.items()}
    inner = config.get("config")
    if class_name == "__tuple__":
        return tuple(_deserialize(v, custom_objects) for v in inner["value"])
    if class_name == "__numpy__":
        return np.asarray(inner["value"], dtype=inner.get("dtype"))
    module = config.get("module")
    if class_name == "function":
        return _function(str(inner), config, module, custom_objects)
    if module in (None, "layerax.layers", "layerax.models") or not str(module).startswith("layerax."):
        found = _lookup_class(config, "layers", custom_objects)
        if found is not None and not (inspect.isclass(found) and issubclass(found, Layer)):
            # A non-layer class of the layers namespace (InputSpec) or a custom object.
            return _from_config(found, inner or {})
        return deserialize_layer(config, custom_objects=custom_objects)
    namespace = _BY_MODULE.get(str(module))
    if namespace is None:
        raise ValueError(f"Unknown module {module!r} in config {config!r}.")
    return serialization.deserialize(
        dict(config), FAMILIES[namespace], namespace, custom_objects=custom_objects
    )


def _function(name: str, config: Mapping[str, Any], module: Any, custom_objects: Any) -> Any:
    found = serialization.get_registered_object(config.get("registered_name") or name, custom_objects)
    if found is None:
        found = serialization.get_registered_object(name, custom_objects)
    if found is not None:
        return found
    namespaces = tuple(
        namespace for namespace in _FUNCTION_NAMESPACES
        if module is None or registry.MODULES[namespace] == module
    )
    if namespaces:
        fn = registry.lookup(namespaces, name, where=lambda obj: not inspect.isclass(obj))
        if fn is not None and callable(fn):
            return fn
    raise ValueError(
        f"Unknown function {name!r} (module {module!r}). Pass it in "
        f"`custom_objects={{{name!r}: fn}}` or decorate it with "
        "`@lx.saving.register_serializable()`."
    )


def _lookup_class(config: Mapping[str, Any], namespace: str, custom_objects: Any) -> Any:
    for name in (config.get("registered_name"), config.get("class_name")):
        if name:
            found = registry.get_registered_object(name, custom_objects)
            if found is None and registry.entries(namespace).get(name) is not None:
                found = registry.entries(namespace)[name]
            if found is not None:
                return found
    return None


def _from_config(cls: Any, inner: Mapping[str, Any]) -> Any:
    if hasattr(cls, "from_config"):
        return cls.from_config(dict(inner))
    return cls(**inner)


def serialize_layer(layer: Layer) -> dict[str, Any]:
    """`{"class_name", "registered_name", "config"}` of a layer.

    Example:
        >>> import layerax as lx
        >>> from layerax.core.serialization_lib import serialize_layer
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


def is_layer_class(obj: Any) -> bool:
    """Whether `obj` is a Layer class (the `"layers"` namespace also holds `InputSpec`).

    Example:
        >>> import layerax as lx
        >>> from layerax.core.serialization_lib import is_layer_class
        >>> is_layer_class(lx.layers.Dense), is_layer_class(lx.layers.InputSpec)
        (True, False)
    """
    return inspect.isclass(obj) and issubclass(obj, Layer)


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
        >>> from layerax.core.serialization_lib import deserialize_layer, serialize_layer
        >>> layer = deserialize_layer(serialize_layer(lx.layers.Dense(3, name="d")))
        >>> type(layer).__name__, layer.units, layer.name
        ('Dense', 3, 'd')
    """
    layer = serialization.deserialize(
        config, "layer", "layers", custom_objects=custom_objects, where=is_layer_class
    )
    if not isinstance(layer, Layer):
        raise ValueError(
            f"Deserializing {config.get('class_name')!r} gave {type(layer).__name__}, not a layer."
        )
    build = config.get("build_config")
    if build and not layer.built and _overrides_build_hooks(layer):
        layer.build_from_config(build)
        object.__setattr__(layer, "built", True)
    return layer
