"""Shared checks of the loader adapters' tests (layerax/trainers/foreign_adapters.py).

Oracles: the same model fitted on the same batches given as numpy arrays (the steps must
be identical), and Keras 3 (JAX backend) fitting the same loader from the same weights.
"""

from __future__ import annotations

import warnings

import numpy as np

import layerax as lx
from tests.helpers import keras

X = np.random.default_rng(0).normal(size=(10, 3)).astype("float32")
Y = (X @ np.array([[1.0], [-2.0], [0.5]], "float32") + 0.1).astype("float32")
W = [np.array([[0.1], [0.2], [-0.3]], "float32"), np.zeros(1, "float32")]


def model_for(lib):
    model = lib.Sequential([lib.Input((3,)), lib.layers.Dense(1)])
    model.set_weights(W)
    model.compile(lib.optimizers.SGD(0.1), "mse")
    return model


def make_reference():
    """History, weights and evaluation of fitting numpy arrays, 2 epochs of batches of 4, no
    shuffle; and the model, reused (its compiled steps too) by every check from `W` again."""
    model = model_for(lx)
    history = model.fit(X, Y, batch_size=4, epochs=2, shuffle=False, verbose=0).history["loss"]
    return history, model.get_weights(), model.evaluate(X, Y, verbose=0), model


def check(source, reference, keras_too=False):
    history, weights, evaluation, model = reference
    model.set_weights(W)
    got = model.fit(source, epochs=2, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(got, history, rtol=1e-6)
    for a, b in zip(model.get_weights(), weights):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    np.testing.assert_allclose(model.evaluate(source, verbose=0), evaluation, rtol=1e-6)
    if keras_too:
        k_model = model_for(keras())
        # Keras 3.15 warns "Your input ran out of data" at the end of a grain epoch (and
        # does not restart a MapDataset for a second one): compare its one epoch.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            k_hist = k_model.fit(source, epochs=1, shuffle=False, verbose=0).history["loss"]
        np.testing.assert_allclose(got[:1], k_hist, rtol=1e-5)
