"""lx.applications part C against Keras 3: MobileNetV3 and EfficientNetV2.

One representative per family is built in Keras with `weights=None`, saved as
Keras 3's `.weights.h5` and Keras 2's legacy `.h5` (the layout of the published
ImageNet files), loaded by layerax and run on the same random images; the other
variants are compared layer by layer (names, classes, weight shapes).
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import layerax as lx
from layerax.models.keras_tensor import TensorOperator
from tests.helpers import assert_close, keras

RUNS = [
    ("mobilenet_v3", "MobileNetV3Small", {"include_top": True, "classes": 7}),
    ("efficientnet_v2", "EfficientNetV2B0", {"include_top": True, "classes": 5}),
]
VARIANTS = [
    ("MobileNetV3Large", {"include_top": False, "pooling": "avg"}),
    ("MobileNetV3Small", {"include_top": False, "minimalistic": True, "alpha": 0.75}),
    ("EfficientNetV2B1", {"include_top": False, "pooling": "max"}),
]
ALL = {
    "mobilenet_v3": ["MobileNetV3Small", "MobileNetV3Large"],
    "efficientnet_v2": ["EfficientNetV2B0", "EfficientNetV2B1", "EfficientNetV2B2", "EfficientNetV2B3",
                        "EfficientNetV2S", "EfficientNetV2M", "EfficientNetV2L"],
}


def _structure(model) -> list:
    # layerax lists the Python operators (`x + 3.0`) of the graph as layers; Keras does not.
    return [(layer.name, type(layer).__name__, [tuple(w.shape) for w in layer.weights])
            for layer in model.layers if not isinstance(layer, TensorOperator)]


@pytest.mark.parametrize("module,fn,kwargs", RUNS, ids=[r[1] for r in RUNS])
def test_keras_weights_give_keras_outputs(module, fn, kwargs, tmp_path):
    import h5py
    from keras.src.legacy.saving import legacy_h5_format

    args = {"input_shape": (32, 32, 3), **kwargs}
    reference = getattr(keras().applications, fn)(weights=None, **args)
    path = str(tmp_path / f"{fn}.weights.h5")
    reference.save_weights(path)
    legacy = str(tmp_path / f"{fn}.h5")
    with h5py.File(legacy, "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, reference)

    model = getattr(getattr(lx.applications, module), fn)(weights=legacy, **args)
    assert model.name == reference.name
    assert _structure(model) == _structure(reference)
    for ours, theirs in zip(model.weights, reference.weights, strict=True):
        np.testing.assert_array_equal(np.asarray(ours.numpy()), np.asarray(theirs.numpy()))
    for variable in model.weights:
        variable.assign(np.zeros(variable.shape, variable.dtype))
    model.load_weights(path)
    images = np.random.default_rng(0).uniform(0, 255, (2, 32, 32, 3)).astype("float32")
    want = np.asarray(reference.predict(images, verbose=0))
    got = np.asarray(model.predict(images, verbose=0))
    assert got.shape == want.shape
    assert_close(got, want, rtol=1e-4, atol=1e-4 * max(1.0, float(np.abs(want).max())))

    # .keras both ways: Keras' file into layerax, layerax's file into Keras.
    reference.save(str(tmp_path / "x.keras"))
    loaded = lx.saving.load_model(str(tmp_path / "x.keras"))
    assert_close(np.asarray(loaded.predict(images, verbose=0)), want, rtol=1e-4, atol=1e-4)
    loaded.save(str(tmp_path / "y.keras"))
    back = keras().saving.load_model(str(tmp_path / "y.keras"))
    assert_close(np.asarray(back.predict(images, verbose=0)), want, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("fn,kwargs", VARIANTS, ids=[f"{v[0]}-{i}" for i, v in enumerate(VARIANTS)])
def test_variant_layers_and_weight_shapes_match_keras(fn, kwargs):
    k = keras()
    args = {"input_shape": (32, 32, 3), **kwargs}
    with k.StatelessScope():
        reference = getattr(k.applications, fn)(weights=None, **args)
    model = getattr(lx.applications, fn)(weights=None, **args)
    assert model.name == reference.name
    assert _structure(model) == _structure(reference)
    assert tuple(model.output.shape) == tuple(reference.output.shape)


def test_large_efficientnet_v2_tables_and_hashes_match_keras():
    from keras.src.applications import efficientnet_v2 as kv2
    from keras.src.applications import mobilenet_v3 as kv3

    from layerax.applications import efficientnet_v2, mobilenet_v3

    assert efficientnet_v2.DEFAULT_BLOCKS_ARGS == kv2.DEFAULT_BLOCKS_ARGS
    assert efficientnet_v2._HASHES == kv2.WEIGHTS_HASHES
    assert mobilenet_v3._HASHES == kv3.WEIGHTS_HASHES
    assert efficientnet_v2._ROOT == kv2.BASE_WEIGHTS_PATH.removeprefix("https://storage.googleapis.com/")
    assert mobilenet_v3._ROOT == kv3.BASE_WEIGHT_PATH.removeprefix("https://storage.googleapis.com/")


@pytest.mark.parametrize("module", sorted(ALL))
def test_signatures_preprocess_and_exports_match_keras(module):
    kmod = getattr(keras().applications, module)
    lmod = getattr(lx.applications, module)
    # keras.applications.mobilenet_v3 exports only its helpers; its models are top-level names.
    for fn in ALL[module]:
        ours, theirs = inspect.signature(getattr(lmod, fn)), inspect.signature(getattr(kmod, fn, None) or getattr(keras().applications, fn))
        assert list(ours.parameters) == list(theirs.parameters), fn
        assert [p.default for p in ours.parameters.values()] == [p.default for p in theirs.parameters.values()]
        assert getattr(lx.applications, fn) is getattr(lmod, fn)
    x = np.random.default_rng(1).uniform(0, 255, (2, 4, 5, 3)).astype("float32")
    assert_close(lmod.preprocess_input(x.copy()), kmod.preprocess_input(x.copy()))


def test_imagenet_weights_through_a_file_origin(tmp_path, monkeypatch):
    import h5py
    from keras.src.legacy.saving import legacy_h5_format

    from layerax.applications import _weights

    args = {"include_top": False, "input_shape": (224, 224, 3), "minimalistic": True}
    reference = keras().applications.MobileNetV3Small(weights=None, **args)
    folder = tmp_path / "origin" / "tensorflow" / "keras-applications" / "mobilenet_v3"
    folder.mkdir(parents=True)
    fname = "weights_mobilenet_v3_small_minimalistic_224_1.0_float_no_top_v2.h5"
    with h5py.File(folder / fname, "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, reference)
    monkeypatch.setattr(_weights, "STORAGE_ROOT", (tmp_path / "origin").as_uri() + "/")
    monkeypatch.setattr(lx.applications.mobilenet_v3, "_HASHES", {
        "small_minimalistic_224_1.0_float": (None, None)})
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "home"))
    model = lx.applications.MobileNetV3Small(weights="imagenet", **args)
    for ours, theirs in zip(model.weights, reference.weights, strict=True):
        np.testing.assert_array_equal(np.asarray(ours.numpy()), np.asarray(theirs.numpy()))
    assert (tmp_path / "home" / "models" / fname).exists()


def test_bad_arguments_raise_clear_errors(tmp_path):
    apps = lx.applications
    with pytest.raises(ValueError, match="weights"):
        apps.MobileNetV3Small(weights=str(tmp_path / "missing.h5"))
    with pytest.raises(ValueError, match="classes"):
        apps.EfficientNetV2B0(weights="imagenet", classes=10)
    with pytest.raises(ValueError, match="at least 32x32"):
        apps.MobileNetV3Large(weights=None, input_shape=(16, 16, 3))
    with pytest.raises(ValueError, match="alpha"):
        apps.MobileNetV3Small(weights="imagenet", alpha=0.5)
    with pytest.raises(ValueError, match="repeats"):
        apps.efficientnet_v2.EfficientNetV2(1.0, 1.0, 224, weights=None, include_top=False,
                                            input_shape=(32, 32, 3), blocks_args=[
                                                dict(lx.applications.efficientnet_v2.DEFAULT_BLOCKS_ARGS[
                                                    "efficientnetv2-b0"][0], num_repeat=0)])
