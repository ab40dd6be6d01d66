"""Activation layers: Activation, ReLU, LeakyReLU, PReLU, ELU, Softmax."""

from __future__ import annotations

import warnings

import jax.numpy as jnp
import numpy as np
import pytest

import layerax as lx
from tests.helpers import assert_close, keras
from tests.layers.harness import check_layer, keras_parity

RNG = np.random.default_rng(1)


def _x(*shape):
    # Away from the kinks (0, thresholds), where subgradients may legitimately differ.
    x = RNG.normal(size=shape).astype("float32") * 2.0
    return np.where(np.abs(x) < 0.05, 0.3, x).astype("float32")


@pytest.mark.parametrize(
    "name,kwargs",
    [
        ("Activation", {"activation": "relu"}),
        ("ReLU", {"max_value": 1.0, "negative_slope": 0.1, "threshold": 0.5}),
        ("LeakyReLU", {"negative_slope": 0.2}),
        ("ELU", {"alpha": 0.5}),
        ("Softmax", {"axis": 1}),
    ],
)
def test_activation_layers_harness(name, kwargs):
    layer = check_layer(lambda: getattr(lx.layers, name)(**kwargs), (2, 3, 4),
                        expected_output_shape=(2, 3, 4), expected_num_trainable_weights=0)
    assert layer.supports_masking
    assert {k: layer.get_config()[k] for k in kwargs} == kwargs


@pytest.mark.parametrize(
    "name,kwargs",
    [
        ("Activation", {"activation": "relu"}),
        ("Activation", {"activation": "tanh"}),
        ("Activation", {"activation": "softmax"}),
        ("ReLU", {}),
        ("ReLU", {"max_value": 6.0}),
        ("ReLU", {"max_value": 1.5}),
        ("ReLU", {"negative_slope": 0.1}),
        ("ReLU", {"threshold": 0.5}),
        ("ReLU", {"max_value": 1.0, "negative_slope": 0.1, "threshold": 0.5}),
        ("ReLU", {"negative_slope": 0.2, "threshold": 1.0}),
        ("LeakyReLU", {}),
        ("LeakyReLU", {"negative_slope": 0.05}),
        ("ELU", {}),
        ("ELU", {"alpha": 0.5}),
        ("Softmax", {}),
        ("Softmax", {"axis": 1}),
        ("Softmax", {"axis": [1, 2]}),
    ],
)
def test_activation_layers_keras_parity(name, kwargs):
    k = keras()
    keras_parity(getattr(lx.layers, name)(**kwargs), getattr(k.layers, name)(**kwargs),
                 _x(2, 3, 4))


def test_relu_formula_and_errors():
    x = jnp.array([-2.0, 0.2, 0.7, 3.0])
    y = lx.layers.ReLU(max_value=1.0, negative_slope=0.1, threshold=0.5)(x)
    assert_close(y, np.array([0.1 * (-2.0 - 0.5), 0.1 * (0.2 - 0.5), 0.7, 1.0]))
    for bad in ({"max_value": -1.0}, {"negative_slope": -0.1}, {"threshold": -1.0}):
        with pytest.raises(ValueError, match=next(iter(bad))):
            lx.layers.ReLU(**bad)
    with pytest.raises(ValueError, match="negative_slope"):
        lx.layers.LeakyReLU(negative_slope=-1.0)


def test_leaky_relu_accepts_deprecated_alpha_with_warning():
    with pytest.warns(UserWarning, match="alpha"):
        layer = lx.layers.LeakyReLU(alpha=0.5)
    assert layer.negative_slope == 0.5


@pytest.mark.parametrize("kwargs", [{}, {"shared_axes": [1, 2]}, {"shared_axes": 2},
                                    {"alpha_initializer": "ones"}])
def test_prelu_harness_and_keras_parity(kwargs):
    k = keras()
    layer = check_layer(lambda: lx.layers.PReLU(**kwargs), (2, 3, 4, 5),
                        expected_num_trainable_weights=1)
    assert layer.weights[0].name == "alpha"
    ours, theirs = lx.layers.PReLU(**kwargs), k.layers.PReLU(**kwargs)
    x = _x(2, 3, 4, 5)
    theirs(x)
    # Random slopes, so the negative side is exercised with non-trivial weights.
    theirs.set_weights([RNG.normal(size=w.shape).astype("float32") for w in theirs.weights])
    keras_parity(ours, theirs, x)
    assert ours.weights[0].shape == tuple(theirs.weights[0].shape)


def test_prelu_shapes_formula_and_errors():
    layer = lx.layers.PReLU(shared_axes=[1, 2], name="pr")
    x = _x(2, 3, 4, 5)
    y = layer(x)
    assert layer.weights[0].shape == (1, 1, 5)
    alpha = layer.weights[0].numpy()
    assert_close(y, np.where(x > 0, x, alpha * x))
    with pytest.raises(ValueError, match=r"'pr'.*axis 3.*value 5.*\(2, 3, 4, 6\)"):
        layer(jnp.ones((2, 3, 4, 6)))
    with pytest.raises(ValueError, match=r"'p_re_lu'.*\[1, 2\].*\(2, 3, 4\).*shared_axes=\[3\]"):
        lx.layers.PReLU(shared_axes=[3])(jnp.ones((2, 3, 4)))


def test_softmax_mask_gives_zero_probability_like_keras():
    k = keras()
    x = _x(2, 5)
    mask = np.array([[True, True, False, True, False], [False, True, True, True, True]])
    ours = lx.layers.Softmax()(x, mask=mask)
    theirs = k.layers.Softmax()(x, mask=mask)
    assert_close(ours, np.asarray(theirs), 1e-5, 1e-7)
    assert np.all(np.asarray(ours)[~mask] == 0.0)
    assert_close(np.asarray(ours).sum(-1), np.ones(2))
    # Broadcast (batch, 1, keys) masks and float masks (> 0.5 keeps) work too.
    x3 = _x(2, 3, 4)
    m3 = np.array([[[1.0, 0.0, 1.0, 1.0]], [[1.0, 1.0, 1.0, 0.0]]], "float32")
    assert_close(lx.layers.Softmax()(x3, mask=m3), np.asarray(k.layers.Softmax()(x3, mask=m3)))
    with pytest.raises(ValueError, match=r"'softmax_\d+'.*broadcastable.*mask.shape=\(2, 3\)"):
        lx.layers.Softmax()(x3, mask=jnp.ones((2, 3), bool))


def test_activation_layers_are_built_at_construction_like_keras():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for layer in (lx.layers.ReLU(), lx.layers.ELU(), lx.layers.Softmax(),
                      lx.layers.LeakyReLU(), lx.layers.Activation("tanh")):
            assert layer.built
    assert not lx.layers.PReLU().built
