"""Keras 3's `StatelessScope`: run stateful code without changing any variable.

Inside the scope, variables named in `state_mapping` read the given values;
every assignment (an optimizer step, BatchNorm's moving statistics, a seed
generator) is recorded in the scope instead of changing the variable. After
the block, `scope.get_current_value(variable)` gives a variable's last value
in the block, and the variables themselves hold what they held before. It is
built on the swap scope of `layerax.core.state` (see `docs/state.md`), so it
also works inside `jax.jit` with traced values.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from layerax.core.state import StateScope
from layerax.core.variable import Variable

__all__ = ["StatelessScope"]


class StatelessScope:
    """A scope in which variables are read from a mapping and never assigned.

    Args:
        state_mapping: `(variable, value)` pairs: inside the scope the variable
            reads `value` (an array or a tracer, of the variable's shape).
        collect_losses: Also collect the losses that layers add with `add_loss`
            inside the scope into `scope.losses`.
        initialize_variables: Accepted for Keras compatibility. layerax
            creates variables with their values at once, so variables made in
            the scope are initialized either way.

    Example:
        >>> import layerax as lx, numpy as np
        >>> layer = lx.layers.Dense(1, use_bias=False, kernel_initializer="ones")
        >>> _ = layer(np.ones((1, 2), "float32"))
        >>> with lx.StatelessScope([(layer.kernel, np.full((2, 1), 3.0, "float32"))]) as scope:
        ...     y = layer(np.ones((1, 2), "float32"))
        ...     _ = layer.kernel.assign(np.zeros((2, 1), "float32"))
        >>> float(y[0, 0]), float(scope.get_current_value(layer.kernel).sum()), float(layer.kernel.numpy().sum())
        (6.0, 0.0, 2.0)
    """

    def __init__(self, state_mapping: Iterable[tuple[Any, Any]] | None = None,
                 collect_losses: bool = False, initialize_variables: bool = True) -> None:
        variables, values = [], []
        for i, pair in enumerate(state_mapping or ()):
            try:
                var, value = pair
            except (TypeError, ValueError):
                raise ValueError(
                    "StatelessScope: `state_mapping` must be a list of (variable, value) pairs. "
                    f"Received entry {i}: {pair!r}"
                ) from None
            if not isinstance(var, Variable):
                raise ValueError(
                    "StatelessScope: all keys in `state_mapping` must be variables. "
                    f"Received entry {i} with key {var!r} of type {type(var).__name__}."
                )
            if tuple(getattr(value, "shape", ())) != tuple(var.shape):
                raise ValueError(
                    f"StatelessScope: the value for variable '{var.path}' must have the "
                    f"variable's shape {tuple(var.shape)}. Received shape "
                    f"{tuple(getattr(value, 'shape', ()))}."
                )
            variables.append(var)
            values.append(value)
        self.collect_losses = collect_losses
        self.initialize_variables = initialize_variables
        self.losses: list[Any] = []
        # adopt_all: assignments to variables that an outer scope binds (a compiled step's)
        # stay inside this scope too.
        self._scope = StateScope(variables, values, adopt_all=True)
        self._current: dict[int, Any] = {}
        self._touched: list[Any] = []

    def __enter__(self) -> StatelessScope:
        self._scope.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        scope = self._scope
        touched = list(scope.variables) + [v for v, _ in scope._adopted_saved]
        self._touched = touched
        self._current = {id(var): var._value for var in touched}
        if self.collect_losses:
            for layer, attr, old in scope.saved_attrs():
                if attr == "_losses":
                    new = getattr(layer, attr)
                    kept = len(old) <= len(new) and all(a is b for a, b in zip(old, new))
                    self.losses.extend(new[len(old):] if kept else new)
        scope.__exit__(*exc)

    def touched_variables(self) -> list[Any]:
        """After the block: the mapped variables, then every other variable the block read
        or assigned, in order."""
        return list(self._touched)

    def get_current_value(self, variable: Any) -> Any:
        """The variable's value at the end of the block (inside it: now); None if the scope
        never saw it."""
        if self._scope in _open_scopes():
            return variable._value if variable._in_scope else None
        return self._current.get(id(variable))


def _open_scopes() -> list[Any]:
    from layerax.core.context import CTX

    return list(CTX.scopes)
