"""The trace context that the core reads on its hot paths: one per thread.

Everything here is deliberately tiny: a variable read checks one attribute
(`CTX.interceptors`) and returns its value when it is empty.

`CTX` is a `threading.local`, as Keras' global state and TF's eager context are: two
threads that each fit, predict or trace their own model see their own scopes,
interceptors, call context and autocast stack, so neither runs inside the other's
trace. Two fields are process-wide on purpose: `structure_version` (a cache
invalidation counter any thread may bump) and `distribution` (set once for the
process, as `lx.distribution.set_distribution` documents, and read by data-loading
threads too).
"""

from __future__ import annotations

import threading
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


# The process-wide fields of `CTX` (see the module docstring).
_SHARED: dict[str, Any] = {"structure_version": 0, "distribution": None}


def _shared_field(name: str) -> property:
    def get(self: Any) -> Any:
        return _SHARED[name]

    def set_(self: Any, value: Any) -> None:
        _SHARED[name] = value

    return property(get, set_, doc=f"Process-wide `{name}` (shared by every thread).")


class _Context(threading.local):
    """Per-thread trace state; `threading.local` runs `__init__` once in each thread."""

    structure_version = _shared_field("structure_version")
    distribution = _shared_field("distribution")

    def __init__(self) -> None:
        # Tuple of active interceptors, outermost first.
        self.interceptors: tuple[Interceptor, ...] = ()
        # Stack of active state scopes (the pure bridge), innermost last.
        self.scopes: list[Any] = []
        # Names of the layers whose build/call is running, for variable paths, and the
        # `(depth, caller)` pairs of `lx.name_scope(caller=...)` for deduplication.
        self.name_scope: list[str] = []
        self.name_callers: list[tuple[int, Any]] = []
        # Keras call context: the `training` value in force, and call depth.
        self.call_training: Any = None
        self.call_depth = 0
        # Stack of active `lx.RematScope` settings (RematMode tuples), innermost last; a layer
        # created inside one keeps the innermost as its `_remat_mode`.
        self.remat_modes: list[Any] = []
        # Autocast scopes opened by the mixed-precision layer calls now running, innermost last.
        self.autocast: list[Any] = []
        # Open mask requests of Functional/Sequential calls (layerax.models.masking).
        self.mask_requests: list[Any] = []


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
