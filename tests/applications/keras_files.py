"""`.keras` both ways for an application: Keras' file into layerax, layerax's file into Keras.

Shared by the per-family tests, which already proved that the directly built layerax
model predicts like the Keras one: a loaded model with the same config (same
architecture) and bitwise the same weights predicts the same, without compiling again.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import layerax as lx
from tests.helpers import keras


def _ops_as_keras_writes_them(config: Any) -> Any:
    """Keras writes `x + y` and `keras.ops.add(x, y)` as the same `Add` op node, so a loaded
    graph has an `OpLayer` (`numpy.add`) where the built one has a `TensorOperator` (`add`):
    both are compared as (name, op, calls)."""
    for layer in config["layers"]:
        if layer["class_name"] in ("OpLayer", "TensorOperator"):
            layer["class_name"] = layer["registered_name"] = "op"
            op = layer["config"]["op"].split(".")[-1]
            layer["config"] = {"name": layer["config"]["name"], "op": op}
            for node in layer["inbound_nodes"]:
                node["args"] = [a for a in node["args"] if isinstance(a, dict)]
    return config


def _keras_op_names(config: Any) -> str:
    """layerax writes op nodes as `<name>_op` (Keras' loader names the ops it records itself
    after the op, and names must be unique; see `layerax.saving.keras_ops`): named back here."""
    text = repr(config)
    for layer in config["layers"]:
        if str(layer.get("module")).startswith("keras.src.ops.") and layer["name"].endswith("_op"):
            text = text.replace(repr(layer["name"]), repr(layer["name"].removesuffix("_op")))
    return text


def assert_keras_files_cross(reference: Any, built: Any, tmp_path: Any) -> None:
    """`reference` (Keras) saved as `.keras` loads in layerax like `built`; layerax's save loads
    in Keras like `reference`. Weights bitwise, configs equal."""
    reference.save(str(tmp_path / "k.keras"))
    loaded = lx.saving.load_model(str(tmp_path / "k.keras"))
    _assert_same_weights(loaded, reference)
    want = _ops_as_keras_writes_them(built.get_config())
    assert _ops_as_keras_writes_them(loaded.get_config()) == want

    loaded.save(str(tmp_path / "l.keras"))
    back = keras().saving.load_model(str(tmp_path / "l.keras"))
    _assert_same_weights(back, reference)
    assert [type(layer) for layer in back.layers] == [type(layer) for layer in reference.layers]
    assert _keras_op_names(back.get_config()) == repr(reference.get_config())


def _assert_same_weights(ours: Any, theirs: Any) -> None:
    assert len(ours.weights) == len(theirs.weights)
    for a, b in zip(ours.weights, theirs.weights, strict=True):
        ours_value, theirs_value = np.asarray(a.numpy()), np.asarray(b.numpy())
        assert ours_value.dtype == theirs_value.dtype
        np.testing.assert_array_equal(ours_value, theirs_value)
