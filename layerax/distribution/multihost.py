"""Multi-host / multi-process start-up over `jax.distributed`."""

from __future__ import annotations

import os
from typing import Any

import jax
import numpy as np


def initialize(job_addresses: str | None = None, num_processes: int | None = None,
               process_id: int | None = None, **kwargs: Any) -> None:
    """Joins this process to a multi-process JAX program (`jax.distributed.initialize`).

    Call it first thing, before any JAX computation, in every process. Then
    `jax.devices()` lists the devices of all processes, a `DataParallel()`
    mesh spans them, and each process passes its OWN part of the data to
    `fit` (its `batch_size` is per process: the global batch is the
    concatenation of the processes' batches, in process order).

    Afterwards the processes share one random seed (process 0's), so weights
    initialised with `seed=None` agree across processes; call
    `lx.utils.set_random_seed` before `initialize` for a reproducible one.

    Args:
        job_addresses: Address of the coordinator (process 0), e.g.
            `"10.0.0.1:1234"`, or Keras' comma-separated list of all job
            addresses (the first is used). None: from the environment variable
            `KERAS_DISTRIBUTION_JOB_ADDRESSES`, else JAX's auto-detection
            (Cloud TPU, SLURM, ...).
        num_processes: Number of processes (`KERAS_DISTRIBUTION_NUM_PROCESSES`).
        process_id: This process's index, 0 to `num_processes - 1`
            (`KERAS_DISTRIBUTION_PROCESS_ID`).
        **kwargs: Passed on to `jax.distributed.initialize` (e.g.
            `local_device_ids`, `initialization_timeout`).

    Example:
        >>> import layerax as lx
        >>> # On each of two hosts (process_id 0 and 1):
        >>> # lx.distribution.initialize("10.0.0.1:1234", num_processes=2, process_id=0)
        >>> callable(lx.distribution.initialize)
        True
    """
    env = os.environ
    if job_addresses is None and "KERAS_DISTRIBUTION_JOB_ADDRESSES" in env:
        job_addresses = env["KERAS_DISTRIBUTION_JOB_ADDRESSES"]
    if num_processes is None and "KERAS_DISTRIBUTION_NUM_PROCESSES" in env:
        num_processes = int(env["KERAS_DISTRIBUTION_NUM_PROCESSES"])
    if process_id is None and "KERAS_DISTRIBUTION_PROCESS_ID" in env:
        process_id = int(env["KERAS_DISTRIBUTION_PROCESS_ID"])
    coordinator = job_addresses.split(",")[0].strip() if job_addresses else None
    jax.distributed.initialize(
        coordinator_address=coordinator, num_processes=num_processes, process_id=process_id,
        **kwargs,
    )
    if jax.process_count() > 1:
        _share_seed()


def _share_seed() -> None:
    """Every process takes process 0's next seed: initialisations then agree."""
    from jax.experimental import multihost_utils

    from layerax.core.random import make_default_seed, set_random_seed

    mine = np.asarray(make_default_seed(), np.int32)
    shared = int(multihost_utils.broadcast_one_to_all(mine))
    set_random_seed(shared)


def process_id() -> int:
    """This process's index (0 in a single-process program).

    Example:
        >>> import layerax as lx
        >>> lx.distribution.process_id(), lx.distribution.num_processes()
        (0, 1)
    """
    return jax.process_index()


def num_processes() -> int:
    """How many processes the program runs on.

    Example:
        >>> import layerax as lx
        >>> lx.distribution.num_processes()
        1
    """
    return jax.process_count()


__all__ = ["initialize", "num_processes", "process_id"]
