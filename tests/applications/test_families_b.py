"""lx.applications part B against Keras 3: DenseNet, ConvNeXt, Xception, InceptionV3,
InceptionResNetV2 and NASNet.

One representative per family is built in Keras with `weights=None`, saved with
`save_weights` (Keras 3's `.weights.h5`, and Keras 2's legacy `.h5`, the format
of the published ImageNet files), loaded by layerax, and run on the same random
images. The other variants are compared layer by layer (names, classes, weight
shapes) without running images.
"""

from __future__ import annotations

import importlib
import inspect

import numpy as np
import pytest

import layerax as lx
from layerax.models.keras_tensor import TensorOperator
from tests.applications.keras_files import assert_keras_files_cross
from tests.helpers import assert_close, keras

# (module, constructor, image size, extra arguments): the smallest size each family accepts.
RUNS = [
    ("densenet", "DenseNet121", 32, {"include_top": True, "classes": 7}),
    ("convnext", "ConvNeXtTiny", 32, {"include_top": False, "pooling": "avg"}),
    ("xception", "Xception", 71, {"include_top": False, "pooling": "max"}),
    ("inception_v3", "InceptionV3", 75, {"include_top": False, "pooling": "avg"}),
    ("inception_resnet_v2", "InceptionResNetV2", 75, {"include_top": False}),
    ("nasnet", "NASNetMobile", 32, {"include_top": True, "classes": 5, "classifier_activation": None}),
]
VARIANTS = [
    # DenseNet201 and NASNetLarge are left out to keep the suite fast: they differ from
    # DenseNet169 / NASNetMobile only in block counts and widths, which the signatures test
    # and Keras' tables pin.
    ("densenet", "DenseNet169", 32),
    ("convnext", "ConvNeXtSmall", 32),
]
ALL = {
    "densenet": ["DenseNet121", "DenseNet169", "DenseNet201"],
    "convnext": ["ConvNeXtTiny", "ConvNeXtSmall", "ConvNeXtBase", "ConvNeXtLarge", "ConvNeXtXLarge"],
    "xception": ["Xception"],
    "inception_v3": ["InceptionV3"],
    "inception_resnet_v2": ["InceptionResNetV2"],
    "nasnet": ["NASNetMobile", "NASNetLarge"],
}


def _pair(module: str, fn: str, size: int, **kwargs):
    k = keras()
    args = {"input_shape": (size, size, 3), **kwargs}
    return getattr(k.applications, fn), getattr(importlib.import_module(f"layerax.applications.{module}"), fn), args


def _layers(model) -> list:
    # layerax lists the Python operators (`x + y`) of the graph as layers; Keras does not.
    return [layer for layer in model.layers if not isinstance(layer, TensorOperator)]


def _structure(model) -> list:
    return [(layer.name, type(layer).__name__, [tuple(w.shape) for w in layer.weights]) for layer in _layers(model)]


@pytest.mark.parametrize("module,fn,size,kwargs", RUNS, ids=[r[1] for r in RUNS])
def test_keras_weights_give_keras_outputs(module, fn, size, kwargs, tmp_path):
    import h5py
    from keras.src.legacy.saving import legacy_h5_format

    make_keras, make_lx, args = _pair(module, fn, size, **kwargs)
    reference = make_keras(weights=None, **args)
    path = str(tmp_path / f"{fn}.weights.h5")
    reference.save_weights(path)
    # Keras 2's layer-by-layer `.h5`: the layout of the published ImageNet files.
    legacy = str(tmp_path / f"{fn}.h5")
    with h5py.File(legacy, "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, reference)

    model = make_lx(weights=legacy, **args)
    assert model.name == reference.name
    assert _structure(model) == _structure(reference)
    for ours, theirs in zip(model.weights, reference.weights, strict=True):
        np.testing.assert_array_equal(np.asarray(ours.numpy()), np.asarray(theirs.numpy()))

    # Keras 3's `.weights.h5`, into a model whose weights were wiped first.
    for variable in model.weights:
        variable.assign(np.zeros(variable.shape, variable.dtype))
    model.load_weights(path)
    images = np.random.default_rng(0).uniform(0, 255, (2, size, size, 3)).astype("float32")
    want = np.asarray(reference.predict(images, verbose=0))
    got = np.asarray(model.predict(images, verbose=0))
    assert got.shape == want.shape
    assert_close(got, want, rtol=1e-4, atol=1e-4 * max(1.0, float(np.abs(want).max())))
    # `.keras` both ways, checked against the models above (no second compile).
    assert_keras_files_cross(reference, model, tmp_path)


@pytest.mark.parametrize("module,fn,size", VARIANTS, ids=[v[1] for v in VARIANTS])
def test_variant_layers_and_weight_shapes_match_keras(module, fn, size):
    make_keras, make_lx, args = _pair(module, fn, size, include_top=False)
    assert _structure(make_lx(weights=None, **args)) == _structure(make_keras(weights=None, **args))


def test_large_convnext_configs_match_keras():
    from keras.src.applications import convnext as keras_convnext

    for variant, cfg in keras_convnext.MODEL_CONFIGS.items():
        depths, dims, top_hash, notop_hash = lx.applications.convnext._CONFIGS[variant]
        assert list(depths) == cfg["depths"] and list(dims) == cfg["projection_dims"]
        assert (top_hash, notop_hash) == keras_convnext.WEIGHTS_HASHES[f"convnext_{variant}"]


@pytest.mark.parametrize("module", sorted(ALL))
def test_signatures_preprocess_and_exports_match_keras(module):
    k = keras()
    kmod = getattr(k.applications, module)
    lmod = getattr(lx.applications, module)
    for fn in ALL[module]:
        ours, theirs = inspect.signature(getattr(lmod, fn)), inspect.signature(getattr(kmod, fn))
        assert list(ours.parameters) == list(theirs.parameters), fn
        assert [p.default for p in ours.parameters.values()] == [p.default for p in theirs.parameters.values()]
        assert getattr(lx.applications, fn) is getattr(lmod, fn)
    for shape in [(2, 4, 5, 3), (3, 6, 3)]:
        x = np.random.default_rng(1).uniform(0, 255, shape).astype("float32")
        assert_close(lmod.preprocess_input(x.copy()), kmod.preprocess_input(x.copy()), atol=1e-4)
    preds = np.random.default_rng(2).uniform(size=(2, 1000))
    from layerax.applications import imagenet_utils

    imagenet_utils.CLASS_INDEX = {str(i): [f"n{i:08d}", f"class_{i}"] for i in range(1000)}
    try:
        decoded = lmod.decode_predictions(preds, top=3)
    finally:
        imagenet_utils.CLASS_INDEX = None
    assert [[name for _, name, _ in row] for row in decoded] == [
        [f"class_{i}" for i in np.argsort(p)[::-1][:3]] for p in preds]


def test_custom_layers_match_keras():
    k = keras()
    from keras.src.applications import convnext as kc
    from keras.src.applications import inception_resnet_v2 as kirv2

    from layerax.applications.convnext import LayerScale, StochasticDepth
    from layerax.applications.inception_resnet_v2 import CustomScaleLayer

    rng = np.random.default_rng(3)
    for shape in [(2, 3), (1, 2, 2, 4)]:
        x, y = rng.normal(size=shape).astype("float32"), rng.normal(size=shape).astype("float32")
        ours, theirs = LayerScale(0.3, shape[-1]), kc.LayerScale(0.3, shape[-1])
        assert_close(ours(x), theirs(x))
        assert LayerScale.from_config(ours.get_config()).get_config() == ours.get_config()
        assert {key: ours.get_config()[key] for key in ("init_values", "projection_dim")} == {
            key: theirs.get_config()[key] for key in ("init_values", "projection_dim")}
        assert_close(CustomScaleLayer(0.17)([x, y]), kirv2.CustomScaleLayer(0.17)([x, y]))
        assert CustomScaleLayer(0.17).get_config()["scale"] == kirv2.CustomScaleLayer(0.17).get_config()["scale"]
        drop = StochasticDepth(0.25)
        assert_close(drop(x, training=False), x)
        out = np.asarray(drop(x, training=True))
        kept = [np.allclose(o, xi / 0.75) for o, xi in zip(out, x)]
        dropped = [np.allclose(o, 0.0) for o in out]
        assert all(a or b for a, b in zip(kept, dropped))
    assert StochasticDepth(0.1).get_config()["drop_path_rate"] == kc.StochasticDepth(0.1).get_config()["drop_path_rate"]
    del k


def test_bad_arguments_raise_clear_errors(tmp_path):
    apps = lx.applications
    with pytest.raises(ValueError, match="weights"):
        apps.Xception(weights=str(tmp_path / "missing.h5"))
    with pytest.raises(ValueError, match="classes"):
        apps.DenseNet121(weights="imagenet", classes=10)
    with pytest.raises(ValueError, match="input"):
        apps.InceptionV3(weights=None, include_top=False, input_shape=(40, 40, 3))
    with pytest.raises(ValueError, match="convnext_tiny"):
        apps.ConvNeXtTiny(weights="imagenet", name="my_net")
    with pytest.raises(ValueError, match="penultimate_filters"):
        apps.nasnet.NASNet(weights=None, penultimate_filters=1000, input_shape=(32, 32, 3), include_top=False)
    lx.config.set_image_data_format("channels_first")
    try:
        with pytest.raises(ValueError, match="channels_first"):
            apps.DenseNet121(weights=None, include_top=False, input_shape=(3, 32, 32))
    finally:
        lx.config.set_image_data_format("channels_last")
