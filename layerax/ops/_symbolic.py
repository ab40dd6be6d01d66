"""The symbolic fallback of `lx.ops` (private): ops on the functional API's `KerasTensor`s.

Every public op is wrapped once, at import, by `symbolic_fallback`. The wrapper calls the op
and looks for symbolic tensors only when the call raised, so the array path pays one extra
Python call and nothing else. The functional API (`layerax.models.operation`) installs the
handler through the `SYMBOLIC_OPS` hook, so this package never imports `layerax.models`.
"""

from __future__ import annotations

import functools
import sys
import types
from collections.abc import Callable
from typing import Any

__all__ = ["SYMBOLIC_OPS", "called_inside_an_op", "symbolic_fallback", "wrap_family"]

# Installed by layerax.models.operation: `check(args, kwargs)` says whether any argument is a
# symbolic tensor; `call(op_name, fn, args, kwargs)` records the op and returns its outputs.
SYMBOLIC_OPS: dict[str, Callable[..., Any] | None] = {"check": None, "call": None}


def symbolic_fallback(fn: Callable[..., Any], op_name: str) -> Callable[..., Any]:
    """Wraps `fn` (the op `op_name`, e.g. `"numpy.add"`) so that it also takes KerasTensors.

    The wrapper keeps `fn`'s name, docstring and signature (`__wrapped__` is `fn`).

    Example:
        >>> from layerax.ops._symbolic import symbolic_fallback
        >>> def double(x):
        ...     return x * 2
        >>> wrapped = symbolic_fallback(double, "numpy.double")
        >>> wrapped(3), wrapped.__name__, wrapped.__wrapped__ is double
        (6, 'double', True)
    """

    @functools.wraps(fn)
    def op(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception:
            check = SYMBOLIC_OPS["check"]
            if check is None or not check(args, kwargs):
                raise
        fallback = True  # noqa: F841 - tells `called_inside_an_op` this frame is past its try
        return SYMBOLIC_OPS["call"](op_name, fn, args, kwargs)  # type: ignore[misc]

    op._lx_op_name = op_name  # type: ignore[attr-defined]
    return op


_WRAPPER_CODE = symbolic_fallback(lambda: None, "").__code__


def called_inside_an_op() -> bool:
    """Whether the current symbolic call comes from inside another op's array attempt.

    `ops.cast(x)` calls `ops.convert_to_tensor(x)`: on a symbolic `x` the inner op must not
    record a node of its own (the outer op records one, named after itself). Only the
    failure path calls this, so the frame walk costs the array path nothing.
    """
    frame = sys._getframe(1)
    seen_own = False
    while frame is not None:
        if frame.f_code is _WRAPPER_CODE:
            if "fallback" not in frame.f_locals:
                return True
            if seen_own:
                return False  # an outer op in its own symbolic path (e.g. tracing)
            seen_own = True
        frame = frame.f_back
    return False


def wrap_family(module: types.ModuleType, family: str, done: dict[int, Any]) -> None:
    """Replaces every public function of `module` by its symbolic-aware wrapper, in place.

    `done` maps `id(fn)` to its wrapper, so that a function exported by several modules
    (a package and the file defining it) gets the same wrapper everywhere.
    """
    for name in module.__all__:
        fn = getattr(module, name)
        if not isinstance(fn, types.FunctionType) or hasattr(fn, "_lx_op_name"):
            continue
        wrapper = done.get(id(fn))
        if wrapper is None:
            wrapper = done[id(fn)] = symbolic_fallback(fn, f"{family}.{name}")
        setattr(module, name, wrapper)
