"""Integer ids to `int`, `one_hot`, `multi_hot` or `count` outputs (Keras' rules; private).

Shared by `CategoryEncoding`, `Discretization`, `Hashing` and `HashedCrossing`. The output
shapes follow Keras: a scalar input is first made a one-sample vector; `one_hot` encodes every
element, replacing a trailing axis of size 1; `multi_hot` and `count` reduce the sample axis
(axis 1 of a 2-D input, axis 0 of a 1-D input). With `sparse=True` the result is a BCOO, as
`lx.ops.one_hot(..., sparse=True)` gives.
"""

from __future__ import annotations

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


def encode(ids: Any, output_mode: str, depth: int, dtype: Any, sparse: bool = False,
           count_weights: Any = None) -> Any:
    """Encodes integer `ids` (any shape) as `output_mode` with `depth` classes."""
    ids = jnp.asarray(ids)
    if output_mode == "int":
        return ids.astype(dtype)
    if ids.ndim == 0:
        ids = ids[None]
    if output_mode == "multi_hot":
        return ops.multi_hot(ids, depth, dtype=dtype, sparse=sparse)
    if output_mode == "one_hot":
        if ids.ndim > 1 and ids.shape[-1] == 1:
            ids = ids.reshape(ids.shape[:-1])
        return ops.one_hot(ids, depth, dtype=dtype, sparse=sparse)
    # count: one-hot rows (weighted) summed over the sample axis.
    axis = 1 if ids.ndim > 1 else 0
    if count_weights is not None:
        dtype = count_weights.dtype
    if sparse:
        encoded = ops.one_hot(ids, depth, dtype=dtype, sparse=True)
        if count_weights is not None:
            weights = jnp.broadcast_to(count_weights, ids.shape).reshape(-1)
            encoded = jsparse.BCOO((encoded.data * weights.astype(dtype), encoded.indices),
                                   shape=encoded.shape)
        return jsparse.bcoo_sum_duplicates(jsparse.bcoo_reduce_sum(encoded, axes=(axis,)))
    encoded = jax.nn.one_hot(ids, depth, dtype=dtype)
    if count_weights is not None:
        encoded = encoded * jnp.expand_dims(count_weights, -1)
    return jnp.sum(encoded, axis=axis)


def encoded_shape(input_shape: Any, output_mode: str, depth: int) -> tuple[Any, ...]:
    """The output shape `encode` gives for inputs of `input_shape` (Keras' rule)."""
    shape = tuple(input_shape)
    if output_mode == "int":
        return shape
    if not shape:
        return (depth,)
    if output_mode == "one_hot":
        if len(shape) > 1 and shape[-1] == 1:
            return (*shape[:-1], depth)
        return (*shape, depth)
    if len(shape) == 1:
        return (depth,)
    return (shape[0], *shape[2:], depth)
