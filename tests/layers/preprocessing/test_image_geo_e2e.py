"""The image-classification pattern end to end: `Rescaling` + augmentation in a CNN, compiled
`fit`, `predict`, save and load; and `jax.vmap` over layer calls."""

from __future__ import annotations

import os

import jax
import jax.numpy as jnp
import numpy as np

import layerax as lx
from tests.helpers import assert_close

L = lx.layers


def _data() -> tuple[np.ndarray, np.ndarray]:
    """Images whose class is which half (left/right) is bright: flips make it noisy, the
    rest of the augmentation keeps it learnable."""
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 32)
    images = rng.integers(0, 60, (32, 8, 8, 3)).astype("uint8")
    images[labels == 1, :, :4] += 150
    images[labels == 0, :, 4:] += 150
    return images, labels.astype("int32")


def _model() -> lx.Model:
    inputs = lx.Input((8, 8, 3))
    x = L.Rescaling(1 / 255.0)(inputs)
    x = L.RandomFlip("vertical", seed=1)(x)
    x = L.RandomRotation(0.05, seed=2)(x)
    x = L.RandomZoom(0.1, seed=3)(x)
    x = L.Conv2D(4, 3, activation="relu")(x)
    x = L.GlobalAveragePooling2D()(x)
    outputs = L.Dense(2)(x)
    return lx.Model(inputs, outputs)


def test_cnn_with_augmentation_fits_predicts_and_reloads(tmp_path):
    images, labels = _data()
    model = _model()
    model.compile(optimizer=lx.optimizers.Adam(0.05),
                  loss=lx.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    states = [np.asarray(v.value) for v in model.non_trainable_variables]
    history = model.fit(images, labels, batch_size=16, epochs=4, verbose=0)
    losses = history.history["loss"]
    assert np.all(np.isfinite(losses)) and losses[-1] < losses[0]
    # The compiled step drew new augmentation parameters: the seed states moved.
    assert any(not np.array_equal(a, np.asarray(v.value))
               for a, v in zip(states, model.non_trainable_variables))
    # Inference: the augmentation is off, so predictions are deterministic.
    first = model.predict(images, verbose=0)
    assert_close(model.predict(images, verbose=0), first)
    path = os.path.join(tmp_path, "augmented.keras")
    model.save(path)
    loaded = lx.saving.load_model(path)
    assert [type(layer).__name__ for layer in loaded.layers] == [
        type(layer).__name__ for layer in model.layers]
    assert loaded.layers[2].get_config() == model.layers[2].get_config()
    assert_close(loaded.predict(images, verbose=0), first, rtol=1e-5, atol=1e-5)


def test_vmap_over_layer_calls():
    images = np.random.default_rng(1).uniform(0, 255, (3, 6, 6, 2)).astype("float32")
    resize, rescale = L.Resizing(4, 3), L.Rescaling(0.5, offset=1.0)
    rotate = L.RandomRotation(0.2, seed=0)
    per_image = jax.jit(jax.vmap(lambda x: rescale(resize(rotate(x, training=False)))))(images)
    assert_close(per_image, rescale(resize(images)), atol=1e-4)
    # With training=True and a fixed transformation per image (the vmapped argument).
    angles = jnp.asarray([10.0, -20.0, 30.0])

    def rotate_one(image, angle):
        zeros = jnp.zeros((1,))
        matrix = rotate._compute_affine_matrix(0.5, 0.5, angle[None], zeros, zeros,
                                               jnp.ones((1,)), zeros, zeros, 6, 6)
        t = {"rotation_matrix": matrix[0], "angle": angle[None], "image_height": 6,
             "image_width": 6, "batch_size": 1}
        return rotate.transform_images(image[None], t)[0]

    mapped = jax.jit(jax.vmap(rotate_one))(images, angles)
    zeros = jnp.zeros((3,))
    matrices = rotate._compute_affine_matrix(0.5, 0.5, angles, zeros, zeros, jnp.ones((3,)),
                                             zeros, zeros, 6, 6)
    batched = rotate.transform_images(images, {"rotation_matrix": matrices})
    assert_close(mapped, batched, atol=1e-4)
