"""`gradient_accumulation_steps=N`: against N steps accumulated by hand and against Keras 3."""

from __future__ import annotations

import numpy as np
import pytest

import layerax as lx
from tests.helpers import assert_close, keras

RNG = np.random.default_rng(2)
PARAMS = [RNG.normal(size=(3, 2)).astype("float32"), RNG.normal(size=(2,)).astype("float32")]
GRADS = [[RNG.normal(size=p.shape).astype("float32") for p in PARAMS] for _ in range(6)]


def test_matches_mean_gradient_steps_by_hand():
    # Every 3rd step applies the mean of the last 3 gradients; the others change nothing.
    variables = [lx.Variable(p) for p in PARAMS]
    opt = lx.optimizers.Adam(0.05, gradient_accumulation_steps=3)
    step = lx.function(lambda g: opt.apply_gradients(zip(g, variables)))
    by_hand = [lx.Variable(p) for p in PARAMS]
    plain = lx.optimizers.Adam(0.05)
    for i, g in enumerate(GRADS):
        step(g)
        if i % 3 == 2:
            mean = [np.mean([GRADS[j][k] for j in range(i - 2, i + 1)], axis=0) for k in range(2)]
            plain.apply_gradients(zip(mean, by_hand))
        assert_close([v.numpy() for v in variables], [v.numpy() for v in by_hand], rtol=1e-5)
        assert int(opt.iterations) == (i + 1) // 3  # real updates, as Keras' `iterations`
        assert int(opt.variables[0].value) == i + 1  # the `iteration` variable counts every step


def test_schedule_sees_every_step():
    # Keras: learning-rate schedules read the step count, not the update count.
    schedule = lx.optimizers.schedules.PiecewiseConstantDecay([2], [1.0, 0.1])
    v = lx.Variable(np.zeros(1, "float32"))
    opt = lx.optimizers.SGD(schedule, gradient_accumulation_steps=2)
    for g in [1.0, 3.0, 5.0, 7.0]:
        opt.apply_gradients([(np.array([g], "float32"), v)])
    # update 1 at step index 1 (lr 1.0, mean 2); update 2 at step index 3 (lr 0.1, mean 6)
    assert_close(v.numpy(), [-(1.0 * 2.0 + 0.1 * 6.0)])


@pytest.mark.parametrize("name,kwargs", [
    # Clipping of the mean gradient and weight decay only on the update steps, as Keras.
    ("SGD", {"learning_rate": 0.1, "weight_decay": 0.1, "clipnorm": 0.5,
             "gradient_accumulation_steps": 2}),
    ("SGD", {"learning_rate": 0.1, "momentum": 0.9, "global_clipnorm": 1.0,
             "gradient_accumulation_steps": 2}),
])
def test_matches_keras_step_by_step(name, kwargs):
    k = keras()
    theirs = [k.Variable(p) for p in PARAMS]
    k_opt = getattr(k.optimizers, name)(**kwargs)
    ours = [lx.Variable(p) for p in PARAMS]
    opt = getattr(lx.optimizers, name)(**kwargs)
    for g in GRADS[:4]:
        k_opt.apply_gradients(zip(g, theirs))
        opt.apply_gradients(zip(g, ours))
        assert_close([v.numpy() for v in ours], [np.asarray(v.value) for v in theirs], rtol=1e-5)
        assert int(opt.iterations) == int(k_opt.iterations)
    config = opt.get_config()
    assert config["gradient_accumulation_steps"] == k_opt.get_config()["gradient_accumulation_steps"]
    again = lx.optimizers.deserialize(lx.optimizers.serialize(opt))
    assert again.gradient_accumulation_steps == kwargs["gradient_accumulation_steps"]


def test_bad_steps_are_rejected():
    for bad in [1, -2, 2.5, "2"]:
        with pytest.raises(ValueError, match=r"`gradient_accumulation_steps` must be an integer >= 2"):
            lx.optimizers.Adam(gradient_accumulation_steps=bad)
    assert lx.optimizers.Adam(gradient_accumulation_steps=None).gradient_accumulation_steps is None
