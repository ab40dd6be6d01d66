"""Cloning a layer graph: the generic walk, and the linear program a pytree replays.

Unflattening a layer (`core/pytree.py`) copies every sub-layer, variable, seed generator
and container of them reachable through the layer's attributes; the variables receive the
new leaves, everything else (configuration, functions, arrays, other objects) is shared.

`clone_object` does it by walking the graph. A `jax.jit` loop unflattens the same
structure on every step (the model, and each optimizer slot shaped like it), so
`CloneProgram` walks the template once and records the copy as a flat list of steps over
numbered slots: make the variables from the leaves, allocate the layers, build the
containers inner first, then fill each layer's attributes. Replaying it makes no recursive
call and no lookup by object id.

A program describes its template as it was when it was built. It is kept for one
structure version (`CTX.structure_version`, bumped by every change that adds, removes or
builds a layer or a weight, or changes what is trainable) and checks, when it fills a layer,
that each attribute it planned for still holds the object it planned for: an attribute
replaced without a bump is cloned by `clone_object` instead. Attributes that hold per-object
caches (`FRESH_ATTRS`, `_lx_treedef`) are looked up in the template at every replay, so that
a cache the template gained after the program was built (the compiled steps of `fit`, the
treedef of a sub-layer flattened on its own) is never shared by its clones.

Unlike `clone_object`, a program copies each container once, so a clone keeps the
template's aliasing (two attributes holding the same list hold the same copy).
"""

from __future__ import annotations

import types
from itertools import repeat
from operator import itemgetter
from typing import Any

from layerax.core.random import SeedGenerator
from layerax.core.tracking import TrackedDict, TrackedList
from layerax.core.variable import Variable, copy_variable

# Per-object caches and bookkeeping a clone starts afresh (made by these factories).
# `_lx_functions` holds a compiled model's fit/evaluate/predict steps, bound to the model
# they were made for: a clone compiles its own on first use (it shares the optimizer and
# metrics objects). `_lx_treedef` (a layer's last pytree structure) is dropped.
FRESH_ATTRS = {"_lx_cache": dict, "_losses": list, "_lx_added_metrics": list, "_lx_functions": dict}
_FRESH_ITEMS = tuple(FRESH_ATTRS.items())
_DROPPED_ATTR = "_lx_treedef"

# Attribute values that are shared by a clone as they are (the common case): skip the checks.
_SHARED_TYPES = frozenset({bool, int, float, str, bytes, complex, type(None), types.FunctionType})
# type -> whether `clone_object` returns its instances unchanged (decided once per type).
_SHARED_BY_TYPE: dict[type, bool] = dict.fromkeys(_SHARED_TYPES, True)
_STATE_HOLDERS = (Variable, SeedGenerator, list, tuple, dict)


def is_layer_type(kind: type) -> bool:
    """Whether `kind` is a layer class: `Layer` marks its classes with `_lx_is_layer` (this
    module sits below `core/layer/` and does not import it)."""
    return getattr(kind, "_lx_is_layer", False) is True


def shared_type(kind: type) -> bool:
    """Whether a clone shares instances of `kind` (they hold no layer, variable or seed)."""
    shared = _SHARED_BY_TYPE.get(kind)
    if shared is None:
        holds_state = is_layer_type(kind) or issubclass(kind, _STATE_HOLDERS)
        shared = _SHARED_BY_TYPE[kind] = not holds_state
    return shared


# ------------------------------------------------------------------ the generic walk
def _clone_layer(obj: Any, memo: dict[int, Any]) -> Any:
    new = object.__new__(type(obj))
    memo[id(obj)] = new
    source = obj.__dict__
    fresh = dict(source)  # most attributes are shared as they are: one C-level copy
    for name, value in source.items():
        kind = type(value)
        shared = _SHARED_BY_TYPE.get(kind)
        if shared is None:
            shared = shared_type(kind)
        if not shared:
            factory = FRESH_ATTRS.get(name)
            fresh[name] = factory() if factory is not None else clone_object(value, memo)
    fresh.pop(_DROPPED_ATTR, None)
    object.__setattr__(new, "__dict__", fresh)
    return new


def clone_object(obj: Any, memo: dict[int, Any]) -> Any:
    """Clones the layers, variables and seed generators in `obj` (through lists, tuples and
    dicts); `memo` maps the ids of objects already cloned to their clones."""
    if type(obj) in _SHARED_TYPES:
        return obj
    key = id(obj)
    if key in memo:
        return memo[key]
    if is_layer_type(type(obj)):
        return _clone_layer(obj, memo)
    if isinstance(obj, Variable):
        new = memo[key] = copy_variable(obj, obj._value)
        return new
    if isinstance(obj, SeedGenerator):
        new = object.__new__(SeedGenerator)
        memo[key] = new
        new.__dict__.update(obj.__dict__)
        new.state = clone_object(obj.state, memo)
        return new
    if isinstance(obj, TrackedList):
        return TrackedList(clone_object(v, memo) for v in obj)
    if isinstance(obj, TrackedDict):
        return TrackedDict((k, clone_object(v, memo)) for k, v in obj.items())
    if isinstance(obj, list):
        return [clone_object(v, memo) for v in obj]
    if isinstance(obj, tuple) and type(obj) is tuple:
        return tuple(clone_object(v, memo) for v in obj)
    if isinstance(obj, dict) and type(obj) is dict:
        return {k: clone_object(v, memo) for k, v in obj.items()}
    return obj


# ------------------------------------------------------------------ the linear program
# How a container step builds its slot from the slots of its items (see `CloneProgram.run`).
_LIST, _TUPLE, _DICT, _TRACKED_LIST, _TRACKED_DICT = range(5)
_BUILDERS = {_LIST: list, _TUPLE: tuple, _TRACKED_LIST: TrackedList}
_EXACT_CONTAINERS = (list, tuple, dict)
_MISSING = object()


def _container_code(obj: Any) -> int | None:
    """How `clone_object` rebuilds a container element by element (None: it shares it)."""
    if isinstance(obj, TrackedList):
        return _TRACKED_LIST
    if isinstance(obj, TrackedDict):
        return _TRACKED_DICT
    if isinstance(obj, list):
        return _LIST
    if type(obj) is tuple:
        return _TUPLE
    if type(obj) is dict:
        return _DICT
    return None


class _Recorder:
    """Walks a template once, noting every object a clone makes or shares, by kind.

    Each object is recorded once (by id), so a clone keeps the template's aliasing: two
    attributes holding the same list hold the same copy.
    """

    def __init__(self, leaf_variables: list[Variable]) -> None:
        self.holds_state: dict[int, bool] = {id(v): True for v in leaf_variables}
        self.extra_variables: list[Variable] = []  # reachable, but not leaves: keep their value
        self.allocated: list[Any] = []  # layers and seed generators, made empty then filled
        self.constants: list[Any] = []  # shared by the clone as they are
        self.copies: list[Any] = []  # lists and dicts without state: shallow copies
        self.containers: list[Any] = []  # rebuilt from their items' clones, inner ones first
        self.layers: list[tuple[Any, list[tuple[str, Any]]]] = []
        self.seeds: list[Any] = []

    def visit(self, obj: Any) -> bool:
        """Records `obj` and what it holds; returns whether it holds state."""
        key = id(obj)
        known = self.holds_state.get(key)
        if known is not None:
            return known
        kind = type(obj)
        if kind in _SHARED_TYPES:
            return self._record(self.constants, obj, False)
        if is_layer_type(kind):
            self.holds_state[key] = True  # before its attributes: a cycle back finds it
            self.allocated.append(obj)
            attrs = []
            for name, value in obj.__dict__.items():
                if name in FRESH_ATTRS or name == _DROPPED_ATTR or shared_type(type(value)):
                    continue
                self.visit(value)
                attrs.append((name, value))
            self.layers.append((obj, attrs))
            return True
        if isinstance(obj, Variable):
            return self._record(self.extra_variables, obj, True)
        if isinstance(obj, SeedGenerator):
            self._record(self.allocated, obj, True)
            self.visit(obj.state)
            self.seeds.append(obj)
            return True
        if not isinstance(obj, _EXACT_CONTAINERS):
            return self._record(self.constants, obj, False)
        if not self._holds_state(obj) and kind in _EXACT_CONTAINERS:
            return self._record(self.constants if kind is tuple else self.copies, obj, False)
        stateful = False
        for item in obj.values() if isinstance(obj, dict) else obj:
            stateful = self.visit(item) or stateful
        if _container_code(obj) is None:  # a tuple or dict subclass: shared, as clone_object does
            return self._record(self.constants, obj, stateful)
        return self._record(self.containers, obj, stateful)

    def _record(self, group: list[Any], obj: Any, stateful: bool) -> bool:
        self.holds_state[id(obj)] = stateful
        group.append(obj)
        return stateful

    def _holds_state(self, obj: Any) -> bool:
        """Whether a container holds a layer, variable or seed generator (at any depth)."""
        for item in obj.values() if isinstance(obj, dict) else obj:
            kind = type(item)
            if kind in _SHARED_TYPES:
                continue
            known = self.holds_state.get(id(item))
            if known or (known is None and not shared_type(kind) and (
                not isinstance(item, _EXACT_CONTAINERS) or self._holds_state(item)
            )):
                return True
        return False


class CloneProgram:
    """The clone of one template, recorded as flat steps over numbered slots.

    Slots are numbered in the order a replay fills them: the leaf variables (in the
    treedef's order), other variables the graph reaches, the layers and seed generators
    (allocated empty), the shared constants, shallow copies of the lists and dicts without
    state, then the containers that hold state, inner ones first. A replay then fills each
    layer's attributes, and each seed generator's.

    Args:
        template: The layer whose graph is cloned.
        leaf_variables: The variables that receive the leaves, in order.
        version: The structure version the program describes.
    """

    __slots__ = (
        "version", "leaf_variables", "extra_variables", "classes", "constants", "list_copies",
        "dict_copies",
        "containers", "layers", "seeds", "origins", "root", "variable_slots",
    )

    def __init__(self, template: Any, leaf_variables: list[Variable], version: int) -> None:
        rec = _Recorder(leaf_variables)
        rec.visit(template)
        list_copies = [c for c in rec.copies if type(c) is list]
        dict_copies = [c for c in rec.copies if type(c) is dict]
        origins = [*leaf_variables, *rec.extra_variables, *rec.allocated, *rec.constants,
                   *list_copies, *dict_copies, *rec.containers]
        slot = {id(obj): i for i, obj in enumerate(origins)}
        if len(slot) < len(origins):
            # A variable listed twice among the leaves: its references get the last copy.
            slot.update({id(v): i for i, v in enumerate(leaf_variables)})
        self.version = version
        self.leaf_variables = list(leaf_variables)
        self.extra_variables = rec.extra_variables
        self.classes = [type(obj) for obj in rec.allocated]
        self.constants = rec.constants
        self.list_copies, self.dict_copies = list_copies, dict_copies
        self.containers = [_container_step(obj, slot) for obj in rec.containers]
        self.layers = [_layer_step(layer, attrs, slot) for layer, attrs in rec.layers]
        self.seeds = [(slot[id(s)], s, s.state, slot[id(s.state)]) for s in rec.seeds]
        self.origins = origins
        self.root = slot[id(template)]
        self.variable_slots = (
            None if len(slot) == len(origins) else [slot[id(v)] for v in leaf_variables]
        )

    def run(self, leaves: Any, tracing: bool, root: Any = None) -> tuple[Any, list[Variable]]:
        """Makes a clone whose leaf variables hold `leaves`; returns it and those variables.

        `root`, when given, is an allocated instance of the template's class that becomes
        the clone (its `__dict__` is replaced): a deferred clone being built."""
        variables = list(map(copy_variable, self.leaf_variables, leaves, repeat(tracing)))
        objs: list[Any] = list(variables)
        if self.variable_slots is not None:
            variables = [objs[i] for i in self.variable_slots]
        if self.extra_variables:
            objs.extend([copy_variable(v, v._value, tracing) for v in self.extra_variables])
        objs.extend(map(object.__new__, self.classes))
        if root is not None:
            objs[self.root] = root
        objs.extend(self.constants)
        objs.extend(map(list.copy, self.list_copies))
        objs.extend(map(dict.copy, self.dict_copies))
        for build, items, keys in self.containers:
            values = items(objs)
            objs.append(build(values) if keys is None else build(zip(keys, values)))
        memo = None
        for index, layer, attrs, fresh, late in self.layers:
            values = dict(layer.__dict__)
            get = values.get
            for name, planned, source in attrs:
                value = get(name, _MISSING)
                if value is planned:
                    values[name] = objs[source]
                elif value is not _MISSING:  # replaced since the program was made, no bump
                    if memo is None:
                        memo = dict(zip(map(id, self.origins), objs))
                    values[name] = clone_object(value, memo)
            for name, factory in fresh:
                values[name] = factory()
            for name, factory in late:  # a cache the template gained after the program
                if name in values:
                    values[name] = factory()
            values.pop(_DROPPED_ATTR, None)
            object.__setattr__(objs[index], "__dict__", values)
        for index, seed, expected, source in self.seeds:
            new = objs[index]
            new.__dict__.update(seed.__dict__)
            state = seed.state
            if state is expected:
                new.state = objs[source]
            else:
                if memo is None:
                    memo = dict(zip(map(id, self.origins), objs))
                new.state = clone_object(state, memo)
        return objs[self.root], variables


def _getter(indices: tuple[int, ...]) -> Any:
    """A function of the slots that returns the tuple of those at `indices`."""
    if len(indices) >= 2:
        return itemgetter(*indices)
    if len(indices) == 1:
        only = indices[0]
        return lambda objs: (objs[only],)
    return lambda objs: ()


def _container_step(obj: Any, slot: dict[int, int]) -> tuple[Any, Any, tuple[Any, ...] | None]:
    """How a replay rebuilds `obj`: (its type, a getter of its items' slots, its keys)."""
    code = _container_code(obj)
    if code in (_DICT, _TRACKED_DICT):
        build = dict if code == _DICT else TrackedDict
        return build, _getter(tuple(slot[id(v)] for v in obj.values())), tuple(obj.keys())
    return _BUILDERS[code], _getter(tuple(slot[id(v)] for v in obj)), None


def _layer_step(layer: Any, attrs: list[tuple[str, Any]], slot: dict[int, int]) -> tuple[Any, ...]:
    """How a replay fills `layer`'s clone: its slot, the layer, (name, the object it held,
    the slot of its clone) for each attribute it clones, the fresh caches the layer has and
    those it may gain later."""
    planned = tuple((name, value, slot[id(value)]) for name, value in attrs)
    fresh = tuple(item for item in _FRESH_ITEMS if item[0] in layer.__dict__)
    late = tuple(item for item in _FRESH_ITEMS if item[0] not in layer.__dict__)
    return slot[id(layer)], layer, planned, fresh, late
