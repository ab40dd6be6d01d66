"""Transfer learning with an `lx.applications` model, as in Keras' transfer-learning guide.

The guide's recipe: take a pretrained convolutional base (`include_top=False`),
freeze it (`base.trainable = False`), put a new classifier head on it and train
the head with `fit`; then unfreeze the base (`base.trainable = True`), compile
again with a low learning rate and fine-tune everything. The base is called
with `training=False`, so its BatchNormalization layers stay in inference mode
(they keep the statistics of the pretraining) also while it is fine-tuned.

Without a download, the pretrained base is made here: a MobileNet (alpha 0.25,
32x32 images) first learns to tell four generated textures apart (stripes in
three orientations, checkerboards); its weights are saved with `save_weights`
and a fresh MobileNet is built from that file with `weights=path`, the same
code path as `weights="imagenet"` after the download. The new task has other
classes: generated shapes (disc, square, ring, cross). A randomly initialised
base would not do: frozen, with BatchNormalization in inference mode, its
features are nearly zero and the head stays at chance.

Run: python examples/transfer_learning.py (about a minute on a CPU, half of it
compiling the three training steps).
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

import numpy as np

import layerax as lx

SIZE = 32
TEXTURES = ("horizontal stripes", "vertical stripes", "diagonal stripes", "checkerboard")
SHAPES = ("disc", "square", "ring", "cross")
BATCH = 32


def _colours(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """A dark and a light RGB colour per image, in [0, 255]."""
    dark = rng.uniform(0, 110, (n, 1, 1, 3))
    light = rng.uniform(145, 255, (n, 1, 1, 3))
    return dark, light


def textures(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Stripes of random period and phase in three orientations, and checkerboards."""
    labels = rng.integers(0, len(TEXTURES), n)
    rows, cols = np.mgrid[0:SIZE, 0:SIZE].astype("float32")
    period = rng.uniform(4.0, 9.0, (n, 1, 1))
    phase = rng.uniform(0.0, 2 * np.pi, (n, 1, 1))
    wave = 2 * np.pi / period
    pattern = np.stack([
        np.sin(wave * rows + phase),
        np.sin(wave * cols + phase),
        np.sin(wave * (rows + cols) / np.sqrt(2) + phase),
        np.sin(wave * rows + phase) * np.sin(wave * cols),
    ], axis=1)[np.arange(n), labels]
    mask = (pattern > 0)[..., None]
    dark, light = _colours(rng, n)
    images = np.where(mask, light, dark) + rng.normal(0, 20, (n, SIZE, SIZE, 3))
    return np.clip(images, 0, 255).astype("float32"), labels.astype("int32")


def shapes(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """One disc, square, ring or cross per image, of random size, place and colour."""
    labels = rng.integers(0, len(SHAPES), n)
    rows, cols = np.mgrid[0:SIZE, 0:SIZE].astype("float32")
    radius = rng.uniform(6.0, 11.0, (n, 1, 1))
    centre = rng.uniform(11.0, SIZE - 11.0, (n, 2, 1, 1))
    dy, dx = rows - centre[:, 0], cols - centre[:, 1]
    distance = np.sqrt(dy**2 + dx**2)
    bar = radius / 3
    masks = np.stack([
        distance < radius,
        np.maximum(abs(dy), abs(dx)) < radius * 0.85,
        abs(distance - radius * 0.8) < radius / 5,
        (np.maximum(abs(dy), abs(dx)) < radius) & (np.minimum(abs(dy), abs(dx)) < bar / 2),
    ], axis=1)[np.arange(n), labels][..., None]
    dark, light = _colours(rng, n)
    images = np.where(masks, light, dark) + rng.normal(0, 20, (n, SIZE, SIZE, 3))
    return np.clip(images, 0, 255).astype("float32"), labels.astype("int32")


def make_base(weights: str | None) -> lx.Model:
    """The convolutional base: MobileNet without its ImageNet classifier."""
    return lx.applications.MobileNet(
        input_shape=(SIZE, SIZE, 3), alpha=0.25, include_top=False, weights=weights
    )


def classifier(base: lx.Model, classes: int, *, freeze_batchnorm: bool) -> lx.Model:
    """`base` under a new head: average pooling, dropout and a Dense layer (logits)."""
    inputs = lx.Input((SIZE, SIZE, 3))
    x = lx.applications.mobilenet.preprocess_input(inputs)  # [0, 255] -> [-1, 1]
    x = base(x, training=False) if freeze_batchnorm else base(x)
    x = lx.layers.GlobalAveragePooling2D()(x)
    x = lx.layers.Dropout(0.2)(x)
    outputs = lx.layers.Dense(classes)(x)
    return lx.Model(inputs, outputs)


def compile_for(model: lx.Model, learning_rate: Any) -> None:
    model.compile(
        optimizer=lx.optimizers.Adam(learning_rate),
        loss=lx.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )


def pretrain(rng: np.random.Generator) -> tuple[lx.Model, float]:
    """Trains a MobileNet from scratch on textures; returns its base and validation accuracy."""
    x, y = textures(1024, rng)
    x_val, y_val = textures(256, rng)
    base = make_base(weights=None)
    # The pretraining is short (128 steps). BatchNormalization's moving statistics, with
    # the default momentum of 0.99, would still be near their initial values at its end;
    # with 0.9 they follow the statistics of the batches.
    for layer in base.layers:
        if isinstance(layer, lx.layers.BatchNormalization):
            layer.momentum = 0.9
    model = classifier(base, len(TEXTURES), freeze_batchnorm=False)
    epochs = 4
    compile_for(model, lx.optimizers.schedules.CosineDecay(1e-2, epochs * len(x) // BATCH))
    model.fit(x, y, batch_size=BATCH, epochs=epochs, verbose=2)
    _, accuracy = model.evaluate(x_val, y_val, batch_size=BATCH, verbose=0)
    return base, accuracy


def main() -> tuple[float, float]:
    lx.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    print(f"1. Pretraining a MobileNet on {len(TEXTURES)} textures: {', '.join(TEXTURES)}")
    pretrained, accuracy = pretrain(rng)
    print(f"pretraining: validation accuracy {accuracy:.3f}")
    probe = textures(BATCH, rng)[0] / 127.5 - 1.0
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "texture_mobilenet.weights.h5")
        pretrained.save_weights(path)
        base = make_base(weights=path)  # as weights="imagenet" does with the downloaded file
    difference = np.abs(base.predict(probe, verbose=0) - pretrained.predict(probe, verbose=0)).max()
    print(f"base rebuilt with weights=path: max difference of its features {difference:.1e}")

    x, y = shapes(768, rng)
    x_test, y_test = shapes(512, rng)
    chance = 1 / len(SHAPES)
    print(f"\n2. New task, {len(SHAPES)} shapes: {', '.join(SHAPES)} (chance {chance:.2f})")
    base.trainable = False
    model = classifier(base, len(SHAPES), freeze_batchnorm=True)
    print(f"base frozen: {len(model.trainable_weights)} trainable weights (the head's), "
          f"{len(model.non_trainable_weights)} frozen")
    compile_for(model, 1e-2)
    model.fit(x, y, batch_size=BATCH, epochs=8, verbose=2)
    _, frozen = model.evaluate(x_test, y_test, batch_size=BATCH, verbose=0)
    print(f"frozen base, trained head: test accuracy {frozen:.3f}")

    print("\n3. Fine-tuning the whole model with a low learning rate")
    base.trainable = True
    compile_for(model, 3e-4)  # as in Keras, compile again after changing `trainable`
    print(f"base unfrozen: {len(model.trainable_weights)} trainable weights")
    model.fit(x, y, batch_size=BATCH, epochs=4, verbose=2)
    _, tuned = model.evaluate(x_test, y_test, batch_size=BATCH, verbose=0)
    print(f"fine-tuned: test accuracy {tuned:.3f}")
    return frozen, tuned


if __name__ == "__main__":
    main()
