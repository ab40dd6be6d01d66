"""IMDB movie-review sentiment (`lx.datasets.imdb`)."""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from layerax.datasets import _common
from layerax.datasets._safe_load import load_npz
from layerax.utils.file_utils import get_file

ORIGIN_FOLDER = _common.KERAS_ORIGIN_FOLDER
FILE_HASH = "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"
WORD_INDEX_HASH = "bfafd718b763782e994055a2d397834f"


def load_data(
    path: str = "imdb.npz",
    num_words: int | None = None,
    skip_top: int = 0,
    maxlen: int | None = None,
    seed: int = 113,
    start_char: int | None = 1,
    oov_char: int | None = 2,
    index_from: int = 3,
    **kwargs: Any,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Loads the IMDB dataset: 25,000 training and 25,000 test reviews as lists of word ids
    (ranked by frequency), labelled 0 (negative) or 1 (positive).

    Each split is shuffled with `np.random.RandomState(seed)`; ids are shifted by
    `index_from` and each review starts with `start_char`; reviews of `maxlen` or more ids
    are dropped; ids outside `[skip_top, num_words)` become `oov_char` (or are removed when
    it is None). The file `ORIGIN_FOLDER + "imdb.npz"` (module attributes, hash
    `FILE_HASH`) is cached in `~/.keras/datasets` (or `$KERAS_HOME/datasets`).

    Args:
        path: Cache file name.
        num_words: Keep the `num_words` most frequent ids (None: all).
        skip_top: Replace the `skip_top` most frequent ids by `oov_char`.
        maxlen: Drop the sequences of `maxlen` ids or more (after `start_char`).
        seed: Seed of the shuffle.
        start_char: Id marking the start of a review (None: none).
        oov_char: Id replacing dropped words (None: drop them).
        index_from: Offset of the real word ids.
        **kwargs: Accepted for Keras' compatibility; unused.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: object arrays of lists of ints, and int64
        labels.

    Example:
        >>> import layerax as lx
        >>> lx.datasets.imdb.ORIGIN_FOLDER  # where it downloads from (a mirror can replace it)
        'https://storage.googleapis.com/tensorflow/tf-keras-datasets/'
        >>> (x_train, y_train), _ = lx.datasets.imdb.load_data(num_words=10000)  # doctest: +SKIP
        >>> x_train.shape  # doctest: +SKIP
        (25000,)
    """
    path = get_file(fname=path, origin=f"{ORIGIN_FOLDER}imdb.npz", file_hash=FILE_HASH)
    arrays = load_npz(path)
    rng = np.random.RandomState(seed)
    splits = []
    for x_key, y_key in (("x_train", "y_train"), ("x_test", "y_test")):
        x, y = arrays[x_key], arrays[y_key]
        order = np.arange(len(x))
        rng.shuffle(order)  # one generator for both splits, in order, as Keras
        splits.append((x[order], y[order]))
    (x_train, y_train), (x_test, y_test) = splits
    x_train = _common.offset_words(x_train, start_char, index_from)
    x_test = _common.offset_words(x_test, start_char, index_from)
    if maxlen:
        x_train, y_train = _common.drop_long(maxlen, x_train, y_train)
        x_test, y_test = _common.drop_long(maxlen, x_test, y_test)
        if not x_train or not x_test:
            raise ValueError(
                f"After filtering for sequences shorter than maxlen={maxlen}, no sequence was kept. "
                "Increase maxlen."
            )
    sequences = _common.limit_vocabulary(x_train + x_test, num_words, skip_top, oov_char)
    labels = np.concatenate([y_train, y_test])
    cut = len(x_train)
    return ((_common.object_array(sequences[:cut]), labels[:cut]),
            (_common.object_array(sequences[cut:]), labels[cut:]))


def get_word_index(path: str = "imdb_word_index.json") -> dict[str, int]:
    """The `{word: id}` index of the IMDB dataset (ids before the `index_from` shift).

    Example:
        >>> import layerax as lx
        >>> index = lx.datasets.imdb.get_word_index()  # doctest: +SKIP
        >>> index["the"]  # doctest: +SKIP
        1
    """
    path = get_file(fname=path, origin=f"{ORIGIN_FOLDER}imdb_word_index.json", file_hash=WORD_INDEX_HASH)
    with open(path) as f:
        return json.load(f)


__all__ = ["get_word_index", "load_data"]
