"""model.save / load_model: the .layerax archive for Sequential, Functional and subclassed models."""

from __future__ import annotations

import json
import os
import zipfile

import numpy as np
import pytest

import layerax as lx

X = np.random.default_rng(0).normal(size=(16, 3)).astype("float32")
Y = np.random.default_rng(1).normal(size=(16, 2)).astype("float32")


def sequential():
    return lx.Sequential([
        lx.Input((3,)),
        lx.layers.Dense(8, activation="relu", kernel_regularizer=lx.regularizers.L2(1e-3)),
        lx.layers.Dropout(0.2),
        lx.layers.Dense(2),
    ])


def functional():
    a = lx.Input((3,), name="a")
    b = lx.Input((2,), name="b")
    shared = lx.layers.Dense(4, activation="tanh", name="shared")
    inner = lx.Sequential([lx.Input((4,)), lx.layers.Dense(4), lx.layers.BatchNormalization()], name="inner")
    h = inner(shared(a))
    h2 = shared(lx.layers.Dense(3)(lx.layers.Concatenate()([h, b])))
    return lx.Model({"a": a, "b": b}, {"y": lx.layers.Dense(2, name="y")(h2), "z": lx.layers.Dense(1, name="z")(h)})


@lx.saving.register_serializable(package="tests")
class Residual(lx.layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.proj = lx.layers.Dense(units)

    def call(self, x):
        return x + self.proj(x)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


@lx.saving.register_serializable(package="tests")
class Net(lx.Model):
    def __init__(self, width=4, **kwargs):
        super().__init__(**kwargs)
        self.width = width
        self.inp = lx.layers.Dense(width)
        self.block = Residual(width)
        self.head = lx.layers.Dense(2)

    def call(self, x, training=None):
        return self.head(self.block(self.inp(x)))

    def get_config(self):
        return {**super().get_config(), "width": self.width}


def subclassed():
    model = Net(width=5)
    model(X[:1])
    return model


def _data(model):
    if isinstance(model.__dict__.get("_lx_inputs_struct"), dict):
        x = {"a": X, "b": X[:, :2]}
        return x, {"y": Y, "z": Y[:, :1]}
    return X, Y


def _assert_same_weights(a, b):
    wa, wb = a.get_weights(), b.get_weights()
    assert len(wa) == len(wb)
    for u, v in zip(wa, wb):
        np.testing.assert_array_equal(u, v)


def _fit(model, x, y, epochs):
    model.fit(x, y, batch_size=4, epochs=epochs, shuffle=False, verbose=0)


@pytest.mark.parametrize("make", [sequential, functional, subclassed], ids=["sequential", "functional", "subclassed"])
def test_round_trip_predicts_identically_and_continues_training(make, tmp_path):
    model = make()
    x, y = _data(model)
    model.compile(optimizer=lx.optimizers.Adam(0.01), loss="mse")
    _fit(model, x, y, 1)
    path = str(tmp_path / "model.layerax")
    model.save(path)

    loaded = lx.models.load_model(path)
    assert type(loaded).__name__ == type(model).__name__
    if make is not subclassed:  # a subclassed model names its layers afresh in __init__
        assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]
    else:
        assert loaded.width == 5 and isinstance(loaded.block, Residual)
    ours, theirs = model.predict(x, verbose=0), loaded.predict(x, verbose=0)
    for a, b in zip(np.atleast_1d(ours) if not isinstance(ours, dict) else ours.values(),
                    np.atleast_1d(theirs) if not isinstance(theirs, dict) else theirs.values()):
        np.testing.assert_array_equal(a, b)
    assert int(loaded.optimizer.iterations.value) == int(model.optimizer.iterations.value) == 4
    assert type(loaded.optimizer).__name__ == "Adam"
    # Continue both: same weights (optimizer slots and dropout seed states restored).
    _fit(model, x, y, 1)
    _fit(loaded, x, y, 1)
    _assert_same_weights(model, loaded)


def test_layerax_archive_members_and_include_optimizer(tmp_path):
    model = sequential()
    model.compile(optimizer="sgd", loss="mse")
    _fit(model, X, Y, 1)
    model.save(str(tmp_path / "m.layerax"))
    with zipfile.ZipFile(tmp_path / "m.layerax") as zf:
        names = set(zf.namelist())
        meta = json.loads(zf.read("metadata.json"))
        config = json.loads(zf.read("config.json"))
    assert names == {"metadata.json", "config.json", "model.weights.npz", "optimizer.npz"}
    assert meta["format"] == "layerax.model"
    assert config["class_name"] == "Sequential" and config["module"] == "layerax.layers"
    assert config["compile_config"]["optimizer"]["class_name"] == "SGD"
    _assert_same_weights(lx.models.load_model(str(tmp_path / "m.layerax")), model)

    model.save(str(tmp_path / "no_opt.layerax"), include_optimizer=False)
    with zipfile.ZipFile(tmp_path / "no_opt.layerax") as zf:
        assert "optimizer.npz" not in zf.namelist()
    loaded = lx.models.load_model(str(tmp_path / "no_opt.layerax"))
    assert int(loaded.optimizer.iterations.value) == 0  # compiled afresh
    assert not getattr(lx.models.load_model(str(tmp_path / "m.layerax"), compile=False), "compiled", False)
    # load_weights also reads an archive's weights.
    fresh = sequential()
    fresh.load_weights(str(tmp_path / "m.layerax"))
    _assert_same_weights(fresh, model)


def test_compile_config_round_trips_objects(tmp_path):
    model = sequential()
    model.compile(
        optimizer=lx.optimizers.SGD(0.05, momentum=0.9),
        loss=lx.losses.Huber(delta=0.5),
        metrics=[lx.metrics.MeanAbsoluteError(name="mae_metric"), "mse"],
    )
    _fit(model, X, Y, 1)
    model.save(str(tmp_path / "m.layerax"))
    loaded = lx.models.load_model(str(tmp_path / "m.layerax"))
    assert loaded.optimizer.momentum == 0.9 and float(loaded.optimizer.learning_rate) == pytest.approx(0.05)
    logs = loaded.evaluate(X, Y, verbose=0, return_dict=True)
    expected = model.evaluate(X, Y, verbose=0, return_dict=True)
    assert set(logs) == {"loss", "mae_metric", "mse"}
    for key in logs:
        assert logs[key] == pytest.approx(expected[key], rel=1e-6)


def test_custom_objects_and_registered_classes(tmp_path):
    class Scale(lx.layers.Layer):  # neither registered nor importable by name
        def __init__(self, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def call(self, x):
            return x * self.factor

    x = lx.Input((3,))
    model = lx.Model(x, Residual(3)(Scale(3.0)(x)))
    model.save(str(tmp_path / "m.layerax"))
    with pytest.raises(ValueError, match="Unknown layer class: 'Scale'.*custom_objects"):
        lx.models.load_model(str(tmp_path / "m.layerax"))
    loaded = lx.models.load_model(str(tmp_path / "m.layerax"), custom_objects={"Scale": Scale})
    np.testing.assert_array_equal(loaded(X), model(X))
    with lx.saving.custom_object_scope({"Scale": Scale}):
        np.testing.assert_array_equal(lx.models.load_model(str(tmp_path / "m.layerax"))(X), model(X))
    assert lx.saving.get_registered_name(Residual) == "tests>Residual"
    assert lx.saving.get_registered_object("tests>Residual") is Residual


def double(x):
    return 2.0 * x


def test_lambda_layers_need_safe_mode_false(tmp_path):
    x = lx.Input((3,))
    model = lx.Model(x, lx.layers.Lambda(lambda t: t + 1.0)(lx.layers.Lambda(double)(x)))
    path = str(tmp_path / "m.layerax")
    model.save(path)
    with pytest.raises(ValueError, match="safe_mode=False"):
        lx.models.load_model(path)
    loaded = lx.models.load_model(path, safe_mode=False)
    np.testing.assert_array_equal(loaded(X), 2.0 * X + 1.0)
    # Functions given as custom objects need no unsafe mode.
    named = lx.Model(x, lx.layers.Lambda(double)(x))
    named.save(path)
    np.testing.assert_array_equal(lx.models.load_model(path, custom_objects={"double": double})(X), 2.0 * X)


def test_unserializable_subclassed_model_and_bad_paths(tmp_path):
    class NoConfig(lx.Model):
        def __init__(self, layer):
            super().__init__()
            self.layer = layer

        def call(self, x):
            return self.layer(x)

    model = NoConfig(lx.layers.Dense(2))
    model(X)
    with pytest.raises(NotImplementedError, match="implement `get_config\\(\\)`.*save_weights"):
        model.save(str(tmp_path / "m.layerax"))
    assert not os.listdir(tmp_path)
    for name, pattern in (("m.h5", "legacy Keras 2 HDF5"), ("m.weights.h5", "save_weights"), ("m", "'.layerax'")):
        with pytest.raises(ValueError, match=pattern):
            sequential().save(str(tmp_path / name))
    with pytest.raises(FileNotFoundError):
        lx.models.load_model(str(tmp_path / "absent.layerax"))


def test_corrupted_or_foreign_archives_give_clear_errors(tmp_path):
    model = sequential()
    path = str(tmp_path / "m.layerax")
    model.save(path)
    with open(path, "rb") as f:
        data = f.read()
    for label, broken in (("truncated", data[: len(data) // 2]), ("flipped", _flip(data, data.index(b"\x93NUMPY") + 200))):
        with open(path, "wb") as f:
            f.write(broken)
        with pytest.raises(ValueError, match="truncated or corrupted.*Nothing was loaded"):
            lx.models.load_model(path)
        target = sequential()
        before = target.get_weights()
        with pytest.raises(ValueError, match="truncated or corrupted"):
            target.load_weights(path)
        for a, b in zip(target.get_weights(), before):
            np.testing.assert_array_equal(a, b)
    # A Keras .keras file under the layerax suffix is recognised and refused with an explanation.
    with zipfile.ZipFile(tmp_path / "k.layerax", "w") as zf:
        zf.writestr("metadata.json", "{}")
        zf.writestr("config.json", "{}")
        zf.writestr("model.weights.h5", b"\x89HDF")
    with pytest.raises(ValueError, match="Keras '.keras' archive, not a layerax one"):
        lx.models.load_model(str(tmp_path / "k.layerax"))


def _flip(data, offset):
    out = bytearray(data)
    out[offset] ^= 0xFF
    return bytes(out)


def test_model_checkpoint_writes_loadable_files(tmp_path):
    model = sequential()
    model.compile(optimizer="adam", loss="mse")
    callbacks = [
        lx.callbacks.ModelCheckpoint(str(tmp_path / "full-{epoch}.keras")),
        lx.callbacks.ModelCheckpoint(str(tmp_path / "w-{epoch}.weights.h5"), save_weights_only=True),
        lx.callbacks.ModelCheckpoint(str(tmp_path / "w-{epoch}.weights.npz"), save_weights_only=True),
    ]
    model.fit(X, Y, batch_size=8, epochs=2, verbose=0, callbacks=callbacks)
    assert sorted(os.listdir(tmp_path)) == ["full-1.keras", "full-2.keras", "w-1.weights.h5",
                                           "w-1.weights.npz", "w-2.weights.h5", "w-2.weights.npz"]
    _assert_same_weights(lx.models.load_model(str(tmp_path / "full-2.keras")), model)
    for name in ("w-2.weights.h5", "w-2.weights.npz"):
        fresh = sequential()
        fresh.load_weights(str(tmp_path / name))
        _assert_same_weights(fresh, model)


@lx.saving.register_serializable(package="tests")
class Tokens(lx.Model):
    """A subclassed model with a dict input holding integer ids."""

    def __init__(self, vocab=10, **kwargs):
        super().__init__(**kwargs)
        self.vocab = vocab
        self.embed = lx.layers.Embedding(vocab, 4)
        self.head = lx.layers.Dense(2)

    def call(self, inputs):
        return self.head(self.embed(inputs["ids"]) * inputs["scale"][..., None])

    def get_config(self):
        return {**super().get_config(), "vocab": self.vocab}


def test_subclassed_model_is_rebuilt_with_the_recorded_input_shapes_and_dtypes(tmp_path):
    model = Tokens(vocab=7)
    x = {"ids": np.array([[1, 2, 6]], "int32"), "scale": np.full((1, 3), 0.5, "float32")}
    model(x)
    model.save(str(tmp_path / "m.layerax"))
    with zipfile.ZipFile(tmp_path / "m.layerax") as zf:
        build = json.loads(zf.read("config.json"))["build_config"]
    assert build == {"input_shape": {"ids": [1, 3], "scale": [1, 3]},
                     "input_dtype": {"ids": "int32", "scale": "float32"}}
    loaded = lx.models.load_model(str(tmp_path / "m.layerax"))
    assert loaded.vocab == 7
    np.testing.assert_array_equal(loaded(x), model(x))
