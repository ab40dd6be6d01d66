"""Geometric image layers against Keras 3 (JAX backend): the deterministic layers on the
same inputs, and the random ones on the same transformation (Keras draws it, both apply it)."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

import layerax as lx
from tests.helpers import assert_close, keras

RNG = np.random.default_rng(0)
# Two small shapes: a batch with odd, non-square sides, and one square image.
IMAGES = RNG.uniform(0, 255, (2, 7, 9, 3)).astype("float32")
SQUARE = RNG.uniform(0, 255, (1, 6, 6, 2)).astype("float32")
BOXES = {
    "boxes": np.array([[[1, 1, 4, 5], [0, 0, 0, 0]], [[2, 3, 8, 6], [1, 2, 3, 4]]], "float32"),
    "labels": np.array([[1, -1], [2, 3]], "int32"),
}


def _boxes() -> dict[str, Any]:
    return {key: jnp.asarray(value) for key, value in BOXES.items()}


def _data() -> dict[str, Any]:
    return {"images": IMAGES, "bounding_boxes": _boxes()}


def _compare_compiled(thunks: list[Any], rtol: float = 1e-4, atol: float = 1e-2) -> None:
    """Each thunk returns (ours, keras') values, which must agree; all thunks run in one
    compilation (eagerly, the Keras ops and ours compile one program per op and shape)."""
    results = jax.jit(lambda: [thunk() for thunk in thunks])()
    for i, (a, b) in enumerate(results):
        try:
            assert_close(a, b, rtol=rtol, atol=atol)
        except AssertionError as err:
            raise AssertionError(f"case {i}: {err}") from None


def _pair(name: str, *args: Any, **kwargs: Any) -> tuple[Any, Any]:
    return getattr(lx.layers, name)(*args, **kwargs), getattr(keras().layers, name)(*args, **kwargs)


def test_deterministic_layers_match_keras():
    thunks = []
    for images in (IMAGES, SQUARE):
        cases = [
            ("Rescaling", (1 / 255.0, 0.5), {}),
            ("Rescaling", ([0.5, 1.0, 2.0][: images.shape[-1]],), {}),
            ("Resizing", (4, 5), {}),
            ("Resizing", (4, 5), {"interpolation": "nearest"}),
            ("Resizing", (5, 3), {"crop_to_aspect_ratio": True}),
            ("Resizing", (5, 3), {"pad_to_aspect_ratio": True, "fill_value": 3.0}),
            ("Resizing", (8, 10), {"interpolation": "bicubic"}),
            ("Resizing", (3, 4), {"antialias": True}),
            ("CenterCrop", (4, 5), {}),
            ("CenterCrop", (8, 12), {}),  # larger than the input: crop to the aspect ratio
            # RandomCrop's deterministic path (an input not larger than the target).
            ("RandomCrop", (8, 12), {}),
            ("RandomCrop", (images.shape[1], 5), {}),
        ]
        # The second shape: every other case (one compilation for all; keep it small).
        for name, args, kwargs in cases if images is IMAGES else cases[1::2]:
            ours, theirs = _pair(name, *args, **kwargs)
            thunks.append(lambda o=ours, k=theirs, x=images: (o(x), k(x)))
    _compare_compiled(thunks, atol=1e-3)


def test_resizing_integer_images_keep_their_dtype():
    ours, theirs = _pair("Resizing", 4, 5)
    images = IMAGES.astype("uint8")
    out = ours(images)
    assert out.dtype == np.uint8
    assert_close(out, theirs(images))


def _same_transformation(ours: Any, theirs: Any, images: Any, with_masks: bool) -> Any:
    """Keras draws a transformation (in the compiled program); both layers apply it."""
    t = theirs.get_random_transformation(images, training=True, seed=7)
    a, b = [ours.transform_images(images, t)], [theirs.transform_images(images, t)]
    if with_masks:  # segmentation masks: nearest sampling of integer masks
        masks = (images[..., :1] > 128).astype("int32")
        a.append(ours.transform_segmentation_masks(masks, t))
        b.append(theirs.transform_segmentation_masks(masks, t))
    return a, b


def test_random_layers_apply_keras_transformations():
    # The cases alternate between the two shapes.
    cases = [
        ("RandomRotation", (0.2,), {"fill_mode": "reflect"}, True),
        ("RandomRotation", (0.3,), {"fill_mode": "constant", "fill_value": 2.0,
                                    "interpolation": "nearest"}, False),
        ("RandomRotation", (0.3,), {"fill_mode": "wrap"}, False),
        ("RandomZoom", (0.3, (-0.2, 0.4)), {}, True),
        ("RandomZoom", ((-0.5, -0.1),), {"fill_mode": "constant"}, False),
        ("RandomTranslation", (0.3, 0.2), {}, False),
        ("RandomTranslation", ((-0.2, 0.4), 0.5), {"fill_mode": "wrap",
                                                  "interpolation": "nearest"}, True),
        ("RandomShear", (0.3, 0.2), {}, False),
        ("RandomPerspective", (0.5, 0.4), {}, True),
        ("RandomFlip", ("horizontal",), {}, False),
        ("RandomFlip", ("vertical",), {}, False),
        ("RandomFlip", (), {}, True),
    ]
    thunks = []
    for i, (name, args, kwargs, with_masks) in enumerate(cases):
        ours, theirs = _pair(name, *args, **kwargs)
        images = (IMAGES, SQUARE)[i % 2]
        thunks.append(lambda o=ours, k=theirs, x=images, m=with_masks:
                      _same_transformation(o, k, x, m))
    ours, theirs = _pair("RandomCrop", 4, 5)
    thunks.append(lambda: (ours.transform_images(IMAGES, (jnp.asarray(2), jnp.asarray(1))),
                           theirs.transform_images(IMAGES, (2, 1))))
    _compare_compiled(thunks)


def test_zero_factors_are_the_identity_like_keras():
    thunks = []
    for name, args in [("RandomRotation", (0.0,)), ("RandomZoom", (0.0,)),
                       ("RandomTranslation", (0.0, 0.0)), ("RandomShear", (0.0, 0.0)),
                       ("RandomPerspective", (1.0, 0.0)), ("RandomElasticTransform", (0.0,))]:
        ours, theirs = _pair(name, *args, seed=1)

        def both(o: Any = ours, k: Any = theirs) -> Any:
            a = o.transform_images(SQUARE, o.get_random_transformation(SQUARE, seed=1))
            b = k.transform_images(SQUARE, k.get_random_transformation(SQUARE, seed=1))
            return (a, a), (b, SQUARE)

        thunks.append(both)
    _compare_compiled(thunks)


def test_bounding_boxes_match_keras():
    thunks = []

    def boxes_of(ours: Any, theirs: Any) -> Any:
        return ours(_data())["bounding_boxes"], theirs(_data())["bounding_boxes"]

    for kwargs in [{}, {"crop_to_aspect_ratio": True}, {"pad_to_aspect_ratio": True}]:
        thunks.append(lambda p=_pair("Resizing", 4, 5, bounding_box_format="xyxy", **kwargs):
                      boxes_of(*p))
    for size in [(4, 5), (8, 12)]:
        thunks.append(lambda p=_pair("CenterCrop", *size, bounding_box_format="xyxy"):
                      boxes_of(*p))
    flips = {"flips": np.array([True, False]).reshape(2, 1, 1, 1), "input_shape": IMAGES.shape}
    for fmt in ["xyxy", "rel_yxyx", "center_xywh"]:
        boxes = _boxes()
        if fmt != "xyxy":
            boxes["boxes"] = lx.layers.preprocessing.image.boxes.convert_format(
                boxes["boxes"], "xyxy", fmt, 7, 9)
        ours, theirs = _pair("RandomFlip", bounding_box_format=fmt)
        thunks.append(lambda o=ours, k=theirs, b=boxes: (
            o.transform_bounding_boxes(dict(b), flips)["boxes"],
            k.transform_bounding_boxes(dict(b), flips)["boxes"]))
    _compare_compiled(thunks, rtol=1e-5, atol=1e-4)
    for number in (3, 1):  # eagerly: Keras' MaxNumBoundingBoxes does not trace
        ours, theirs = _pair("MaxNumBoundingBoxes", number, bounding_box_format="xyxy")
        assert_close(*boxes_of(ours, theirs))


def test_affine_bounding_boxes_match_keras_on_real_boxes():
    """Keras moves padding rows too; both agree on the real boxes (row 0 of image 0 and both
    rows of image 1). Shear on a square image with an x shear only, where Keras' formula is
    exact."""
    cases = [("RandomRotation", (0.1,), IMAGES), ("RandomZoom", (0.3, 0.2), IMAGES),
             ("RandomTranslation", (0.3, 0.2), IMAGES), ("RandomPerspective", (1.0, 0.3), IMAGES),
             ("RandomShear", (0.3, 0.0), np.zeros((2, 9, 9, 1), "float32"))]

    def moved(ours: Any, theirs: Any, images: Any) -> Any:
        t = theirs.get_random_transformation(images, training=True, seed=7)
        a = ours.transform_bounding_boxes(dict(_boxes()), t)["boxes"]
        b = theirs.transform_bounding_boxes(_boxes(), t)["boxes"]
        # Padding stays padding.
        return (a[0, 0], a[1], a[0, 1]), (b[0, 0], b[1], jnp.zeros(4))

    thunks = [lambda p=_pair(name, *args, bounding_box_format="xyxy"), x=images: moved(*p, x)
              for name, args, images in cases]
    _compare_compiled(thunks, atol=1e-4)


def test_configs_match_keras():
    cases = [
        ("Rescaling", (0.5, 1.0), {}),
        ("Resizing", (4, 5), {"crop_to_aspect_ratio": True}),
        ("CenterCrop", (4, 5), {}),
        ("RandomCrop", (4, 5), {"seed": 3}),
        ("RandomFlip", ("vertical",), {"seed": 3}),
        ("RandomRotation", (0.2,), {"seed": 3, "fill_mode": "constant"}),
        ("RandomZoom", (0.2, 0.3), {"seed": 3}),
        ("RandomTranslation", (0.2, 0.1), {"seed": 3}),
        ("RandomShear", (0.2, 0.1), {"seed": 3}),
        ("RandomPerspective", (0.5, 0.2), {"seed": 3}),
        ("RandomElasticTransform", (0.5, 0.2), {"seed": 3}),
        ("MaxNumBoundingBoxes", (4,), {"bounding_box_format": "xyxy"}),
    ]
    for name, args, kwargs in cases:
        ours, theirs = _pair(name, *args, **kwargs)
        a, b = ours.get_config(), theirs.get_config()
        # Keras' MaxNumBoundingBoxes drops `fill_value` from its config (a round trip resets
        # it to -1); ours keeps it.
        extra = {"fill_value"} if name == "MaxNumBoundingBoxes" else set()
        assert set(a) == set(b) | extra, (name, set(a) ^ set(b))
        for key in b:
            if key != "name" and not isinstance(b[key], dict):
                assert a[key] == b[key] or list(np.ravel(a[key])) == list(np.ravel(b[key])), (
                    name, key, a[key], b[key])
        # Keras' config builds our layer and the other way round.
        assert type(ours).from_config(b).get_config() == a | {"name": b["name"]}
        assert type(ours).from_config(a).get_config() == a
        if name != "RandomCrop":  # see test_random_crop_outside_training
            assert ours(SQUARE, training=False).shape == theirs(SQUARE, training=False).shape


def test_random_crop_outside_training():
    """Keras' RandomCrop returns the input unchanged with training=False (its docstring and
    `compute_output_shape` promise the target size); ours takes its deterministic window,
    the one Keras takes in training for inputs not larger than the target."""
    ours, theirs = _pair("RandomCrop", 4, 5)
    assert ours.compute_output_shape(IMAGES.shape) == theirs.compute_output_shape(IMAGES.shape)
    out = ours(IMAGES, training=False)
    assert out.shape == (2, 4, 5, 3)
    top, left = ours.get_random_transformation(IMAGES, training=False)[:2]
    assert_close(out, IMAGES[:, top:top + 4, left:left + 5])
