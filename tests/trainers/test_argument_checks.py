"""fit/evaluate/predict/compile/set_weights validate their data arguments up front (issue 24, item 13).

Each bad value raises before any step runs, naming the argument and the value; on main
they were silently replaced (`batch_size=0` -> 32), truncated, ignored, or failed late
with an error naming no argument. Keras 3 is the oracle for the values that stay valid.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

import layerax as lx

X = np.random.default_rng(0).normal(size=(16, 3)).astype("float32")
Y = np.random.default_rng(1).normal(size=(16, 1)).astype("float32")


def _model() -> lx.Model:
    model = lx.Sequential([lx.Input((3,)), lx.layers.Dense(1)])
    model.compile(lx.optimizers.SGD(0.1), "mse")
    return model


MODEL = None


def _shared() -> lx.Model:
    global MODEL
    if MODEL is None:
        MODEL = _model()
    return MODEL


class _CountSteps(lx.callbacks.Callback):
    def __init__(self) -> None:
        super().__init__()
        self.steps = 0

    def on_train_batch_begin(self, batch, logs=None):
        self.steps += 1


@pytest.mark.parametrize(
    "kwargs, pattern",
    [
        ({"batch_size": 0}, r"`batch_size` must be a positive integer or None. Received: batch_size=0"),
        ({"batch_size": 8.5}, r"`batch_size` must be a positive integer.*batch_size=8.5 of type float"),
        ({"steps_per_epoch": 0}, r"`steps_per_epoch` must be a positive integer.*steps_per_epoch=0"),
        ({"epochs": -1}, r"`epochs` must be an integer >= 0. Received: epochs=-1"),
        ({"validation_freq": 0, "validation_split": 0.25}, r"`validation_freq` must be a positive integer"),
        ({"verbose": "x"}, r"`verbose` must be one of .*Received: verbose='x'"),
        ({"callbacks": 3}, r"`callbacks` must be a list of lx.callbacks.Callback.*callbacks=3 of type int"),
        ({"x": "abc"}, r"In fit\(\), `x` must be arrays .*Received: x='abc'"),
        ({"x": [1.0, 2.0, 3.0], "y": None}, r"`x` is a list of 3 Python numbers.*np.asarray\(x\)"),
        ({"x": X[:0], "y": Y[:0]}, r"In fit\(\), `x` has no samples: received an array of shape \(0, 3\)"),
    ],
)
def test_fit_rejects_bad_arguments_before_any_step(kwargs, pattern):
    model = _shared()
    counter = _CountSteps()
    args = {"x": X, "y": Y, "verbose": 0, **kwargs}
    if "callbacks" not in kwargs:
        args["callbacks"] = [counter]
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises((ValueError, TypeError), match=pattern):
        model.fit(**args)
    assert counter.steps == 0
    for b, a in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_evaluate_predict_and_set_weights_reject_bad_arguments():
    model = _shared()
    with pytest.raises(ValueError, match=r"In evaluate\(\), `x` has no samples"):
        model.evaluate(X[:0], Y[:0], verbose=0)
    with pytest.raises(ValueError, match=r"In predict\(\), `batch_size` must be a positive integer"):
        model.predict(X, batch_size=-2, verbose=0)
    with pytest.raises(TypeError, match=r"In evaluate\(\), `callbacks` must be a list"):
        model.evaluate(X, Y, callbacks="early_stopping", verbose=0)
    with pytest.raises(TypeError, match=r"set_weights\(\) expects `weights`, a list of 2 arrays.*weights=None"):
        model.set_weights(None)


def test_compile_loss_weights_are_checked():
    model = lx.Sequential([lx.Input((3,)), lx.layers.Dense(1)])
    with pytest.raises(ValueError, match=r"`loss_weights` has 2 entries but the model has 1 output"):
        model.compile("sgd", "mse", loss_weights=[1, 2])
    with pytest.raises(TypeError, match=r"`loss_weights\[0\]` must be a number. Received: 'a'"):
        model.compile("sgd", "mse", loss_weights=["a"])


def test_valid_arguments_behave_like_keras():
    """A one-entry loss_weights list, numpy integers, booleans for verbose: as Keras takes them."""
    ours = lx.Sequential([lx.Input((3,)), lx.layers.Dense(1)])
    theirs = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    ours.set_weights(theirs.get_weights())
    ours.compile(lx.optimizers.SGD(0.1), "mse", loss_weights=[2.0])
    theirs.compile(keras.optimizers.SGD(0.1), "mse", loss_weights=[2.0])
    kwargs = {"batch_size": np.int64(8), "epochs": 2, "verbose": False, "shuffle": False}
    h1 = ours.fit(X, Y, **kwargs).history["loss"]
    h2 = theirs.fit(X, Y, **kwargs).history["loss"]
    np.testing.assert_allclose(h1, h2, rtol=1e-5)
    np.testing.assert_allclose(ours.predict(X, verbose=0), theirs.predict(X, verbose=0), rtol=1e-5, atol=1e-6)
