"""lx.applications families against keras.applications (the oracle, weights=None).

For one representative per family: Keras builds it, `save_weights`, layerax loads
the file, and both predict on the same random images. The other variants of a family
are compared without running images: same layer names, classes and weight shapes.
Keras models are built in a `StatelessScope` (no initializers run) and get random
values, so the comparison does not depend on either side's initializers.
"""

from __future__ import annotations

import numpy as np
import pytest

import layerax as lx
from tests.applications.keras_files import assert_keras_files_cross
from tests.helpers import keras

SIZE = 32  # the smallest input every family here accepts

# (Keras/layerax function, layerax module, extra kwargs, include_top)
REPRESENTATIVES = [
    ("ResNet50", "resnet", {}, False),
    ("ResNet50V2", "resnet_v2", {}, False),
    ("MobileNet", "mobilenet", {"alpha": 0.25}, True),
    ("MobileNetV2", "mobilenet_v2", {"alpha": 0.35}, True),
    ("VGG16", "vgg16", {}, False),
    ("EfficientNetB0", "efficientnet", {}, True),
]

VARIANTS = [
    # The deeper ResNets (152) and the other EfficientNets differ only in block counts and
    # widths; one of each kind keeps the suite fast.
    ("ResNet101", "resnet", {}), ("ResNet101V2", "resnet_v2", {}),
    ("VGG19", "vgg16", {"include_top": True}),
    ("MobileNetV2", "mobilenet_v2", {"alpha": 0.35, "pooling": "avg"}),
    ("EfficientNetB1", "efficientnet", {"pooling": "max"}),
]


def _keras_model(name: str, **kwargs):
    k = keras()
    with k.StatelessScope():
        model = getattr(k.applications, name)(weights=None, **kwargs)
    rng = np.random.default_rng(0)
    for v in model.weights:
        if "variance" in v.path:
            value = rng.uniform(0.5, 1.5, v.shape)
        elif "moving_mean" in v.path or "bias" in v.path or "beta" in v.path:
            value = rng.normal(0, 0.1, v.shape)
        else:  # scaled like He initialisation, so activations stay O(1)
            fan_in = int(np.prod(v.shape[:-1])) or 1
            value = rng.normal(0, 1.0 / np.sqrt(fan_in), v.shape)
        v._initialize(value.astype(v.dtype))
    return model


def _structure(model) -> list[tuple[str, str, list[tuple[int, ...]]]]:
    return [(layer.__class__.__name__, layer.name, [tuple(w.shape) for w in layer.weights])
            for layer in model.layers if layer.weights]


@pytest.mark.parametrize("name,module,extra,include_top", REPRESENTATIVES, ids=[r[0] for r in REPRESENTATIVES])
def test_keras_weights_load_and_predict_the_same(name, module, extra, include_top, tmp_path):
    kwargs = dict(extra, include_top=include_top, input_shape=(SIZE, SIZE, 3))
    if include_top:
        kwargs["classes"] = 10
    kmodel = _keras_model(name, **kwargs)
    path = tmp_path / f"{name}.weights.h5"
    kmodel.save_weights(path)
    # weights=<path> loads the file in the constructor, as in Keras.
    loaded = getattr(getattr(lx.applications, module), name)(weights=str(path), **kwargs)
    assert loaded.name == kmodel.name
    assert _structure(loaded) == _structure(kmodel)
    assert [type(layer).__name__ for layer in loaded.layers] == [type(layer).__name__ for layer in kmodel.layers]
    x = np.random.default_rng(1).uniform(0, 255, (2, SIZE, SIZE, 3)).astype("float32")
    x = getattr(lx.applications, module).preprocess_input(x)
    want = kmodel.predict(x, verbose=0)
    got = loaded.predict(x, verbose=0)
    assert got.shape == want.shape
    scale = max(1.0, float(np.abs(want).max()))
    np.testing.assert_allclose(got / scale, want / scale, atol=2e-5)
    # `.keras` both ways, checked against the models above (no second compile).
    assert_keras_files_cross(kmodel, loaded, tmp_path)


@pytest.mark.parametrize("name,module,extra", VARIANTS, ids=[f"{v[0]}-{i}" for i, v in enumerate(VARIANTS)])
def test_variant_layers_and_weight_shapes_match_keras(name, module, extra):
    kwargs = dict({"include_top": False, "input_shape": (SIZE, SIZE, 3)}, **extra)
    if kwargs["include_top"]:
        kwargs["classes"] = 7
    k = keras()
    with k.StatelessScope():
        kmodel = getattr(k.applications, name)(weights=None, **kwargs)
    fn = getattr(lx.applications, name)
    model = fn(weights=None, **kwargs)
    assert model.name == kmodel.name
    assert _structure(model) == _structure(kmodel)
    assert tuple(model.output.shape) == tuple(kmodel.output.shape)


def test_input_tensor_and_argument_errors():
    inp = lx.Input((SIZE, SIZE, 3))
    model = lx.applications.ResNet50V2(weights=None, include_top=False, input_tensor=inp, pooling="avg")
    assert model.inputs[0] is inp and tuple(model.output.shape) == (None, 2048)
    with pytest.raises(ValueError, match="weights"):
        lx.applications.VGG16(weights="no/such/file.h5")
    with pytest.raises(ValueError, match="classes"):
        lx.applications.ResNet50(weights="imagenet", classes=10)
    with pytest.raises(ValueError, match="at least 32x32"):
        lx.applications.MobileNetV2(weights=None, include_top=False, input_shape=(16, 16, 3))
    with pytest.raises(ValueError, match="alpha"):
        lx.applications.MobileNet(weights="imagenet", alpha=0.3)
    with pytest.raises(ValueError, match="classifier_activation"):
        lx.applications.MobileNet(weights="imagenet", alpha=0.25, input_shape=(128, 128, 3),
                                  classifier_activation="relu")


def test_imagenet_weights_in_keras_legacy_h5_load_through_the_family(tmp_path, monkeypatch):
    """`weights="imagenet"` fetches Keras' file name from `STORAGE_ROOT` and loads its layout."""
    import h5py

    from layerax.applications import _weights

    kwargs = dict(alpha=0.25, include_top=False, input_shape=(128, 128, 3))
    kmodel = _keras_model("MobileNet", **kwargs)
    folder = tmp_path / "origin" / "tensorflow" / "keras-applications" / "mobilenet"
    folder.mkdir(parents=True)
    with h5py.File(folder / "mobilenet_2_5_128_tf_no_top.h5", "w") as f:
        keras().src.legacy.saving.legacy_h5_format.save_weights_to_hdf5_group(f, kmodel)
    monkeypatch.setattr(_weights, "STORAGE_ROOT", (tmp_path / "origin").as_uri() + "/")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "home"))
    model = lx.applications.MobileNet(weights="imagenet", **kwargs)
    assert model.name == kmodel.name == "mobilenet_0.25_128"
    for ours, theirs in zip(model.weights, kmodel.weights, strict=True):
        np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))
    assert (tmp_path / "home" / "models" / "mobilenet_2_5_128_tf_no_top.h5").exists()
