"""Keras 3's saving hooks under `model.save` / `lx.saving.load_model`, with Keras as the oracle.

The same custom layer is written once per library: it records every hook call,
keeps its kernel under a custom key and an extra scalar in its own-variables
store, and its vocabulary (not in its config) in an asset file. Saving and
loading it with Keras and with layerax must make the same calls, with the same
arguments, and restore the same state.
"""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest

import keras
import layerax as lx


def _hooked_layer(base: type, calls: list) -> type:
    class Vocab(base):  # type: ignore[misc, valid-type]
        def __init__(self, vocab=None, **kwargs):
            super().__init__(**kwargs)
            self.vocab = list(vocab or [])

        def build(self, input_shape):
            calls.append(("build", list(input_shape)))
            self.in_shape = list(input_shape)
            self.kernel = self.add_weight(shape=(input_shape[-1], 2), initializer="zeros", name="kernel")

        def call(self, x):
            return (x @ self.kernel) * float(len(self.vocab))

        def get_build_config(self):
            calls.append(("get_build_config",))
            return {"input_shape": self.in_shape, "note": "custom"}

        def build_from_config(self, config):
            calls.append(("build_from_config", dict(config)))
            self.build(config["input_shape"])

        def save_own_variables(self, store):
            calls.append(("save_own_variables", len(store)))
            store["kernel"] = np.asarray(self.kernel.numpy())
            store["size"] = np.asarray(len(self.vocab), "int32")

        def load_own_variables(self, store):
            calls.append(("load_own_variables", sorted(store.keys())))
            self.kernel.assign(np.asarray(store["kernel"]))
            self.saved_size = int(np.asarray(store["size"]))

        def save_assets(self, dir_path):
            calls.append(("save_assets", sorted(os.listdir(dir_path))))
            with open(os.path.join(dir_path, "vocab.txt"), "w") as f:
                f.write("\n".join(self.vocab))

        def load_assets(self, dir_path):
            calls.append(("load_assets", sorted(os.listdir(dir_path))))
            with open(os.path.join(dir_path, "vocab.txt")) as f:
                self.vocab = f.read().split("\n")

    return Vocab


def _round_trip(lib, tmp_path, suffix: str):
    """Builds, saves and loads a model holding the hooked layer; returns calls and results."""
    calls: list = []
    Vocab = _hooked_layer(lib.layers.Layer, calls)
    kernel = np.random.default_rng(0).normal(size=(3, 2)).astype("float32")
    model = lib.Sequential([lib.Input((3,)), Vocab(vocab=["a", "b", "c"], name="vocab")])
    model.layers[0].kernel.assign(kernel)
    model.compile(optimizer="sgd", loss="mse")
    calls.append("save")
    path = str(tmp_path / f"{lib.__name__}{suffix}")
    model.save(path)
    calls.append("load")
    loaded = lib.saving.load_model(path, custom_objects={"Vocab": Vocab})
    x = np.random.default_rng(1).normal(size=(2, 3)).astype("float32")
    layer = loaded.layers[0]
    return calls, layer, np.asarray(loaded(x)), np.asarray(model(x)), kernel


def test_hooks_match_keras(tmp_path):
    k_calls, k_layer, k_out, k_before, kernel = _round_trip(keras, tmp_path, ".keras")
    l_calls, l_layer, l_out, l_before, _ = _round_trip(lx, tmp_path, ".layerax")
    assert l_calls == k_calls
    # The restored state: kernel (custom key), the extra scalar, the vocabulary asset.
    for layer in (k_layer, l_layer):
        np.testing.assert_array_equal(np.asarray(layer.kernel.numpy()), kernel)
        assert layer.saved_size == 3
        assert layer.vocab == ["a", "b", "c"]
    np.testing.assert_allclose(l_out, k_out, rtol=1e-6)
    np.testing.assert_allclose(l_out, l_before, rtol=1e-6)


def test_weights_files_use_the_hooks(tmp_path):
    """`save_weights` / `load_weights` go through the own-variables store, as in Keras; the
    `.weights.h5` files of the two libraries hold the same custom entries."""
    k_calls: list = []
    l_calls: list = []
    KVocab = _hooked_layer(keras.layers.Layer, k_calls)
    LVocab = _hooked_layer(lx.layers.Layer, l_calls)
    kernel = np.random.default_rng(2).normal(size=(4, 2)).astype("float32")
    k_model = keras.Sequential([keras.Input((4,)), KVocab(vocab=["x"])])
    k_model.layers[0].kernel.assign(kernel)
    path = str(tmp_path / "k.weights.h5")
    k_model.save_weights(path)
    l_model = lx.Sequential([lx.Input((4,)), LVocab(vocab=["x", "y"])])
    l_model.load_weights(path)
    np.testing.assert_array_equal(l_model.layers[0].kernel.numpy(), kernel)
    assert l_model.layers[0].saved_size == 1
    assert l_calls[-1] == ("load_own_variables", ["kernel", "size"])
    # And back: layerax writes the custom entries, Keras reads them through its hook.
    l_model.layers[0].kernel.assign(kernel * 2)
    path = str(tmp_path / "l.weights.h5")
    l_model.save_weights(path)
    k_model.load_weights(path)
    np.testing.assert_array_equal(np.asarray(k_model.layers[0].kernel.numpy()), kernel * 2)
    assert k_model.layers[0].saved_size == 2
    assert [c for c in l_calls if c[0] == "save_own_variables"] == [
        c for c in k_calls if c[0] == "save_own_variables"
    ]


class _Compiled(lx.Sequential):
    log: list = []

    def get_compile_config(self):
        config = super().get_compile_config()
        type(self).log.append(("get_compile_config", config["loss"]))
        return config

    def compile_from_config(self, config):
        type(self).log.append(("compile_from_config", config["loss"]))
        super().compile_from_config(config)


def test_compile_hooks(tmp_path):
    model = _Compiled([lx.Input((2,)), lx.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mae")
    path = str(tmp_path / "c.layerax")
    model.save(path)
    loaded = lx.saving.load_model(path, custom_objects={"_Compiled": _Compiled})
    assert _Compiled.log == [("get_compile_config", "mae"), ("compile_from_config", "mae")]
    assert type(loaded.optimizer).__name__ == "Adam" and loaded.compiled


def test_hooks_that_cannot_be_honoured_raise(tmp_path):
    class BadKey(lx.layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(1,))

        def call(self, x):
            return x * self.w

        def save_own_variables(self, store):
            store["a/b"] = np.zeros(1)

    class NotArray(BadKey):
        def save_own_variables(self, store):
            store["0"] = {"a": 1}

    class Link(BadKey):
        def save_own_variables(self, store):
            store["0"] = self.w

        def save_assets(self, dir_path):
            os.symlink(__file__, os.path.join(dir_path, "link"))

    for cls, error, match in [(BadKey, TypeError, "without '/'"), (NotArray, TypeError, "object array"),
                              (Link, ValueError, "not a regular file")]:
        model = lx.Sequential([lx.Input((1,)), cls()])
        with pytest.raises(error, match=match):
            model.save(str(tmp_path / f"{cls.__name__}.layerax"))


def test_unsaveable_optimizer_warns(tmp_path):
    import optax

    model = lx.Sequential([lx.Input((2,)), lx.layers.Dense(1)])
    model.compile(optimizer=optax.sgd(0.1), loss="mse")
    path = str(tmp_path / "o.layerax")
    model.save(path)
    with pytest.warns(UserWarning, match="was not compiled from its saved compile config"):
        loaded = lx.saving.load_model(path)
    assert not loaded.compiled
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lx.saving.load_model(path, compile=False)


def test_default_hooks_match_keras():
    """The base Layer's hooks: build config and the `"0"`, `"1"`, ... store, as Keras'."""
    x = np.random.default_rng(3).normal(size=(2, 5)).astype("float32")
    k_layer, l_layer = keras.layers.Dense(3), lx.layers.Dense(3)
    k_layer(x)
    l_layer(x)
    assert l_layer.get_build_config() == {"input_shape": tuple(k_layer.get_build_config()["input_shape"])}
    k_store: dict = {}
    k_layer.save_own_variables(k_store)
    l_layer.load_own_variables({key: np.asarray(value) for key, value in k_store.items()})
    np.testing.assert_allclose(np.asarray(l_layer(x)), np.asarray(k_layer(x)), rtol=1e-5, atol=1e-6)
    l_store: dict = {}
    l_layer.save_own_variables(l_store)
    assert sorted(l_store) == sorted(k_store)
    fresh = lx.layers.Dense(3)
    fresh.build_from_config(k_layer.get_build_config())
    assert fresh.kernel.shape == tuple(k_layer.kernel.shape)
    with pytest.raises(ValueError, match="expected 2 variable"):
        fresh.load_own_variables({"0": l_store["0"]})


def test_checkpoint_manager_warns_that_it_skips_the_hooks():
    from layerax.saving import checkpoint

    Vocab = _hooked_layer(lx.layers.Layer, [])
    model = lx.Sequential([lx.Input((3,)), Vocab(vocab=["a"])])
    with pytest.warns(UserWarning, match="does not call its save_own_variables, load_own_variables, "
                                         "save_assets, load_assets"):
        keys = checkpoint._model_variables(model)
    assert list(keys) == ["layers/vocab/vars/0"]
