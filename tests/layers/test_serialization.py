"""`lx.layers.serialize` / `deserialize` against Keras' (test-only oracle)."""

from __future__ import annotations

import json

import numpy as np

import layerax as lx
from tests.helpers import keras


def test_serialize_has_keras_keys_and_round_trips_through_json():
    ours = lx.layers.serialize(lx.layers.Dense(3, kernel_regularizer="l2", name="d"))
    theirs = keras().layers.serialize(keras().layers.Dense(3, kernel_regularizer="l2", name="d"))
    assert list(ours) == list(theirs) == ["module", "class_name", "config", "registered_name"]
    assert ours["class_name"] == theirs["class_name"] and ours["config"]["units"] == 3
    again = lx.layers.deserialize(json.loads(json.dumps(ours)))
    assert type(again) is lx.layers.Dense and again.name == "d"
    assert isinstance(again.kernel_regularizer, lx.regularizers.L2)
    x = np.ones((2, 4), "float32")
    assert again(x).shape == (2, 3)
