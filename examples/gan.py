"""A GAN on a 2-D toy distribution: two models, two optimizers, two tapes.

The training step of TensorFlow's DCGAN tutorial, with its two tapes opened in
one `with` statement, compiled with `@lx.function`:

    with lx.GradientTape() as gen_tape, lx.GradientTape() as disc_tape:
        ...
    generator_optimizer.apply_gradients(...)
    discriminator_optimizer.apply_gradients(...)

The real data are points on a circle of radius 2 (with a little noise). The
generator starts far from it; the example prints how far its samples are from
the circle before and after training.

Run: python examples/gan.py
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

import layerax as lx
from layerax import layers

RADIUS = 2.0
NOISE_DIM = 8
BATCH_SIZE = 128


def real_samples(rng: np.random.Generator, n: int) -> np.ndarray:
    angle = rng.uniform(0, 2 * np.pi, size=n)
    radius = RADIUS + 0.05 * rng.normal(size=n)
    return np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1).astype("float32")


def make_generator() -> lx.Model:
    return lx.Sequential([
        lx.Input(shape=(NOISE_DIM,)),
        layers.Dense(64, activation="relu"),
        layers.Dense(64, activation="relu"),
        layers.Dense(2),
    ], name="generator")


def make_discriminator() -> lx.Model:
    return lx.Sequential([
        lx.Input(shape=(2,)),
        layers.Dense(64),
        layers.LeakyReLU(0.2),
        layers.Dense(64),
        layers.LeakyReLU(0.2),
        layers.Dense(1),
    ], name="discriminator")


def distance_to_circle(points) -> float:
    return float(jnp.mean(jnp.abs(jnp.linalg.norm(points, axis=1) - RADIUS)))


def main() -> tuple[float, float]:
    lx.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    generator = make_generator()
    discriminator = make_discriminator()

    cross_entropy = lx.losses.BinaryCrossentropy(from_logits=True)

    def discriminator_loss(real_output, fake_output):
        real_loss = cross_entropy(jnp.ones_like(real_output), real_output)
        fake_loss = cross_entropy(jnp.zeros_like(fake_output), fake_output)
        return real_loss + fake_loss

    def generator_loss(fake_output):
        return cross_entropy(jnp.ones_like(fake_output), fake_output)

    generator_optimizer = lx.optimizers.Adam(3e-3, beta_1=0.5)
    discriminator_optimizer = lx.optimizers.Adam(3e-3, beta_1=0.5)
    seed_generator = lx.random.SeedGenerator(42)

    @lx.function
    def train_step(real):
        noise = lx.random.normal((BATCH_SIZE, NOISE_DIM), seed=seed_generator)

        with lx.GradientTape() as gen_tape, lx.GradientTape() as disc_tape:
            generated = generator(noise, training=True)

            real_output = discriminator(real, training=True)
            fake_output = discriminator(generated, training=True)

            gen_loss = generator_loss(fake_output)
            disc_loss = discriminator_loss(real_output, fake_output)

        gradients_of_generator = gen_tape.gradient(gen_loss, generator.trainable_variables)
        gradients_of_discriminator = disc_tape.gradient(
            disc_loss, discriminator.trainable_variables
        )

        generator_optimizer.apply_gradients(
            zip(gradients_of_generator, generator.trainable_variables)
        )
        discriminator_optimizer.apply_gradients(
            zip(gradients_of_discriminator, discriminator.trainable_variables)
        )
        return gen_loss, disc_loss

    test_noise = lx.random.normal((1000, NOISE_DIM), seed=7)
    before = distance_to_circle(generator(test_noise))
    print(f"before training: mean distance of generated points to the circle {before:.3f}")
    for step in range(1500):
        gen_loss, disc_loss = train_step(real_samples(rng, BATCH_SIZE))
        if step % 300 == 0:
            print(f"step {step:4d}  generator loss {float(gen_loss):.3f}  "
                  f"discriminator loss {float(disc_loss):.3f}")
    samples = generator(test_noise)
    after = distance_to_circle(samples)
    angles = np.degrees(np.arctan2(samples[:, 1], samples[:, 0]))
    covered = len(np.unique(np.floor((angles + 180) / 45)))  # how many of 8 sectors
    print(f"after training: mean distance to the circle {after:.3f}, "
          f"samples cover {covered} of 8 sectors of the circle")
    return before, after


if __name__ == "__main__":
    main()
