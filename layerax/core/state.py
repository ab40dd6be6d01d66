"""The pure bridge: the one path by which variable state enters and leaves JAX code.

A `StateScope` swaps the given values into the given variables for the
duration of a block, lets the block read and assign them like ordinary
variables, and hands back the values they hold at the end, restoring the
originals. `stateless_call`, `lx.function`, `fit`'s train step and the
optimizers' compiled updates all go through it, so there is exactly one
mechanism that turns stateful code into a pure function of arrays.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from layerax.core.context import CTX, Interceptor, pop_interceptor, push_interceptor


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

    After the block, `values_out` holds the final value of each variable, in
    order, and `assigned` the ids of the variables that were assigned.
    """

    def __init__(
        self,
        variables: Sequence[Any],
        values: Sequence[Any],
        *,
        adopt_missing: bool = False,
    ) -> None:
        if len(variables) != len(values):
            raise ValueError(
                f"The pure bridge got {len(values)} values for {len(variables)} variables. "
                "Pass exactly one value per variable, in the same order."
            )
        self.variables = variables
        self.values = values
        self.adopt_missing = adopt_missing
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
        if not (variable._in_scope or variable._is_copy):
            self._adopt(variable)
        return value

    def assign(self, variable: Any, value: Any) -> Any:
        if variable._is_copy:
            # Pytree copies live and die inside the trace; they are not state.
            return value
        if not variable._in_scope:
            self._adopt(variable)
        self.assigned.add(id(variable))
        return value

    def _adopt(self, variable: Any) -> None:
        self.missed.append(variable)
        self._adopted_saved.append((variable, variable._value))
        variable._in_scope += 1

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
    """Whether a pure-bridge scope (lx.function trace, stateless_call, ...) is active."""
    return bool(CTX.scopes)
