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
layer. What the leaves are decides what the clone is (see `core/state.py`):
made with concrete arrays (the model `jax.jit` or an eager `jax.tree.map`
returns) it is a live model for the tape, `lx.function` and `fit`; made with
tracers it lives only inside that trace.
"""

from __future__ import annotations

import functools
import types
from typing import Any

import jax

from layerax.core.context import CTX, jax_is_tracing
from layerax.core.random import SeedGenerator
from layerax.core.tracking import TrackedDict, TrackedList
from layerax.core.variable import Variable, copy_variable

# Attributes that describe no behaviour, or are rebuilt by the clone. `_lx_functions` holds
# a compiled model's fit/evaluate/predict steps, bound to the model they were made for: a
# clone compiles its own on first use (it shares the optimizer and metrics objects).
_UNKEYED_ATTRS = frozenset({"name", "_name", "_losses", "_lx_cache", "_auto_config"})
_FRESH_ATTRS = {
    "_lx_cache": dict, "_losses": list, "_lx_added_metrics": list, "_lx_functions": dict
}
_FUNCTION_TYPES = (
    types.FunctionType,
    types.BuiltinFunctionType,
    types.MethodType,
    functools.partial,
)


class LayerTreeDef:
    """Pytree aux data of a layer: a template to clone and a structural key."""

    __slots__ = ("template", "variables", "key", "keys", "_hash", "_plan")

    def __init__(self, template: Any, variables: list[Variable]) -> None:
        self.template = template
        self.variables = variables
        index = {id(v): i for i, v in enumerate(variables)}
        self.key = (type(template), _describe(template, {}, index))
        self._hash = hash(self.key)
        self.keys = tuple(jax.tree_util.DictKey(v.path) for v in variables)
        self._plan: tuple[int, dict[int, Any]] | None = None

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
        tracing = jax_is_tracing()
        for var, leaf in zip(self.variables, leaves):
            memo[id(var)] = copy_variable(var, leaf, tracing)
        plan = self._plan
        if plan is None or plan[0] != CTX.structure_version:
            # Which attributes and containers of the template hold state, found once per
            # structure (the steps of a jax.jit loop reuse it until a layer changes).
            plan = self._plan = (CTX.structure_version, _clone_plan(self.template))
            self._revalidate_template()
        clone = _clone_planned(self.template, memo, plan[1])
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
            treedef._plan = None
            clone.__dict__["_lx_cache"].update(
                version=CTX.structure_version, pytree=(treedef.variables, treedef)
            )
            clone.__dict__["_lx_treedef"] = treedef
        return clone


    def _revalidate_template(self) -> None:
        """After a structure change anywhere, confirms once that the template still has this
        structure and marks its cache current again, so that its clones keep seeding their
        flatten caches (else every step of a jax.jit loop would describe its clone again)."""
        template = self.template
        cache = template.__dict__.get("_lx_cache")
        if cache is None or cache.get("version") == CTX.structure_version:
            return
        variables = template.variables
        if len(variables) != len(self.variables) or any(
            a is not b for a, b in zip(variables, self.variables)
        ):
            return
        index = {id(v): i for i, v in enumerate(variables)}
        if (type(template), _describe(template, {}, index)) == self.key:
            template._cache()["pytree"] = (self.variables, self)


def _describe(obj: Any, seen: dict[int, int], index: dict[int, int]) -> Any:
    """A hashable summary of everything in `obj` that is not a variable value."""
    if _is_layer_type(type(obj)):
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
_STATE_HOLDERS = (Variable, SeedGenerator, list, tuple, dict)


def _is_layer_type(kind: type) -> bool:
    """Whether `kind` is a layer class: `Layer` marks its classes with `_lx_is_layer` (this
    module sits below `core/layer/` and does not import it)."""
    return getattr(kind, "_lx_is_layer", False) is True


def _shared_type(kind: type) -> bool:
    shared = _SHARED_BY_TYPE.get(kind)
    if shared is None:
        holds_state = _is_layer_type(kind) or issubclass(kind, _STATE_HOLDERS)
        shared = _SHARED_BY_TYPE[kind] = not holds_state
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
    if type(obj) in _SHARED_TYPES:
        return obj
    key = id(obj)
    if key in memo:
        return memo[key]
    if _is_layer_type(type(obj)):
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


# How `_clone_planned` copies an object of the template (see `_clone_plan`).
_SHARE, _COPY = 0, 1


def _clone_plan(template: Any) -> dict[int, Any]:
    """Maps the ids of the template's layers and containers to how a clone copies them.

    A layer maps to the names of its attributes that hold state (layers, variables,
    seed generators, or containers of them) and must be cloned; its other attributes are
    shared, or copied when they are mutable containers. A container maps to `_SHARE`
    (a tuple without state), `_COPY` (a list or dict without state: a shallow copy) or
    True (it holds state: cloned element by element).
    """
    plan: dict[int, Any] = {}

    def visit(obj: Any) -> bool:
        """Records how to copy `obj`; returns whether it holds state."""
        kind = type(obj)
        if kind in _SHARED_TYPES:
            return False
        key = id(obj)
        if key in plan:
            entry = plan[key]
            return entry is not _SHARE and entry is not _COPY
        if _is_layer_type(kind):
            plan[key] = ()  # placeholder: a cycle back to this layer
            names = []
            for name, value in obj.__dict__.items():
                if name in _FRESH_ATTRS or name == "_lx_treedef":
                    continue
                if not _shared_type(type(value)):
                    visit(value)
                    names.append(name)
            plan[key] = tuple(names)
            return True
        if isinstance(obj, (Variable, SeedGenerator)):
            plan[key] = True
            return True
        if isinstance(obj, (list, tuple)):
            stateful = False
            plan[key] = _SHARE
            for value in obj:
                stateful = visit(value) or stateful
        elif isinstance(obj, dict):
            stateful = False
            plan[key] = _SHARE
            for value in obj.values():
                stateful = visit(value) or stateful
        else:
            return False
        if stateful or type(obj) not in (list, tuple, dict):
            plan[key] = True
        else:
            plan[key] = _SHARE if type(obj) is tuple else _COPY
        return stateful

    visit(template)
    return plan


def _clone_planned(obj: Any, memo: dict[int, Any], plan: dict[int, Any]) -> Any:
    """`_clone`, guided by a plan of the template: only what holds state is walked."""
    key = id(obj)
    if key in memo:
        return memo[key]
    entry = plan.get(key)
    if entry is None:
        return _clone(obj, memo)
    if entry is _SHARE:
        return obj
    if entry is _COPY:
        return obj.copy()
    if type(entry) is tuple:  # a layer: the names of its attributes that hold state
        new = object.__new__(type(obj))
        memo[key] = new
        fresh = dict(obj.__dict__)
        for name in entry:
            fresh[name] = _clone_planned(fresh[name], memo, plan)
        for name, factory in _FRESH_ATTRS.items():
            if name in fresh:
                fresh[name] = factory()
        fresh.pop("_lx_treedef", None)
        object.__setattr__(new, "__dict__", fresh)
        return new
    kind = type(obj)
    if kind is list:
        return [_clone_planned(v, memo, plan) for v in obj]
    if kind is tuple:
        return tuple(_clone_planned(v, memo, plan) for v in obj)
    if kind is dict:
        return {k: _clone_planned(v, memo, plan) for k, v in obj.items()}
    if kind is TrackedList:
        return TrackedList(_clone_planned(v, memo, plan) for v in obj)
    if kind is TrackedDict:
        return TrackedDict((k, _clone_planned(v, memo, plan)) for k, v in obj.items())
    return _clone(obj, memo)


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
    return bool(CTX.interceptors)


def register_layer_class(cls: type) -> None:
    jax.tree_util.register_pytree_with_keys(
        cls, flatten_layer_with_keys, unflatten_layer, flatten_func=flatten_layer
    )
