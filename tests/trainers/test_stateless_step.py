"""Keras-JAX's stateless `train_step(state, data)`, `test_step` and `predict_step` in fit,
compared with Keras 3 running the same code (the models of keras.io's "Customizing what
happens in `fit()` with JAX" guide, written here against the shared API)."""

from __future__ import annotations

import jax
import numpy as np
import pytest

import layerax as lx
from tests.helpers import assert_close, keras


def _update_metrics(model, metrics_variables, loss, y, y_pred, sample_weight):
    """The guide's loop over `model.metrics`, each on its slice of the metrics state."""
    new_metrics_vars, logs = [], {}
    for metric in model.metrics:
        start = len(new_metrics_vars)
        this = metrics_variables[start : start + len(metric.variables)]
        if metric.name == "loss":
            this = metric.stateless_update_state(this, loss, sample_weight=sample_weight)
        else:
            this = metric.stateless_update_state(this, y, y_pred, sample_weight=sample_weight)
        logs[metric.name] = metric.stateless_result(this)
        new_metrics_vars += this
    return logs, new_metrics_vars


def compiled_loss_model(K):
    """Compiled loss and metrics, threaded through a fully stateless train_step."""

    class CustomModel(K.Model):
        def compute_loss_and_updates(self, tv, ntv, mv, x, y, sample_weight, training=False):
            y_pred, ntv = self.stateless_call(tv, ntv, x, training=training)
            loss, (tv, ntv, mv) = self.stateless_compute_loss(
                tv, ntv, mv, x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, training=training
            )
            return loss, (y_pred, ntv, mv)

        def train_step(self, state, data):
            tv, ntv, ov, mv = state
            x, y, sample_weight = K.utils.unpack_x_y_sample_weight(data)
            grad_fn = jax.value_and_grad(self.compute_loss_and_updates, has_aux=True)
            (loss, (y_pred, ntv, mv)), grads = grad_fn(tv, ntv, mv, x, y, sample_weight, training=True)
            tv, ov = self.optimizer.stateless_apply(ov, grads, tv)
            logs, mv = _update_metrics(self, mv, loss, y, y_pred, sample_weight)
            return logs, (tv, ntv, ov, mv)

        def test_step(self, state, data):
            x, y, sample_weight = K.utils.unpack_x_y_sample_weight(data)
            tv, ntv, mv = state
            y_pred, ntv = self.stateless_call(tv, ntv, x, training=False)
            loss, (tv, ntv, mv) = self.stateless_compute_loss(
                tv, ntv, mv, x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, training=False
            )
            logs, mv = _update_metrics(self, mv, loss, y, y_pred, sample_weight)
            return logs, (tv, ntv, mv)

        def predict_step(self, state, data):
            tv, ntv = state
            x, _, _ = K.utils.unpack_x_y_sample_weight(data)
            outputs, ntv = self.stateless_call(tv, ntv, x, training=False)
            return 2.0 * outputs + 1.0, ntv

    # A BatchNormalization: the non-trainable part of the state changes at every step.
    inputs = K.Input(shape=(6,))
    hidden = K.layers.BatchNormalization()(K.layers.Dense(4, activation="tanh")(inputs))
    return CustomModel(inputs, K.layers.Dense(1)(hidden))


def manual_metrics_model(K):
    """Only the optimizer from compile: the loss and metrics are the model's own."""

    class CustomModel(K.Model):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.loss_tracker = K.metrics.Mean(name="loss")
            self.mae_metric = K.metrics.MeanAbsoluteError(name="mae")
            self.loss_fn = K.losses.MeanSquaredError()

        def compute_loss_and_updates(self, tv, ntv, x, y, sample_weight, training=False):
            y_pred, ntv = self.stateless_call(tv, ntv, x, training=training)
            return self.loss_fn(y, y_pred, sample_weight=sample_weight), (y_pred, ntv)

        def train_step(self, state, data):
            tv, ntv, ov, mv = state
            x, y, sample_weight = K.utils.unpack_x_y_sample_weight(data)
            grad_fn = jax.value_and_grad(self.compute_loss_and_updates, has_aux=True)
            (loss, (y_pred, ntv)), grads = grad_fn(tv, ntv, x, y, sample_weight, training=True)
            tv, ov = self.optimizer.stateless_apply(ov, grads, tv)
            n = len(self.loss_tracker.variables)
            loss_vars = self.loss_tracker.stateless_update_state(mv[:n], loss, sample_weight=sample_weight)
            mae_vars = self.mae_metric.stateless_update_state(mv[n:], y, y_pred, sample_weight=sample_weight)
            logs = {
                "loss": self.loss_tracker.stateless_result(loss_vars),
                "mae": self.mae_metric.stateless_result(mae_vars),
            }
            return logs, (tv, ntv, ov, loss_vars + mae_vars)

        @property
        def metrics(self):
            return [self.loss_tracker, self.mae_metric]

    inputs = K.Input(shape=(6,))
    return CustomModel(inputs, K.layers.Dense(1)(inputs))


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(48, 6)).astype("float32")
    y = (x @ rng.normal(size=(6, 1)) + 0.1 * rng.normal(size=(48, 1))).astype("float32")
    return x, y


def _pair(make, compile_kwargs):
    k_model, l_model = make(keras()), make(lx)
    l_model.set_weights(k_model.get_weights())
    k_model.compile(**compile_kwargs)
    l_model.compile(**compile_kwargs)
    return k_model, l_model


def _fit_both(models, x, y, **kwargs):
    kwargs = {"batch_size": 16, "epochs": 2, "shuffle": False, "verbose": 0, **kwargs}
    return [m.fit(x, y, **kwargs).history for m in models]


def test_compiled_loss_train_test_predict_match_keras(data):
    x, y = data
    k_model, l_model = _pair(compiled_loss_model, {"optimizer": "adam", "loss": "mse", "metrics": ["mae"]})
    k_hist, l_hist = _fit_both((k_model, l_model), x, y, validation_data=(x[:32], y[:32]))
    assert sorted(l_hist) == sorted(k_hist) == ["loss", "mae", "val_loss", "val_mae"]
    for key in k_hist:
        assert_close(l_hist[key], k_hist[key], rtol=1e-4, atol=1e-5)
    for l_w, k_w in zip(l_model.get_weights(), k_model.get_weights()):  # moving statistics too
        assert_close(l_w, k_w, rtol=1e-4, atol=1e-5)
    k_eval = k_model.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    l_eval = l_model.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    assert sorted(l_eval) == sorted(k_eval)
    assert_close([l_eval[k] for k in k_eval], list(k_eval.values()), rtol=1e-4, atol=1e-5)
    assert_close(l_model.predict(x, batch_size=16, verbose=0), k_model.predict(x, batch_size=16, verbose=0),
                 rtol=1e-4, atol=1e-5)


def test_manual_metrics_match_keras_with_steps_per_execution(data):
    x, y = data
    k_model, l_model = _pair(manual_metrics_model, {"optimizer": "adam", "steps_per_execution": 2})
    k_hist, l_hist = _fit_both((k_model, l_model), x, y)
    assert sorted(l_hist) == sorted(k_hist) == ["loss", "mae"]
    for key in k_hist:
        assert_close(l_hist[key], k_hist[key], rtol=1e-4, atol=1e-5)
    for l_w, k_w in zip(l_model.get_weights(), k_model.get_weights()):
        assert_close(l_w, k_w, rtol=1e-4, atol=1e-5)
    assert l_model.metrics_variables == l_model.loss_tracker.variables + l_model.mae_metric.variables


def test_pure_helpers_match_keras(data):
    x, y = data
    def plain(K):
        inputs = K.Input(shape=(6,))
        hidden = K.layers.BatchNormalization()(K.layers.Dense(4, activation="tanh")(inputs))
        return K.Model(inputs, K.layers.Dense(1)(hidden))

    k_model, l_model = _pair(plain, {"optimizer": "sgd", "loss": "mse"})
    outs = []
    for model in (k_model, l_model):
        tv = [v.value for v in model.trainable_variables]
        ntv = [v.value for v in model.non_trainable_variables]
        mv = [v.value for v in model.metrics_variables]
        model.optimizer.build(model.trainable_variables)
        ov = [v.value for v in model.optimizer.variables]
        grad_fn = jax.jit(
            jax.value_and_grad(lambda *a: model.compute_loss_and_updates(*a, training=True, optimizer_variables=ov),
                               has_aux=True)
        )
        (loss, (_, y_pred, ntv, mv)), grads = grad_fn(tv, ntv, mv, x[:8], y[:8], None)
        outs.append((loss, y_pred, ntv, grads))
    for l_part, k_part in zip(*reversed(outs)):
        assert_close(l_part, k_part, rtol=1e-4, atol=1e-5)
    # Checked against a hand-written loss and `jax.grad`, through the model's own stateless_call.
    tv = [v.value for v in l_model.trainable_variables]
    ntv = [v.value for v in l_model.non_trainable_variables]

    def hand_loss(tv):
        y_pred, _ = l_model.stateless_call(tv, ntv, x[:8], training=True)
        return jax.numpy.mean((y_pred - y[:8]) ** 2)

    assert_close(outs[1][3], jax.jit(jax.grad(hand_loss))(tv), rtol=1e-5, atol=1e-6)


def test_a_bad_returned_state_is_an_error(data):
    x, y = data

    class BadModel(lx.Model):
        def train_step(self, state, data):
            tv, ntv, ov, mv = state
            return {"loss": 0.0}, (tv, ntv, ov)  # the metrics variables are missing

    inputs = lx.Input((6,))
    model = BadModel(inputs, lx.layers.Dense(1)(inputs))
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match="metrics_variables"):
        model.fit(x, y, verbose=0)


def test_unpack_and_pack_match_keras():
    a, b, c = np.ones(2), np.zeros(2), np.full(2, 3.0)
    for data in (a, (a,), (a, b), [a, b], (a, b, c)):
        got = lx.utils.unpack_x_y_sample_weight(data)
        want = keras().utils.unpack_x_y_sample_weight(data)
        assert [g is w for g, w in zip(got, want)] == [True] * 3
    for args in ((a,), (a, b), (a, b, c), ([a, b],), ((a, b), b)):
        got, want = lx.utils.pack_x_y_sample_weight(*args), keras().utils.pack_x_y_sample_weight(*args)
        assert type(got) is type(want) and jax.tree.structure(got) == jax.tree.structure(want)
    with pytest.raises(ValueError, match="length 4"):
        lx.utils.unpack_x_y_sample_weight((a, b, c, a))


def test_super_steps_called_with_state_match_keras(data):
    """A stateless override may delegate to the built-in steps with `super().train_step(state,
    data)`; layerax's stateful built-ins then run on the given values, as Keras' do."""
    x, y = data

    def make(K):
        class Delegating(K.Model):
            def train_step(self, state, data):
                logs, state = super().train_step(state, data)
                return {**logs, "twice_loss": 2.0 * logs["loss"]}, state

            def predict_step(self, state, data):
                outputs, ntv = super().predict_step(state, data)
                return outputs - 1.0, ntv

        inputs = K.Input(shape=(6,))
        hidden = K.layers.BatchNormalization()(K.layers.Dense(4, activation="tanh")(inputs))
        return Delegating(inputs, K.layers.Dense(1)(hidden))

    k_model, l_model = _pair(make, {"optimizer": "sgd", "loss": "mse", "metrics": ["mae"]})
    k_hist, l_hist = _fit_both((k_model, l_model), x, y, epochs=2)
    assert sorted(l_hist) == sorted(k_hist) == ["loss", "mae", "twice_loss"]
    for key in k_hist:
        assert_close(l_hist[key], k_hist[key], rtol=1e-4, atol=1e-5)
    for l_w, k_w in zip(l_model.get_weights(), k_model.get_weights()):
        assert_close(l_w, k_w, rtol=1e-4, atol=1e-5)
    assert_close(l_model.predict(x, batch_size=16, verbose=0), k_model.predict(x, batch_size=16, verbose=0),
                 rtol=1e-4, atol=1e-5)
    with pytest.raises(TypeError, match="takes `\\(data\\)` or `\\(state, data\\)`"):
        l_model.test_step(1, 2, 3)
