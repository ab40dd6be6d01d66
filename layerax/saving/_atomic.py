"""Atomic file writes: a temporary file in the target's directory, fsync, then `os.replace`.

A process killed at any point of a save leaves either the previous file or the
new one at the target path, never a partial file: the rename is the commit.

A killed save does leave its temporary file. Its name records the writer
(`.<target name>.<host>.<pid>.<random>.tmp`), and the next save of the same
target removes the temporary files of writers on this host that no longer run,
so that repeated kills (pre-emptions) do not fill the disk.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import tempfile
import threading
import time
from collections.abc import Iterator

__all__ = ["atomic_path", "atomic_write_bytes", "check_overwrite", "sweep_stale_temps"]

_HOST = re.sub(r"[^A-Za-z0-9_-]", "-", socket.gethostname())[:40] or "host"
_ACTIVE: set[str] = set()  # this process's temporary files being written
_ACTIVE_LOCK = threading.Lock()
# Temporary files of earlier layerax versions (`.<name>.<8 random chars>.tmp`) do not
# name their writer: they are removed once untouched for this long.
_UNNAMED_STALE_S = 3600.0


def _temp_prefix(path: str) -> str:
    return f".{os.path.basename(path)[:120]}."


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # it exists (another user's), or we cannot tell: keep its file
    return True


def _is_stale(full: str, middle: str) -> bool:
    parts = middle.split(".")
    if len(parts) == 3 and parts[1].isdigit():
        host, pid = parts[0], int(parts[1])
        if host != _HOST:
            return False  # another machine's writer (a shared file system): cannot tell
        if pid == os.getpid():
            with _ACTIVE_LOCK:
                return full not in _ACTIVE
        return not _alive(pid)
    if len(parts) == 1 and len(parts[0]) == 8:
        try:
            return time.time() - os.path.getmtime(full) > _UNNAMED_STALE_S
        except OSError:
            return False
    return False


def sweep_stale_temps(path: str | os.PathLike[str]) -> list[str]:
    """Removes the temporary files that killed saves of `path` left; returns their paths.

    Only files of writers that no longer run on this host are removed (and
    unnamed ones of earlier versions untouched for an hour); a save in
    progress in another process keeps its file.

    Example:
        >>> import os, tempfile
        >>> from layerax.saving._atomic import sweep_stale_temps
        >>> directory = tempfile.mkdtemp()
        >>> sweep_stale_temps(os.path.join(directory, "model.weights.h5"))
        []
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    prefix = _temp_prefix(path)
    try:
        names = os.listdir(directory)
    except OSError:
        return []
    removed = []
    for name in names:
        if not (name.startswith(prefix) and name.endswith(".tmp")):
            continue
        full = os.path.join(directory, name)
        if _is_stale(full, name[len(prefix) : -len(".tmp")]):
            with contextlib.suppress(OSError):
                os.remove(full)
                removed.append(full)
    return removed


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
        >>> with open(target) as f:
        ...     f.read()
        'done'
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    sweep_stale_temps(path)
    fd, tmp = tempfile.mkstemp(
        prefix=f"{_temp_prefix(path)}{_HOST}.{os.getpid()}.", suffix=".tmp", dir=directory
    )
    os.close(fd)
    with _ACTIVE_LOCK:
        _ACTIVE.add(tmp)
    try:
        yield tmp
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise
    finally:
        with _ACTIVE_LOCK:
            _ACTIVE.discard(tmp)
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
