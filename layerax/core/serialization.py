"""Identifier resolution and (de)serialization shared by every family of objects.

Each family (activations, initializers, optimizers, losses, ...) has a
`get(identifier)` that accepts a string name, a config dict, an instance or a
callable, and raises one clear error otherwise.
"""

from __future__ import annotations

import contextlib
import inspect
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any

_REGISTERED: dict[str, Any] = {}
_REGISTERED_NAMES: dict[Any, str] = {}
_CUSTOM_OBJECTS = threading.local()


def register_serializable(package: str = "Custom", name: str | None = None) -> Callable[[Any], Any]:
    """Registers a user class or function so that configs can name it.

    Args:
        package: Namespace of the object (the key is `"package>name"`).
        name: Name under the package; the object's `__name__` by default.

    Example:
        >>> import layerax as lx
        >>> @lx.saving.register_serializable(package="demo")
        ... class Twice(lx.layers.Layer):
        ...     def call(self, x):
        ...         return 2 * x
        >>> lx.saving.get_registered_name(Twice)
        'demo>Twice'
    """

    def decorator(obj: Any) -> Any:
        key = f"{package}>{name or obj.__name__}"
        if inspect.isclass(obj) and not hasattr(obj, "get_config"):
            raise TypeError(
                f"Cannot register {obj.__name__}: registered classes must implement get_config()."
            )
        _REGISTERED[key] = obj
        _REGISTERED_NAMES[obj] = key
        return obj

    return decorator


def get_custom_objects() -> dict[str, Any]:
    """The global registry of custom objects, as a live dict (Keras' `get_custom_objects`).

    `register_serializable` fills it under `"package>name"` keys; entries added
    by hand are found by deserialization too, and `clear()` empties it.

    Example:
        >>> import layerax as lx
        >>> @lx.saving.register_keras_serializable(package="demo")
        ... def halve(x):
        ...     return x / 2
        >>> lx.saving.get_custom_objects()["demo>halve"] is halve
        True
    """
    return _REGISTERED


def get_registered_name(obj: Any) -> str:
    """The key under which `obj` was registered, else its name.

    Example:
        >>> import layerax as lx
        >>> @lx.saving.register_serializable(package="demo")
        ... def square(x):
        ...     return x * x
        >>> lx.saving.get_registered_name(square), lx.saving.get_registered_name(len)
        ('demo>square', 'len')
    """
    return _REGISTERED_NAMES.get(obj, getattr(obj, "__name__", type(obj).__name__))


def get_registered_object(name: str, custom_objects: Mapping[str, Any] | None = None) -> Any:
    """Looks `name` up in `custom_objects`, the active custom-object scope, then the registry.

    Example:
        >>> import layerax as lx
        >>> @lx.saving.register_serializable(package="demo")
        ... def cube(x):
        ...     return x ** 3
        >>> lx.saving.get_registered_object("demo>cube") is cube
        True
        >>> lx.saving.get_registered_object("cube", custom_objects={"cube": abs}) is abs
        True
    """
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    for scope in getattr(_CUSTOM_OBJECTS, "stack", ()):
        if name in scope:
            return scope[name]
    return _REGISTERED.get(name)


def current_custom_objects() -> dict[str, Any]:
    """The objects of every active `custom_object_scope`, innermost winning."""
    merged: dict[str, Any] = {}
    for scope in getattr(_CUSTOM_OBJECTS, "stack", ()):
        merged.update(scope)
    return merged


@contextlib.contextmanager
def custom_object_scope(custom_objects: Mapping[str, Any]) -> Iterator[None]:
    """Makes `custom_objects` visible to every deserialization inside the block.

    Example:
        >>> import layerax as lx
        >>> class Twice(lx.layers.Layer):
        ...     def call(self, x):
        ...         return 2 * x
        >>> config = lx.saving.serialize_keras_object(Twice(name="t"))
        >>> with lx.saving.custom_object_scope({"Twice": Twice}):
        ...     layer = lx.saving.deserialize_keras_object(config)
        >>> type(layer).__name__, layer.name
        ('Twice', 't')
    """
    stack = getattr(_CUSTOM_OBJECTS, "stack", None)
    if stack is None:
        stack = _CUSTOM_OBJECTS.stack = []
    stack.append(dict(custom_objects))
    try:
        yield
    finally:
        stack.pop()


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


def normalize_name(name: str) -> str:
    return name.replace("_", "").lower()


def resolve(
    identifier: Any,
    family: str,
    table: Mapping[str, Any],
    *,
    instantiate: bool = True,
    custom_objects: Mapping[str, Any] | None = None,
    accept: Callable[[Any], bool] = callable,
) -> Any:
    """Resolves a family identifier (string, config dict, instance or callable).

    Args:
        identifier: What the user passed.
        family: The family's name for error messages ("activation", ...).
        table: Known names (snake_case and class names) to objects.
        instantiate: Whether a class found by name is instantiated.
        custom_objects: Extra names to objects.
        accept: Which non-string, non-dict identifiers are returned as they are.

    Raises:
        ValueError: for unknown names, listing the valid ones.
    """
    if identifier is None:
        return None
    if isinstance(identifier, str):
        obj = _lookup(identifier, table, custom_objects)
        if obj is None:
            valid = sorted(k for k in table if k == k.lower())
            raise ValueError(
                f"Could not interpret {family} identifier: {identifier!r}. "
                f"Valid names are: {', '.join(valid)}. You can also pass an instance or a callable."
            )
        if inspect.isclass(obj) and instantiate:
            return obj()
        return obj
    if isinstance(identifier, Mapping):
        return deserialize(identifier, family, table, custom_objects=custom_objects)
    if accept(identifier):
        return identifier
    raise ValueError(f"Could not interpret {family} identifier: {identifier!r}.")


def _lookup(name: str, table: Mapping[str, Any], custom_objects: Mapping[str, Any] | None) -> Any:
    found = get_registered_object(name, custom_objects)
    if found is not None:
        return found
    if name in table:
        return table[name]
    wanted = normalize_name(name)
    for key, value in table.items():
        if normalize_name(key) == wanted:
            return value
    return None


def serialize(obj: Any) -> Any:
    """`{"class_name", "config"}` for objects with `get_config`, the name for functions."""
    if obj is None:
        return None
    if hasattr(obj, "get_config") and not inspect.isclass(obj):
        cls = type(obj)
        return {
            "class_name": cls.__name__,
            "registered_name": _REGISTERED_NAMES.get(cls, cls.__name__),
            "config": serialize_config(obj.get_config()),
        }
    return _REGISTERED_NAMES.get(obj, getattr(obj, "__name__", None))


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
    table: Mapping[str, Any],
    *,
    custom_objects: Mapping[str, Any] | None = None,
) -> Any:
    """Inverse of `serialize`."""
    if config is None:
        return None
    if isinstance(config, str):
        return resolve(config, family, table, custom_objects=custom_objects)
    if not isinstance(config, Mapping) or "class_name" not in config:
        raise ValueError(
            f"Could not deserialize {family}: expected a dict with 'class_name' and 'config'. "
            f"Received: {config!r}"
        )
    names = [config.get("registered_name"), config["class_name"]]
    cls = None
    for name in names:
        if name:
            cls = _lookup(name, table, custom_objects)
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
