"""README's three API levels on one model, there and back, against a hand-written JAX reference.

fit (Keras) -> a GradientTape step in lx.function (TF 2) -> jax.jit SGD over the
pytree (JAX) -> fit again -> save and load. After every stage the weights equal
those of the same SGD steps written with jax.grad on plain arrays.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

import layerax as lx

LR = 0.05


def _data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 4)).astype("float32")  # numpy data, as users have it
    y = rng.integers(0, 3, size=(16,)).astype("int32")
    return x, y


def _reference_loss(params, x, y):
    k1, b1, k2, b2 = params
    logits = jnp.maximum(x @ k1 + b1, 0.0) @ k2 + b2
    logp = jax.nn.log_softmax(logits)
    return -jnp.mean(jnp.take_along_axis(logp, y[:, None], axis=1))


def _reference_step(params, x, y):
    grads = jax.grad(_reference_loss)(params, x, y)
    return [p - LR * g for p, g in zip(params, grads)]


def _check(model, params, stage):
    for got, want in zip(model.get_weights(), params):
        np.testing.assert_allclose(got, np.asarray(want), rtol=2e-5, atol=2e-6, err_msg=stage)


def test_a_model_moves_through_all_three_levels_and_back(tmp_path):
    x, y = _data()
    model = lx.Sequential(
        [
            lx.Input(shape=(4,)),
            lx.layers.Dense(5, activation="relu"),
            lx.layers.Dense(3),
        ]
    )
    params = [jnp.asarray(w) for w in model.get_weights()]
    loss_fn = lx.losses.SparseCategoricalCrossentropy(from_logits=True)

    # 1. Keras: compile / fit (one full-batch SGD step).
    model.compile(optimizer=lx.optimizers.SGD(LR), loss=loss_fn)
    model.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    params = _reference_step(params, x, y)
    _check(model, params, "after fit")

    # 2. TF 2: a tape step compiled by lx.function.
    optimizer = lx.optimizers.SGD(LR)

    @lx.function
    def train_step(x, y):
        with lx.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    for _ in range(2):
        loss = train_step(x, y)
        want_loss = _reference_loss(params, x, y)
        params = _reference_step(params, x, y)
    np.testing.assert_allclose(float(loss), float(want_loss), rtol=1e-5)
    _check(model, params, "after the lx.function tape steps")

    # 3. JAX: the model is a pytree; jax.jit SGD returns a new model.
    @jax.jit
    def sgd_step(model, x, y):
        grads = jax.grad(lambda m: loss_fn(y, m(x)))(model)
        return jax.tree.map(lambda p, g: p - LR * g, model, grads)

    for _ in range(2):
        model = sgd_step(model, x, y)
        params = _reference_step(params, x, y)
    _check(model, params, "after jax.jit SGD")

    # ... and back: the returned model trains statefully again, with the tape and with fit.
    with lx.GradientTape() as tape:
        loss = loss_fn(y, model(x))
    grads = tape.gradient(loss, model.trainable_variables)
    assert all(g is not None for g in grads)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    params = _reference_step(params, x, y)
    _check(model, params, "after an eager tape step on the returned model")

    model.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    params = _reference_step(params, x, y)
    _check(model, params, "after fit on the returned model")

    # Save and load: the weights and the predictions come back.
    path = tmp_path / "three_levels.keras"
    model.save(path)
    loaded = lx.models.load_model(path)
    _check(loaded, params, "after save and load")
    np.testing.assert_allclose(
        np.asarray(loaded.predict(x, verbose=0)),
        np.asarray(jnp.maximum(x @ params[0] + params[1], 0.0) @ params[2] + params[3]),
        rtol=2e-5,
        atol=2e-6,
    )
    # The loaded model goes through jax.jit again with the same results.
    loaded = sgd_step(loaded, x, y)
    params = _reference_step(params, x, y)
    _check(loaded, params, "after jax.jit SGD on the loaded model")
