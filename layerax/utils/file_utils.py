"""`lx.utils.get_file`: download a file once into a cache, check its hash, extract archives."""

from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import warnings
import zipfile
from typing import Any


def _cache_root(cache_dir: str | os.PathLike[str] | None) -> str:
    if cache_dir is None:
        cache_dir = os.environ.get("KERAS_HOME", os.path.join("~", ".keras"))
    root = os.path.expanduser(os.fspath(cache_dir))
    try:
        os.makedirs(root, exist_ok=True)
    except OSError:
        pass
    if not os.access(root, os.W_OK):
        # Like Keras: an unwritable cache falls back to a temporary one.
        root = os.path.join(tempfile.gettempdir(), ".keras")
    return root


def _hasher(algorithm: str, file_hash: str | None) -> Any:
    if algorithm == "sha256" or (algorithm == "auto" and file_hash is not None and len(file_hash) == 64):
        return hashlib.sha256()
    if algorithm in ("md5", "auto"):
        return hashlib.md5()
    raise ValueError(f"Unknown hash_algorithm: {algorithm!r}. Expected 'auto', 'sha256' or 'md5'.")


def _hash_matches(path: str, file_hash: str, algorithm: str) -> bool:
    hasher = _hasher(algorithm, file_hash)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 16), b""):
            hasher.update(chunk)
    return hasher.hexdigest() == str(file_hash)


def _safe_members_tar(archive: tarfile.TarFile, target: str) -> list[tarfile.TarInfo]:
    root = os.path.realpath(target)
    members = []
    for member in archive.getmembers():
        dest = os.path.realpath(os.path.join(target, member.name))
        if os.path.commonpath([root, dest]) != root or member.issym() or member.islnk():
            continue  # skip entries that would escape the extraction folder
        members.append(member)
    return members


def _extract(path: str, target: str, archive_format: Any) -> bool:
    if archive_format is None:
        return False
    formats = ["tar", "zip"] if archive_format == "auto" else (
        [archive_format] if isinstance(archive_format, str) else list(archive_format)
    )
    for fmt in formats:
        if fmt == "tar" and tarfile.is_tarfile(path):
            with tarfile.open(path) as archive:
                archive.extractall(target, members=_safe_members_tar(archive, target), filter="data")
            return True
        if fmt == "zip" and zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                root = os.path.realpath(target)
                for name in archive.namelist():
                    dest = os.path.realpath(os.path.join(target, name))
                    if os.path.commonpath([root, dest]) == root:
                        archive.extract(name, target)
            return True
    return False


def get_file(
    fname: str | None = None,
    origin: str | None = None,
    untar: bool = False,
    md5_hash: str | None = None,
    file_hash: str | None = None,
    cache_subdir: str = "datasets",
    hash_algorithm: str = "auto",
    extract: bool = False,
    archive_format: Any = "auto",
    cache_dir: str | os.PathLike[str] | None = None,
    force_download: bool = False,
) -> str:
    """Downloads `origin` into `cache_dir/cache_subdir` unless it is there already.

    A cached file whose hash does not match `file_hash` is downloaded again; a fresh
    download whose hash does not match raises. With `extract=True`, a tar or zip
    archive is unpacked next to it and the extraction folder is returned.

    Args:
        fname: File name in the cache (default: the last part of the URL's path).
        origin: URL of the file (`http(s)://`, `ftp://` or `file://`).
        untar: Deprecated spelling of `extract=True, archive_format="tar"`.
        md5_hash: Deprecated spelling of `file_hash` with `hash_algorithm="md5"`.
        file_hash: Expected sha256 or md5 hex digest of the downloaded file.
        cache_subdir: Sub-folder of `cache_dir` for the file.
        hash_algorithm: "auto" (sha256 for 64-character hashes, else md5), "sha256" or "md5".
        extract: Whether to extract the file as an archive.
        archive_format: "auto" (tar, then zip), "tar", "zip", a list of them, or None.
        cache_dir: The cache's root (default `$KERAS_HOME` or `~/.keras`).
        force_download: Download even when the file is cached.

    Returns:
        The path of the downloaded file, or of the extraction folder with `extract`.

    Example:
        >>> import layerax as lx, pathlib, tempfile
        >>> d = tempfile.mkdtemp(); src = pathlib.Path(d, "a.txt"); _ = src.write_text("hi")
        >>> p = lx.utils.get_file(origin=src.as_uri(), cache_dir=d, cache_subdir="c")
        >>> pathlib.Path(p).read_text()
        'hi'
    """
    if origin is None:
        raise ValueError("get_file needs `origin`, the URL of the file to download. Received: origin=None")
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    datadir = os.path.join(_cache_root(cache_dir), cache_subdir)
    os.makedirs(datadir, exist_ok=True)
    given_name = bool(fname)
    fname = os.fspath(fname) if fname else os.path.basename(urllib.parse.urlsplit(origin).path)
    if not fname:
        raise ValueError(
            f"Can't tell the file name from origin={origin!r}. Pass `fname`."
        )
    if os.sep in fname:
        raise ValueError(
            "`fname` is a file name, not a path; choose the folder with `cache_dir` / "
            f"`cache_subdir`. Received: fname={fname!r}"
        )
    extract = extract or untar
    if extract:
        stem = fname[: fname.find(".")] if "." in fname else fname
        if given_name and "." in fname:
            download_target = os.path.join(datadir, fname)
            extraction_dir = os.path.join(datadir, f"{stem}_extracted")
        else:
            download_target = os.path.join(datadir, f"{fname}_archive")
            extraction_dir = os.path.join(datadir, fname)
    else:
        download_target = os.path.join(datadir, fname)

    download = force_download or not os.path.exists(download_target)
    if not download and file_hash is not None and not _hash_matches(download_target, file_hash, hash_algorithm):
        warnings.warn(
            f"The cached {download_target} does not match file_hash={file_hash!r}; downloading it again.",
            stacklevel=2,
        )
        download = True
    if download:
        partial = download_target + ".part"
        try:
            with urllib.request.urlopen(origin) as response, open(partial, "wb") as out:
                shutil.copyfileobj(response, out)
        except urllib.error.URLError as e:
            if os.path.exists(partial):
                os.remove(partial)
            raise OSError(f"URL fetch failure on {origin}: {getattr(e, 'reason', e)}") from e
        os.replace(partial, download_target)
        if file_hash is not None and not _hash_matches(download_target, file_hash, hash_algorithm):
            os.remove(download_target)
            raise ValueError(
                f"The file downloaded from {origin} is incomplete or corrupted: its hash does not "
                f"match file_hash={file_hash!r}. Check the hash and hash_algorithm={hash_algorithm!r}."
            )
    if extract:
        if untar:
            archive_format = "tar"
        if not _extract(download_target, extraction_dir, archive_format):
            warnings.warn(f"Could not extract {download_target} as {archive_format!r}.", stacklevel=2)
        return extraction_dir
    return download_target


__all__ = ["get_file"]
