"""lx.datasets (layerax/datasets/) on small files in each dataset's real format.

Nothing can be downloaded here, so each test writes the files, points the loader's
module-level origin (`ORIGIN_FOLDER` / `ORIGIN`) at a `file://` folder or a loopback
`http.server`, sets its `FILE_HASH` to the file's real hash (so the hash check runs), and
caches under a temporary `KERAS_HOME`. The oracle is Keras 3.15's own loader on the same
file (its `get_file` patched to return that file); CIFAR-10's Keras loader insists on
10,000 images per batch file, so there the oracle is the format's closed form.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import http.server
import json
import os
import pickle
import struct
import tarfile
import threading

import numpy as np
import pytest

import layerax as lx
from tests.helpers import keras


def _sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def _md5(path):
    with open(path, "rb") as f:
        return hashlib.md5(f.read()).hexdigest()


@pytest.fixture
def env(tmp_path, monkeypatch):
    """(source folder, its file:// URL); KERAS_HOME is a fresh temporary folder."""
    src = tmp_path / "src"
    src.mkdir()
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "home"))
    return src, src.as_uri() + "/"


def _serve(module, monkeypatch, url, files, hash_attr="FILE_HASH"):
    monkeypatch.setattr(module, "ORIGIN_FOLDER", url)
    monkeypatch.setattr(module, hash_attr, _sha256(files[0]) if hash_attr == "FILE_HASH" else _md5(files[0]))


def _keras_module(name, monkeypatch, path):
    import importlib

    keras()
    module = importlib.import_module(f"keras.src.datasets.{name}")
    monkeypatch.setattr(module, "get_file", lambda *a, **k: str(path))
    return module


def _assert_same(ours, theirs):
    for a, b in zip(ours, theirs):
        for x, y in zip(a, b):
            assert x.dtype == y.dtype and x.shape == y.shape
            if x.dtype == object:
                assert [list(v) for v in x] == [list(v) for v in y]
            else:
                np.testing.assert_array_equal(x, y)


def test_mnist_over_loopback_http_with_cache_and_hash(env, monkeypatch):
    src, _ = env
    rng = np.random.default_rng(0)
    arrays = dict(x_train=rng.integers(0, 255, (5, 28, 28), dtype=np.uint8), y_train=np.arange(5, dtype=np.uint8),
                  x_test=rng.integers(0, 255, (2, 28, 28), dtype=np.uint8), y_test=np.arange(2, dtype=np.uint8))
    np.savez(src / "mnist.npz", **arrays)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(src))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        _serve(lx.datasets.mnist, monkeypatch, f"http://127.0.0.1:{server.server_address[1]}/", [src / "mnist.npz"])
        ours = lx.datasets.mnist.load_data()
    finally:
        server.shutdown()
        server.server_close()
    cached = os.path.join(os.environ["KERAS_HOME"], "datasets", "mnist.npz")
    assert os.path.exists(cached)
    assert lx.datasets.mnist.load_data()[0][0].shape == (5, 28, 28)  # from the cache: the server is gone
    _assert_same(ours, _keras_module("mnist", monkeypatch, src / "mnist.npz").load_data())
    monkeypatch.setattr(lx.datasets.mnist, "FILE_HASH", "0" * 64)
    os.remove(cached)
    monkeypatch.setattr(lx.datasets.mnist, "ORIGIN_FOLDER", src.as_uri() + "/")
    with pytest.raises(ValueError, match="corrupted"):
        lx.datasets.mnist.load_data()


def _idx(path, array):
    header = struct.pack(">i", 2049 if array.ndim == 1 else 2051) + b"".join(struct.pack(">i", d) for d in array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.tobytes())


def test_fashion_mnist_idx_files(env, monkeypatch):
    src, url = env
    rng = np.random.default_rng(1)
    data = {"train-images-idx3-ubyte.gz": rng.integers(0, 255, (4, 28, 28), dtype=np.uint8),
            "train-labels-idx1-ubyte.gz": np.array([1, 2, 3, 4], np.uint8),
            "t10k-images-idx3-ubyte.gz": rng.integers(0, 255, (3, 28, 28), dtype=np.uint8),
            "t10k-labels-idx1-ubyte.gz": np.array([9, 8, 7], np.uint8)}
    for name, array in data.items():
        _idx(src / name, array)
    monkeypatch.setattr(lx.datasets.fashion_mnist, "ORIGIN_FOLDER", url)
    (x_train, y_train), (x_test, y_test) = lx.datasets.fashion_mnist.load_data()
    np.testing.assert_array_equal(x_train, data["train-images-idx3-ubyte.gz"])
    np.testing.assert_array_equal(y_test, data["t10k-labels-idx1-ubyte.gz"])
    assert x_test.shape == (3, 28, 28) and y_train.dtype == np.uint8
    assert os.path.exists(os.path.join(os.environ["KERAS_HOME"], "datasets", "fashion-mnist",
                                       "t10k-images-idx3-ubyte.gz"))
    keras()
    import keras.src.datasets.fashion_mnist as kf

    monkeypatch.setattr(kf, "get_file", lambda fname, **k: str(src / fname))
    _assert_same(((x_train, y_train), (x_test, y_test)), kf.load_data())


def _cifar_archive(path, folder, members):
    """A tar.gz of pickles with bytes keys, as the Python 2 originals read with encoding="bytes"."""
    staging = path.parent / "staging" / folder
    staging.mkdir(parents=True)
    for name, batch in members.items():
        with open(staging / name, "wb") as f:
            pickle.dump({k.encode(): v for k, v in batch.items()}, f, protocol=3)
    with tarfile.open(path, "w:gz") as archive:
        archive.add(staging, arcname=folder)


def test_cifar10_batches(env, monkeypatch):
    src, url = env
    rng = np.random.default_rng(2)
    batches = {f"data_batch_{i}": {"data": rng.integers(0, 255, (2, 3072), dtype=np.uint8),
                                   "labels": [i, 9 - i]} for i in range(1, 6)}
    batches["test_batch"] = {"data": rng.integers(0, 255, (3, 3072), dtype=np.uint8), "labels": [0, 1, 2]}
    _cifar_archive(src / "cifar-10-python.tar.gz", "cifar-10-batches-py", batches)
    monkeypatch.setattr(lx.datasets.cifar10, "ORIGIN", url + "cifar-10-python.tar.gz")
    monkeypatch.setattr(lx.datasets.cifar10, "FILE_HASH", _sha256(src / "cifar-10-python.tar.gz"))
    (x_train, y_train), (x_test, y_test) = lx.datasets.cifar10.load_data()
    train_rows = np.concatenate([batches[f"data_batch_{i}"]["data"] for i in range(1, 6)])
    np.testing.assert_array_equal(x_train, train_rows.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
    np.testing.assert_array_equal(y_train[:, 0], sum((batches[f"data_batch_{i}"]["labels"] for i in range(1, 6)), []))
    assert x_train.dtype == y_train.dtype == x_test.dtype == y_test.dtype == np.uint8
    assert y_test.shape == (3, 1) and x_test.shape == (3, 32, 32, 3)
    assert os.path.isdir(os.path.join(os.environ["KERAS_HOME"], "datasets", "cifar-10-batches-py-target",
                                      "cifar-10-batches-py"))
    lx.config.set_image_data_format("channels_first")
    try:
        assert lx.datasets.cifar10.load_data()[1][0].shape == (3, 3, 32, 32)
    finally:
        lx.config.set_image_data_format("channels_last")


def test_cifar100_label_modes(env, monkeypatch):
    src, url = env
    rng = np.random.default_rng(3)
    split = {name: {"data": rng.integers(0, 255, (n, 3072), dtype=np.uint8), "fine_labels": list(range(n)),
                    "coarse_labels": [v % 2 for v in range(n)]} for name, n in (("train", 4), ("test", 2))}
    _cifar_archive(src / "cifar-100-python.tar.gz", "cifar-100-python", split)
    monkeypatch.setattr(lx.datasets.cifar100, "ORIGIN", url + "cifar-100-python.tar.gz")
    monkeypatch.setattr(lx.datasets.cifar100, "FILE_HASH", _sha256(src / "cifar-100-python.tar.gz"))
    extracted = os.path.join(os.environ["KERAS_HOME"], "datasets", "cifar-100-python-target")
    for mode in ("fine", "coarse"):
        ours = lx.datasets.cifar100.load_data(mode)
        _assert_same(ours, _keras_module("cifar100", monkeypatch, extracted).load_data(mode))
    assert ours[0][1][:, 0].tolist() == [0, 1, 0, 1]
    with pytest.raises(ValueError, match="label_mode"):
        lx.datasets.cifar100.load_data("medium")


def _sequences(rng, n, vocab=30):
    out = np.empty(n, dtype=object)
    out[:] = [[int(v) for v in rng.integers(1, vocab, rng.integers(2, 9))] for _ in range(n)]
    return out


IMDB_CASES = [
    {},
    dict(num_words=12, skip_top=2, maxlen=8, seed=5),
    dict(start_char=None, oov_char=None, index_from=0, num_words=20),
    dict(start_char=None, index_from=2, maxlen=7),
]


def test_imdb_arguments_and_word_index(env, monkeypatch):
    src, url = env
    rng = np.random.default_rng(4)
    np.savez(src / "imdb.npz", x_train=_sequences(rng, 12), y_train=rng.integers(0, 2, 12),
             x_test=_sequences(rng, 8), y_test=rng.integers(0, 2, 8))
    _serve(lx.datasets.imdb, monkeypatch, url, [src / "imdb.npz"])
    kimdb = _keras_module("imdb", monkeypatch, src / "imdb.npz")
    for case in IMDB_CASES:
        _assert_same(lx.datasets.imdb.load_data(**case), kimdb.load_data(**case))
    with pytest.raises(ValueError, match="maxlen"):
        lx.datasets.imdb.load_data(maxlen=1)
    with open(src / "imdb_word_index.json", "w") as f:
        json.dump({"the": 1, "film": 2}, f)
    monkeypatch.setattr(lx.datasets.imdb, "WORD_INDEX_HASH", _md5(src / "imdb_word_index.json"))
    assert lx.datasets.imdb.get_word_index() == {"the": 1, "film": 2}


def test_imdb_refuses_pickled_code(env, monkeypatch):
    src, url = env

    class Evil:
        def __reduce__(self):
            return (os.system, ("true",))

    bad = np.empty(1, dtype=object)
    bad[0] = Evil()
    np.savez(src / "imdb.npz", x_train=bad, y_train=np.zeros(1), x_test=bad, y_test=np.zeros(1))
    _serve(lx.datasets.imdb, monkeypatch, url, [src / "imdb.npz"])
    with pytest.raises(pickle.UnpicklingError, match="Refusing"):
        lx.datasets.imdb.load_data()


def test_reuters_arguments_and_word_index(env, monkeypatch):
    src, url = env
    rng = np.random.default_rng(5)
    np.savez(src / "reuters.npz", x=_sequences(rng, 15), y=rng.integers(0, 46, 15))
    _serve(lx.datasets.reuters, monkeypatch, url, [src / "reuters.npz"])
    kreuters = _keras_module("reuters", monkeypatch, src / "reuters.npz")
    for case in IMDB_CASES + [dict(test_split=0.5, seed=1), dict(test_split=0.1, num_words=10, oov_char=None)]:
        _assert_same(lx.datasets.reuters.load_data(**case), kreuters.load_data(**case))
    with open(src / "reuters_word_index.json", "w") as f:
        json.dump({"said": 3}, f)
    monkeypatch.setattr(lx.datasets.reuters, "WORD_INDEX_HASH", _md5(src / "reuters_word_index.json"))
    assert lx.datasets.reuters.get_word_index() == {"said": 3}
    assert lx.datasets.reuters.get_label_names() == kreuters.get_label_names()


@pytest.mark.parametrize("name,features,dtype", [("boston_housing", 13, "float64"),
                                                 ("california_housing", 8, "float32")])
def test_housing(env, monkeypatch, name, features, dtype):
    src, url = env
    rng = np.random.default_rng(6)
    file = src / f"{name}.npz"
    np.savez(file, x=rng.normal(size=(11, features)).astype(dtype), y=rng.normal(size=11).astype(dtype))
    module = getattr(lx.datasets, name)
    _serve(module, monkeypatch, url, [file])
    theirs = _keras_module(name, monkeypatch, file)
    for case in (dict(), dict(test_split=0.5, seed=3), dict(test_split=0.0)):
        _assert_same(module.load_data(**case), theirs.load_data(**case))
    with pytest.raises(ValueError, match="test_split"):
        module.load_data(test_split=1.0)
    if name == "california_housing":
        _assert_same(module.load_data(version="small"), theirs.load_data(version="small"))
        with pytest.raises(ValueError, match="version"):
            module.load_data(version="tiny")
