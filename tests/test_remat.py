"""lx.remat and lx.RematScope: same values and gradients, less compiled peak memory."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import layerax as lx
from layerax.remat import get_current_remat_mode
from tests.ops._parity import assert_close


def _mlp(depth=6, width=256, activation="gelu"):
    return lx.Sequential([lx.layers.Dense(width, activation=activation) for _ in range(depth)]
                         + [lx.layers.Dense(1)])


def _loss(model, x):
    return jnp.sum(model(x) ** 2)


def _same_weights(target, source):
    for t, s in zip(target.weights, source.weights):
        t.assign(s.numpy())


def _grads(model, x):
    return [g for g in jax.tree_util.tree_leaves(jax.grad(_loss)(model, x))]


def _check_same_gradients(mode, **kwargs):
    x = np.random.default_rng(0).normal(size=(4, 8)).astype("float32")
    plain = _mlp(depth=3, width=16)
    plain(x)
    with lx.RematScope(mode=mode, **kwargs):
        remat = _mlp(depth=3, width=16)
    remat(x)
    _same_weights(remat, plain)
    assert_close(remat(x), plain(x), 1e-6, 1e-6)
    assert_close(_grads(remat, x), _grads(plain, x), 1e-5, 1e-5)
    assert_close(jax.jit(jax.grad(_loss))(remat, x).weights[0].value,
                 jax.grad(_loss)(plain, x).weights[0].value, 1e-5, 1e-5)
    return remat


@pytest.mark.parametrize("mode, kwargs", [
    ("full", {}), ("activations", {}), ("larger_than", {"output_size_threshold": 10}),
    ("list_of_layers", {"layer_names": ["dense_5"]}),
])
def test_remat_modes_give_the_same_values_and_gradients(mode, kwargs):
    remat = _check_same_gradients(mode, **kwargs)
    assert all(layer._remat_mode.mode == mode for layer in remat.layers)


def _remat_primitives(model, x):
    jaxpr = jax.make_jaxpr(jax.grad(_loss))(model, x)
    return str(jaxpr).count("checkpoint") + str(jaxpr).count("remat")


def test_which_layers_are_rematerialized():
    x = jnp.ones((2, 4))
    none = lx.layers.Dense(3)
    none(x)
    assert none._remat_mode is None and _remat_primitives(none, x) == 0
    with lx.RematScope(mode="larger_than", output_size_threshold=100):
        small = lx.layers.Dense(3)
    small(x)
    assert _remat_primitives(small, x) == 0  # 6 output elements: not above the threshold
    with lx.RematScope(mode="larger_than", output_size_threshold=5):
        large = lx.layers.Dense(3)
    large(x)
    assert _remat_primitives(large, x) > 0
    with lx.RematScope(mode="list_of_layers", layer_names=["picked"]):
        picked, other = lx.layers.Dense(3, name="picked"), lx.layers.Dense(3, name="other")
    picked(x), other(x)
    assert _remat_primitives(picked, x) > 0 and _remat_primitives(other, x) == 0
    with lx.RematScope(mode="activations"):
        no_activation = lx.layers.Dense(3, activation=None)
    no_activation(x)
    assert no_activation.activation is not None  # Dense's linear default is a function
    with lx.RematScope(mode="full"):
        with lx.RematScope(mode=None):
            masked = lx.layers.Dense(3)
        assert get_current_remat_mode().mode == "full"
    assert masked._remat_mode is None and get_current_remat_mode() is None


def test_remat_function_gradients_and_static_arguments():
    def f(x, scale, flag=True):
        y = jnp.tanh(x) * scale
        return jnp.sin(y) if flag else y

    x = jnp.linspace(-1.0, 1.0, 5)
    g = jax.grad(lambda v: jnp.sum(lx.remat(f)(v, 2.0, flag=True)))(x)
    want = jax.grad(lambda v: jnp.sum(f(v, 2.0, flag=True)))(x)
    assert_close(g, want, 1e-6, 1e-6)
    assert_close(lx.remat(f)(np.asarray(x), 2.0, flag=False), f(x, 2.0, flag=False))


def test_remat_lowers_compiled_peak_memory_of_a_deep_mlp():
    x = jnp.ones((512, 256))
    plain = _mlp(depth=8, width=256)
    plain(x)
    with lx.RematScope(mode="full"):
        remat = _mlp(depth=8, width=256)
    remat(x)

    def temp_bytes(model):
        compiled = jax.jit(jax.grad(_loss)).lower(model, x).compile()
        return compiled.memory_analysis().temp_size_in_bytes

    plain_bytes, remat_bytes = temp_bytes(plain), temp_bytes(remat)
    # Without remat every gelu layer keeps its pre-activation and intermediate products
    # (512 x 256 float32 = 0.5 MiB each); with it only each layer's input is kept.
    assert remat_bytes < 0.8 * plain_bytes, (plain_bytes, remat_bytes)


def test_remat_with_training_flag_and_model_fit():
    with lx.RematScope(mode="full"):
        model = lx.Sequential([lx.layers.Dense(8, activation="relu"), lx.layers.Dropout(0.0),
                               lx.layers.Dense(1)])
    x = np.random.default_rng(1).normal(size=(16, 4)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(x, y, epochs=3, batch_size=8, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_bad_arguments():
    with pytest.raises(ValueError, match="Invalid RematScope mode"):
        lx.RematScope(mode="everything")
    with pytest.raises(TypeError, match="list of layer names"):
        lx.RematScope(mode="list_of_layers", layer_names="dense")
    with pytest.raises(TypeError, match="callable"):
        lx.remat(3)
