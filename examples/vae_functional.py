"""A variational autoencoder in the Functional API, trained with `compile` / `fit`.

A port of the functional VAE from "TF 2.0 + Keras: 12 things you need to know"
(François Chollet): an encoder model and a decoder model, chained into a `vae`
model trained with `fit`.

One line differs from the TF 2.0 original. It computed the KL divergence with
TensorFlow ops on the symbolic tensors and called `vae.add_loss(kl_loss)` on the
model; Keras 3 (and layerax) have no symbolic `Model.add_loss`: the KL term is
computed by a small layer that calls `self.add_loss(...)` inside `call`, which
`fit` adds to the compiled loss, as Keras 3's own VAE example does.

Run: python examples/vae_functional.py
"""

from __future__ import annotations

import jax.numpy as jnp
from sklearn.datasets import load_digits

import layerax as lx
from layerax import layers


class Sampling(layers.Layer):
    """Uses (z_mean, z_log_var) to sample z, the vector encoding a digit."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # The Keras 3 way to draw random numbers in a layer: the generator's state is a
        # variable of the layer, so compiled steps (fit) advance it.
        self.seed_generator = lx.random.SeedGenerator(1337)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        batch = jnp.shape(z_mean)[0]
        dim = jnp.shape(z_mean)[1]
        epsilon = lx.random.normal(shape=(batch, dim), seed=self.seed_generator)
        return z_mean + jnp.exp(0.5 * z_log_var) * epsilon


class KLDivergence(layers.Layer):
    """Adds the KL divergence of N(z_mean, exp(z_log_var)) from N(0, 1) as a loss."""

    def call(self, inputs):
        z_mean, z_log_var = inputs
        kl_loss = -0.5 * jnp.mean(z_log_var - jnp.square(z_mean) - jnp.exp(z_log_var) + 1)
        self.add_loss(kl_loss)
        return z_mean, z_log_var


def main() -> tuple[float, float]:
    lx.utils.set_random_seed(0)
    x_train = (load_digits().data / 16.0).astype("float32")[:1792]  # 28 batches of 64

    original_dim = 64
    intermediate_dim = 64
    latent_dim = 32

    # Define encoder model.
    original_inputs = lx.Input(shape=(original_dim,), name="encoder_input")
    x = layers.Dense(intermediate_dim, activation="relu")(original_inputs)
    z_mean = layers.Dense(latent_dim, name="z_mean")(x)
    z_log_var = layers.Dense(latent_dim, name="z_log_var")(x)
    # Add KL divergence regularization loss (`vae.add_loss(kl_loss)` in TF 2.0).
    z_mean, z_log_var = KLDivergence(name="kl_divergence")((z_mean, z_log_var))
    z = Sampling()((z_mean, z_log_var))
    encoder = lx.Model(inputs=original_inputs, outputs=z, name="encoder")

    # Define decoder model.
    latent_inputs = lx.Input(shape=(latent_dim,), name="z_sampling")
    x = layers.Dense(intermediate_dim, activation="relu")(latent_inputs)
    outputs = layers.Dense(original_dim, activation="sigmoid")(x)
    decoder = lx.Model(inputs=latent_inputs, outputs=outputs, name="decoder")

    # Define VAE model.
    outputs = decoder(z)
    vae = lx.Model(inputs=original_inputs, outputs=outputs, name="vae")
    encoder.summary()
    decoder.summary()

    # Loss and optimizer.
    optimizer = lx.optimizers.Adam(learning_rate=1e-3)
    vae.compile(optimizer, loss=lx.losses.MeanSquaredError())
    history = vae.fit(x_train, x_train, epochs=20, batch_size=64, verbose=2)

    losses = history.history["loss"]
    print(f"loss (reconstruction + KL) {losses[0]:.4f} -> {losses[-1]:.4f}")
    codes = encoder.predict(x_train[:64], verbose=0)
    decoded = decoder.predict(codes, verbose=0)
    print("encoder output", codes.shape, "decoder output", decoded.shape)
    return losses[0], losses[-1]


if __name__ == "__main__":
    main()
