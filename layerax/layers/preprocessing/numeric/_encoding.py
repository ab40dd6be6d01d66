"""Integer ids to `int`, `one_hot`, `multi_hot` or `count` outputs (Keras' rules; private).

Shared by `CategoryEncoding`, `Discretization`, `Hashing` and `HashedCrossing`. The output
shapes follow Keras: a scalar input is first made a one-sample vector; `one_hot` encodes every
element, replacing a trailing axis of size 1; `multi_hot` and `count` reduce the sample axis
(axis 1 of a 2-D input, axis 0 of a 1-D input). With `sparse=True` the result is a BCOO, as
`lx.ops.one_hot(..., sparse=True)` gives (the sparse paths are compiled: their
number of stored entries is the static bound, one per input element).
"""

from __future__ import annotations

import functools
from typing import Any

import jax
import jax.numpy as jnp
from jax.experimental import sparse as jsparse

from layerax import ops

OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count")


def check_output_mode(layer: str, output_mode: Any, allowed: tuple[str, ...] = OUTPUT_MODES) -> str:
    if output_mode not in allowed:
        raise ValueError(
            f"{layer}: invalid value for argument `output_mode`. Expected one of {allowed}. "
            f"Received: output_mode={output_mode!r}"
        )
    return output_mode


def check_sparse(layer: str, sparse: Any, output_mode: str) -> bool:
    if sparse and output_mode == "int":
        raise ValueError(
            f"{layer}: `sparse=True` may only be used if `output_mode` is 'one_hot', "
            f"'multi_hot' or 'count'. Received: sparse={sparse} and output_mode={output_mode!r}"
        )
    return bool(sparse)


@functools.partial(jax.jit, static_argnames=("depth", "dtype"))
def _sparse_one_hot(ids: jax.Array, depth: int, dtype: Any) -> Any:
    return ops.one_hot(ids, depth, dtype=dtype, sparse=True)


@functools.partial(jax.jit, static_argnames=("depth", "dtype", "binary"))
def _sparse_counts(ids: jax.Array, weights: Any, depth: int, dtype: Any, binary: bool) -> Any:
    """Per-sample (weighted) counts as a BCOO, duplicates summed (`binary`: 1 where present).

    Compiled (one program per shape), so the number of stored entries is the static upper
    bound (one per input element); entries past the distinct ones are padding."""
    axis = 1 if ids.ndim > 1 else 0
    encoded = ops.one_hot(ids, depth, dtype=dtype, sparse=True)
    if weights is not None:
        data = encoded.data * jnp.broadcast_to(weights, ids.shape).reshape(-1).astype(dtype)
        encoded = jsparse.BCOO((data, encoded.indices), shape=encoded.shape)
    summed = jsparse.bcoo_reduce_sum(encoded, axes=(axis,))
    summed = jsparse.bcoo_sum_duplicates(summed, nse=summed.nse)
    if binary:
        summed = jsparse.BCOO(((summed.data > 0).astype(dtype), summed.indices),
                              shape=summed.shape)
    return summed


def encode(ids: Any, output_mode: str, depth: int, dtype: Any, sparse: bool = False,
           count_weights: Any = None) -> Any:
    """Encodes integer `ids` (any shape) as `output_mode` with `depth` classes."""
    ids = jnp.asarray(ids)
    if output_mode == "int":
        return ids.astype(dtype)
    if ids.ndim == 0:
        ids = ids[None]
    if output_mode == "one_hot" and ids.ndim > 1 and ids.shape[-1] == 1:
        ids = ids.reshape(ids.shape[:-1])
    if output_mode == "count" and count_weights is not None:
        dtype = count_weights.dtype
    dtype = jnp.dtype(dtype).name
    if sparse:
        if output_mode == "one_hot":
            return _sparse_one_hot(ids, depth, dtype)
        return _sparse_counts(ids, count_weights, depth, dtype, output_mode == "multi_hot")
    if output_mode == "multi_hot":
        return ops.multi_hot(ids, depth, dtype=dtype)
    if output_mode == "one_hot":
        return ops.one_hot(ids, depth, dtype=dtype)
    # count: one-hot rows (weighted) summed over the sample axis.
    encoded = jax.nn.one_hot(ids, depth, dtype=dtype)
    if count_weights is not None:
        encoded = encoded * jnp.expand_dims(count_weights, -1)
    return jnp.sum(encoded, axis=1 if ids.ndim > 1 else 0)


def encoded_shape(input_shape: Any, output_mode: str, depth: int) -> tuple[Any, ...]:
    """The output shape `encode` gives for inputs of `input_shape` (Keras' rule)."""
    shape = tuple(input_shape)
    if output_mode == "int":
        return shape
    if not shape:
        shape = (1,)  # a scalar is encoded as a one-sample vector
    if output_mode == "one_hot":
        if len(shape) > 1 and shape[-1] == 1:
            return (*shape[:-1], depth)
        return (*shape, depth)
    if len(shape) == 1:
        return (depth,)
    return (shape[0], *shape[2:], depth)
