"""Random affine augmentations: `RandomRotation`, `RandomZoom`, `RandomTranslation`,
`RandomShear`.

Each draws per-image parameters, turns them into the 8-parameter transform
of `ops.image.affine_transform` (output pixel -> input pixel) and samples the
images with it. Bounding boxes move by the inverse transform (the box around
the moved corners, clipped to the image); segmentation masks are sampled with
`"nearest"` interpolation.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from layerax.layers.preprocessing.image import boxes as _boxes
from layerax.layers.preprocessing.image.base import BaseImagePreprocessingLayer
from layerax.ops import image as _image_ops

_FILL_MODES = ("reflect", "wrap", "constant", "nearest")
_INTERPOLATIONS = ("nearest", "bilinear")


def _check_modes(layer: str, fill_mode: str, interpolation: str) -> None:
    if fill_mode not in _FILL_MODES:
        raise NotImplementedError(
            f"{layer}: unknown `fill_mode` {fill_mode!r}. Expected one of {_FILL_MODES}."
        )
    if interpolation not in _INTERPOLATIONS:
        raise NotImplementedError(
            f"{layer}: unknown `interpolation` {interpolation!r}. Expected one of "
            f"{_INTERPOLATIONS}."
        )


def _named_factor(layer: str, factor: Any, name: str, low: float, high: float,
                  open_low: bool = False) -> tuple[float, float]:
    """A factor argument (a number `f` -> `(-f, f)`, or a pair) checked against [low, high]."""
    bracket = "(" if open_low else "["
    message = (
        f"{layer}: the `{name}` argument should be a number (or a list of two numbers) in the "
        f"range {bracket}{low}, {high}]. Received: {name}={factor}"
    )

    def check(v: Any) -> None:
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise ValueError(message)
        if v > high or v < low or (open_low and v == low):
            raise ValueError(message)

    if isinstance(factor, (tuple, list)):
        if len(factor) != 2:
            raise ValueError(message)
        check(factor[0])
        check(factor[1])
        lower, upper = sorted(factor)
        return lower, upper
    check(factor)
    return -abs(factor), abs(factor)


def _shear_factor(factor: Any, name: str) -> tuple[float, float]:
    """A number in [0, 1] (-> `(-f, f)`), or a pair in [-1, 1]: what `get_config` stores, so
    that configs (also Keras') load back."""
    if isinstance(factor, (tuple, list)):
        return _named_factor("RandomShear", factor, name, -1.0, 1.0)
    return _named_factor("RandomShear", factor, name, 0.0, 1.0)


class _AffineAugmentation(BaseImagePreprocessingLayer):
    """Shared sampling, masks and boxes of the affine layers (private)."""

    _USE_BASE_FACTOR = False

    def _init_sampling(self, fill_mode: str, interpolation: str, fill_value: float,
                       seed: int | None) -> None:
        _check_modes(type(self).__name__, fill_mode, interpolation)
        self.fill_mode = fill_mode
        self.interpolation = interpolation
        self.fill_value = fill_value
        self._set_seed(seed)

    def _matrix(self, transformation: dict[str, Any], height: int, width: int) -> jax.Array:
        raise NotImplementedError

    def _transform_images(self, images: Any, transformation: Any, interpolation: str) -> Any:
        height, width = self._image_size(images)
        matrix = self._matrix(transformation, height, width)
        return _image_ops.affine_transform(images, matrix, interpolation=interpolation,
                                           fill_mode=self.fill_mode, fill_value=self.fill_value,
                                           data_format=self.data_format)

    def transform_bounding_boxes(self, bounding_boxes: dict[str, Any], transformation: Any,
                                 training: bool = True) -> dict[str, Any]:
        if not training or transformation is None:
            return bounding_boxes
        height, width = self._transformation_size(transformation)
        padding = _boxes.padding_mask(jnp.asarray(bounding_boxes["boxes"]))
        xyxy = _boxes.convert_format(bounding_boxes["boxes"], self.bounding_box_format, "xyxy",
                                     height, width)
        moved = _boxes.transform_projective(xyxy, self._matrix(transformation, height, width))
        out = _boxes.clip_to_image_size({**bounding_boxes, "boxes": moved}, height, width)
        out["boxes"] = jnp.where(padding[..., None], 0.0, out["boxes"])
        out["boxes"] = _boxes.convert_format(out["boxes"], "xyxy", self.bounding_box_format,
                                             height, width)
        return out

    def _transformation_size(self, transformation: dict[str, Any]) -> tuple[int, int]:
        shape = transformation["input_shape"]
        h_axis, w_axis = self._spatial_axes(len(shape))
        return shape[h_axis], shape[w_axis]

    def _sampling_config(self) -> dict[str, Any]:
        return {"fill_mode": self.fill_mode, "interpolation": self.interpolation,
                "seed": self.seed, "fill_value": self.fill_value}


class RandomRotation(_AffineAugmentation):
    """Rotates each image by a random angle during training.

    The angle is uniform in `[factor[0], factor[1]] * 360` degrees (a number
    `f` means `(-f, f)`), positive counter-clockwise, about the image centre.

    Args:
        factor: A float in [-1, 1] or a pair: the range of the angle, as a
            fraction of a full turn (`0.1` means up to 36 degrees either way).
        fill_mode: How the points outside the input are filled: `"reflect"`
            (default), `"wrap"`, `"constant"` or `"nearest"`.
        interpolation: `"bilinear"` (default) or `"nearest"`.
        seed: Integer seed of the layer's `SeedGenerator`.
        fill_value: The value for `fill_mode="constant"`.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        **kwargs: Base layer arguments (e.g. `bounding_box_format`).
    
    Input shape:
        A batch of images or one image; or a dict of images, labels, bounding
        boxes and segmentation masks.

    Output shape:
        Same as the input.

    Example:
        >>> import layerax as lx, numpy as np
        >>> layer = lx.layers.RandomRotation(0.1, seed=0)
        >>> layer(np.ones((2, 8, 8, 3)), training=True).shape
        (2, 8, 8, 3)
    """

    _USE_BASE_FACTOR = True

    def __init__(self, factor: Any, fill_mode: str = "reflect", interpolation: str = "bilinear",
                 seed: int | None = None, fill_value: float = 0.0,
                 data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(factor=factor, data_format=data_format, **kwargs)
        self._init_sampling(fill_mode, interpolation, fill_value, seed)

    def get_random_transformation(self, data: Any, training: bool = True,
                                  seed: Any = None) -> Any:
        if not training:
            return None
        images = self._images_of(data)
        batch = self._batch_size(images)
        height, width = self._image_size(images)
        angle = jax.random.uniform(self._next_key(seed), (batch,), minval=self.factor[0] * 360.0,
                                   maxval=self.factor[1] * 360.0)
        zeros, ones = jnp.zeros((batch,)), jnp.ones((batch,))
        matrix = self._compute_affine_matrix(0.5, 0.5, angle, zeros, zeros, ones, zeros, zeros,
                                             height, width)
        if jnp.ndim(images) == 3:
            matrix = matrix[0]
        return {"angle": angle, "rotation_matrix": matrix, "image_height": height,
                "image_width": width, "batch_size": batch}

    def _matrix(self, transformation: dict[str, Any], height: int, width: int) -> jax.Array:
        return jnp.reshape(transformation["rotation_matrix"], (-1, 8))

    def _transformation_size(self, transformation: dict[str, Any]) -> tuple[int, int]:
        return transformation["image_height"], transformation["image_width"]

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "factor": self.factor, **self._sampling_config()}


class RandomZoom(_AffineAugmentation):
    """Zooms each image in or out by a random factor during training.

    The height is scaled by `1 + z` with `z` uniform in the `height_factor`
    range: a positive `z` zooms out (the content shrinks), a negative one zooms
    in. `width_factor=None` (default) keeps the aspect ratio (the same draw for
    both axes).

    Args:
        height_factor: A float in (-1, 1] or a pair: the range of the vertical zoom.
        width_factor: Like `height_factor` for the horizontal zoom; None: the
            vertical zoom.
        fill_mode: `"reflect"` (default), `"wrap"`, `"constant"` or `"nearest"`.
        interpolation: `"bilinear"` (default) or `"nearest"`.
        seed: Integer seed of the layer's `SeedGenerator`.
        fill_value: The value for `fill_mode="constant"`.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        **kwargs: Base layer arguments (e.g. `bounding_box_format`).
    
    Input shape:
        A batch of images or one image; or a dict of images, labels, bounding
        boxes and segmentation masks.

    Output shape:
        Same as the input.

    Example:
        >>> import layerax as lx, numpy as np
        >>> layer = lx.layers.RandomZoom(0.2, seed=0)
        >>> layer(np.ones((2, 8, 8, 3)), training=True).shape
        (2, 8, 8, 3)
    """

    def __init__(self, height_factor: Any, width_factor: Any = None, fill_mode: str = "reflect",
                 interpolation: str = "bilinear", seed: int | None = None,
                 fill_value: float = 0.0, data_format: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self.height_factor = height_factor
        self.height_lower, self.height_upper = _named_factor(
            "RandomZoom", height_factor, "height_factor", -1.0, 1.0, open_low=True)
        self.width_factor = width_factor
        if width_factor is not None:
            self.width_lower, self.width_upper = _named_factor(
                "RandomZoom", width_factor, "width_factor", -1.0, 1.0, open_low=True)
        self._init_sampling(fill_mode, interpolation, fill_value, seed)

    def get_random_transformation(self, data: Any, training: bool = True,
                                  seed: Any = None) -> Any:
        if not training:
            return None
        images = self._images_of(data)
        shape = (self._batch_size(images), 1)
        key_h, key_w = jax.random.split(self._next_key(seed))
        height_zoom = jax.random.uniform(key_h, shape, minval=1.0 + self.height_lower,
                                         maxval=1.0 + self.height_upper)
        if self.width_factor is not None:
            width_zoom = jax.random.uniform(key_w, shape, minval=1.0 + self.width_lower,
                                            maxval=1.0 + self.width_upper)
        else:
            width_zoom = height_zoom
        return {"height_zoom": height_zoom, "width_zoom": width_zoom,
                "input_shape": tuple(jnp.shape(images))}

    def _matrix(self, transformation: dict[str, Any], height: int, width: int) -> jax.Array:
        zx = jnp.reshape(transformation["width_zoom"], (-1,)).astype(jnp.float32)
        zy = jnp.reshape(transformation["height_zoom"], (-1,)).astype(jnp.float32)
        zeros = jnp.zeros_like(zx)
        dx = (width - 1.0) / 2.0 * (1.0 - zx)
        dy = (height - 1.0) / 2.0 * (1.0 - zy)
        return jnp.stack([zx, zeros, dx, zeros, zy, dy, zeros, zeros], axis=1)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "height_factor": self.height_factor,
                "width_factor": self.width_factor, **self._sampling_config()}


class RandomTranslation(_AffineAugmentation):
    """Shifts each image by a random offset during training.

    The vertical shift is uniform in `height_factor` times the height (a number
    `f` means `(-f, f)`; positive moves the content down), the horizontal one in
    `width_factor` times the width (positive moves it right).

    Args:
        height_factor: A float in [-1, 1] or a pair: the range of the vertical shift.
        width_factor: A float in [-1, 1] or a pair: the range of the horizontal shift.
        fill_mode: `"reflect"` (default), `"wrap"`, `"constant"` or `"nearest"`.
        interpolation: `"bilinear"` (default) or `"nearest"`.
        seed: Integer seed of the layer's `SeedGenerator`.
        fill_value: The value for `fill_mode="constant"`.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        **kwargs: Base layer arguments (e.g. `bounding_box_format`).
    
    Input shape:
        A batch of images or one image; or a dict of images, labels, bounding
        boxes and segmentation masks.

    Output shape:
        Same as the input.

    Example:
        >>> import layerax as lx, numpy as np
        >>> layer = lx.layers.RandomTranslation(0.1, 0.1, seed=0)
        >>> layer(np.ones((2, 8, 8, 3)), training=True).shape
        (2, 8, 8, 3)
    """

    def __init__(self, height_factor: Any, width_factor: Any, fill_mode: str = "reflect",
                 interpolation: str = "bilinear", seed: int | None = None,
                 fill_value: float = 0.0, data_format: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self.height_factor = height_factor
        self.height_lower, self.height_upper = _named_factor(
            "RandomTranslation", height_factor, "height_factor", -1.0, 1.0)
        self.width_factor = width_factor
        self.width_lower, self.width_upper = _named_factor(
            "RandomTranslation", width_factor, "width_factor", -1.0, 1.0)
        self._init_sampling(fill_mode, interpolation, fill_value, seed)

    def get_random_transformation(self, data: Any, training: bool = True,
                                  seed: Any = None) -> Any:
        if not training:
            return None
        images = self._images_of(data)
        batch = self._batch_size(images)
        height, width = self._image_size(images)
        key_h, key_w = jax.random.split(self._next_key(seed))
        dy = jax.random.uniform(key_h, (batch, 1), minval=self.height_lower,
                                maxval=self.height_upper) * height
        dx = jax.random.uniform(key_w, (batch, 1), minval=self.width_lower,
                                maxval=self.width_upper) * width
        return {"translations": jnp.concatenate([dx, dy], axis=1).astype(jnp.float32),
                "input_shape": tuple(jnp.shape(images))}

    def _matrix(self, transformation: dict[str, Any], height: int, width: int) -> jax.Array:
        t = jnp.asarray(transformation["translations"], jnp.float32)
        ones, zeros = jnp.ones(t.shape[:1]), jnp.zeros(t.shape[:1])
        return jnp.stack([ones, zeros, -t[:, 0], zeros, ones, -t[:, 1], zeros, zeros], axis=1)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "height_factor": self.height_factor,
                "width_factor": self.width_factor, **self._sampling_config()}


class RandomShear(_AffineAugmentation):
    """Shears each image by random amounts along x and y during training.

    The x shear is uniform in `x_factor`'s range (a number `f` means
    `(-f, f)`), the y shear in `y_factor`'s; a random sign (one per image)
    multiplies both. The output pixel `(x, y)` samples the input at
    `(x + sx * y, y + sy * x)`.

    Args:
        x_factor: A float in [0, 1] or a pair: the range of the horizontal shear.
        y_factor: A float in [0, 1] or a pair: the range of the vertical shear.
        interpolation: `"bilinear"` (default) or `"nearest"`.
        fill_mode: `"reflect"` (default), `"wrap"`, `"constant"` or `"nearest"`.
        fill_value: The value for `fill_mode="constant"`.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        seed: Integer seed of the layer's `SeedGenerator`.
        **kwargs: Base layer arguments (e.g. `bounding_box_format`).
    
    Input shape:
        A batch of images or one image; or a dict of images, labels, bounding
        boxes and segmentation masks.

    Output shape:
        Same as the input.

    Example:
        >>> import layerax as lx, numpy as np
        >>> layer = lx.layers.RandomShear(x_factor=0.2, seed=0)
        >>> layer(np.ones((2, 8, 8, 3)), training=True).shape
        (2, 8, 8, 3)
    """

    def __init__(self, x_factor: Any = 0.0, y_factor: Any = 0.0, interpolation: str = "bilinear",
                 fill_mode: str = "reflect", fill_value: float = 0.0,
                 data_format: str | None = None, seed: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self.x_factor = _shear_factor(x_factor, "x_factor")
        self.y_factor = _shear_factor(y_factor, "y_factor")
        self._init_sampling(fill_mode, interpolation, fill_value, seed)

    def get_random_transformation(self, data: Any, training: bool = True,
                                  seed: Any = None) -> Any:
        if not training:
            return None
        images = self._images_of(data)
        shape = (self._batch_size(images), 1)
        key_sign, key_y, key_x = jax.random.split(self._next_key(seed), 3)
        sign = jnp.where(jax.random.uniform(key_sign, shape) > 0.5, -1.0, 1.0)
        shear_y = jax.random.uniform(key_y, shape, minval=self.y_factor[0], maxval=self.y_factor[1])
        shear_x = jax.random.uniform(key_x, shape, minval=self.x_factor[0], maxval=self.x_factor[1])
        factor = (jnp.concatenate([shear_x, shear_y], axis=1) * sign).astype(self.compute_dtype)
        return {"shear_factor": factor, "input_shape": tuple(jnp.shape(images))}

    def _matrix(self, transformation: dict[str, Any], height: int, width: int) -> jax.Array:
        s = jnp.asarray(transformation["shear_factor"], jnp.float32)
        ones, zeros = jnp.ones(s.shape[:1]), jnp.zeros(s.shape[:1])
        return jnp.stack([ones, s[:, 0], zeros, s[:, 1], ones, zeros, zeros, zeros], axis=1)

    def get_config(self) -> dict[str, Any]:
        config = {**super().get_config(), **self._sampling_config()}
        config.update(x_factor=self.x_factor, y_factor=self.y_factor)
        return config
