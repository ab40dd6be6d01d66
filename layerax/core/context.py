"""Process-wide state that the core reads on its hot paths.

Everything here is deliberately tiny: a variable read checks one attribute
(`CTX.interceptors`) and returns its value when it is empty.
"""

from __future__ import annotations

from typing import Any

import jax.core
import jax.extend.core

# JAX has no documented "is a transformation tracing now?". `find_top_trace(())` gives
# the current trace (jax.extend.core since 0.8, jax.core before); eagerly it is the
# EvalTrace. No private JAX module is imported here (tape/_compat.py holds those).
_find_top_trace = getattr(jax.extend.core, "find_top_trace", None) or getattr(
    jax.core, "find_top_trace", None
)


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


def jax_is_tracing() -> bool:
    """Whether a JAX transformation (jit, grad, vmap, scan, a GradientTape...) is tracing now.

    Pytree clones made while it is are trace-local even when a leaf is a concrete array
    (`jax.vmap(f, in_axes=(None, 0))` passes the unmapped leaves into the trace as they
    are). Without JAX's private trace state (another JAX layout), False: then only clones
    holding tracers are trace-local.
    """
    if _find_top_trace is None:  # pragma: no cover
        return False
    return type(_find_top_trace(())).__name__ != "EvalTrace"


def bump_structure_version() -> None:
    CTX.structure_version += 1
