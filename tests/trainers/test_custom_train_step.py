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


def test_keras3_metrics_loop_in_a_custom_train_step_updates_compiled_metrics():
    """Keras 3's guide pattern: iterate over `self.metrics` (loss tracker + compile_metrics)."""

    class Classifier(lx.Model):
        def __init__(self):
            super().__init__()
            self.dense = lx.layers.Dense(3)

        def call(self, x):
            return self.dense(x)

        def train_step(self, data):
            x, y = data
            with lx.GradientTape() as tape:
                y_pred = self(x, training=True)
                loss = self.compute_loss(y=y, y_pred=y_pred)
            grads = tape.gradient(loss, self.trainable_variables)
            self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
            for metric in self.metrics:
                if metric.name == "loss":
                    metric.update_state(loss)
                else:
                    metric.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics}

    rng = np.random.default_rng(0)
    x = rng.normal(size=(12, 4)).astype("float32")
    y = rng.integers(0, 3, size=(12,)).astype("int32")
    model = Classifier()
    model.compile(optimizer=lx.optimizers.SGD(0.0),
                  loss=lx.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    assert model.metrics_names == ["loss", "compile_metrics"]
    history = model.fit(x, y, batch_size=12, epochs=1, verbose=0)
    assert sorted(history.history) == ["accuracy", "loss"]
    expected = float(np.mean(np.argmax(np.asarray(model(x)), -1) == y))
    np.testing.assert_allclose(history.history["accuracy"][0], expected, rtol=1e-6)


def test_metrics_assigned_as_attributes_are_listed_and_reset():
    class Tracked(lx.Model):
        def __init__(self):
            super().__init__()
            self.dense = lx.layers.Dense(1)
            self.mae_tracker = lx.metrics.MeanAbsoluteError(name="mae")

        def call(self, x):
            return self.dense(x)

        def train_step(self, data):
            x, y = data
            self.mae_tracker.update_state(y, self(x))
            return {"mae": self.mae_tracker.result()}

    model = Tracked()
    model.compile(optimizer="sgd")
    x = np.ones((4, 2), "float32")
    history = model.fit(x, np.zeros((4, 1), "float32"), batch_size=2, epochs=2, verbose=0)
    assert any(m is model.mae_tracker for m in model.metrics)
    # Reset at each epoch start: both epochs report the same mean.
    assert history.history["mae"][0] == pytest.approx(history.history["mae"][1])
