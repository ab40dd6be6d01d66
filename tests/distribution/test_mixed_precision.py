"""Mixed precision: dtype policies, autocasting, float32 statistics, bfloat16 training."""

from __future__ import annotations

import time

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import layerax as lx
from tests.helpers import keras

BF16 = jnp.bfloat16


@pytest.fixture(autouse=True)
def _float32_policy_after_each_test():
    yield
    lx.mixed_precision.set_global_policy(None)


# ----------------------------------------------------------------- policies
def test_global_policy_api_has_keras_names():
    assert lx.mixed_precision.global_policy().name == "float32"
    lx.mixed_precision.set_global_policy("mixed_bfloat16")
    policy = lx.mixed_precision.global_policy()
    assert isinstance(policy, lx.mixed_precision.DTypePolicy)
    assert lx.mixed_precision.Policy is lx.mixed_precision.DTypePolicy
    assert (policy.name, policy.compute_dtype, policy.variable_dtype) == (
        "mixed_bfloat16", "bfloat16", "float32")
    assert policy.is_mixed and policy.quantization_mode is None
    layer = lx.layers.Dense(2)
    assert (layer.compute_dtype, layer.variable_dtype, layer.dtype) == (
        "bfloat16", "float32", "float32")
    lx.mixed_precision.set_global_policy(lx.mixed_precision.DTypePolicy("mixed_float16"))
    assert lx.dtype_policies.dtype_policy().compute_dtype == "float16"
    lx.mixed_precision.set_global_policy("float32")
    assert not lx.mixed_precision.global_policy().is_mixed


def test_policies_match_keras_and_round_trip():
    k = keras()
    for name in ("mixed_bfloat16", "mixed_float16", "bfloat16", "float32"):
        ours, theirs = lx.dtype_policies.DTypePolicy(name), k.DTypePolicy(name)
        assert (ours.compute_dtype, ours.variable_dtype) == (
            theirs.compute_dtype, theirs.variable_dtype)
        config = lx.dtype_policies.serialize(ours)
        assert config == k.dtype_policies.serialize(theirs)
        assert lx.dtype_policies.deserialize(config) == ours


def test_bad_policies_are_clear_errors():
    with pytest.raises(ValueError, match="mixed_float16"):
        lx.mixed_precision.set_global_policy("mixed_int8")
    with pytest.raises(ValueError, match="Received: policy=3"):
        lx.mixed_precision.set_global_policy(3)
    with pytest.raises(ValueError, match="Unknown dtype policy"):
        lx.layers.Dense(2, dtype="not_a_dtype")


def test_per_layer_policy_overrides_the_global_one_and_survives_config():
    lx.mixed_precision.set_global_policy("mixed_bfloat16")
    head = lx.layers.Dense(3, dtype="float32")
    assert head.compute_dtype == "float32"
    clone = lx.layers.Dense.from_config(lx.layers.Dense(3, dtype="mixed_float16").get_config())
    assert (clone.compute_dtype, clone.variable_dtype) == ("float16", "float32")


# ------------------------------------------------------------- autocasting
def _dense(policy, units=4, inputs=3):
    layer = lx.layers.Dense(units, dtype=policy)
    layer.build((None, inputs))
    layer.bias.assign(np.linspace(-1, 1, units).astype("float32"))
    return layer


def test_mixed_layer_computes_in_bfloat16_with_float32_variables():
    x = np.random.default_rng(0).standard_normal((5, 3)).astype("float32")
    layer = _dense("mixed_bfloat16")
    out = layer(x)
    assert out.dtype == BF16
    assert layer.kernel.dtype == jnp.float32 and layer.bias.dtype == jnp.float32
    k, b = layer.kernel.numpy(), layer.bias.numpy()
    expected = jnp.matmul(jnp.asarray(x, BF16), jnp.asarray(k, BF16)) + jnp.asarray(b, BF16)
    np.testing.assert_array_equal(np.asarray(out, np.float32), np.asarray(expected, np.float32))
    # Outside the call the variables read as stored.
    assert layer.kernel.value.dtype == jnp.float32


def test_gradients_reach_the_float32_variables():
    x = np.random.default_rng(1).standard_normal((5, 3)).astype("float32")
    layer = _dense("mixed_bfloat16")
    k, b = layer.kernel.numpy(), layer.bias.numpy()

    def reference(k, b):
        y = jnp.matmul(jnp.asarray(x, BF16), k.astype(BF16)) + b.astype(BF16)
        return jnp.sum(y.astype(jnp.float32) ** 2)

    expected = jax.grad(reference, argnums=(0, 1))(jnp.asarray(k), jnp.asarray(b))
    with lx.GradientTape() as tape:
        loss = jnp.sum(layer(x).astype(jnp.float32) ** 2)
    tape_grads = tape.gradient(loss, [layer.kernel, layer.bias])

    def stateless(values):
        out, _ = layer.stateless_call(values, [], x)
        return jnp.sum(out.astype(jnp.float32) ** 2)

    jax_grads = jax.grad(stateless)([jnp.asarray(k), jnp.asarray(b)])
    for grads in (tape_grads, jax_grads):
        assert [g.dtype for g in grads] == [jnp.float32, jnp.float32]
        for g, e in zip(grads, expected):
            np.testing.assert_allclose(np.asarray(g), np.asarray(e), rtol=1e-6)


class _Probe(lx.layers.Layer):
    """Records the dtypes it sees: its input, an autocast weight and a float32-only weight."""

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones")
        self.stat = self.add_weight(shape=(input_shape[-1],), initializer="ones",
                                    autocast=False, trainable=False)

    def call(self, x):
        self.seen = (x.dtype, self.w.value.dtype, self.stat.value.dtype)
        return x * self.w


class _Outer(lx.Model):
    def __init__(self, inner, **kwargs):
        super().__init__(**kwargs)
        self.inner = inner

    def call(self, x):
        return self.inner(x * 2.0)


def test_nested_layers_follow_keras_autocast_scopes():
    # Expected dtypes (input, autocast weight, autocast=False weight) as Keras 3 reports them.
    x = np.ones((2, 3), "float32")
    # A float32 layer inside a mixed model: inputs cast back up, weights read in float32.
    inner = _Probe(dtype="float32")
    _Outer(inner, dtype="mixed_bfloat16")(x)
    assert inner.seen == (jnp.float32, jnp.float32, jnp.float32)
    # A mixed layer: its input and autocast weights in bfloat16, autocast=False weights not.
    inner = _Probe(dtype="mixed_bfloat16")
    _Outer(inner, dtype="float32")(x)
    assert inner.seen == (BF16, BF16, jnp.float32)
    # autocast=False: inputs left alone; inside a mixed model the scope is cleared...
    inner = _Probe(dtype="mixed_bfloat16", autocast=False)
    _Outer(inner, dtype="mixed_bfloat16")(x)
    assert inner.seen == (BF16, jnp.float32, jnp.float32)
    # ... but a mixed layer still opens one for itself (Keras 3 does the same).
    inner = _Probe(dtype="mixed_bfloat16", autocast=False)
    _Outer(inner, dtype="float32")(x)
    assert inner.seen == (jnp.float32, BF16, jnp.float32)


def test_integer_inputs_are_not_cast_and_float32_layers_cast_half_inputs_like_keras():
    emb = lx.layers.Embedding(10, 4, dtype="mixed_bfloat16")
    assert emb(np.array([[1, 2]])).dtype == BF16
    k_layer = keras().layers.Dense(2)
    lx_layer = lx.layers.Dense(2)
    half = np.ones((1, 3), "float16")
    assert lx_layer(half).dtype == jnp.float32
    assert str(k_layer(half).dtype) == "float32"


# ------------------------------------------------- float32 where it matters
@pytest.mark.parametrize("name", ["LayerNormalization", "BatchNormalization",
                                  "GroupNormalization"])
def test_normalization_statistics_in_float32_match_keras_mixed(name):
    k = keras()
    kwargs = {"groups": 2} if name == "GroupNormalization" else {}
    # Large offsets: bfloat16 statistics would lose the small variations entirely.
    x = (1000.0 + np.random.default_rng(2).standard_normal((8, 4))).astype("float32")
    ours = getattr(lx.layers, name)(dtype="mixed_bfloat16", **kwargs)
    theirs = getattr(k.layers, name)(dtype="mixed_bfloat16", **kwargs)
    ours.build(x.shape)
    theirs.build(x.shape)
    assert all(v.dtype == jnp.float32 for v in ours.weights)
    ours.set_weights([w + 0.1 * i for i, w in enumerate(theirs.get_weights())])
    theirs.set_weights(ours.get_weights())
    training = name == "BatchNormalization"
    out = ours(x, training=training)
    expected = np.asarray(theirs(x, training=training), np.float32)
    assert out.dtype == BF16
    np.testing.assert_allclose(np.asarray(out, np.float32), expected, rtol=1e-2, atol=2e-2)
    assert np.abs(expected).max() > 0.5  # the normalised values survived
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_softmax_normalises_in_float32():
    logits = jnp.asarray(np.linspace(-3, 3, 40).reshape(2, 20), BF16)
    expected = jax.nn.softmax(logits.astype(jnp.float32), axis=-1).astype(BF16)
    layer_out = lx.layers.Softmax(dtype="mixed_bfloat16")(logits)
    assert layer_out.dtype == BF16
    np.testing.assert_array_equal(np.asarray(layer_out), np.asarray(expected))
    np.testing.assert_array_equal(np.asarray(lx.activations.softmax(logits)), np.asarray(expected))
    log_expected = jax.nn.log_softmax(logits.astype(jnp.float32)).astype(BF16)
    np.testing.assert_array_equal(np.asarray(lx.activations.log_softmax(logits)),
                                  np.asarray(log_expected))


def test_losses_and_metrics_compute_in_float32_under_a_mixed_policy():
    lx.mixed_precision.set_global_policy("mixed_bfloat16")
    loss = lx.losses.SparseCategoricalCrossentropy(from_logits=True)
    metric = lx.metrics.SparseCategoricalAccuracy()
    assert loss.dtype == "float32" and metric.dtype == "float32"
    logits = jnp.asarray([[2.0, 0.5, -1.0]], BF16)
    value = loss(np.array([0]), logits)
    assert value.dtype == jnp.float32
    expected = -jax.nn.log_softmax(logits.astype(jnp.float32))[0, 0]
    np.testing.assert_allclose(float(value), float(expected), rtol=1e-6)


# ----------------------------------------------------------- bfloat16 training
class _DigitsNet(lx.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.hidden = lx.layers.Dense(64, activation="relu")
        self.norm = lx.layers.LayerNormalization()
        self.out = lx.layers.Dense(10)

    def call(self, x):
        return self.out(self.norm(self.hidden(x)))


def test_mixed_bfloat16_training_converges_on_digits_with_float32_variables():
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = (digits.data / 16.0).astype("float32")
    y = digits.target.astype("int32")
    order = np.random.default_rng(0).permutation(len(x))
    x, y = x[order], y[order]
    lx.mixed_precision.set_global_policy("mixed_bfloat16")
    model = _DigitsNet()
    model.compile(optimizer=lx.optimizers.Adam(1e-2),
                  loss=lx.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    start = time.perf_counter()
    history = model.fit(x[:1400], y[:1400], batch_size=100, epochs=4, verbose=0,
                        validation_data=(x[1400:1700], y[1400:1700]))
    elapsed = time.perf_counter() - start
    assert history.history["val_accuracy"][-1] >= 0.9, history.history
    assert elapsed < 60
    assert model.compute_dtype == "bfloat16"
    assert model.predict(x[:5], verbose=0).dtype == BF16
    assert all(v.dtype == jnp.float32 for v in model.trainable_variables)
    assert all(v.dtype == jnp.float32 for v in model.optimizer.variables
               if jnp.issubdtype(v.dtype, jnp.floating))


def test_functional_model_leaves_input_casting_to_its_layers():
    lx.mixed_precision.set_global_policy("mixed_bfloat16")
    inputs = lx.Input((3,))
    head = lx.layers.Dense(2, dtype="float32")
    model = lx.Model(inputs, head(inputs))
    x = np.array([[1.001, 2.003, -0.5007]], "float32")  # not representable in bfloat16
    expected = x @ head.kernel.numpy() + head.bias.numpy()
    out = model(x)
    assert out.dtype == jnp.float32
    np.testing.assert_allclose(np.asarray(out), expected, rtol=1e-6)
