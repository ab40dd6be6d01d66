"""A TensorFlow-2-style custom training loop: GradientTape, lx.function and metrics.

The loop of TensorFlow's "advanced quickstart", unchanged but for the imports:
`train_step` and `test_step` are compiled with `@lx.function` (like
`@tf.function`), the model is subclassed, and `SparseCategoricalAccuracy` /
`Mean` metrics accumulate over each epoch and are reset between epochs.

Run: python examples/custom_training_loop.py
"""

from __future__ import annotations

import numpy as np
from sklearn.datasets import load_digits

import layerax as lx
from layerax.layers import Conv2D, Dense, Dropout, Flatten


class MyModel(lx.Model):
    def __init__(self):
        super().__init__()
        self.conv1 = Conv2D(16, 3, activation="relu", padding="same")
        self.flatten = Flatten()
        self.d1 = Dense(64, activation="relu")
        self.dropout = Dropout(0.2)
        self.d2 = Dense(10)

    def call(self, x, training=None):
        x = self.conv1(x)
        x = self.flatten(x)
        x = self.d1(x)
        x = self.dropout(x, training=training)
        return self.d2(x)


def batches(x, y, batch_size, seed=None):
    """Stands in for `tf.data.Dataset.from_tensor_slices((x, y)).shuffle(...).batch(...)`."""
    order = np.arange(len(x)) if seed is None else np.random.default_rng(seed).permutation(len(x))
    for start in range(0, len(x), batch_size):
        idx = order[start : start + batch_size]
        yield x[idx], y[idx]


def main() -> float:
    lx.utils.set_random_seed(0)
    digits = load_digits()
    x = (digits.images / 16.0).astype("float32")[..., None]
    y = digits.target.astype("int32")
    perm = np.random.default_rng(0).permutation(len(x))
    x_train, y_train = x[perm[:1500]], y[perm[:1500]]
    x_test, y_test = x[perm[1500:1750]], y[perm[1500:1750]]

    model = MyModel()
    loss_object = lx.losses.SparseCategoricalCrossentropy(from_logits=True)
    optimizer = lx.optimizers.Adam()

    train_loss = lx.metrics.Mean(name="train_loss")
    train_accuracy = lx.metrics.SparseCategoricalAccuracy(name="train_accuracy")
    test_loss = lx.metrics.Mean(name="test_loss")
    test_accuracy = lx.metrics.SparseCategoricalAccuracy(name="test_accuracy")

    @lx.function
    def train_step(images, labels):
        with lx.GradientTape() as tape:
            # training=True is only needed if there are layers with different
            # behavior during training versus inference (e.g. Dropout).
            predictions = model(images, training=True)
            loss = loss_object(labels, predictions)
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))

        train_loss(loss)
        train_accuracy(labels, predictions)

    @lx.function
    def test_step(images, labels):
        # training=False is only needed if there are layers with different
        # behavior during training versus inference (e.g. Dropout).
        predictions = model(images, training=False)
        t_loss = loss_object(labels, predictions)

        test_loss(t_loss)
        test_accuracy(labels, predictions)

    EPOCHS = 8
    for epoch in range(EPOCHS):
        # Reset the metrics at the start of the next epoch
        train_loss.reset_state()
        train_accuracy.reset_state()
        test_loss.reset_state()
        test_accuracy.reset_state()

        for images, labels in batches(x_train, y_train, 50, seed=epoch):
            train_step(images, labels)

        for test_images, test_labels in batches(x_test, y_test, 50):
            test_step(test_images, test_labels)

        print(
            f"Epoch {epoch + 1}, "
            f"Loss: {float(train_loss.result()):.4f}, "
            f"Accuracy: {float(train_accuracy.result()) * 100:.2f}, "
            f"Test Loss: {float(test_loss.result()):.4f}, "
            f"Test Accuracy: {float(test_accuracy.result()) * 100:.2f}"
        )
    accuracy = float(test_accuracy.result())
    print(f"train_step traced {train_step.trace_count} times, "
          f"test_step {test_step.trace_count} times")
    print(f"test accuracy {accuracy:.4f}")
    return accuracy


if __name__ == "__main__":
    main()
