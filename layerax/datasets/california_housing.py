"""California housing prices (`lx.datasets.california_housing`)."""

from __future__ import annotations

import numpy as np

from layerax.datasets import _common
from layerax.utils.file_utils import get_file

ORIGIN_FOLDER = _common.KERAS_ORIGIN_FOLDER
FILE_HASH = "1a2e3a52e0398de6463aebe6f4a8da34fb21fbb6b934cf88c3425e766f2a1a6f"


def load_data(version: str = "large", path: str = "california_housing.npz", test_split: float = 0.2,
              seed: int = 113) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Loads the California housing regression data: 20,640 districts, 8 features, the
    median house value as target.

    `version="small"` keeps the first 600 samples. They are then shuffled with
    `np.random.RandomState(seed)` and the last `test_split` fraction is the test set.
    File: `ORIGIN_FOLDER + "california_housing.npz"` (hash `FILE_HASH`).

    Args:
        version: `"large"` (all) or `"small"` (600 samples).
        path: Cache file name.
        test_split: Fraction of the samples in the test set, in [0, 1).
        seed: Seed of the shuffle.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: float32 `(n, 8)` and `(n,)`.

    Example:
        >>> import layerax as lx
        >>> lx.datasets.california_housing.ORIGIN_FOLDER  # where it downloads from (a mirror can replace it)
        'https://storage.googleapis.com/tensorflow/tf-keras-datasets/'
        >>> (x_train, y_train), _ = lx.datasets.california_housing.load_data("small")  # doctest: +SKIP
        >>> x_train.shape  # doctest: +SKIP
        (480, 8)
    """
    _common.check_test_split(test_split)
    path = get_file(path, origin=f"{ORIGIN_FOLDER}california_housing.npz", file_hash=FILE_HASH)
    with np.load(path, allow_pickle=False) as f:
        x, y = f["x"], f["y"]
    if version == "small":
        x, y = x[:600], y[:600]
    elif version != "large":
        raise ValueError(f"Argument `version` must be one of 'small', 'large'. Received: version={version}")
    x, y = _common.shuffled(seed, x, y)
    return _common.train_test(x, y, test_split)


__all__ = ["load_data"]
