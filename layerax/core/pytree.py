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
tracers it lives only inside that trace. Outside a trace the clone is deferred: it is
built on first use, and flattening it before that returns its leaves as they came
(`DeferredClone`), so a `jax.jit` loop over a model does not copy its graph per step.
"""

from __future__ import annotations

import functools
import types
import weakref
from operator import attrgetter
from typing import Any

import jax

from layerax.core.context import BUILD_DEFERRED, CTX, DEFERRED_CLONES, jax_is_tracing
from layerax.core.graph_clone import CloneProgram, is_layer_type
from layerax.core.random import SeedGenerator
from layerax.core.variable import Variable

# Attributes that describe no behaviour, or are rebuilt by the clone (see core/graph_clone.py).
_UNKEYED_ATTRS = frozenset({"name", "_name", "_losses", "_lx_cache", "_auto_config"})
_IS_TRACE_LOCAL = attrgetter("_trace_local")
_FUNCTION_TYPES = (
    types.FunctionType,
    types.BuiltinFunctionType,
    types.MethodType,
    functools.partial,
)


class LayerTreeDef:
    """Pytree aux data of a layer: a template to clone and a structural key.

    A treedef made by describing a layer holds it as its template. A clone made outside
    any trace gets a treedef seeded by the one that made it (its `source`), which holds
    the clone only weakly: a `jax.jit` loop that returns the model drops each step's clone
    as soon as the next one replaces it, freed at once (a strong reference back from the
    clone's cache would make every clone a reference cycle, left for the garbage
    collector together with its arrays). Clones made inside a trace hold their template
    strongly: the output structure `jax.jit` keeps is such a treedef.
    """

    __slots__ = (
        "_template", "_clone_of", "_source", "_seeded_at", "variables", "key", "keys", "_hash",
        "_plan",
    )

    def __init__(self, template: Any, variables: list[Variable]) -> None:
        self._template = template
        self._clone_of: weakref.ref[Any] | None = None
        self._source: LayerTreeDef | None = None
        self._seeded_at = -1
        self.variables = variables
        index = {id(v): i for i, v in enumerate(variables)}
        self.key = (type(template), _describe(template, {}, index))
        self._hash = hash(self.key)
        self.keys = tuple(jax.tree_util.DictKey(v.path) for v in variables)
        self._plan: CloneProgram | None = None

    @property
    def template(self) -> Any:
        """The layer this treedef clones (None: a seeded clone that no longer exists)."""
        template = self._template
        if template is None and self._clone_of is not None:
            template = self._clone_of()
        return template

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        return (
            isinstance(other, LayerTreeDef) and self._hash == other._hash and self.key == other.key
        )

    def __hash__(self) -> int:
        return self._hash

    def __repr__(self) -> str:
        return f"{self.key[0].__name__}(<{len(self.variables)} variables>)"

    def unflatten(self, leaves: Any) -> Any:
        if self._template is None:
            return self._unflatten_seeded(leaves)
        program = self._plan
        if program is None or program.version != CTX.structure_version:
            # The clone as flat steps, recorded once per structure (the steps of a jax.jit
            # loop replay it until a layer changes).
            program = self._plan = CloneProgram(
                self._template, self.variables, CTX.structure_version
            )
            self._revalidate_template()
        tracing = jax_is_tracing()
        if not tracing and not program.extra_variables and _defers(type(self._template)):
            return _deferred(self, program, leaves)
        clone, variables = program.run(leaves, tracing)
        self._seed_if_current(clone, variables, tracing)
        return clone

    def _seed_if_current(self, clone: Any, variables: list[Variable], tracing: bool) -> None:
        """Seeds the clone's flatten cache while the template's structure is current."""
        template_cache = self._template.__dict__.get("_lx_cache")
        if (
            template_cache is not None
            and template_cache.get("version") == CTX.structure_version
            and template_cache.get("pytree", (None, None))[1] is self
        ):
            self._seed(clone, variables, tracing)

    def _seed(self, clone: Any, variables: list[Variable], tracing: bool) -> None:
        """Seeds the flatten cache of `clone`, which has exactly this structure.

        The template has not changed since this treedef described it, so flattening the
        clone (the next step of a jax.jit loop that returns the model) need not walk its
        graph again. The clone is the template of its own treedef (as if it had been
        described), held weakly when the clone lives outside any trace.
        """
        if tracing or any(map(_IS_TRACE_LOCAL, variables)):
            treedef = object.__new__(LayerTreeDef)
            treedef._template, treedef._clone_of, treedef._source = clone, None, None
            treedef._seeded_at = CTX.structure_version
            treedef.variables = variables
            treedef.key, treedef._hash, treedef.keys = self.key, self._hash, self.keys
            treedef._plan = None
        else:
            treedef = self.seeded_for(clone, variables)
        self._install(clone, variables, treedef)

    def seeded_for(self, clone: Any, variables: Any) -> LayerTreeDef:
        """A treedef of `clone` (made outside any trace, with this structure) seeded by
        this one: it holds the clone weakly and unflattens through `source`."""
        treedef = object.__new__(LayerTreeDef)
        treedef._template, treedef._clone_of = None, weakref.ref(clone)
        treedef._source = self if self._source is None else self._source
        treedef._seeded_at = CTX.structure_version
        treedef.variables = variables
        treedef.key, treedef._hash, treedef.keys = self.key, self._hash, self.keys
        treedef._plan = None
        return treedef

    @staticmethod
    def _install(clone: Any, variables: list[Variable], treedef: LayerTreeDef) -> None:
        clone.__dict__["_lx_cache"].update(
            version=CTX.structure_version, pytree=(variables, treedef)
        )
        clone.__dict__["_lx_treedef"] = treedef

    def _unflatten_seeded(self, leaves: Any) -> Any:
        """Unflattens a treedef seeded by `_source`, whose template has the same structure."""
        clone = self._clone_of() if self._clone_of is not None else None
        if clone is None or self._seeded_at == CTX.structure_version:
            # Nothing changed anywhere since the seeding (or the clone is gone): the source's
            # template still has exactly this structure, and its program is current.
            return self._source.unflatten(leaves)
        # Layers changed since: clone the clone itself, as a described treedef would (from
        # now on it holds it strongly, like one).
        self._template, self._clone_of, self._source = clone, None, None
        return self.unflatten(leaves)

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
    if is_layer_type(type(obj)):
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


# ------------------------------------------------------------------ deferred clones
class DeferredClone(dict):
    """The `__dict__` of a layer that unflattening returned outside any trace, not built yet.

    A `jax.jit` loop over a model (`model, opt_state = step(model, opt_state, x, y)`)
    unflattens its outputs on every step: the model, and each optimizer slot shaped like
    it. Most of those clones are only flattened again by the next step. So outside a trace
    `LayerTreeDef.unflatten` returns an instance of the template's class whose `__dict__`
    is this record: the treedef, its clone program and the leaves. Flattening it returns
    the leaves and the treedef as they are; anything else builds it first (replays the
    program into it, as an eager unflatten would have): an attribute the instance lacks
    (`Layer.__getattr__`), a read or write of its `__dict__` (every method of this class),
    or any structure change anywhere (`bump_structure_version`), so that it is always
    built from the structure it was taken from. Once built it is an ordinary layer.
    """

    __slots__ = ("owner", "treedef", "program", "leaves", "seeded")

    def _built(self) -> dict[str, Any]:
        owner = self.owner()
        if owner is None:  # pragma: no cover - the record outlived its layer
            return {}
        build_deferred(owner)
        return owner.__dict__

    def __getitem__(self, key: Any) -> Any:
        return self._built()[key]

    def __setitem__(self, key: Any, value: Any) -> None:
        self._built()[key] = value

    def __delitem__(self, key: Any) -> None:
        del self._built()[key]

    def __contains__(self, key: object) -> bool:
        return key in self._built()

    def __iter__(self) -> Any:
        return iter(self._built())

    def __len__(self) -> int:
        return len(self._built())

    def __repr__(self) -> str:
        return repr(self._built())

    def __eq__(self, other: object) -> bool:
        return self._built() == other

    __hash__ = None  # type: ignore[assignment]

    def __reduce_ex__(self, protocol: Any) -> Any:
        return dict, (dict(self._built()),)

    def get(self, key: Any, default: Any = None) -> Any:
        return self._built().get(key, default)

    def keys(self) -> Any:
        return self._built().keys()

    def values(self) -> Any:
        return self._built().values()

    def items(self) -> Any:
        return self._built().items()

    def pop(self, key: Any, *default: Any) -> Any:
        return self._built().pop(key, *default)

    def setdefault(self, key: Any, default: Any = None) -> Any:
        return self._built().setdefault(key, default)

    def update(self, *args: Any, **kwargs: Any) -> None:
        self._built().update(*args, **kwargs)

    def copy(self) -> dict[str, Any]:
        return self._built().copy()


_DEFERS: dict[type, bool] = {}


def _defers(cls: type) -> bool:
    """Whether instances of `cls` may be deferred: its attribute hooks are Layer's own."""
    known = _DEFERS.get(cls)
    if known is None:
        known = _DEFERS[cls] = (
            getattr(getattr(cls, "__getattr__", None), "_lx_builds_deferred", False) is True
            and cls.__getattribute__ is object.__getattribute__
        )
    return known


def _deferred(treedef: LayerTreeDef, program: CloneProgram, leaves: Any) -> Any:
    layer = object.__new__(type(treedef._template))
    record = DeferredClone()
    record.owner = weakref.ref(layer)
    record.treedef, record.program, record.leaves = treedef, program, leaves
    record.seeded = None
    object.__setattr__(layer, "__dict__", record)
    DEFERRED_CLONES.add(layer)
    return layer


def build_deferred(layer: Any) -> None:
    """Builds `layer` if it is a deferred clone (see `DeferredClone`); else does nothing.

    Example:
        >>> import jax, layerax as lx
        >>> from layerax.core.pytree import DeferredClone, build_deferred
        >>> model = lx.Sequential([lx.Input((2,)), lx.layers.Dense(3)])
        >>> leaves, treedef = jax.tree_util.tree_flatten(model)
        >>> clone = jax.tree_util.tree_unflatten(treedef, leaves)
        >>> type(object.__getattribute__(clone, "__dict__")).__name__
        'DeferredClone'
        >>> build_deferred(clone)
        >>> type(object.__getattribute__(clone, "__dict__")).__name__
        'dict'
        >>> clone.layers[0].units
        3
    """
    record = object.__getattribute__(layer, "__dict__")
    if type(record) is not DeferredClone:
        return
    DEFERRED_CLONES.discard(layer)
    treedef, seeded = record.treedef, record.seeded
    clone, variables = record.program.run(record.leaves, False, root=layer)
    if dict.__len__(record):
        # Entries written into the record directly (object.__setattr__) before it was built.
        clone.__dict__.update(dict.items(record))
    if seeded is None:
        treedef._seed_if_current(clone, variables, False)
        return
    # It was flattened before it was built: the treedef it gave learns its variables.
    seeded.variables = variables
    if seeded._seeded_at == CTX.structure_version:
        treedef._install(clone, variables, seeded)


BUILD_DEFERRED[:] = [build_deferred]


def flatten_layer(layer: Any) -> tuple[list[Any], LayerTreeDef]:
    record = layer.__dict__
    if type(record) is DeferredClone:
        if not CTX.interceptors:
            # Its own treedef (seeded, as an eager clone's): one that follows the layer's
            # later changes, made once.
            seeded = record.seeded
            if seeded is None:
                seeded = record.seeded = record.treedef.seeded_for(layer, None)
            return record.leaves, seeded
        build_deferred(layer)  # a recording tape sees the reads of the variables
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
