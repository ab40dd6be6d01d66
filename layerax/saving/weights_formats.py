"""Readers and writers of the three weights formats, chosen by the file's suffix.

Every format maps keys (`layers/dense/vars/0`, see `keras_layout`) to numpy
arrays, plus a small JSON-able metadata dict:

* `.weights.npz`: a numpy `.npz` archive (a zip of `.npy` files) written
  without compression; the metadata is the member `__layerax_metadata__.json`.
  Each member carries a CRC-32 that is checked when the file is read.
* `.safetensors`: the safetensors format (optional extra `safetensors`); the
  metadata is stored in the header, with a SHA-256 digest of the tensors.
* `.weights.h5`: Keras 3's HDF5 layout (optional extra `h5py`): one group per
  layer with a `vars` sub-group of datasets `0`, `1`, ...; a 512-byte HDF5 user
  block (skipped by HDF5 and Keras) holds a SHA-256 digest of the file's bytes,
  checked before HDF5 parses the file.

Readers load everything into memory and raise `ValueError` for a truncated or
corrupted file before anything is returned; writers raise `OSError` when the
file cannot be written (a full disk), leaving the previous file intact.
"""

from __future__ import annotations

import errno
import hashlib
import io
import json
import os
import re
import struct
import zipfile
from collections.abc import Mapping
from typing import Any

import numpy as np

from layerax.saving._atomic import atomic_path

__all__ = [
    "WEIGHTS_SUFFIXES",
    "read_npz_bytes",
    "read_weights",
    "weights_format",
    "write_failed",
    "write_npz_bytes",
    "write_weights",
]

_META_MEMBER = "__layerax_metadata__.json"
WEIGHTS_SUFFIXES = (".weights.npz", ".safetensors", ".weights.h5")


def weights_format(path: str, *, archives: bool = False) -> str:
    """`"npz"`, `"safetensors"`, `"h5"` (or `"archive"` when allowed) for `path`.

    Raises:
        ValueError: for any other suffix, listing the accepted ones.

    Example:
        >>> from layerax.saving.weights_formats import weights_format
        >>> weights_format("ckpt/model.weights.h5"), weights_format("m.safetensors")
        ('h5', 'safetensors')
    """
    name = os.fspath(path)
    if name.endswith(".weights.npz"):
        return "npz"
    if name.endswith(".safetensors"):
        return "safetensors"
    if name.endswith(".weights.h5"):
        return "h5"
    if archives and name.endswith((".layerax", ".keras")):
        return "archive"
    accepted = ", ".join(repr(s) for s in WEIGHTS_SUFFIXES)
    if archives:
        accepted += ", '.layerax', '.keras'"
    hint = ""
    if name.endswith((".h5", ".hdf5")):
        hint = " Keras 3 (and layerax) only read and write HDF5 weights named '*.weights.h5'."
    elif name.endswith(".npz"):
        hint = " Name numpy weight files '*.weights.npz'."
    raise ValueError(
        f"Unknown weights file format for {name!r}: the format follows the suffix, one of "
        f"{accepted}.{hint}"
    )


def _digest(arrays: Mapping[str, np.ndarray]) -> str:
    h = hashlib.sha256()
    for key in sorted(arrays):
        arr = np.ascontiguousarray(arrays[key])
        h.update(key.encode())
        h.update(str(arr.dtype).encode())
        h.update(str(arr.shape).encode())
        h.update(arr.tobytes())
    return h.hexdigest()


def _corrupted(path: str, fmt: str, err: BaseException) -> ValueError:
    return ValueError(
        f"Could not read {fmt} weights file {path!r}: the file is truncated or corrupted "
        f"({type(err).__name__}: {err}). Nothing was loaded. Restore it from a good copy or "
        "save it again."
    )


# ------------------------------------------------------------------- npz
def write_npz_bytes(arrays: Mapping[str, np.ndarray], metadata: Mapping[str, Any]) -> bytes:
    """The bytes of an uncompressed `.npz` holding `arrays` and the metadata member."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        zf.writestr(_META_MEMBER, json.dumps(dict(metadata), sort_keys=True))
        for key, value in arrays.items():
            member = io.BytesIO()
            np.lib.format.write_array(member, np.asarray(value), allow_pickle=False)
            zf.writestr(f"{key}.npy", member.getvalue())
    return buffer.getvalue()


def read_npz_bytes(data: bytes, path: str = "<bytes>") -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Inverse of `write_npz_bytes`; every member's CRC is checked."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            arrays: dict[str, np.ndarray] = {}
            metadata: dict[str, Any] = {}
            for info in zf.infolist():
                raw = zf.read(info)  # reads to the end: the CRC-32 is verified
                if info.filename == _META_MEMBER:
                    metadata = json.loads(raw.decode())
                    continue
                if not info.filename.endswith(".npy"):
                    continue
                arrays[info.filename[: -len(".npy")]] = np.lib.format.read_array(
                    io.BytesIO(raw), allow_pickle=False
                )
    except Exception as err:
        # A damaged header byte surfaces as almost any exception: NotImplementedError (the
        # version needed or the compression method), RuntimeError (the encryption flag),
        # zlib.error, struct.error, ... Every one means the same: the file is unreadable.
        raise _corrupted(path, "npz", err) from None
    return arrays, metadata


# ----------------------------------------------------------- safetensors
def _require(module: str, extra: str) -> Any:
    try:
        return __import__(module, fromlist=["_"])
    except ImportError as err:
        raise ImportError(
            f"Reading and writing {extra} weight files needs the optional `{module}` package: "
            f"`pip install layerax[{extra}]` (or `pip install {module.split('.')[0]}`)."
        ) from err


def _write_safetensors(path: str, arrays: Mapping[str, np.ndarray], metadata: Mapping[str, Any]) -> None:
    st = _require("safetensors.numpy", "safetensors")
    tensors = {k: np.ascontiguousarray(v) for k, v in arrays.items()}
    header = {"layerax": json.dumps(dict(metadata), sort_keys=True), "layerax_sha256": _digest(tensors)}
    data = st.save(tensors, metadata=header)
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            f.write(data)


def _read_safetensors(path: str) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    st = _require("safetensors.numpy", "safetensors")
    with open(path, "rb") as f:
        data = f.read()
    try:
        if len(data) < 8:
            raise ValueError("file shorter than its 8-byte header length")
        (size,) = struct.unpack("<Q", data[:8])
        if size > len(data) - 8:
            raise ValueError(f"header length {size} exceeds the file size {len(data)}")
        header = json.loads(data[8 : 8 + size].decode())
        arrays = dict(st.load(data))
    except Exception as err:  # safetensors raises its own SafetensorError
        raise _corrupted(path, "safetensors", err) from None
    extra = header.get("__metadata__") or {}
    digest = extra.get("layerax_sha256")
    if digest is not None and digest != _digest(arrays):
        raise _corrupted(path, "safetensors", ValueError("SHA-256 digest mismatch"))
    try:
        metadata = json.loads(extra["layerax"]) if "layerax" in extra else {}
    except json.JSONDecodeError as err:
        raise _corrupted(path, "safetensors", err) from None
    return arrays, metadata


# -------------------------------------------------------------------- h5
# The HDF5 file starts after a 512-byte user block, which HDF5 (and so Keras) skips. It
# holds `_H5_MAGIC`, the hex SHA-256 digest of every byte after the user block, and a
# newline. The raw bytes are checked against it before HDF5 parses anything: HDF5 can hang
# or crash on a damaged file. Files without it (Keras-written ones) are read unchecked.
_H5_USERBLOCK = 512
_H5_MAGIC = b"layerax-weights-sha256:"


def _file_digest(path: str, start: int) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        f.seek(start)
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_failed(path: str, what: str, err: BaseException) -> OSError:
    """An `OSError` naming `path` for a failed write (a full disk, ...).

    h5py reports such failures as RuntimeError ("... errno = 28 ..."), and a
    plain `write()` error does not name the file.
    """
    if isinstance(err, OSError) and err.errno is not None:
        code, detail = err.errno, err.strerror or str(err)
    else:
        found = re.search(r"errno = (\d+)", str(err))
        code = int(found.group(1)) if found else errno.EIO
        detail = f"{os.strerror(code)}; {type(err).__name__}: {err}"
    return OSError(
        code,
        f"Could not write {what} {path!r} ({detail}). The previous file at "
        "that path, if any, is unchanged. Free some space or choose another path, and save again",
        path,
    )


def _write_h5(path: str, arrays: Mapping[str, np.ndarray], metadata: Mapping[str, Any]) -> None:
    h5py = _require("h5py", "h5")
    groups: Mapping[str, str] = metadata.get("layers", {})
    with atomic_path(path) as tmp:
        try:
            with h5py.File(tmp, "w", userblock_size=_H5_USERBLOCK) as f:
                # Every layer gets its `vars` group (with its name), even without variables.
                for group_path, name in groups.items():
                    vars_path = f"{group_path}/vars" if group_path else "vars"
                    group = f.require_group(vars_path)
                    group.attrs["name"] = name
                for key, value in arrays.items():
                    value = np.asarray(value)
                    if value.dtype.name == "bfloat16":
                        # As Keras: raw 16-bit values tagged with the dtype.
                        ds = f.create_dataset(key, data=value)
                        ds.attrs["dtype"] = "bfloat16"
                    else:
                        f[key] = value
            header = _H5_MAGIC + _file_digest(tmp, _H5_USERBLOCK).encode() + b"\n"
            with open(tmp, "r+b") as f:
                f.write(header)
        except (RuntimeError, OSError) as err:
            raise write_failed(path, "HDF5 weights file", err) from err


def _verify_h5(path: str) -> bool:
    """Checks the user block's digest against the raw bytes; False when there is none."""
    with open(path, "rb") as f:
        head = f.read(len(_H5_MAGIC) + 65)
    if not head.startswith(_H5_MAGIC):
        return False
    want = head[len(_H5_MAGIC) : len(_H5_MAGIC) + 64]
    if head[len(_H5_MAGIC) + 64 : len(_H5_MAGIC) + 65] != b"\n" or _file_digest(
        path, _H5_USERBLOCK
    ).encode() != want:
        raise _corrupted(path, "HDF5", ValueError("SHA-256 digest of the file's bytes mismatch"))
    return True


def _read_h5(path: str) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    h5py = _require("h5py", "h5")
    verified = _verify_h5(path)
    arrays: dict[str, np.ndarray] = {}
    layers: dict[str, str] = {}
    digest = None
    try:
        with h5py.File(path, "r") as f:
            def visit(name: str, obj: Any) -> None:
                if isinstance(obj, h5py.Dataset):
                    value = obj[()]
                    if obj.attrs.get("dtype") == "bfloat16":
                        import ml_dtypes

                        value = np.asarray(value).view(ml_dtypes.bfloat16)
                    arrays[name] = np.asarray(value)
                elif name == "vars" or name.endswith("/vars"):
                    label = obj.attrs.get("name")
                    layers[name[: -len("vars")].rstrip("/")] = (
                        label.decode() if isinstance(label, bytes) else str(label or "")
                    )

            f.visititems(visit)
            if not verified:
                # Files of earlier layerax versions carry a digest of the arrays instead.
                digest = f.attrs.get("layerax_sha256")
    except Exception as err:  # h5py raises OSError, KeyError, RuntimeError, ...
        raise _corrupted(path, "HDF5", err) from None
    if isinstance(digest, bytes):
        digest = digest.decode()
    if digest is not None and digest != _digest(arrays):
        raise _corrupted(path, "HDF5", ValueError("SHA-256 digest mismatch"))
    return arrays, {"layers": layers}


# ------------------------------------------------------------ dispatch
def write_weights(path: str, arrays: Mapping[str, np.ndarray], metadata: Mapping[str, Any]) -> None:
    """Writes `arrays` to `path` atomically in the format of its suffix.

    Raises:
        ValueError: for an unknown suffix.
        OSError: when the file cannot be written (a full disk, ...), naming
            `path`; the previous file at `path` is then unchanged.
    """
    fmt = weights_format(path)
    try:
        if fmt == "npz":
            data = write_npz_bytes(arrays, metadata)
            with atomic_path(path) as tmp:
                with open(tmp, "wb") as f:
                    f.write(data)
        elif fmt == "safetensors":
            _write_safetensors(path, arrays, metadata)
        else:
            _write_h5(path, arrays, metadata)
    except OSError as err:
        if err.filename == path:
            raise
        raise write_failed(path, f"{fmt} weights file", err) from err


def read_weights(path: str) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Reads a whole weights file: `(arrays by key, metadata)`.

    Raises:
        FileNotFoundError: when `path` does not exist.
        ValueError: for an unknown suffix or a truncated/corrupted file.
        ImportError: when the format's optional package is missing.
    """
    fmt = weights_format(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"No weights file at {path!r}.")
    if fmt == "npz":
        with open(path, "rb") as f:
            return read_npz_bytes(f.read(), path)
    if fmt == "safetensors":
        return _read_safetensors(path)
    return _read_h5(path)
