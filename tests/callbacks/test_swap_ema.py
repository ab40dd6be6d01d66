"""Optimizer EMA (use_ema) and SwapEMAWeights, against Keras 3 (JAX backend) as the oracle."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

import layerax as lx
from tests.helpers import assert_close, keras

RNG = np.random.default_rng(0)
X = RNG.normal(size=(8, 3)).astype("float32")
Y = RNG.normal(size=(8, 2)).astype("float32")
X_VAL = RNG.normal(size=(4, 3)).astype("float32")
Y_VAL = RNG.normal(size=(4, 2)).astype("float32")
WEIGHTS = [RNG.normal(size=(3, 2)).astype("float32"), RNG.normal(size=(2,)).astype("float32")]


@pytest.mark.parametrize("name,kwargs", [
    ("SGD", dict(learning_rate=0.1, momentum=0.5, ema_overwrite_frequency=None)),
    ("Adam", dict(learning_rate=0.05, ema_overwrite_frequency=2)),
])
def test_optimizer_ema_matches_keras(name, kwargs):
    k = keras()
    rng = np.random.default_rng(1)
    start = rng.normal(size=(4,)).astype("float32")
    grads = [rng.normal(size=(4,)).astype("float32") for _ in range(5)]
    ours_var, keras_var = lx.Variable(jnp.asarray(start)), k.Variable(start)
    ours = getattr(lx.optimizers, name)(use_ema=True, ema_momentum=0.7, **kwargs)
    theirs = getattr(k.optimizers, name)(use_ema=True, ema_momentum=0.7, **kwargs)
    for g in grads:
        ours.apply_gradients([(jnp.asarray(g), ours_var)])
        theirs.apply_gradients([(g, keras_var)])
        assert_close(ours_var.value, keras_var.value, 1e-5, 1e-6)
        assert_close(ours._model_variables_moving_average[0].value,
                     theirs._model_variables_moving_average[0].value, 1e-5, 1e-6)
    for key in ("use_ema", "ema_momentum", "ema_overwrite_frequency"):
        assert ours.get_config()[key] == theirs.get_config()[key]
    again = type(ours).from_config(ours.get_config())
    assert (again.use_ema, again.ema_overwrite_frequency) == (True, kwargs["ema_overwrite_frequency"])
    ours.finalize_variable_values([ours_var])
    theirs.finalize_variable_values([keras_var])
    assert_close(ours_var.value, keras_var.value, 1e-5, 1e-6)


def _models(swap_on_epoch):
    k = keras()
    ours = lx.Sequential([lx.Input((3,)), lx.layers.Dense(2)])
    theirs = k.Sequential([k.Input((3,)), k.layers.Dense(2)])
    ours.set_weights(WEIGHTS)
    theirs.set_weights(WEIGHTS)
    ours.compile(optimizer=lx.optimizers.SGD(0.1, use_ema=True, ema_momentum=0.5), loss="mse")
    theirs.compile(optimizer=k.optimizers.SGD(0.1, use_ema=True, ema_momentum=0.5), loss="mse")
    seen = {"ours": [], "theirs": []}

    def recorder(key, model, module):
        # Runs after SwapEMAWeights' on_epoch_end: what a ModelCheckpoint would save.
        return module.callbacks.LambdaCallback(
            on_epoch_end=lambda epoch, logs: seen[key].append(
                [np.asarray(w) for w in model.get_weights()]))

    callbacks = {
        "ours": [lx.callbacks.SwapEMAWeights(swap_on_epoch), recorder("ours", ours, lx)],
        "theirs": [k.callbacks.SwapEMAWeights(swap_on_epoch), recorder("theirs", theirs, k)],
    }
    return ours, theirs, callbacks, seen


@pytest.mark.parametrize("swap_on_epoch", [False, True])
def test_fit_with_swap_ema_weights_matches_keras(swap_on_epoch):
    ours, theirs, callbacks, seen = _models(swap_on_epoch)
    fit_args = dict(epochs=3, batch_size=4, shuffle=False, verbose=0,
                    validation_data=(X_VAL, Y_VAL))
    h_ours = ours.fit(X, Y, callbacks=callbacks["ours"], **fit_args)
    h_theirs = theirs.fit(X, Y, callbacks=callbacks["theirs"], **fit_args)
    # Validation ran with the EMA weights; training losses with the model's own.
    assert_close(h_ours.history["val_loss"], h_theirs.history["val_loss"], 1e-4, 1e-6)
    assert_close(h_ours.history["loss"], h_theirs.history["loss"], 1e-4, 1e-6)
    assert_close(seen["ours"], seen["theirs"], 1e-5, 1e-6)
    # fit ends with the averages in the model (finalize_variable_values).
    assert_close(ours.get_weights(), theirs.get_weights(), 1e-5, 1e-6)
    averages = [np.asarray(v.value) for v in ours.optimizer._model_variables_moving_average]
    assert_close(ours.get_weights(), averages, 1e-6, 1e-7)


def test_evaluate_and_predict_use_ema_weights():
    ours, theirs, _, _ = _models(False)
    opt = ours.optimizer
    ours.fit(X, Y, epochs=1, batch_size=4, shuffle=False, verbose=0)
    # Make the model and its averages differ (fit just wrote the averages into the model).
    ours.set_weights([w + 1.0 for w in ours.get_weights()])
    own = [np.asarray(w) for w in ours.get_weights()]
    averages = [np.asarray(v.value) for v in opt._model_variables_moving_average]
    swap = lx.callbacks.SwapEMAWeights()
    expected = X @ averages[0] + averages[1]
    assert_close(ours.predict(X, verbose=0, callbacks=[swap]), expected, 1e-5, 1e-6)
    loss = ours.evaluate(X, Y, verbose=0, callbacks=[swap])
    assert_close(loss, np.mean((expected - Y) ** 2), 1e-5, 1e-6)
    # The model's own weights come back after each (Keras 3.15 leaves the EMA weights in the
    # model after predict, a bookkeeping slip in its on_predict_end that we do not copy).
    assert_close(ours.get_weights(), own)
    assert_close([v.value for v in opt._model_variables_moving_average], averages)


def test_swap_ema_weights_bad_arguments():
    model = lx.Sequential([lx.Input((3,)), lx.layers.Dense(2)])
    model.compile(optimizer=lx.optimizers.SGD(0.1), loss="mse")
    with pytest.raises(ValueError, match="use_ema=True"):
        model.evaluate(X, Y, verbose=0, callbacks=[lx.callbacks.SwapEMAWeights()])
    with pytest.raises(ValueError, match="ema_momentum"):
        lx.optimizers.SGD(use_ema=True, ema_momentum=1.5)
    with pytest.raises(ValueError, match="ema_overwrite_frequency"):
        lx.optimizers.Adam(use_ema=True, ema_overwrite_frequency=0)
    with pytest.raises(AttributeError, match="use_ema=True"):
        lx.optimizers.SGD()._model_variables_moving_average
