"""CIFAR-10 small images (`lx.datasets.cifar10`)."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from layerax.datasets.cifar import finish, load_batch
from layerax.utils.file_utils import get_file

ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
FILE_HASH = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"


def load_data() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Loads CIFAR-10: 50,000 training and 10,000 test 32x32 colour images of 10 classes.

    The archive at `ORIGIN` (a module attribute, checked against `FILE_HASH`) is
    downloaded once and extracted into `~/.keras/datasets/cifar-10-batches-py-target`
    (or under `$KERAS_HOME`).

    Returns:
        `(x_train, y_train), (x_test, y_test)`: uint8 images `(n, 32, 32, 3)` (`(n, 3, 32,
        32)` with the channels_first data format) and uint8 labels `(n, 1)`.

    Example:
        >>> import layerax as lx
        >>> lx.datasets.cifar10.ORIGIN  # where it downloads from (a mirror can replace it)
        'https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz'
        >>> (x_train, y_train), _ = lx.datasets.cifar10.load_data()  # doctest: +SKIP
        >>> x_train.shape, y_train.shape  # doctest: +SKIP
        ((50000, 32, 32, 3), (50000, 1))
    """
    path = get_file(fname="cifar-10-batches-py-target", origin=ORIGIN, extract=True, file_hash=FILE_HASH)
    path = os.path.join(path, "cifar-10-batches-py")
    parts = [load_batch(os.path.join(path, f"data_batch_{i}")) for i in range(1, 6)]
    x_train = np.concatenate([x for x, _ in parts]).astype("uint8")
    y_train: Any = np.concatenate([np.asarray(y) for _, y in parts]).astype("uint8")
    x_test, y_test = load_batch(os.path.join(path, "test_batch"))
    return finish(x_train, y_train, x_test.astype("uint8"), np.asarray(y_test).astype("uint8"))


__all__ = ["load_data"]
