"""lx.utils.get_file (layerax/utils/file_utils.py): real downloads from file:// URLs and a
loopback HTTP server, cache layout compared with Keras 3's get_file."""

from __future__ import annotations

import functools
import hashlib
import http.server
import io
import os
import pathlib
import tarfile
import threading
import zipfile

import pytest

import layerax as lx
from tests.helpers import keras

PAYLOAD = b"layerax get_file test payload\n" * 50


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A folder with a text file, a zip and a tar.gz, and an HTTP server on 127.0.0.1 for it."""
    root = tmp_path_factory.mktemp("served")
    (root / "data.txt").write_bytes(PAYLOAD)
    with zipfile.ZipFile(root / "arch.zip", "w") as z:
        z.writestr("inner/a.txt", "alpha")
    with tarfile.open(root / "arch.tar.gz", "w:gz") as t:
        blob = b"beta"
        info = tarfile.TarInfo("inner/b.txt")
        info.size = len(blob)
        t.addfile(info, io.BytesIO(blob))
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a, **k: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _cache_dirs(tmp_path):
    # Keras falls back to /tmp/.keras when cache_dir does not exist yet: create both.
    (tmp_path / "lx").mkdir()
    (tmp_path / "k").mkdir()


def test_http_download_caches_and_matches_keras_layout(served, tmp_path):
    root, url = served
    _cache_dirs(tmp_path)
    ours = lx.utils.get_file(origin=f"{url}/data.txt", cache_dir=tmp_path / "lx", cache_subdir="sub")
    theirs = keras().utils.get_file(origin=f"{url}/data.txt", cache_dir=str(tmp_path / "k"),
                                    cache_subdir="sub")
    assert os.path.relpath(ours, tmp_path / "lx") == os.path.relpath(theirs, tmp_path / "k")
    assert pathlib.Path(ours).read_bytes() == PAYLOAD
    # Cached: a second call does not download (the source may even be gone).
    assert lx.utils.get_file(origin=f"{url}/missing/data.txt", fname="data.txt",
                             cache_dir=tmp_path / "lx", cache_subdir="sub") == ours


@pytest.mark.parametrize("algorithm", ["sha256", "md5"])
def test_file_hash_checks(served, tmp_path, algorithm):
    root, url = served
    digest = hashlib.new(algorithm, PAYLOAD).hexdigest()
    path = lx.utils.get_file("d.txt", f"{url}/data.txt", file_hash=digest, cache_dir=tmp_path)
    assert pathlib.Path(path).read_bytes() == PAYLOAD
    # A corrupted cached copy is downloaded again.
    pathlib.Path(path).write_bytes(b"corrupt")
    with pytest.warns(UserWarning, match="does not match"):
        lx.utils.get_file("d.txt", f"{url}/data.txt", file_hash=digest, hash_algorithm=algorithm,
                          cache_dir=tmp_path)
    assert pathlib.Path(path).read_bytes() == PAYLOAD
    with pytest.raises(ValueError, match="corrupted"):
        lx.utils.get_file("e.txt", f"{url}/data.txt", file_hash="0" * len(digest),
                          hash_algorithm=algorithm, cache_dir=tmp_path)
    assert not os.path.exists(os.path.join(tmp_path, "datasets", "e.txt"))
    if algorithm == "md5":
        assert lx.utils.get_file("f.txt", f"{url}/data.txt", md5_hash=digest, cache_dir=tmp_path)


@pytest.mark.parametrize("archive,member,content", [("arch.zip", "inner/a.txt", "alpha"),
                                                    ("arch.tar.gz", "inner/b.txt", "beta")])
def test_extract_from_file_url_matches_keras(served, tmp_path, archive, member, content):
    root, _ = served
    origin = (root / archive).as_uri()
    for i, fname in enumerate((None, archive)):
        # With and without fname, the archive and the folder have different names (Keras'
        # layout); each case gets its own cache (the unnamed case's folder is the named file).
        tmp_path = tmp_path / str(i)
        tmp_path.mkdir()
        _cache_dirs(tmp_path)
        ours = lx.utils.get_file(fname, origin, extract=True, cache_dir=tmp_path / "lx")
        theirs = keras().utils.get_file(fname, origin, extract=True, cache_dir=str(tmp_path / "k"))
        assert os.path.relpath(ours, tmp_path / "lx") == os.path.relpath(theirs, tmp_path / "k")
        assert pathlib.Path(ours, member).read_text() == content


def test_untar_spelling(served, tmp_path):
    root, _ = served
    path = lx.utils.get_file("t", (root / "arch.tar.gz").as_uri(), untar=True, cache_dir=tmp_path)
    assert pathlib.Path(path, "inner/b.txt").read_text() == "beta"


def test_errors(served, tmp_path):
    _, url = served
    with pytest.raises(ValueError, match="origin"):
        lx.utils.get_file("x")
    with pytest.raises(ValueError, match="fname"):
        lx.utils.get_file(origin=f"{url}/", cache_dir=tmp_path)
    with pytest.raises(ValueError, match="not a path"):
        lx.utils.get_file(os.path.join("a", "b.txt"), f"{url}/data.txt", cache_dir=tmp_path)
    with pytest.raises(OSError, match="URL fetch failure"):
        lx.utils.get_file("nope.txt", f"{url}/nope.txt", cache_dir=tmp_path)
    assert not os.listdir(os.path.join(tmp_path, "datasets"))
