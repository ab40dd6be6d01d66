"""The one table of named objects: every family's built-ins and the user's custom objects.

Each family is a namespace of the table (`"layers"`, `"losses"`, `"metrics"`,
`"optimizers"`, `"optimizers.schedules"`, `"initializers"`, `"regularizers"`,
`"constraints"`, `"activations"`). A built-in class or function declares itself
once, where it is defined: layers through `Layer.__init_subclass__`, the others
with the `register` decorator (which also takes the family's other names for it,
`"mse"`, `"glorot_uniform"`). Every `get(identifier)`, `deserialize`,
`serialize_keras_object` and `load_model` reads this table; the family packages
sit above the kernel and fill it when they are imported.

User objects registered with `lx.saving.register_serializable` live in the
`"custom"` namespace under `"package>name"` keys (`get_custom_objects()` is that
namespace, as a live dict); `custom_object_scope` adds names for one block.
"""

from __future__ import annotations

import contextlib
import inspect
import threading
from collections.abc import Callable, Iterator, Mapping
from types import MappingProxyType
from typing import Any

__all__ = [
    "MODULES",
    "NAMESPACES",
    "current_custom_objects",
    "custom_name",
    "custom_object_scope",
    "entries",
    "get_custom_objects",
    "get_registered_name",
    "get_registered_object",
    "lookup",
    "name_in",
    "namespace_of",
    "register",
    "register_base",
    "register_layer_class",
    "register_serializable",
]

# The families, in the order a function or class is searched for when its family is unknown.
NAMESPACES: tuple[str, ...] = (
    "layers", "optimizers.schedules", "optimizers", "losses", "metrics", "metrics.functions",
    "initializers", "regularizers", "constraints", "activations",
)
# The public module of each namespace (the `module` of a serialized object).
MODULES: dict[str, str] = {
    **{namespace: f"layerax.{namespace}" for namespace in NAMESPACES},
    "metrics.functions": "layerax.metrics",
}
_TABLE: dict[str, dict[str, Any]] = {namespace: {} for namespace in NAMESPACES}
# Per namespace: object -> the name it was declared under (its first name).
_NAMES: dict[str, dict[Any, str]] = {namespace: {} for namespace in NAMESPACES}

# Per namespace: the family's base classes (`Loss`, `Optimizer`), which need no name.
_BASES: dict[str, list[type]] = {namespace: [] for namespace in NAMESPACES}

_CUSTOM: dict[str, Any] = {}
_CUSTOM_NAMES: dict[Any, str] = {}
_SCOPES = threading.local()


def _check_namespace(namespace: str) -> None:
    if namespace not in _TABLE:
        raise ValueError(
            f"Unknown registry namespace: {namespace!r}. Expected one of {list(NAMESPACES)}."
        )


def _add(namespace: str, name: str, obj: Any) -> None:
    table = _TABLE[namespace]
    old = table.get(name)
    if old is not None and old is not obj and _identity(old) != _identity(obj):
        raise ValueError(
            f"The registry namespace {namespace!r} already has {name!r} "
            f"({_identity(old)}); cannot declare {_identity(obj)} under the same name. "
            "Give it another name."
        )
    table[name] = obj


def _identity(obj: Any) -> str:
    return f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', repr(obj))}"


def register(namespace: str, *aliases: str, name: str | None = None) -> Callable[[Any], Any]:
    """Declares a built-in class or function of a family, under its name and `aliases`.

    Args:
        namespace: The family (`"losses"`, `"initializers"`, ...).
        *aliases: Other names that find the object (`"mse"`, `"glorot_uniform"`).
        name: The object's own name in the family; its `__name__` by default.

    Returns:
        A decorator returning the object unchanged.

    Example:
        >>> from layerax.core import registry
        >>> import layerax as lx
        >>> registry.lookup("losses", "mse") is lx.losses.mean_squared_error
        True
        >>> registry.name_in("initializers", lx.initializers.GlorotUniform)
        'GlorotUniform'
    """
    _check_namespace(namespace)

    def decorator(obj: Any) -> Any:
        own = name or obj.__name__
        _add(namespace, own, obj)
        _NAMES[namespace].setdefault(obj, own)
        for alias in aliases:
            _add(namespace, alias, obj)
        return obj

    return decorator


def register_base(namespace: str) -> Callable[[type], type]:
    """Declares a family's base class: its subclasses belong to `namespace` even when
    they are not declared themselves (the base is not found by name).

    Example:
        >>> from layerax.core import registry
        >>> import layerax as lx
        >>> class Halve(lx.regularizers.Regularizer):
        ...     def __call__(self, x):
        ...         return 0.5 * x
        >>> registry.namespace_of(Halve)
        'regularizers'
    """
    _check_namespace(namespace)

    def decorator(cls: type) -> type:
        if cls not in _BASES[namespace]:
            _BASES[namespace].append(cls)
        return cls

    return decorator


def register_layer_class(cls: type) -> None:
    """Called by `Layer.__init_subclass__`: layerax's own public layer classes join `"layers"`.

    Classes defined outside layerax (the user's) are not declared here: they are
    found through `register_serializable` or `custom_objects`, as in Keras.

    Example:
        >>> import layerax as lx
        >>> from layerax.core import registry
        >>> registry.lookup("layers", "Dense") is lx.layers.Dense
        True
    """
    if cls.__module__.startswith("layerax.") and not cls.__name__.startswith("_"):
        if cls.__name__ not in _TABLE["layers"]:
            _TABLE["layers"][cls.__name__] = cls
            _NAMES["layers"].setdefault(cls, cls.__name__)


def entries(namespace: str) -> Mapping[str, Any]:
    """The names and objects of one namespace, read-only, in declaration order.

    Example:
        >>> from layerax.core import registry
        >>> import layerax as lx
        >>> entries = registry.entries("regularizers")
        >>> entries["l2"] is lx.regularizers.L2, "L1L2" in entries
        (True, True)
    """
    _check_namespace(namespace)
    return MappingProxyType(_TABLE[namespace])


def name_in(namespace: str, obj: Any) -> str | None:
    """The name `obj` was declared under in `namespace`, or None.

    Example:
        >>> from layerax.core import registry
        >>> import layerax as lx
        >>> registry.name_in("activations", lx.activations.silu), registry.name_in("losses", len)
        ('silu', None)
    """
    _check_namespace(namespace)
    try:
        return _NAMES[namespace].get(obj)
    except TypeError:  # an unhashable object is never declared
        return None


def namespace_of(obj: Any, namespaces: tuple[str, ...] = NAMESPACES) -> str | None:
    """The first of `namespaces` that declares `obj` (a class: it or its nearest declared base).

    Example:
        >>> from layerax.core import registry
        >>> import layerax as lx
        >>> registry.namespace_of(lx.layers.Dense), registry.namespace_of(lx.losses.huber)
        ('layers', 'losses')
    """
    candidates = inspect.getmro(obj) if inspect.isclass(obj) else (obj,)
    for candidate in candidates:
        for namespace in namespaces:
            if name_in(namespace, candidate) is not None or candidate in _BASES[namespace]:
                return namespace
    return None


def _normalize(name: str) -> str:
    return name.replace("_", "").lower()


def lookup(
    namespace: str | tuple[str, ...],
    name: str,
    custom_objects: Mapping[str, Any] | None = None,
    *,
    where: Callable[[Any], bool] | None = None,
) -> Any:
    """The object `name` finds in `namespace` (or the first of several), or None.

    Names are looked up, in order, in `custom_objects`, the active
    `custom_object_scope`s, the registered custom objects, then the namespaces:
    their exact names first, then ignoring case and underscores (`"GlorotUniform"`
    and `"glorot_uniform"` find the same class), classes before functions.

    Args:
        namespace: The family, or several searched in order.
        name: The name to find.
        custom_objects: Extra names to objects, searched first.
        where: Keeps only the namespace's objects it accepts (classes only, say).

    Example:
        >>> from layerax.core import registry
        >>> registry.lookup("optimizers", "Adam").__name__
        'Adam'
        >>> registry.lookup("losses", "meansquarederror").__name__
        'MeanSquaredError'
        >>> registry.lookup("optimizers", "not_an_optimizer") is None
        True
    """
    namespaces = (namespace,) if isinstance(namespace, str) else tuple(namespace)
    for each in namespaces:
        _check_namespace(each)
    found = get_registered_object(name, custom_objects)
    if found is not None:
        return found
    accepts = where or (lambda obj: True)
    for each in namespaces:
        obj = _TABLE[each].get(name)
        if obj is not None and accepts(obj):
            return obj
    wanted = _normalize(name)
    for want_class in (True, False):
        for each in namespaces:
            for key, value in _TABLE[each].items():
                if (inspect.isclass(value) == want_class and _normalize(key) == wanted
                        and accepts(value)):
                    return value
    return None


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
        _CUSTOM[key] = obj
        _CUSTOM_NAMES[obj] = key
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
    return _CUSTOM


def custom_name(obj: Any) -> str | None:
    """The `"package>name"` key of a registered custom object, or None.

    Example:
        >>> import layerax as lx
        >>> from layerax.core import registry
        >>> @lx.saving.register_serializable(package="demo")
        ... def double(x):
        ...     return 2 * x
        >>> registry.custom_name(double), registry.custom_name(lx.activations.relu)
        ('demo>double', None)
    """
    try:
        return _CUSTOM_NAMES.get(obj)
    except TypeError:
        return None


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
    return custom_name(obj) or getattr(obj, "__name__", type(obj).__name__)


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
    for scope in getattr(_SCOPES, "stack", ()):
        if name in scope:
            return scope[name]
    return _CUSTOM.get(name)


def current_custom_objects() -> dict[str, Any]:
    """The objects of every active `custom_object_scope`, innermost winning."""
    merged: dict[str, Any] = {}
    for scope in getattr(_SCOPES, "stack", ()):
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
    stack = getattr(_SCOPES, "stack", None)
    if stack is None:
        stack = _SCOPES.stack = []
    stack.append(dict(custom_objects))
    try:
        yield
    finally:
        stack.pop()
