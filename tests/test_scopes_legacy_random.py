"""Keras 3 names added for the public-names comparison: `StatelessScope`, `SymbolicScope`,
`Operation`, `random.beta/binomial/gamma`, `config.backend/set_backend/is_nnx_enabled/
enable_unsafe_deserialization`, `utils.legacy` / `legacy.saving`, and the flash-attention switch
of the attention layers. Keras 3 (JAX backend) is the oracle."""

from __future__ import annotations

import numpy as np
import pytest

import layerax as lx
from layerax.core import serialization as core_serialization

keras = pytest.importorskip("keras")


# ---------------------------------------------------------------- random
# The samplers compile slowly (rejection loops): few shapes, shared between the checks.
N = 4000


def test_random_distributions_match_closed_form_moments() -> None:
    g = np.asarray(lx.random.gamma((N,), alpha=3.0, seed=1))
    assert g.dtype == np.float32 and g.shape == (N,)
    np.testing.assert_allclose([g.mean(), g.var()], [3.0, 3.0], rtol=0.12)
    b = np.asarray(lx.random.binomial((N,), counts=10, probabilities=0.3, seed=2))
    assert b.dtype == np.float32 and set(np.unique(b)) <= set(range(11))
    np.testing.assert_allclose([b.mean(), b.var()], [3.0, 2.1], rtol=0.12)
    be = np.asarray(lx.random.beta((N,), alpha=2.0, beta=6.0, seed=3))
    np.testing.assert_allclose([be.mean(), be.var()], [0.25, 2 * 6 / (64 * 9)], rtol=0.12)
    assert be.min() >= 0 and be.max() <= 1
    # Same seed, same draw; a SeedGenerator advances.
    np.testing.assert_array_equal(g, lx.random.gamma((N,), alpha=3.0, seed=1))
    gen = lx.random.SeedGenerator(5)
    assert not np.array_equal(lx.random.gamma((N,), 3.0, seed=gen), lx.random.gamma((N,), 3.0, seed=gen))


def test_random_binomial_broadcasts_list_parameters_like_keras() -> None:
    counts, probs = [1, 5, 50], [0.5, 0.1, 0.9]
    ours = np.asarray(lx.random.binomial((N // 4, 3), counts=counts, probabilities=probs, seed=0))
    theirs = keras.random.binomial((N // 4, 3), counts=counts, probabilities=probs, seed=0)
    assert ours.shape == tuple(theirs.shape) and str(ours.dtype) == str(theirs.dtype)
    np.testing.assert_allclose(ours.mean(axis=0), np.multiply(counts, probs), rtol=0.1)
    assert (ours <= np.asarray(counts)).all()


# ---------------------------------------------------------------- config
def test_backend_and_nnx_switches_match_keras() -> None:
    assert lx.config.backend() == keras.config.backend() == lx.backend.backend() == "jax"
    assert lx.config.is_nnx_enabled() is keras.config.is_nnx_enabled() is False
    lx.config.set_backend("jax")
    with pytest.raises(ValueError, match="JAX only.*'torch'"):
        lx.config.set_backend("torch")
    with pytest.raises(ValueError, match="Available backends"):
        lx.config.set_backend("mxnet")


def test_enable_unsafe_deserialization_lets_lambda_load(tmp_path) -> None:
    model = lx.Sequential([lx.Input((2,)), lx.layers.Lambda(lambda t: t * 3.0)])
    path = str(tmp_path / "m.keras")
    model.save(path)
    with pytest.raises(ValueError, match="safe"):
        lx.saving.load_model(path)
    try:
        lx.config.enable_unsafe_deserialization()
        loaded = lx.saving.load_model(path)  # safe_mode=True by default: the switch wins
        np.testing.assert_allclose(loaded(np.ones((1, 2), "float32")), 3.0)
    finally:
        core_serialization._UNSAFE_GLOBALLY[0] = False
    assert core_serialization.in_safe_mode()


# ---------------------------------------------------------------- legacy serialization
def test_legacy_serialization_matches_keras_format() -> None:
    ours = lx.utils.legacy.serialize_keras_object(lx.layers.Dense(3, name="d", activation="relu"))
    theirs = keras.utils.legacy.serialize_keras_object(
        keras.layers.Dense(3, name="d", activation="relu"))
    assert set(ours) == set(theirs) == {"class_name", "config"}
    assert ours["class_name"] == theirs["class_name"] == "Dense"
    for key in ("units", "activation", "use_bias", "name"):
        assert ours["config"][key] == theirs["config"][key]
    assert lx.utils.legacy.serialize_keras_object(None) is None
    assert lx.legacy.saving.serialize_keras_object is lx.utils.legacy.serialize_keras_object
    layer = lx.utils.legacy.deserialize_keras_object(
        ours, module_objects={"Dense": lx.layers.Dense})
    assert isinstance(layer, lx.layers.Dense) and layer.units == 3
    # A Keras-written legacy dict loads too.
    layer = lx.legacy.saving.deserialize_keras_object(
        theirs, module_objects={"Dense": lx.layers.Dense})
    assert layer.units == 3 and layer.activation is lx.activations.relu
    with pytest.raises(ValueError, match="Unknown layer: 'Dense'"):
        lx.utils.legacy.deserialize_keras_object(ours, printable_module_name="layer")
    with pytest.raises(ValueError, match="class_name"):
        lx.utils.legacy.deserialize_keras_object({"config": {}})
    with pytest.raises(ValueError, match="get_config"):
        lx.utils.legacy.serialize_keras_object(object())


# ---------------------------------------------------------------- StatelessScope
def _bn_model(lib):
    model = lib.Sequential([lib.Input((3,)), lib.layers.Dense(4), lib.layers.BatchNormalization()])
    return model


def test_stateless_scope_matches_keras_and_changes_nothing() -> None:
    x = np.random.default_rng(0).normal(size=(5, 3)).astype("float32")
    ours, theirs = _bn_model(lx), _bn_model(keras)
    theirs.set_weights(ours.get_weights())
    new_kernel = np.full((3, 4), 0.5, "float32")
    before = [w.copy() for w in ours.get_weights()]
    results = []
    for lib, model in ((lx, ours), (keras, theirs)):
        kernel = model.layers[0].kernel
        with lib.StatelessScope(state_mapping=[(kernel, new_kernel)]) as scope:
            y = model(x, training=True)
            kernel.assign(kernel + 1.0)
        bn = model.layers[1]
        results.append((np.asarray(y), np.asarray(scope.get_current_value(bn.moving_mean)),
                        np.asarray(scope.get_current_value(kernel))))
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(results[0][2], new_kernel + 1.0)
    for a, b in zip(before, ours.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_stateless_scope_collects_losses_and_checks_its_mapping() -> None:
    layer = lx.layers.Dense(2, kernel_initializer="ones", activity_regularizer="l2")
    _ = layer(np.ones((1, 3), "float32"))
    with lx.StatelessScope(collect_losses=True) as scope:
        layer(np.ones((1, 3), "float32"))
    assert len(scope.losses) == 1
    np.testing.assert_allclose(scope.losses[0], 0.01 * 2 * 9.0, rtol=1e-6)
    with pytest.raises(ValueError, match="must be variables"):
        lx.StatelessScope([(np.ones(2), np.ones(2))])
    with pytest.raises(ValueError, match="shape"):
        lx.StatelessScope([(layer.kernel, np.ones((2, 2), "float32"))])


# ---------------------------------------------------------------- SymbolicScope and Operation
def test_symbolic_scope_is_open_while_a_functional_graph_is_built() -> None:
    from layerax.core.symbolic_scope import in_symbolic_scope

    seen = []

    class Probe(lx.layers.Layer):
        def call(self, x):
            seen.append(in_symbolic_scope())
            return x

    probe = Probe()
    inputs = lx.Input((2,))
    model = lx.Model(inputs, probe(inputs))
    model(np.ones((1, 2), "float32"))
    assert seen[0] is True and seen[-1] is False
    with lx.SymbolicScope(), lx.SymbolicScope():
        assert in_symbolic_scope()
    assert not in_symbolic_scope()


def test_custom_operation_eager_and_functional_match_keras() -> None:
    def make(lib):
        class Affine(lib.Operation):
            def __init__(self, scale, name=None):
                super().__init__(name=name)
                self.scale = scale

            def call(self, x, shift=0.0):
                return x * self.scale + shift

        return Affine

    x = np.arange(6, dtype="float32").reshape(2, 3)
    ours, theirs = make(lx), make(keras)
    np.testing.assert_allclose(ours(2.0)(x, shift=1.0), theirs(2.0)(x, shift=1.0))
    outs = []
    for lib, cls in ((lx, ours), (keras, theirs)):
        inputs = lib.Input((3,))
        out = cls(3.0, name="aff")(inputs, shift=0.5)
        outs.append(np.asarray(lib.Model(inputs, out)(x)))
        assert tuple(out.shape) == (None, 3)
    np.testing.assert_allclose(outs[0], outs[1])
    assert isinstance(lx.layers.Dense(1), lx.Operation)
    with pytest.raises(NotImplementedError, match="must implement `call"):
        lx.Operation()(x)
    with pytest.raises(ValueError, match="name"):
        ours(1.0, name="a/b")


# ---------------------------------------------------------------- flash attention switch
def test_attention_layers_read_the_flash_attention_switch_like_keras() -> None:
    pairs = [(lambda lib: lib.layers.MultiHeadAttention(2, 4)),
             (lambda lib: lib.layers.GroupQueryAttention(4, 4, 2))]
    try:
        for lib in (lx, keras):
            lib.config.disable_flash_attention()
        for make in pairs:
            assert make(lx)._flash_attention is make(keras)._flash_attention is False
    finally:
        for lib in (lx, keras):
            lib.config.enable_flash_attention()
    for make in pairs:
        assert make(lx)._flash_attention is make(keras)._flash_attention is None
    x = np.ones((1, 3, 8), "float32")
    for layer in (lx.layers.MultiHeadAttention(2, 4, flash_attention=True),
                  lx.layers.GroupQueryAttention(4, 4, 2, flash_attention=True)):
        with pytest.raises(ValueError, match=f"'{layer.name}'.*NVIDIA GPU"):
            layer(x, x)
    with pytest.raises(ValueError, match="Dropout"):
        lx.layers.MultiHeadAttention(2, 4, dropout=0.1, flash_attention=True)
