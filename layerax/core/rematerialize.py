"""`jax.checkpoint` over stateful code: the engine of `lx.remat` and `lx.RematScope`.

`jax.checkpoint` traces its function in a trace of its own. A variable
assigned there (BatchNormalization's moving statistics, a `SeedGenerator`'s
state, a metric's accumulators) would keep a value of that inner trace, and so
would a loss added with `add_loss`. So a checkpointed call goes through the
pure bridge (`core/state.py`) twice:

1. The probe traces the function abstractly (`jax.eval_shape`) inside a
   `StateScope` that adopts every variable the function reads or assigns,
   then restores them all. It finds the state and the output shapes.
2. The checkpointed call passes the current values of those variables into
   `jax.checkpoint` as inputs, binds them inside with a `StateScope`, and
   returns their new values and the forward-pass losses and metrics as
   outputs. The assignments are then made outside, with `Variable.assign`, and
   the losses set on their layers, so every mechanism in force (a tape, an
   `lx.function` trace, `stateless_call`, a pytree clone) sees them as if the
   function had run without rematerialization.

Called eagerly outside any JAX transformation or tape, the function simply runs: there is
no backward pass whose memory a checkpoint would save.

Inside both traces only the autocast interceptors stay active: the tape and
`lx.function`'s discovery see the reads before and the assignments after.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import jax
import numpy as np

from layerax.core.autocast import AutocastScope
from layerax.core.context import CTX, jax_is_tracing
from layerax.core.random import SeedGenerator
from layerax.core.state import StateScope
from layerax.core.variable import Tracer, Variable

_DRIFT_MSG = (
    "A rematerialized call of {fn} touched variable '{path}', which its first (abstract) trace "
    "did not touch. lx.remat traces a function twice and needs it to read and assign the same "
    "variables both times. Make the function deterministic in the variables it uses (e.g. create "
    "variables in `build`, not conditionally in `call`)."
)


class Probe(NamedTuple):
    """What the abstract trace of a call found."""

    variables: list[Variable]  # every variable it read or assigned, in first-touch order
    output_shapes: Any  # the outputs as jax.ShapeDtypeStruct


def _is_stateful(x: Any) -> bool:
    """Layers, variables and seed generators are passed by identity, not flattened."""
    return isinstance(x, (Variable, SeedGenerator)) or getattr(type(x), "_lx_is_layer", False)


def _is_array(x: Any) -> bool:
    return isinstance(x, (jax.Array, np.ndarray, Tracer))


class _Arguments:
    """The array leaves of a call's arguments (traced) and the rest (static)."""

    def __init__(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        leaves, self.tree = jax.tree_util.tree_flatten((args, kwargs), is_leaf=_is_stateful)
        self.leaves = leaves
        self.where = [i for i, leaf in enumerate(leaves) if _is_array(leaf)]
        self.arrays = [leaves[i] for i in self.where]

    def rebuild(self, arrays: Any) -> tuple[tuple[Any, ...], dict[str, Any]]:
        full = list(self.leaves)
        for i, array in zip(self.where, arrays):
            full[i] = array
        return jax.tree_util.tree_unflatten(self.tree, full)


@contextlib.contextmanager
def _only_autocast() -> Iterator[None]:
    """Hides every interceptor but autocasting (reads stay in the compute dtype)."""
    saved = CTX.interceptors
    CTX.interceptors = tuple(i for i in saved if isinstance(i, AutocastScope))
    try:
        yield
    finally:
        CTX.interceptors = saved


def _outer_read(variable: Variable) -> Any:
    """The variable's value as the mechanisms outside see a read of it (a tape records it,
    lx.function discovers it), stored dtype kept: autocasting applies inside the call."""
    value = variable._value
    for interceptor in CTX.interceptors:
        if not isinstance(interceptor, AutocastScope):
            value = interceptor.read(variable, value)
    variable._owns_buffer = False
    return value


def probe(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Probe:
    """Traces `fn(*args, **kwargs)` abstractly: the variables it touches and its output shapes.

    Nothing persists: assignments and forward-pass losses are undone. Layers built by the
    call stay built (their weights are created with concrete values).
    """
    arguments = _Arguments(args, kwargs)
    touched: list[Variable] = []

    def abstract(*arrays: Any) -> Any:
        call_args, call_kwargs = arguments.rebuild(arrays)
        # The scope closes inside the trace, so no variable holds one of its tracers when
        # the trace ends (`jax.checking_leaks` checks then).
        with _only_autocast(), StateScope([], [], adopt_all=True) as scope:
            outputs = fn(*call_args, **call_kwargs)
        touched[:] = scope.missed
        return outputs

    shapes = jax.eval_shape(abstract, *arguments.arrays)
    return Probe(list(touched), shapes)


class _ForwardAttrs:
    """Losses and `add_metric` values a call added, carried out of the checkpoint.

    Items a list already held before the call are kept as they are; new items are
    flattened and their arrays become outputs of the checkpointed function.
    """

    def __init__(self) -> None:
        self.recipe: list[tuple[Any, str, list[tuple[bool, Any]]]] = []

    def collect(self, scope: StateScope) -> list[Any]:
        arrays: list[Any] = []
        for layer, attr, old in scope.saved_attrs():
            new = layer.__dict__.get(attr)
            if new is old:
                continue
            old_ids = {id(item) for item in old}
            items: list[tuple[bool, Any]] = []
            for item in new:
                if id(item) in old_ids:
                    items.append((True, item))
                    continue
                leaves, treedef = jax.tree_util.tree_flatten(item)
                mask = [_is_array(leaf) for leaf in leaves]
                arrays.extend(leaf for leaf, is_array in zip(leaves, mask) if is_array)
                statics = [None if is_array else leaf for leaf, is_array in zip(leaves, mask)]
                items.append((False, (treedef, mask, statics)))
            self.recipe.append((layer, attr, items))
        return arrays

    def restore(self, arrays: list[Any]) -> None:
        values = iter(arrays)
        for layer, attr, items in self.recipe:
            rebuilt = []
            for kept, item in items:
                if kept:
                    rebuilt.append(item)
                    continue
                treedef, mask, statics = item
                leaves = [next(values) if is_array else s for is_array, s in zip(mask, statics)]
                rebuilt.append(jax.tree_util.tree_unflatten(treedef, leaves))
            layer._set_forward_attr(attr, rebuilt)


def call_checkpointed(
    fn: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    found: Probe | None = None,
) -> Any:
    """Runs `fn(*args, **kwargs)` under `jax.checkpoint`, its state threaded explicitly.

    Args:
        fn: The function (a layer's `call`, a layer, any function calling layers).
        args: Positional arguments: array leaves are traced, the rest is static.
        kwargs: Keyword arguments, likewise.
        found: The result of `probe` for these arguments, if already known.

    Returns:
        The function's outputs. The variables it assigned hold their new values and the
        losses it added are on their layers, as without rematerialization.
    """
    if not jax_is_tracing():
        # Plain eager execution keeps no intermediates for a backward pass: nothing to save.
        return fn(*args, **kwargs)
    if found is None:
        found = probe(fn, args, kwargs)
    variables = found.variables
    arguments = _Arguments(args, kwargs)
    forward = _ForwardAttrs()
    changed: list[int] = []

    def checkpointed_fn(arrays: list[Any], state: list[Any]) -> Any:
        call_args, call_kwargs = arguments.rebuild(arrays)
        with _only_autocast(), StateScope(variables, state, adopt_all=True) as scope:
            outputs = fn(*call_args, **call_kwargs)
            forward_arrays = forward.collect(scope)
        if scope.missed:
            name = getattr(fn, "__qualname__", None) or repr(fn)
            raise RuntimeError(_DRIFT_MSG.format(fn=name, path=scope.missed[0].path))
        new_values = scope.values_out
        changed[:] = [i for i, (new, old) in enumerate(zip(new_values, state)) if new is not old]
        return outputs, [new_values[i] for i in changed], forward_arrays

    state = [_outer_read(variable) for variable in variables]
    outputs, new_values, forward_arrays = jax.checkpoint(checkpointed_fn)(arguments.arrays, state)
    for i, value in zip(changed, new_values):
        variables[i].assign(value)
    forward.restore(forward_arrays)
    return outputs


def checkpointed(fn: Callable[..., Any]) -> Callable[..., Any]:
    """`fn` rematerialized: its intermediates are recomputed in the backward pass.

    Array arguments are traced; layers, variables and other arguments (flags, None,
    Python numbers) are passed through unchanged. Variables `fn` reads and assigns,
    and losses it adds, behave as without rematerialization.
    """

    def run(*args: Any, **kwargs: Any) -> Any:
        return call_checkpointed(fn, args, kwargs)

    # No `__dict__` update: `fn` may be a layer.
    return functools.update_wrapper(run, fn, updated=())
