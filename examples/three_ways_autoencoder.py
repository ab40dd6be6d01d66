"""Three ways to build a model: Sequential, Functional, subclassed.

A port of "TensorFlow 2.x: three ways to build models" (Sequential API,
Functional API, Subclassing API) with `tf.keras` replaced by layerax:

1. a Sequential stack of Dense layers;
2. the convolutional encoder-decoder of the article in the Functional API
   (encoder output `(None, 16)`, autoencoder output `(None, 28, 28, 1)`),
   trained for a few epochs on digits upscaled to 28x28;
3. a custom `Linear` layer (weights in `__init__` or in `build`) and a
   subclassed `MyModel` using it, trained with `compile` / `fit`, its weights
   saved with `save_weights` and loaded into a new instance.

Run: python examples/three_ways_autoencoder.py
"""

from __future__ import annotations

import os
import tempfile

import jax.numpy as jnp
import numpy as np
from sklearn.datasets import load_digits

import layerax as lx
from layerax import layers
from layerax.layers import Dense, Input
from layerax.models import Model, Sequential


# 1. Sequential API -------------------------------------------------------------------
def sequential_model():
    model = Sequential(
        [
            Input(shape=(3,)),
            Dense(2, activation="relu", name="layer1"),
            Dense(3, activation="relu", name="layer2"),
            Dense(4, name="layer3"),
        ]
    )
    return model


# 2. Functional API: the encoder-decoder ----------------------------------------------
def get_models():
    encoder_input = Input(shape=(28, 28, 1), name="img")
    x = layers.Conv2D(16, 3, activation="relu")(encoder_input)
    x = layers.Conv2D(32, 3, activation="relu")(x)
    x = layers.MaxPooling2D(3)(x)
    x = layers.Conv2D(32, 3, activation="relu")(x)
    x = layers.Conv2D(16, 3, activation="relu")(x)
    encoder_output = layers.GlobalMaxPooling2D()(x)
    encoder = Model(encoder_input, encoder_output, name="encoder")

    x = layers.Reshape((4, 4, 1))(encoder_output)
    x = layers.Conv2DTranspose(16, 3, activation="relu")(x)
    x = layers.Conv2DTranspose(32, 3, activation="relu")(x)
    x = layers.UpSampling2D(3)(x)
    x = layers.Conv2DTranspose(16, 3, activation="relu")(x)
    decoder_output = layers.Conv2DTranspose(1, 3, activation="relu")(x)

    autoencoder = Model(encoder_input, decoder_output, name="autoencoder")

    return encoder, autoencoder


# 3. Subclassing API -----------------------------------------------------------------
class Linear(lx.layers.Layer):
    """The article's first Linear: `input_dim` is known, weights are made in __init__."""

    def __init__(self, units=32, input_dim=32, **kwargs):
        super().__init__(**kwargs)
        self.w = self.add_weight(
            shape=(input_dim, units), initializer="random_normal", trainable=True
        )
        self.b = self.add_weight(shape=(units,), initializer="zeros", trainable=True)

    def call(self, inputs, **kwargs):
        return jnp.matmul(inputs, self.w) + self.b


class LazyLinear(lx.layers.Layer):
    """The article's second Linear: weights are made in `build`, from the first input."""

    def __init__(self, units=32, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(
            shape=(input_shape[-1], self.units),
            initializer="random_normal",
            trainable=True,
        )
        self.b = self.add_weight(shape=(self.units,), initializer="random_normal", trainable=True)

    def call(self, inputs, **kwargs):
        return jnp.matmul(inputs, self.w) + self.b


class MyModel(lx.Model):
    def __init__(self, units=32, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.linear = LazyLinear(self.units)  # no input_dim

    def call(self, inputs, **kwargs):
        outputs = self.linear(inputs)
        return outputs


def digits_28x28(n: int) -> np.ndarray:
    """Digits scaled to [0, 1] and upscaled from 8x8 to 28x28 (3x, then 2 pixels of padding)."""
    images = load_digits().images[:n] / 16.0
    images = np.kron(images, np.ones((3, 3)))  # (n, 24, 24)
    images = np.pad(images, ((0, 0), (2, 2), (2, 2)))
    return images[..., None].astype("float32")


def main() -> tuple[float, float]:
    lx.utils.set_random_seed(0)

    print("== 1. Sequential API")
    model = sequential_model()
    print([layer.name for layer in model.layers], model(jnp.ones((2, 3))).shape)

    print("== 2. Functional API")
    encoder, autoencoder = get_models()
    print("encoder output shape", encoder.output_shape)
    print("autoencoder output shape", autoencoder.output_shape)
    assert encoder.output_shape == (None, 16)
    assert autoencoder.output_shape == (None, 28, 28, 1)
    images = digits_28x28(96)
    autoencoder.compile(optimizer=lx.optimizers.Adam(2e-3), loss="mse")
    history = autoencoder.fit(images, images, batch_size=32, epochs=3, verbose=2)
    ae_losses = history.history["loss"]
    print(f"autoencoder loss {ae_losses[0]:.4f} -> {ae_losses[-1]:.4f}")
    print("codes of 4 images:", encoder.predict(images[:4], verbose=0).shape)

    print("== 3. Subclassing API")
    linear = Linear(4, 2)
    print("Linear(4, input_dim=2):", linear(jnp.ones((2, 2))).shape)
    # Fit y = x @ A + c with the subclassed model.
    rng = np.random.default_rng(0)
    x = rng.normal(size=(512, 8)).astype("float32")
    a = rng.normal(size=(8, 32)).astype("float32")
    y = x @ a + 0.5
    model = MyModel(32)
    model.compile(optimizer=lx.optimizers.Adam(0.05), loss="mse")
    history = model.fit(x, y, batch_size=64, epochs=10, verbose=0)
    linear_losses = history.history["loss"]
    print(f"MyModel(32) regression loss {linear_losses[0]:.4f} -> {linear_losses[-1]:.4f}")
    print([layer.name for layer in model.layers], [w.shape for w in model.weights])
    # Model also exposes saving: weights to a file, then into a fresh MyModel.
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "my_model.weights.npz")
        model.save_weights(path)
        fresh = MyModel(32)
        fresh(x[:1])  # build, then load
        fresh.load_weights(path)
    same = np.allclose(fresh.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-5)
    print("weights reloaded into a new MyModel give the same predictions:", same)
    return ae_losses[-1] / ae_losses[0], linear_losses[-1] / linear_losses[0]


if __name__ == "__main__":
    main()
