"""`PyDataset` (Keras' `Sequence`) and the prefetching iterator the training loop uses.

A `PyDataset` hands out batches by index. `PyDatasetIterator` runs an epoch
over it: batches are produced in order, prefetched by a pool of `workers`
threads (or processes with `use_multiprocessing=True`) that keeps at most
`max_queue_size` batches in flight, so that loading the next batches overlaps
the (asynchronous) device work of the current one.
"""

from __future__ import annotations

import collections
import concurrent.futures
import itertools
import multiprocessing
import pickle
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np


class PyDataset:
    """Base class of datasets that produce batches by index (Keras' `PyDataset` / `Sequence`).

    Implement `__getitem__(index)` (a batch: `x`, `(x,)`, `(x, y)` or
    `(x, y, sample_weight)`) and `__len__` (the number of batches per epoch;
    leave it out for an endless dataset). `on_epoch_begin` / `on_epoch_end`
    run around each epoch (e.g. to reshuffle).

    Args:
        workers: Number of threads (or processes) loading batches ahead;
            1 loads them in the training thread.
        use_multiprocessing: Load in worker processes instead of threads (the
            dataset must be picklable; a fresh pool is started each epoch).
        max_queue_size: Most batches loaded ahead.

    Example:
        >>> import layerax as lx, numpy as np
        >>> class Squares(lx.utils.PyDataset):
        ...     def __init__(self, n, batch_size, **kwargs):
        ...         super().__init__(**kwargs)
        ...         self.x = np.arange(n, dtype="float32")
        ...         self.batch_size = batch_size
        ...     def __len__(self):
        ...         return -(-len(self.x) // self.batch_size)
        ...     def __getitem__(self, index):
        ...         x = self.x[index * self.batch_size:(index + 1) * self.batch_size]
        ...         return x, x ** 2
        >>> data = Squares(5, 2, workers=2)
        >>> [y.tolist() for _, y in lx.utils.PyDatasetIterator(data).epoch()]
        [[0.0, 1.0], [4.0, 9.0], [16.0]]
    """

    def __init__(self, workers: int = 1, use_multiprocessing: bool = False, max_queue_size: int = 10) -> None:
        self._workers = workers
        self._use_multiprocessing = use_multiprocessing
        self._max_queue_size = max_queue_size

    def _warn_if_super_not_called(self) -> None:
        missing = False
        for name, value in (("_workers", 1), ("_use_multiprocessing", False), ("_max_queue_size", 10)):
            if not hasattr(self, name):
                setattr(self, name, value)
                missing = True
        if missing:
            warnings.warn(
                "Your `PyDataset` class should call `super().__init__(**kwargs)` in its "
                "constructor. `**kwargs` can include `workers`, `use_multiprocessing`, "
                "`max_queue_size`. Do not pass these arguments to `fit()`, as they will be ignored.",
                stacklevel=3,
            )

    @property
    def workers(self) -> int:
        """Number of workers that load batches in parallel (1: in the calling thread)."""
        self._warn_if_super_not_called()
        return self._workers

    @workers.setter
    def workers(self, value: int) -> None:
        self._workers = value

    @property
    def use_multiprocessing(self) -> bool:
        """Whether the workers are processes rather than threads."""
        self._warn_if_super_not_called()
        return self._use_multiprocessing

    @use_multiprocessing.setter
    def use_multiprocessing(self, value: bool) -> None:
        self._use_multiprocessing = value

    @property
    def max_queue_size(self) -> int:
        """How many batches the workers may prepare ahead."""
        self._warn_if_super_not_called()
        return self._max_queue_size

    @max_queue_size.setter
    def max_queue_size(self, value: int) -> None:
        self._max_queue_size = value

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(
            f"{type(self).__name__} must implement `__getitem__(self, index)` returning a batch."
        )

    @property
    def num_batches(self) -> int | None:
        """Batches per epoch (`len(self)`), or None for an endless dataset."""
        if hasattr(self, "__len__"):
            return len(self)  # type: ignore[arg-type]
        return None

    def __iter__(self) -> Iterator[Any]:
        count = self.num_batches
        for index in range(count) if count is not None else itertools.count():
            yield self[index]

    def on_epoch_begin(self) -> None:
        """Called at the start of every epoch."""

    def on_epoch_end(self) -> None:
        """Called at the end of every epoch."""


# Worker-process side: the dataset is sent once per pool, not with every batch.
_WORKER_DATASET: Any = None


def _init_worker(payload: bytes) -> None:
    global _WORKER_DATASET
    _WORKER_DATASET = pickle.loads(payload)


def _worker_get(index: int) -> Any:
    return _WORKER_DATASET[index]


class PyDatasetIterator:
    """Iterates over a `PyDataset` epoch by epoch, prefetching batches in order.

    With `workers > 1` (or `workers > 0` and `use_multiprocessing=True`),
    a pool loads up to `max_queue_size` batches ahead; otherwise batches are
    loaded in the calling thread. Batches always come out in index order
    (the shuffled order when `shuffle=True`). An error raised while loading
    a batch is raised when that batch is reached.

    Args:
        dataset: The `PyDataset`.
        shuffle: Visit the batches of each epoch in a random order.
        seed: Seed of the shuffling.

    Example:
        >>> import layerax as lx
        >>> class Numbers(lx.utils.PyDataset):
        ...     def __len__(self):
        ...         return 4
        ...     def __getitem__(self, index):
        ...         return index
        >>> it = lx.utils.PyDatasetIterator(Numbers(workers=2), shuffle=True, seed=0)
        >>> sorted(it.epoch()), it.epochs_done
        ([0, 1, 2, 3], 1)
    """

    def __init__(self, dataset: PyDataset, shuffle: bool = False, seed: int | None = None) -> None:
        if not isinstance(dataset, PyDataset):
            raise TypeError(
                "PyDatasetIterator expects an lx.utils.PyDataset. Received: "
                f"{type(dataset).__name__}"
            )
        self.dataset = dataset
        self.shuffle = shuffle
        self._rng = np.random.default_rng(seed)
        self._next_endless_index = 0
        self.epochs_done = 0

    @property
    def num_batches(self) -> int | None:
        """The dataset's batches per epoch, or None for an endless dataset."""
        return self.dataset.num_batches

    def _indices(self, steps: int | None) -> Iterator[int]:
        count = self.dataset.num_batches
        if count is None:
            if steps is None:
                raise ValueError(
                    f"{type(self.dataset).__name__} has no `__len__` (it is endless): pass the number "
                    "of batches per epoch (`steps_per_epoch`)."
                )
            start = self._next_endless_index
            self._next_endless_index += steps
            return iter(range(start, start + steps))
        order = np.arange(count)
        if self.shuffle:
            self._rng.shuffle(order)
        if steps is not None:
            order = order[:steps]
        return iter(order.tolist())

    def _make_pool(self) -> concurrent.futures.Executor | None:
        workers = self.dataset.workers
        processes = self.dataset.use_multiprocessing
        if not (workers > 1 or (workers > 0 and processes)):
            return None
        if not processes:
            return concurrent.futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lx_data")
        try:
            payload = pickle.dumps(self.dataset)
        except Exception as err:  # noqa: BLE001 - any pickling failure means the same fix
            raise ValueError(
                f"use_multiprocessing=True sends the dataset to worker processes, but "
                f"{type(self.dataset).__name__} cannot be pickled ({err}). Define the class at module "
                "level and keep its attributes picklable, or use threads (use_multiprocessing=False)."
            ) from err
        # "spawn": forking a process that runs JAX is unsafe.
        context = multiprocessing.get_context("spawn")
        return concurrent.futures.ProcessPoolExecutor(
            max_workers=workers, mp_context=context, initializer=_init_worker, initargs=(payload,)
        )

    def epoch(self, steps: int | None = None) -> Iterator[Any]:
        """Yields the batches of one epoch (at most `steps` of them).

        Calls the dataset's `on_epoch_begin` first and `on_epoch_end` when the
        epoch is exhausted or the generator is closed early (e.g. when
        training stops).
        """
        dataset = self.dataset
        indices = self._indices(steps)
        dataset.on_epoch_begin()
        pool = self._make_pool()
        try:
            if pool is None:
                for index in indices:
                    yield dataset[index]
            else:
                yield from self._prefetched(pool, indices)
        finally:
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)
            dataset.on_epoch_end()
            self.epochs_done += 1

    def _prefetched(self, pool: concurrent.futures.Executor, indices: Iterator[int]) -> Iterator[Any]:
        in_flight: collections.deque[concurrent.futures.Future[Any]] = collections.deque()
        depth = max(1, int(self.dataset.max_queue_size))
        get = _worker_get if isinstance(pool, concurrent.futures.ProcessPoolExecutor) else self.dataset.__getitem__
        for index in itertools.islice(indices, depth):
            in_flight.append(pool.submit(get, index))
        while in_flight:
            batch = in_flight.popleft().result()
            for index in itertools.islice(indices, 1):
                in_flight.append(pool.submit(get, index))
            yield batch

    def __iter__(self) -> Iterator[Any]:
        """Endless iteration over epochs (the batches of epoch after epoch)."""
        while True:
            yield from self.epoch()


__all__ = ["PyDataset", "PyDatasetIterator"]
