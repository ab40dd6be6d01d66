"""CIFAR-100 small images (`lx.datasets.cifar100`)."""

from __future__ import annotations

import os

import numpy as np

from layerax.datasets.cifar import finish, load_batch
from layerax.utils.file_utils import get_file

ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
FILE_HASH = "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7"


def load_data(label_mode: str = "fine") -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Loads CIFAR-100: 50,000 training and 10,000 test 32x32 colour images of 100 classes
    (grouped in 20 superclasses).

    The archive at `ORIGIN` (a module attribute, checked against `FILE_HASH`) is
    downloaded once and extracted into `~/.keras/datasets/cifar-100-python-target`.

    Args:
        label_mode: `"fine"` (the 100 classes) or `"coarse"` (the 20 superclasses).

    Returns:
        `(x_train, y_train), (x_test, y_test)`: uint8 images `(n, 32, 32, 3)` (channels
        first with that data format) and int64 labels `(n, 1)`.

    Example:
        >>> import layerax as lx
        >>> lx.datasets.cifar100.ORIGIN  # where it downloads from (a mirror can replace it)
        'https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz'
        >>> (x_train, y_train), _ = lx.datasets.cifar100.load_data("coarse")  # doctest: +SKIP
        >>> int(y_train.max())  # doctest: +SKIP
        19
    """
    if label_mode not in ("fine", "coarse"):
        raise ValueError(f'`label_mode` must be one of `"fine"`, `"coarse"`. Received: label_mode={label_mode}.')
    path = get_file(fname="cifar-100-python-target", origin=ORIGIN, extract=True, file_hash=FILE_HASH)
    path = os.path.join(path, "cifar-100-python")
    x_train, y_train = load_batch(os.path.join(path, "train"), label_key=f"{label_mode}_labels")
    x_test, y_test = load_batch(os.path.join(path, "test"), label_key=f"{label_mode}_labels")
    return finish(x_train, y_train, x_test, y_test)


__all__ = ["load_data"]
