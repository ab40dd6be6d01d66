"""The first trace of fit's, evaluate's and predict's compiled steps needs no discovery pass.

Before a built-in step first traces, fit creates what the trace would create (the model's
weights, the compiled loss and metrics, the optimizer's slots, as Keras' `_symbolic_build`)
and declares the state the step touches (`Function._lx_expect_state`): each step then traces
once per batch shape. These tests count the traces and compare the training with a
hand-written optax loop and with the same step traced with discovery (as before). They
check that a bad first batch raises and leaves the next fit seeded (a custom `train_step`
keeps its discovery trace: tests/trainers/test_fit.py), and the declaration's contract on
a plain `lx.function`: a variable declared but not touched passes through unchanged (a
held array of it stays valid), one touched but not declared is discovered with one more
trace.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import layerax as lx
from layerax.trainers import steps
from tests.helpers import assert_close

RNG = np.random.default_rng(11)
X = RNG.normal(size=(64, 4)).astype("float32")
Y = (X @ RNG.normal(size=(4, 1)) + 0.1).astype("float32")


def traces(model):
    return {k: f.trace_count for k, f in model._lx_state().functions.items()
            if hasattr(f, "trace_count")}


class MLP(lx.Model):
    """A subclassed model, unbuilt when fit starts (seeded initializers: replayable)."""

    def __init__(self):
        super().__init__()
        init = lx.initializers.GlorotUniform
        self.hidden = lx.layers.Dense(8, activation="tanh", kernel_initializer=init(seed=1))
        self.out = lx.layers.Dense(1, kernel_initializer=init(seed=2))

    def call(self, x):
        return self.out(self.hidden(x))


def hand_written(params, epochs, batch_size, lr=0.01):
    tx = optax.adam(lr, eps=1e-7)
    state = tx.init(params)

    def loss_fn(p, x, y):
        return jnp.mean((jnp.tanh(x @ p[0] + p[1]) @ p[2] + p[3] - y) ** 2)

    grad = jax.jit(jax.grad(loss_fn))
    for _ in range(epochs):
        for i in range(0, len(X), batch_size):
            updates, state = tx.update(grad(params, X[i:i + batch_size], Y[i:i + batch_size]),
                                       state, params)
            params = optax.apply_updates(params, updates)
    return params


def test_unbuilt_model_fit_evaluate_predict_trace_once_and_train_like_optax():
    model = MLP()
    model.compile(optimizer=lx.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    model.fit(X, Y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    # The weights fit created before its first trace are the ones it trained: replay them.
    fresh = MLP()
    fresh(X[:1])
    expected = hand_written([jnp.asarray(v.value) for v in fresh.trainable_variables], 2, 16)
    assert_close([v.value for v in model.trainable_variables], expected, rtol=1e-4, atol=1e-5)
    loss, mae = model.evaluate(X, Y, batch_size=32, verbose=0)
    pred = model.predict(X, batch_size=32, verbose=0)
    p = [np.asarray(v) for v in expected]
    want = np.tanh(X @ p[0] + p[1]) @ p[2] + p[3]
    assert_close(pred, want, rtol=1e-5, atol=1e-6)
    assert_close(loss, np.mean((want - Y) ** 2), rtol=1e-5, atol=1e-6)
    assert_close(mae, np.mean(np.abs(want - Y)), rtol=1e-5, atol=1e-6)
    # One trace per step and batch shape: the seeding found every variable up front.
    assert traces(model) == {"train": 1, "test": 1, "predict": 1, "reset": 1}


def test_partial_last_batch_traces_once_per_shape():
    lx.utils.set_random_seed(1)
    model = MLP()
    model.compile(optimizer=lx.optimizers.Adam(0.01), loss="mse")
    model.fit(X, Y, batch_size=24, epochs=2, shuffle=False, verbose=0)  # 24, 24, 16
    assert traces(model)["train"] == 2


def sequential(*layers):
    return lx.Sequential([lx.Input((4,)), lx.layers.Dense(8), *layers, lx.layers.Dense(1)])


def test_batchnorm_dropout_regularizer_model_trains_as_with_discovery_in_one_trace():
    def run(seeded):
        lx.utils.set_random_seed(5)
        model = sequential(lx.layers.BatchNormalization(), lx.layers.Dropout(0.3),
                           lx.layers.Dense(4, kernel_regularizer="l2"))
        model.compile(optimizer=lx.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
        if not seeded:  # the step as it ran before: its first trace discovers the state
            steps.step_function(model, "train")._lx_before_first_entry = None
        history = model.fit(X, Y, batch_size=16, epochs=2, shuffle=False, verbose=0)
        return model, history.history

    seeded, logs = run(True)
    discovered, discovered_logs = run(False)
    for a, b in zip(seeded.variables, discovered.variables):
        np.testing.assert_array_equal(np.asarray(a.value), np.asarray(b.value), err_msg=a.path)
    assert logs == discovered_logs
    # The moving statistics are assigned by the step (declared state): they moved.
    bn = seeded.layers[1]
    assert not np.allclose(np.asarray(bn.moving_variance.value), 1.0)
    assert traces(seeded)["train"] == 1 and traces(discovered)["train"] == 2


def test_loss_scale_optimizer_and_multi_step_bodies_trace_once():
    lx.utils.set_random_seed(2)
    model = sequential()
    model.compile(optimizer=lx.optimizers.LossScaleOptimizer(lx.optimizers.SGD(0.05)), loss="mse")
    model.fit(X, Y, batch_size=16, epochs=1, verbose=0)
    assert traces(model)["train"] == 1
    reference = None
    for body in ("scan", "unroll"):
        lx.utils.set_random_seed(3)
        model = sequential()
        model.compile(optimizer=lx.optimizers.Adam(0.01), loss="mse", steps_per_execution=4)
        model.multi_step_body = body
        model.fit(X, Y, batch_size=8, epochs=2, shuffle=False, verbose=0)
        counts = traces(model)
        assert counts[f"train_multi{'_unroll' if body == 'unroll' else ''}"] == 1
        values = [np.asarray(v.value) for v in model.trainable_variables]
        if reference is None:
            lx.utils.set_random_seed(3)
            single = sequential()
            single.compile(optimizer=lx.optimizers.Adam(0.01), loss="mse")
            single.fit(X, Y, batch_size=8, epochs=2, shuffle=False, verbose=0)
            reference = [np.asarray(v.value) for v in single.trainable_variables]
        assert_close(values, reference, rtol=1e-5, atol=1e-6)


def test_bad_first_batch_raises_keeps_the_model_and_the_next_fit_is_still_seeded():
    model = sequential()
    model.compile(optimizer=lx.optimizers.Adam(0.01), loss="mse")
    before = [v.numpy() for v in model.variables]
    with pytest.raises(ValueError, match=r"expected shape \(None, 4\).*\(16, 5\)"):
        model.fit(np.ones((32, 5), "float32"), Y[:32], batch_size=16, verbose=0)
    for old, var in zip(before, model.variables):
        np.testing.assert_array_equal(old, var.numpy())
    model.fit(X, Y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    assert traces(model)["train"] == 1  # the preparation ran again, on good data


def test_expect_state_contract_on_a_plain_function():
    touched, extra, unknown = lx.Variable(1.0), lx.Variable(5.0), lx.Variable(2.0)

    @lx.function
    def step(x):
        touched.assign_add(x)
        return touched.value * unknown.value

    step._lx_expect_state([touched, extra], [])
    held = extra.value  # declared assigned, never touched: passed through, held array kept
    assert float(step(jnp.float32(3.0))) == 8.0  # `unknown` discovered: one more trace
    assert step.trace_count == 2
    assert float(step(jnp.float32(1.0))) == 10.0 and step.trace_count == 2
    assert float(held) == 5.0 and float(extra.value) == 5.0
    assert float(touched.value) == 5.0 and float(unknown.value) == 2.0

    exact = lx.function(lambda x: touched.assign_add(x * unknown.value))
    exact._lx_expect_state([touched], [unknown])
    exact(jnp.float32(1.0))
    assert exact.trace_count == 1 and float(touched.value) == 7.0
    # A read-only declaration that the trace assigns is found, and the value is kept.
    wrong = lx.function(lambda x: unknown.assign(unknown.value + x))
    wrong._lx_expect_state([], [unknown])
    wrong(jnp.float32(1.0))
    assert wrong.trace_count == 2 and float(unknown.value) == 3.0
    # Once a function has traced, a declaration changes nothing.
    exact._lx_expect_state([], [])
    exact(jnp.float32(1.0))
    assert exact.trace_count == 1 and float(touched.value) == 10.0
