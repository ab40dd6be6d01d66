"""Geometric image layers: the layer harness, the random parameters' distributions (against
Keras' draws), `training=False` identity, dict inputs, data formats and argument errors."""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp
import numpy as np
import pytest

import layerax as lx
from tests.helpers import assert_close, keras
from tests.layers.harness import check_layer

L = lx.layers
RNG = np.random.default_rng(1)
IMAGES = RNG.uniform(0, 255, (2, 6, 6, 2)).astype("float32")

FACTORIES = {
    "Rescaling": lambda: L.Rescaling(1 / 255.0),
    "Resizing": lambda: L.Resizing(3, 4),
    "CenterCrop": lambda: L.CenterCrop(4, 3),
    "RandomCrop": lambda: L.RandomCrop(4, 3, seed=0),
    "RandomFlip": lambda: L.RandomFlip(seed=0),
    "RandomRotation": lambda: L.RandomRotation(0.2, seed=0),
    "RandomZoom": lambda: L.RandomZoom(0.2, seed=0),
    "RandomTranslation": lambda: L.RandomTranslation(0.2, 0.2, seed=0),
    "RandomShear": lambda: L.RandomShear(0.2, 0.2, seed=0),
    "RandomPerspective": lambda: L.RandomPerspective(seed=0),
    "RandomElasticTransform": lambda: L.RandomElasticTransform(seed=0),
    "MaxNumBoundingBoxes": lambda: L.MaxNumBoundingBoxes(3),
}
RANDOM = ["RandomFlip", "RandomRotation", "RandomZoom", "RandomTranslation", "RandomShear",
          "RandomPerspective", "RandomElasticTransform"]


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_harness(name):
    """The Layer contract, in inference mode (random layers are then deterministic)."""
    layer = check_layer(FACTORIES[name], IMAGES.shape, inputs=jnp.asarray(IMAGES),
                        call_kwargs={"training": False}, run_grad=name == "Rescaling")
    assert not layer.trainable_weights


def test_training_false_is_the_identity_and_casts():
    images = IMAGES.astype("uint8")
    for name in RANDOM:
        out = FACTORIES[name]()(images, training=False)
        assert out.dtype == np.float32
        assert_close(out, images.astype("float32"))
        single = FACTORIES[name]()(images[0], training=False)
        assert_close(single, images[0].astype("float32"))


def test_training_true_by_default_and_seeded():
    """Called alone, the layers augment (Keras' `training=True` default); a seed makes the
    sequence reproducible and successive calls draw new parameters."""
    for name in RANDOM:
        a, b = FACTORIES[name](), FACTORIES[name]()
        first, again = a(IMAGES), b(IMAGES)
        assert_close(first, again)
        assert first.shape == IMAGES.shape
        if name != "RandomFlip":  # two flips can coincide
            assert not np.allclose(first, IMAGES), name
            assert not np.allclose(a(IMAGES), first), name


def _stats(values: Any) -> tuple[float, float, float, float]:
    v = np.asarray(values, np.float64).ravel()
    return v.mean(), v.std(), v.min(), v.max()


def test_random_parameters_follow_keras_distributions():
    k = keras()
    batch = np.zeros((2000, 4, 4, 1), "float32")
    cases = [
        ("RandomRotation", (0.25,), {}, lambda t: t["angle"]),
        ("RandomRotation", ((-0.1, 0.3),), {}, lambda t: t["angle"]),
        ("RandomZoom", ((-0.3, 0.5), 0.2), {}, lambda t: t["height_zoom"]),
        ("RandomZoom", ((-0.3, 0.5), 0.2), {}, lambda t: t["width_zoom"]),
        ("RandomTranslation", (0.2, (-0.1, 0.4)), {}, lambda t: t["translations"][:, 0]),
        ("RandomTranslation", (0.2, (-0.1, 0.4)), {}, lambda t: t["translations"][:, 1]),
        ("RandomShear", (0.3, 0.1), {}, lambda t: np.abs(t["shear_factor"][:, 0])),
        ("RandomShear", (0.3, 0.1), {}, lambda t: t["shear_factor"][:, 1]),
        ("RandomFlip", (), {}, lambda t: t["flips"]),
        ("RandomPerspective", (0.6, 0.5), {}, lambda t: t["apply_perspective"]),
        ("RandomPerspective", (0.6, 0.5), {}, lambda t: t["end_points"] - t["start_points"]),
        ("RandomElasticTransform", ((0.2, 0.4),), {}, lambda t: t["apply_transform"]),
    ]
    for name, args, kwargs, pick in cases:
        ours = getattr(L, name)(*args, seed=3, **kwargs)
        theirs = getattr(k.layers, name)(*args, seed=3, **kwargs)
        a = _stats(pick(ours.get_random_transformation(batch, training=True)))
        b = _stats(pick(theirs.get_random_transformation(batch, training=True)))
        scale = max(b[1], 1e-3)
        assert abs(a[0] - b[0]) < 0.12 * scale + 1e-3, (name, a, b)  # ~5 standard errors
        assert abs(a[1] - b[1]) < 0.1 * scale, (name, a, b)
        assert b[2] - 0.05 * scale <= a[2] and a[3] <= b[3] + 0.05 * scale, (name, a, b)
    # RandomCrop: the corner is uniform over the valid positions (one per call).
    crop = L.RandomCrop(2, 3, seed=0)
    corners = np.array([np.asarray(crop.get_random_transformation(batch[:1])[:2])
                        for _ in range(300)])
    assert corners[:, 0].min() == 0 and corners[:, 0].max() == 2
    assert corners[:, 1].min() == 0 and corners[:, 1].max() == 1
    assert abs(corners[:, 0].mean() - 1.0) < 0.2


def test_dict_inputs_stay_aligned():
    """Images, masks and boxes get the same transformation, batched or as a single image."""
    image = np.zeros((6, 8, 1), "float32")
    image[1:3, 1:4] = 200.0  # a bright box: x in [1, 4), y in [1, 3)
    mask = (image > 0).astype("int32")
    boxes = {"boxes": [[1.0, 1.0, 4.0, 3.0]], "labels": [1]}
    for layer in [L.RandomFlip("horizontal", seed=0, bounding_box_format="xyxy"),
                  L.RandomTranslation(0.3, 0.3, seed=0, interpolation="nearest",
                                      fill_mode="constant", bounding_box_format="xyxy"),
                  L.RandomRotation((0.25, 0.25), seed=0, interpolation="nearest",
                                   fill_mode="constant", bounding_box_format="xyxy")]:
        for _ in range(3):
            out = layer({"images": image, "segmentation_masks": mask,
                         "bounding_boxes": dict(boxes), "labels": np.array([2])}, training=True)
            assert out["images"].shape == image.shape and out["labels"].tolist() == [2]
            moved = np.asarray(out["segmentation_masks"])[..., 0]
            assert_close(moved, (np.asarray(out["images"])[..., 0] > 100).astype("int32"))
            ys, xs = np.nonzero(moved)
            box = np.asarray(out["bounding_boxes"]["boxes"])
            assert box.shape == (1, 4)
            if len(xs):  # the box around the moved pixels (pixel edges) is the moved box
                assert_close(box[0], [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], atol=1.01)
    # Ragged box lists are padded with label -1.
    layer = L.MaxNumBoundingBoxes(2, bounding_box_format="xyxy")
    out = layer({"images": np.zeros((2, 4, 4, 1)),
                 "bounding_boxes": {"boxes": [[[0, 0, 1, 1]], [[0, 0, 2, 2], [1, 1, 3, 3]]],
                                    "labels": [[1], [2, 3]]}})
    assert out["bounding_boxes"]["labels"].tolist() == [[1, -1], [2, 3]]


def test_channels_first_matches_channels_last():
    images_cf = np.transpose(IMAGES, (0, 3, 1, 2))
    for name, args in [("RandomRotation", (0.2,)), ("RandomZoom", (0.3,)),
                       ("RandomPerspective", (1.0, 0.4)), ("RandomFlip", ())]:
        last = getattr(L, name)(*args, seed=5)
        first = getattr(L, name)(*args, seed=5, data_format="channels_first")
        assert_close(np.transpose(first(images_cf), (0, 2, 3, 1)), last(IMAGES), atol=1e-3)
    for layer_cf, layer_cl in [(L.Resizing(3, 4, data_format="channels_first"), L.Resizing(3, 4)),
                               (L.CenterCrop(4, 3, data_format="channels_first"),
                                L.CenterCrop(4, 3))]:
        assert_close(np.transpose(layer_cf(images_cf), (0, 2, 3, 1)), layer_cl(IMAGES), atol=1e-4)
        assert layer_cf.compute_output_shape((None, 2, 6, 6)) == (None, 2, 3, 4)[: 2] + (
            layer_cl.compute_output_shape((None, 6, 6, 2))[1:3])


def test_argument_errors():
    with pytest.raises(ValueError, match="factor"):
        L.RandomRotation(1.5)
    with pytest.raises(ValueError, match="height_factor"):
        L.RandomZoom(-1.0)
    with pytest.raises(ValueError, match="width_factor"):
        L.RandomTranslation(0.1, 2.0)
    with pytest.raises(ValueError, match="x_factor"):
        L.RandomShear(x_factor=-0.5)
    with pytest.raises(ValueError, match="scale"):
        L.RandomPerspective(scale=2.0)
    with pytest.raises(NotImplementedError, match="fill_mode"):
        L.RandomRotation(0.1, fill_mode="mirror")
    with pytest.raises(NotImplementedError, match="interpolation"):
        L.RandomZoom(0.1, interpolation="bicubic")
    with pytest.raises(ValueError, match="mode"):
        L.RandomFlip("diagonal")
    with pytest.raises(ValueError, match="interpolation"):
        L.Resizing(2, 2, interpolation="cubic")
    with pytest.raises(ValueError, match="crop_to_aspect_ratio"):
        L.Resizing(2, 2, crop_to_aspect_ratio=True, pad_to_aspect_ratio=True)
    with pytest.raises(ValueError, match="height"):
        L.CenterCrop(0, 2)
    with pytest.raises(ValueError, match="bounding_box_format"):
        L.RandomFlip(bounding_box_format="xyzw")
    with pytest.raises(ValueError, match="does not take a `factor`"):
        L.RandomFlip(factor=0.1)
    with pytest.raises(ValueError, match="bounding box format"):
        L.RandomFlip()({"images": IMAGES, "bounding_boxes": {"boxes": np.zeros((2, 1, 4)),
                                                             "labels": np.zeros((2, 1))}})
    with pytest.raises(ValueError, match="rank 3"):
        L.RandomFlip()(np.zeros((4, 4)))
    with pytest.raises(ValueError, match="'images'"):
        L.RandomFlip()({"labels": np.zeros((2,))})


def test_crops_move_boxes_with_the_pixels():
    image = np.zeros((1, 6, 8, 1), "float32")
    image[0, 1:5, 2:7] = 1.0  # x in [2, 7), y in [1, 5)
    data = {"images": image, "segmentation_masks": image.astype("int32"),
            "bounding_boxes": {"boxes": np.array([[[2.0, 1.0, 7.0, 5.0]]]),
                               "labels": np.array([[1]])}}
    for layer, training in [(L.RandomCrop(4, 6, seed=0, bounding_box_format="xyxy"), True),
                            (L.RandomCrop(4, 6, seed=1, bounding_box_format="xyxy"), True),
                            (L.RandomCrop(4, 6, bounding_box_format="xyxy"), False),
                            (L.CenterCrop(4, 6, bounding_box_format="xyxy"), True)]:
        out = layer({**data, "bounding_boxes": dict(data["bounding_boxes"])}, training=training)
        mask = np.asarray(out["segmentation_masks"])[0, ..., 0]
        assert mask.shape == (4, 6)
        assert_close(mask, np.asarray(out["images"])[0, ..., 0])
        ys, xs = np.nonzero(mask)
        assert_close(np.asarray(out["bounding_boxes"]["boxes"])[0, 0],
                     [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1])
