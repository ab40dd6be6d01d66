"""Shared pieces of the `lx.datasets` loaders."""

from __future__ import annotations

from typing import Any

import numpy as np

# Where Keras keeps its datasets; every loader module copies it into its own ORIGIN_FOLDER
# (which tests and mirrors can monkeypatch, e.g. to a `file://` folder).
KERAS_ORIGIN_FOLDER = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"


def check_test_split(test_split: float) -> None:
    if not 0 <= test_split < 1:
        raise ValueError(
            f"Invalid `test_split` argument: {test_split}. It must be between 0 and 1 (exclusive of 1)."
        )


def shuffled(seed: int, *arrays: Any) -> list[Any]:
    """The arrays permuted by one `np.random.RandomState(seed)` shuffle (Keras' order)."""
    order = np.arange(len(arrays[0]))
    np.random.RandomState(seed).shuffle(order)
    return [a[order] for a in arrays]


def train_test(x: np.ndarray, y: np.ndarray, test_split: float) -> tuple[tuple[Any, Any], tuple[Any, Any]]:
    cut = int(len(x) * (1 - test_split))
    return (np.array(x[:cut]), np.array(y[:cut])), (np.array(x[cut:]), np.array(y[cut:]))


def offset_words(sequences: Any, start_char: int | None, index_from: int) -> list[list[int]]:
    """Shifts word ids by `index_from` and prepends `start_char` (when not None)."""
    head = [] if start_char is None else [start_char]
    return [head + [int(w) + index_from for w in seq] for seq in sequences]


def drop_long(maxlen: int, sequences: list[list[int]], labels: Any) -> tuple[list[list[int]], list[Any]]:
    """Keeps the sequences shorter than `maxlen` (strictly, as Keras)."""
    kept = [(s, label) for s, label in zip(sequences, labels) if len(s) < maxlen]
    return [s for s, _ in kept], [label for _, label in kept]


def limit_vocabulary(sequences: list[list[int]], num_words: int | None, skip_top: int,
                     oov_char: int | None) -> list[list[int]]:
    """Ids outside `[skip_top, num_words)` become `oov_char` (or are dropped if it is None)."""
    if not num_words:
        num_words = max(max(s) for s in sequences if s)
    if oov_char is not None:
        return [[w if skip_top <= w < num_words else oov_char for w in s] for s in sequences]
    return [[w for w in s if skip_top <= w < num_words] for s in sequences]


def object_array(sequences: list[list[int]]) -> np.ndarray:
    """`np.array(sequences, dtype=object)`, as Keras returns them (1-D of lists when the
    lengths differ)."""
    return np.array(sequences, dtype="object")
