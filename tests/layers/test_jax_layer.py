"""JaxLayer and FlaxLayer: against Keras 3's twins, hand-written optax loops and `jax.grad`."""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from flax import nnx

import layerax as lx
from tests.helpers import keras as _keras

LR = 0.1
STEPS = 4


# ------------------------------------------------------------------ models
class LinenMLP(nn.Module):
    """Dense -> BatchNorm -> relu -> Dropout -> Dense, with a `training` argument."""

    @nn.compact
    def __call__(self, inputs: jax.Array, training: bool = False) -> jax.Array:
        x = nn.Dense(8)(inputs)
        x = nn.BatchNorm(use_running_average=not training, momentum=0.9)(x)
        x = nn.relu(x)
        x = nn.Dropout(0.25, deterministic=not training)(x)
        return nn.Dense(2)(x)


class NNXMLP(nnx.Module):
    """The same MLP in NNX; its dropout draws from its own `nnx.Rngs` stream."""

    def __init__(self, rngs: nnx.Rngs) -> None:
        self.dense1 = nnx.Linear(4, 8, rngs=rngs)
        self.norm = nnx.BatchNorm(8, momentum=0.9, rngs=rngs)
        self.drop = nnx.Dropout(0.25, rngs=rngs)
        self.dense2 = nnx.Linear(8, 2, rngs=rngs)

    def __call__(self, x: jax.Array) -> jax.Array:
        return self.dense2(self.drop(jax.nn.relu(self.norm(self.dense1(x)))))


def _data(n: int = 16) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 4)).astype("float32")
    y = np.stack([x[:, 0] - x[:, 1], x[:, 2] * 0.5], axis=1).astype("float32")
    return x, y


def _fit(layer: lx.layers.Layer, x: np.ndarray, y: np.ndarray) -> list[float]:
    model = lx.Sequential([lx.Input((4,)), layer])
    model.compile(optimizer=lx.optimizers.SGD(LR), loss="mse")
    history = model.fit(x, y, batch_size=len(x), epochs=STEPS, shuffle=False, verbose=0)
    return history.history["loss"]


def _assert_tree_close(actual: object, expected: object, atol: float = 1e-5) -> None:
    a_leaves, a_def = jax.tree_util.tree_flatten(actual)
    e_leaves, e_def = jax.tree_util.tree_flatten(expected)
    assert a_def == e_def
    for a, e in zip(a_leaves, e_leaves):
        np.testing.assert_allclose(np.asarray(a), np.asarray(e), rtol=1e-5, atol=atol)


def _values(tree: object) -> object:
    return jax.tree_util.tree_map(
        lambda v: v.numpy() if isinstance(v, lx.Variable) else v, tree,
        is_leaf=lambda v: isinstance(v, lx.Variable),
    )


# ------------------------------------------------------------ linen + fit
def test_flax_linen_fit_matches_optax_loop():
    x, y = _data()
    module = LinenMLP()
    variables = module.init(jax.random.key(0), x, training=False)
    layer = lx.layers.FlaxLayer(module, variables=variables, seed=7)
    assert [len(layer.trainable_weights), len(layer.non_trainable_weights)] == [6, 2]
    losses = _fit(layer, x, y)
    assert losses[-1] < losses[0]

    def loss_fn(params, stats, rng):
        out, new = module.apply({"params": params, "batch_stats": stats}, x, training=True,
                                rngs={"dropout": rng}, mutable=["batch_stats"])
        return jnp.mean((out - y) ** 2), (new["batch_stats"], out)

    grad_fn = jax.jit(jax.value_and_grad(loss_fn, has_aux=True))
    opt = optax.sgd(LR)
    params, stats = variables["params"], variables["batch_stats"]
    opt_state = opt.init(params)
    gen = lx.random.SeedGenerator(7)  # the stream of the layer's own generator
    ref_losses = []
    for _ in range(STEPS):
        rng = jax.random.key_data(gen.next())
        (loss, (stats, _)), grads = grad_fn(params, stats, rng)
        updates, opt_state = opt.update(grads, opt_state, params)
        params = optax.apply_updates(params, updates)
        ref_losses.append(float(loss))
    np.testing.assert_allclose(losses, ref_losses, rtol=1e-5)
    _assert_tree_close(_values(layer.params), {"params": params})
    _assert_tree_close(_values(layer.state), {"batch_stats": stats})


# -------------------------------------------------------------- nnx + fit
def test_flax_nnx_fit_matches_optax_loop():
    x, y = _data()
    module = NNXMLP(nnx.Rngs(params=0, dropout=1))
    graphdef, params, rest = nnx.split(module, nnx.Param, ...)
    layer = lx.layers.FlaxLayer(module)
    assert len(layer.trainable_weights) == len(jax.tree_util.tree_leaves(params)) == 6
    losses = _fit(layer, x, y)
    assert losses[-1] < losses[0]

    def step(params, rest):
        model = nnx.merge(graphdef, params, rest)
        model.train()
        loss, grads = nnx.value_and_grad(lambda m: jnp.mean((m(x) - y) ** 2))(model)
        _, _, new_rest = nnx.split(model, nnx.Param, ...)
        return loss, grads, new_rest

    step = jax.jit(step)
    opt = optax.sgd(LR)
    opt_state = opt.init(params)
    ref_losses = []
    for _ in range(STEPS):
        loss, grads, rest = step(params, rest)
        updates, opt_state = opt.update(grads, opt_state, params)
        params = optax.apply_updates(params, updates)
        ref_losses.append(float(loss))
    np.testing.assert_allclose(losses, ref_losses, rtol=1e-5)
    _assert_tree_close(_values(layer.params), params)
    # batch statistics and the dropout stream's counter and key (stored as key data)
    stored = jax.tree_util.tree_leaves(_values(layer.state))
    expected = [jax.random.key_data(v) if jnp.issubdtype(v.dtype, jax.dtypes.prng_key) else v
                for v in jax.tree_util.tree_leaves(rest)]
    _assert_tree_close(stored, expected)
    # inference: the module in eval mode, with the trained params and statistics; the
    # layer passed to jax.jit as a pytree (its copy holds copies of the Variables)
    model = nnx.merge(graphdef, params, rest)
    model.eval()
    outputs = jax.jit(lambda layer, x: layer(x))(layer, x)
    np.testing.assert_allclose(outputs, model(x), rtol=1e-5, atol=1e-5)


# ------------------------------------------------------------------ tape
def test_tape_gradients_match_jax_grad_of_apply():
    x, _ = _data(6)
    module = LinenMLP()
    variables = module.init(jax.random.key(1), x, training=False)
    layer = lx.layers.FlaxLayer(module, variables=variables)
    with lx.GradientTape() as tape:
        loss = jnp.sum(layer(x, training=False) ** 2)
    grads = tape.gradient(loss, layer.trainable_variables)

    def ref(params):
        out = module.apply({"params": params, "batch_stats": variables["batch_stats"]}, x)
        return jnp.sum(out**2)

    expected = jax.tree_util.tree_leaves(jax.grad(ref)(variables["params"]))
    assert len(grads) == len(expected)
    for g, e in zip(grads, expected):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-6)


# -------------------------------------------------------- Keras as oracle
@lx.saving.register_serializable(package="test_jax_layer")
def stateful_call(params, state, inputs, training):
    """A running mean of the inputs (updated in training) and a linear map."""
    mean = jnp.where(training, 0.5 * state["mean"] + 0.5 * jnp.mean(inputs, axis=0),
                     state["mean"])
    outputs = (inputs - mean) @ params["dense"]["w"] + params["dense"]["b"]
    return outputs, {"mean": mean, "count": state["count"] + jnp.int32(training)}


@lx.saving.register_serializable(package="test_jax_layer")
def stateful_init(rng, inputs):
    d = inputs.shape[-1]
    params = {"dense": {"w": jnp.ones((d, 3)) / d, "b": jnp.zeros(3)}}
    return params, {"mean": jnp.zeros(d), "count": jnp.zeros((), jnp.int32)}


@pytest.mark.parametrize("shape", [(5, 4), (3, 6)])
def test_jax_layer_matches_keras(shape):
    rng = np.random.default_rng(shape[1])
    x = rng.normal(size=shape).astype("float32")
    params = {"dense": {"w": rng.normal(size=(shape[1], 3)).astype("float32"),
                        "b": rng.normal(size=(3,)).astype("float32")}}
    state = {"mean": rng.normal(size=(shape[1],)).astype("float32"),
             "count": np.zeros((), "int32")}
    keras = _keras()
    ours = lx.layers.JaxLayer(stateful_call, params=params, state=state)
    theirs = keras.layers.JaxLayer(stateful_call, params=params, state=state)
    for training in (False, True, True):
        np.testing.assert_allclose(ours(x, training=training), theirs(x, training=training),
                                   rtol=1e-5, atol=1e-6)
    assert [w.shape for w in ours.trainable_weights] == [tuple(w.shape)
                                                         for w in theirs.trainable_weights]
    for a, b in zip(ours.non_trainable_weights, theirs.non_trainable_weights):
        assert str(a.dtype) == str(b.dtype)
        np.testing.assert_allclose(a.numpy(), keras.ops.convert_to_numpy(b), rtol=1e-6)
    assert int(ours.state["count"].numpy()) == 2

    # built by init_fn from the input shape; Keras' own init_fn path needs TensorFlow
    # (`tf.inside_function`), so its twin gets what init_fn returns on such inputs.
    ours = lx.layers.JaxLayer(stateful_call, init_fn=stateful_init)
    params, state = stateful_init(None, jnp.ones((1, shape[1])))
    theirs = keras.layers.JaxLayer(stateful_call, params=params, state=state)
    np.testing.assert_allclose(ours(x, training=True), theirs(x, training=True), rtol=1e-5)
    assert jax.tree_util.tree_structure(_values(ours.params)) == jax.tree_util.tree_structure(
        jax.tree_util.tree_map(lambda v: v.numpy(), theirs.params))
    assert set(theirs.get_config()) <= set(ours.get_config())


def test_flax_layer_matches_keras_in_inference():
    x, _ = _data(5)
    module = LinenMLP()
    variables = module.init(jax.random.key(2), x, training=False)
    keras = _keras()
    ours = lx.layers.FlaxLayer(module, variables=variables)
    theirs = keras.layers.FlaxLayer(module, variables=variables)
    np.testing.assert_allclose(ours(x), theirs(x), rtol=1e-5, atol=1e-6)
    assert len(ours.trainable_weights) == len(theirs.trainable_weights)
    assert len(ours.non_trainable_weights) == len(theirs.non_trainable_weights)


def test_get_config_round_trip():
    layer = lx.layers.JaxLayer(stateful_call, init_fn=stateful_init, name="stats")
    config = layer.get_config()
    clone = lx.layers.JaxLayer.from_config(config)
    assert clone.call_fn is stateful_call and clone.init_fn is stateful_init
    assert clone.get_config() == config
    x = np.ones((2, 4), "float32")
    np.testing.assert_allclose(clone(x), layer(x))
    keras_config = _keras().layers.JaxLayer(stateful_call, init_fn=stateful_init).get_config()
    assert keras_config["call_fn"]["config"] == "stateful_call"
    assert config["call_fn"]["registered_name"] == "test_jax_layer>stateful_call"


# ------------------------------------------------------------------- rng
def test_rng_from_seed_generator_only_in_training():
    seen = []

    def call_fn(params, rng, inputs):
        seen.append(rng)
        if rng is None:
            return inputs * params
        return inputs * params * jax.random.uniform(rng, inputs.shape)

    layer = lx.layers.JaxLayer(call_fn, params=jnp.float32(2.0), seed=3)
    x = jnp.ones((3,))
    np.testing.assert_allclose(layer(x), 2 * x)
    assert seen[-1] is None
    a, b = layer(x, training=True), layer(x, training=True)
    gen = lx.random.SeedGenerator(3)
    expected = [2 * jax.random.uniform(jax.random.key_data(gen.next()), (3,)) for _ in range(2)]
    np.testing.assert_allclose(a, expected[0])
    np.testing.assert_allclose(b, expected[1])


class NNXNoisy(nnx.Module):
    """An NNX module whose dropout takes its `rngs` at call time."""

    def __init__(self, rngs: nnx.Rngs) -> None:
        self.dense = nnx.Linear(4, 3, rngs=rngs)
        self.drop = nnx.Dropout(0.5)

    def __call__(self, x: jax.Array, rngs: nnx.Rngs | None = None) -> jax.Array:
        return self.drop(self.dense(x), rngs=rngs)


def test_nnx_rngs_argument_from_seed_generator():
    x, _ = _data(5)
    module = NNXNoisy(nnx.Rngs(0))
    layer = lx.layers.FlaxLayer(module, seed=5)
    gen = lx.random.SeedGenerator(5)
    module.train()
    for _ in range(2):
        expected = module(x, rngs=nnx.Rngs(jax.random.key_data(gen.next())))
        np.testing.assert_allclose(layer(x, training=True), expected, rtol=1e-6)
    module.eval()
    np.testing.assert_allclose(layer(x), module(x), rtol=1e-6)


# ---------------------------------------------------------------- errors
def test_errors():
    with pytest.raises(ValueError, match="missing required argument in `call_fn`: `inputs`"):
        lx.layers.JaxLayer(lambda params, x: x, params={})
    with pytest.raises(ValueError, match="unsupported argument in `call_fn`: `deterministic`"):
        lx.layers.JaxLayer(lambda params, inputs, deterministic: inputs, params={})
    with pytest.raises(ValueError, match="cannot all be None"):
        lx.layers.JaxLayer(lambda params, inputs: inputs)
    with pytest.raises(ValueError, match="unsupported argument in `init_fn`: `key`"):
        lx.layers.JaxLayer(lambda params, inputs: inputs, init_fn=lambda key, inputs: {})
    with pytest.raises(TypeError, match="expects a `flax.linen.Module` or a `flax.nnx.Module`"):
        lx.layers.FlaxLayer(lambda inputs: inputs)
    layer = lx.layers.JaxLayer(stateful_call, init_fn=lambda rng, inputs: {"w": inputs})
    with pytest.raises(ValueError, match="must return a tuple `\\(params, state\\)`"):
        layer(np.ones((2, 4), "float32"))
    layer = lx.layers.JaxLayer(lambda params, state, inputs: (inputs, {"other": 1.0}),
                               params={}, state={"mean": np.zeros(2, "float32")})
    with pytest.raises(ValueError, match="structure mismatch"):
        layer(np.ones((2,), "float32"))


@lx.saving.register_serializable(package="test_jax_layer")
class ConfigurableDense(nn.Module):
    """A linen module that Keras and layerax can serialize: it defines get_config."""

    features: int = 2

    @nn.compact
    def __call__(self, inputs: jax.Array) -> jax.Array:
        return nn.Dense(self.features)(inputs)

    def get_config(self) -> dict:
        return {"features": self.features}

    @classmethod
    def from_config(cls, config: dict) -> ConfigurableDense:
        return cls(**config)


def test_flax_layer_get_config():
    x = np.ones((2, 3), "float32")
    module = ConfigurableDense(4)
    variables = module.init(jax.random.key(0), x)
    layer = lx.layers.FlaxLayer(module, variables=variables, name="wrapped")
    config = layer.get_config()
    clone = lx.layers.FlaxLayer.from_config(config)
    assert clone.module == module and clone.get_config() == config
    assert clone(x).shape == (2, 4)
    keras = _keras()
    keras.saving.register_keras_serializable(package="test_jax_layer")(ConfigurableDense)
    keras_config = keras.layers.FlaxLayer(module, variables=variables).get_config()
    assert set(keras_config) <= set(config)
    with pytest.raises(TypeError, match="has no `get_config\\(\\)` method"):
        lx.layers.FlaxLayer(LinenMLP()).get_config()


def test_flax_import_is_lazy_with_a_clear_error(monkeypatch):
    import sys

    # the module imports flax only in FlaxLayer.__init__
    assert not any(name.startswith("flax") for name in vars(lx.layers.jax_layer))
    monkeypatch.setitem(sys.modules, "flax", None)
    with pytest.raises(ImportError, match=r"pip install layerax\[flax\]"):
        lx.layers.FlaxLayer(object())
