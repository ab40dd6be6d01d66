"""A custom layer made with `add_variable`, stacked in a Sequential and trained with fit.

From "TensorFlow 2.0 and Keras" (sections 3 and 4): `MyDense` is a bias-free
fully connected layer whose kernel is created in `__init__` with the TF2-era
`self.add_variable(name, shape)`; a `Sequential` of them is built, compiled,
fitted, evaluated and used to predict, as the article summarizes:

    model = Sequential([...]); model.compile(...); model.fit(...)
    model.evaluate(...); model.predict(...)

The data are scikit-learn's 8x8 digits with one-hot labels (`to_categorical`).

Run: python examples/mydense_sequential.py
"""

from __future__ import annotations

import jax
import numpy as np
from sklearn.datasets import load_digits

import layerax as lx
from layerax import layers
from layerax.models import Sequential


class MyDense(layers.Layer):  # a custom layer
    def __init__(self, inp_dim, outp_dim):
        super().__init__()
        # Create the kernel and register it with the layer, as a trainable weight.
        self.kernel = self.add_variable("w", [inp_dim, outp_dim], trainable=True)

    # The forward computation of the layer.
    def call(self, inputs, training=None):
        out = inputs @ self.kernel  # X @ W
        out = jax.nn.relu(out)  # activation
        return out


def main() -> float:
    lx.utils.set_random_seed(0)
    digits = load_digits()
    x = (digits.data / 16.0).astype("float32")
    y = lx.utils.to_categorical(digits.target, num_classes=10)
    perm = np.random.default_rng(0).permutation(len(x))
    train, val, test = perm[:1200], perm[1200:1500], perm[1500:1750]

    network = Sequential([
        MyDense(64, 128),
        MyDense(128, 64),
        MyDense(64, 32),
        # The article ends with MyDense(32, 10) too, which applies a relu to the logits:
        # classes whose logits fall below zero stop learning (about 70% accuracy here).
        # A plain linear layer for the logits fixes that.
        layers.Dense(10, use_bias=False),
    ])
    network.build(input_shape=(None, 64))
    network.summary()

    network.compile(
        optimizer=lx.optimizers.Adam(learning_rate=0.01),
        loss=lx.losses.CategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    network.fit(
        x[train], y[train], batch_size=100, epochs=10,
        validation_data=(x[val], y[val]), validation_freq=2, verbose=2,
    )
    loss, accuracy = network.evaluate(x[test], y[test], batch_size=50, verbose=0)
    predictions = network.predict(x[test][:5], verbose=0)
    print("predicted classes", predictions.argmax(-1).tolist(),
          "true", digits.target[test][:5].tolist())
    print(f"test accuracy {accuracy:.4f}")
    return accuracy


if __name__ == "__main__":
    main()
