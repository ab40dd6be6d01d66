"""Keras' image-classification-from-scratch pattern end to end, on a generated directory:
`image_dataset_from_directory` -> `Rescaling` + augmentation -> a CNN -> `fit` -> `evaluate`."""

from __future__ import annotations

import numpy as np
import pytest

import layerax as lx

Image = pytest.importorskip("PIL.Image")


def _write_images(root, per_class: int = 24) -> None:
    rng = np.random.default_rng(0)
    for label, channel in (("blue", 2), ("red", 0)):
        (root / label).mkdir(parents=True)
        for i in range(per_class):
            pixels = rng.integers(0, 90, size=(20, 20, 3))
            pixels[..., channel] += 150  # the class is the dominant colour
            Image.fromarray(pixels.astype(np.uint8)).save(root / label / f"{i}.png")


def test_directory_to_augmented_cnn_fit_and_evaluate(tmp_path) -> None:
    _write_images(tmp_path / "images")
    train, val = lx.utils.image_dataset_from_directory(
        tmp_path / "images", validation_split=0.25, subset="both", seed=1,
        image_size=(16, 16), batch_size=8)
    assert train.class_names == val.class_names == ["blue", "red"]
    x, y = train[0]
    assert x.shape == (8, 16, 16, 3) and x.dtype == np.float32 and y.dtype == np.int32

    augment = lx.Sequential([lx.layers.RandomFlip("horizontal"), lx.layers.RandomRotation(0.1),
                             lx.layers.RandomZoom(0.1)])
    model = lx.Sequential([
        lx.Input((16, 16, 3)),
        augment,
        lx.layers.Rescaling(1.0 / 255),
        lx.layers.Conv2D(8, 3, activation="relu"),
        lx.layers.MaxPooling2D(),
        lx.layers.GlobalAveragePooling2D(),
        lx.layers.Dense(2),
    ])
    model.compile(optimizer=lx.optimizers.Adam(0.02),
                  loss=lx.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    history = model.fit(train, validation_data=val, epochs=6, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    loss, accuracy = model.evaluate(val, verbose=0)
    assert accuracy >= 0.9, history.history
    # Augmentation is off outside training: predictions on the same batch are identical.
    batch = val[0][0]
    np.testing.assert_array_equal(model.predict(batch, verbose=0), model.predict(batch, verbose=0))
