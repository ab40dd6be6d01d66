"""Keras' small datasets (`lx.datasets`): each module has Keras' `load_data(...)`.

Files are downloaded once with `lx.utils.get_file` from the origins Keras uses into
`~/.keras/datasets` (or `$KERAS_HOME/datasets`), and checked against Keras' hashes.
Each module keeps its origin in a module attribute (`ORIGIN_FOLDER`, or `ORIGIN` for
CIFAR) and its hash in `FILE_HASH`: point them at a mirror (e.g. a `file://` folder) to
load from elsewhere, as the tests do.
"""

from __future__ import annotations

from layerax.datasets import boston_housing as boston_housing
from layerax.datasets import california_housing as california_housing
from layerax.datasets import cifar10 as cifar10
from layerax.datasets import cifar100 as cifar100
from layerax.datasets import fashion_mnist as fashion_mnist
from layerax.datasets import imdb as imdb
from layerax.datasets import mnist as mnist
from layerax.datasets import reuters as reuters

__all__ = [
    "boston_housing",
    "california_housing",
    "cifar10",
    "cifar100",
    "fashion_mnist",
    "imdb",
    "mnist",
    "reuters",
]
