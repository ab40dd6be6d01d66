"""Data on the devices: batches split along the batch axis, prefetched ahead of the step."""

from __future__ import annotations

import collections
from collections.abc import Iterable, Iterator
from typing import Any

import jax
import numpy as np

from layerax.core.context import CTX


def distribute_data(batch: Any, batch_axis: int = 0) -> Any:
    """Puts a batch (a pytree of arrays) on the devices.

    Under an active distribution each array is split along `batch_axis` over
    the batch axis of the mesh (in a multi-process run, `batch` is this
    process's part and the result is the global array); otherwise it goes to
    the default device. Arrays already laid out on the mesh are left alone.

    Args:
        batch: Arrays (numpy or JAX) nested in tuples/lists/dicts.
        batch_axis: The axis holding the samples (1 for a stack of batches).

    Example:
        >>> import layerax as lx, numpy as np
        >>> x, y = lx.distribution.distribute_data((np.ones((8, 3)), np.zeros(8)))
        >>> type(x).__name__, x.shape
        ('ArrayImpl', (8, 3))
    """
    dist = CTX.distribution
    if dist is not None:
        return dist._lx_place_batch(batch, batch_axis)
    return jax.tree.map(_to_default_device, batch)


def place_batch_for_step(batch: Any, batch_axis: int = 0) -> Any:
    """How `fit`/`evaluate`/`predict` hand a host batch to a compiled step.

    Under a distribution, as `distribute_data`. Otherwise numpy batches stay numpy
    on a CPU backend (the compiled call takes them in its C++ path, ~10x cheaper than
    `jax.device_put`, and there is no transfer to overlap); on an accelerator the whole
    batch is put on the device in one call, so that the transfer overlaps the running step.
    """
    if CTX.distribution is not None:
        return distribute_data(batch, batch_axis)
    if jax.default_backend() == "cpu":
        return batch
    leaves, treedef = jax.tree.flatten(batch)
    host = [i for i, leaf in enumerate(leaves) if isinstance(leaf, np.ndarray)]
    if host:
        placed = jax.device_put([leaves[i] for i in host])
        for i, value in zip(host, placed):
            leaves[i] = value
    return jax.tree.unflatten(treedef, leaves)


def _to_default_device(x: Any) -> Any:
    if isinstance(x, np.ndarray):
        return jax.device_put(x)
    return x


def prefetch_to_device(batches: Iterable[Any], size: int = 2,
                       place: Any = distribute_data) -> Iterator[Any]:
    """Yields `place(batch)` for each batch, keeping `size` batches already on the devices.

    JAX runs a dispatched step asynchronously, so while step `i` computes, the
    host slices batch `i + size` and starts its transfer: the accelerator does
    not wait for the host between steps (double buffering for `size=2`).

    Args:
        batches: Any iterable of batches.
        size: Batches in flight (at least 1).
        place: Puts one batch on the devices (`distribute_data` by default).

    Example:
        >>> import layerax as lx, numpy as np
        >>> stream = lx.distribution.prefetch_to_device(np.ones((3, 2, 2)))
        >>> [type(b).__name__ for b in stream]
        ['ArrayImpl', 'ArrayImpl', 'ArrayImpl']
    """
    if size < 1:
        raise ValueError(f"`size` must be at least 1. Received: size={size}")
    queue: collections.deque[Any] = collections.deque()
    iterator = iter(batches)
    for batch in iterator:
        queue.append(place(batch))
        if len(queue) >= size:
            break
    while queue:
        out = queue.popleft()
        for batch in iterator:
            # Started before `out` is consumed: its transfer overlaps the running step.
            queue.append(place(batch))
            break
        yield out


def to_host_local(tree: Any) -> Any:
    """Arrays as numpy; for arrays spread over several processes, this process's rows.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> lx.distribution.to_host_local({"y": jnp.arange(3)})["y"].tolist()
        [0, 1, 2]
    """
    return jax.tree.map(_host_local, tree)


def _host_local(x: Any) -> Any:
    if not isinstance(x, jax.Array) or x.is_fully_addressable:
        return np.asarray(x)
    if x.ndim == 0 or x.is_fully_replicated:
        return np.asarray(x.addressable_data(0))
    # Rows this process holds, in order (a shard may be replicated on several local devices).
    pieces: dict[int, np.ndarray] = {}
    for shard in x.addressable_shards:
        start = shard.index[0].start or 0
        if start not in pieces:
            pieces[start] = np.asarray(shard.data)
    return np.concatenate([pieces[k] for k in sorted(pieces)], axis=0)


__all__ = ["distribute_data", "prefetch_to_device", "to_host_local"]
