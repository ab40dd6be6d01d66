"""Boston housing prices (`lx.datasets.boston_housing`)."""

from __future__ import annotations

import numpy as np

from layerax.datasets import _common
from layerax.utils.file_utils import get_file

ORIGIN_FOLDER = _common.KERAS_ORIGIN_FOLDER
FILE_HASH = "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5"


def load_data(path: str = "boston_housing.npz", test_split: float = 0.2,
              seed: int = 113) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Loads the Boston housing regression data: 506 samples of 13 features, targets in
    thousands of dollars.

    The samples are shuffled with `np.random.RandomState(seed)` and the last `test_split`
    fraction is the test set. File: `ORIGIN_FOLDER + "boston_housing.npz"` (hash `FILE_HASH`).

    Args:
        path: Cache file name.
        test_split: Fraction of the samples in the test set, in [0, 1).
        seed: Seed of the shuffle.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: float64 `(n, 13)` and `(n,)`.

    Example:
        >>> import layerax as lx
        >>> lx.datasets.boston_housing.ORIGIN_FOLDER  # where it downloads from (a mirror can replace it)
        'https://storage.googleapis.com/tensorflow/tf-keras-datasets/'
        >>> (x_train, y_train), _ = lx.datasets.boston_housing.load_data()  # doctest: +SKIP
        >>> x_train.shape  # doctest: +SKIP
        (404, 13)
    """
    _common.check_test_split(test_split)
    path = get_file(path, origin=f"{ORIGIN_FOLDER}boston_housing.npz", file_hash=FILE_HASH)
    with np.load(path, allow_pickle=False) as f:
        x, y = f["x"], f["y"]
    x, y = _common.shuffled(seed, x, y)
    return _common.train_test(x, y, test_split)


__all__ = ["load_data"]
