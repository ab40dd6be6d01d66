"""Listing a directory of files with their labels, and the training/validation split, as
Keras' `*_dataset_from_directory` functions do it.

The rules (Keras 3.15's documented ones, reimplemented here):

- `labels="inferred"`: the class names are the sorted names of the sub-directories of
  `directory` that do not start with `.` (or `class_names`, in the order given, which must
  be a subset of them); class `i` is the i-th name.
- Inside each class folder (or `directory` itself when labels are given or None), the
  folders are walked in sorted order of their paths and the files of each folder in sorted
  order of their names; a file counts when its lower-cased name ends with one of `formats`.
- `labels` given as a list: one label per file in that order; `class_names` are then the
  sorted distinct labels as strings.
- With `shuffle=True` the list is shuffled once with `np.random.RandomState(seed)` (the same
  permutation for paths and labels).
- `validation_split=v`: the last `int(v * n)` files are the validation subset, the others
  the training subset.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np


def _class_folders(directory: str, class_names: Sequence[str] | None) -> list[str]:
    subdirs = [
        name for name in sorted(os.listdir(directory))
        if os.path.isdir(os.path.join(directory, name)) and not name.startswith(".")
    ]
    if class_names is None:
        return subdirs
    if not set(class_names).issubset(subdirs):
        raise ValueError(
            "The `class_names` passed did not match the names of the subdirectories of the "
            f"target directory. Expected: {subdirs} (or a subset of it), but received: "
            f"class_names={list(class_names)}"
        )
    return list(class_names)


def _files_under(folder: str, follow_links: bool, formats: tuple[str, ...]) -> list[str]:
    """Paths of the matching files under `folder`, walked in sorted order."""
    found = []
    for root, _, files in sorted(os.walk(folder, followlinks=follow_links), key=lambda w: w[0]):
        found.extend(os.path.join(root, name) for name in sorted(files) if name.lower().endswith(formats))
    return found


def index_directory(
    directory: str | os.PathLike[str],
    labels: Any,
    formats: tuple[str, ...],
    class_names: Sequence[str] | None = None,
    shuffle: bool = True,
    seed: int | None = None,
    follow_links: bool = False,
    verbose: bool = True,
) -> tuple[list[str], np.ndarray | list[Any] | None, list[str] | None]:
    """Lists the files of `directory` with their labels: `(file_paths, labels, class_names)`.

    Example:
        >>> import os, tempfile
        >>> from layerax.utils.dataset_index import index_directory
        >>> root = tempfile.mkdtemp()
        >>> for cls in ("b", "a"):
        ...     os.makedirs(os.path.join(root, cls))
        ...     open(os.path.join(root, cls, "1.txt"), "w").close()
        >>> paths, labels, names = index_directory(root, "inferred", (".txt",), shuffle=False, verbose=False)
        >>> [os.path.relpath(p, root) for p in paths], labels.tolist(), names
        (['a/1.txt', 'b/1.txt'], [0, 1], ['a', 'b'])
    """
    directory = os.fspath(directory)
    if not os.path.isdir(directory):
        raise ValueError(f"`directory` must be an existing folder. Received: directory={directory!r}")
    if labels == "inferred":
        folders = _class_folders(directory, class_names)
    else:
        if class_names is not None:
            if labels is None:
                raise ValueError("When `labels=None` (no labels), argument `class_names` cannot be specified.")
            raise ValueError(
                "When argument `labels` is specified, argument `class_names` cannot be specified "
                "(the `class_names` will be the sorted list of labels)."
            )
        folders = [""]
    names = list(folders)
    file_paths: list[str] = []
    per_file_class: list[int] = []
    for index, folder in enumerate(folders):
        files = _files_under(os.path.join(directory, folder), follow_links, formats)
        file_paths.extend(files)
        per_file_class.extend([index] * len(files))

    found_labels: Any
    result_names: list[str] | None
    if labels == "inferred":
        found_labels = np.asarray(per_file_class, dtype="int32")
        result_names = names
    elif labels is None:
        found_labels, result_names = None, None
    else:
        if len(labels) != len(file_paths):
            raise ValueError(
                "Expected the lengths of `labels` to match the number of files in the target "
                f"directory. len(labels) is {len(labels)} while we found {len(file_paths)} files "
                f"in directory {directory}."
            )
        found_labels = list(labels)
        result_names = [str(label) for label in sorted(set(found_labels))]
    if verbose:
        if found_labels is None:
            print(f"Found {len(file_paths)} files.")
        else:
            print(f"Found {len(file_paths)} files belonging to {len(result_names or [])} classes.")
    if shuffle:
        if seed is None:
            seed = int(np.random.randint(1_000_000))
        np.random.RandomState(seed).shuffle(file_paths)
        if found_labels is not None:
            np.random.RandomState(seed).shuffle(found_labels)
    return file_paths, found_labels, result_names


def check_validation_split_arg(validation_split: float | None, subset: str | None, shuffle: bool,
                               seed: int | None) -> None:
    """Raises for inconsistent `validation_split` / `subset` / `seed` arguments."""
    if validation_split and not 0 < validation_split < 1:
        raise ValueError(f"`validation_split` must be between 0 and 1, received: {validation_split}")
    if (validation_split or subset) and not (validation_split and subset):
        raise ValueError("If `subset` is set, `validation_split` must be set, and inversely.")
    if subset not in ("training", "validation", "both", None):
        raise ValueError(f'`subset` must be either "training", "validation" or "both", received: {subset}')
    if validation_split and shuffle and seed is None:
        raise ValueError(
            "If using `validation_split` and shuffling the data, you must provide a `seed` "
            "argument, to make sure that there is no overlap between the training and "
            "validation subset."
        )


def training_or_validation_split(samples: list[Any], labels: Any, validation_split: float | None,
                                 subset: str | None, verbose: bool = True) -> tuple[list[Any], Any]:
    """The `subset` ("training" or "validation") part of `samples`/`labels`."""
    if not validation_split:
        return samples, labels
    num_val = int(validation_split * len(samples))
    if subset == "training":
        if verbose:
            print(f"Using {len(samples) - num_val} files for training.")
        cut = slice(0, len(samples) - num_val)
    elif subset == "validation":
        if verbose:
            print(f"Using {num_val} files for validation.")
        cut = slice(len(samples) - num_val, len(samples))
    else:
        raise ValueError(f'`subset` must be either "training" or "validation", received: {subset}')
    return samples[cut], (None if labels is None else labels[cut])


def encode_labels(labels: Any, label_mode: str | None, num_classes: int) -> np.ndarray | None:
    """Integer labels as Keras' `label_mode` gives them: int32, float32 `(n, 1)` for "binary",
    float32 one-hot for "categorical"."""
    if label_mode is None or labels is None:
        return None
    values = np.asarray(labels)
    if label_mode == "int":
        return values.astype("int32")
    if label_mode == "binary":
        return values.astype("float32")[..., None]
    if label_mode == "categorical":
        return np.eye(num_classes, dtype="float32")[values.astype("int64")]
    raise ValueError(
        f'`label_mode` argument must be one of "int", "categorical", "binary", or None. '
        f"Received: label_mode={label_mode}"
    )


def check_label_arguments(labels: Any, label_mode: str | None, class_names: Any, function: str) -> None:
    """Keras' checks of `labels` / `label_mode` / `class_names`."""
    if labels not in ("inferred", None):
        if not isinstance(labels, (list, tuple)):
            raise ValueError(
                "`labels` argument should be a list/tuple of integer labels, of the same size "
                "as the number of files in the target directory. If you wish to infer the "
                'labels from the subdirectory names in the target directory, pass '
                f'`labels="inferred"`. If you wish to get a dataset that only contains files '
                f"(no labels), pass `labels=None`. Received: labels={labels!r} ({function})"
            )
        if class_names:
            raise ValueError(
                'You can only pass `class_names` if `labels="inferred"`. '
                f"Received: labels={labels}, and class_names={class_names}"
            )
    if label_mode not in {"int", "categorical", "binary", None}:
        raise ValueError(
            '`label_mode` argument must be one of "int", "categorical", "binary", or None. '
            f"Received: label_mode={label_mode}"
        )
