"""Regularization layers: statistics and formulas of the random layers, Keras' losses."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import layerax as lx
from tests.helpers import assert_close, keras
from tests.layers.harness import check_layer, keras_parity

RNG = np.random.default_rng(4)

RANDOM_LAYERS = [
    ("Dropout", {"rate": 0.3, "noise_shape": (None, 1, None), "seed": 1}, (2, 3, 4)),
    ("SpatialDropout1D", {"rate": 0.3, "seed": 1}, (2, 3, 4)),
    ("SpatialDropout2D", {"rate": 0.3, "data_format": "channels_first"}, (2, 3, 4, 5)),
    ("SpatialDropout3D", {"rate": 0.3}, (1, 2, 2, 2, 3)),
    ("GaussianNoise", {"stddev": 0.2, "seed": 3}, (2, 3, 4)),
    ("GaussianDropout", {"rate": 0.3}, (2, 3, 4)),
    ("AlphaDropout", {"rate": 0.3, "seed": 2}, (2, 3, 4)),
]


@pytest.mark.parametrize("name,kwargs,shape", RANDOM_LAYERS, ids=[c[0] for c in RANDOM_LAYERS])
def test_random_layers_harness_and_identity_outside_training(name, kwargs, shape):
    make = lambda: getattr(lx.layers, name)(**kwargs)  # noqa: E731
    layer = check_layer(make, shape, expected_output_shape=shape,
                        expected_num_trainable_weights=0, expected_num_non_trainable_weights=0)
    assert layer.built and layer.supports_masking
    # One seed-generator state (a non-trainable variable that is not a weight).
    assert len(layer.variables) == 1 and layer.weights == []
    x = jnp.asarray(RNG.normal(size=shape), jnp.float32)
    for training in (None, False, 0):
        assert layer(x, training=training) is x or np.array_equal(layer(x, training=training), x)
    if name in ("Dropout", "SpatialDropout2D", "GaussianNoise"):
        # The random path through the harness (config, pytree, grad); its statistics are
        # tested below.
        check_layer(make, shape, call_kwargs={"training": True}, expected_output_shape=shape,
                    run_vmap=False)
    config = layer.get_config()
    assert all(config[k] == (tuple(v) if isinstance(v, list) else v) for k, v in kwargs.items())


def test_dropout_kept_fraction_and_scaling():
    rate = 0.3
    y = np.asarray(lx.layers.Dropout(rate, seed=0)(jnp.ones((200, 100)), training=True))
    kept = y != 0
    assert abs(kept.mean() - (1 - rate)) < 0.01  # 20000 draws: std 0.003
    assert_close(y[kept], np.full(kept.sum(), 1 / (1 - rate)))
    assert abs(y.mean() - 1.0) < 0.02
    assert np.array_equal(lx.layers.Dropout(1.0)(jnp.ones((2, 3)), training=True), np.zeros((2, 3)))
    zero = lx.layers.Dropout(0.0)
    assert zero.variables == [] and np.array_equal(zero(jnp.ones(3), training=True), np.ones(3))


def test_dropout_draws_new_masks_each_call_and_seed_reproduces():
    x = jnp.ones((8, 16))
    layer = lx.layers.Dropout(0.5, seed=7)
    first, second = layer(x, training=True), layer(x, training=True)
    assert not np.array_equal(first, second)
    again = lx.layers.Dropout(0.5, seed=7)
    assert np.array_equal(again(x, training=True), first)
    assert np.array_equal(again(x, training=True), second)


def test_dropout_under_lx_function_changes_mask_between_calls():
    layer = lx.layers.Dropout(0.5, seed=3)
    step = lx.function(lambda x: layer(x, training=True))
    x = jnp.ones((8, 16))
    masks = [np.asarray(step(x)) != 0 for _ in range(3)]
    assert not np.array_equal(masks[0], masks[1]) and not np.array_equal(masks[1], masks[2])
    # The compiled calls advanced the layer's own generator, as eager calls would.
    eager = lx.layers.Dropout(0.5, seed=3)
    for mask in masks:
        assert np.array_equal(np.asarray(eager(x, training=True)) != 0, mask)


def test_dropout_stateless_call_returns_the_advanced_seed_state():
    layer = lx.layers.Dropout(0.5, seed=5)
    x = jnp.ones((4, 8))
    state = [v.value for v in layer.non_trainable_variables]
    call = jax.jit(lambda s, x: layer.stateless_call([], s, x, training=True))
    out1, state1 = call(state, x)
    out2, _ = call(state1, x)
    out1_again, _ = call(state, x)
    assert not np.array_equal(out1, out2)
    assert np.array_equal(out1, out1_again)


def test_dropout_noise_shape_and_errors():
    y = lx.layers.Dropout(0.5, noise_shape=(None, 1, None), seed=0)(jnp.ones((4, 3, 5)),
                                                                      training=True)
    assert np.array_equal(y[:, 0], y[:, 1]) and np.array_equal(y[:, 0], y[:, 2])
    with pytest.raises(ValueError, match="between 0 and 1"):
        lx.layers.Dropout(1.5)
    with pytest.raises(ValueError, match="noise_shape"):
        lx.layers.Dropout(0.5, noise_shape=(2, 0))
    with pytest.raises(ValueError, match="noise_shape"):
        lx.layers.Dropout(0.5, noise_shape="batch")
    with pytest.raises(ValueError, match=r"'dr'.*noise_shape.*\(2, 3\)"):
        lx.layers.Dropout(0.5, noise_shape=(2,), name="dr")(jnp.ones((2, 3)), training=True)


@pytest.mark.parametrize(
    "name,kwargs,shape,spatial",
    [
        ("SpatialDropout1D", {}, (50, 4, 40), (1,)),
        ("SpatialDropout2D", {}, (50, 3, 3, 40), (1, 2)),
        ("SpatialDropout2D", {"data_format": "channels_first"}, (50, 40, 3, 3), (2, 3)),
        ("SpatialDropout3D", {}, (50, 2, 2, 2, 40), (1, 2, 3)),
        ("SpatialDropout3D", {"data_format": "channels_first"}, (50, 40, 2, 2, 2), (2, 3, 4)),
    ],
)
def test_spatial_dropout_drops_whole_channels(name, kwargs, shape, spatial):
    rate = 0.4
    y = np.asarray(getattr(lx.layers, name)(rate, seed=0, **kwargs)(jnp.ones(shape),
                                                                    training=True))
    first = y[tuple(slice(0, 1) if a in spatial else slice(None) for a in range(len(shape)))]
    assert np.array_equal(y, np.broadcast_to(first, shape))  # constant over spatial axes
    kept = first != 0
    assert abs(kept.mean() - (1 - rate)) < 0.05  # 2000 channel draws
    assert_close(first[kept], np.full(kept.sum(), 1 / (1 - rate)))
    with pytest.raises(ValueError, match=r"expected ndim=%d" % len(shape)):
        getattr(lx.layers, name)(rate, **kwargs)(jnp.ones((2,) * (len(shape) + 1)))


def test_gaussian_noise_and_dropout_statistics():
    x = jnp.ones((100, 200))
    noise = np.asarray(lx.layers.GaussianNoise(0.3, seed=0)(x, training=True)) - 1.0
    assert abs(noise.mean()) < 0.01 and abs(noise.std() - 0.3) < 0.01
    rate = 0.2
    y = np.asarray(lx.layers.GaussianDropout(rate, seed=0)(x, training=True))
    assert abs(y.mean() - 1.0) < 0.01
    assert abs(y.std() - math.sqrt(rate / (1 - rate))) < 0.01
    with pytest.raises(ValueError, match="stddev"):
        lx.layers.GaussianNoise(2.0)


def test_alpha_dropout_formula_and_moments():
    rate = 0.25
    x = jnp.asarray(RNG.normal(size=(200, 200)), jnp.float32)
    y = np.asarray(lx.layers.AlphaDropout(rate, seed=0)(x, training=True))
    alpha_p = -1.6732632423543772 * 1.0507009873554805
    a = ((1 - rate) * (1 + rate * alpha_p**2)) ** -0.5
    b = -a * alpha_p * rate
    dropped = np.isclose(y, a * alpha_p + b)
    assert abs(dropped.mean() - rate) < 0.01
    assert_close(y[~dropped], a * np.asarray(x)[~dropped] + b, 1e-5, 1e-5)
    assert abs(y.mean()) < 0.02 and abs(y.std() - 1.0) < 0.02


def test_activity_regularization_losses_like_keras():
    k = keras()
    x = RNG.normal(size=(4, 3)).astype("float32")
    ours = lx.layers.ActivityRegularization(l1=0.2, l2=0.3)
    theirs = k.layers.ActivityRegularization(l1=0.2, l2=0.3)
    keras_parity(ours, theirs, x)
    theirs(x)
    ours(x)  # the parity check's last call ran under jax.grad
    assert len(ours.losses) == 1
    assert_close(ours.losses[0], np.asarray(theirs.losses[0]), 1e-6, 1e-6)
    # Per-example penalty: the batch's penalty divided by the batch size.
    assert_close(ours.losses[0], (0.2 * np.abs(x).sum() + 0.3 * (x**2).sum()) / 4, 1e-5, 1e-6)
    ours(x)
    assert len(ours.losses) == 1  # cleared at each top-level call
    _, _, losses = ours.stateless_call([], [], x, return_losses=True)
    assert_close(losses[0], ours.losses[0], 1e-6, 1e-6)
    config = ours.get_config()
    assert config["l1"] == 0.2 and "activity_regularizer" not in config
    check_layer(lambda: lx.layers.ActivityRegularization(l1=0.1), (2, 3))


def test_training_flag_reaches_nested_dropout():
    class Block(lx.layers.Layer):
        def __init__(self):
            super().__init__()
            self.drop = lx.layers.Dropout(0.5, seed=0)
            self.noise = lx.layers.GaussianNoise(0.5, seed=0)

        def call(self, x):
            return self.noise(self.drop(x))

    block, x = Block(), jnp.ones((4, 8))
    assert np.array_equal(block(x), x)
    assert np.array_equal(block(x, training=False), x)
    assert not np.array_equal(block(x, training=True), x)
    compiled = lx.function(lambda x, training: block(x, training=training))
    assert np.array_equal(compiled(x, False), x)
    assert not np.array_equal(compiled(x, True), compiled(x, True))
