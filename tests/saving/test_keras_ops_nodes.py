"""Functional graphs with op nodes (`keras.ops` / `lx.ops` calls, Python operators,
the `NotEqual` of an `Embedding(mask_zero=True)`) travel through `.keras` both ways.

The same code builds the graph in Keras 3 (JAX backend, the oracle) and in
layerax; each library loads the other's file and the outputs must agree.
"""

from __future__ import annotations

import json
import os
import zipfile

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras
import numpy as np
import pytest

import layerax as lx

RNG = np.random.default_rng(3)


def _graph(lib):
    ops = lib.ops
    tokens = lib.Input((6,), dtype="int32")
    seq = lib.layers.LSTM(3, return_sequences=True)(lib.layers.Embedding(10, 4, mask_zero=True)(tokens))
    a, b = lib.Input((4,)), lib.Input((4,))
    y = ops.multiply(a + b, 2.0) - b
    y = ops.concatenate([y, a], axis=-1)
    y = ops.expand_dims(ops.reshape(y, (-1, 2, 4)), 1)
    y = ops.mean(y, axis=1)
    y = ops.matmul(y, ops.transpose(y, (0, 2, 1)))
    return lib.Model([tokens, a, b], [seq, y[:, 0], ops.not_equal(a, 0.0)])


def _inputs():
    tokens = RNG.integers(1, 10, (2, 6)).astype("int32")
    tokens[:, -2:] = 0  # masked steps: the LSTM must see the Embedding's mask
    a = RNG.standard_normal((2, 4)).astype("float32")
    a[0, 1] = 0.0
    return [tokens, a, RNG.standard_normal((2, 4)).astype("float32")]


def _close(got, want):
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=1e-5, atol=1e-6)


@pytest.fixture(scope="module")
def keras_file(tmp_path_factory):
    k_model = _graph(keras)
    k_model.set_weights([RNG.uniform(-1, 1, w.shape).astype(w.dtype) for w in k_model.get_weights()])
    path = tmp_path_factory.mktemp("ops") / "k.keras"
    k_model.save(path)
    return k_model, path


def test_keras_op_nodes_load_in_layerax_and_go_back(keras_file, tmp_path):
    k_model, path = keras_file
    config = json.loads(zipfile.ZipFile(path).read("config.json"))
    ops_written = {l["class_name"] for l in config["config"]["layers"] if "ops" in str(l["module"])}
    assert {"Add", "Multiply", "Subtract", "Concatenate", "Reshape", "ExpandDims", "Mean",
            "Matmul", "Transpose", "GetItem", "NotEqual"} <= ops_written
    mine = lx.saving.load_model(str(path))
    x = _inputs()
    _close(mine(x), k_model(x))
    # numpy inputs through the Python-list API, and a jax array batch
    _close(mine([np.asarray(v) for v in x]), k_model(x))
    mine.save(str(tmp_path / "again.keras"))
    _close(keras.saving.load_model(tmp_path / "again.keras")(x), k_model(x))


def test_layerax_op_nodes_load_in_keras(keras_file, tmp_path):
    k_model, _ = keras_file
    mine = _graph(lx)
    mine.set_weights(k_model.get_weights())
    mine.save(str(tmp_path / "lx.keras"))
    back = keras.saving.load_model(tmp_path / "lx.keras")
    x = _inputs()
    _close(back(x), mine(x))
    _close(back(x), k_model(x))


def test_mask_reaches_the_lstm_from_the_not_equal_node(keras_file):
    # Changing a masked token must not change the LSTM's output: the mask survived loading.
    _, path = keras_file
    mine = lx.saving.load_model(str(path))
    x = _inputs()
    changed = [x[0].copy(), x[1], x[2]]
    changed[0][:, -1] = 0
    changed[0][:, -2] = 0
    other = [x[0].copy(), x[1], x[2]]
    other[0][:, -2:] = 0
    np.testing.assert_allclose(np.asarray(mine(changed)[0])[:, :4], np.asarray(mine(other)[0])[:, :4])


def test_unknown_op_class_names_it_and_says_how_to_register(keras_file, tmp_path):
    _, path = keras_file
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    config = json.loads(members["config.json"])
    for layer in config["config"]["layers"]:
        if layer["class_name"] == "Mean":
            layer["class_name"] = layer["registered_name"] = "FancyReduce"
    members["config.json"] = json.dumps(config).encode()
    bad = tmp_path / "bad.keras"
    with zipfile.ZipFile(bad, "w") as zf:
        for n, data in members.items():
            zf.writestr(n, data)
    with pytest.raises(ValueError, match="FancyReduce") as err:
        lx.saving.load_model(str(bad))
    assert "register" in str(err.value) and "custom_objects" in str(err.value)
