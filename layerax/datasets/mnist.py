"""MNIST handwritten digits (`lx.datasets.mnist`)."""

from __future__ import annotations

import numpy as np

from layerax.datasets._common import KERAS_ORIGIN_FOLDER
from layerax.utils.file_utils import get_file

ORIGIN_FOLDER = KERAS_ORIGIN_FOLDER
FILE_HASH = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"


def load_data(path: str = "mnist.npz") -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Loads MNIST: 60,000 training and 10,000 test 28x28 grayscale digit images.

    The file `ORIGIN_FOLDER + "mnist.npz"` is downloaded once into `~/.keras/datasets`
    (or `$KERAS_HOME/datasets`) and checked against `FILE_HASH`; both are module
    attributes, so a mirror (or a test) can point them elsewhere.

    Args:
        path: File name of the cached file, relative to the cache's `datasets` folder.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: uint8 images `(n, 28, 28)` and uint8
        labels 0-9 `(n,)`.

    Example:
        >>> import layerax as lx
        >>> lx.datasets.mnist.ORIGIN_FOLDER  # where it downloads from (a mirror can replace it)
        'https://storage.googleapis.com/tensorflow/tf-keras-datasets/'
        >>> (x_train, y_train), (x_test, y_test) = lx.datasets.mnist.load_data()  # doctest: +SKIP
        >>> x_train.shape, y_train.dtype  # doctest: +SKIP
        ((60000, 28, 28), dtype('uint8'))
    """
    path = get_file(fname=path, origin=f"{ORIGIN_FOLDER}mnist.npz", file_hash=FILE_HASH)
    with np.load(path, allow_pickle=False) as f:
        return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])


__all__ = ["load_data"]
