"""Adapters for other libraries' data pipelines: torch `DataLoader`, grain datasets and
loaders, `tf.data.Dataset`.

Each is recognised by the module and name of a class in its type's MRO (as Keras does), so
the library is never imported here: when it is not installed, nothing changes. Batches are
converted to numpy on the host (torch tensors through `.detach().cpu().numpy()`, TensorFlow
tensors through `.numpy()`), and a list batch (torch's `default_collate` turns `(x, y)`
samples into `[x, y]`) is read as the tuple `(x, y)`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jax


def _mro_matches(x: Any, names: tuple[str, ...], module_part: str) -> bool:
    return any(c.__name__ in names and module_part in str(c.__module__) for c in type(x).__mro__)


def is_torch_dataloader(x: Any) -> bool:
    """A `torch.utils.data.DataLoader` (or subclass)."""
    return _mro_matches(x, ("DataLoader",), "torch.utils.data")


def is_grain_dataset(x: Any) -> bool:
    """A grain `MapDataset`, `IterDataset` or `DataLoader`."""
    return _mro_matches(x, ("MapDataset", "IterDataset", "DataLoader"), "grain")


def is_tf_dataset(x: Any) -> bool:
    """A `tf.data.Dataset` (or a distributed one)."""
    return _mro_matches(x, ("DatasetV2", "DistributedDataset", "DistributedDatasetsFromFunction"),
                        "tensorflow.python.")


def kind_name(x: Any) -> str:
    """How the warnings name the loader: "torch DataLoader", "grain dataset", "tf.data.Dataset"."""
    if is_torch_dataloader(x):
        return "torch DataLoader"
    if is_grain_dataset(x):
        return "grain dataset"
    return "tf.data.Dataset"


def _to_numpy(leaf: Any) -> Any:
    module = type(leaf).__module__
    if module.startswith("torch"):
        return leaf.detach().cpu().numpy()
    if module.startswith("tensorflow") and hasattr(leaf, "numpy"):
        return leaf.numpy()
    return leaf


def to_numpy_batch(batch: Any) -> Any:
    """A batch of torch/tf tensors (nested in lists, tuples, dicts) as numpy arrays."""
    if isinstance(batch, list):
        batch = tuple(batch)
    return jax.tree.map(_to_numpy, batch, is_leaf=lambda v: type(v).__module__.startswith(("torch", "tensorflow")))


def _length(source: Any) -> int | None:
    if is_tf_dataset(source):
        cardinality = int(source.cardinality())
        return cardinality if cardinality >= 0 else None  # -1 infinite, -2 unknown
    try:
        return len(source)
    except TypeError:
        return None


class IterableLoaderAdapter:
    """Batches of a re-iterable loader (torch `DataLoader`, grain, `tf.data`), one pass per
    epoch, converted to numpy. The loader batches, shuffles and prefetches; `fit`'s
    `batch_size` and `shuffle` do not apply (as in Keras)."""

    batch_size: int | None = None

    def __init__(self, source: Any, steps: int | None = None) -> None:
        self.source = source
        n = self._full = _length(source)
        self.num_batches = min(n, steps) if (steps and n is not None) else (steps or n)
        self._iterator: Iterator[Any] | None = None

    def epoch(self, epoch: int) -> Iterator[tuple[Any, Any, Any]]:
        from layerax.trainers.data_adapters import unpack

        if self.num_batches is None or self.num_batches == self._full:
            for batch in self.source:  # one full pass per epoch
                yield unpack(to_numpy_batch(batch))
            return
        # steps_per_epoch shorter than a pass: continue the pass next epoch, start a new
        # pass when it ends.
        produced, fresh = 0, False
        while produced < self.num_batches:
            if self._iterator is None:
                self._iterator, fresh = iter(self.source), True
            try:
                batch = next(self._iterator)
            except StopIteration:
                self._iterator = None
                if fresh:
                    raise ValueError(
                        f"The {type(self.source).__name__} ran out of data after {produced} "
                        f"batches, but steps_per_epoch={self.num_batches}. Lower `steps_per_epoch`."
                    ) from None
                continue
            fresh = False
            produced += 1
            yield unpack(to_numpy_batch(batch))

    def on_epoch_end(self) -> None:
        """Nothing to do: the loader handles its own epochs."""


def foreign_adapter(x: Any, steps: int | None) -> IterableLoaderAdapter | None:
    """The adapter for a torch/grain/tf loader, or None when `x` is none of them."""
    if is_torch_dataloader(x) or is_grain_dataset(x) or is_tf_dataset(x):
        return IterableLoaderAdapter(x, steps=steps)
    return None


__all__ = ["IterableLoaderAdapter", "foreign_adapter", "is_grain_dataset", "is_tf_dataset",
           "is_torch_dataloader", "to_numpy_batch"]
