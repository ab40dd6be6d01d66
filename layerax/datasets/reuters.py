"""Reuters newswire topics (`lx.datasets.reuters`)."""

from __future__ import annotations

import json

import numpy as np

from layerax.datasets import _common
from layerax.datasets._safe_load import load_npz
from layerax.utils.file_utils import get_file

ORIGIN_FOLDER = _common.KERAS_ORIGIN_FOLDER
FILE_HASH = "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916"
WORD_INDEX_HASH = "4d44cc38712099c9e383dc6e5f11a921"
_LABEL_NAMES = (
    "cocoa", "grain", "veg-oil", "earn", "acq", "wheat", "copper", "housing", "money-supply",
    "coffee", "sugar", "trade", "reserves", "ship", "cotton", "carcass", "crude", "nat-gas",
    "cpi", "money-fx", "interest", "gnp", "meal-feed", "alum", "oilseed", "gold", "tin",
    "strategic-metal", "livestock", "retail", "ipi", "iron-steel", "rubber", "heat", "jobs",
    "lei", "bop", "zinc", "orange", "pet-chem", "dlr", "gas", "silver", "wpi", "hog", "lead",
)


def load_data(
    path: str = "reuters.npz",
    num_words: int | None = None,
    skip_top: int = 0,
    maxlen: int | None = None,
    test_split: float = 0.2,
    seed: int = 113,
    start_char: int | None = 1,
    oov_char: int | None = 2,
    index_from: int = 3,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Loads the Reuters newswires (11,228 of them, 46 topics) as lists of word ids.

    The wires are shuffled with `np.random.RandomState(seed)`, word ids processed as in
    `lx.datasets.imdb.load_data`, and the last `test_split` fraction is the test set. The
    file is `ORIGIN_FOLDER + "reuters.npz"` (module attributes, hash `FILE_HASH`).

    Args:
        path: Cache file name.
        num_words: Keep the `num_words` most frequent ids (None: all).
        skip_top: Replace the `skip_top` most frequent ids by `oov_char`.
        maxlen: Drop the sequences of `maxlen` ids or more.
        test_split: Fraction of the wires in the test set.
        seed: Seed of the shuffle.
        start_char: Id marking the start of a wire (None: none).
        oov_char: Id replacing dropped words (None: drop them).
        index_from: Offset of the real word ids.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: object arrays of lists of ints, int64 topics.

    Example:
        >>> import layerax as lx
        >>> lx.datasets.reuters.ORIGIN_FOLDER  # where it downloads from (a mirror can replace it)
        'https://storage.googleapis.com/tensorflow/tf-keras-datasets/'
        >>> (x_train, y_train), _ = lx.datasets.reuters.load_data(num_words=1000)  # doctest: +SKIP
        >>> x_train.shape  # doctest: +SKIP
        (8982,)
    """
    path = get_file(fname=path, origin=f"{ORIGIN_FOLDER}reuters.npz", file_hash=FILE_HASH)
    arrays = load_npz(path)
    xs, labels = _common.shuffled(seed, arrays["x"], arrays["y"])
    if start_char is not None or index_from:
        sequences = _common.offset_words(xs, start_char, index_from)
    else:
        sequences = [[int(w) for w in x] for x in xs]
    if maxlen:
        sequences, labels = _common.drop_long(maxlen, sequences, labels)
    sequences = _common.limit_vocabulary(sequences, num_words, skip_top, oov_char)
    cut = int(len(sequences) * (1 - test_split))
    return ((_common.object_array(sequences[:cut]), np.array(labels[:cut])),
            (_common.object_array(sequences[cut:]), np.array(labels[cut:])))


def get_word_index(path: str = "reuters_word_index.json") -> dict[str, int]:
    """The `{word: id}` index of the Reuters dataset (ids before the `index_from` shift).

    Example:
        >>> import layerax as lx
        >>> index = lx.datasets.reuters.get_word_index()  # doctest: +SKIP
        >>> index["the"]  # doctest: +SKIP
        1
    """
    path = get_file(path, origin=f"{ORIGIN_FOLDER}reuters_word_index.json", file_hash=WORD_INDEX_HASH)
    with open(path) as f:
        return json.load(f)


def get_label_names() -> tuple[str, ...]:
    """The 46 topic names; label `i` is `get_label_names()[i]`.

    Example:
        >>> import layerax as lx
        >>> lx.datasets.reuters.get_label_names()[:3]
        ('cocoa', 'grain', 'veg-oil')
    """
    return _LABEL_NAMES


__all__ = ["get_label_names", "get_word_index", "load_data"]
