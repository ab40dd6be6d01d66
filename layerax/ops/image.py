"""Image ops of `keras.ops.image`: resizing, geometric transforms, colour spaces, filters.

Images are `(batch, height, width, channels)` or one `(height, width, channels)` image for
`data_format="channels_last"` (the default from `lx.config.image_data_format()`), and
`(batch, channels, height, width)` for `"channels_first"`.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from layerax import random as _random
from layerax.ops.nn import _data_format, _float, _t, conv

__all__ = [
    "affine_transform", "crop_images", "elastic_transform", "extract_patches",
    "extract_patches_3d", "gaussian_blur", "hsv_to_rgb", "map_coordinates", "pad_images",
    "perspective_transform", "resize", "rgb_to_grayscale", "rgb_to_hsv", "scale_and_translate",
    "sobel_edges", "ssim",
]

_ORDERS = {"nearest": 0, "bilinear": 1}
_FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")
_RESIZE = ("bilinear", "nearest", "lanczos3", "lanczos5", "bicubic")


def _images(images: Any, op: str, rank: tuple[int, ...] = (3, 4)) -> jax.Array:
    x = _t(images)
    if x.ndim not in rank:
        raise ValueError(
            f"`{op}` expects a single image (rank 3) or a batch of images (rank 4). "
            f"Received: images.shape={x.shape}"
        )
    return x


def _choice(value: Any, allowed: Any, name: str, op: str) -> None:
    if value not in allowed:
        raise ValueError(f"`{op}`: `{name}` must be one of {list(allowed)}. "
                         f"Received: {name}={value!r}")


def _to_nhwc(x: jax.Array, data_format: str) -> tuple[jax.Array, bool]:
    """A batched channels_last view of `x`, and whether it was a single image."""
    single = x.ndim == 3
    if single:
        x = x[None]
    if data_format == "channels_first":
        x = jnp.transpose(x, (0, 2, 3, 1))
    return x, single


def _from_nhwc(x: jax.Array, data_format: str, single: bool) -> jax.Array:
    if data_format == "channels_first":
        x = jnp.transpose(x, (0, 3, 1, 2))
    return x[0] if single else x


def _channel_axis(data_format: str) -> int:
    return -1 if data_format == "channels_last" else -3


# ------------------------------------------------------------------- colour


def rgb_to_grayscale(images: Any, data_format: str | None = None) -> jax.Array:
    """Luma `0.2989 R + 0.587 G + 0.114 B`, keeping a channel axis of size 1.

    Example:
        >>> import layerax as lx, numpy as np
        >>> lx.ops.image.rgb_to_grayscale(np.ones((2, 2, 3), np.float32)).shape
        (2, 2, 1)
    """
    data_format = _data_format(data_format)
    x = _images(images, "rgb_to_grayscale")
    axis = _channel_axis(data_format)
    if x.shape[axis] not in (1, 3):
        raise ValueError(f"`rgb_to_grayscale` expects 3 (RGB) or 1 channels. "
                         f"Received: images.shape={x.shape}, data_format={data_format!r}")
    if x.shape[axis] == 1:
        return x
    work = _float(x)
    weights = jnp.asarray([0.2989, 0.5870, 0.1140], work.dtype)
    gray = jnp.expand_dims(jnp.tensordot(work, weights, axes=([axis], [0])), axis)
    return gray.astype(x.dtype)


def _float_images(images: Any, op: str) -> jax.Array:
    x = _images(images, op)
    if not jnp.issubdtype(x.dtype, jnp.floating):
        raise ValueError(f"`{op}` expects float images (values in [0, 1]). Received: "
                         f"images.dtype={x.dtype}; cast them, e.g. `images / 255.0`.")
    return x


def rgb_to_hsv(images: Any, data_format: str | None = None) -> jax.Array:
    """RGB to hue, saturation, value, all in [0, 1].

    Example:
        >>> import layerax as lx, numpy as np
        >>> lx.ops.image.rgb_to_hsv(np.array([[[1.0, 0.0, 0.0]]], np.float32)).ravel().tolist()
        [0.0, 1.0, 1.0]
    """
    data_format = _data_format(data_format)
    x = _float_images(images, "rgb_to_hsv")
    axis = _channel_axis(data_format)
    x = jnp.where(jnp.abs(x) < jnp.finfo(x.dtype).eps, 0.0, x).astype(x.dtype)
    r, g, b = (jnp.take(x, i, axis=axis) for i in range(3))
    value = jnp.maximum(jnp.maximum(r, g), b)
    spread = value - jnp.minimum(jnp.minimum(r, g), b)
    saturation = jnp.where(value > 0, spread / jnp.where(value > 0, value, 1), 0)
    scale = 1 / (6 * jnp.where(spread > 0, spread, 1))
    hue = jnp.where(value == g, scale * (b - r) + 2 / 6, scale * (r - g) + 4 / 6)
    hue = jnp.where(value == r, scale * (g - b), hue)
    hue = jnp.where(spread > 0, hue, 0) + (hue < 0).astype(hue.dtype)
    return jnp.stack([hue, saturation, value], axis=axis).astype(x.dtype)


def hsv_to_rgb(images: Any, data_format: str | None = None) -> jax.Array:
    """Hue, saturation, value (in [0, 1]) to RGB.

    Example:
        >>> import layerax as lx, numpy as np
        >>> lx.ops.image.hsv_to_rgb(np.array([[[0.0, 1.0, 1.0]]], np.float32)).ravel().tolist()
        [1.0, 0.0, 0.0]
    """
    data_format = _data_format(data_format)
    x = _float_images(images, "hsv_to_rgb")
    axis = _channel_axis(data_format)
    h, s, v = (jnp.take(x, i, axis=axis) for i in range(3))
    sector = jnp.mod(h, 1.0) * 6
    red = jnp.clip(jnp.abs(sector - 3) - 1, 0, 1)
    green = jnp.clip(2 - jnp.abs(sector - 2), 0, 1)
    blue = jnp.clip(2 - jnp.abs(sector - 4), 0, 1)
    planes = [v * (1 - s + s * c) for c in (red, green, blue)]
    return jnp.stack(planes, axis=axis).astype(x.dtype)


# ------------------------------------------------------------------ resizing


def _box(length: int, target: int, other_length: int, other_target: int) -> int:
    return int(float(other_length * target) / other_target)


def resize(images: Any, size: Any, interpolation: str = "bilinear", antialias: bool = False,
           crop_to_aspect_ratio: bool = False, pad_to_aspect_ratio: bool = False,
           fill_mode: str = "constant", fill_value: float = 0.0,
           data_format: str | None = None) -> jax.Array:
    """Resizes images to `size = (height, width)`.

    Args:
        images: One image or a batch.
        size: `(height, width)` of the result.
        interpolation: `"bilinear"`, `"nearest"`, `"bicubic"`, `"lanczos3"` or `"lanczos5"`.
        antialias: Whether to low-pass filter when downsampling.
        crop_to_aspect_ratio: Centre-crop to the target aspect ratio first.
        pad_to_aspect_ratio: Pad (with `fill_value`) to the target aspect ratio first.
        fill_mode: Only `"constant"`.
        fill_value: Value of the padding.
        data_format: `"channels_last"` or `"channels_first"`.

    Example:
        >>> import layerax as lx, numpy as np
        >>> lx.ops.image.resize(np.ones((4, 4, 3), np.float32), (2, 6)).shape
        (2, 6, 3)
    """
    data_format = _data_format(data_format)
    _choice(interpolation, _RESIZE, "interpolation", "resize")
    _choice(fill_mode, ("constant",), "fill_mode", "resize")
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError("`resize`: only one of crop_to_aspect_ratio and pad_to_aspect_ratio "
                         "can be True.")
    if len(size) != 2:
        raise ValueError(f"`resize`: size must be (height, width). Received: size={size!r}")
    x, single = _to_nhwc(_images(images, "resize"), data_format)
    th, tw = int(size[0]), int(size[1])
    n, h, w, c = x.shape
    if crop_to_aspect_ratio:
        ch = max(min(h, _box(h, th, w, tw)), 1)
        cw = max(min(w, _box(w, tw, h, th)), 1)
        top, left = int(float(h - ch) / 2), int(float(w - cw) / 2)
        x = x[:, top:top + ch, left:left + cw]
    elif pad_to_aspect_ratio:
        ph = max(h, _box(h, th, w, tw))
        pw = max(w, _box(w, tw, h, th))
        top, left = int(float(ph - h) / 2), int(float(pw - w) / 2)
        if top > 0:
            x = jnp.pad(x, ((0, 0), (top, top), (0, 0), (0, 0)), constant_values=fill_value)
        elif left > 0:
            x = jnp.pad(x, ((0, 0), (0, 0), (left, left), (0, 0)), constant_values=fill_value)
    out = jax.image.resize(x, (x.shape[0], th, tw, c), method=interpolation, antialias=antialias)
    return _from_nhwc(out, data_format, single)


def scale_and_translate(images: Any, output_shape: Any, scale: Any, translation: Any,
                        spatial_dims: Any, method: str, antialias: bool = True) -> jax.Array:
    """Scales and translates `spatial_dims` of `images` (`jax.image.scale_and_translate`).

    Example:
        >>> import layerax as lx, numpy as np
        >>> lx.ops.image.scale_and_translate(np.ones((4, 4), np.float32), (8, 8),
        ...                                  np.array([2.0, 2.0]), np.zeros(2), (0, 1),
        ...                                  "linear").shape
        (8, 8)
    """
    _choice(method, ("linear", "bilinear", "trilinear", "cubic", "bicubic", "tricubic",
                     "lanczos3", "lanczos5"), "method", "scale_and_translate")
    return jax.image.scale_and_translate(_float(images), tuple(output_shape), tuple(spatial_dims),
                                         _t(scale), _t(translation), method, antialias)


# ------------------------------------------------------- geometric transforms


def map_coordinates(inputs: Any, coordinates: Any, order: int, fill_mode: str = "constant",
                    fill_value: float = 0.0) -> jax.Array:
    """Samples `inputs` at `coordinates` (one row of coordinates per input axis).

    Args:
        inputs: An N-D array.
        coordinates: `(N, *output_shape)` sample positions, in index units.
        order: 0 (nearest) or 1 (linear) interpolation.
        fill_mode: How positions outside are filled: `"constant"`, `"nearest"`, `"wrap"`,
            `"mirror"` or `"reflect"`.
        fill_value: The value for `"constant"`.

    Example:
        >>> import layerax as lx, numpy as np
        >>> lx.ops.image.map_coordinates(np.arange(4.0), np.array([[0.5, 2.0]]), 1).tolist()
        [0.5, 2.0]
    """
    x, coords = _t(inputs), _t(coordinates)
    if coords.ndim < 2 or coords.shape[0] != x.ndim:
        raise ValueError(
            "`map_coordinates`: coordinates must be (inputs.ndim, ...). Received: "
            f"inputs.shape={x.shape}, coordinates.shape={coords.shape}"
        )
    _choice(fill_mode, _FILL_MODES, "fill_mode", "map_coordinates")
    _choice(order, (0, 1), "order", "map_coordinates")
    return jax.scipy.ndimage.map_coordinates(x, list(coords), order, fill_mode, fill_value)


def _sample(images: jax.Array, ys: jax.Array, xs: jax.Array, order: int, mode: str,
            fill_value: float) -> jax.Array:
    """Samples batched NHWC `images` at per-image `(ys, xs)` grids of shape (N, H, W)."""

    def one(image: jax.Array, y: jax.Array, x: jax.Array) -> jax.Array:
        def plane(p: jax.Array) -> jax.Array:
            return jax.scipy.ndimage.map_coordinates(p, [y, x], order, mode, fill_value)

        return jax.vmap(plane, in_axes=-1, out_axes=-1)(image)

    return jax.vmap(one)(images, ys, xs)


def affine_transform(images: Any, transform: Any, interpolation: str = "bilinear",
                     fill_mode: str = "constant", fill_value: float = 0,
                     data_format: str | None = None) -> jax.Array:
    """Projective transform of images by `[a0, a1, a2, b0, b1, b2, c0, c1]`.

    The output pixel `(x, y)` samples the input at
    `((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k)` with `k = c0 x + c1 y + 1`.

    Args:
        images: One image or a batch.
        transform: `(8,)` or one row per image `(batch, 8)`.
        interpolation: `"nearest"` or `"bilinear"`.
        fill_mode: `"constant"`, `"nearest"`, `"wrap"`, `"mirror"` or `"reflect"`.
        fill_value: The value for `"constant"`.
        data_format: `"channels_last"` or `"channels_first"`.

    Example:
        >>> import layerax as lx, numpy as np
        >>> shift = np.array([1, 0, 1, 0, 1, 0, 0, 0], np.float32)  # x + 1
        >>> lx.ops.image.affine_transform(np.arange(3.0).reshape(1, 3, 1), shift)[0, :, 0].tolist()
        [1.0, 2.0, 0.0]
    """
    data_format = _data_format(data_format)
    _choice(interpolation, _ORDERS, "interpolation", "affine_transform")
    _choice(fill_mode, _FILL_MODES, "fill_mode", "affine_transform")
    x, single = _to_nhwc(_images(images, "affine_transform"), data_format)
    t = _float(transform)
    if t.ndim not in (1, 2) or t.shape[-1] != 8:
        raise ValueError("`affine_transform`: transform must be (8,) or (batch, 8). "
                         f"Received: transform.shape={t.shape}")
    t = jnp.broadcast_to(t.reshape(-1, 8), (x.shape[0], 8)).astype(jnp.float32)
    ys, xs = jnp.meshgrid(jnp.arange(x.shape[1], dtype=jnp.float32),
                          jnp.arange(x.shape[2], dtype=jnp.float32), indexing="ij")
    col = [t[:, i, None, None] for i in range(8)]
    k = col[6] * xs + col[7] * ys + 1
    src_x = (col[0] * xs + col[1] * ys + col[2]) / k
    src_y = (col[3] * xs + col[4] * ys + col[5]) / k
    out = _sample(x, src_y, src_x, _ORDERS[interpolation], fill_mode, fill_value)
    return _from_nhwc(out.astype(x.dtype), data_format, single)


def _homography(start: jax.Array, end: jax.Array) -> jax.Array:
    """The 8 projective coefficients mapping each end point to its start point."""
    sx, sy, ex, ey = start[..., 0], start[..., 1], end[..., 0], end[..., 1]
    zero, one = jnp.zeros_like(ex), jnp.ones_like(ex)
    rows_x = jnp.stack([ex, ey, one, zero, zero, zero, -sx * ex, -sx * ey], axis=-1)
    rows_y = jnp.stack([zero, zero, zero, ex, ey, one, -sy * ex, -sy * ey], axis=-1)
    system = jnp.concatenate([rows_x, rows_y], axis=-2)
    return jnp.linalg.solve(system, jnp.concatenate([sx, sy], axis=-1)[..., None])[..., 0]


def perspective_transform(images: Any, start_points: Any, end_points: Any,
                          interpolation: str = "bilinear", fill_value: float = 0,
                          data_format: str | None = None) -> jax.Array:
    """Warps images so that the 4 `start_points` (x, y) land on the 4 `end_points`.

    Args:
        images: One image or a batch.
        start_points, end_points: `(4, 2)` or `(batch, 4, 2)` corner coordinates.
        interpolation: `"nearest"` or `"bilinear"`.
        fill_value: Value outside the input.
        data_format: `"channels_last"` or `"channels_first"`.

    Example:
        >>> import layerax as lx, numpy as np
        >>> corners = np.array([[0, 0], [3, 0], [0, 3], [3, 3]], np.float32)
        >>> image = np.arange(16.0).reshape(4, 4, 1)
        >>> bool(np.allclose(lx.ops.image.perspective_transform(image, corners, corners), image))
        True
    """
    data_format = _data_format(data_format)
    _choice(interpolation, _ORDERS, "interpolation", "perspective_transform")
    start, end = _float(start_points), _float(end_points)
    for name, p in (("start_points", start), ("end_points", end)):
        if p.shape[-2:] != (4, 2) or p.ndim not in (2, 3):
            raise ValueError(f"`perspective_transform`: {name} must be (4, 2) or (batch, 4, 2). "
                             f"Received: {name}.shape={p.shape}")
    x, single = _to_nhwc(_images(images, "perspective_transform"), data_format)
    coeffs = _homography(start.reshape(-1, 4, 2).astype(jnp.float32),
                         end.reshape(-1, 4, 2).astype(jnp.float32))
    coeffs = jnp.broadcast_to(coeffs, (x.shape[0], 8))
    out = affine_transform(x, coeffs, interpolation, "constant", fill_value, "channels_last")
    return _from_nhwc(out, data_format, single)


def _gaussian_1d(size: int, sigma: Any, dtype: Any) -> jax.Array:
    offsets = jnp.arange(size, dtype=dtype) - (size - 1) / 2
    weights = jnp.exp(-0.5 * (offsets / sigma) ** 2)
    return weights / jnp.sum(weights)


def gaussian_blur(images: Any, kernel_size: Any = (3, 3), sigma: Any = (1.0, 1.0),
                  data_format: str | None = None) -> jax.Array:
    """Blurs each channel with a Gaussian kernel ("same" size, zero padding).

    As in Keras, `kernel_size[0]` and `sigma[0]` apply along the width and the second
    entries along the height.

    Example:
        >>> import layerax as lx, numpy as np
        >>> lx.ops.image.gaussian_blur(np.ones((5, 5, 2), np.float32)).shape
        (5, 5, 2)
    """
    data_format = _data_format(data_format)
    x, single = _to_nhwc(_images(images, "gaussian_blur"), data_format)
    x = _float(x)
    sizes = (kernel_size, kernel_size) if isinstance(kernel_size, int) else tuple(kernel_size)
    sigmas = _t(sigma).astype(x.dtype) * jnp.ones(2, x.dtype)
    kernel = jnp.outer(_gaussian_1d(sizes[1], sigmas[1], x.dtype),
                       _gaussian_1d(sizes[0], sigmas[0], x.dtype))
    channels = x.shape[-1]
    depthwise = jnp.tile(kernel[:, :, None, None], (1, 1, 1, channels))
    out = conv(x, depthwise, 1, "same", "channels_last")
    return _from_nhwc(out, data_format, single)


def elastic_transform(images: Any, alpha: float = 20.0, sigma: float = 5.0,
                      interpolation: str = "bilinear", fill_mode: str = "reflect",
                      fill_value: float = 0.0, seed: Any = None,
                      data_format: str | None = None) -> jax.Array:
    """Random elastic distortion: pixels move by a Gaussian-smoothed random field.

    The x and y displacements are independent normal fields (scaled by `sigma`), blurred by a
    Gaussian of width `sigma` and scaled by `alpha`.

    Args:
        images: One image or a batch.
        alpha: Displacement scale.
        sigma: Smoothness (and scale) of the displacement field.
        interpolation: `"nearest"` or `"bilinear"`.
        fill_mode: `"constant"`, `"nearest"`, `"wrap"`, `"mirror"` or `"reflect"`.
        fill_value: The value for `"constant"`.
        seed: An int, an `lx.random.SeedGenerator`, a JAX key, or None (global seed).
        data_format: `"channels_last"` or `"channels_first"`.

    Example:
        >>> import layerax as lx, numpy as np
        >>> lx.ops.image.elastic_transform(np.ones((8, 8, 3), np.float32), seed=0).shape
        (8, 8, 3)
    """
    data_format = _data_format(data_format)
    _choice(interpolation, _ORDERS, "interpolation", "elastic_transform")
    _choice(fill_mode, _FILL_MODES, "fill_mode", "elastic_transform")
    x, single = _to_nhwc(_images(images, "elastic_transform"), data_format)
    n, h, w, _ = x.shape
    dtype = x.dtype if jnp.issubdtype(x.dtype, jnp.floating) else jnp.float32
    size = int(6 * sigma) | 1
    field = _random.normal((n, h, w, 2), stddev=sigma, dtype=dtype, seed=seed)
    field = gaussian_blur(field, (size, size), (sigma, sigma), "channels_last")
    ys, xs = jnp.meshgrid(jnp.arange(h, dtype=dtype), jnp.arange(w, dtype=dtype), indexing="ij")
    out = _sample(x, ys + alpha * field[..., 1], xs + alpha * field[..., 0],
                  _ORDERS[interpolation], fill_mode, fill_value)
    return _from_nhwc(out.astype(x.dtype), data_format, single)


# ---------------------------------------------------------- padding, cropping


def _edges(before: Any, after: Any, target: Any, length: int, sign: int, names: tuple[str, ...],
           op: str) -> tuple[int, int]:
    given = [v is not None for v in (before, after, target)]
    if sum(given) != 2:
        raise ValueError(
            f"`{op}`: give exactly two of {names[0]}, {names[1]} and {names[2]}. Received: "
            f"{names[0]}={before}, {names[1]}={after}, {names[2]}={target}"
        )
    if before is None:
        before = sign * (target - length) - after
    elif after is None:
        after = sign * (target - length) - before
    if before < 0 or after < 0:
        raise ValueError(f"`{op}`: the {names[0]}/{names[1]} amounts must be >= 0 (got "
                         f"{before}, {after}); check {names[2]} against the image size {length}.")
    return int(before), int(after)


def pad_images(images: Any, top_padding: int | None = None, left_padding: int | None = None,
               bottom_padding: int | None = None, right_padding: int | None = None,
               target_height: int | None = None, target_width: int | None = None,
               data_format: str | None = None) -> jax.Array:
    """Zero-pads images; per axis give two of (top/left, bottom/right, target size).

    Example:
        >>> import layerax as lx, numpy as np
        >>> lx.ops.image.pad_images(np.ones((2, 2, 1)), 1, 0, target_height=5,
        ...                         target_width=3).shape
        (5, 3, 1)
    """
    data_format = _data_format(data_format)
    x, single = _to_nhwc(_images(images, "pad_images"), data_format)
    top, bottom = _edges(top_padding, bottom_padding, target_height, x.shape[1], 1,
                         ("top_padding", "bottom_padding", "target_height"), "pad_images")
    left, right = _edges(left_padding, right_padding, target_width, x.shape[2], 1,
                         ("left_padding", "right_padding", "target_width"), "pad_images")
    out = jnp.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))
    return _from_nhwc(out, data_format, single)


def crop_images(images: Any, top_cropping: int | None = None, left_cropping: int | None = None,
                bottom_cropping: int | None = None, right_cropping: int | None = None,
                target_height: int | None = None, target_width: int | None = None,
                data_format: str | None = None) -> jax.Array:
    """Crops images; per axis give two of (top/left, bottom/right, target size).

    Example:
        >>> import layerax as lx, numpy as np
        >>> lx.ops.image.crop_images(np.ones((5, 4, 1)), 1, 1, target_height=2,
        ...                          target_width=2).shape
        (2, 2, 1)
    """
    data_format = _data_format(data_format)
    x, single = _to_nhwc(_images(images, "crop_images"), data_format)
    top, bottom = _edges(top_cropping, bottom_cropping, target_height, x.shape[1], -1,
                         ("top_cropping", "bottom_cropping", "target_height"), "crop_images")
    left, right = _edges(left_cropping, right_cropping, target_width, x.shape[2], -1,
                         ("left_cropping", "right_cropping", "target_width"), "crop_images")
    out = x[:, top:x.shape[1] - bottom, left:x.shape[2] - right]
    return _from_nhwc(out, data_format, single)


# ---------------------------------------------------------- patches, filters


def _patches(x: jax.Array, size: Any, strides: Any, dilation_rate: Any, padding: str,
             data_format: str, rank: int, op: str) -> jax.Array:
    sizes = (size,) * rank if isinstance(size, int) else tuple(size)
    if len(sizes) != rank:
        raise ValueError(f"`{op}`: size must be an int or {rank} ints. Received: size={size!r}")
    channels = x.shape[-1] if data_format == "channels_last" else x.shape[1]
    depth = int(np.prod(sizes)) * channels
    # Each output channel picks one (offset, input channel) of the window.
    kernel = jnp.eye(depth, dtype=x.dtype).reshape(*sizes, channels, depth)
    return conv(x, kernel, strides or sizes, padding, data_format, dilation_rate)


def extract_patches(images: Any, size: Any, strides: Any = None, dilation_rate: Any = 1,
                    padding: str = "valid", data_format: str | None = None) -> jax.Array:
    """Flattened `size` patches of images as channels: `(..., out_h, out_w, ph * pw * C)`.

    A 3-tuple `size` dispatches to `extract_patches_3d`.

    Example:
        >>> import layerax as lx, numpy as np
        >>> lx.ops.image.extract_patches(np.ones((1, 4, 4, 3), np.float32), 2).shape
        (1, 2, 2, 12)
    """
    if not isinstance(size, int) and len(size) == 3:
        return extract_patches_3d(images, size, strides, dilation_rate, padding, data_format)
    data_format = _data_format(data_format)
    x = _images(images, "extract_patches")
    single = x.ndim == 3
    out = _patches(x[None] if single else x, size, strides, dilation_rate, padding, data_format,
                   2, "extract_patches")
    return out[0] if single else out


def extract_patches_3d(volumes: Any, size: Any, strides: Any = None, dilation_rate: Any = 1,
                       padding: str = "valid", data_format: str | None = None) -> jax.Array:
    """Flattened `size` patches of volumes `(batch, D, H, W, C)` (or one volume) as channels.

    Example:
        >>> import layerax as lx, numpy as np
        >>> lx.ops.image.extract_patches_3d(np.ones((4, 4, 4, 1), np.float32), 2).shape
        (2, 2, 2, 8)
    """
    data_format = _data_format(data_format)
    x = _images(volumes, "extract_patches_3d", (4, 5))
    single = x.ndim == 4
    out = _patches(x[None] if single else x, size, strides, dilation_rate, padding, data_format,
                   3, "extract_patches_3d")
    return out[0] if single else out


def sobel_edges(images: Any, data_format: str | None = None) -> jax.Array:
    """Sobel gradients per channel: `(..., 2)` with the y then x derivative on the last axis.

    Example:
        >>> import layerax as lx, numpy as np
        >>> lx.ops.image.sobel_edges(np.ones((1, 4, 4, 3), np.float32)).shape
        (1, 4, 4, 3, 2)
    """
    data_format = _data_format(data_format)
    x = _float(_images(images, "sobel_edges", (4,)))
    if data_format == "channels_first":
        x = jnp.transpose(x, (0, 2, 3, 1))
    channels = x.shape[-1]
    gx = jnp.asarray([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], x.dtype)
    outs = [conv(x, jnp.tile(k[:, :, None, None], (1, 1, 1, channels)), 1, "same",
                 "channels_last") for k in (gx.T, gx)]
    if data_format == "channels_first":
        outs = [jnp.transpose(o, (0, 3, 1, 2)) for o in outs]
    return jnp.stack(outs, axis=-1)


def ssim(image1: Any, image2: Any, max_val: float = 1.0, filter_size: int = 11,
         filter_sigma: float = 1.5, k1: float = 0.01, k2: float = 0.03,
         data_format: str | None = None) -> jax.Array:
    """Structural similarity of two images (or batches), averaged over pixels and channels.

    Local statistics use a `filter_size` Gaussian window ("valid" positions only).

    Example:
        >>> import layerax as lx, numpy as np
        >>> image = np.random.default_rng(0).uniform(size=(16, 16, 1)).astype(np.float32)
        >>> round(float(lx.ops.image.ssim(image, image)), 4)
        1.0
    """
    data_format = _data_format(data_format)
    a, b = _images(image1, "ssim"), _images(image2, "ssim")
    dtype = a.dtype
    a, b = _float(a), _float(b).astype(_float(a).dtype)
    a, single = _to_nhwc(a, data_format)
    b, _ = _to_nhwc(b, data_format)
    g = _gaussian_1d(filter_size, filter_sigma, a.dtype)
    window = jnp.outer(g, g)[:, :, None, None]
    channels = a.shape[-1]
    kernel = jnp.tile(window, (1, 1, 1, channels))

    def local_mean(v: jax.Array) -> jax.Array:
        return conv(v, kernel, 1, "valid", "channels_last")

    mu_a, mu_b = local_mean(a), local_mean(b)
    var_a = local_mean(a * a) - mu_a**2
    var_b = local_mean(b * b) - mu_b**2
    cov = local_mean(a * b) - mu_a * mu_b
    c1, c2 = (k1 * max_val) ** 2, (k2 * max_val) ** 2
    index = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a**2 + mu_b**2 + c1)
                                                         * (var_a + var_b + c2))
    result = jnp.mean(index, axis=(1, 2, 3))
    return (result[0] if single else result).astype(dtype)
