"""Mixed precision inside a layer call: inputs and variable reads in the compute dtype.

Keras 3 semantics: a layer whose compute dtype differs from its variable dtype
(`mixed_bfloat16`, `mixed_float16`) opens an autocast scope for its `call`;
inside it, floating variables created with `autocast=True` are read in the
compute dtype. The variables themselves stay float32, and since the cast is an
ordinary JAX op on the value, gradients flow back to them in float32.

A nested layer narrows the scope: with `autocast=False` (normalization layers)
it clears it, with another compute dtype it replaces it. Only the innermost
scope casts.
"""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp
import numpy as np

from layerax.core.context import CTX, Interceptor, pop_interceptor, push_interceptor

_FLOATING: dict[Any, bool] = {}


def is_float_dtype(dtype: Any) -> bool:
    """Whether `dtype` is a floating dtype (cached: this runs on every variable read)."""
    found = _FLOATING.get(dtype)
    if found is None:
        found = _FLOATING[dtype] = bool(jnp.issubdtype(np.dtype(dtype), jnp.floating))
    return found


class AutocastScope(Interceptor):
    """Reads floating, autocast variables in `dtype` while it is the innermost scope.

    `dtype=None` is a cleared scope: variables read as stored.
    """

    __slots__ = ("dtype",)

    def __init__(self, dtype: Any) -> None:
        self.dtype = None if dtype is None else np.dtype(dtype)

    def read(self, variable: Any, value: Any) -> Any:
        if CTX.autocast[-1] is not self or not variable._autocast:
            return value
        dtype = value.dtype
        if dtype == self.dtype or not is_float_dtype(dtype):
            return value
        return value.astype(self.dtype)

    def assign(self, variable: Any, value: Any) -> Any:
        return value

    def __enter__(self) -> AutocastScope:
        CTX.autocast.append(self)
        if self.dtype is not None:
            push_interceptor(self)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.dtype is not None:
            pop_interceptor(self)
        CTX.autocast.pop()


def current_scope() -> AutocastScope | None:
    """The innermost open scope, or None outside any mixed-precision layer call."""
    stack = CTX.autocast
    return stack[-1] if stack else None


def scope_for(compute_dtype: str, variable_dtype: str, autocast: bool) -> AutocastScope | None:
    """The scope a layer call opens (Keras' rules), or None to keep the current one."""
    current = current_scope()
    if current is not None:
        if not autocast or not is_float_dtype(compute_dtype):
            return None if current.dtype is None else AutocastScope(None)
        if current.dtype != np.dtype(compute_dtype):
            return AutocastScope(compute_dtype)
        return None
    # As in Keras, a mixed layer opens a scope even with autocast=False: its own weights
    # are then created with autocast=False, but sub-layers' weights are cast.
    if compute_dtype != variable_dtype and is_float_dtype(compute_dtype):
        return AutocastScope(compute_dtype)
    return None
