"""Pure, batched image transforms behind the colour and mixing layers.

Every function takes a batch of images (rank 4) and the per-image parameters of one random
transformation, and is free of randomness and layer state: the layers draw the parameters
from their `SeedGenerator` and call these. Values follow Keras 3's colour layers.
"""

from __future__ import annotations

from typing import Any, Sequence

import jax
import jax.numpy as jnp

from layerax.ops import image as _image


def spatial_axes(data_format: str) -> tuple[int, int]:
    """The (height, width) axes of a rank-4 batch."""
    return (1, 2) if data_format == "channels_last" else (2, 3)


def channel_axis(data_format: str) -> int:
    return -1 if data_format == "channels_last" else -3


def rescale(images: jax.Array, source: Sequence[float], target: Sequence[float]) -> jax.Array:
    """Maps values linearly from the range `source` to the range `target`."""
    if source[0] == target[0] and source[1] == target[1]:
        return images
    lo, hi = float(source[0]), float(source[1])
    unit = (images - lo) / (hi - lo)
    return unit * (float(target[1]) - float(target[0])) + float(target[0])


def per_image(values: jax.Array, ndim: int = 4) -> jax.Array:
    """A (batch,) vector shaped to broadcast against a rank-`ndim` batch."""
    return jnp.reshape(values, (-1,) + (1,) * (ndim - 1))


def adjust_contrast(images: jax.Array, factor: jax.Array, value_range: Sequence[float],
                    data_format: str) -> jax.Array:
    """`(x - mean) * factor + mean` with the per-channel spatial mean, then clipped."""
    mean = jnp.mean(images, axis=spatial_axes(data_format), keepdims=True)
    out = (images - mean) * factor + mean
    return jnp.clip(out, value_range[0], value_range[1])


def adjust_brightness(images: jax.Array, delta: jax.Array,
                      value_range: Sequence[float]) -> jax.Array:
    """Adds `delta` (already scaled to the value range) and clips to the range."""
    return jnp.clip(images + delta.astype(images.dtype), value_range[0], value_range[1])


def _replace_channel(images: jax.Array, index: int, channel: jax.Array,
                     data_format: str) -> jax.Array:
    axis = channel_axis(data_format)
    parts = [jnp.take(images, i, axis=axis) for i in range(3)]
    parts[index] = channel
    return jnp.stack(parts, axis=axis)


def shift_hue(images: jax.Array, shift: jax.Array, value_range: Sequence[float],
              data_format: str) -> jax.Array:
    """Adds `shift` (per image, in turns) to the hue, wrapping into [0, 1]."""
    unit = rescale(images, value_range, (0, 1))
    hsv = _image.rgb_to_hsv(unit, data_format=data_format)
    hue = jnp.take(hsv, 0, axis=channel_axis(data_format)) + shift.astype(hsv.dtype)[:, None, None]
    hue = jnp.where(hue > 1.0, hue - 1.0, hue)
    hue = jnp.where(hue < 0.0, hue + 1.0, hue)
    rgb = _image.hsv_to_rgb(_replace_channel(hsv, 0, hue, data_format), data_format=data_format)
    return rescale(jnp.clip(rgb, 0, 1), (0, 1), value_range)


def scale_saturation(images: jax.Array, factor: jax.Array, value_range: Sequence[float],
                     data_format: str) -> jax.Array:
    """Multiplies the HSV saturation by `factor` (per image).

    As in Keras, the HSV conversion runs on the values as given and the new saturation is
    clipped to `value_range`.
    """
    hsv = _image.rgb_to_hsv(images, data_format=data_format)
    sat = jnp.take(hsv, 1, axis=channel_axis(data_format)) * factor.astype(hsv.dtype)[:, None, None]
    sat = jnp.clip(sat, value_range[0], value_range[1])
    return _image.hsv_to_rgb(_replace_channel(hsv, 1, sat, data_format), data_format=data_format)


def to_grayscale(images: jax.Array, apply: jax.Array, data_format: str) -> jax.Array:
    """Replaces the images where `apply` (per image, broadcastable) by their luma, in 3 channels."""
    gray = _image.rgb_to_grayscale(images, data_format=data_format)
    return jnp.where(apply, gray, images)


def sharpen(images: jax.Array, factor: jax.Array, value_range: Sequence[float],
            data_format: str) -> jax.Array:
    """Blends with a 3x3 smoothing (centre 5/13, others 1/13): `factor` 0 smooths, 1 keeps,
    above 1 sharpens. `factor` is per image."""
    x = images if data_format == "channels_last" else jnp.swapaxes(images, -3, -1)
    a, b = 1.0 / 13.0, 5.0 / 13.0
    kernel = jnp.asarray([[a, a, a], [a, b, a], [a, a, a]], x.dtype)
    channels = x.shape[-1]
    rhs = jnp.tile(kernel[:, :, None, None], (1, 1, 1, channels))
    smooth = jax.lax.conv_general_dilated(
        x, rhs, (1, 1), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC"),
        feature_group_count=channels)
    out = x + (1.0 - per_image(factor).astype(x.dtype)) * (smooth - x)
    out = jnp.clip(out, value_range[0], value_range[1])
    return out if data_format == "channels_last" else jnp.swapaxes(out, -3, -1)


def posterize(images: jax.Array, shift: jax.Array, value_range: Sequence[float]) -> jax.Array:
    """Keeps the top `8 - shift` bits of each 8-bit value (per image `shift`)."""
    dtype = images.dtype
    as_bytes = rescale(images.astype(jnp.float32), value_range, (0, 255)).astype(jnp.uint8)
    shift = per_image(shift).astype(jnp.uint8)
    kept = jnp.left_shift(jnp.right_shift(as_bytes, shift), shift)
    return rescale(kept.astype(jnp.float32), (0, 255), value_range).astype(dtype)


def degenerate_color(images: jax.Array, factor: jax.Array, value_range: Sequence[float],
                     data_format: str) -> jax.Array:
    """Blends towards the grayscale image by `factor` (per image, broadcastable)."""
    gray = _image.rgb_to_grayscale(images, data_format=data_format)
    out = images + factor.astype(images.dtype) * (gray - images)
    return jnp.clip(out, value_range[0], value_range[1])


def solarize(images: jax.Array, additions: jax.Array, thresholds: jax.Array,
             value_range: Sequence[float]) -> jax.Array:
    """On the 0-255 scale: add `additions`, clip, invert values at or above `thresholds`."""
    x = rescale(images, value_range, (0, 255))
    x = jnp.clip(x + additions, 0, 255)
    x = jnp.where(x < thresholds, x, 255 - x)
    return rescale(x, (0, 255), value_range)


def invert(images: jax.Array, apply: jax.Array, value_range: Sequence[float]) -> jax.Array:
    """`value_range[1] - x` for the images where `apply` (per image)."""
    return jnp.where(per_image(apply), value_range[1] - images, images)


def _equalize_channel(channel: jax.Array, bins: int) -> jax.Array:
    """Histogram equalization of one channel (all of its values form the histogram), 0-255."""
    index = jnp.clip((channel * (bins - 1) / 255.0).astype(jnp.int32), 0, bins - 1)
    hist = jnp.zeros((bins,), jnp.int32).at[jnp.ravel(index)].add(1)
    cdf = jnp.cumsum(hist)
    cdf_min = cdf[jnp.argmax(cdf > 0)]
    spread = cdf[-1] - cdf_min
    spread = jnp.where(spread == 0, 1, spread)
    table = jnp.clip(jnp.round((cdf - cdf_min) * 255 / spread), 0, 255)
    lookup = jnp.clip(channel / 255.0 * (bins - 1), 0, bins - 1).astype(jnp.int32)
    equalized = jnp.take(table, lookup).astype(channel.dtype)
    return jnp.where(jnp.count_nonzero(hist) <= 1, channel, equalized)


def equalize(images: jax.Array, value_range: Sequence[float], bins: int,
             data_format: str) -> jax.Array:
    """Per-channel histogram equalization.

    As in Keras (JAX backend), each channel's histogram counts the values of the whole batch.
    """
    axis = channel_axis(data_format) % images.ndim
    x = rescale(images, value_range, (0, 255))
    channels = [_equalize_channel(jnp.take(x, i, axis=axis), bins)
                for i in range(images.shape[axis])]
    return rescale(jnp.stack(channels, axis=axis), (0, 255), value_range)


def auto_contrast(images: jax.Array, value_range: Sequence[float],
                  data_format: str) -> jax.Array:
    """Stretches each image's channels to span the value range; constant channels stay."""
    original = images
    x = rescale(images, value_range, (0, 255))
    axes = spatial_axes(data_format)
    low = jnp.min(x, axis=axes, keepdims=True)
    high = jnp.max(x, axis=axes, keepdims=True)
    scale = 255.0 / (high - low)
    out = jnp.clip(x * scale - low * scale, 0.0, 255.0)
    out = rescale(out, (0, 255), value_range)
    return jnp.where(jnp.isnan(out), original, out)


def box_mask(shape: tuple[int, ...], corners: tuple[jax.Array, ...], data_format: str) -> jax.Array:
    """Boolean masks (broadcast to `shape`) of the boxes `x0 <= x < x1, y0 <= y < y1`, one per
    image; the corners are (batch,) float vectors in pixels."""
    h_axis, w_axis = spatial_axes(data_format)
    height, width = shape[h_axis], shape[w_axis]
    ys = jnp.arange(height, dtype=jnp.float32)
    xs = jnp.arange(width, dtype=jnp.float32)
    x0, x1, y0, y1 = (c.astype(jnp.float32)[:, None, None] for c in corners)
    inside = ((xs[None, None, :] >= x0) & (xs[None, None, :] < x1)
              & (ys[None, :, None] >= y0) & (ys[None, :, None] < y1))
    inside = inside[..., None] if data_format == "channels_last" else inside[:, None]
    return jnp.broadcast_to(inside, shape)


def erase(images: jax.Array, masks: jax.Array, apply: jax.Array, fill: jax.Array) -> jax.Array:
    """Replaces the masked pixels of the images where `apply` by `fill`."""
    erased = jnp.where(masks, fill.astype(images.dtype), images)
    return jnp.where(per_image(apply), erased, images)


def cut_mix(images: jax.Array, masks: jax.Array, permutation: jax.Array) -> jax.Array:
    """Pastes the masked box of the permuted batch into each image."""
    return jnp.where(masks, jnp.take(images, permutation, axis=0), images)


def mix_labels(labels: jax.Array, weight: jax.Array, permutation: jax.Array) -> jax.Array:
    """`w * y + (1 - w) * y[permutation]` with a per-example weight."""
    labels = jnp.asarray(labels)
    other = jnp.take(labels, permutation, axis=0)
    dtype = jnp.result_type(labels, weight)
    w = jnp.reshape(weight, (-1,) + (1,) * (labels.ndim - 1)).astype(dtype)
    return w * labels + (1.0 - w) * other


def mix_up(images: jax.Array, weight: jax.Array, permutation: jax.Array) -> jax.Array:
    """`w * x + (1 - w) * x[permutation]` with a per-image weight."""
    w = per_image(weight, images.ndim).astype(images.dtype)
    return w * images + (1.0 - w) * jnp.take(images, permutation, axis=0)


def gaussian_blur(images: jax.Array, apply: jax.Array, kernel_size: Any, sigma: jax.Array,
                  value_range: Sequence[float], data_format: str) -> jax.Array:
    """Blurs the images where `apply` (per image), then clips to the value range."""
    blurred = _image.gaussian_blur(images, kernel_size=kernel_size, sigma=sigma,
                                   data_format=data_format)
    out = jnp.where(per_image(apply), blurred.astype(images.dtype), images)
    return jnp.clip(out, value_range[0], value_range[1])
