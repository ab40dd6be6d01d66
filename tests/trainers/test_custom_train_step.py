"""A `train_step` override receives the batch as Keras passes it: `(x, y)` without weights."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

import layerax as lx


class TapeModel(lx.Model):
    """The TF2 guide's "customizing what happens in fit": `x, y = data` and a tape."""

    def __init__(self):
        super().__init__()
        self.dense = lx.layers.Dense(1, kernel_initializer="zeros")
        self.seen = []

    def call(self, x):
        return self.dense(x)

    def train_step(self, data):
        self.seen.append(len(data))
        x, y = data
        with lx.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = jnp.mean(jnp.square(y_pred - y))
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        return {"loss": loss}


@pytest.mark.parametrize("steps_per_execution", [1, 2])
def test_train_step_override_unpacks_x_y(steps_per_execution):
    x = np.arange(8, dtype="float32").reshape(4, 2) / 8
    y = x.sum(axis=1, keepdims=True)
    model = TapeModel()
    model.compile(optimizer=lx.optimizers.SGD(0.5), steps_per_execution=steps_per_execution)
    model.fit(x, y, batch_size=2, epochs=1, shuffle=False, verbose=0)
    assert set(model.seen) == {2}  # traced with a 2-tuple (x, y)
    # Same result as the hand-written loop: two SGD steps on the two batches.
    w, b = np.zeros((2, 1), "float32"), np.zeros((1,), "float32")
    for start in (0, 2):
        xb, yb = x[start:start + 2], y[start:start + 2]
        err = xb @ w + b - yb
        w, b = w - 0.5 * 2 * xb.T @ err / 2, b - 0.5 * 2 * err.mean(0)
    np.testing.assert_allclose(model.dense.kernel.numpy(), w, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.dense.bias.numpy(), b, rtol=1e-5, atol=1e-6)


def test_sample_weights_still_reach_train_step():
    model = TapeModel()
    lengths = []

    def train_step(data):
        lengths.append(len(data))
        x, y, sample_weight = data
        return {"loss": jnp.sum(sample_weight)}

    model.train_step = train_step
    model.compile(optimizer="sgd")
    model.fit(np.ones((4, 2)), np.ones((4, 1)), sample_weight=np.ones(4), batch_size=2, verbose=0)
    assert set(lengths) == {3}
