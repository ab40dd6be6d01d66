"""Process-wide state that the core reads on its hot paths.

Everything here is deliberately tiny: a variable read checks one attribute
(`CTX.interceptors`) and returns its value when it is empty.
"""

from __future__ import annotations

from typing import Any


class Interceptor:
    """Something that sees variable reads and assignments while it is active.

    The lx.function tracing scope, the GradientTape and autocasting scopes are
    interceptors. They are consulted in the order they were pushed (outermost
    first).
    """

    def read(self, variable: Any, value: Any) -> Any:  # pragma: no cover - interface
        return value

    def assign(self, variable: Any, value: Any) -> Any:  # pragma: no cover - interface
        return value


class _Context:
    __slots__ = (
        "interceptors",
        "scopes",
        "structure_version",
        "name_scope",
        "call_training",
        "call_depth",
        "distribution",
        "remat_modes",
    )

    def __init__(self) -> None:
        # Tuple of active interceptors, outermost first.
        self.interceptors: tuple[Interceptor, ...] = ()
        # Stack of active state scopes (the pure bridge), innermost last.
        self.scopes: list[Any] = []
        # Bumped whenever a layer's structure changes (sub-layers, weights,
        # trainable flags); caches of flattened variable lists compare to it.
        self.structure_version = 0
        # Names of the layers whose build/call is running, for variable paths.
        self.name_scope: list[str] = []
        # Keras call context: the `training` value in force, and call depth.
        self.call_training: Any = None
        self.call_depth = 0
        # The active `lx.distribution` Distribution (None: JAX's default placement). Variable
        # creation, assignment and lx.function ask it where arrays live.
        self.distribution: Any = None
        # Stack of active `lx.RematScope` settings (RematMode tuples), innermost last; a layer
        # created inside one keeps the innermost as its `_remat_mode`.
        self.remat_modes: list[Any] = []


CTX = _Context()


def push_interceptor(interceptor: Interceptor) -> None:
    CTX.interceptors = CTX.interceptors + (interceptor,)


def pop_interceptor(interceptor: Interceptor) -> None:
    items = list(CTX.interceptors)
    # Remove the last occurrence: interceptors nest like context managers.
    for i in range(len(items) - 1, -1, -1):
        if items[i] is interceptor:
            del items[i]
            break
    CTX.interceptors = tuple(items)


def bump_structure_version() -> None:
    CTX.structure_version += 1
