"""Colour/mixing image layers: the layer harness, dict inputs (labels, boxes, masks), a
compiled `fit` step with an augmentation block, `jax.vmap` and save/load."""

from __future__ import annotations

import warnings

import jax
import jax.numpy as jnp
import numpy as np

import layerax as lx
from tests.helpers import assert_close, keras
from tests.layers.harness import check_layer


def _images(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0, 255, shape).astype("float32")


def test_harness_deterministic_and_random() -> None:
    x = jnp.asarray(np.round(_images((2, 5, 5, 3))))
    check_layer(lambda: lx.layers.Equalization(bins=32), (2, 5, 5, 3), inputs=x,
                expected_output_shape=(2, 5, 5, 3), expected_num_trainable_weights=0)
    layer = check_layer(
        lambda: lx.layers.RandomColorJitter(brightness_factor=0.2, contrast_factor=0.3,
                                            hue_factor=0.1, seed=1),
        (2, 5, 5, 3), inputs=x, call_kwargs={"training": True}, run_vmap=False)
    assert layer.get_config()["contrast_factor"] == 0.3


def test_mixing_labels_match_keras() -> None:
    k = keras()
    images = _images((4, 6, 6, 3))
    labels = np.eye(4, dtype="float32")[[0, 1, 2, 3]]
    for name in ("CutMix", "MixUp"):
        theirs = getattr(k.layers, name)(seed=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Keras' MixUp asks for int64
            t = jax.tree.map(np.asarray, theirs.get_random_transformation(images))
        ours = getattr(lx.layers, name)(seed=0)
        assert_close(ours.transform_labels(labels, t),
                     np.asarray(theirs.transform_labels(labels, t)), rtol=1e-5, atol=1e-6)
        out = ours({"images": images, "labels": labels}, training=True)
        assert_close(np.asarray(out["labels"]).sum(axis=1), np.ones(4), atol=1e-5)
        assert out["images"].shape == images.shape


def test_dict_inputs_boxes_and_masks() -> None:
    images = _images((2, 6, 6, 3))
    boxes = {"boxes": np.array([[[0, 0, 3, 3]], [[1, 1, 4, 5]]], np.float32),
             "labels": np.array([[1], [2]], np.int32)}
    masks = np.random.default_rng(1).integers(0, 3, (2, 6, 6, 1)).astype("float32")
    data = {"images": images, "bounding_boxes": boxes, "segmentation_masks": masks}
    out = lx.layers.RandomContrast(0.5, bounding_box_format="xyxy")(dict(data), training=True)
    assert_close(out["bounding_boxes"]["boxes"], boxes["boxes"])
    assert_close(out["segmentation_masks"], masks)
    mixed = lx.layers.MixUp(bounding_box_format="xyxy", seed=0)(dict(data), training=True)
    assert mixed["bounding_boxes"]["boxes"].shape == (2, 2, 4)
    assert mixed["bounding_boxes"]["labels"].shape == (2, 2)
    assert mixed["segmentation_masks"].shape == masks.shape
    cut = lx.layers.CutMix(seed=0)({"images": images, "segmentation_masks": masks})
    # Cut masks take values of the batch's masks only.
    assert set(np.unique(np.asarray(cut["segmentation_masks"]))) <= {0.0, 1.0, 2.0}
    # Single images (rank 3) keep their rank.
    assert lx.layers.RandomHue(0.3)(images[0]).shape == (6, 6, 3)


def _block() -> list[lx.Layer]:
    return [
        lx.layers.RandomContrast(0.2, seed=1), lx.layers.RandomBrightness(0.1, seed=2),
        lx.layers.RandomHue(0.1, seed=3), lx.layers.RandomSaturation((0.4, 0.6), seed=4),
        lx.layers.RandomGrayscale(0.2, seed=5), lx.layers.RandomSharpness(0.3, seed=6),
        lx.layers.RandomErasing(seed=7), lx.layers.RandomGaussianBlur(seed=8),
        lx.layers.RandomInvert(0.1, seed=9), lx.layers.RandomPosterization(6, seed=10),
        lx.layers.RandomColorDegeneration(0.2, seed=11), lx.layers.Solarization(0.1, 0.9),
        lx.layers.Equalization(bins=32), lx.layers.AutoContrast(),
        lx.layers.RandAugment(num_ops=1, seed=12),
        lx.layers.AugMix(num_chains=1, chain_depth=1, all_ops=False, seed=13),
        lx.layers.MixUp(seed=14), lx.layers.CutMix(seed=15),
        lx.layers.RandomColorJitter(brightness_factor=0.1, seed=16),
    ]


def test_augmentation_block_in_compiled_fit_and_save(tmp_path) -> None:
    block = _block()
    model = lx.Sequential([lx.Input((8, 8, 3)), *block, lx.layers.Rescaling(1 / 255),
                           lx.layers.GlobalAveragePooling2D(), lx.layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    x = _images((8, 8, 8, 3))
    y = np.zeros((8, 2), np.float32)
    states = [np.asarray(layer.generator.state.value) for layer in block[:11]]
    history = model.fit(x, y, batch_size=4, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    # Each random layer drew from its SeedGenerator at every step.
    for layer, before in zip(block[:11], states):
        assert not np.array_equal(np.asarray(layer.generator.state.value), before), layer.name
    # Inference skips the block: the same as the head alone.
    head = lx.Sequential([lx.layers.Rescaling(1 / 255), lx.layers.GlobalAveragePooling2D(),
                          model.layers[-1]])
    assert_close(model.predict(x, verbose=0), head.predict(x, verbose=0), atol=1e-5)
    path = str(tmp_path / "augment.keras")
    model.save(path)
    loaded = lx.saving.load_model(path)
    assert [type(layer).__name__ for layer in loaded.layers] == [
        type(layer).__name__ for layer in model.layers]
    for a, b in zip(loaded.layers, model.layers):
        assert a.get_config().keys() == b.get_config().keys()
    assert_close(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-5)


def test_vmap() -> None:
    x = np.stack([_images((2, 4, 4, 3), i) for i in range(3)])
    auto = lx.layers.AutoContrast()
    assert_close(jax.vmap(auto)(x), np.stack([auto(v) for v in x]), atol=1e-3)
    contrast = lx.layers.RandomContrast(0.5, seed=0)
    assert_close(jax.vmap(lambda v: contrast(v, training=False))(x), x)
    sharp = lx.layers.RandomSharpness(0.5)
    key = jax.random.key(0)
    t = sharp.get_random_transformation(x[0], seed=key)
    assert_close(jax.vmap(lambda v: sharp.transform_images(v, t))(x),
                 np.stack([sharp.transform_images(v, t) for v in x]), atol=1e-3)
