"""`FileDataset`: the `PyDataset` the `*_dataset_from_directory` functions return.

It holds the file paths and their labels, and reads a batch's files only when the batch is
asked for (`__getitem__`), so a directory of any size costs memory for one batch at a time
(times the prefetch depth, with `workers > 1`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from layerax.utils.dataset_index import training_or_validation_split
from layerax.trainers.py_dataset import PyDataset


class FileDataset(PyDataset):
    """Batches of samples read lazily from files, with their labels.

    `fit`, `evaluate` and `predict` take it like any `PyDataset`. Batch `i` is
    `(x, y)` (or `x` alone when there are no labels) built from the files
    `file_paths[i * batch_size:(i + 1) * batch_size]`; with `shuffle=True` the
    order of the samples is redrawn (from `seed`) at the end of every epoch.
    `batch_size=None` yields single samples.

    Attributes:
        file_paths: The paths of the samples, in the order of the first epoch.
        class_names: The class names (index `i` is label `i`), or None without labels.

    Args:
        file_paths: Paths of the files, one per sample.
        labels: Encoded labels (one row per file), or None.
        load: Reads one file into a numpy array.
        batch_size: Samples per batch, or None for unbatched samples.
        shuffle: Redraw the sample order at each epoch end.
        seed: Seed of those reshuffles.
        class_names: Names of the classes.
        collate: Stacks a list of samples into a batch (default `np.stack`).
        **kwargs: `workers`, `use_multiprocessing`, `max_queue_size` of `PyDataset`.

    Example:
        >>> import numpy as np, os, tempfile
        >>> from layerax.utils.file_dataset import FileDataset
        >>> d = tempfile.mkdtemp(); paths = []
        >>> for i in range(3):
        ...     paths.append(os.path.join(d, f"{i}.npy")); np.save(paths[-1], np.full(2, i))
        >>> ds = FileDataset(paths, np.arange(3), np.load, batch_size=2, shuffle=False)
        >>> [(x.tolist(), y.tolist()) for x, y in ds]
        [([[0, 0], [1, 1]], [0, 1]), ([[2, 2]], [2])]
    """

    def __init__(
        self,
        file_paths: Sequence[str],
        labels: np.ndarray | None,
        load: Callable[[str], np.ndarray],
        batch_size: int | None = 32,
        shuffle: bool = False,
        seed: int | None = None,
        class_names: Sequence[str] | None = None,
        collate: Callable[[list[np.ndarray]], np.ndarray] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if batch_size is not None and (not isinstance(batch_size, (int, np.integer)) or batch_size <= 0):
            raise ValueError(f"`batch_size` must be a positive integer or None. Received: batch_size={batch_size!r}")
        self.file_paths = list(file_paths)
        self.labels = labels
        self.load = load
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.seed = seed
        self.class_names = None if class_names is None else list(class_names)
        self.collate = collate
        self._order = np.arange(len(self.file_paths))
        self._rng = np.random.default_rng(seed)
        self._epoch = 0

    def __len__(self) -> int:
        if self.batch_size is None:
            return len(self.file_paths)
        return -(-len(self.file_paths) // self.batch_size)

    def _rows(self, index: int) -> np.ndarray:
        if not 0 <= index < len(self):
            raise IndexError(f"Batch index {index} out of range for a dataset of {len(self)} batches.")
        if self.batch_size is None:
            return self._order[index:index + 1]
        return self._order[index * self.batch_size:(index + 1) * self.batch_size]

    def __getitem__(self, index: int) -> Any:
        rows = self._rows(int(index))
        samples = [self.load(self.file_paths[row]) for row in rows]
        if self.batch_size is None:
            x = samples[0]
            return x if self.labels is None else (x, self.labels[rows[0]])
        x = (self.collate or np.stack)(samples)
        return x if self.labels is None else (x, self.labels[rows])

    def on_epoch_end(self) -> None:
        """Reshuffles the sample order (with `shuffle=True`)."""
        self._epoch += 1
        if self.shuffle:
            self._order = self._rng.permutation(len(self.file_paths))

    def subset(self, rows: Sequence[int]) -> FileDataset:
        """A dataset of the same kind over the samples `rows` (indices into `file_paths`)."""
        rows = list(rows)
        labels = None if self.labels is None else self.labels[rows]
        return FileDataset(
            [self.file_paths[r] for r in rows], labels, self.load, batch_size=self.batch_size,
            shuffle=self.shuffle, seed=self.seed, class_names=self.class_names, collate=self.collate,
            workers=self._workers, use_multiprocessing=self._use_multiprocessing,
            max_queue_size=self._max_queue_size,
        )

    def __repr__(self) -> str:
        return (f"<FileDataset: {len(self.file_paths)} files, batch_size={self.batch_size}, "
                f"class_names={self.class_names}>")


def build_subsets(paths: list[str], labels: np.ndarray | None, load: Any, what: str, directory: Any,
                  formats: tuple[str, ...], class_names: list[str] | None, *, batch_size: int | None,
                  shuffle: bool, seed: int, validation_split: float | None, subset: str | None,
                  verbose: bool, collate: Any = None, **kwargs: Any) -> FileDataset | list[FileDataset]:
    """The `FileDataset` of `subset` (or `[training, validation]` for "both")."""
    def make(name: str | None, shuffled: bool) -> FileDataset:
        part_paths, part_labels = training_or_validation_split(
            paths, labels, validation_split, name, verbose=verbose
        )
        if not part_paths:
            kind = "" if name is None or subset != "both" else f"{name} "
            raise ValueError(f"No {kind}{what} found in directory {directory}. Allowed formats: {formats}")
        return FileDataset(part_paths, part_labels, load, batch_size=batch_size, shuffle=shuffled, seed=seed,
                           class_names=class_names, collate=collate, **kwargs)

    if subset == "both":
        return [make("training", shuffle), make("validation", False)]
    return make(subset, shuffle)


__all__ = ["FileDataset", "build_subsets"]
