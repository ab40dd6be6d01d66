"""Optimizers against optax directly on the same gradients; Keras behaviour around them."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import layerax as lx
from tests.helpers import assert_close, keras

RNG = np.random.default_rng(0)
PARAMS = [RNG.normal(size=(3, 2)).astype("float32"), RNG.normal(size=(2,)).astype("float32")]
GRADS = [[RNG.normal(size=p.shape).astype("float32") for p in PARAMS] for _ in range(4)]

CASES = [
    (lambda: lx.optimizers.SGD(0.1), optax.sgd(0.1)),
    (lambda: lx.optimizers.SGD(0.1, momentum=0.9, nesterov=True), optax.sgd(0.1, momentum=0.9, nesterov=True)),
    (lambda: lx.optimizers.Adam(0.01), optax.adam(0.01, eps=1e-7)),
    (lambda: lx.optimizers.Adam(0.01, amsgrad=True), optax.amsgrad(0.01, eps=1e-7)),
    (lambda: lx.optimizers.AdamW(0.01, weight_decay=0.1), optax.adamw(0.01, eps=1e-7, weight_decay=0.1)),
    (lambda: lx.optimizers.RMSprop(0.01, momentum=0.5, centered=True),
     optax.rmsprop(0.01, decay=0.9, eps=1e-7, eps_in_sqrt=True, centered=True, momentum=0.5)),
    (lambda: lx.optimizers.Adagrad(0.1), optax.adagrad(0.1, initial_accumulator_value=0.1, eps=1e-7)),
    (lambda: lx.optimizers.Adadelta(1.0), optax.adadelta(1.0, rho=0.95, eps=1e-7)),
    (lambda: lx.optimizers.Adamax(0.01), optax.adamax(0.01, eps=1e-7)),
    (lambda: lx.optimizers.Lion(0.01), optax.lion(0.01, weight_decay=0.0)),
]


def run_optax(tx):
    params = [jnp.asarray(p) for p in PARAMS]
    state = tx.init(params)
    for g in GRADS:
        updates, state = tx.update([jnp.asarray(x) for x in g], state, params)
        params = optax.apply_updates(params, updates)
    return params


@pytest.mark.parametrize("make,tx", CASES, ids=[type(m()).__name__ + str(i) for i, (m, _) in enumerate(CASES)])
def test_matches_optax_eager_and_compiled(make, tx):
    expected = run_optax(tx)
    # eager apply_gradients (one compiled update per call under the hood)
    variables = [lx.Variable(p) for p in PARAMS]
    opt = make()
    for g in GRADS:
        opt.apply_gradients(zip(g, variables))
    assert_close([v.value for v in variables], expected, rtol=1e-5, atol=1e-6)
    assert int(opt.iterations.value) == len(GRADS)
    # inside lx.function
    variables = [lx.Variable(p) for p in PARAMS]
    opt = make()
    step = lx.function(lambda g: opt.apply_gradients(zip(g, variables)))
    for g in GRADS:
        step([jnp.asarray(x) for x in g])
    assert_close([v.value for v in variables], expected, rtol=1e-5, atol=1e-6)


def test_wrapping_any_optax_transformation():
    tx = optax.chain(optax.clip_by_global_norm(0.5), optax.adamw(1e-2))
    variables = [lx.Variable(p) for p in PARAMS]
    opt = lx.optimizers.Optimizer(tx)
    for g in GRADS:
        opt.apply_gradients(zip(g, variables))
    assert_close([v.value for v in variables], run_optax(tx), rtol=1e-5)
    with pytest.raises(AttributeError, match="inject_hyperparams"):
        opt.learning_rate
    assert isinstance(lx.optimizers.get(optax.sgd(0.1)), lx.optimizers.Optimizer)


def test_clipping_matches_formulas():
    g = np.array([3.0, 4.0], "float32")  # norm 5
    for kwargs, expected_step in [
        ({"clipnorm": 1.0}, g / 5.0),
        ({"clipvalue": 3.5}, np.minimum(g, 3.5)),
        ({"global_clipnorm": 2.5}, g / 2.0),
    ]:
        v = lx.Variable(np.zeros(2, "float32"))
        lx.optimizers.SGD(1.0, **kwargs).apply_gradients([(g, v)])
        assert_close(v.numpy(), -expected_step)
    with pytest.raises(ValueError, match="Only one of `clipnorm` and `global_clipnorm`"):
        lx.optimizers.SGD(clipnorm=1.0, global_clipnorm=1.0)


def test_generic_weight_decay_is_decoupled():
    v = lx.Variable(np.array([2.0], "float32"))
    lx.optimizers.SGD(0.1, weight_decay=0.5).apply_gradients([(np.array([1.0], "float32"), v)])
    assert_close(v.numpy(), [2.0 - 0.1 * 1.0 - 0.1 * 0.5 * 2.0])
    w, b = lx.Variable(np.array([2.0], "float32"), name="w"), lx.Variable(np.array([2.0], "float32"), name="bias")
    opt = lx.optimizers.SGD(0.1, weight_decay=0.5)
    opt.exclude_from_weight_decay(var_names=["bias"])
    opt.apply_gradients([(np.zeros(1, "float32"), w), (np.zeros(1, "float32"), b)])
    assert_close([w.numpy(), b.numpy()], [[1.9], [2.0]])


def test_learning_rate_variable_and_setter():
    opt = lx.optimizers.SGD(0.5)
    v = lx.Variable(np.array([0.0], "float32"))
    opt.apply_gradients([(np.ones(1, "float32"), v)])
    opt.learning_rate = 0.25
    assert_close(opt.learning_rate, 0.25)
    opt.apply_gradients([(np.ones(1, "float32"), v)])
    assert_close(v.numpy(), [-0.75])


@pytest.mark.parametrize(
    "name,kwargs",
    [
        ("ExponentialDecay", {"initial_learning_rate": 0.1, "decay_steps": 3, "decay_rate": 0.5, "staircase": True}),
        ("ExponentialDecay", {"initial_learning_rate": 0.1, "decay_steps": 3, "decay_rate": 0.5}),
        ("PiecewiseConstantDecay", {"boundaries": [2, 5], "values": [1.0, 0.5, 0.1]}),
        ("PolynomialDecay", {"initial_learning_rate": 1.0, "decay_steps": 4, "power": 2.0}),
        ("PolynomialDecay", {"initial_learning_rate": 1.0, "decay_steps": 4, "cycle": True}),
        ("InverseTimeDecay", {"initial_learning_rate": 1.0, "decay_steps": 2, "decay_rate": 0.5, "staircase": True}),
        ("CosineDecay", {"initial_learning_rate": 1.0, "decay_steps": 6, "alpha": 0.1}),
        ("CosineDecay", {"initial_learning_rate": 0.0, "decay_steps": 6, "warmup_target": 1.0, "warmup_steps": 3}),
        ("CosineDecayRestarts", {"initial_learning_rate": 1.0, "first_decay_steps": 3}),
        ("CosineDecayRestarts", {"initial_learning_rate": 1.0, "first_decay_steps": 3, "t_mul": 1.0, "m_mul": 0.5}),
    ],
)
def test_schedules_match_keras(name, kwargs):
    k = keras()
    ours = getattr(lx.optimizers.schedules, name)(**kwargs)
    theirs = getattr(k.optimizers.schedules, name)(**kwargs)
    for step in range(12):
        assert_close(ours(step), np.asarray(theirs(step)), rtol=1e-5, atol=1e-6)
    again = lx.optimizers.schedules.deserialize(lx.optimizers.schedules.serialize(ours))
    assert again.get_config() == ours.get_config()


def test_schedule_drives_the_optimizer():
    schedule = lx.optimizers.schedules.PiecewiseConstantDecay([1], [1.0, 0.1])
    opt = lx.optimizers.SGD(schedule)
    v = lx.Variable(np.zeros(1, "float32"))
    for _ in range(3):
        opt.apply_gradients([(np.ones(1, "float32"), v)])
    assert_close(v.numpy(), [-(1.0 + 1.0 + 0.1)])
    with pytest.raises(TypeError, match="schedule"):
        opt.learning_rate = 0.5


def test_constraints_applied_after_each_step():
    layer = lx.layers.Dense(2, kernel_constraint=lx.constraints.NonNeg())
    layer(jnp.ones((1, 2)))
    opt = lx.optimizers.SGD(10.0)
    opt.apply_gradients([(jnp.ones((2, 2)), layer.kernel), (jnp.ones(2), layer.bias)])
    assert np.all(layer.kernel.numpy() >= 0)
    assert_close(layer.bias.numpy(), [-10.0, -10.0])


def test_none_gradients_skipped_and_all_none_errors():
    a, b = lx.Variable(np.zeros(1, "float32")), lx.Variable(np.zeros(1, "float32"))
    opt = lx.optimizers.SGD(1.0)
    opt.apply_gradients([(np.ones(1, "float32"), a), (None, b)])
    assert_close([a.numpy(), b.numpy()], [[-1.0], [0.0]])
    with pytest.raises(ValueError, match="No gradients provided"):
        opt.apply_gradients([(None, a)])


def test_get_and_errors_and_config_round_trip():
    assert type(lx.optimizers.get("adam")) is lx.optimizers.Adam
    assert type(lx.optimizers.get("RMSprop")) is lx.optimizers.RMSprop
    with pytest.raises(ValueError, match=r"Could not interpret optimizer identifier: 'adamm'.*adam"):
        lx.optimizers.get("adamm")
    opt = lx.optimizers.Adam(0.02, beta_1=0.8, clipnorm=1.0)
    again = lx.optimizers.deserialize(lx.optimizers.serialize(opt))
    assert again.get_config() == {**opt.get_config(), "name": again.name}
    with pytest.raises(TypeError, match="only update lx.Variable"):
        lx.optimizers.SGD().apply_gradients([(np.ones(1), np.zeros(1))])


def test_stateless_apply_matches_apply():
    variables = [lx.Variable(p) for p in PARAMS]
    opt = lx.optimizers.Adam(0.01)
    opt.build(variables)
    opt_values = [v.value for v in opt.variables]
    values = [v.value for v in variables]
    for g in GRADS:
        values, opt_values = jax.jit(opt.stateless_apply)(opt_values, [jnp.asarray(x) for x in g], values)
    assert_close(values, run_optax(optax.adam(0.01, eps=1e-7)), rtol=1e-5)
    assert_close([v.value for v in variables], PARAMS)  # untouched
