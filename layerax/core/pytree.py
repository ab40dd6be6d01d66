"""Layers as JAX pytrees.

The leaves of a layer are the values of its variables, in `layer.variables`
order (the weights, then random-seed states). Everything else is static: it
is summarised in a hashable key so that two layers of the same class and
configuration have equal tree structures (names aside), which lets
`jax.tree.map` combine a model with its gradients, and lets `jax.jit` reuse a
compiled function when only the variable values change.

Unflattening clones the layer graph: every sub-layer and variable reachable
through the layer's attributes (and lists, tuples and dicts of them) is copied,
the variables receiving the new leaves. The clone is independent of the
original: mutations made on it inside a JAX transform never reach the live
layer.
"""

from __future__ import annotations

import functools
import types
from typing import Any

import jax

from layerax.core.context import CTX
from layerax.core.random import SeedGenerator
from layerax.core.tracking import TrackedDict, TrackedList
from layerax.core.variable import Variable, copy_variable

# Attributes that describe no behaviour, or are rebuilt by the clone.
_UNKEYED_ATTRS = frozenset({"name", "_name", "_losses", "_lx_cache", "_auto_config"})
_FRESH_ATTRS = {"_lx_cache": dict, "_losses": list, "_lx_added_metrics": list}
_FUNCTION_TYPES = (
    types.FunctionType,
    types.BuiltinFunctionType,
    types.MethodType,
    functools.partial,
)


class LayerTreeDef:
    """Pytree aux data of a layer: a template to clone and a structural key."""

    __slots__ = ("template", "variables", "key", "keys", "_hash")

    def __init__(self, template: Any, variables: list[Variable]) -> None:
        self.template = template
        self.variables = variables
        index = {id(v): i for i, v in enumerate(variables)}
        self.key = (type(template), _describe(template, {}, index))
        self._hash = hash(self.key)
        self.keys = tuple(jax.tree_util.DictKey(v.path) for v in variables)

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        return (
            isinstance(other, LayerTreeDef) and self._hash == other._hash and self.key == other.key
        )

    def __hash__(self) -> int:
        return self._hash

    def __repr__(self) -> str:
        return f"{type(self.template).__name__}(<{len(self.variables)} variables>)"

    def unflatten(self, leaves: Any) -> Any:
        memo: dict[int, Any] = {}
        for var, leaf in zip(self.variables, leaves):
            memo[id(var)] = copy_variable(var, leaf)
        clone = _clone(self.template, memo)
        template_cache = self.template.__dict__.get("_lx_cache")
        if (
            template_cache is not None
            and template_cache.get("version") == CTX.structure_version
            and template_cache.get("pytree", (None, None))[1] is self
        ):
            # The template has not changed since this treedef described it, so the clone has
            # exactly this structure: seed its flatten cache, so that flattening it (the next
            # step of a jax.jit loop that returns the model) does not walk the graph again.
            # The clone is the template of its own treedef (as if it had been described).
            treedef = object.__new__(LayerTreeDef)
            treedef.template = clone
            treedef.variables = [memo[id(v)] for v in self.variables]
            treedef.key, treedef._hash, treedef.keys = self.key, self._hash, self.keys
            clone.__dict__["_lx_cache"].update(
                version=CTX.structure_version, pytree=(treedef.variables, treedef)
            )
            clone.__dict__["_lx_treedef"] = treedef
        return clone


def _describe(obj: Any, seen: dict[int, int], index: dict[int, int]) -> Any:
    """A hashable summary of everything in `obj` that is not a variable value."""
    from layerax.core.layer import Layer

    if isinstance(obj, Layer):
        key = id(obj)
        if key in seen:
            return ("layer-ref", seen[key])
        seen[key] = len(seen)
        items = tuple(
            (name, _describe(value, seen, index))
            for name, value in obj.__dict__.items()
            if name not in _UNKEYED_ATTRS and not name.startswith("_lx_")
        )
        return (type(obj), items)
    if isinstance(obj, Variable):
        return ("var", index.get(id(obj), -1), obj._trainable)
    if isinstance(obj, SeedGenerator):
        return ("seed", _describe(obj.state, seen, index))
    if isinstance(obj, (list, tuple)):
        return (type(obj).__name__, tuple(_describe(v, seen, index) for v in obj))
    if isinstance(obj, dict):
        return ("dict", tuple((k, _describe(v, seen, index)) for k, v in obj.items()))
    if obj is None or isinstance(obj, (bool, int, float, str, bytes, complex, type)):
        return obj
    if getattr(type(obj), "_lx_static_eq", False) or isinstance(obj, _FUNCTION_TYPES):
        # Value-comparable configuration objects (dtype policies, initializers' configs) and
        # functions (compared by identity) keep their own equality.
        return obj
    return ("id", id(obj))


# Attribute values that are shared by a clone as they are (the common case): skip the checks.
_SHARED_TYPES = frozenset({bool, int, float, str, bytes, complex, type(None), types.FunctionType})
# type -> whether `_clone` returns its instances unchanged (decided once per type).
_SHARED_BY_TYPE: dict[type, bool] = dict.fromkeys(_SHARED_TYPES, True)
_Layer: Any = None  # layerax.core.layer.Layer, imported on first use (a circular import)


def _shared_type(kind: type) -> bool:
    shared = _SHARED_BY_TYPE.get(kind)
    if shared is None:
        stateful = (_Layer, Variable, SeedGenerator, list, tuple, dict)
        shared = _SHARED_BY_TYPE[kind] = not issubclass(kind, stateful)
    return shared


def _clone_layer(obj: Any, memo: dict[int, Any]) -> Any:
    new = object.__new__(type(obj))
    memo[id(obj)] = new
    source = obj.__dict__
    fresh = dict(source)  # most attributes are shared as they are: one C-level copy
    for name, value in source.items():
        kind = type(value)
        shared = _SHARED_BY_TYPE.get(kind)
        if shared is None:
            shared = _shared_type(kind)
        if not shared:
            factory = _FRESH_ATTRS.get(name)
            fresh[name] = factory() if factory is not None else _clone(value, memo)
    fresh.pop("_lx_treedef", None)
    object.__setattr__(new, "__dict__", fresh)
    return new


def _clone(obj: Any, memo: dict[int, Any]) -> Any:
    global _Layer
    if type(obj) in _SHARED_TYPES:
        return obj
    key = id(obj)
    if key in memo:
        return memo[key]
    if _Layer is None:
        from layerax.core.layer import Layer

        _Layer = Layer
    if isinstance(obj, _Layer):
        return _clone_layer(obj, memo)
    if isinstance(obj, Variable):
        new = memo[key] = copy_variable(obj, obj._value)
        return new
    if isinstance(obj, SeedGenerator):
        new = object.__new__(SeedGenerator)
        memo[key] = new
        new.__dict__.update(obj.__dict__)
        new.state = _clone(obj.state, memo)
        return new
    if isinstance(obj, TrackedList):
        return TrackedList(_clone(v, memo) for v in obj)
    if isinstance(obj, TrackedDict):
        return TrackedDict((k, _clone(v, memo)) for k, v in obj.items())
    if isinstance(obj, list):
        return [_clone(v, memo) for v in obj]
    if isinstance(obj, tuple) and type(obj) is tuple:
        return tuple(_clone(v, memo) for v in obj)
    if isinstance(obj, dict) and type(obj) is dict:
        return {k: _clone(v, memo) for k, v in obj.items()}
    return obj


def flatten_layer(layer: Any) -> tuple[list[Any], LayerTreeDef]:
    variables, treedef = layer._lx_pytree()
    if variables and variables[0].__class__ is Variable and not _has_interceptors():
        return [v._value for v in variables], treedef
    return [v.value for v in variables], treedef


def flatten_layer_with_keys(layer: Any) -> tuple[list[tuple[Any, Any]], LayerTreeDef]:
    leaves, treedef = flatten_layer(layer)
    return list(zip(treedef.keys, leaves)), treedef


def unflatten_layer(treedef: LayerTreeDef, leaves: Any) -> Any:
    return treedef.unflatten(leaves)


def _has_interceptors() -> bool:
    from layerax.core.context import CTX

    return bool(CTX.interceptors)


def register_layer_class(cls: type) -> None:
    jax.tree_util.register_pytree_with_keys(
        cls, flatten_layer_with_keys, unflatten_layer, flatten_func=flatten_layer
    )
