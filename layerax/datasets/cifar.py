"""Reading the CIFAR "python version" batches (shared by cifar10 and cifar100)."""

from __future__ import annotations

from typing import Any

import numpy as np

from layerax.config import image_data_format
from layerax.datasets._safe_load import load_pickle


def load_batch(fpath: str, label_key: str = "labels") -> tuple[np.ndarray, Any]:
    """One CIFAR pickle -> uint8 images `(n, 3, 32, 32)` and its `label_key` labels."""
    raw = load_pickle(fpath)
    batch = {(k.decode("utf8") if isinstance(k, bytes) else k): v for k, v in raw.items()}
    data = batch["data"]
    return data.reshape(data.shape[0], 3, 32, 32), batch[label_key]


def finish(x_train: np.ndarray, y_train: Any, x_test: np.ndarray, y_test: Any) -> tuple[Any, Any]:
    """Labels as `(n, 1)`; images to channels-last unless the data format is channels_first."""
    y_train = np.reshape(y_train, (len(y_train), 1))
    y_test = np.reshape(y_test, (len(y_test), 1))
    if image_data_format() == "channels_last":
        x_train = x_train.transpose(0, 2, 3, 1)
        x_test = x_test.transpose(0, 2, 3, 1)
    return (x_train, y_train), (x_test, y_test)
