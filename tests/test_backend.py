"""lx.backend and lx.config: Keras backend helpers."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import layerax as lx
from tests.helpers import assert_close


def test_int_shape():
    assert lx.backend.int_shape(jnp.zeros((2, 3))) == (2, 3)
    assert lx.backend.int_shape(np.zeros((4,))) == (4,)
    assert lx.backend.int_shape(lx.Variable(jnp.zeros((1, 5)))) == (1, 5)
    assert lx.backend.int_shape([[1, 2, 3]]) == (1, 3)


def test_settings_round_trip_and_validation():
    assert lx.backend.floatx() == lx.config.floatx() == "float32"
    lx.backend.set_floatx("float16")
    try:
        assert lx.config.floatx() == "float16"
        assert lx.Layer().add_weight(shape=(1,)).dtype == jnp.float16
    finally:
        lx.backend.set_floatx("float32")
    with pytest.raises(ValueError, match="Unknown floatx"):
        lx.backend.set_floatx("float8")
    lx.backend.set_epsilon(1e-4)
    try:
        assert lx.config.epsilon() == 1e-4
    finally:
        lx.backend.set_epsilon(1e-7)
    lx.backend.set_image_data_format("channels_first")
    try:
        assert lx.config.image_data_format() == "channels_first"
        assert lx.config.standardize_data_format(None) == "channels_first"
    finally:
        lx.backend.set_image_data_format("channels_last")
    with pytest.raises(ValueError, match="data_format"):
        lx.backend.set_image_data_format("nhwc")


def test_clear_session_resets_names_and_policy():
    lx.layers.Dense(1)
    lx.config.set_dtype_policy("mixed_bfloat16")
    lx.backend.clear_session()
    assert lx.layers.Dense(1).name == "dense"
    assert lx.config.dtype_policy().name == "float32"


def test_gradients_matches_jax_grad():
    w = lx.Variable(jnp.array([[1.0, -2.0], [0.5, 3.0]]))
    b = lx.Variable(jnp.array([0.1, 0.2]))
    x = jnp.array([[1.0, 2.0]])

    def loss():
        return jnp.sum(jnp.tanh(x @ w + b) ** 2)

    ref = jax.grad(lambda p: jnp.sum(jnp.tanh(x @ p[0] + p[1]) ** 2))([w.value, b.value])
    assert_close(lx.backend.gradients(loss, [w, b]), ref)
    with pytest.raises(TypeError, match="zero-argument function"):
        lx.backend.gradients(loss(), [w])


def test_learning_phase_follows_training_argument():
    seen = []

    class Probe(lx.layers.Layer):
        def call(self, x, training=None):
            seen.append(lx.backend.learning_phase())
            return x

    probe = Probe()
    probe(jnp.ones(1), training=True)
    probe(jnp.ones(1), training=False)
    assert seen == [1, 0] and lx.backend.learning_phase() == 0
