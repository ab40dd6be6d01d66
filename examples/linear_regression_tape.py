"""Linear regression with a GradientTape over plain variables: no layers, no Keras.

From "TensorFlow 2.0 and Keras" (section 2, "without Keras"): a model can be
trained with nothing but variables, a `GradientTape` and an optimizer:

    with tf.GradientTape() as tape:      ->  with lx.GradientTape() as tape:
        y_pred = a * X + b                       y_pred = a * X + b
        loss = tf.reduce_sum(...)                loss = jnp.sum(...)
    grads = tape.gradient(loss, [a, b])      grads = tape.gradient(loss, [a, b])
    optimizer.apply_gradients(...)           optimizer.apply_gradients(...)

The data are the house prices of the TF 2.0 tutorial (normalized); the fitted
line is compared with numpy's least-squares solution.

Run: python examples/linear_regression_tape.py
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

import layerax as lx


def main() -> float:
    X_raw = np.array([2013, 2014, 2015, 2016, 2017], dtype=np.float32)
    y_raw = np.array([12000, 14000, 15000, 16500, 17500], dtype=np.float32)
    X = (X_raw - X_raw.min()) / (X_raw.max() - X_raw.min())
    y = (y_raw - y_raw.min()) / (y_raw.max() - y_raw.min())

    a = lx.Variable(initial_value=0.0, name="a")
    b = lx.Variable(initial_value=0.0, name="b")
    variables = [a, b]

    optimizer = lx.optimizers.SGD(learning_rate=5e-2)

    def train_step():
        with lx.GradientTape() as tape:
            y_pred = a * X + b
            loss = 0.5 * jnp.sum(jnp.square(y_pred - y))
        # The tape computes the gradients of the loss with respect to the variables.
        grads = tape.gradient(loss, variables)
        # The optimizer updates the variables from the gradients.
        optimizer.apply_gradients(grads_and_vars=zip(grads, variables))
        return loss

    # A few steps eagerly, exactly as in TensorFlow 2...
    for e in range(20):
        loss = train_step()
    print(f"after 20 eager steps: a={a.numpy():.4f} b={b.numpy():.4f} loss={float(loss):.5f}")

    # ...and the rest compiled: the same function, one XLA program per step.
    compiled_step = lx.function(train_step)
    for e in range(2000):
        loss = compiled_step()
    print(f"after 2020 steps:     a={a.numpy():.4f} b={b.numpy():.4f} loss={float(loss):.5f}")

    a_ref, b_ref = np.polyfit(X, y, deg=1)
    print(f"least squares:        a={a_ref:.4f} b={b_ref:.4f}")
    error = max(abs(float(a.value) - a_ref), abs(float(b.value) - b_ref))
    print(f"max parameter error {error:.2e}")
    return error


if __name__ == "__main__":
    main()
