"""lx.applications' shared infrastructure against Keras 3: preprocessing, decoding, shapes, weights."""

from __future__ import annotations

import hashlib
import json
import pathlib

import jax.numpy as jnp
import numpy as np
import pytest

import layerax as lx
from layerax.applications import _weights, imagenet_utils
from tests.helpers import assert_close, keras


@pytest.mark.parametrize("mode", ["caffe", "tf", "torch"])
@pytest.mark.parametrize("data_format,shape", [("channels_last", (2, 4, 5, 3)), ("channels_first", (3, 4, 5))])
def test_preprocess_input_matches_keras(mode, data_format, shape):
    k = keras()
    x = np.random.default_rng(0).uniform(0, 255, shape).astype("float32")
    want = k.applications.imagenet_utils.preprocess_input(x.copy(), data_format=data_format, mode=mode)
    got_np = imagenet_utils.preprocess_input(x.copy(), data_format=data_format, mode=mode)
    got_jax = imagenet_utils.preprocess_input(jnp.asarray(x), data_format=data_format, mode=mode)
    assert isinstance(got_np, np.ndarray)
    assert_close(got_np, want, rtol=1e-6, atol=1e-4)
    assert_close(got_jax, want, rtol=1e-6, atol=1e-4)


def test_preprocess_input_integer_images_and_errors():
    k = keras()
    x = np.arange(2 * 3 * 3 * 3, dtype="uint8").reshape(2, 3, 3, 3)
    assert_close(imagenet_utils.preprocess_input(x), k.applications.imagenet_utils.preprocess_input(x))
    with pytest.raises(ValueError, match="mode"):
        imagenet_utils.preprocess_input(x.astype("float32"), mode="bgr")
    with pytest.raises(ValueError, match="data_format"):
        imagenet_utils.preprocess_input(x.astype("float32"), data_format="nhwc")


def _serve(tmp_path: pathlib.Path, name: str, data: bytes) -> tuple[str, str]:
    src = tmp_path / "origin" / name
    src.parent.mkdir(parents=True, exist_ok=True)
    src.write_bytes(data)
    return src.as_uri(), hashlib.md5(data).hexdigest()


def test_decode_predictions_downloads_the_class_index(tmp_path, monkeypatch):
    index = {str(i): [f"n{i:08d}", f"label_{i}"] for i in range(1000)}
    uri, digest = _serve(tmp_path, "imagenet_class_index.json", json.dumps(index).encode())
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(imagenet_utils, "CLASS_INDEX", None)
    monkeypatch.setattr(imagenet_utils, "CLASS_INDEX_PATH", uri)
    monkeypatch.setattr(imagenet_utils, "CLASS_INDEX_HASH", digest)
    preds = np.random.default_rng(1).uniform(size=(2, 1000)).astype("float32")
    got = imagenet_utils.decode_predictions(preds, top=3)
    # Keras' own decoder, given the same class index, is the oracle.
    kutils = keras().src.applications.imagenet_utils
    monkeypatch.setattr(kutils, "CLASS_INDEX", index)
    want = kutils.decode_predictions(preds, top=3)
    assert [[r[:2] for r in row] for row in got] == [[r[:2] for r in row] for row in want]
    assert_close([[r[2] for r in row] for row in got], [[r[2] for r in row] for row in want])
    assert (tmp_path / "home" / "models" / "imagenet_class_index.json").exists()
    with pytest.raises(ValueError, match=r"\(samples, 1000\)"):
        imagenet_utils.decode_predictions(np.zeros((2, 10)))


def test_decode_predictions_rejects_a_corrupted_download(tmp_path, monkeypatch):
    uri, _ = _serve(tmp_path, "imagenet_class_index.json", b"{}")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(imagenet_utils, "CLASS_INDEX", None)
    monkeypatch.setattr(imagenet_utils, "CLASS_INDEX_PATH", uri)
    with pytest.raises(ValueError, match="corrupted"):
        imagenet_utils.decode_predictions(np.zeros((1, 1000)))


@pytest.mark.parametrize("args", [
    ((None, None, 3), 224, 32, "channels_last", False, None),
    (None, 224, 32, "channels_last", True, "imagenet"),
    (None, 224, 32, "channels_first", False, None),
    ((3, 64, 64), 224, 32, "channels_first", True, None),
    ((64, 64, 1), 224, 32, "channels_last", True, None),
    ((64, 64, 3), 224, 32, "channels_last", False, "imagenet"),
])
def test_obtain_input_shape_matches_keras(args):
    k = keras().src.applications.imagenet_utils
    assert imagenet_utils.obtain_input_shape(*args) == k.obtain_input_shape(*args)


@pytest.mark.parametrize("args,match", [
    (((16, 16, 3), 224, 32, "channels_last", False, None), "at least 32x32"),
    (((64, 64), 224, 32, "channels_last", False, None), "three integers"),
    (((64, 64, 1), 224, 32, "channels_last", False, "imagenet"), "3 channels"),
    (((64, 64, 3), 224, 32, "channels_last", True, "imagenet"), "should be"),
    (((None, None, 3), 224, 32, "channels_last", True, None), "static"),
])
def test_obtain_input_shape_errors(args, match):
    with pytest.raises(ValueError, match=match):
        imagenet_utils.obtain_input_shape(*args)
    with pytest.raises(ValueError):
        keras().src.applications.imagenet_utils.obtain_input_shape(*args)


def test_correct_pad_and_validate_activation_match_keras():
    k = keras()
    ku = k.src.applications.imagenet_utils
    for size in (31, 32, None):
        assert imagenet_utils.correct_pad(lx.Input((size, size, 3)), 3) == ku.correct_pad(
            k.Input((size, size, 3)), 3)
    assert imagenet_utils.correct_pad(lx.Input((8, 9, 3)), (5, 3)) == ku.correct_pad(k.Input((8, 9, 3)), (5, 3))
    imagenet_utils.validate_activation(None, "imagenet")
    with pytest.raises(ValueError, match="classifier_activation"):
        imagenet_utils.validate_activation("relu", "imagenet")


def _small_models():
    k = keras()

    def build(m):
        inp = m.Input((6, 6, 3))
        x = m.layers.Conv2D(4, 3, name="conv")(inp)
        x = m.layers.BatchNormalization(name="bn")(x)
        x = m.layers.GlobalAveragePooling2D(name="pool")(x)
        return m.Model(inp, m.layers.Dense(2, name="fc")(x), name="tiny")

    kmodel = build(k)
    for v in kmodel.weights:
        v.assign(np.random.default_rng(len(v.path)).normal(size=v.shape).astype("float32"))
    return kmodel, build(lx)


def test_imagenet_weights_download_from_a_file_origin(tmp_path, monkeypatch):
    import h5py

    kmodel, model = _small_models()
    legacy = keras().src.legacy.saving.legacy_h5_format
    path = tmp_path / "origin" / "apps" / "tiny_weights.h5"
    path.parent.mkdir(parents=True)
    with h5py.File(path, "w") as f:
        legacy.save_weights_to_hdf5_group(f, kmodel)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    monkeypatch.setattr(_weights, "STORAGE_ROOT", (tmp_path / "origin").as_uri() + "/")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "home"))

    bad = _weights.WeightsFile("apps/tiny_weights.h5", "0" * 64)
    with pytest.raises(ValueError, match="corrupted"):
        _weights.load_application_weights(model, "imagenet", include_top=True, top=bad)
    with pytest.raises(ValueError, match="no ImageNet weights"):
        _weights.load_application_weights(model, "imagenet", include_top=False, top=bad)

    good = _weights.WeightsFile("apps/tiny_weights.h5", digest)
    _weights.load_application_weights(model, "imagenet", include_top=True, top=good)
    assert (tmp_path / "home" / "models" / "tiny_weights.h5").exists()
    x = np.random.default_rng(2).normal(size=(2, 6, 6, 3)).astype("float32")
    assert_close(model.predict(x, verbose=0), kmodel.predict(x, verbose=0), rtol=1e-5, atol=1e-5)


def test_weights_paths_and_errors(tmp_path):
    kmodel, model = _small_models()
    path = tmp_path / "tiny.weights.h5"
    kmodel.save_weights(path)
    _weights.check_weights_argument(str(path), True, 10, "Tiny")
    _weights.load_application_weights(model, path, include_top=True)
    x = np.random.default_rng(3).normal(size=(1, 6, 6, 3)).astype("float32")
    assert_close(model(x), kmodel(x), rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="weights"):
        _weights.check_weights_argument("missing.h5", True, 1000, "Tiny")
    with pytest.raises(ValueError, match="classes"):
        _weights.check_weights_argument("imagenet", True, 10, "Tiny")
    junk = tmp_path / "junk.h5"
    junk.write_bytes(b"not hdf5")
    with pytest.raises(ValueError, match="truncated"):
        _weights.load_weights_file(model, str(junk))
