"""`lx.utils.text_dataset_from_directory`."""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from layerax.utils import dataset_index
from layerax.utils.file_dataset import FileDataset, build_subsets


def _read_text(path: str, max_length: int | None) -> str:
    with open(path, encoding="utf-8") as f:
        text = f.read()
    return text if max_length is None else text[:max_length]


def _stack_strings(samples: list[str]) -> np.ndarray:
    batch = np.empty(len(samples), dtype=object)
    batch[:] = samples
    return batch


def text_dataset_from_directory(
    directory: str | os.PathLike[str],
    labels: Any = "inferred",
    label_mode: str | None = "int",
    class_names: Sequence[str] | None = None,
    batch_size: int | None = 32,
    max_length: int | None = None,
    shuffle: bool = True,
    seed: int | None = None,
    validation_split: float | None = None,
    subset: str | None = None,
    follow_links: bool = False,
    format: str = "tf",  # noqa: A002 - Keras' argument name
    verbose: bool = True,
    **kwargs: Any,
) -> FileDataset | list[FileDataset]:
    """A dataset of the `.txt` files in `directory` (one sub-folder per class), read lazily.

    Listing, labels, shuffling and `validation_split` follow Keras' rules (see
    `layerax.utils.dataset_index`). Each batch's texts are a numpy object array of `str`
    (read as UTF-8), which `TextVectorization` and `StringLookup` take on the host.

    Args:
        directory: The folder of the data.
        labels: `"inferred"`, a list/tuple of integer labels (one per file, in sorted path
            order), or None.
        label_mode: `"int"`, `"categorical"`, `"binary"` or None.
        class_names: With `labels="inferred"`, the sub-folders to use, in this order.
        batch_size: Texts per batch, or None for single texts.
        max_length: Keep at most this many characters of each text. (Keras' `tf` format
            cuts bytes; its `grain` format, like this one, characters.)
        shuffle: Shuffle the files once (and after every epoch).
        seed: Seed of the shuffles; needed with `validation_split` and `shuffle`.
        validation_split: Fraction of the files kept for validation.
        subset: `"training"`, `"validation"` or `"both"`.
        follow_links: Whether to walk into symlinked folders.
        format: `"tf"` or `"grain"` (Keras' choice of output); both give this `PyDataset`.
        verbose: Print how many files and classes were found.
        **kwargs: `workers`, `use_multiprocessing`, `max_queue_size` of the `PyDataset`.

    Returns:
        A `FileDataset` of `(texts, labels)` batches (or texts alone), with `class_names`
        and `file_paths`; a list `[training, validation]` with `subset="both"`.

    Example:
        >>> import layerax as lx, os, tempfile
        >>> root = tempfile.mkdtemp()
        >>> for cls, text in (("neg", "bad"), ("pos", "good")):
        ...     os.makedirs(os.path.join(root, cls))
        ...     with open(os.path.join(root, cls, "0.txt"), "w") as f:
        ...         _ = f.write(text)
        >>> ds = lx.utils.text_dataset_from_directory(root, shuffle=False, verbose=False)
        >>> x, y = ds[0]
        >>> x.tolist(), y.tolist(), ds.class_names
        (['bad', 'good'], [0, 1], ['neg', 'pos'])
    """
    dataset_index.check_label_arguments(labels, label_mode, class_names, "text_dataset_from_directory")
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    if format not in ("tf", "grain"):
        raise ValueError(f'`format` should be either "tf" or "grain". Received: format={format}')
    if max_length is not None and (not isinstance(max_length, int) or max_length < 0):
        raise ValueError(f"`max_length` must be a non-negative integer or None. Received: max_length={max_length!r}")
    dataset_index.check_validation_split_arg(validation_split, subset, shuffle, seed)
    if seed is None:
        seed = int(np.random.randint(1_000_000))
    paths, found, names = dataset_index.index_directory(
        directory, labels, formats=(".txt",), class_names=class_names, shuffle=shuffle, seed=seed,
        follow_links=follow_links, verbose=verbose,
    )
    if label_mode == "binary" and len(names or []) != 2:
        raise ValueError(
            f'When passing `label_mode="binary"`, there must be exactly 2 class_names. Received: class_names={names}'
        )
    encoded = dataset_index.encode_labels(found, label_mode, len(names) if names else 0)
    return build_subsets(
        paths, encoded, functools.partial(_read_text, max_length=max_length), "text files", directory,
        (".txt",), names, batch_size=batch_size, shuffle=shuffle, seed=seed,
        validation_split=validation_split, subset=subset, verbose=verbose, collate=_stack_strings, **kwargs,
    )


__all__ = ["text_dataset_from_directory"]
