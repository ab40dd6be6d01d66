"""Fashion-MNIST clothing images (`lx.datasets.fashion_mnist`)."""

from __future__ import annotations

import gzip
import os

import numpy as np

from layerax.datasets._common import KERAS_ORIGIN_FOLDER
from layerax.utils.file_utils import get_file

ORIGIN_FOLDER = KERAS_ORIGIN_FOLDER
FILES = ("train-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz",
         "t10k-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz")


def _idx(path: str, header: int) -> np.ndarray:
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), np.uint8, offset=header)


def load_data() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Loads Fashion-MNIST: 60,000 training and 10,000 test 28x28 grayscale images of
    10 kinds of clothing.

    The four gzip'd IDX files are downloaded once from `ORIGIN_FOLDER` (a module attribute)
    into `~/.keras/datasets/fashion-mnist` (or under `$KERAS_HOME`).

    Returns:
        `(x_train, y_train), (x_test, y_test)`: uint8 images `(n, 28, 28)`, uint8 labels `(n,)`.

    Example:
        >>> import layerax as lx
        >>> lx.datasets.fashion_mnist.ORIGIN_FOLDER  # where it downloads from (a mirror can replace it)
        'https://storage.googleapis.com/tensorflow/tf-keras-datasets/'
        >>> (x_train, y_train), _ = lx.datasets.fashion_mnist.load_data()  # doctest: +SKIP
        >>> x_train.shape  # doctest: +SKIP
        (60000, 28, 28)
    """
    subdir = os.path.join("datasets", "fashion-mnist")
    paths = [get_file(name, origin=ORIGIN_FOLDER + name, cache_subdir=subdir) for name in FILES]
    y_train = _idx(paths[0], 8)
    x_train = _idx(paths[1], 16).reshape(len(y_train), 28, 28)
    y_test = _idx(paths[2], 8)
    x_test = _idx(paths[3], 16).reshape(len(y_test), 28, 28)
    return (x_train, y_train), (x_test, y_test)


__all__ = ["load_data"]
