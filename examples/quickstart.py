"""Quickstart: a Keras-style model trained with a compiled, stateful training step.

Fits a small MLP to a noisy sine curve with `@lx.function`, printing the loss
as it goes and the final test error.

Run: python examples/quickstart.py
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

import layerax as lx


def make_data(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.uniform(-3, 3, size=(n, 1)).astype("float32")
    y = np.sin(x) + 0.05 * rng.normal(size=(n, 1)).astype("float32")
    return x, y


class MLP(lx.Model):
    def __init__(self, hidden: int = 64) -> None:
        super().__init__()
        self.hidden1 = lx.layers.Dense(hidden, activation="tanh")
        self.hidden2 = lx.layers.Dense(hidden, activation="tanh")
        self.out = lx.layers.Dense(1)

    def call(self, x):
        return self.out(self.hidden2(self.hidden1(x)))


def main() -> float:
    lx.utils.set_random_seed(0)
    x_train, y_train = make_data(1024, seed=0)
    x_test, y_test = make_data(256, seed=1)
    model = MLP()
    optimizer = lx.optimizers.Adam(learning_rate=0.01)

    @lx.function
    def train_step(x, y):
        def loss_fn(values):
            pred, _ = model.stateless_call(values, [], x)
            return jnp.mean((pred - y) ** 2)

        variables = model.trainable_variables
        loss, grads = jax.value_and_grad(loss_fn)([v.value for v in variables])
        optimizer.apply_gradients(zip(grads, variables))
        return loss

    model(x_train[:1])  # build
    batch = 64
    for epoch in range(1, 31):
        perm = np.random.default_rng(epoch).permutation(len(x_train))
        losses = []
        for start in range(0, len(x_train), batch):
            idx = perm[start : start + batch]
            losses.append(train_step(x_train[idx], y_train[idx]))
        if epoch % 5 == 0:
            print(f"epoch {epoch:2d}  train mse {float(jnp.mean(jnp.stack(losses))):.4f}")
    test_mse = float(jnp.mean((model(x_test) - y_test) ** 2))
    print(f"test mse {test_mse:.4f}  (compiled step traced {train_step.trace_count} times)")
    return test_mse


if __name__ == "__main__":
    main()
