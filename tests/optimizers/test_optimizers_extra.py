"""Ftrl, Lamb, Muon, ScheduleFreeAdamW, Nadam, Adafactor against Keras 3's own optimizers on the same gradients."""

from __future__ import annotations

import numpy as np
import pytest

import layerax as lx
from tests.helpers import assert_close, keras

RNG = np.random.default_rng(1)
# Two small shapes of each kind: Muon takes its Newton-Schulz step on the 2-D ones
# (one tall, one wide: both branches of the transpose) and Adam on the 1-D one.
PARAMS = [RNG.normal(size=(3, 4)).astype("float32"), RNG.normal(size=(4,)).astype("float32"),
          RNG.normal(size=(5, 2)).astype("float32")]
GRADS = [[RNG.normal(size=p.shape).astype("float32") for p in PARAMS] for _ in range(4)]

CASES = [
    ("Ftrl", {"learning_rate": 0.1}),
    ("Ftrl", {"learning_rate": 0.1, "learning_rate_power": -0.3, "l1_regularization_strength": 0.05,
              "l2_regularization_strength": 0.1, "l2_shrinkage_regularization_strength": 0.01,
              "beta": 0.2}),
    ("Lamb", {"learning_rate": 0.01}),
    ("Lamb", {"learning_rate": 0.01, "weight_decay": 0.1, "clipnorm": 0.5}),
    ("Muon", {"learning_rate": 0.01}),
    ("Muon", {"learning_rate": 0.01, "nesterov": False, "rms_rate": None, "adam_lr_ratio": 0.5,
              "ns_steps": 3, "exclude_layers": ["v2"]}),
    ("ScheduleFreeAdamW", {"learning_rate": 0.01}),
    ("Nadam", {"learning_rate": 0.01}),
    ("Nadam", {"learning_rate": 0.01, "beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-5, "weight_decay": 0.1}),
    ("Adafactor", {"learning_rate": 0.01}),
    ("Adafactor", {"learning_rate": 0.5, "beta_2_decay": -0.5, "epsilon_2": 1e-2, "clip_threshold": 0.5,
                   "clipnorm": 1.0}),
    ("ScheduleFreeAdamW", {"learning_rate": 0.01, "warmup_steps": 3, "weight_decay": 0.1}),
]


def keras_run(name, kwargs, grads=GRADS):
    k = keras()
    variables = [k.Variable(p, name=f"v{i}") for i, p in enumerate(PARAMS)]
    opt = getattr(k.optimizers, name)(**kwargs)
    for g in grads:
        opt.apply_gradients(zip(g, variables))
    return [np.asarray(v.value) for v in variables], int(opt.iterations)


@pytest.mark.parametrize("name,kwargs", CASES, ids=[f"{n}{i}" for i, (n, _) in enumerate(CASES)])
def test_steps_match_keras(name, kwargs):
    expected, expected_iterations = keras_run(name, kwargs)
    variables = [lx.Variable(p, name=f"v{i}") for i, p in enumerate(PARAMS)]
    opt = getattr(lx.optimizers, name)(**kwargs)
    for g in GRADS:
        opt.apply_gradients(zip(g, variables))
    assert_close([v.numpy() for v in variables], expected, rtol=1e-5, atol=1e-6)
    assert int(opt.iterations.value) == expected_iterations == len(GRADS)


def test_schedule_free_inside_a_compiled_step():
    # The state is created while tracing (zeros stand in): z still starts at the variable.
    expected, _ = keras_run("ScheduleFreeAdamW", {"learning_rate": 0.01})
    variables = [lx.Variable(p, name=f"v{i}") for i, p in enumerate(PARAMS)]
    opt = lx.optimizers.ScheduleFreeAdamW(0.01)
    step = lx.function(lambda g: opt.apply_gradients(zip(g, variables)))
    for g in GRADS:
        step(g)
    assert_close([v.numpy() for v in variables], expected, rtol=1e-5, atol=1e-6)


def _same(a, b):
    if isinstance(a, float) or isinstance(b, float):
        return a == pytest.approx(b)
    return a == b


def test_configs_match_keras_and_round_trip():
    k = keras()
    for name, kwargs in CASES:
        ours = getattr(lx.optimizers, name)(**kwargs)
        theirs = getattr(k.optimizers, name)(**kwargs).get_config()
        config = ours.get_config()
        for key, value in config.items():
            if key != "name":
                assert key in theirs and _same(theirs[key], value), (name, key, theirs.get(key), value)
        assert set(theirs) - set(config) <= {"use_ema", "ema_momentum", "ema_overwrite_frequency",
                                             "loss_scale_factor", "gradient_accumulation_steps"}
        again = lx.optimizers.deserialize(lx.optimizers.serialize(ours))
        assert type(again) is type(ours)
        assert again.get_config() == {**config, "name": again.name}


def test_string_resolution():
    k = keras()
    for name in ["ftrl", "muon", "schedulefreeadamw", "Ftrl", "ScheduleFreeAdamW"]:
        assert type(lx.optimizers.get(name)).__name__ == type(k.optimizers.get(name)).__name__
    # Keras 3.15 forgets Lamb in its name table (get("lamb") raises there); we resolve it.
    assert type(lx.optimizers.get("lamb")) is lx.optimizers.Lamb


def test_bad_arguments():
    with pytest.raises(ValueError, match="learning_rate_power.*Received: learning_rate_power=0.5"):
        lx.optimizers.Ftrl(learning_rate_power=0.5)
    with pytest.raises(ValueError, match="l1_regularization_strength=-1"):
        lx.optimizers.Ftrl(l1_regularization_strength=-1.0)
    with pytest.raises(ValueError, match="ns_steps"):
        lx.optimizers.Muon(ns_steps=-1)
    with pytest.raises(ValueError, match="beta_1"):
        lx.optimizers.ScheduleFreeAdamW(beta_1=0.0)
    # optax's variant had it; Keras' Adafactor always factors the last two axes.
    with pytest.raises(TypeError, match=r"remove `min_dim_size_to_factor`.*optax.adafactor"):
        lx.optimizers.Adafactor(min_dim_size_to_factor=2)


def test_every_keras_optimizers_name_exists_and_legacy_raises_as_keras():
    k = keras()
    missing = [n for n in dir(k.optimizers) if not n.startswith("_") and not hasattr(lx.optimizers, n)]
    assert missing == []
    for name in [n for n in dir(k.optimizers.legacy) if not n.startswith("_")]:
        with pytest.raises(ImportError, match="not supported in Keras 3"):
            getattr(k.optimizers.legacy, name)()
        with pytest.raises(ImportError, match="not supported in Keras 3"):
            getattr(lx.optimizers.legacy, name)()
