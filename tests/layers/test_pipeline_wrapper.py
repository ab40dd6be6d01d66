"""Pipeline and the Wrapper base class: Keras 3 parity, config round trips, bad arguments."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

import layerax as lx
from tests.helpers import assert_close, keras
from tests.layers.harness import check_layer


def test_pipeline_matches_keras_and_round_trips():
    k = keras()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 4)).astype("float32")
    ours = lx.layers.Pipeline([lx.layers.Dense(5, name="d1"), lx.layers.ReLU(),
                               lx.layers.Dense(2, name="d2")])
    theirs = k.layers.Pipeline([k.layers.Dense(5, name="d1"), k.layers.ReLU(),
                                k.layers.Dense(2, name="d2")])
    theirs(x)
    ours(x)
    weights = [rng.normal(size=np.shape(w)).astype("float32") for w in theirs.get_weights()]
    theirs.set_weights(weights)
    ours.set_weights(weights)
    assert_close(ours(x), theirs(x), 1e-5, 1e-6)
    assert [l.name for l in ours.layers] == [l.name for l in theirs.layers]
    assert set(ours.get_config()) == set(theirs.get_config()) == {"layers", "name"}
    clone = lx.layers.Pipeline.from_config(ours.get_config())
    assert [type(l).__name__ for l in clone.layers] == ["Dense", "ReLU", "Dense"]
    check_layer(lambda: lx.layers.Pipeline([lx.layers.Dense(3), lx.layers.ReLU()]), (2, 4),
                expected_output_shape=(2, 3), expected_num_trainable_weights=2)


def test_pipeline_passes_training_as_keras():
    # Keras' Pipeline defaults to training=True: dropout is active unless told otherwise.
    k = keras()
    x = np.ones((4, 50), "float32")
    for pipe in (lx.layers.Pipeline([lx.layers.Dropout(0.5)]),
                 k.layers.Pipeline([k.layers.Dropout(0.5)])):
        assert np.any(np.asarray(pipe(x)) == 0)
        assert_close(pipe(x, training=False), x)


def test_pipeline_bad_arguments():
    with pytest.raises(TypeError, match="list of `lx.layers.Layer`"):
        lx.layers.Pipeline(lx.layers.ReLU())
    with pytest.raises(ValueError, match="`layers` key"):
        lx.layers.Pipeline.from_config({"name": "p"})


def test_wrapper_base_class_as_keras():
    k = keras()
    assert issubclass(lx.layers.TimeDistributed, lx.layers.Wrapper)
    assert issubclass(lx.layers.SpectralNormalization, lx.layers.Wrapper)
    # Keras' Bidirectional is not a Wrapper: neither is ours.
    assert not issubclass(k.layers.Bidirectional, k.layers.Wrapper)
    assert not issubclass(lx.layers.Bidirectional, lx.layers.Wrapper)

    class Doubled(lx.layers.Wrapper):
        def call(self, x):
            return 2 * self.layer(x)

    layer = Doubled(lx.layers.Dense(3, name="inner"))
    x = jnp.asarray(np.random.default_rng(1).normal(size=(2, 4)), jnp.float32)
    out = layer(x)
    assert layer.layer.built
    assert_close(out, 2 * (x @ layer.layer.kernel.value + layer.layer.bias.value), 1e-5, 1e-6)
    config = layer.get_config()
    assert config["layer"]["class_name"] == "Dense"
    clone = Doubled.from_config(config)
    assert clone.layer.units == 3
    with pytest.raises(ValueError, match="wraps a `lx.layers.Layer`"):
        Doubled("dense")
