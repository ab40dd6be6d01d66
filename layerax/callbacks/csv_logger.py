"""`CSVLogger`: stream epoch results to a CSV file."""

from __future__ import annotations

import collections
import csv
import os
from collections.abc import Iterable
from typing import Any

import numpy as np

from layerax.callbacks.callback import Callback


class CSVLogger(Callback):
    """Writes one CSV row per epoch: `epoch` (0-based) and every log value.

    Columns are the sorted log keys of the first epoch (plus `val_` columns
    when the first epoch has no validation logs, as in Keras); missing values
    are written as `NA`.

    Args:
        filename: Path of the CSV file.
        separator: Column separator.
        append: Append to an existing file (its header is kept).

    Example:
        >>> import layerax as lx, os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "log.csv")
        >>> cb = lx.callbacks.CSVLogger(path)
        >>> cb.on_train_begin()
        >>> cb.on_epoch_end(0, {"loss": 0.5, "val_loss": 0.75}); cb.on_train_end()
        >>> with open(path) as f:
        ...     f.read().splitlines()
        ['epoch,loss,val_loss', '0,0.5,0.75']
    """

    def __init__(self, filename: Any, separator: str = ",", append: bool = False) -> None:
        super().__init__()
        self.sep = separator
        self.filename = os.fspath(filename)
        self.append = append
        self.writer: Any = None
        self.keys: list[str] | None = None
        self.append_header = True
        self.csv_file: Any = None

    def on_train_begin(self, logs: Any = None) -> None:
        if self.append:
            if os.path.exists(self.filename):
                with open(self.filename) as f:
                    self.append_header = not bool(len(f.readline()))
            mode = "a"
        else:
            mode = "w"
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.csv_file = open(self.filename, mode, newline="")  # noqa: SIM115 - closed in on_train_end
        self.writer = None
        self.keys = None

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        logs = logs or {}

        def handle_value(value: Any) -> Any:
            is_zero_dim = isinstance(value, np.ndarray) and value.ndim == 0
            if isinstance(value, str):
                return value
            if isinstance(value, Iterable) and not is_zero_dim:
                return f'"[{", ".join(map(str, value))}]"'
            return value

        if self.keys is None:
            self.keys = sorted(logs.keys())
            if self.keys and not any(key.startswith("val_") for key in self.keys):
                self.keys.extend([f"val_{key}" for key in self.keys])
        if self.writer is None:
            separator = self.sep

            class Dialect(csv.excel):
                delimiter = separator

            self.writer = csv.DictWriter(self.csv_file, fieldnames=["epoch", *self.keys], dialect=Dialect)
            if self.append_header:
                self.writer.writeheader()
        row = collections.OrderedDict({"epoch": epoch})
        row.update((key, handle_value(logs.get(key, "NA"))) for key in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()

    def on_train_end(self, logs: Any = None) -> None:
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.writer = None


__all__ = ["CSVLogger"]
