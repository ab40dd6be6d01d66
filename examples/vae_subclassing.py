"""A variational autoencoder written by subclassing, trained with a compiled tape step.

A port of the subclassed VAE from "TF 2.0 + Keras: 12 things you need to know"
(François Chollet). The encoder, the sampling layer and the decoder are layers;
the KL divergence is added with `add_loss` and summed into the loss of the
training step (`@lx.function` around a `GradientTape`, like `@tf.function`).

MNIST is replaced by scikit-learn's 8x8 digits (64 pixels in [0, 1]).

Run: python examples/vae_subclassing.py
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
from sklearn.datasets import load_digits

import layerax as lx
from layerax import layers


class Sampling(layers.Layer):
    """Uses (z_mean, z_log_var) to sample z, the vector encoding a digit."""

    def call(self, inputs):
        z_mean, z_log_var = inputs
        batch = jnp.shape(z_mean)[0]
        dim = jnp.shape(z_mean)[1]
        # `tf.keras.backend.random_normal`: with no seed, layerax draws from its global
        # generator, whose state lx.function carries in and out of the compiled step.
        epsilon = lx.random.normal(shape=(batch, dim))
        return z_mean + jnp.exp(0.5 * z_log_var) * epsilon


class Encoder(layers.Layer):
    """Maps digits to a triplet (z_mean, z_log_var, z)."""

    def __init__(self, latent_dim=32, intermediate_dim=64, name="encoder", **kwargs):
        super().__init__(name=name, **kwargs)
        self.dense_proj = layers.Dense(intermediate_dim, activation="relu")
        self.dense_mean = layers.Dense(latent_dim)
        self.dense_log_var = layers.Dense(latent_dim)
        self.sampling = Sampling()

    def call(self, inputs):
        x = self.dense_proj(inputs)
        z_mean = self.dense_mean(x)
        z_log_var = self.dense_log_var(x)
        z = self.sampling((z_mean, z_log_var))
        return z_mean, z_log_var, z


class Decoder(layers.Layer):
    """Converts z, the encoded digit vector, back into a readable digit."""

    def __init__(self, original_dim, intermediate_dim=64, name="decoder", **kwargs):
        super().__init__(name=name, **kwargs)
        self.dense_proj = layers.Dense(intermediate_dim, activation="relu")
        self.dense_output = layers.Dense(original_dim, activation="sigmoid")

    def call(self, inputs):
        x = self.dense_proj(inputs)
        return self.dense_output(x)


class VariationalAutoEncoder(layers.Layer):
    """Combines the encoder and decoder into an end-to-end model for training."""

    def __init__(self, original_dim, intermediate_dim=64, latent_dim=32, name="autoencoder",
                 **kwargs):
        super().__init__(name=name, **kwargs)
        self.original_dim = original_dim
        self.encoder = Encoder(latent_dim=latent_dim, intermediate_dim=intermediate_dim)
        self.decoder = Decoder(original_dim, intermediate_dim=intermediate_dim)

    def call(self, inputs):
        z_mean, z_log_var, z = self.encoder(inputs)
        reconstructed = self.decoder(z)
        # Add KL divergence regularization loss.
        kl_loss = -0.5 * jnp.mean(z_log_var - jnp.square(z_mean) - jnp.exp(z_log_var) + 1)
        self.add_loss(kl_loss)
        return reconstructed


def make_dataset(x: np.ndarray, batch_size: int, seed: int):
    perm = np.random.default_rng(seed).permutation(len(x))
    for start in range(0, len(x) - batch_size + 1, batch_size):
        yield x[perm[start : start + batch_size]]


def main() -> tuple[float, float]:
    lx.utils.set_random_seed(0)
    x_train = (load_digits().data / 16.0).astype("float32")
    original_dim = x_train.shape[1]

    # Our model.
    vae = VariationalAutoEncoder(original_dim=original_dim, intermediate_dim=64, latent_dim=32)
    # Loss and optimizer.
    loss_fn = lx.losses.MeanSquaredError()
    optimizer = lx.optimizers.Adam(learning_rate=1e-3)

    @lx.function
    def training_step(x):
        with lx.GradientTape() as tape:
            reconstructed = vae(x)  # Compute input reconstruction.
            # Compute loss.
            loss = loss_fn(x, reconstructed)
            loss += sum(vae.losses)  # Add KLD term.
        # Update the weights of the VAE.
        grads = tape.gradient(loss, vae.trainable_weights)
        optimizer.apply_gradients(zip(grads, vae.trainable_weights))
        return loss

    losses = []  # Keep track of the losses over time.
    step = 0
    for epoch in range(30):
        for x in make_dataset(x_train, batch_size=64, seed=epoch):
            loss = training_step(x)
            losses.append(float(loss))
            if step % 200 == 0:
                print("Step:", step, "Loss:", sum(losses) / len(losses))
            step += 1
    first = float(np.mean(losses[:28]))
    last = float(np.mean(losses[-28:]))
    print(f"mean loss of the first epoch {first:.4f}, of the last epoch {last:.4f}")
    # Reconstruction error against a baseline that always outputs the mean digit. With the
    # thread's weighting (a pixel-averaged MSE next to a latent-averaged KL term) the KL term
    # dominates and the VAE stays close to the mean digit, as the original's losses (about
    # 0.07 on MNIST) show too; multiply the MSE by `original_dim` for sharper reconstructions.
    mse = float(jnp.mean((vae(x_train) - x_train) ** 2))
    baseline = float(np.mean((x_train - x_train.mean(axis=0)) ** 2))
    print(f"reconstruction mse {mse:.4f} (mean-digit baseline {baseline:.4f})")
    return mse, baseline


if __name__ == "__main__":
    main()
