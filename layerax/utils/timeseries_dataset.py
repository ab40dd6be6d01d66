"""`lx.utils.timeseries_dataset_from_array`: sliding windows over an array, as a `PyDataset`."""

from __future__ import annotations

from typing import Any

import numpy as np

from layerax.trainers.py_dataset import PyDataset


class TimeseriesDataset(PyDataset):
    """Batches of windows `data[start + p + k * sampling_rate]`, `k < sequence_length`,
    gathered when a batch is asked for (the windows are never all in memory at once).

    Made by `lx.utils.timeseries_dataset_from_array`; `start_positions` are the `p`s in the
    order of the first epoch. With `shuffle=True` they are reshuffled after every epoch.

    Example:
        >>> import layerax as lx, numpy as np
        >>> ds = lx.utils.timeseries_dataset_from_array(np.arange(6), None, sequence_length=3, batch_size=2)
        >>> [b.tolist() for b in ds]
        [[[0, 1, 2], [1, 2, 3]], [[2, 3, 4], [3, 4, 5]]]
    """

    def __init__(self, data: Any, targets: Any, start_positions: np.ndarray, sequence_length: int,
                 sampling_rate: int, batch_size: int | None, shuffle: bool, seed: int | None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.data = data
        self.targets = targets
        self.start_positions = start_positions
        self.offsets = np.arange(sequence_length) * sampling_rate
        self.batch_size = batch_size
        self.shuffle = shuffle
        self._rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        n = len(self.start_positions)
        return n if self.batch_size is None else -(-n // self.batch_size)

    def __getitem__(self, index: int) -> Any:
        if not 0 <= index < len(self):
            raise IndexError(f"Batch index {index} out of range for a dataset of {len(self)} batches.")
        if self.batch_size is None:
            starts = self.start_positions[index:index + 1]
        else:
            starts = self.start_positions[index * self.batch_size:(index + 1) * self.batch_size]
        x = np.asarray(self.data[starts[:, None] + self.offsets[None, :]])
        y = None if self.targets is None else np.asarray(self.targets[starts])
        if self.batch_size is None:
            x, y = x[0], (None if y is None else y[0])
        return x if y is None else (x, y)

    def with_start_positions(self, start_positions: np.ndarray) -> TimeseriesDataset:
        """The same windows' rules over other start positions (used by `split_dataset`)."""
        other = TimeseriesDataset(self.data, self.targets, np.asarray(start_positions), 1, 1, self.batch_size,
                                  self.shuffle, None, workers=self._workers,
                                  use_multiprocessing=self._use_multiprocessing,
                                  max_queue_size=self._max_queue_size)
        other.offsets = self.offsets
        other._rng = np.random.default_rng(self._rng.integers(1 << 31))
        return other

    def on_epoch_end(self) -> None:
        """Reshuffles the windows (with `shuffle=True`)."""
        if self.shuffle:
            self.start_positions = self._rng.permutation(self.start_positions)


def _check_position(name: str, value: int, length: int) -> None:
    if value <= 0:
        raise ValueError(f"`{name}` must be higher than 0. Received: {name}={value}")
    if value >= length:
        raise ValueError(
            f"`{name}` must be lower than the length of the data. Received: {name}={value}, "
            f"for data of length {length}"
        )


def timeseries_dataset_from_array(
    data: Any,
    targets: Any,
    sequence_length: int,
    sequence_stride: int = 1,
    sampling_rate: int = 1,
    batch_size: int | None = 128,
    shuffle: bool = False,
    seed: int | None = None,
    start_index: int | None = None,
    end_index: int | None = None,
    format: str = "tf",  # noqa: A002 - Keras' argument name
    **kwargs: Any,
) -> TimeseriesDataset:
    """Windows of a timeseries (and the target at each window's start), in batches.

    Window `i` is `data[s_i + k * sampling_rate]` for `k < sequence_length`, where the
    start positions `s_i = start_index + p_i`, `p_i = 0, sequence_stride, 2 * sequence_stride,
    ...` while the window fits before `end_index`; its target is `targets[start_index + p_i]`
    (there are at most `len(targets)` windows). With `shuffle` the positions are shuffled
    with `np.random.RandomState(seed)`, as Keras does.

    Args:
        data: Array (or array-like indexable by integer arrays) of timesteps, axis 0 is time.
        targets: Targets aligned with `data` (or None).
        sequence_length: Timesteps per window.
        sequence_stride: Steps between consecutive window starts.
        sampling_rate: Steps between the timesteps of a window.
        batch_size: Windows per batch (None: single windows).
        shuffle: Shuffle the windows.
        seed: Seed of the shuffle.
        start_index: First timestep used (default 0).
        end_index: One past the last timestep used (default `len(data)`).
        format: Keras' `"tf"` / `"grain"`; both give this `PyDataset`.
        **kwargs: `workers`, `use_multiprocessing`, `max_queue_size` of the `PyDataset`.

    Returns:
        A `TimeseriesDataset` of `(windows, targets)` batches (windows alone without targets).

    Example:
        >>> import layerax as lx, numpy as np
        >>> x, y = lx.utils.timeseries_dataset_from_array(np.arange(10), np.arange(10) * 10,
        ...     sequence_length=2, sequence_stride=3, batch_size=8)[0]
        >>> x.tolist(), y.tolist()
        ([[0, 1], [3, 4], [6, 7]], [0, 30, 60])
    """
    length = len(data)
    if start_index:
        if start_index < 0:
            raise ValueError(f"`start_index` must be 0 or greater. Received: start_index={start_index}")
        if start_index >= length:
            raise ValueError(
                "`start_index` must be lower than the length of the data. Received: "
                f"start_index={start_index}, for data of length {length}"
            )
    if end_index:
        if start_index and end_index <= start_index:
            raise ValueError(
                "`end_index` must be higher than `start_index`. Received: "
                f"start_index={start_index}, and end_index={end_index}"
            )
        if end_index >= length:
            raise ValueError(
                "`end_index` must be lower than the length of the data. Received: "
                f"end_index={end_index}, for data of length {length}"
            )
        if end_index <= 0:
            raise ValueError(f"`end_index` must be higher than 0. Received: end_index={end_index}")
    _check_position("sampling_rate", sampling_rate, length)
    _check_position("sequence_stride", sequence_stride, length)
    if format not in ("tf", "grain"):
        raise ValueError(f'`format` should be either "tf" or "grain". Received: format={format}')
    start = start_index or 0
    stop = length if end_index is None else end_index
    num_seqs = stop - start - (sequence_length - 1) * sampling_rate
    if targets is not None:
        num_seqs = min(num_seqs, len(targets))
    positions = np.arange(0, max(num_seqs, 0), sequence_stride, dtype="int64")
    if shuffle:
        if seed is None:
            seed = int(np.random.randint(1_000_000))
        np.random.RandomState(seed).shuffle(positions)
    data_view = data[start:stop] if hasattr(data, "__getitem__") else np.asarray(data)[start:stop]
    if not hasattr(data_view, "shape"):
        data_view = np.asarray(data_view)
    target_view = None
    if targets is not None:
        target_view = targets[start:] if hasattr(targets, "shape") else np.asarray(targets)[start:]
    return TimeseriesDataset(data_view, target_view, positions, sequence_length, sampling_rate,
                             batch_size, shuffle, seed, **kwargs)


__all__ = ["TimeseriesDataset", "timeseries_dataset_from_array"]
