"""Parity of `lx.ops.image` with `keras.ops.image` (JAX backend): values, dtypes, jit, grads."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest

import layerax as lx
from layerax.ops import image as lim
from tests.ops._parity import Case, assert_close, check_case, rand

# keras.ops.image names deliberately not implemented, and why.
LEFT_OUT: dict[str, str] = {}


def _img(shape, dtype="float32"):
    return rand(shape, dtype, low=0.0, high=1.0)


def _cases():
    cl, cf = _img((2, 6, 7, 3)), _img((2, 3, 6, 7))
    single = _img((5, 6, 3))
    shift = np.array([1.0, 0.1, 0.7, -0.1, 1.0, -0.5, 0, 0], "float32")
    rot = np.array([[0.9, -0.3, 1.5, 0.3, 0.9, -0.5, 0, 0],
                    [1.1, 0.0, -0.3, 0.0, 0.8, 0.4, 0, 0]], "float32")
    start = np.array([[0, 0], [6, 0], [0, 5], [6, 5]], "float32")
    end = np.array([[0.5, 0.2], [5.5, 0.4], [0.2, 4.6], [6.0, 5.0]], "float32")
    cases = [
        Case("rgb_to_grayscale", (cl,)),
        Case("rgb_to_grayscale", (cf,), {"data_format": "channels_first"}, id="cf"),
        Case("rgb_to_grayscale", (rand((4, 4, 3), "int32", 0, 255),), grad=(), id="int"),
        Case("rgb_to_hsv", (cl,)),
        Case("rgb_to_hsv", (cf,), {"data_format": "channels_first"}, id="cf"),
        Case("hsv_to_rgb", (cl,)),
        Case("hsv_to_rgb", (single,), id="single"),
        Case("resize", (cl, (4, 9)), rtol=1e-4, atol=1e-5),
        Case("resize", (cf, (3, 3)), {"interpolation": "bicubic", "antialias": True,
                                      "data_format": "channels_first"},
             rtol=1e-4, atol=1e-5, id="bicubic-cf"),
        Case("resize", (single, (4, 4)), {"interpolation": "nearest"}, id="nearest"),
        Case("resize", (cl, (3, 6)), {"crop_to_aspect_ratio": True}, rtol=1e-4, atol=1e-5,
             id="crop"),
        Case("resize", (cl, (6, 3)), {"pad_to_aspect_ratio": True, "fill_value": 0.5},
             rtol=1e-4, atol=1e-5, id="pad"),
        Case("resize", (cf, (6, 3)), {"pad_to_aspect_ratio": True,
                                      "data_format": "channels_first"},
             rtol=1e-4, atol=1e-5, id="pad-cf"),
        Case("scale_and_translate", (cl, (2, 9, 5, 3), np.array([1.5, 0.7], "float32"),
                                     np.array([0.5, -1.0], "float32"), (1, 2), "linear"),
             grad=(0, 2, 3), rtol=1e-4, atol=1e-5),
        Case("scale_and_translate", (single, (8, 4, 3), np.array([1.6, 0.7], "float32"),
                                     np.zeros(2, "float32"), (0, 1), "lanczos3"),
             {"antialias": False}, rtol=1e-4, atol=1e-5, id="lanczos"),
        Case("map_coordinates", (_img((5, 6)), rand((2, 3, 4), low=-1, high=6), 1),
             grad=(0, 1), rtol=1e-4, atol=1e-5),
        Case("map_coordinates", (_img((4, 5, 3)), rand((3, 7), low=-1, high=5), 0),
             {"fill_mode": "wrap"}, grad=(0,), id="nearest-wrap"),
        Case("map_coordinates", (_img((5, 6)), rand((2, 8), low=-2, high=7), 1),
             {"fill_mode": "reflect", "fill_value": 0.3}, grad=(0, 1), rtol=1e-4, atol=1e-5,
             id="reflect"),
        # keras.ops.image needs one transform row per image; layerax also broadcasts one row.
        # Gradients with respect to the transform differ in c0/c1, which keras ignores.
        Case("affine_transform", (cl, rot), grad=(0,), rtol=1e-4, atol=1e-4),
        Case("affine_transform", (cf, rot), {"interpolation": "nearest", "fill_mode": "nearest",
                                             "data_format": "channels_first"},
             grad=(0,), id="nearest-cf"),
        Case("affine_transform", (single, shift), {"fill_mode": "reflect"}, grad=(0,),
             rtol=1e-4, atol=1e-4, id="reflect-single"),
        Case("affine_transform", (cl, rot), {"fill_mode": "wrap", "fill_value": 0.5},
             rtol=1e-4, atol=1e-4, id="wrap"),
        Case("perspective_transform", (cl, np.stack([start, start]), np.stack([end, start])),
             grad=(0, 2), rtol=1e-4, atol=1e-4),
        Case("perspective_transform", (single, start, end), grad=(0, 1, 2), rtol=1e-4,
             atol=1e-4, id="single"),
        Case("perspective_transform", (cf[:1], start, end), {"interpolation": "nearest",
                                                         "data_format": "channels_first"},
             grad=(0,), rtol=1e-4, atol=1e-4, id="cf"),
        # keras.ops.image.gaussian_blur (3.15, JAX) treats data_format=None as channels_first:
        # the format is passed explicitly here; the default is tested in
        # test_variables_and_default_data_format.
        Case("gaussian_blur", (cl,), {"data_format": "channels_last"}, rtol=1e-5, atol=1e-6),
        Case("gaussian_blur", (cf, (5, 3), (1.5, 0.7)), {"data_format": "channels_first"},
             rtol=1e-5, atol=1e-6, id="cf"),
        Case("gaussian_blur", (single, (3, 3), (2.0, 2.0)), {"data_format": "channels_last"}, rtol=1e-5,
             atol=1e-6, id="single"),
        Case("pad_images", (cl, 1, 2), {"bottom_padding": 0, "right_padding": 3}),
        Case("pad_images", (cf,), {"top_padding": 1, "target_height": 9, "left_padding": 0,
                                   "target_width": 8, "data_format": "channels_first"},
             id="target-cf"),
        Case("pad_images", (single,), {"bottom_padding": 2, "target_height": 8,
                                       "right_padding": 1, "target_width": 7}, id="single"),
        Case("crop_images", (cl, 1, 2), {"bottom_cropping": 0, "right_cropping": 3}),
        Case("crop_images", (cf,), {"top_cropping": 1, "target_height": 4, "left_cropping": 2,
                                    "target_width": 3, "data_format": "channels_first"},
             id="target-cf"),
        Case("extract_patches", (cl, 2), rtol=1e-6, atol=1e-6),
        Case("extract_patches", (cf, (3, 2)), {"strides": (1, 2), "padding": "same",
                                               "data_format": "channels_first"},
             rtol=1e-6, atol=1e-6, id="cf"),
        Case("extract_patches", (single, 2), {"strides": 1, "dilation_rate": 2},
             rtol=1e-6, atol=1e-6, id="dilated"),
        Case("extract_patches", (_img((1, 4, 4, 4, 2)), (2, 2, 2)), rtol=1e-6, atol=1e-6,
             id="3d-dispatch"),
        Case("extract_patches_3d", (_img((1, 4, 5, 4, 2)), 2), rtol=1e-6, atol=1e-6),
        Case("extract_patches_3d", (_img((2, 4, 5, 4)), (2, 3, 2)),
             {"strides": 1, "data_format": "channels_first"}, rtol=1e-6, atol=1e-6, id="cf"),
        Case("sobel_edges", (cl,), rtol=1e-5, atol=1e-5),
        Case("sobel_edges", (cf,), {"data_format": "channels_first"}, rtol=1e-5, atol=1e-5,
             id="cf"),
        Case("ssim", (_img((2, 16, 16, 3)), _img((2, 16, 16, 3)) * 0.5 + 0.2), grad=(0, 1),
             rtol=1e-4, atol=1e-5),
        Case("ssim", (_img((1, 12, 12)), _img((1, 12, 12))), {"filter_size": 5, "max_val": 2.0,
                                                             "data_format": "channels_first"},
             grad=(0,), rtol=1e-4, atol=1e-5, id="cf-single"),
    ]
    return cases


CASES = _cases()


@pytest.mark.parametrize("case", CASES, ids=str)
def test_parity_with_keras(case):
    check_case(case, getattr(lim, case.name), getattr(keras.ops.image, case.name))


def test_every_keras_image_name_is_covered():
    keras_names = {n for n in dir(keras.ops.image) if not n.startswith("_")}
    assert keras_names - set(LEFT_OUT) == set(lim.__all__)
    assert set(lim.__all__) == {c.name for c in CASES} | {"elastic_transform"}


def test_elastic_transform():
    images = _img((2, 10, 12, 3))
    # No displacement: the images come back unchanged (as with keras.ops.image).
    assert_close(lim.elastic_transform(images, alpha=0.0, seed=1),
                 keras.ops.image.elastic_transform(images, alpha=0.0, seed=1), 1e-6, 1e-6)
    a = lim.elastic_transform(images, alpha=3.0, sigma=2.0, seed=7)
    b = lim.elastic_transform(images, alpha=3.0, sigma=2.0, seed=7)
    c = lim.elastic_transform(images, alpha=3.0, sigma=2.0, seed=8)
    assert a.shape == images.shape and a.dtype == images.dtype
    assert_close(a, b)
    assert float(jnp.max(jnp.abs(a - c))) > 1e-3
    assert float(jnp.max(jnp.abs(a - images))) > 1e-3
    # The displacement moves pixel values around: with reflect filling they stay in range.
    assert float(a.min()) >= 0.0 and float(a.max()) <= 1.0 + 1e-6
    cf = lim.elastic_transform(np.moveaxis(images, -1, 1), alpha=3.0, sigma=2.0, seed=7,
                               data_format="channels_first")
    assert_close(np.moveaxis(np.asarray(cf), 1, -1), a, 1e-5, 1e-5)
    g = jax.grad(lambda x: jnp.sum(lim.elastic_transform(x, alpha=3.0, sigma=2.0, seed=7)))(
        jnp.asarray(images))
    assert g.shape == images.shape and bool(jnp.all(jnp.isfinite(g)))


def test_projective_coefficients_divide_by_the_homogeneous_coordinate():
    # keras.ops.image.affine_transform (JAX) ignores c0/c1; here they divide the coordinates.
    image = _img((1, 5, 5, 1))
    t = np.array([1, 0, 0, 0, 1, 0, 0.1, 0.0], "float32")
    ys, xs = np.meshgrid(np.arange(5.0), np.arange(5.0), indexing="ij")
    k = 0.1 * xs + 1
    want = jax.scipy.ndimage.map_coordinates(image[0, :, :, 0], [ys / k, xs / k], 1)
    assert_close(lim.affine_transform(image, t)[0, :, :, 0], want, 1e-5, 1e-5)


def test_variables_and_default_data_format():
    w = lx.Variable(_img((1, 4, 4, 3)))
    assert_close(lim.rgb_to_grayscale(w), keras.ops.image.rgb_to_grayscale(w.numpy()))
    x = _img((1, 4, 5, 3))
    assert_close(lim.gaussian_blur(x), lim.gaussian_blur(x, data_format="channels_last"))
    lx.config.set_image_data_format("channels_first")
    try:
        x = _img((1, 3, 4, 5))
        assert_close(lim.resize(x, (2, 2)),
                     keras.ops.image.resize(x, (2, 2), data_format="channels_first"), 1e-5, 1e-5)
    finally:
        lx.config.set_image_data_format("channels_last")


@pytest.mark.parametrize("call, match", [
    (lambda: lim.resize(_img((4, 4)), (2, 2)), "rank 3"),
    (lambda: lim.resize(_img((4, 4, 3)), (2, 2), interpolation="area"), "interpolation"),
    (lambda: lim.pad_images(_img((4, 4, 3)), 1, 1), "exactly two"),
    (lambda: lim.crop_images(_img((4, 4, 3)), 1, 1, target_height=9, target_width=2), ">= 0"),
    (lambda: lim.rgb_to_hsv(rand((4, 4, 3), "int32", 0, 9)), "float images"),
    (lambda: lim.affine_transform(_img((4, 4, 3)), np.ones(6)), r"\(8,\)"),
    (lambda: lim.map_coordinates(_img((4, 4)), np.ones((3, 2)), 1), "coordinates must be"),
])
def test_bad_input_raises_clear_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()
