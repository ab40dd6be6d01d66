"""`Resizing`, `CenterCrop` and `RandomCrop`: layers that change the image size."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from layerax.layers.preprocessing.image import boxes as _boxes
from layerax.layers.preprocessing.image.base import BaseImagePreprocessingLayer
from layerax.ops import image as _image_ops

_RESIZE_INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "lanczos3", "lanczos5", "area")


def _check_size(layer: str, height: Any, width: Any) -> None:
    for name, value in (("height", height), ("width", width)):
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ValueError(
                f"{layer}: `{name}` must be a positive integer. Received: {name}={value!r}"
            )


def _resize(images: Any, size: tuple[int, int], interpolation: str, data_format: str,
            **kwargs: Any) -> Any:
    """`ops.image.resize` that keeps integer dtypes (rounded and saturated, as Keras does)."""
    images = jnp.asarray(images)
    dtype = images.dtype
    is_int = jnp.issubdtype(dtype, jnp.integer) or dtype == jnp.bool_
    work = images.astype(jnp.float32) if is_int else images
    if interpolation == "area":
        interpolation, kwargs["antialias"] = "linear", True
    out = _image_ops.resize(work, size, interpolation=interpolation, data_format=data_format,
                            **kwargs)
    if is_int:
        info = jnp.iinfo(dtype) if dtype != jnp.bool_ else None
        out = jnp.round(out)
        if info is not None:
            out = jnp.clip(out, info.min, info.max)
        return out.astype(dtype)
    return out.astype(dtype)


def _with_size(layer: Any, input_shape: Any, height: int, width: int) -> tuple[Any, ...]:
    shape = list(input_shape)
    h, w = layer._spatial_axes(len(shape))
    shape[h], shape[w] = height, width
    return tuple(shape)


def _aspect_window(height: int, width: int, target_h: int, target_w: int) -> tuple[int, ...]:
    """The largest centred window of aspect `target_h / target_w`: (top, left, h, w)."""
    crop_h = max(min(height, int(float(width * target_h) / target_w)), 1)
    crop_w = max(min(width, int(float(height * target_w) / target_h)), 1)
    return int(float(height - crop_h) / 2), int(float(width - crop_w) / 2), crop_h, crop_w


def _crop_boxes(bounding_boxes: dict[str, Any], top: Any, left: Any, crop_h: Any, crop_w: Any,
                out_h: int, out_w: int) -> dict[str, Any]:
    """`xyxy` boxes of a (top, left, crop_h, crop_w) window resized to (out_h, out_w)."""
    b = bounding_boxes["boxes"]
    top, left = jnp.asarray(top, b.dtype), jnp.asarray(left, b.dtype)
    x1 = jnp.clip(b[..., 0], left, left + crop_w) - left
    y1 = jnp.clip(b[..., 1], top, top + crop_h) - top
    x2 = jnp.clip(b[..., 2], left, left + crop_w) - left
    y2 = jnp.clip(b[..., 3], top, top + crop_h) - top
    sx, sy = out_w / crop_w, out_h / crop_h
    out = dict(bounding_boxes)
    out["boxes"] = jnp.stack([x1 * sx, y1 * sy, x2 * sx, y2 * sy], axis=-1)
    return _boxes.clip_to_image_size(out, out_h, out_w, "xyxy")


class Resizing(BaseImagePreprocessingLayer):
    """Resizes images to `(height, width)`.

    Integer images keep their dtype (the resized values are rounded and
    saturated); floating images are resized in the compute dtype. With
    `crop_to_aspect_ratio` the largest centred window of the target aspect ratio
    is resized (no distortion); with `pad_to_aspect_ratio` the image is padded
    with `fill_value` to that aspect ratio first.

    Args:
        height: Output height.
        width: Output width.
        interpolation: `"bilinear"` (default), `"nearest"`, `"bicubic"`,
            `"lanczos3"`, `"lanczos5"` or `"area"`.
        crop_to_aspect_ratio: Crop to the target aspect ratio before resizing.
        pad_to_aspect_ratio: Pad to the target aspect ratio before resizing.
        fill_mode: The padding mode (only `"constant"`).
        fill_value: The padding value.
        antialias: Whether to low-pass filter when downsampling.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        **kwargs: Base layer arguments (e.g. `bounding_box_format`).

    Input shape:
        `(batch, height, width, channels)` or one image `(height, width, channels)`
        (channels first with `data_format="channels_first"`); or a dict with
        `"images"`, `"labels"`, `"bounding_boxes"`, `"segmentation_masks"`.

    Output shape:
        The input's, with the new height and width.

    Example:
        >>> import layerax as lx, numpy as np
        >>> lx.layers.Resizing(2, 3)(np.ones((1, 4, 6, 3), np.float32)).shape
        (1, 2, 3, 3)
    """

    _USE_BASE_FACTOR = False

    def __init__(self, height: int, width: int, interpolation: str = "bilinear",
                 crop_to_aspect_ratio: bool = False, pad_to_aspect_ratio: bool = False,
                 fill_mode: str = "constant", fill_value: float = 0.0, antialias: bool = False,
                 data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(data_format=data_format, **kwargs)
        _check_size("Resizing", height, width)
        if interpolation not in _RESIZE_INTERPOLATIONS:
            raise ValueError(
                f"Resizing: unknown `interpolation`. Expected one of "
                f"{list(_RESIZE_INTERPOLATIONS)}. Received: interpolation={interpolation!r}"
            )
        if crop_to_aspect_ratio and pad_to_aspect_ratio:
            raise ValueError(
                "Resizing: only one of `crop_to_aspect_ratio` and `pad_to_aspect_ratio` can be "
                "True. Received both as True."
            )
        self.height, self.width = height, width
        self.interpolation = interpolation
        self.crop_to_aspect_ratio = crop_to_aspect_ratio
        self.pad_to_aspect_ratio = pad_to_aspect_ratio
        self.fill_mode = fill_mode
        self.fill_value = fill_value
        self.antialias = bool(antialias)

    def get_random_transformation(self, data: Any, training: bool = True,
                                  seed: Any = None) -> Any:
        return self._image_size(self._images_of(data))

    def _resize(self, images: Any, interpolation: str) -> Any:
        return _resize(images, (self.height, self.width), interpolation, self.data_format,
                       antialias=self.antialias, crop_to_aspect_ratio=self.crop_to_aspect_ratio,
                       pad_to_aspect_ratio=self.pad_to_aspect_ratio, fill_mode=self.fill_mode,
                       fill_value=self.fill_value)

    def transform_images(self, images: Any, transformation: Any = None,
                         training: bool = True) -> Any:
        return self._resize(images, self.interpolation)

    def transform_segmentation_masks(self, segmentation_masks: Any, transformation: Any = None,
                                     training: bool = True) -> Any:
        return self._resize(segmentation_masks, "nearest")

    def transform_bounding_boxes(self, bounding_boxes: dict[str, Any], transformation: Any,
                                 training: bool = True) -> dict[str, Any]:
        in_h, in_w = transformation
        padding = _boxes.padding_mask(jnp.asarray(bounding_boxes["boxes"]))
        boxes = _boxes.convert_format(bounding_boxes["boxes"], self.bounding_box_format, "xyxy",
                                      in_h, in_w)
        x1, y1, x2, y2 = (boxes[..., i] for i in range(4))
        if self.pad_to_aspect_ratio:
            ratio = min(self.height / in_h, self.width / in_w)
            dy = (self.height - in_h * ratio) // 2
            dx = (self.width - in_w * ratio) // 2
            sx = sy = ratio
        elif self.crop_to_aspect_ratio:
            source, target = in_w / in_h, self.width / self.height
            new_w = self.height * source if source > target else self.width
            new_h = self.height if source > target else self.width / source
            sx, sy = new_w / in_w, new_h / in_h
            dx, dy = -((new_w - self.width) // 2), -((new_h - self.height) // 2)
        else:
            sx, sy, dx, dy = self.width / in_w, self.height / in_h, 0.0, 0.0
        moved = dict(bounding_boxes)
        moved["boxes"] = jnp.stack([x1 * sx + dx, y1 * sy + dy, x2 * sx + dx, y2 * sy + dy], -1)
        moved = _boxes.clip_to_image_size(moved, self.height, self.width, "xyxy")
        moved["boxes"] = jnp.where(padding[..., None], 0.0, moved["boxes"])
        moved["boxes"] = _boxes.convert_format(moved["boxes"], "xyxy", self.bounding_box_format,
                                               self.height, self.width)
        return moved

    def compute_output_shape(self, input_shape: Any) -> Any:
        return _with_size(self, input_shape, self.height, self.width)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "height": self.height, "width": self.width, "interpolation": self.interpolation,
            "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
            "pad_to_aspect_ratio": self.pad_to_aspect_ratio, "fill_mode": self.fill_mode,
            "fill_value": self.fill_value, "antialias": self.antialias,
        }


class CenterCrop(BaseImagePreprocessingLayer):
    """Crops the central `(height, width)` window of the images.

    An image smaller than the target (along either axis) is instead cropped to
    the target aspect ratio and resized (bilinear), as `smart_resize` does. The
    output is in the compute dtype.

    Args:
        height: Output height.
        width: Output width.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        **kwargs: Base layer arguments (e.g. `bounding_box_format`).

    Input shape:
        A batch of images or one image; or a dict of images, labels, bounding
        boxes and segmentation masks.

    Output shape:
        The input's, with the new height and width.

    Example:
        >>> import layerax as lx, numpy as np
        >>> image = np.arange(16.0).reshape(4, 4, 1)
        >>> lx.layers.CenterCrop(2, 2)(image)[..., 0].tolist()
        [[5.0, 6.0], [9.0, 10.0]]
    """

    _USE_BASE_FACTOR = False

    def __init__(self, height: int, width: int, data_format: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(data_format=data_format, **kwargs)
        _check_size("CenterCrop", height, width)
        self.height, self.width = height, width

    def get_random_transformation(self, data: Any, training: bool = True,
                                  seed: Any = None) -> Any:
        return {"input_shape": tuple(jnp.shape(self._images_of(data)))}

    def transform_images(self, images: Any, transformation: Any = None,
                         training: bool = True) -> Any:
        images = jnp.asarray(images, self.compute_dtype)
        in_h, in_w = self._image_size(images)
        dh, dw = in_h - self.height, in_w - self.width
        if dh >= 0 and dw >= 0:
            h_axis, w_axis = self._spatial_axes(images.ndim)
            images = jax.lax.slice_in_dim(images, dh // 2, dh // 2 + self.height, axis=h_axis)
            return jax.lax.slice_in_dim(images, dw // 2, dw // 2 + self.width, axis=w_axis)
        return _resize(images, (self.height, self.width), "bilinear", self.data_format,
                       crop_to_aspect_ratio=True)

    def transform_segmentation_masks(self, segmentation_masks: Any, transformation: Any,
                                     training: bool = True) -> Any:
        return self.transform_images(segmentation_masks, transformation, training)

    def transform_bounding_boxes(self, bounding_boxes: dict[str, Any], transformation: Any,
                                 training: bool = True) -> dict[str, Any]:
        h_axis, w_axis = self._spatial_axes(len(transformation["input_shape"]))
        in_h = transformation["input_shape"][h_axis]
        in_w = transformation["input_shape"][w_axis]
        boxes = dict(bounding_boxes)
        boxes["boxes"] = _boxes.convert_format(boxes["boxes"], self.bounding_box_format, "xyxy",
                                               in_h, in_w)
        dh, dw = in_h - self.height, in_w - self.width
        if dh >= 0 and dw >= 0:
            window = (int(dh / 2), int(dw / 2), self.height, self.width)
        else:
            window = _aspect_window(in_h, in_w, self.height, self.width)
        boxes = _crop_boxes(boxes, *window, self.height, self.width)
        boxes["boxes"] = _boxes.convert_format(boxes["boxes"], "xyxy", self.bounding_box_format,
                                               self.height, self.width)
        return boxes

    def compute_output_shape(self, input_shape: Any) -> Any:
        if len(input_shape) not in (3, 4) or isinstance(input_shape[0], (list, tuple)):
            raise ValueError(
                "CenterCrop: `input_shape` must be a non-nested tuple or list of size 3 "
                f"(unbatched) or 4 (batched). Received: input_shape={input_shape}"
            )
        return _with_size(self, input_shape, self.height, self.width)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "height": self.height, "width": self.width}


class RandomCrop(BaseImagePreprocessingLayer):
    """Crops a random `(height, width)` window (one position for the whole batch).

    In training, when the images are larger than the target along both axes, the
    window's top-left corner is uniform over the valid positions. Otherwise (an
    image not larger than the target, or `training=False`) the layer takes a
    fixed window and resizes it to the target (Keras' deterministic path), so
    the output always has the target size.

    Args:
        height: Output height.
        width: Output width.
        seed: Integer seed of the layer's `SeedGenerator`.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        name: The layer's name.
        **kwargs: Base layer arguments (e.g. `bounding_box_format`).

    Input shape:
        A batch of images or one image; or a dict of images, labels, bounding
        boxes and segmentation masks.

    Output shape:
        The input's, with the new height and width.

    Example:
        >>> import layerax as lx, numpy as np
        >>> lx.layers.RandomCrop(2, 3, seed=0)(np.ones((4, 5, 5, 3)), training=True).shape
        (4, 2, 3, 3)
    """

    _USE_BASE_FACTOR = False

    def __init__(self, height: int, width: int, seed: int | None = None,
                 data_format: str | None = None, name: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(data_format=data_format, name=name, **kwargs)
        _check_size("RandomCrop", height, width)
        self.height, self.width = height, width
        self._set_seed(seed)

    def get_random_transformation(self, data: Any, training: bool = True,
                                  seed: Any = None) -> Any:
        in_h, in_w = self._image_size(self._images_of(data))
        if training and in_h > self.height and in_w > self.width:
            key_h, key_w = jax.random.split(self._next_key(seed))
            top = jax.random.randint(key_h, (), 0, in_h - self.height + 1)
            left = jax.random.randint(key_w, (), 0, in_w - self.width + 1)
            return top, left, in_h, in_w
        top, left, _, _ = _aspect_window(in_h, in_w, self.height, self.width)
        return top, left, in_h, in_w

    def _crop(self, images: Any, transformation: Any, dtype: Any) -> Any:
        images = jnp.asarray(images, dtype)
        top, left = transformation[:2]
        h_axis, w_axis = self._spatial_axes(images.ndim)
        in_h, in_w = images.shape[h_axis], images.shape[w_axis]
        if isinstance(top, int):  # the fixed window: a static slice, maybe a resize
            crop_h, crop_w = min(self.height, in_h - top), min(self.width, in_w - left)
            images = jax.lax.slice_in_dim(images, top, top + crop_h, axis=h_axis)
            images = jax.lax.slice_in_dim(images, left, left + crop_w, axis=w_axis)
            if (crop_h, crop_w) != (self.height, self.width):
                images = _resize(images, (self.height, self.width), "bilinear", self.data_format)
            return images
        sizes = list(images.shape)
        sizes[h_axis], sizes[w_axis] = self.height, self.width
        starts = [jnp.zeros((), jnp.int32)] * images.ndim
        starts[h_axis], starts[w_axis] = top.astype(jnp.int32), left.astype(jnp.int32)
        return jax.lax.dynamic_slice(images, starts, sizes)

    def transform_images(self, images: Any, transformation: Any,
                         training: bool = True) -> Any:
        return self._crop(images, transformation, self.compute_dtype)

    def transform_segmentation_masks(self, segmentation_masks: Any, transformation: Any,
                                     training: bool = True) -> Any:
        masks = jnp.asarray(segmentation_masks)
        return self._crop(masks, transformation, masks.dtype)

    def transform_bounding_boxes(self, bounding_boxes: dict[str, Any], transformation: Any,
                                 training: bool = True) -> dict[str, Any]:
        top, left, in_h, in_w = transformation
        boxes = dict(bounding_boxes)
        boxes["boxes"] = _boxes.convert_format(boxes["boxes"], self.bounding_box_format, "xyxy",
                                               in_h, in_w)
        if isinstance(top, int):
            crop_h, crop_w = min(self.height, in_h - top), min(self.width, in_w - left)
        else:
            crop_h, crop_w = self.height, self.width
        boxes = _crop_boxes(boxes, top, left, crop_h, crop_w, self.height, self.width)
        boxes["boxes"] = _boxes.convert_format(boxes["boxes"], "xyxy", self.bounding_box_format,
                                               self.height, self.width)
        return boxes

    def compute_output_shape(self, input_shape: Any) -> Any:
        return _with_size(self, input_shape, self.height, self.width)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "height": self.height, "width": self.width,
                "seed": self.seed}
