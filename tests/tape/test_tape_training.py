"""Training patterns: BatchNorm-style statistics inside the tape, a two-tape GAN step."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import layerax as lx
from tests.helpers import assert_close


class MovingNorm(lx.Layer):
    """Dense + BatchNorm-like centering with a moving mean (a non-trainable variable)."""

    def __init__(self, units, momentum=0.9, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.momentum = momentum

    def build(self, input_shape):
        self.kernel = self.add_weight(
            shape=(input_shape[-1], self.units), initializer="glorot_uniform"
        )
        self.moving_mean = self.add_weight(
            shape=(self.units,), initializer="zeros", trainable=False
        )

    def call(self, x, training=None):
        h = x @ self.kernel.value
        if training:
            mean = jnp.mean(h, axis=0)
            self.moving_mean.assign(self.momentum * self.moving_mean + (1 - self.momentum) * mean)
            return h - mean
        return h - self.moving_mean.value


def reference_norm_step(kernel, moving, x, lr):
    def loss_fn(k):
        h = x @ k
        mean = jnp.mean(h, axis=0)
        return jnp.mean(jnp.tanh(h - mean) ** 2), mean

    (loss, mean), grad = jax.value_and_grad(loss_fn, has_aux=True)(kernel)
    return kernel - lr * grad, 0.9 * moving + 0.1 * mean, loss


@pytest.mark.parametrize("compiled", [True, False], ids=["lx_function", "eager"])
def test_moving_statistics_updated_inside_the_tape(compiled):
    layer = MovingNorm(3)
    xs = [jax.random.normal(jax.random.key(i), (4, 5)) for i in range(3)]
    layer(xs[0])
    kernel, moving = layer.kernel.value, layer.moving_mean.value
    opt = lx.optimizers.SGD(0.1)

    def step(x):
        with lx.GradientTape() as tape:
            loss = jnp.mean(jnp.tanh(layer(x, training=True)) ** 2)
        grads = tape.gradient(loss, layer.trainable_variables)
        opt.apply_gradients(zip(grads, layer.trainable_variables))
        return loss

    step = lx.function(step) if compiled else step
    for x in xs:
        loss = step(x)
        kernel, moving, ref_loss = reference_norm_step(kernel, moving, x, 0.1)
        assert float(loss) == pytest.approx(float(ref_loss), rel=1e-5)
    assert_close(layer.kernel.value, kernel)
    assert_close(layer.moving_mean.value, moving)
    assert layer.trainable_variables == [layer.kernel]


def test_seed_generator_advances_inside_the_tape():
    gen = lx.random.SeedGenerator(7)
    w = lx.Variable(jnp.ones(4))
    with lx.GradientTape() as tape:
        noise = jax.random.normal(gen.next(), (4,))
        loss = jnp.sum(w * noise)
    assert_close(tape.gradient(loss, w), noise)
    expected_state = jax.random.key_data(jax.random.split(jax.random.key(7))[0])
    np.testing.assert_array_equal(np.asarray(gen.state.value), np.asarray(expected_state))


# ------------------------------------------------------------------ GAN
NOISE, DATA, BATCH = 3, 4, 6


def make_gan():
    generator = lx.layers.Dense(DATA, activation="tanh")
    discriminator = lx.layers.Dense(1)
    generator(jnp.zeros((1, NOISE)))
    discriminator(jnp.zeros((1, DATA)))
    return generator, discriminator


def bce_logits(logits, label):
    return optax.sigmoid_binary_cross_entropy(logits, jnp.full_like(logits, label)).mean()


def gan_losses(g_params, d_params, noise, real):
    gk, gb = g_params
    dk, db = d_params
    fake = jnp.tanh(noise @ gk + gb)
    real_out = real @ dk + db
    fake_out = fake @ dk + db
    gen_loss = bce_logits(fake_out, 1.0)
    disc_loss = bce_logits(real_out, 1.0) + bce_logits(fake_out, 0.0)
    return gen_loss, disc_loss


def reference_gan(g_params, d_params, data, lr_g, lr_d):
    g_tx, d_tx = optax.adam(lr_g), optax.adam(lr_d)
    g_state, d_state = g_tx.init(g_params), d_tx.init(d_params)

    @jax.jit
    def step(g_params, d_params, g_state, d_state, noise, real):
        g_grads = jax.grad(lambda g: gan_losses(g, d_params, noise, real)[0])(g_params)
        d_grads = jax.grad(lambda d: gan_losses(g_params, d, noise, real)[1])(d_params)
        g_up, g_state = g_tx.update(g_grads, g_state, g_params)
        d_up, d_state = d_tx.update(d_grads, d_state, d_params)
        g_params = optax.apply_updates(g_params, g_up)
        return g_params, optax.apply_updates(d_params, d_up), g_state, d_state

    for noise, real in data:
        g_params, d_params, g_state, d_state = step(
            g_params, d_params, g_state, d_state, noise, real
        )
    return g_params, d_params


def test_gan_step_with_two_tapes_and_two_optimizers_eager_and_compiled():
    rng = np.random.default_rng(1)
    data = [
        (jnp.asarray(rng.normal(size=(BATCH, NOISE)), jnp.float32),
         jnp.asarray(rng.normal(size=(BATCH, DATA)), jnp.float32))
        for _ in range(2)
    ]
    results = {}
    for compiled in (False, True):
        lx.utils.set_random_seed(1234)  # same initial weights for both runs
        generator, discriminator = make_gan()
        g0 = [jnp.array(v.value) for v in generator.trainable_variables]
        d0 = [jnp.array(v.value) for v in discriminator.trainable_variables]
        g_opt = lx.optimizers.Optimizer(optax.adam(1e-2))
        d_opt = lx.optimizers.Optimizer(optax.adam(2e-2))

        def train_step(noise, images):
            with lx.GradientTape() as gen_tape, lx.GradientTape() as disc_tape:
                generated = generator(noise, training=True)
                real_output = discriminator(images, training=True)
                fake_output = discriminator(generated, training=True)
                gen_loss = bce_logits(fake_output, 1.0)
                disc_loss = bce_logits(real_output, 1.0) + bce_logits(fake_output, 0.0)
            gen_grads = gen_tape.gradient(gen_loss, generator.trainable_variables)
            disc_grads = disc_tape.gradient(disc_loss, discriminator.trainable_variables)
            g_opt.apply_gradients(zip(gen_grads, generator.trainable_variables))
            d_opt.apply_gradients(zip(disc_grads, discriminator.trainable_variables))
            return gen_loss, disc_loss

        step = lx.function(train_step) if compiled else train_step
        for noise, images in data:
            gen_loss, disc_loss = step(noise, images)
        assert np.isfinite(float(gen_loss)) and np.isfinite(float(disc_loss))
        results[compiled] = (
            [v.value for v in generator.trainable_variables],
            [v.value for v in discriminator.trainable_variables],
        )
    g_ref, d_ref = reference_gan(g0, d0, data, 1e-2, 2e-2)
    for g_got, d_got in results.values():
        assert_close(g_got, g_ref, rtol=1e-5, atol=1e-6)
        assert_close(d_got, d_ref, rtol=1e-5, atol=1e-6)
