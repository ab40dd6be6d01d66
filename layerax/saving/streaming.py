"""Weight files read tensor by tensor: `.safetensors` by offset, `.weights.h5` per dataset.

`open_weights(path)` verifies a layerax-written file's digest first, reading
the raw bytes in chunks (no copy of the file in memory), then returns one
`LazyTensor` per entry: its shape and dtype come from the file's header, and
its data is read only when the tensor is loaded. `load_weights` validates
every entry against the model from those headers (the two-phase guarantee of
`layerax/saving/weights.py`), then reads and assigns one tensor at a time, so
loading a file raises peak memory by about one tensor, not by the file's size.

Files without a layerax digest (Keras-written `.weights.h5`, third-party
`.safetensors`) cannot be verified before their data is read, so they are
read whole first, as before: a damaged one is rejected before any variable
changes. `.weights.npz` files are zip archives and are read whole too.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import struct
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from layerax.saving import weights_formats as wf

__all__ = ["LazyTensor", "open_weights"]

_CHUNK = 1 << 22

_SAFETENSORS_DTYPES = {
    "F64": "float64", "F32": "float32", "F16": "float16", "BF16": "bfloat16",
    "I64": "int64", "I32": "int32", "I16": "int16", "I8": "int8",
    "U64": "uint64", "U32": "uint32", "U16": "uint16", "U8": "uint8", "BOOL": "bool",
}


def _dtype(name: str) -> np.dtype:
    if name == "bfloat16":
        import ml_dtypes

        return np.dtype(ml_dtypes.bfloat16)
    return np.dtype(name)


class LazyTensor:
    """One entry of a weights file: shape and dtype now, data on `load()` (or `np.asarray`)."""

    def __init__(self, shape: tuple[int, ...], dtype: np.dtype, reader: Any) -> None:
        self.shape = tuple(int(d) for d in shape)
        self.dtype = dtype
        self.ndim = len(self.shape)
        self._reader = reader

    def load(self) -> np.ndarray:
        """Reads the tensor's data into a new array."""
        return self._reader()

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        out = self.load()
        return out if dtype is None else out.astype(dtype)

    def __repr__(self) -> str:
        return f"LazyTensor(shape={self.shape}, dtype={self.dtype.name})"


# ------------------------------------------------------------ safetensors
def _safetensors_header(path: str, size: int) -> tuple[dict[str, Any], int]:
    with open(path, "rb") as f:
        head = f.read(8)
        if len(head) < 8:
            raise ValueError("file shorter than its 8-byte header length")
        (length,) = struct.unpack("<Q", head)
        if length > size - 8:
            raise ValueError(f"header length {length} exceeds the file size {size}")
        header = json.loads(f.read(length).decode())
    if not isinstance(header, dict):
        raise ValueError("the header is not a JSON object")
    return header, 8 + length


def _open_safetensors(path: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    size = os.path.getsize(path)
    try:
        header, start = _safetensors_header(path, size)
        meta = header.pop("__metadata__", None) or {}
        digest = meta.get("layerax_sha256")
        if digest is None:
            return None
        entries = {}
        for key, info in header.items():
            dtype = _dtype(_SAFETENSORS_DTYPES[info["dtype"]])
            shape = tuple(int(d) for d in info["shape"])
            begin, end = (int(v) for v in info["data_offsets"])
            if not 0 <= begin <= end or start + end > size:
                raise ValueError(f"entry {key!r} lies outside the file")
            if end - begin != int(np.prod(shape, dtype=np.int64)) * dtype.itemsize:
                raise ValueError(f"entry {key!r}: {end - begin} bytes for shape {shape} {dtype.name}")
            entries[key] = (shape, dtype, start + begin)
        metadata = json.loads(meta["layerax"]) if "layerax" in meta else {}
    except Exception as err:
        raise wf._corrupted(path, "safetensors", err) from None
    # The digest of the tensors (keys in order), read in chunks from the file.
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for key in sorted(entries):
            shape, dtype, offset = entries[key]
            h.update(key.encode())
            h.update(str(dtype).encode())
            h.update(str(shape).encode())
            f.seek(offset)
            left = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
            while left:
                chunk = f.read(min(left, _CHUNK))
                if not chunk:
                    raise wf._corrupted(path, "safetensors", ValueError("truncated data"))
                h.update(chunk)
                left -= len(chunk)
    if h.hexdigest() != digest:
        raise wf._corrupted(path, "safetensors", ValueError("SHA-256 digest mismatch"))

    def reader(shape: tuple[int, ...], dtype: np.dtype, offset: int) -> Any:
        def read() -> np.ndarray:
            # Read straight into the new array: no second copy, and no mapped pages that
            # would stay resident while the tensor is placed on its device.
            out = np.empty(shape, dtype)
            view = memoryview(out.reshape(-1).view(np.uint8)) if out.size else memoryview(b"")
            with open(path, "rb") as f:
                f.seek(offset)
                done = 0
                while done < len(view):
                    got = f.readinto(view[done:])
                    if not got:
                        raise wf._corrupted(path, "safetensors", ValueError("truncated data"))
                    done += got
            return out
        return read

    lazy = {key: LazyTensor(shape, dtype, reader(shape, dtype, offset))
            for key, (shape, dtype, offset) in entries.items()}
    return lazy, metadata


# ------------------------------------------------------------ h5
def _open_h5(path: str, stack: contextlib.ExitStack) -> tuple[dict[str, Any], dict[str, Any]] | None:
    h5py = wf._require("h5py", "h5")
    if not wf._verify_h5(path):  # raises ValueError on a digest mismatch
        return None
    try:
        f = stack.enter_context(h5py.File(path, "r"))
        lazy: dict[str, LazyTensor] = {}
        layers: dict[str, str] = {}

        def visit(name: str, obj: Any) -> None:
            if isinstance(obj, h5py.Dataset):
                bf16 = obj.attrs.get("dtype") == "bfloat16"
                dtype = _dtype("bfloat16") if bf16 else np.dtype(obj.dtype)

                def read(ds: Any = obj, bf16: bool = bf16) -> np.ndarray:
                    value = np.asarray(ds[()])
                    return value.view(_dtype("bfloat16")) if bf16 else value

                lazy[name] = LazyTensor(obj.shape, dtype, read)
            elif name == "vars" or name.endswith("/vars"):
                label = obj.attrs.get("name")
                layers[name[: -len("vars")].rstrip("/")] = (
                    label.decode() if isinstance(label, bytes) else str(label or ""))

        f.visititems(visit)
    except Exception as err:
        raise wf._corrupted(path, "HDF5", err) from None
    return lazy, {"layers": layers}


@contextlib.contextmanager
def open_weights(path: str) -> Iterator[tuple[Mapping[str, Any], dict[str, Any]]]:
    """`(entries by key, metadata)` of a weights file, valid inside the `with` block.

    Entries are `LazyTensor`s for verified `.safetensors` and `.weights.h5`
    files, numpy arrays otherwise (see the module docstring).

    Raises:
        FileNotFoundError, ValueError, ImportError: as `read_weights`.

    Example:
        >>> import os, tempfile, numpy as np, layerax as lx
        >>> from layerax.saving.streaming import open_weights
        >>> model = lx.Sequential([lx.Input((3,)), lx.layers.Dense(2)])
        >>> path = os.path.join(tempfile.mkdtemp(), "m.weights.h5")
        >>> model.save_weights(path)
        >>> with open_weights(path) as (entries, _):
        ...     kernel = entries["layers/dense/vars/0"]
        ...     kernel.shape, bool(np.array_equal(kernel.load(), model.layers[0].kernel.numpy()))
        ((3, 2), True)
    """
    fmt = wf.weights_format(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"No weights file at {path!r}.")
    with contextlib.ExitStack() as stack:
        opened = None
        if fmt == "safetensors":
            wf._require("safetensors.numpy", "safetensors")
            opened = _open_safetensors(path)
        elif fmt == "h5":
            opened = _open_h5(path, stack)
        if opened is None:
            opened = wf.read_weights(path)
        yield opened
