"""Atomic file writes: a temporary file in the target's directory, fsync, then `os.replace`.

A process killed at any point of a save leaves either the previous file or the
new one at the target path, never a partial file: the rename is the commit.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator

__all__ = ["atomic_path", "atomic_write_bytes", "check_overwrite"]


def _fsync_dir(directory: str) -> None:
    # Makes the rename itself durable (POSIX); not possible on every platform.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[str]:
    """Yields a temporary path next to `path`; on success it replaces `path` atomically.

    The writer fills the temporary file (by name, e.g. h5py or zipfile); when
    the block exits normally the file is fsync'ed and renamed over `path`. On
    an exception the temporary file is removed and `path` is untouched.

    Example:
        >>> import os, tempfile
        >>> from layerax.saving._atomic import atomic_path
        >>> target = os.path.join(tempfile.mkdtemp(), "out.txt")
        >>> with atomic_path(target) as tmp:
        ...     with open(tmp, "w") as f:
        ...         _ = f.write("done")
        >>> open(target).read()
        'done'
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=directory)
    os.close(fd)
    try:
        yield tmp
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise
    _fsync_dir(directory)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Writes `data` to `path` atomically (see `atomic_path`)."""
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            f.write(data)


def check_overwrite(path: str, overwrite: bool) -> None:
    """Raises when `path` exists and `overwrite` is False (Keras would prompt instead)."""
    if not overwrite and os.path.exists(path):
        raise FileExistsError(
            f"File {path!r} already exists and `overwrite=False` was passed. Pass "
            "`overwrite=True` to replace it, or choose another path."
        )
