"""How variable state moves between stateful code and JAX: the mechanisms and their predicates.

A `Variable` holds one array. Three mechanisms decide what a read gives and
where an assignment goes; see `docs/state.md` for the user-level account.

1. The swap scope (`StateScope`, below): binds given values (arrays or
   tracers) to given variables for a block and hands back their final values.
   It is the pure bridge of `stateless_call`, `lx.function` (its trace),
   `fit`'s compiled steps, the optimizers' compiled updates and
   rematerialized calls (`core/rematerialize.py`: the state a checkpointed
   function touches goes in and out of `jax.checkpoint` explicitly). A
   variable it binds is *bound here* (`is_bound_here`).
2. The pytree clone (`layerax.core.pytree`): unflattening a layer builds a
   copy of its graph whose variables hold the leaves. This is how raw
   `jax.jit`/`jax.grad`/`jax.vmap`/`jax.tree.map` see layers. A clone whose
   variables hold concrete arrays (a model returned by `jax.jit` or made by
   an eager `jax.tree.map`) is an ordinary, live model; one whose variables
   hold tracers (made inside a trace) exists only there (`is_trace_local`).
3. The read interceptors (`layerax.core.context.Interceptor`): the
   `GradientTape` (records reads of watched variables, strips the tape from
   assigned values), autocasting (reads in a layer's compute dtype) and a
   discovering `StateScope` (lx.function's first traces adopt the variables
   they touch). They see every `Variable.value` read and `assign`.

Code outside `layerax/core/` asks the predicates below instead of reading
`CTX` or the variables' private flags.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from layerax.core.context import CTX, Interceptor, pop_interceptor, push_interceptor
from layerax.core.variable import Variable

# Classes whose instances are state containers (variables, layers, seed generators,
# optimizers, metrics): passed to an `lx.function` they are static, by identity, and their
# variables are discovered when read. Kept as a tuple so that `isinstance` takes it as is.
_STATEFUL_TYPES: tuple[type, ...] = (Variable,)


def register_stateful_type(cls: type) -> type:
    """Marks `cls` as a state container: `lx.function` passes its instances by identity.

    Args:
        cls: The class to register (its subclasses are included).

    Returns:
        `cls`, so that this can decorate a class.

    Example:
        >>> from layerax.core.state import is_stateful, register_stateful_type
        >>> @register_stateful_type
        ... class Counter:
        ...     pass
        >>> is_stateful(Counter())
        True
    """
    global _STATEFUL_TYPES
    if not isinstance(cls, type):
        raise TypeError(
            f"register_stateful_type expects a class, received {cls!r} of type "
            f"{type(cls).__name__}. Pass the class itself, e.g. `register_stateful_type(MyState)`."
        )
    if cls not in _STATEFUL_TYPES:
        _STATEFUL_TYPES = (*_STATEFUL_TYPES, cls)
    return cls


def is_stateful(x: Any) -> bool:
    """Whether `x` is an instance of a registered state container class.

    Example:
        >>> import layerax as lx
        >>> from layerax.core.state import is_stateful
        >>> is_stateful(lx.layers.Dense(2)), is_stateful(3.0)
        (True, False)
    """
    return isinstance(x, _STATEFUL_TYPES)


def state_is_routed() -> bool:
    """Whether variable reads and assignments are routed right now.

    True inside a swap scope (an `lx.function` trace, `stateless_call`, a
    compiled step) or while an interceptor is active (a recording
    `GradientTape`, a mixed-precision call). Code that would otherwise run
    its own compiled, stateful computation (an `lx.function` call, an
    optimizer update, an eager RNN loop) must then run its body inline, so
    that the active mechanism sees its reads and assignments.

    Example:
        >>> import layerax as lx
        >>> from layerax.core.state import state_is_routed
        >>> with lx.GradientTape():
        ...     inside = state_is_routed()
        >>> inside, state_is_routed()
        (True, False)
    """
    return bool(CTX.scopes or CTX.interceptors)


def is_bound_here(variable: Any) -> bool:
    """Whether a swap scope has bound a value to `variable` (or adopted it) right now.

    Its value is then the scope's (often a tracer of the scope's trace), and
    the scope hands back what it holds at the end.
    """
    return variable._in_scope > 0


def is_trace_local(variable: Any) -> bool:
    """Whether `variable` exists only inside a JAX trace: a pytree clone made inside one.

    Such a variable was made by unflattening a layer inside `jax.jit`,
    `jax.grad`, `jax.vmap` (or by `jax.tree.map` in a traced function or a
    tape block): it holds a tracer, or was made while JAX was tracing. It may
    receive tracers, is not state of any `lx.function`, tape or
    distribution, and dies with its trace. This is decided once, when the
    clone is made (nothing is checked per step): a clone made with concrete
    arrays outside any trace (a model returned by `jax.jit`, `jax.vmap` or an
    eager `jax.tree.map`) is a live variable like any other.

    Example:
        >>> import jax, jax.numpy as jnp, layerax as lx
        >>> from layerax.core.state import is_trace_local
        >>> layer = lx.layers.Dense(2)
        >>> _ = layer(jnp.ones((1, 3)))
        >>> seen = []
        >>> returned = jax.jit(lambda l: seen.append(is_trace_local(l.kernel)) or l)(layer)
        >>> seen, is_trace_local(returned.kernel), is_trace_local(layer.kernel)
        ([True], False, False)
    """
    return variable._trace_local


class StateScope(Interceptor):
    """Binds `values` to `variables` inside a `with` block.

    Args:
        variables: The variables to bind.
        values: One value per variable (arrays or tracers).
        adopt_missing: Also accept variables outside `variables` that the
            block reads or assigns: they keep their current value, may be
            assigned inside the block, are restored on exit and are listed in
            `missed`. lx.function uses this to discover the state a function
            touches.
        adopt_all: With `adopt_missing`, adopt every variable the block
            touches that this scope did not bind, including variables bound
            by an outer scope and pytree clones made inside a trace.
            Rematerialization uses this to find all the state a checkpointed
            function reads and assigns (`layerax/core/rematerialize.py`).

    After the block, `values_out` holds the final value of each variable, in
    order, and `assigned` the ids of the variables that were assigned.
    """

    def __init__(
        self,
        variables: Sequence[Any],
        values: Sequence[Any],
        *,
        adopt_missing: bool = False,
        adopt_all: bool = False,
    ) -> None:
        if len(variables) != len(values):
            raise ValueError(
                f"The pure bridge got {len(values)} values for {len(variables)} variables. "
                "Pass exactly one value per variable, in the same order."
            )
        self.variables = variables
        self.values = values
        self.adopt_missing = adopt_missing or adopt_all
        self.adopt_all = adopt_all
        self._mine: set[int] = {id(var) for var in variables} if adopt_all else set()
        self.missed: list[Any] = []
        self.assigned: set[int] = set()
        self.values_out: list[Any] = []
        self._saved: list[Any] = []
        self._adopted_saved: list[Any] = []
        self._saved_attrs: dict[tuple[int, str], tuple[Any, Any]] = {}

    def __enter__(self) -> StateScope:
        saved = self._saved
        for var, value in zip(self.variables, self.values):
            saved.append(var._value)
            var._value = value
            var._in_scope += 1
        CTX.scopes.append(self)
        if self.adopt_missing:
            push_interceptor(self)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.adopt_missing:
            pop_interceptor(self)
        CTX.scopes.pop()
        self.values_out = [var._value for var in self.variables]
        for var, old in zip(self.variables, self._saved):
            var._value = old
            var._in_scope -= 1
        for var, old in self._adopted_saved:
            var._value = old
            var._in_scope -= 1
        for (_, attr), (layer, old) in self._saved_attrs.items():
            object.__setattr__(layer, attr, old)

    # Interceptor protocol: only active with adopt_missing=True.
    def read(self, variable: Any, value: Any) -> Any:
        if self.adopt_all:
            if id(variable) not in self._mine:
                self._adopt(variable)
        elif not (variable._in_scope or is_trace_local(variable)):
            self._adopt(variable)
        return value

    def assign(self, variable: Any, value: Any) -> Any:
        if self.adopt_all:
            if id(variable) not in self._mine:
                self._adopt(variable)
            self.assigned.add(id(variable))
            return value
        if is_trace_local(variable):
            # Pytree clones made inside the trace live and die with it; they are not state.
            return value
        if not variable._in_scope:
            self._adopt(variable)
        self.assigned.add(id(variable))
        return value

    def _adopt(self, variable: Any) -> None:
        if self.adopt_all:
            self._mine.add(id(variable))
        self.missed.append(variable)
        self._adopted_saved.append((variable, variable._value))
        variable._in_scope += 1

    def saved_attrs(self) -> list[tuple[Any, str, Any]]:
        """`(layer, attr, value before the block)` of the forward-pass attributes set in it."""
        return [(layer, attr, old) for (_, attr), (layer, old) in self._saved_attrs.items()]

    def save_attr(self, layer: Any, attr: str) -> None:
        """Remembers `layer.<attr>` (forward-pass losses or metrics) so that values created
        in the block never outlive it."""
        key = (id(layer), attr)
        if key not in self._saved_attrs:
            self._saved_attrs[key] = (layer, getattr(layer, attr))


def run_with_state(
    variables: Sequence[Any],
    values: Sequence[Any],
    fn: Callable[..., Any],
    *args: Any,
    **kwargs: Any,
) -> tuple[Any, list[Any]]:
    """Runs `fn(*args, **kwargs)` with `values` bound to `variables`.

    Returns:
        `(output, new_values)`: the function's output and the value of every
        variable at the end, in order. The variables themselves are untouched.
    """
    with StateScope(variables, values) as scope:
        out = fn(*args, **kwargs)
    return out, scope.values_out


def in_state_scope() -> bool:
    """Whether a swap scope (an lx.function trace, stateless_call, ...) is active."""
    return bool(CTX.scopes)
