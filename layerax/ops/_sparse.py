"""Sparse tensors in `lx.ops`: `jax.experimental.sparse.BCOO`, as in Keras' JAX backend (private).

Ops with a `sparse=True` option (`one_hot`, `multi_hot`, `bincount`) build a BCOO with the
index layout Keras' JAX backend gives (one stored entry per input element). Ops that take
sparse inputs (`convert_to_tensor`, `convert_to_numpy`, `bincount` and the shape queries)
say so in `ACCEPTS_SPARSE`; every other op raises a `TypeError` naming the op and the fix,
rather than reading a BCOO's internal arrays as if they were the tensor.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from types import ModuleType
from typing import Any

import jax
import jax.numpy as jnp
from jax.experimental import sparse as jsparse

BCOO = jsparse.BCOO

# Ops that take BCOO inputs; every other public op of `lx.ops` rejects them.
ACCEPTS_SPARSE = frozenset(
    {"convert_to_tensor", "convert_to_numpy", "bincount", "is_tensor", "shape", "ndim",
     "size", "dtype"}
)


def is_sparse(x: Any) -> bool:
    """Whether `x` is a JAX sparse array (a BCOO or another `JAXSparse`)."""
    return isinstance(x, jsparse.JAXSparse)


def _first_sparse(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    # Arguments and the items of list/tuple arguments (e.g. `concatenate([a, b])`); no deeper
    # walk, so that calls with large pytrees (loop carries) cost nothing extra.
    for value in (*args, *kwargs.values()):
        items = value if isinstance(value, (list, tuple)) else (value,)
        for item in items:
            if is_sparse(item):
                return item
    return None


def _rejecting_sparse(op: Callable[..., Any], name: str) -> Callable[..., Any]:
    @functools.wraps(op)
    def checked(*args: Any, **kwargs: Any) -> Any:
        found = _first_sparse(args, kwargs)
        if found is not None:
            raise TypeError(
                f"`lx.ops.{name}` does not take sparse tensors. Received: a "
                f"{type(found).__name__} of shape {found.shape}. Densify it first with "
                "`x.todense()` (or `lx.ops.convert_to_tensor(x, sparse=False)`); the ops that "
                f"take sparse inputs are {sorted(ACCEPTS_SPARSE)}."
            )
        return op(*args, **kwargs)

    return checked


def guard_family(module: ModuleType) -> None:
    """Rebinds every public op of `module` (but `ACCEPTS_SPARSE`) to one that rejects BCOOs."""
    for name in module.__all__:
        op = getattr(module, name)
        if name in ACCEPTS_SPARSE or not callable(op) or isinstance(op, (type, ModuleType)):
            continue
        setattr(module, name, _rejecting_sparse(op, name))


def one_hot(x: jax.Array, num_classes: int, axis: int, dtype: Any) -> BCOO:
    """One-hot BCOO: one entry per element of `x` (a zero where the id is negative)."""
    axis = axis + x.ndim + 1 if axis < 0 else axis
    grids = list(jnp.meshgrid(*[jnp.arange(n) for n in x.shape], indexing="ij"))
    grids.insert(axis, jnp.maximum(x, 0))
    indices = jnp.stack([g.reshape(-1).astype(jnp.int32) for g in grids], axis=1)
    values = (x.reshape(-1) >= 0).astype(dtype)
    shape = list(x.shape)
    shape.insert(axis, num_classes)
    # Row-major over `x` with the class inserted: sorted unless axis puts the class first.
    return BCOO((values, indices), shape=tuple(shape), indices_sorted=axis == x.ndim,
                unique_indices=True)


def multi_hot(x: jax.Array, num_classes: int, axis: int, dtype: Any) -> BCOO:
    """Multi-hot BCOO: the one-hot counts summed over the sample axis, duplicates merged."""
    counts = one_hot(x, num_classes, axis, jnp.int32)
    counts = jsparse.bcoo_reduce_sum(counts, axes=(1 if x.ndim > 1 else 0,))
    counts = jsparse.bcoo_sum_duplicates(counts)
    return BCOO(((counts.data > 0).astype(dtype), counts.indices), shape=counts.shape,
                indices_sorted=True, unique_indices=True)


def bincount(x: jax.Array, weights: jax.Array | None, length: int, dtype: Any,
             rows: jax.Array | None = None, num_rows: int = 0) -> BCOO:
    """Counts as a BCOO with one (unsummed) entry per element of `x`; -ve ids count nothing.

    A 2-D `x` counts per row. `rows` (with a 1-D `x` of stored values) gives the row of each
    value instead: the result is then `(num_rows, length)`.
    """
    ones = jnp.ones(x.shape, dtype) if weights is None else weights.astype(dtype)
    values = jnp.where(x >= 0, ones, 0).reshape(-1)
    ids = jnp.maximum(x, 0).astype(jnp.int32).reshape(-1)
    if x.ndim == 2:
        rows = jnp.broadcast_to(jnp.arange(x.shape[0])[:, None], x.shape)
        num_rows = x.shape[0]
    if rows is None:
        return BCOO((values, ids[:, None]), shape=(length,))
    indices = jnp.stack([rows.reshape(-1).astype(jnp.int32), ids], axis=1)
    return BCOO((values, indices), shape=(num_rows, length))
