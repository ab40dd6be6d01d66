"""Turn what `fit`/`evaluate`/`predict` receive into batches `(x, y, sample_weight)`.

Accepted: numpy or JAX arrays (nested in lists, tuples or dicts for models
with several inputs/outputs), Python generators and iterators yielding `(x,)`,
`(x, y)` or `(x, y, sample_weight)`, `lx.utils.PyDataset`-style objects
(`__len__` and `__getitem__`), and torch `DataLoader`s, grain datasets/loaders and
`tf.data.Dataset`s (see `foreign_adapters`).

Array batches keep a static shape: every batch but the last has `batch_size`
rows, so a compiled step compiles at most twice (full and last batch), once
for the whole of training, never once per epoch.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Iterator
from typing import Any

import jax
import numpy as np


def _is_array(x: Any) -> bool:
    return isinstance(x, (np.ndarray, jax.Array)) or hasattr(x, "__array__") and hasattr(x, "shape")


def _flat_arrays(tree: Any) -> list[Any]:
    return [leaf for leaf in jax.tree_util.tree_leaves(tree) if leaf is not None]


def _num_rows(*trees: Any) -> int:
    sizes = {int(np.shape(a)[0]) for t in trees for a in _flat_arrays(t) if np.ndim(a) > 0}
    if len(sizes) > 1:
        raise ValueError(
            "Data cardinality is ambiguous: the arrays have different numbers of samples "
            f"({sorted(sizes)}). Make sure all arrays (x, y, sample_weight) contain the same "
            "number of samples."
        )
    if not sizes:
        raise ValueError("Expected arrays with a leading batch dimension; received scalars.")
    return sizes.pop()


def _take(tree: Any, index: Any) -> Any:
    if tree is None or isinstance(tree, (np.ndarray, jax.Array)):  # the usual case, per batch
        return None if tree is None else tree[index]
    return jax.tree.map(lambda a: a[index] if a is not None else None, tree)


def _as_host_arrays(tree: Any) -> Any:
    """Numpy stays numpy (cheap slicing on the host); lists of numbers become arrays."""
    def convert(a: Any) -> Any:
        if a is None or isinstance(a, (np.ndarray, jax.Array)):
            return a
        return np.asarray(a)

    return jax.tree.map(convert, tree)


def class_weight_to_sample_weight(y: Any, class_weight: dict[int, float]) -> np.ndarray:
    """Per-sample weights from `{class: weight}` for integer or one-hot labels."""
    leaves = _flat_arrays(y)
    if len(leaves) != 1:
        raise ValueError(
            "`class_weight` is only supported for models with a single output. Use "
            "`sample_weight` instead."
        )
    labels = np.asarray(leaves[0])
    if labels.ndim > 1 and labels.shape[-1] > 1:
        labels = np.argmax(labels, axis=-1)
    labels = labels.reshape(labels.shape[0], -1)[:, 0].astype(int)
    weights = np.ones(labels.shape[0], dtype="float32")
    for cls, weight in class_weight.items():
        weights[labels == int(cls)] = weight
    return weights


def train_validation_split(x: Any, y: Any, sample_weight: Any, validation_split: float) -> tuple[Any, Any]:
    """Keras' `validation_split`: the LAST fraction of the samples, before shuffling."""
    if not 0.0 < validation_split < 1.0:
        raise ValueError(
            f"`validation_split` must be in (0, 1). Received: validation_split={validation_split}"
        )
    n = _num_rows(x, y, sample_weight)
    split = int(math.floor(n * (1.0 - validation_split)))
    if split == 0 or split == n:
        raise ValueError(
            f"validation_split={validation_split} leaves an empty training or validation set "
            f"for {n} samples."
        )
    train = (_take(x, slice(0, split)), _take(y, slice(0, split)), _take(sample_weight, slice(0, split)))
    val = (_take(x, slice(split, n)), _take(y, slice(split, n)), _take(sample_weight, slice(split, n)))
    return train, val


class DataAdapter:
    """Iterates over batches `(x, y, sample_weight)` (y and sample_weight may be None)."""

    num_batches: int | None = None
    batch_size: int | None = None

    def epoch(self, epoch: int) -> Iterator[tuple[Any, Any, Any]]:  # pragma: no cover
        raise NotImplementedError

    def on_epoch_end(self) -> None:
        """Called after every epoch (PyDataset's hook)."""


class ArrayAdapter(DataAdapter):
    """Batches of in-memory arrays, optionally shuffled each epoch."""

    def __init__(self, x: Any, y: Any = None, sample_weight: Any = None, *, batch_size: int | None = None,
                 shuffle: bool = False, seed: int = 0, steps: int | None = None) -> None:
        self.x, self.y = _as_host_arrays(x), _as_host_arrays(y)
        self.sample_weight = _as_host_arrays(sample_weight)
        self.num_samples = _num_rows(self.x, self.y, self.sample_weight)
        self.batch_size = int(batch_size or 32)
        if self.batch_size <= 0:
            raise ValueError(f"`batch_size` must be positive. Received: batch_size={batch_size}")
        self.shuffle = shuffle
        self.seed = seed
        full = int(math.ceil(self.num_samples / self.batch_size))
        self.num_batches = min(full, steps) if steps else full

    def epoch(self, epoch: int) -> Iterator[tuple[Any, Any, Any]]:
        n = self.num_samples
        order = None
        if self.shuffle:
            order = np.random.default_rng((self.seed, epoch)).permutation(n)
        for i in range(self.num_batches):
            start = i * self.batch_size
            stop = min(start + self.batch_size, n)
            index = order[start:stop] if order is not None else slice(start, stop)
            yield _take(self.x, index), _take(self.y, index), _take(self.sample_weight, index)

    def flat_epoch(self, epoch: int) -> tuple[tuple[bool, ...], Iterator[list[Any]]] | None:
        """The batches of `epoch` (as `epoch` yields them) as lists of their arrays.

        Returns `(layout, batches)`: `layout` says which of x, y and sample_weight a batch
        holds (trailing missing ones left out, as a step receives the batch) and each item
        of `batches` is the list of those arrays. None unless x, y and sample_weight are
        each one array (or None); a loop that feeds a compiled step takes this cheaper form.
        """
        parts = (self.x, self.y, self.sample_weight)
        if not all(p is None or isinstance(p, (np.ndarray, jax.Array)) for p in parts):
            return None
        layout = [p is not None for p in parts]
        while len(layout) > 1 and not layout[-1]:
            layout.pop()
        arrays = [p for p in parts if p is not None]
        return tuple(layout), self._flat_batches(epoch, arrays)

    def _flat_batches(self, epoch: int, arrays: list[Any]) -> Iterator[list[Any]]:
        n, size = self.num_samples, self.batch_size
        if self.shuffle:
            order = np.random.default_rng((self.seed, epoch)).permutation(n)
            for i in range(self.num_batches):
                index = order[i * size:(i + 1) * size]
                yield [a[index] for a in arrays]
            return
        for start in range(0, self.num_batches * size, size):
            stop = start + size
            yield [a[start:stop] for a in arrays]


def unpack(data: Any) -> tuple[Any, Any, Any]:
    """`(x,)`, `(x, y)` or `(x, y, sample_weight)` (or a bare x) -> `(x, y, sample_weight)`."""
    if isinstance(data, tuple):
        if len(data) == 1:
            return data[0], None, None
        if len(data) == 2:
            return data[0], data[1], None
        if len(data) == 3:
            return data
        raise ValueError(
            "Data is expected to be in format `x`, `(x,)`, `(x, y)`, or `(x, y, sample_weight)`. "
            f"Received a tuple of length {len(data)}."
        )
    return data, None, None


class IteratorAdapter(DataAdapter):
    """Batches from a Python generator/iterator (or a callable returning a fresh one)."""

    def __init__(self, source: Any, steps: int | None = None) -> None:
        self.source = source
        self.num_batches = steps
        self._iterator: Iterator[Any] | None = None

    def epoch(self, epoch: int) -> Iterator[tuple[Any, Any, Any]]:
        if self._iterator is None:
            self._iterator = iter(self.source)
        stream = self._iterator if self.num_batches is None else itertools.islice(self._iterator, self.num_batches)
        produced = 0
        for data in stream:
            produced += 1
            yield unpack(data)
        if self.num_batches is None:
            # Without steps_per_epoch an epoch lasts until the iterator is exhausted; a
            # generator cannot be rewound, so the next epoch needs a re-iterable source.
            self._iterator = None
        elif produced < self.num_batches:
            raise ValueError(
                f"Your input ran out of data after {produced} batches, but "
                f"steps_per_epoch={self.num_batches}. Make the generator infinite (e.g. a "
                "`while True:` loop) or lower `steps_per_epoch`."
            )


class SequenceAdapter(DataAdapter):
    """Batches from a `PyDataset`/Keras `Sequence` (`__len__` + `__getitem__`)."""

    def __init__(self, dataset: Any, *, shuffle: bool = False, seed: int = 0, steps: int | None = None) -> None:
        self.dataset = dataset
        self.shuffle = shuffle
        self.seed = seed
        self._iterator: Any = None
        from layerax.trainers.py_dataset import PyDataset

        n = dataset.num_batches if isinstance(dataset, PyDataset) else len(dataset)
        if n is None and steps is None:
            raise ValueError(
                f"{type(dataset).__name__} has no length (it is endless): pass `steps_per_epoch`."
            )
        self.num_batches = min(n, steps) if (steps and n is not None) else (steps or n)

    def epoch(self, epoch: int) -> Iterator[tuple[Any, Any, Any]]:
        from layerax.trainers.py_dataset import PyDataset, PyDatasetIterator

        if isinstance(self.dataset, PyDataset):
            # Prefetching with the dataset's workers; it calls on_epoch_begin/end itself.
            if self._iterator is None:
                self._iterator = PyDatasetIterator(self.dataset, shuffle=self.shuffle, seed=self.seed)
            for data in self._iterator.epoch(steps=self.num_batches):
                yield unpack(data)
            return
        order = list(range(len(self.dataset)))
        if self.shuffle:
            order = list(np.random.default_rng((self.seed, epoch)).permutation(len(order)))
        for index in order[: self.num_batches]:
            yield unpack(self.dataset[index])
        hook = getattr(self.dataset, "on_epoch_end", None)
        if hook is not None:
            hook()


def get_adapter(x: Any, y: Any = None, sample_weight: Any = None, *, batch_size: int | None = None,
                shuffle: bool = False, steps: int | None = None, class_weight: dict[int, float] | None = None,
                seed: int = 0) -> DataAdapter:
    """The adapter for `x` (arrays, generator/iterator, or PyDataset)."""
    if x is None:
        raise ValueError("No data: pass `x` (arrays, a generator, or a PyDataset).")
    from layerax.trainers import foreign_adapters
    from layerax.trainers.foreign_adapters import foreign_adapter
    from layerax.trainers.py_dataset import PyDataset

    foreign = foreign_adapter(x, steps)
    if foreign is not None:  # torch DataLoader, grain, tf.data: they make their own batches
        _no_separate_targets(y, sample_weight, type(x).__name__)
        if class_weight is not None:
            raise ValueError(
                f"`class_weight` is not supported with a {type(x).__name__}: make it yield "
                "`(x, y, sample_weight)` instead."
            )
        if shuffle:
            kind = foreign_adapters.kind_name(x)
            warnings.warn(
                f"`shuffle=True` was passed, but will be ignored since the data `x` was provided as "
                f"a {kind}. The {kind} is expected to already be shuffled. Pass `shuffle=False` "
                "to silence this warning.",
                stacklevel=3,
            )
        return foreign  # type: ignore[return-value]
    if isinstance(x, PyDataset) or (
        hasattr(x, "__getitem__") and hasattr(x, "__len__") and not _is_array(x)
        and not isinstance(x, (list, tuple, dict))
    ):
        _no_separate_targets(y, sample_weight, "a PyDataset")
        return SequenceAdapter(x, shuffle=shuffle, seed=seed, steps=steps)
    if hasattr(x, "__next__") or (hasattr(x, "__iter__") and not isinstance(x, (list, tuple, dict)) and not _is_array(x)):
        _no_separate_targets(y, sample_weight, "a generator or iterator")
        return IteratorAdapter(x, steps=steps)
    if class_weight is not None:
        if sample_weight is not None:
            raise ValueError("Pass either `class_weight` or `sample_weight`, not both.")
        if y is None:
            raise ValueError("`class_weight` needs targets `y`.")
        sample_weight = class_weight_to_sample_weight(y, class_weight)
    return ArrayAdapter(x, y, sample_weight, batch_size=batch_size, shuffle=shuffle, seed=seed, steps=steps)


def _no_separate_targets(y: Any, sample_weight: Any, what: str) -> None:
    if y is not None or sample_weight is not None:
        raise ValueError(
            f"When `x` is {what}, it must yield the targets itself: `y` and `sample_weight` "
            "must not be passed separately."
        )


def split_for_validation(x: Any, y: Any, sample_weight: Any, validation_split: float) -> tuple[Any, Any]:
    """`fit(validation_split=...)`: the training part and the held-out last samples."""
    if not _is_array(x) and not isinstance(x, (list, tuple, dict)):
        raise ValueError(
            "`validation_split` is only supported for array inputs. Pass "
            "`validation_data` with generators and PyDatasets."
        )
    return train_validation_split(x, y, sample_weight, validation_split)


def validation_adapter(validation_data: Any, batch_size: int | None, steps: int | None) -> Any:
    """The adapter of `fit`'s `validation_data` (None without it)."""
    if validation_data is None:
        return None
    if isinstance(validation_data, tuple):
        vx, vy, vsw = unpack(validation_data)
    else:
        vx, vy, vsw = validation_data, None, None
    return get_adapter(vx, vy, vsw, batch_size=batch_size, steps=steps)


def fit_adapters(x: Any, y: Any, sample_weight: Any, *, batch_size: int | None, shuffle: bool,
                 steps: int | None, class_weight: Any, seed: Any, validation_split: float,
                 validation_data: Any, validation_batch_size: int | None,
                 validation_steps: int | None) -> tuple[Any, Any]:
    """`fit`'s training adapter and validation adapter (None without validation data);
    `validation_split` holds out the last samples when no `validation_data` is given."""
    if validation_split and validation_data is None:
        (x, y, sample_weight), validation_data = split_for_validation(
            x, y, sample_weight, validation_split
        )
    adapter = get_adapter(
        x, y, sample_weight, batch_size=batch_size, shuffle=shuffle, steps=steps,
        class_weight=class_weight, seed=seed,
    )
    val_adapter = validation_adapter(validation_data, validation_batch_size or batch_size,
                                     validation_steps)
    return adapter, val_adapter
