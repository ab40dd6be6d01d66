"""Dense: the harness, Keras parity and bad input."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

import layerax as lx
from tests.helpers import keras
from tests.layers.harness import check_layer, keras_parity


def test_dense_harness():
    check_layer(
        lambda: lx.layers.Dense(4, activation="relu"),
        (3, 5),
        expected_output_shape=(3, 4),
        expected_num_trainable_weights=2,
        expected_num_non_trainable_weights=0,
    )


def test_dense_3d_input_no_bias():
    layer = check_layer(lambda: lx.layers.Dense(2, use_bias=False), (2, 3, 5), expected_output_shape=(2, 3, 2))
    assert [w.name for w in layer.weights] == ["kernel"]


@pytest.mark.parametrize("activation,use_bias", [("tanh", True), (None, False)])
def test_dense_keras_parity(activation, use_bias):
    k = keras()
    x = np.random.default_rng(0).normal(size=(4, 6)).astype("float32")
    keras_parity(
        lx.layers.Dense(3, activation=activation, use_bias=use_bias),
        k.layers.Dense(3, activation=activation, use_bias=use_bias),
        x,
    )


def test_dense_rebuilt_with_other_last_dimension_names_layer():
    layer = lx.layers.Dense(2, name="head")
    layer(jnp.ones((1, 3)))
    with pytest.raises(ValueError, match=r"head.*axis -1.*3"):
        layer(jnp.ones((1, 4)))


def test_dense_rejects_bad_units():
    with pytest.raises(ValueError, match="units"):
        lx.layers.Dense(0)


@pytest.mark.parametrize("activity_regularizer", [None, "l2"])
def test_dense_config_keys_match_keras(activity_regularizer):
    ours = lx.layers.Dense(3, activity_regularizer=activity_regularizer).get_config()
    theirs = keras().layers.Dense(3, activity_regularizer=activity_regularizer).get_config()
    assert set(ours) == set(theirs) - {"quantization_config"}  # layerax has no quantization
    again = lx.layers.Dense.from_config(ours)
    assert (again.activity_regularizer is None) == (activity_regularizer is None)
