"""`MultiOptimizer` / `OptimizerMap`: each group moves as its own optimizer alone; Keras 3 parity."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

import layerax as lx
from tests.helpers import assert_close, keras

RNG = np.random.default_rng(3)
PARAMS = [RNG.normal(size=(3, 2)).astype("float32"), RNG.normal(size=(2,)).astype("float32"),
          RNG.normal(size=(2, 2)).astype("float32")]
GRADS = [[RNG.normal(size=p.shape).astype("float32") for p in PARAMS] for _ in range(4)]


def test_each_group_moves_as_its_optimizer_alone():
    variables = [lx.Variable(p, name=f"v{i}") for i, p in enumerate(PARAMS)]
    adam = lx.optimizers.Adam(0.05, global_clipnorm=1.0)
    ftrl = lx.optimizers.Ftrl(0.1, gradient_accumulation_steps=2)
    multi = lx.optimizers.MultiOptimizer([(adam, [variables[0], variables[2]]), (ftrl, variables[1])])
    alone_a = [lx.Variable(PARAMS[0]), lx.Variable(PARAMS[2])]
    alone_f = [lx.Variable(PARAMS[1])]
    opt_a = lx.optimizers.Adam(0.05, global_clipnorm=1.0)
    opt_f = lx.optimizers.Ftrl(0.1, gradient_accumulation_steps=2)
    for g in GRADS:
        multi.apply_gradients(zip(g, variables))  # the tape's path
        opt_a.apply_gradients(zip([g[0], g[2]], alone_a))
        opt_f.apply_gradients(zip([g[1]], alone_f))
        assert_close([v.numpy() for v in variables],
                     [alone_a[0].numpy(), alone_f[0].numpy(), alone_a[1].numpy()])
    assert int(multi.iterations.value) == int(adam.iterations.value) == 4
    assert int(ftrl.iterations) == 2
    assert multi.optimizers == [adam, ftrl]
    with pytest.raises(AttributeError, match="no single learning rate"):
        multi.learning_rate


def test_optimizer_map_matches_keras_and_round_trips():
    k = keras()
    theirs = [k.Variable(p, name=f"v{i}") for i, p in enumerate(PARAMS)]
    k_multi = k.optimizers.MultiOptimizer(k.optimizers.OptimizerMap(
        k.optimizers.Adam(0.01), {"v1": k.optimizers.SGD(0.1), "v[2-9]": k.optimizers.Lamb(0.02)}))
    ours = [lx.Variable(p, name=f"v{i}") for i, p in enumerate(PARAMS)]
    multi = lx.optimizers.MultiOptimizer(lx.optimizers.OptimizerMap(
        lx.optimizers.Adam(0.01), {"v1": lx.optimizers.SGD(0.1), "v[2-9]": lx.optimizers.Lamb(0.02)}))
    step = lx.function(lambda g: multi.apply_gradients(zip(g, ours)))
    for g in GRADS:
        k_multi.apply_gradients(zip(g, theirs))
        step(g)
    # Keras' Adam adds epsilon before the bias correction, optax after: 1e-7-sized differences.
    assert_close([v.numpy() for v in ours], [np.asarray(v.value) for v in theirs], rtol=1e-4, atol=1e-6)
    assert sorted(multi.get_config()) == sorted(k_multi.get_config())
    again = lx.optimizers.deserialize(lx.optimizers.serialize(multi))
    assert type(again) is lx.optimizers.MultiOptimizer
    assert again.get_config() == {**multi.get_config(), "name": again.name}


def test_in_compile_and_fit_each_layer_gets_its_optimizer():
    x = RNG.normal(size=(8, 3)).astype("float32")
    y = RNG.normal(size=(8, 1)).astype("float32")

    def make():
        lx.utils.set_random_seed(0)
        return lx.Sequential([lx.Input((3,)), lx.layers.Dense(4, name="body"),
                              lx.layers.Dense(1, name="head")])

    def fitted(optimizer_for):
        model = make()
        model.compile(optimizer=optimizer_for(model), loss="mse")
        model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)  # one step
        return model

    multi = fitted(lambda m: lx.optimizers.MultiOptimizer(
        [(lx.optimizers.SGD(0.1), m.layers[0]), (lx.optimizers.Adam(0.01), m.layers[1])]))
    sgd = fitted(lambda m: lx.optimizers.SGD(0.1))
    adam = fitted(lambda m: lx.optimizers.Adam(0.01))
    assert_close([w.numpy() for w in multi.layers[0].weights], [w.numpy() for w in sgd.layers[0].weights])
    assert_close([w.numpy() for w in multi.layers[1].weights], [w.numpy() for w in adam.layers[1].weights])
    assert not np.allclose(sgd.layers[1].kernel.numpy(), adam.layers[1].kernel.numpy())


def test_errors():
    a, b = lx.Variable(jnp.ones(2), name="a"), lx.Variable(jnp.ones(2), name="b")
    multi = lx.optimizers.MultiOptimizer([(lx.optimizers.SGD(0.1), a)])
    with pytest.raises(ValueError, match="variable 'b' belongs to none"):
        multi.apply_gradients([(jnp.ones(2), a), (jnp.ones(2), b)])
    with pytest.raises(ValueError, match="only a MultiOptimizer built from an OptimizerMap"):
        multi.get_config()
    with pytest.raises(ValueError, match="LossScaleOptimizer cannot be used inside"):
        lx.optimizers.MultiOptimizer([(lx.optimizers.LossScaleOptimizer(lx.optimizers.SGD()), a)])
    with pytest.raises(TypeError, match="expects an OptimizerMap"):
        lx.optimizers.MultiOptimizer([lx.optimizers.SGD()])
    opt_map = lx.optimizers.OptimizerMap(lx.optimizers.SGD(), {"x.*": lx.optimizers.Adam()})
    with pytest.raises(ValueError, match="already maps"):
        opt_map["x.*"] = lx.optimizers.Adam()
    opt_map[".*y"] = lx.optimizers.Adam()
    with pytest.raises(ValueError, match="matches several keys"):
        opt_map["xy"]
    with pytest.raises(TypeError, match="default_optimizer"):
        lx.optimizers.OptimizerMap("sgd")
