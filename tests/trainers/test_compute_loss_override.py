"""`fit` trains a model that overrides `compute_loss`, as Keras 3 does: the override decides the
loss (and its gradient), may read `self.losses` of the forward pass, and may update metric
trackers. Keras 3 (JAX backend) on the same weights and data is the oracle."""

from __future__ import annotations

import numpy as np
import pytest

import layerax as lx

keras = pytest.importorskip("keras")


def _make(lib):
    class Penalized(lib.Model):
        def __init__(self):
            super().__init__()
            self.hidden = lib.layers.Dense(4, activation="tanh", kernel_regularizer="l2")
            self.bn = lib.layers.BatchNormalization()
            self.out = lib.layers.Dense(2)
            self.penalty_tracker = lib.metrics.Mean(name="penalty")

        def call(self, x, training=None):
            return self.out(self.bn(self.hidden(x), training=training))

        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
            penalty = 0.1 * lib.ops.mean(lib.ops.square(y_pred))
            self.penalty_tracker.update_state(penalty)
            mse = lib.ops.mean(lib.ops.square(y - y_pred))
            return mse + penalty + sum(self.losses)

        @property
        def metrics(self):
            return [*super().metrics, self.penalty_tracker]

    return Penalized()


def test_fit_uses_the_compute_loss_override_like_keras() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 3)).astype("float32")
    y = rng.normal(size=(32, 2)).astype("float32")
    ours, theirs = _make(lx), _make(keras)
    ours(x[:2])
    theirs(x[:2])
    theirs.set_weights(ours.get_weights())
    results = []
    for lib, model in ((lx, ours), (keras, theirs)):
        model.compile(optimizer=lib.optimizers.SGD(0.1))
        history = model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
        results.append((history.history, model.get_weights()))
    (h_ours, w_ours), (h_theirs, w_theirs) = results
    for key in ("loss", "penalty"):
        np.testing.assert_allclose(h_ours[key], h_theirs[key], rtol=1e-4, atol=1e-6)
    for a, b in zip(w_ours, w_theirs):  # kernels, biases and BatchNorm's moving statistics
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    assert h_ours["penalty"][0] > 0 and len(h_ours["loss"]) == 2
