"""save_weights / load_weights: the three formats, Keras 3 interchange, mismatches, corruption."""

from __future__ import annotations

import os
import sys

import h5py
import numpy as np
import pytest

import layerax as lx
from tests.helpers import keras

FORMATS = [".weights.npz", ".safetensors", ".weights.h5"]


def mlp(K):
    return K.Sequential([K.Input((3,)), K.layers.Dense(4, activation="relu"), K.layers.Dense(2)])


def convnet(K):
    return K.Sequential([
        K.Input((6, 6, 2)),
        K.layers.Conv2D(3, 3, activation="relu"),
        K.layers.DepthwiseConv2D(2),
        K.layers.SeparableConv2D(2, 1),
        K.layers.Flatten(),
        K.layers.Dropout(0.5, seed=1),
        K.layers.Dense(2),
    ])


def batchnorm(K):
    return K.Sequential([K.Input((3,)), K.layers.Dense(4), K.layers.BatchNormalization(), K.layers.Dense(2)])


def nested(K):
    a = K.Input((3,), name="a")
    b = K.Input((2,), name="b")
    shared = K.layers.Dense(3, name="shared")
    inner = K.Sequential([K.Input((3,)), K.layers.Dense(3), K.layers.BatchNormalization()], name="inner")
    o1 = inner(shared(a))
    o2 = K.layers.Concatenate()([shared(o1), b])
    return K.Model([a, b], [o1, K.layers.Dense(1)(o2)])


def subclassed(K):
    class Net(K.Model):
        def __init__(self):
            super().__init__()
            self.hidden = K.layers.Dense(4)
            self.blocks = [K.layers.Dense(4), K.layers.Dense(4)]
            self._private = K.layers.Dense(4)
            self.out = K.layers.Dense(2)

        def call(self, x):
            x = self.hidden(x)
            for block in self.blocks:
                x = block(x)
            return self.out(self._private(x))

    model = Net()
    model(np.zeros((1, 3), "float32"))
    return model


ARCHS = {"mlp": (mlp, (2, 3)), "convnet": (convnet, (2, 6, 6, 2)), "batchnorm": (batchnorm, (2, 3)),
         "nested": (nested, [(2, 3), (2, 2)]), "subclassed": (subclassed, (2, 3))}


def _inputs(shapes):
    rng = np.random.default_rng(0)
    if isinstance(shapes, list):
        return [rng.normal(size=s).astype("float32") for s in shapes]
    return rng.normal(size=shapes).astype("float32")


def _randomize(model):
    """Distinct values in every variable (moving statistics included)."""
    rng = np.random.default_rng(7)
    for var in model.weights:
        value = rng.normal(size=var.shape).astype("float32")
        if "variance" in var.path:
            value = np.abs(value) + 0.5
        var.assign(value)


def _h5_tree(path):
    found = []
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: found.append((name, getattr(obj, "shape", None),
                                                     dict(obj.attrs) if isinstance(obj, h5py.Group) else None)))
    return sorted(found, key=lambda t: t[0])


def _outputs(model, x):
    out = model(x, training=False)
    return [np.asarray(o) for o in out] if isinstance(out, (list, tuple)) else [np.asarray(out)]


@pytest.mark.parametrize("arch", list(ARCHS))
def test_keras_h5_loads_into_layerax_and_back(arch, tmp_path):
    k = keras()
    make, shapes = ARCHS[arch]
    x = _inputs(shapes)
    kmodel = make(k)
    _randomize(kmodel)
    kpath = str(tmp_path / "keras.weights.h5")
    kmodel.save_weights(kpath)

    ours = make(lx)
    ours.load_weights(kpath)
    for a, b in zip(_outputs(ours, x), _outputs(kmodel, x)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)

    # Ours has exactly Keras' layout (groups, datasets, shapes, layer names aside).
    opath = str(tmp_path / "ours.weights.h5")
    ours.save_weights(opath)
    strip = lambda tree: [(n, s) for n, s, _ in tree]  # noqa: E731
    assert strip(_h5_tree(opath)) == strip(_h5_tree(kpath))

    # Keras reads ours: a fresh Keras model of the same architecture.
    kfresh = make(k)
    kfresh.load_weights(opath)
    for a, b in zip(kfresh.get_weights(), kmodel.get_weights()):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("suffix", FORMATS)
def test_round_trip_each_format_into_a_fresh_model(suffix, tmp_path):
    model = nested(lx)
    _randomize(model)
    path = str(tmp_path / f"m{suffix}")
    model.save_weights(path)
    fresh = nested(lx)  # other auto-names (dense_4, ...): paths are structural
    assert [v.path for v in fresh.weights] != [v.path for v in model.weights]
    fresh.load_weights(path)
    for a, b in zip(fresh.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_npz_keys_metadata_and_seed_states(tmp_path):
    model = convnet(lx)
    dropout = model.layers[4]
    dropout.seed_generator.next()
    path = str(tmp_path / "m.weights.npz")
    model.save_weights(path)
    from layerax.saving.weights_formats import read_weights

    arrays, meta = read_weights(path)
    assert "layers/conv2d/vars/0" in arrays and arrays["layers/conv2d/vars/0"].shape == (3, 3, 2, 3)
    assert meta["variable_paths"]["layers/conv2d/vars/0"] == model.layers[0].kernel.path
    assert meta["layers"]["layers/dropout"] == dropout.name
    np.testing.assert_array_equal(arrays["layers/dropout/seed_generators/0"], dropout.seed_generator.state.numpy())
    fresh = convnet(lx)
    fresh.load_weights(path)
    np.testing.assert_array_equal(fresh.layers[4].seed_generator.state.numpy(),
                                  dropout.seed_generator.state.numpy())
    # Keras' layout has no seed states: the .weights.h5 leaves them out.
    model.save_weights(str(tmp_path / "m.weights.h5"))
    assert not any("seed" in name for name, _, _ in _h5_tree(str(tmp_path / "m.weights.h5")))


def test_mismatch_raises_naming_the_variable_and_changes_nothing(tmp_path):
    path = str(tmp_path / "m.weights.npz")
    mlp(lx).save_weights(path)
    other = lx.Sequential([lx.Input((3,)), lx.layers.Dense(4), lx.layers.Dense(5)])
    before = other.get_weights()
    with pytest.raises(ValueError, match=r"variable '.*dense_3/kernel' \(entry 'layers/dense_1/vars/0'\): "
                                         r"expected shape \(4, 5\), the file has shape \(4, 2\).*No variable"):
        other.load_weights(path)
    for a, b in zip(other.get_weights(), before):
        np.testing.assert_array_equal(a, b)
    # A layer missing from the model, and one missing from the file.
    deeper = lx.Sequential([lx.Input((3,)), lx.layers.Dense(4), lx.layers.Dense(2), lx.layers.Dense(2)])
    with pytest.raises(ValueError, match="is missing from the file: expected entry 'layers/dense_2/vars/0'"):
        deeper.load_weights(path)
    shallow = lx.Sequential([lx.Input((3,)), lx.layers.Dense(4)])
    with pytest.raises(ValueError, match="a layer at 'layers/dense_1' that the model does not have"):
        shallow.load_weights(path)


def test_skip_mismatch_loads_the_matching_layers_with_a_warning(tmp_path):
    path = str(tmp_path / "m.weights.h5")
    source = mlp(lx)
    source.save_weights(path)
    other = lx.Sequential([lx.Input((3,)), lx.layers.Dense(4), lx.layers.Dense(5)])
    untouched = other.layers[1].kernel.numpy()
    with pytest.warns(UserWarning, match="Skipping the mismatching layers"):
        other.load_weights(path, skip_mismatch=True)
    np.testing.assert_array_equal(other.layers[0].kernel.numpy(), source.layers[0].kernel.numpy())
    np.testing.assert_array_equal(other.layers[1].kernel.numpy(), untouched)


def test_unknown_suffix_and_unbuilt_model(tmp_path):
    model = mlp(lx)
    for name in ("m.h5", "m.npz", "m.pkl"):
        with pytest.raises(ValueError, match=r"Unknown weights file format .*'\.weights\.npz', "
                                             r"'\.safetensors', '\.weights\.h5'"):
            model.save_weights(str(tmp_path / name))
        with pytest.raises(ValueError, match="Unknown weights file format"):
            model.load_weights(str(tmp_path / name))
    with pytest.raises(ValueError, match="has not been built yet"):
        lx.Sequential([lx.layers.Dense(2)]).save_weights(str(tmp_path / "x.weights.npz"))
    with pytest.raises(FileNotFoundError):
        model.load_weights(str(tmp_path / "absent.weights.npz"))
    path = str(tmp_path / "m.weights.npz")
    model.save_weights(path)
    with pytest.raises(FileExistsError, match="overwrite=True"):
        model.save_weights(path, overwrite=False)


@pytest.mark.parametrize("module,extra,suffix", [("h5py", "h5", ".weights.h5"),
                                                 ("safetensors.numpy", "safetensors", ".safetensors")])
def test_missing_optional_package_names_the_extra(module, extra, suffix, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, module, None)  # makes `import module` fail
    with pytest.raises(ImportError, match=rf"pip install layerax\[{extra}\]"):
        mlp(lx).save_weights(str(tmp_path / f"m{suffix}"))


def _read(path):
    with open(path, "rb") as f:
        return f.read()


def _corrupt(path, how):
    data = bytearray(_read(path))
    if how == "truncate":
        data = data[: len(data) * 2 // 3]
    else:
        # Flip bytes inside the stored values (the end of the file holds the last arrays'
        # data for npz; the middle for h5 and safetensors).
        for offset in (len(data) // 2, len(data) // 2 + 7, len(data) - 200):
            data[offset] ^= 0xFF
    with open(path, "wb") as f:
        f.write(bytes(data))


@pytest.mark.parametrize("how", ["truncate", "flip"])
@pytest.mark.parametrize("suffix", FORMATS)
def test_corrupted_file_gives_a_clear_error_and_leaves_the_model(suffix, how, tmp_path):
    source = lx.Sequential([lx.Input((64,)), lx.layers.Dense(64), lx.layers.Dense(64)])
    path = str(tmp_path / f"m{suffix}")
    source.save_weights(path)
    _corrupt(path, how)
    target = lx.Sequential([lx.Input((64,)), lx.layers.Dense(64), lx.layers.Dense(64)])
    before = target.get_weights()
    with pytest.raises(ValueError, match="truncated or corrupted.*Nothing was loaded"):
        target.load_weights(path)
    for a, b in zip(target.get_weights(), before):
        np.testing.assert_array_equal(a, b)


def test_save_is_atomic_when_the_writer_fails(tmp_path, monkeypatch):
    model = mlp(lx)
    path = str(tmp_path / "m.weights.npz")
    model.save_weights(path)
    good = _read(path)
    from layerax.saving import weights_formats

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(weights_formats, "write_npz_bytes", broken)
    with pytest.raises(OSError, match="disk full"):
        model.save_weights(path)
    assert _read(path) == good
    assert os.listdir(tmp_path) == ["m.weights.npz"]  # no temporary file left behind
