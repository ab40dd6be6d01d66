"""`serialize_keras_object` / `deserialize_keras_object`: any layerax object to a JSON-able config.

A serialized object is `{"module", "class_name", "config", "registered_name"}`
(Keras 3's shape): `module` names the layerax family (`layerax.layers`,
`layerax.optimizers`, ...), which decides how it is rebuilt. Functions are
`{"module", "class_name": "function", "config": name}`. Tuples and numpy
arrays are tagged (`__tuple__`, `__numpy__`) so that they come back as they were.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

import numpy as np

from layerax.core import serialization

__all__ = ["deserialize_keras_object", "serialize_keras_object"]


def _families() -> list[tuple[str, type | None, Any]]:
    """`(module, base class, module object)` of every serializable family."""
    from layerax import activations, constraints, initializers, losses, metrics, optimizers, regularizers
    from layerax.core.layer import Layer
    from layerax.optimizers import schedules

    return [
        ("layerax.layers", Layer, None),
        ("layerax.optimizers.schedules", schedules.LearningRateSchedule, schedules),
        ("layerax.optimizers", optimizers.Optimizer, optimizers),
        ("layerax.losses", losses.Loss, losses),
        ("layerax.metrics", metrics.Metric, metrics),
        ("layerax.initializers", initializers.Initializer, initializers),
        ("layerax.regularizers", regularizers.Regularizer, regularizers),
        ("layerax.constraints", constraints.Constraint, constraints),
        ("layerax.activations", None, activations),
    ]


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
        module = "layerax.layers"
        for name, base, family in _families():
            if (base is not None and isinstance(obj, base)) or (
                family is not None and getattr(family, cls.__name__, None) is cls
            ):
                module = name  # a family member, or a helper class it exports (OptimizerMap)
                break
        return {
            "module": module if cls.__module__.startswith("layerax.") else cls.__module__,
            "class_name": cls.__name__,
            "config": serialization.serialize_config(obj.get_config(), serialize_keras_object),
            "registered_name": serialization._REGISTERED_NAMES.get(cls, cls.__name__),
        }
    if callable(obj):
        registered = serialization._REGISTERED_NAMES.get(obj)
        module = getattr(obj, "__module__", None)
        for name, _, family in _families():
            if family is not None and getattr(family, getattr(obj, "__name__", ""), None) is obj:
                module = name
                break
        return {
            "module": module,
            "class_name": "function",
            "config": registered or getattr(obj, "__name__", repr(obj)),
            "registered_name": registered or getattr(obj, "__name__", None),
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
    with serialization.custom_object_scope(custom_objects or {}), serialization.safe_mode_scope(safe_mode):
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
        name = str(inner)
        found = serialization.get_registered_object(config.get("registered_name") or name, custom_objects)
        if found is None:
            found = serialization.get_registered_object(name, custom_objects)
        if found is not None:
            return found
        for family_name, _, family in _families():
            if family is not None and (module is None or module == family_name):
                fn = getattr(family, name, None)
                if callable(fn) and not inspect.isclass(fn):
                    return fn
        raise ValueError(
            f"Unknown function {name!r} (module {module!r}). Pass it in "
            f"`custom_objects={{{name!r}: fn}}` or decorate it with "
            "`@lx.saving.register_serializable()`."
        )
    if module in (None, "layerax.layers", "layerax.models") or not str(module).startswith("layerax."):
        found = _lookup_class(config, custom_objects)
        from layerax.core.layer import Layer

        if found is None:
            # Non-layer classes of the layers namespace (InputSpec).
            import layerax.layers

            candidate = getattr(layerax.layers, str(class_name), None)
            if inspect.isclass(candidate) and not issubclass(candidate, Layer):
                found = candidate

        if found is not None and not (inspect.isclass(found) and issubclass(found, Layer)):
            return _from_config(found, inner or {}, custom_objects)
        from layerax.models.layer_registry import deserialize_layer

        return deserialize_layer(config, custom_objects=custom_objects)
    for family_name, base, family in _families():
        if module == family_name:
            helper = getattr(family, str(class_name), None)
            if inspect.isclass(helper) and base is not None and not issubclass(helper, base):
                # A helper class the family exports (OptimizerMap), not one of its members.
                return helper.from_config(dict(inner or {}), custom_objects)
            return family.deserialize(dict(config), custom_objects=custom_objects)
    raise ValueError(f"Unknown module {module!r} in config {config!r}.")


def _lookup_class(config: Mapping[str, Any], custom_objects: Mapping[str, Any] | None) -> Any:
    for name in (config.get("registered_name"), config.get("class_name")):
        if name:
            found = serialization.get_registered_object(name, custom_objects)
            if found is not None:
                return found
    return None


def _from_config(cls: Any, inner: Mapping[str, Any], custom_objects: Any) -> Any:
    if hasattr(cls, "from_config"):
        return cls.from_config(dict(inner))
    return cls(**inner)
