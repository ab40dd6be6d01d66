"""The one context object of layerax: `CTX`, all of the library's global state.

Everything here is deliberately tiny: a variable read checks one attribute
(`CTX.interceptors`) and returns its value when it is empty.

`CTX` is a `threading.local`, as Keras' global state and TF's eager context are: two
threads that each fit, predict or trace their own model see their own scopes,
interceptors, call context, autocast stack, mask requests and symbolic depth, so
neither runs inside the other's trace. These per-thread fields are attributes of
`CTX` itself (`CTX.scopes`, `CTX.autocast`, ...).

The process-wide fields are attributes of `CTX.process` (one `ProcessState`, the same
object in every thread): the `lx.config` settings (`floatx`, `epsilon`,
`image_data_format`, the global dtype policy, `run_functions_eagerly`), the hooks the
functional API installs into `Layer.__call__` (`symbolic_check`, `symbolic_call`,
`symbolic_attr`), the global seed generator, the cache-invalidation counter
`structure_version` (any thread may bump it) and the `distribution` (set once for the
process, as `lx.distribution.set_distribution` documents, and read by data-loading
threads too). `CTX.structure_version` and `CTX.distribution` read and write the
process-wide ones.

Reading any of them is one or two plain attribute lookups: no function call, no dict.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
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


class ProcessState:
    """The process-wide half of `CTX` (`CTX.process`): shared by every thread.

    Attributes:
        floatx: `lx.config.floatx()`, the default float dtype.
        epsilon: `lx.config.epsilon()`.
        image_data_format: `lx.config.image_data_format()`.
        dtype_policy: The policy `lx.dtype_policies.set_dtype_policy` set, or None (floatx).
        run_eagerly: `lx.config.run_functions_eagerly(...)`.
        symbolic_check: Hook installed by the functional API: whether a layer call's
            arguments hold symbolic tensors (None until `layerax.models` is imported).
        symbolic_call: Hook: records a layer call on symbolic tensors as a graph node.
        symbolic_attr: Hook: `layer.input`, `.output`, ... of layers called symbolically.
        seed_generator: The global `SeedGenerator` of random ops called with `seed=None`.
        structure_version: Cache invalidation counter, bumped when any layer's structure
            changes.
        distribution: The distribution set by `lx.distribution.set_distribution`.

    Example:
        >>> from layerax.core.context import CTX
        >>> CTX.process.floatx
        'float32'
    """

    __slots__ = (
        "floatx",
        "epsilon",
        "image_data_format",
        "dtype_policy",
        "run_eagerly",
        "symbolic_check",
        "symbolic_call",
        "symbolic_attr",
        "seed_generator",
        "structure_version",
        "distribution",
    )

    def __init__(self) -> None:
        self.floatx = "float32"
        self.epsilon = 1e-7
        self.image_data_format = "channels_last"
        self.dtype_policy: Any = None
        self.run_eagerly = False
        self.symbolic_check: Any = None
        self.symbolic_call: Any = None
        self.symbolic_attr: Any = None
        self.seed_generator: Any = None
        self.structure_version = 0
        self.distribution: Any = None


PROCESS = ProcessState()


def _shared_field(name: str) -> property:
    def get(self: Any) -> Any:
        return getattr(PROCESS, name)

    def set_(self: Any, value: Any) -> None:
        setattr(PROCESS, name, value)

    return property(get, set_, doc=f"Process-wide `{name}` (`CTX.process.{name}`).")


class _Context(threading.local):
    """Per-thread trace state; `threading.local` runs `__init__` once in each thread."""

    # A class attribute: the same object in every thread (see the module docstring).
    process = PROCESS
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
        # Depth of open `lx.SymbolicScope`s (core/symbolic_scope.py).
        self.symbolic_depth = 0
        # Host prefixes in force, innermost last (layerax.models.host_prefix).
        self.host_prefixes: list[Any] = []


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


# Layers that `jax.tree_util.tree_unflatten` returned outside any trace and that are not
# built yet (`core/pytree.py`, `DeferredClone`), with the function that builds them. They
# are built before any structure change, so each is built from the structure it was
# unflattened from.
DEFERRED_CLONES: weakref.WeakSet[Any] = weakref.WeakSet()
BUILD_DEFERRED: list[Callable[[Any], None]] = []


def bump_structure_version() -> None:
    """Invalidates every structure cache (a layer, weight or trainable flag changed)."""
    if DEFERRED_CLONES:
        for layer in list(DEFERRED_CLONES):
            BUILD_DEFERRED[0](layer)
    PROCESS.structure_version += 1
