"""Reading the dataset files without running arbitrary pickled code.

The imdb/reuters npz files hold object arrays (lists of word ids) and the CIFAR batches
are Python pickles: both need `pickle`, so they are read with an unpickler that only
rebuilds numpy arrays.
"""

from __future__ import annotations

import io
import pickle
import zipfile
from typing import Any, BinaryIO

import numpy as np

_ALLOWED = {
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
}


class ArrayOnlyUnpickler(pickle.Unpickler):
    """Unpickles built-in containers and numpy arrays; refuses any other global."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(
            f"Refusing to load `{module}.{name}` from a dataset file: only numpy arrays are "
            "allowed. The file may be corrupted or malicious; delete it from the cache."
        )


def _read_npy(stream: BinaryIO) -> np.ndarray:
    try:
        return np.lib.format.read_array(stream, allow_pickle=False)
    except ValueError:  # an object array: its payload is a pickle
        stream.seek(0)
        major, _ = np.lib.format.read_magic(stream)
        if major == 1:
            np.lib.format.read_array_header_1_0(stream)
        else:
            np.lib.format.read_array_header_2_0(stream)
        return ArrayOnlyUnpickler(stream).load()


def load_npz(path: str) -> dict[str, np.ndarray]:
    """The arrays of an `.npz` file, object arrays included (restricted unpickling)."""
    arrays = {}
    with zipfile.ZipFile(path) as archive:
        for member in archive.namelist():
            if member.endswith(".npy"):
                with archive.open(member) as raw:
                    arrays[member[: -len(".npy")]] = _read_npy(io.BytesIO(raw.read()))
    return arrays


def load_pickle(path: str) -> Any:
    """A (Python 2 style, `bytes`-keyed) pickle of numpy arrays and lists."""
    with open(path, "rb") as f:
        return ArrayOnlyUnpickler(f, encoding="bytes").load()
