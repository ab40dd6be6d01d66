"""Putting arrays on devices with a given sharding, one shard per device.

Used by `lx.distribution` and by `Variable` (a sharded variable keeps its
sharding across assignments). A host value is sliced and each device gets only
its own shard, so a large weight never has to fit on one device.
"""

from __future__ import annotations

from typing import Any

import jax
import numpy as np


def put(value: Any, sharding: Any) -> jax.Array:
    """`value` (numpy, a JAX array or a scalar) as a `jax.Array` with `sharding`.

    In a multi-process program every process must pass the same (global)
    value; each one transfers only the shards its own devices hold.
    """
    # Also called while a jit is tracing (variables created during the first trace):
    # the transfer must happen now, not become part of the traced program.
    with jax.ensure_compile_time_eval():
        if isinstance(value, jax.Array):
            if value.sharding == sharding:
                return value
            if not value.is_fully_addressable or (
                jax.process_count() == 1 and _same_platform(value, sharding)
            ):
                return jax.device_put(value, sharding)
        host = np.asarray(value)
        if jax.process_count() == 1:
            # Slices the host array and sends each device its own shard.
            return jax.device_put(host, sharding)
        return jax.make_array_from_callback(host.shape, sharding, lambda index: host[index])


def _same_platform(value: jax.Array, sharding: Any) -> bool:
    platforms = {d.platform for d in value.sharding.device_set}
    return platforms == {d.platform for d in sharding.device_set}
