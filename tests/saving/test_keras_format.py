"""`.keras` is Keras 3's format: Keras-written archives load in layerax and the reverse.

Keras 3 (JAX backend) is the oracle: each layer family's model is built with
the same code in both libraries (their APIs match), saved by one and loaded by
the other, and the outputs must agree.
"""

from __future__ import annotations

import os
import zipfile

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras
import numpy as np
import pytest

import layerax as lx

RNG = np.random.default_rng(0)


def _image_families(lib):
    """conv, pooling, normalization, reshaping, regularization and dense layers."""
    L = lib.layers
    return lib.Sequential([
        lib.Input((8, 8, 3)),
        L.Conv2D(4, 3, padding="same", activation="relu"), L.DepthwiseConv2D(3), L.Conv2DTranspose(3, 2),
        L.BatchNormalization(), L.LayerNormalization(), L.GroupNormalization(groups=3),
        L.Cropping2D(1), L.ZeroPadding2D(1), L.MaxPooling2D(), L.AveragePooling2D(2, strides=1),
        L.Reshape((4, 3)), L.Permute((2, 1)), L.Dropout(0.5), L.GaussianNoise(0.1), L.Flatten(),
        L.Dense(4, activation="relu", kernel_regularizer="l2", activity_regularizer="l1"), L.Dense(2),
    ])


def _sequence_families(lib):
    """embedding with masking, and recurrent layers (the mask reaches the LSTM).

    Sequential: a Keras functional graph carries the mask as a `NotEqual` op layer.
    """
    L = lib.layers
    return lib.Sequential([lib.Input((6,), dtype="int32"), L.Embedding(10, 4, mask_zero=True),
                           L.LSTM(5, return_sequences=True), L.GRU(3),
                           L.Dense(2)])


def _graph_families(lib):
    """attention and merging layers, in a functional model with two inputs."""
    L = lib.layers
    q, b = lib.Input((4, 6)), lib.Input((4, 6))
    att = L.MultiHeadAttention(num_heads=2, key_dim=3)(q, b)
    att = L.Attention()([att, q])
    merged = L.Concatenate()([L.Add()([att, b]), L.Multiply()([att, q]), L.Average()([q, b])])
    return lib.Model([q, b], L.GlobalAveragePooling1D()(merged))


FAMILIES = {"image": _image_families, "sequence": _sequence_families, "graph": _graph_families}


def _inputs(model):
    out = []
    for spec in model.inputs:
        shape = (2,) + tuple(spec.shape[1:])
        if "int" in str(spec.dtype):
            x = RNG.integers(0, 10, shape).astype("int32")
            x[:, -2:] = 0  # masked steps
        else:
            x = RNG.standard_normal(shape).astype("float32")
        out.append(x)
    return out if len(out) > 1 else out[0]


def _randomize(keras_model):
    # Non-trivial weights (BatchNorm statistics included) so that every weight matters.
    keras_model.set_weights([RNG.uniform(0.5, 1.5, w.shape).astype(w.dtype) for w in keras_model.get_weights()])


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_keras_archive_loads_in_layerax_and_back(family, tmp_path):
    build = FAMILIES[family]
    k_model = build(keras)
    _randomize(k_model)
    k_model.save(tmp_path / "k.keras")
    lx_model = lx.saving.load_model(str(tmp_path / "k.keras"))
    x = _inputs(k_model)
    np.testing.assert_allclose(np.asarray(lx_model(x)), np.asarray(k_model(x)), rtol=1e-4, atol=1e-5)

    # The reverse: a model built in layerax, saved by layerax, loaded by Keras.
    mine = build(lx)
    mine.set_weights(k_model.get_weights())
    mine.save(str(tmp_path / "lx.keras"))
    back = keras.saving.load_model(tmp_path / "lx.keras")
    assert [type(l).__name__ for l in back.layers] == [type(l).__name__ for l in k_model.layers]
    np.testing.assert_allclose(np.asarray(back(x)), np.asarray(mine(x)), rtol=1e-4, atol=1e-5)


def _dense(lib):
    return lib.Sequential([lib.Input((5,)), lib.layers.Dense(4, activation="relu"), lib.layers.Dense(2)])


def test_compile_config_both_ways(tmp_path):
    k_model = _dense(keras)
    k_model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    x, y = RNG.standard_normal((4, 5)).astype("float32"), np.ones((4, 2), "float32")
    k_model.fit(x, y, verbose=0)
    k_model.save(tmp_path / "k.keras")
    loaded = lx.saving.load_model(str(tmp_path / "k.keras"))
    assert type(loaded.optimizer).__name__ == "Adam"
    assert float(loaded.optimizer.learning_rate) == pytest.approx(0.01)
    assert int(loaded.optimizer.iterations) == 1
    # The restored Adam moments make the next step equal to Keras' next step.
    k_model.fit(x, y, verbose=0)
    loaded.fit(x, y, verbose=0)
    for a, b in zip(loaded.get_weights(), k_model.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert not getattr(lx.saving.load_model(str(tmp_path / "k.keras"), compile=False), "compiled", False)

    mine = _dense(lx)
    mine.compile(optimizer=lx.optimizers.SGD(0.05, momentum=0.9), loss="mae", metrics=["mse"])
    mine.fit(RNG.standard_normal((4, 5)).astype("float32"), np.ones((4, 2), "float32"), verbose=0)
    mine.save(str(tmp_path / "lx.keras"))
    back = keras.saving.load_model(tmp_path / "lx.keras")
    # The optimizer's slots go into Keras' layout: iteration, learning rate, then the momentums,
    # which Keras keeps as `-learning_rate` times optax's gradient trace (`m = 0.9 m - lr g`).
    (group,) = mine.optimizer._groups.values()
    saved = [np.asarray(v) for v in back.optimizer.variables]
    assert int(saved[0]) == 1
    for mine_slot, keras_slot in zip(group.state_vars, saved[2:], strict=True):
        np.testing.assert_allclose(keras_slot, -0.05 * np.asarray(mine_slot.value), rtol=1e-6)
    assert isinstance(back.optimizer, keras.optimizers.SGD)
    assert float(back.optimizer.learning_rate) == pytest.approx(0.05)
    assert back.optimizer.momentum == pytest.approx(0.9)
    with zipfile.ZipFile(tmp_path / "lx.keras") as zf:
        assert {"metadata.json", "config.json", "model.weights.h5"} <= set(zf.namelist())

    # An untrained Adagrad: Keras' initial accumulators (initial_accumulator_value) are written.
    fresh = _dense(lx)
    fresh.compile(optimizer=lx.optimizers.Adagrad(0.1, initial_accumulator_value=0.3), loss="mse")
    fresh.save(str(tmp_path / "ada.keras"))
    k_ada = keras.saving.load_model(tmp_path / "ada.keras")
    for slot in k_ada.optimizer.variables[2:]:
        np.testing.assert_allclose(np.asarray(slot), 0.3)


@keras.saving.register_keras_serializable(package="lxtest")
class KScale(keras.layers.Layer):
    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones")

    def call(self, x):
        return x * self.w * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


KerasScale = KScale  # layerax's classes below take the same names (the weights layout uses them)


@lx.saving.register_serializable(package="lxtest")
class KScale(lx.layers.Layer):
    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones")

    def call(self, x):
        return x * self.w * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


@keras.saving.register_keras_serializable(package="lxtest", name="KNet")
class KerasNet(keras.Model):
    def __init__(self, units=3, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.hidden = keras.layers.Dense(units)
        self.scale = KerasScale(0.5)

    def call(self, x):
        return self.scale(self.hidden(x))

    def get_config(self):
        return {"units": self.units, "name": self.name}


@lx.saving.register_serializable(package="lxtest")
class KNet(lx.Model):
    def __init__(self, units=3, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.hidden = lx.layers.Dense(units)
        self.scale = KScale(0.5)

    def call(self, x):
        return self.scale(self.hidden(x))

    def get_config(self):
        return {"units": self.units, "name": self.name}


def _custom_models(lib, scale, net):
    inner = lib.Sequential([lib.Input((4,)), lib.layers.Dense(4), scale(3.0)], name="inner")
    x = lib.Input((4,))
    nested = lib.Model(x, lib.layers.Dense(2)(inner(x)))
    sub = net(3)
    sub(np.zeros((1, 4), "float32"))
    return nested, sub


def test_custom_and_nested_models_both_ways(tmp_path):
    # The registered names match ('lxtest>KScale' in both libraries), so each loads the other's.
    x = RNG.standard_normal((2, 4)).astype("float32")
    k_models = _custom_models(keras, KerasScale, KerasNet)
    for i, k_model in enumerate(k_models):
        _randomize(k_model)
        k_model.save(tmp_path / f"k{i}.keras")
        mine = lx.saving.load_model(str(tmp_path / f"k{i}.keras"))
        np.testing.assert_allclose(np.asarray(mine(x)), np.asarray(k_model(x)), rtol=1e-5, atol=1e-6)
        mine.save(str(tmp_path / f"lx{i}.keras"))
        back = keras.saving.load_model(tmp_path / f"lx{i}.keras")
        np.testing.assert_allclose(np.asarray(back(x)), np.asarray(k_model(x)), rtol=1e-5, atol=1e-6)


def test_unknown_class_names_it_and_says_how_to_register(tmp_path):
    @keras.saving.register_keras_serializable(package="elsewhere")
    class Unheard(keras.layers.Layer):
        def call(self, x):
            return x

    keras.Sequential([keras.Input((2,)), Unheard()]).save(tmp_path / "u.keras")
    with pytest.raises((ValueError, TypeError), match="Unheard") as err:
        lx.saving.load_model(str(tmp_path / "u.keras"))
    assert "register" in str(err.value)


def _weights(model):
    return [np.asarray(w).copy() for w in model.get_weights()]


def test_damaged_or_foreign_archives_raise_and_change_nothing(tmp_path):
    model = _dense(lx)
    model.save(str(tmp_path / "good.keras"))
    data = (tmp_path / "good.keras").read_bytes()
    (tmp_path / "short.keras").write_bytes(data[: len(data) // 2])
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0xFF
    (tmp_path / "flip.keras").write_bytes(bytes(flipped))
    with zipfile.ZipFile(tmp_path / "foreign.keras", "w") as zf:
        zf.writestr("readme.txt", "not a model")
    (tmp_path / "text.keras").write_text("hello")
    before = _weights(model)
    for name in ("short", "flip", "foreign", "text"):
        with pytest.raises(ValueError, match="Nothing was loaded"):
            lx.saving.load_model(str(tmp_path / f"{name}.keras"))
        with pytest.raises(ValueError):
            model.load_weights(str(tmp_path / f"{name}.keras"))
        for a, b in zip(_weights(model), before):
            np.testing.assert_array_equal(a, b)


def test_layerax_archive_keeps_its_own_extension(tmp_path):
    model = _dense(lx)
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.ones((4, 5), "float32"), np.ones((4, 2), "float32"), verbose=0)
    model.save(str(tmp_path / "m.layerax"))
    again = lx.saving.load_model(str(tmp_path / "m.layerax"))
    assert int(again.optimizer.iterations) == 1
    (tmp_path / "old.keras").write_bytes((tmp_path / "m.layerax").read_bytes())
    with pytest.raises(ValueError, match="layerax archive"):
        lx.saving.load_model(str(tmp_path / "old.keras"))


def test_call_arguments_keras_fills_in_do_not_pin_a_loaded_layer(tmp_path):
    """Keras records `training=False` for a Dropout and `mask=None` for a BatchNormalization;
    the model's `training` overrides them in Keras, so a loaded Dropout drops in training."""
    inputs = keras.Input((64,))
    kept = keras.layers.Dropout(0.5, name="kept")(inputs, training=True)  # an explicit choice
    x = keras.layers.Dropout(0.5, name="drop")(keras.layers.BatchNormalization(name="bn")(inputs))
    reference = keras.Model(inputs, [x, kept])
    reference.save(str(tmp_path / "k.keras"))
    def call_kwargs(model):
        return {layer["name"]: layer["inbound_nodes"][0]["kwargs"] for layer in model.get_config()["layers"][1:]}

    assert call_kwargs(reference) == {"bn": {"mask": None}, "drop": {"training": False}, "kept": {"training": True}}

    model = lx.saving.load_model(str(tmp_path / "k.keras"))
    assert call_kwargs(model) == {
        "bn": {}, "drop": {}, "kept": {"training": True}}
    x = np.ones((2, 64), "float32")
    for lib_model in (reference, model):
        lib_model.get_layer("bn").gamma.assign(np.zeros(64, "float32"))
        lib_model.get_layer("bn").beta.assign(np.ones(64, "float32"))  # bn(x) == 1 in both modes
        dropped, _ = (np.asarray(v) for v in lib_model(x, training=True))
        assert set(np.unique(dropped)) == {0.0, 2.0}, type(lib_model)
        inference, _ = (np.asarray(v) for v in lib_model(x, training=False))
        np.testing.assert_array_equal(inference, np.ones((2, 64)))
        assert 0.0 in np.asarray(lib_model(x)[1])  # training=True was the node's own argument
