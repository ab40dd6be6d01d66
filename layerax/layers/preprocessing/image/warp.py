"""Non-affine random warps: `RandomPerspective` and `RandomElasticTransform`."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from layerax.layers.preprocessing.image import boxes as _boxes
from layerax.layers.preprocessing.image.affine import _INTERPOLATIONS
from layerax.layers.preprocessing.image.base import BaseImagePreprocessingLayer
from layerax.ops import image as _image_ops


def _check_interpolation(layer: str, interpolation: str) -> None:
    if interpolation not in _INTERPOLATIONS:
        raise NotImplementedError(
            f"{layer}: unknown `interpolation` {interpolation!r}. Expected one of "
            f"{_INTERPOLATIONS}."
        )


class RandomPerspective(BaseImagePreprocessingLayer):
    """Applies a random perspective warp to a random subset of the images in training.

    Each image is warped with probability `p`, itself uniform in `factor`'s range;
    the warp moves each corner `(x, y)` to `(x, y) * (1 + d)` with `d` uniform in
    `[-scale / 2, scale / 2]` per coordinate.

    Args:
        factor: A float in [0, 1] or a pair: the range of the probability of
            warping an image (default 1: always).
        scale: The strength of the warp, in [0, 1] (default 1).
        interpolation: `"bilinear"` (default) or `"nearest"`.
        fill_value: The value of the points outside the input.
        seed: Integer seed of the layer's `SeedGenerator`.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        **kwargs: Base layer arguments (e.g. `bounding_box_format`).
    
    Input shape:
        A batch of images or one image; or a dict of images, labels, bounding
        boxes and segmentation masks.

    Output shape:
        Same as the input.

    Example:
        >>> import layerax as lx, numpy as np
        >>> layer = lx.layers.RandomPerspective(scale=0.3, seed=0)
        >>> layer(np.ones((2, 8, 8, 3)), training=True).shape
        (2, 8, 8, 3)
    """

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (0, 1)

    def __init__(self, factor: Any = 1.0, scale: float = 1.0, interpolation: str = "bilinear",
                 fill_value: float = 0.0, seed: int | None = None,
                 data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not 0 <= scale <= 1:
            raise ValueError(
                "RandomPerspective: the `scale` argument should be a number in the range "
                f"[0,1]. Received: scale={scale}"
            )
        _check_interpolation("RandomPerspective", interpolation)
        self.scale = scale
        self.interpolation = interpolation
        self.fill_value = fill_value
        self._set_seed(seed)

    def get_random_transformation(self, data: Any, training: bool = True,
                                  seed: Any = None) -> Any:
        if not training:
            return None
        images = self._images_of(data)
        batch = self._batch_size(images)
        height, width = self._image_size(images)
        key_p, key_t, key_d = jax.random.split(self._next_key(seed), 3)
        probability = jax.random.uniform(key_p, (batch,), minval=self.factor[0],
                                         maxval=self.factor[1])
        apply = jax.random.uniform(key_t, (batch,)) < probability
        distortion = jax.random.uniform(key_d, (batch, 4, 2), minval=-0.5 * self.scale,
                                        maxval=0.5 * self.scale).astype(self.compute_dtype)
        corners = jnp.asarray([[0.0, 0.0], [width - 1, 0.0], [0.0, height - 1],
                               [width - 1, height - 1]], self.compute_dtype)
        start = jnp.broadcast_to(corners, (batch, 4, 2))
        return {"apply_perspective": apply, "start_points": start,
                "end_points": start + start * distortion, "input_shape": tuple(jnp.shape(images))}

    def _transform_images(self, images: Any, transformation: Any, interpolation: str) -> Any:
        warped = _image_ops.perspective_transform(
            images, transformation["start_points"], transformation["end_points"],
            interpolation=interpolation, fill_value=self.fill_value, data_format=self.data_format)
        apply = jnp.reshape(transformation["apply_perspective"], (-1, 1, 1, 1))
        return jnp.where(apply, warped.astype(images.dtype), images)

    def transform_bounding_boxes(self, bounding_boxes: dict[str, Any], transformation: Any,
                                 training: bool = True) -> dict[str, Any]:
        if not training or transformation is None:
            return bounding_boxes
        shape = transformation["input_shape"]
        h_axis, w_axis = self._spatial_axes(len(shape))
        height, width = shape[h_axis], shape[w_axis]
        start = jnp.asarray(transformation["start_points"], jnp.float32)
        end = jnp.asarray(transformation["end_points"], jnp.float32)
        matrix = _image_ops._homography(start, end)  # output (end) -> input (start)
        xyxy = _boxes.convert_format(bounding_boxes["boxes"], self.bounding_box_format, "xyxy",
                                     height, width)
        moved = _boxes.transform_projective(xyxy, matrix)
        apply = jnp.reshape(transformation["apply_perspective"], (-1, 1, 1))
        moved = jnp.where(apply, moved, xyxy)
        padding = _boxes.padding_mask(jnp.asarray(bounding_boxes["boxes"]))
        out = _boxes.clip_to_image_size({**bounding_boxes, "boxes": moved}, height, width)
        out["boxes"] = jnp.where(padding[..., None], 0.0, out["boxes"])
        out["boxes"] = _boxes.convert_format(out["boxes"], "xyxy", self.bounding_box_format,
                                             height, width)
        return out

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "factor": self.factor, "scale": self.scale,
                "interpolation": self.interpolation, "fill_value": self.fill_value,
                "seed": self.seed}


class RandomElasticTransform(BaseImagePreprocessingLayer):
    """Applies a random elastic distortion to a random subset of the images in training.

    Each image is distorted with probability `p`, uniform in `factor`'s range.
    The distortion strength `s` is uniform in `scale`'s range; the pixels move
    by a Gaussian-smoothed random field with `alpha = 0.1 * s * max(H, W)` and
    `sigma = 0.05 * s * min(H, W)` (`ops.image.elastic_transform`). The result
    is clipped to `value_range`.

    Args:
        factor: A float in [0, 1] or a pair: the range of the probability of
            distorting an image (default 1).
        scale: A float in [0, 1] or a pair: the range of the distortion
            strength (default 1).
        interpolation: `"bilinear"` (default) or `"nearest"`.
        fill_mode: `"reflect"` (default), `"constant"`, `"nearest"`, `"wrap"` or
            `"mirror"`.
        fill_value: The value for `fill_mode="constant"`.
        value_range: The range of the pixel values (default `(0, 255)`).
        seed: Integer seed of the layer's `SeedGenerator`.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        **kwargs: Base layer arguments.
    
    Input shape:
        A batch of images or one image; or a dict of images, labels, bounding
        boxes and segmentation masks.

    Output shape:
        Same as the input.

    Example:
        >>> import layerax as lx, numpy as np
        >>> layer = lx.layers.RandomElasticTransform(seed=0)
        >>> layer(np.ones((2, 8, 8, 3)), training=True).shape
        (2, 8, 8, 3)
    """

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (0, 1)
    _SUPPORTED_FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")

    def __init__(self, factor: Any = 1.0, scale: Any = 1.0, interpolation: str = "bilinear",
                 fill_mode: str = "reflect", fill_value: float = 0.0,
                 value_range: Any = (0, 255), seed: int | None = None,
                 data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        factor_range = self.factor
        self._set_factor(scale)
        self.scale, self.factor = self.factor, factor_range
        _check_interpolation("RandomElasticTransform", interpolation)
        if fill_mode not in self._SUPPORTED_FILL_MODES:
            raise NotImplementedError(
                f"RandomElasticTransform: unknown `fill_mode` {fill_mode!r}. Expected one of "
                f"{self._SUPPORTED_FILL_MODES}."
            )
        self.interpolation = interpolation
        self.fill_mode = fill_mode
        self.fill_value = fill_value
        self._set_value_range(value_range)
        self.value_range = value_range
        self._set_seed(seed)

    def get_random_transformation(self, data: Any, training: bool = True,
                                  seed: Any = None) -> Any:
        if not training or self.scale[1] == 0 or self.factor[1] == 0:
            return None
        batch = self._batch_size(self._images_of(data))
        key_p, key_t, key_s, key_field = jax.random.split(self._next_key(seed), 4)
        probability = jax.random.uniform(key_p, (batch,), minval=self.factor[0],
                                         maxval=self.factor[1])
        apply = jax.random.uniform(key_t, (batch,)) < probability
        distortion = jax.random.uniform(key_s, (), minval=self.scale[0], maxval=self.scale[1])
        return {"apply_transform": apply, "distortion_factor": distortion.astype(
            self.compute_dtype), "seed": key_field}

    def _transform_images(self, images: Any, transformation: Any, interpolation: str) -> Any:
        height, width = self._image_size(images)
        strength = transformation["distortion_factor"]
        alpha = max(height, width) * 0.1 * strength
        sigma = min(height, width) * 0.05 * strength
        warped = self._elastic(images, alpha, sigma, interpolation, transformation["seed"])
        apply = jnp.reshape(transformation["apply_transform"], (-1, 1, 1, 1))
        images = jnp.where(apply, warped.astype(images.dtype), images)
        return jnp.clip(images, self.value_range[0], self.value_range[1]).astype(images.dtype)

    def _elastic(self, images: Any, alpha: Any, sigma: Any, interpolation: str,
                 key: Any) -> Any:
        # `sigma` is traced (it scales with a random strength): the kernel's support is fixed
        # from the largest possible sigma, the kernel itself uses the drawn one.
        height, width = self._image_size(images)
        x = images if self.data_format == "channels_last" else jnp.moveaxis(images, 1, -1)
        n = x.shape[0]
        max_sigma = max(min(height, width) * 0.05 * self.scale[1], 1e-3)
        radius = max(int(3 * max_sigma), 1)
        sigma = jnp.maximum(jnp.asarray(sigma, jnp.float32), 1e-3)
        field = jax.random.normal(key, (n, height, width, 2), jnp.float32) * sigma
        offsets = jnp.arange(-radius, radius + 1, dtype=jnp.float32)
        kernel = jnp.exp(-0.5 * (offsets / sigma) ** 2)
        kernel = kernel / kernel.sum()
        field = _blur_axis(_blur_axis(field, kernel, 1), kernel, 2)
        ys, xs = jnp.meshgrid(jnp.arange(height, dtype=jnp.float32),
                              jnp.arange(width, dtype=jnp.float32), indexing="ij")
        order = {"nearest": 0, "bilinear": 1}[interpolation]
        out = _image_ops._sample(x.astype(jnp.float32), ys + alpha * field[..., 1],
                                 xs + alpha * field[..., 0], order, self.fill_mode,
                                 self.fill_value)
        out = out.astype(images.dtype)
        return out if self.data_format == "channels_last" else jnp.moveaxis(out, -1, 1)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "factor": self.factor, "scale": self.scale,
                "interpolation": self.interpolation, "fill_mode": self.fill_mode,
                "fill_value": self.fill_value, "value_range": self.value_range,
                "seed": self.seed}


def _blur_axis(field: jax.Array, kernel: jax.Array, axis: int) -> jax.Array:
    """Convolves `field` with the 1-D `kernel` along `axis` (reflect padding, same size)."""
    radius = (kernel.shape[0] - 1) // 2
    pad = [(0, 0)] * field.ndim
    pad[axis] = (radius, radius)
    mode = "reflect" if field.shape[axis] > radius else "edge"
    padded = jnp.pad(field, pad, mode=mode)
    length = field.shape[axis]
    return sum(kernel[i] * jax.lax.slice_in_dim(padded, i, i + length, axis=axis)
               for i in range(kernel.shape[0]))
