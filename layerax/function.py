"""`lx.function` (alias `lx.jit`): compile a stateful Python function with `jax.jit`.

The variables the function reads or assigns (of layers, optimizers, metrics,
or bare `Variable`s, passed as arguments or captured by closure) are found on
the first trace and become inputs and outputs of one compiled computation;
their new values are written back after each call.

How a call runs:
  1. The arguments are split into dynamic leaves (arrays and Python numbers)
     and static parts (tree structure, bools, strings, stateful objects by
     identity). The static parts select a cache entry.
  2. The entry holds the variables the function touches, split into those it
     assigns (passed in donated, returned updated) and those it only reads.
  3. On a miss, the function is traced inside the pure bridge with
     `adopt_missing=True`: variables it touches that the entry does not know
     abort the trace (before anything compiles) and are added; the trace then
     runs again. This is how the first call discovers the state.
"""

from __future__ import annotations

import functools
import inspect
import itertools
import re
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from layerax.core.context import CTX
from layerax.core.state import (  # noqa: F401 - register_stateful_type is re-exported
    StateScope,
    is_stateful,
    register_stateful_type,
    state_is_routed,
)
from layerax.core.variable import Tracer, Variable

from layerax.tape import _compat

# The concrete jax.Array class, named without creating an array: importing layerax
# must not start the XLA backend (jax.distributed.initialize has to come first).
_ARRAY_TYPE = _compat.ARRAY_TYPE or type(jnp.zeros(()))
_FAST_TYPES = frozenset({_ARRAY_TYPE, np.ndarray})
_DYNAMIC_SCALARS = (int, float, complex, np.generic)
_MAX_RETRACES = 8
# JAX's errors for Python code that needs the concrete value of a traced argument.
_CONCRETE_VALUE_ERRORS = (
    jax.errors.ConcretizationTypeError,  # includes TracerBoolConversionError
    jax.errors.TracerIntegerConversionError,
    jax.errors.TracerArrayConversionError,
)

# The registry of state containers is `core.state`'s; `register_stateful_type` stays importable
# from here for the modules (optimizers, metrics) that register their classes.


class _Retrace(Exception):
    """Raised inside a trace that touched variables its entry did not know."""

    def __init__(self, missed: list[Variable], assigned: set[int]) -> None:
        super().__init__("retrace")
        self.missed = missed
        self.assigned = assigned


class _Ref:
    """Hashes and compares an object by identity (stateful or unhashable static values)."""

    __slots__ = ("obj",)

    def __init__(self, obj: Any) -> None:
        self.obj = obj

    def __hash__(self) -> int:
        return id(self.obj)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Ref) and other.obj is self.obj


_is_stateful = is_stateful


def _shallow_signature(args: tuple[Any, ...]) -> tuple[Any, list[Any]]:
    """A key and the dynamic leaves of arguments that are arrays, or tuples/lists of arrays and None.

    Two calls with the same key have the same tree structure and the same (empty) static
    parts, so they share the entry that the general path would find; the leaves come in
    the order `tree_flatten` gives them (None is an empty node, not a leaf). Anything else
    returns `(None, [])` and takes the general path.
    """
    signature: list[Any] = []
    dynamic: list[Any] = []
    for a in args:
        kind = type(a)
        if kind in _FAST_TYPES:
            signature.append(True)
            dynamic.append(a)
        elif kind is tuple or kind is list:
            inner = []
            for b in a:
                if type(b) in _FAST_TYPES:
                    inner.append(True)
                    dynamic.append(b)
                elif b is None:
                    inner.append(False)
                else:
                    return None, []
            signature.append((kind, tuple(inner)))
        else:
            return None, []
    return tuple(signature), dynamic


def _static_key(x: Any) -> Any:
    if _is_stateful(x):
        return _Ref(x)
    try:
        hash(x)
    except TypeError:
        return _Ref(x)
    return x


class _Entry:
    """One traced signature: the variables it touches and its jitted pure function."""

    def __init__(self, owner: Function, treedef: Any, statics: tuple[Any, ...], dynamic_mask: tuple[bool, ...]) -> None:
        self.owner = owner
        self.treedef = treedef
        self.statics = statics
        self.dynamic_mask = dynamic_mask
        # Start from the state other signatures of this function touched: usually the same,
        # which saves the discovery trace.
        self.mutable: list[Variable] = list(owner._known_mutable)
        self.readonly: list[Variable] = list(owner._known_readonly)
        self.jitted: Any = None
        # Whether the current `jitted` was traced once knowing every variable it touches.
        self.probed = False
        self._probing = False
        self._probe_result: _Retrace | None = None
        self._build()

    def _rebuild_args(self, dynamic: Sequence[Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
        if self.treedef is None:
            return tuple(dynamic), {}
        leaves, dyn, stat = [], iter(dynamic), iter(self.statics)
        for is_dynamic in self.dynamic_mask:
            leaves.append(next(dyn) if is_dynamic else next(stat))
        args, kwargs = jax.tree_util.tree_unflatten(self.treedef, leaves)
        return args, kwargs

    def _build(self) -> None:
        mutable, readonly = list(self.mutable), list(self.readonly)
        n_mut = len(mutable)
        mutable_ids = {id(v) for v in mutable}
        fn = self.owner._fn
        owner = self.owner

        def pure(mut_values: list[Any], ro_values: list[Any], dynamic: list[Any]) -> Any:
            owner.trace_count += 1
            args, kwargs = self._rebuild_args(dynamic)
            scope = StateScope(mutable + readonly, list(mut_values) + list(ro_values), adopt_missing=True)
            with scope:
                try:
                    out = fn(*args, **kwargs)
                except _CONCRETE_VALUE_ERRORS as exc:
                    raise TypeError(_tracing_error_message(owner, self, exc)) from exc
            if scope.missed or not scope.assigned <= mutable_ids:
                retrace = _Retrace(scope.missed, scope.assigned)
                if not self._probing:
                    raise retrace
                # A probe lets the trace finish: JAX does not release a trace that an
                # exception aborted, nor the arrays it captured as constants (here the values
                # of the variables it did not know: the whole state on a first call).
                self._probe_result = retrace
            new_values = scope.values_out[:n_mut]
            # Sharded state leaves the step with the sharding it came in with, so the next
            # call neither reshards nor recompiles, and the donated buffers are reused.
            return out, [
                value if var._sharding is None
                else jax.lax.with_sharding_constraint(value, var._sharding)
                for var, value in zip(mutable, new_values)
            ]

        self.jitted = jax.jit(pure, donate_argnums=(0,) if owner.donate else ())
        self.probed = False

    def _probe(self, mut_values: list[Any], ro_values: list[Any], dynamic: Sequence[Any]) -> _Retrace | None:
        """Traces `jitted` without compiling; returns what it missed (None: nothing).

        A complete trace is cached by `jax.jit`, so the call that follows does not trace again.
        """
        self._probing, self._probe_result = True, None
        try:
            self.jitted.trace(mut_values, ro_values, list(dynamic))
        finally:
            self._probing = False
        result, self._probe_result = self._probe_result, None
        self.probed = result is None
        return result

    def extend(self, retrace: _Retrace) -> None:
        known = {id(v) for v in self.mutable} | {id(v) for v in self.readonly}
        for var in retrace.missed:
            if id(var) not in known:
                known.add(id(var))
                (self.mutable if id(var) in retrace.assigned else self.readonly).append(var)
        moved = [v for v in self.readonly if id(v) in retrace.assigned]
        if moved:
            self.readonly = [v for v in self.readonly if id(v) not in retrace.assigned]
            self.mutable.extend(moved)
        self.owner._known_mutable = list(self.mutable)
        self.owner._known_readonly = list(self.readonly)
        self._build()

    def discover(self, dynamic: Sequence[Any]) -> None:
        """Traces abstractly (no compilation) until the entry knows every variable touched."""
        for _ in range(_MAX_RETRACES):
            if self.probed:
                return
            retrace = self._probe(
                [v._value for v in self.mutable], [v._value for v in self.readonly], dynamic
            )
            if retrace is not None:
                self.extend(retrace)
        raise RuntimeError(f"lx.function '{self.owner.__name__}' kept touching new variables.")

    def run(self, dynamic: Sequence[Any]) -> Any:
        if type(dynamic) is not list:
            dynamic = list(dynamic)  # one container type for the probe and the call (same cache key)
        for _ in range(_MAX_RETRACES):
            distribution = CTX.distribution
            if distribution is not None:
                distribution._lx_place_state(self.mutable)
                distribution._lx_place_state(self.readonly)
            mutable = self.mutable
            if self.owner.donate:
                for var in mutable:
                    if not var._owns_buffer:
                        _own_buffers(mutable)
                        break
            mut_values = [v._value for v in mutable]
            ro_values = [v._value for v in self.readonly]
            if not self.probed:
                # The first trace of this signature: a probe, so that discovering the state
                # leaves no trace alive (later shape changes retrace inside the call).
                retrace = self._probe(mut_values, ro_values, dynamic)
                if retrace is not None:
                    self.extend(retrace)
                    continue
            try:
                out, new_values = self.jitted(mut_values, ro_values, dynamic)
            except _Retrace as retrace:
                self.extend(retrace)
                continue
            for var, value in zip(mutable, new_values):
                var._value = value
                var._owns_buffer = True
            return out
        raise RuntimeError(
            f"lx.function '{self.owner.__name__}' kept touching new variables on each of "
            f"{_MAX_RETRACES} traces. Create variables outside the function (or only on its "
            "first call)."
        )


def _own_buffers(variables: list[Variable]) -> None:
    """Makes each variable own its buffer before a call donates it.

    A buffer handed out by `variable.value` that nothing holds any more (its array's only
    reference is the variable's: it was read and dropped, as in `print(v.value)`) is the
    variable's again. One still held elsewhere (a name, a numpy view of it, a deferred
    pytree copy) is copied, in one batched transfer for all of them, so that the array
    handed out stays valid.
    """
    shared = []
    for var in variables:
        if not var._owns_buffer:
            if sys.getrefcount(var._value) <= _UNSHARED_REFCOUNT:
                var._owns_buffer = True
            else:
                shared.append(var)
    if not shared:
        return
    for var, copy in zip(shared, _copy_buffers([var._value for var in shared])):
        var._value = copy
        var._owns_buffer = True


class _Slot:
    __slots__ = ("value",)


def _unshared_refcount() -> int:
    """What `sys.getrefcount` reports for an object held only by one slot, read as
    `_own_buffers` reads a variable's buffer (measured: it depends on the interpreter)."""
    holder = _Slot()
    holder.value = object()
    return sys.getrefcount(holder.value)


_UNSHARED_REFCOUNT = _unshared_refcount()


def _copy_buffers(arrays: list[Any]) -> list[Any]:
    """New buffers holding `arrays` (same devices and shardings), without a compilation.

    `jax.device_put(..., may_alias=False)` copies them all in one call. Traced values,
    arrays of several processes (not fully addressable) and jax versions without
    `may_alias` copy one by one.
    """
    if _DEVICE_PUT_COPIES and all(
        isinstance(a, jax.Array) and not isinstance(a, Tracer) and a.is_fully_addressable
        for a in arrays
    ):
        return jax.device_put(arrays, may_alias=False)
    return [jnp.copy(a) for a in arrays]


_DEVICE_PUT_COPIES = "may_alias" in inspect.signature(jax.device_put).parameters


def _run_each(entry: _Entry, items: Iterator[list[Any]]) -> tuple[Any, int]:
    """Calls `entry` on each list of dynamic arguments; returns the last output and the count.

    Each stretch starts with one `entry.run` (which probes, copies shared buffers and
    handles retraces); the calls after it pass the state's new buffers straight to the next
    call and write them to the variables once, when the stretch ends: nothing else may read
    the variables meanwhile. A call that must retrace with more state ends the stretch.
    """
    out, count = None, 0
    items = iter(items)
    while (first := next(items, None)) is not None:
        out = entry.run(first)
        count += 1
        mutable, jitted = entry.mutable, entry.jitted
        values = [v._value for v in mutable]
        ro_values = [v._value for v in entry.readonly]
        pending = None
        try:
            for dynamic in items:
                try:
                    out, values = jitted(values, ro_values, dynamic)
                except _Retrace:
                    pending = dynamic  # traced before it ran: nothing was donated
                    break
                count += 1
        finally:
            for var, value in zip(mutable, values):
                var._value = value
                var._owns_buffer = True
        if pending is None:
            return out, count
        items = itertools.chain([pending], items)
    return out, count


class _Marker:
    __slots__ = ("index",)

    def __init__(self, index: int) -> None:
        self.index = index


def _parameter_of(entry: _Entry, index: int) -> tuple[str, int | None, str]:
    """The user's parameter that holds dynamic leaf `index`: `(name, position, sub-path)`."""
    fn = entry.owner._fn
    markers = [_Marker(i) for i in range(sum(entry.dynamic_mask) if entry.treedef is not None else index + 1)]
    if entry.treedef is None:
        position, key, rest = index, None, ""
    else:
        args, kwargs = entry._rebuild_args(markers)
        position, key, rest = None, None, ""
        found = jax.tree_util.tree_flatten_with_path(
            (args, kwargs), is_leaf=lambda x: isinstance(x, _Marker) or _is_stateful(x)
        )[0]
        for path, leaf in found:
            if isinstance(leaf, _Marker) and leaf.index == index:
                top = path[1]
                if path[0].idx == 0:
                    position = top.idx
                else:
                    key = top.key
                rest = jax.tree_util.keystr(path[2:])
                break
    if key is not None:
        return str(key), None, rest
    try:
        names = [
            p.name for p in inspect.signature(fn).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
    except (TypeError, ValueError):  # pragma: no cover - a builtin without a signature
        names = []
    name = names[position] if position is not None and position < len(names) else f"args[{position}]"
    return name, position, rest


def _tracing_error_message(owner: Function, entry: _Entry, exc: Exception) -> str:
    fn = owner._fn
    code = getattr(fn, "__code__", None)
    where = f" (defined at {code.co_filename}:{code.co_firstlineno})" if code is not None else ""
    found = re.search(r"argument dynamic\[(\d+)\]", str(exc))
    first = str(exc).split("\n")[0]
    if found is None:
        return (
            f"lx.function '{owner.__name__}'{where} used a traced value where Python needs a "
            f"concrete one: {first} Mark the arguments this depends on static "
            "(`static_argnums=`/`static_argnames=`), or use lx.ops.cond / lx.ops.where instead of "
            "Python control flow."
        )
    name, position, rest = _parameter_of(entry, int(found.group(1)))
    static = f"static_argnums=({position},) or static_argnames=(\"{name}\",)" if position is not None else (
        f"static_argnames=(\"{name}\",)"
    )
    return (
        f"lx.function '{owner.__name__}'{where} needs the concrete value of its parameter `{name}`"
        f"{rest}, which is traced: under lx.function (as under jax.jit) array and Python-number "
        "arguments are traced, so that a new value does not recompile (TF instead retraces for "
        "each new Python value). Python control flow (`if`, `while`, `range`, `int()`) cannot "
        f"read a traced value. Either mark it static: lx.function({owner.__name__}, {static}) "
        f"(one compilation per value, TF's rule), or use lx.ops.cond / lx.ops.where. JAX said: {first}"
    )


def _frame_is_active(frame: Any) -> bool:
    current = sys._getframe()
    while current is not None:
        if current is frame:
            return True
        current = current.f_back
    return False


def _warn_about_leaked_tapes(function: Function) -> None:
    """Warns (once per tape) when a GradientTape opened by a frame that has returned is still
    recording: every lx.function then runs eagerly, inside it, without any error."""
    for interceptor in CTX.interceptors:
        opened = getattr(interceptor, "_lx_opened_in", None)
        if opened is None or interceptor._lx_leak_warned or _frame_is_active(opened):
            continue
        interceptor._lx_leak_warned = True
        warnings.warn(
            f"lx.function '{function.__name__}' runs eagerly because a GradientTape opened at "
            f"{opened.f_code.co_filename}:{opened.f_lineno} (in {opened.f_code.co_name}) is still "
            "recording, and the function that opened it has returned: the tape was entered "
            "without being exited. Use `with lx.GradientTape() as tape:`, or call "
            "`tape.__exit__(None, None, None)` on a tape entered by hand.",
            RuntimeWarning,
            stacklevel=3,
        )


class Function:
    """A stateful Python function compiled with `jax.jit`; made by `lx.function`.

    Attributes:
        trace_count: How many times the Python function was traced.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> f = lx.function(lambda x: x * 2)
        >>> isinstance(f, lx.Function), f(jnp.ones(2)).tolist()
        (True, [2.0, 2.0])
    """

    def __init__(
        self,
        fn: Callable[..., Any],
        *,
        jit_compile: bool = True,
        static_argnums: int | Sequence[int] = (),
        static_argnames: str | Sequence[str] = (),
        donate: bool = True,
        reduce_retracing: bool = False,
        input_signature: Any = None,
    ) -> None:
        if not callable(fn):
            raise TypeError(f"lx.function expects a callable. Received: {fn!r}")
        if input_signature is not None:
            raise ValueError(
                "lx.function does not take an `input_signature`: it retraces per input shape "
                "and dtype like jax.jit. Remove the argument."
            )
        functools.update_wrapper(self, fn)
        self._fn = fn
        self.jit_compile = jit_compile
        self.donate = donate
        self.static_argnums = (
            (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)
        )
        self.static_argnames = (
            (static_argnames,) if isinstance(static_argnames, str) else tuple(static_argnames)
        )
        self.trace_count = 0
        self._entries: dict[Any, _Entry] = {}
        # Entries by shallow signature (see `_shallow_signature`): a cheaper key than the
        # full flatten for the usual call shapes, such as fit's `(x, y, None)` batches.
        self._shallow: dict[Any, _Entry] = {}
        self._known_mutable: list[Variable] = []
        self._known_readonly: list[Variable] = []
        self._bound: dict[int, Any] = {}
        # Called once, with the first call's `(args, kwargs)`, before its entry is made: it
        # may create state and declare it (`_lx_expect_state`), see `_new_entry`.
        self._lx_before_first_entry: Callable[[tuple[Any, ...], dict[str, Any]], None] | None = None

    def _lx_expect_state(self, assigned: Sequence[Variable], read: Sequence[Variable]) -> None:
        """Declares, before the first trace, the variables the calls will assign and read.

        The first trace then takes them as inputs at once, instead of a discovery trace
        that finds them and a second that takes them (see `_Entry.run`). A declaration
        needs not be exact: a variable a trace touches beyond it is discovered as usual
        (one more trace), and one it does not touch is passed through unchanged. A
        variable in both lists counts as assigned. Ignored once the function has traced.
        """
        if self._entries or self._shallow:
            return
        mutable = list({id(v): v for v in assigned}.values())
        taken = {id(v) for v in mutable}
        self._known_mutable = mutable
        self._known_readonly = [v for v in {id(v): v for v in read}.values() if id(v) not in taken]

    def _new_entry(self, args: tuple[Any, ...], kwargs: dict[str, Any], treedef: Any,
                   statics: tuple[Any, ...], mask: tuple[bool, ...]) -> _Entry:
        """A new traced signature; the first one runs `_lx_before_first_entry` before it (a
        preparation that raises, on bad input, runs again on the next call)."""
        prepare = self._lx_before_first_entry
        if prepare is not None:
            prepare(args, kwargs)
            self._lx_before_first_entry = None
        return _Entry(self, treedef, statics, mask)

    def experimental_get_tracing_count(self) -> int:
        """How many times the Python function was traced (TF's name)."""
        return self.trace_count

    def __get__(self, instance: Any, owner: Any = None) -> Any:
        if instance is None:
            return self
        return functools.partial(self.__call__, instance)

    def state_variables(self, *args: Any, **kwargs: Any) -> tuple[list[Variable], list[Variable]]:
        """The variables a call with these arguments assigns and reads: `(assigned, read_only)`.

        Traces abstractly if needed (nothing is compiled or run).
        """
        entry, dynamic = self._entry_for(args, kwargs)
        entry.discover(dynamic)
        return list(entry.mutable), list(entry.readonly)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not self.jit_compile or CTX.process.run_eagerly or state_is_routed():
            # Inside another trace, a tape, or in eager debug mode: run the body inline.
            if CTX.interceptors:
                _warn_about_leaked_tapes(self)
            return self._fn(*args, **kwargs)
        distribution = CTX.distribution
        if distribution is not None:
            # Under lx.distribution, array arguments are batches: split along axis 0.
            place = distribution._lx_place_input
            args = tuple(
                a if i in self.static_argnums else jax.tree.map(place, a, is_leaf=_is_stateful)
                for i, a in enumerate(args)
            )
            kwargs = {
                k: v if k in self.static_argnames else jax.tree.map(place, v, is_leaf=_is_stateful)
                for k, v in kwargs.items()
            }
        if not kwargs and not self.static_argnums:
            for a in args:
                if type(a) not in _FAST_TYPES:
                    break
            else:
                entry = self._entries.get(len(args))
                if entry is None:
                    entry = self._entries[len(args)] = self._new_entry(args, kwargs, None, (), ())
                return entry.run(args)
            signature, dynamic = _shallow_signature(args)
            if signature is not None:
                entry = self._shallow.get(signature)
                if entry is None:
                    entry, dynamic = self._entry_for(args, kwargs)
                    if entry is None:
                        return self._fn(*args, **kwargs)
                    self._shallow[signature] = entry
                return entry.run(dynamic)
        return self._call_general(args, kwargs)

    def _lx_flat_runner(self, args: tuple[Any, ...]) -> Callable[[Iterator[list[Any]]], tuple[Any, int]] | None:
        """Runs many calls with positional arguments shaped like `args`, given their arrays.

        For arguments that are arrays, or tuples/lists of arrays and None (as fit's batches),
        the returned callable takes an iterator of lists of those arrays in order (the Nones
        left out), runs the compiled entry a call with `args` selects on each, and returns
        `(last_output, number_of_calls)`. Between two calls it keeps the state's buffers in
        hand (see `_run_each`), so nothing may read or assign the variables meanwhile: a loop
        with nothing between its calls (fit without batch callbacks) uses it. None when such
        a call would not run the compiled entry (eagerly, inside a trace or tape, under a
        distribution, with static arguments, or other argument kinds).
        """
        if (not self.jit_compile or CTX.process.run_eagerly or state_is_routed()
                or CTX.distribution is not None or self.static_argnums):
            return None
        if all(type(a) in _FAST_TYPES for a in args):  # as `__call__` keys these calls
            entry = self._entries.get(len(args))
            if entry is None:
                entry = self._entries[len(args)] = self._new_entry(args, {}, None, (), ())
            return functools.partial(_run_each, entry)
        signature, _ = _shallow_signature(args)
        if signature is None:
            return None
        entry = self._shallow.get(signature)
        if entry is None:
            entry, _ = self._entry_for(args, {})
            if entry is None:
                return None
            self._shallow[signature] = entry
        return functools.partial(_run_each, entry)

    def _call_general(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        entry, dynamic = self._entry_for(args, kwargs)
        if entry is None:
            return self._fn(*args, **kwargs)
        return entry.run(dynamic)

    def _entry_for(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, list[Any]]:
        leaves, treedef = jax.tree_util.tree_flatten((args, kwargs), is_leaf=_is_stateful)
        static_positions = self._static_leaf_positions(args, kwargs, treedef, len(leaves))
        dynamic, statics, mask = [], [], []
        for index, leaf in enumerate(leaves):
            if index not in static_positions and (
                isinstance(leaf, (jax.Array, np.ndarray))
                or (isinstance(leaf, _DYNAMIC_SCALARS) and not isinstance(leaf, bool))
            ):
                if isinstance(leaf, Tracer):
                    # Called inside a raw JAX transform: nothing can be written back.
                    return None, []
                dynamic.append(leaf)
                mask.append(True)
            else:
                statics.append(leaf)
                mask.append(False)
        key = (treedef, tuple(_static_key(s) for s in statics), tuple(mask))
        entry = self._entries.get(key)
        if entry is None:
            entry = self._entries[key] = self._new_entry(args, kwargs, treedef, tuple(statics),
                                                         tuple(mask))
        return entry, dynamic

    def _static_leaf_positions(self, args: Any, kwargs: Any, treedef: Any, n: int) -> set[int]:
        if not self.static_argnums and not self.static_argnames:
            return set()
        # Mark every leaf under a static argument as static.
        marked_args = tuple(
            jax.tree.map(lambda _: True, a, is_leaf=_is_stateful)
            if i in self.static_argnums
            else jax.tree.map(lambda _: False, a, is_leaf=_is_stateful)
            for i, a in enumerate(args)
        )
        marked_kwargs = {
            k: jax.tree.map(lambda _, s=(k in self.static_argnames): s, v, is_leaf=_is_stateful)
            for k, v in kwargs.items()
        }
        flags = jax.tree_util.tree_leaves((marked_args, marked_kwargs))
        return {i for i, flag in enumerate(flags) if flag}


def function(
    fn: Callable[..., Any] | None = None,
    *,
    jit_compile: bool = True,
    static_argnums: int | Sequence[int] = (),
    static_argnames: str | Sequence[str] = (),
    donate: bool = True,
    reduce_retracing: bool = False,
    input_signature: Any = None,
) -> Any:
    """Compiles a stateful Python function with `jax.jit` (the `tf.function` of layerax).

    Variables the function reads or assigns, of layers, optimizers, metrics
    or bare `Variable`s, whether passed as arguments or captured by closure,
    become inputs and outputs of the compiled computation; their new values
    are written back after the call. The function retraces only when input
    shapes, dtypes, static arguments or the set of variables change;
    `trace_count` tells how often it traced.

    Arrays and Python numbers are traced; bools, strings, None and objects are
    static. Buffers of updated variables are donated: an array obtained from
    `variable.value` before the call is copied first, never invalidated.

    Args:
        fn: The function (or use `@lx.function(...)` with keyword arguments).
        jit_compile: `False` runs the Python body eagerly.
        static_argnums: Positional arguments to treat as static.
        static_argnames: Keyword arguments to treat as static.
        donate: Donate the buffers of updated variables to the computation.
        reduce_retracing: Accepted for TF compatibility; retracing already
            happens only per shape and dtype.
        input_signature: Not supported (must be None).

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> counter = lx.Variable(0.0)
        >>> @lx.function
        ... def step(x):
        ...     counter.assign_add(jnp.sum(x))
        ...     return counter.value * 2
        >>> float(step(jnp.ones(3)))
        6.0
        >>> float(step(jnp.ones(3))), float(counter.value), step.trace_count
        (12.0, 6.0, 2)
    """
    if fn is None:
        return functools.partial(
            function,
            jit_compile=jit_compile,
            static_argnums=static_argnums,
            static_argnames=static_argnames,
            donate=donate,
            reduce_retracing=reduce_retracing,
            input_signature=input_signature,
        )
    return Function(
        fn,
        jit_compile=jit_compile,
        static_argnums=static_argnums,
        static_argnames=static_argnames,
        donate=donate,
        reduce_retracing=reduce_retracing,
        input_signature=input_signature,
    )


jit = function

__all__ = ["Function", "function", "jit"]
