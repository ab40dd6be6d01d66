"""Identifier resolution and (de)serialization shared by every family of objects.

Each family (activations, initializers, optimizers, losses, ...) has a
`get(identifier)` that accepts a string name, a config dict, an instance or a
callable, and raises one clear error otherwise. Names are found in the one
table of `layerax.core.registry`, in the family's namespace.
"""

from __future__ import annotations

import contextlib
import inspect
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from layerax.core import registry
from layerax.core.registry import current_custom_objects as current_custom_objects
from layerax.core.registry import custom_object_scope as custom_object_scope
from layerax.core.registry import get_custom_objects as get_custom_objects
from layerax.core.registry import get_registered_name as get_registered_name
from layerax.core.registry import get_registered_object as get_registered_object
from layerax.core.registry import register_serializable as register_serializable

_SAFE_MODE = threading.local()


@contextlib.contextmanager
def safe_mode_scope(safe_mode: bool | None) -> Iterator[None]:
    """Sets the safe mode seen by deserializers inside the block (None: leave it as it is).

    In safe mode (the default), configs that would rebuild arbitrary Python
    code (a `Lambda` layer's function) are refused.
    """
    if safe_mode is None:
        yield
        return
    stack = getattr(_SAFE_MODE, "stack", None)
    if stack is None:
        stack = _SAFE_MODE.stack = []
    stack.append(bool(safe_mode))
    try:
        yield
    finally:
        stack.pop()


# Set by `lx.config.enable_unsafe_deserialization()`: safe mode off for the process.
_UNSAFE_GLOBALLY = [False]


def enable_unsafe_deserialization() -> None:
    """Turns safe mode off for the whole process, as Keras' function of this name does.

    Afterwards every deserialization (`load_model`, `from_config`, ...) may
    rebuild Python code such as a `Lambda` layer's function, whatever its own
    `safe_mode` argument says. Only do this for files you trust.
    """
    _UNSAFE_GLOBALLY[0] = True


def in_safe_mode() -> bool:
    """The innermost `safe_mode_scope`'s value; True outside any scope.

    False everywhere once `enable_unsafe_deserialization()` was called (as in
    Keras, the global switch wins over a call's `safe_mode=True`).
    """
    if _UNSAFE_GLOBALLY[0]:
        return False
    stack = getattr(_SAFE_MODE, "stack", None)
    return stack[-1] if stack else True


def resolve(
    identifier: Any,
    family: str,
    namespace: str | tuple[str, ...],
    *,
    instantiate: bool = True,
    custom_objects: Mapping[str, Any] | None = None,
    accept: Callable[[Any], bool] = callable,
    where: Callable[[Any], bool] | None = None,
) -> Any:
    """Resolves a family identifier (string, config dict, instance or callable).

    Args:
        identifier: What the user passed.
        family: The family's name for error messages ("activation", ...).
        namespace: The registry namespace(s) names are looked up in.
        instantiate: Whether a class found by name is instantiated.
        custom_objects: Extra names to objects.
        accept: Which non-string, non-dict identifiers are returned as they are.
        where: Which of the namespace's objects a name may find.

    Raises:
        ValueError: for unknown names, listing the valid ones.
    """
    if identifier is None:
        return None
    if isinstance(identifier, str):
        obj = registry.lookup(namespace, identifier, custom_objects, where=where)
        if obj is None:
            raise ValueError(
                f"Could not interpret {family} identifier: {identifier!r}. "
                f"Valid names are: {', '.join(_valid_names(namespace, where))}. "
                "You can also pass an instance or a callable."
            )
        if inspect.isclass(obj) and instantiate:
            return obj()
        return obj
    if isinstance(identifier, Mapping):
        return deserialize(identifier, family, namespace, custom_objects=custom_objects,
                           where=where)
    if accept(identifier):
        return identifier
    raise ValueError(f"Could not interpret {family} identifier: {identifier!r}.")


def _valid_names(namespace: str | tuple[str, ...], where: Callable[[Any], bool] | None) -> list[str]:
    namespaces = (namespace,) if isinstance(namespace, str) else namespace
    return sorted({
        key for each in namespaces for key, value in registry.entries(each).items()
        if key == key.lower() and (where is None or where(value))
    })


def serialize(obj: Any, namespace: str | None = None) -> Any:
    """`{"class_name", "config"}` for objects with `get_config`, the name for functions.

    A function declared in `namespace` gives the name it was declared under.
    """
    if obj is None:
        return None
    if hasattr(obj, "get_config") and not inspect.isclass(obj):
        cls = type(obj)
        return {
            "class_name": cls.__name__,
            "registered_name": registry.custom_name(cls) or cls.__name__,
            "config": serialize_config(obj.get_config()),
        }
    custom = registry.custom_name(obj)
    if custom is not None:
        return custom
    if namespace is not None and registry.name_in(namespace, obj) is not None:
        return registry.name_in(namespace, obj)
    return getattr(obj, "__name__", None)


def serialize_config(config: Any, serialize_object: Callable[[Any], Any] | None = None) -> Any:
    """`get_config()` output with the objects inside it (layers, regularizers, ...) serialized.

    Like Keras, a custom `get_config()` may return sub-objects as they are
    (`{"sublayer": self.sublayer}`): they become config dicts here (made by
    `serialize_object`, `serialize` by default), so the result is plain data
    and `from_config` builds new objects from it. Tuples, lists and dicts are
    walked; everything else is kept.
    """
    if isinstance(config, Mapping):
        return {key: serialize_config(value, serialize_object) for key, value in config.items()}
    if isinstance(config, list):
        return [serialize_config(value, serialize_object) for value in config]
    if isinstance(config, tuple) and not hasattr(config, "_fields"):
        return tuple(serialize_config(value, serialize_object) for value in config)
    if hasattr(config, "get_config") and not inspect.isclass(config):
        return (serialize_object or serialize)(config)
    return config


def deserialize(
    config: Any,
    family: str,
    namespace: str | tuple[str, ...],
    *,
    custom_objects: Mapping[str, Any] | None = None,
    instantiate: bool = True,
    where: Callable[[Any], bool] | None = None,
) -> Any:
    """Inverse of `serialize`: a name goes through `resolve`, a config dict through `from_config`.

    `where` keeps only the namespace's objects it accepts (as in `resolve`).
    """
    if config is None:
        return None
    if isinstance(config, str):
        return resolve(config, family, namespace, custom_objects=custom_objects,
                       instantiate=instantiate, where=where)
    if not isinstance(config, Mapping) or "class_name" not in config:
        raise ValueError(
            f"Could not deserialize {family}: expected a dict with 'class_name' and 'config'. "
            f"Received: {config!r}"
        )
    names = [config.get("registered_name"), config["class_name"]]
    cls = None
    for name in names:
        if name:
            cls = registry.lookup(namespace, name, custom_objects, where=where)
            if cls is not None:
                break
    if cls is None:
        raise ValueError(
            f"Unknown {family} class: {config['class_name']!r}. If it is a custom class, pass it "
            "in `custom_objects={...}` or decorate it with "
            "`@lx.saving.register_serializable()`."
        )
    inner = config.get("config") or {}
    if family == "layer" and isinstance(cls, type):
        from layerax.core.keras_configs import is_keras_config, normalize_keras_layer_config

        if is_keras_config(config):
            inner = normalize_keras_layer_config(cls, inner)
    if hasattr(cls, "from_config"):
        return cls.from_config(dict(inner))
    return cls(**inner)
