"""`RandomFlip`: random horizontal and/or vertical flips."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from layerax.layers.preprocessing.image import boxes as _boxes
from layerax.layers.preprocessing.image.base import BaseImagePreprocessingLayer

HORIZONTAL = "horizontal"
VERTICAL = "vertical"
HORIZONTAL_AND_VERTICAL = "horizontal_and_vertical"
_MODES = (HORIZONTAL, VERTICAL, HORIZONTAL_AND_VERTICAL)


class RandomFlip(BaseImagePreprocessingLayer):
    """Flips each image with probability 1/2 during training.

    With `mode="horizontal_and_vertical"` a flipped image is flipped along both
    axes (one draw per image, as in Keras). Outside training the layer is the
    identity (the output is in the compute dtype).

    Args:
        mode: `"horizontal"`, `"vertical"` or `"horizontal_and_vertical"` (default).
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
        >>> images = np.arange(8.0).reshape(4, 1, 2, 1)
        >>> out = lx.layers.RandomFlip("horizontal", seed=1)(images, training=True)
        >>> sorted(out[:, 0, :, 0].tolist()) == sorted(
        ...     [r if r[0] < r[1] else r for r in out[:, 0, :, 0].tolist()])
        True
        >>> lx.layers.RandomFlip()(images, training=False).shape
        (4, 1, 2, 1)
    """

    _USE_BASE_FACTOR = False

    def __init__(self, mode: str = HORIZONTAL_AND_VERTICAL, seed: int | None = None,
                 data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(data_format=data_format, **kwargs)
        if mode not in _MODES:
            raise ValueError(
                f"RandomFlip layer {self.name} received an unknown mode argument {mode!r}. "
                f"Expected one of {list(_MODES)}."
            )
        self.mode = mode
        self._set_seed(seed)

    def get_random_transformation(self, data: Any, training: bool = True,
                                  seed: Any = None) -> Any:
        if not training:
            return None
        images = self._images_of(data)
        shape = tuple(jnp.shape(images))
        flips_shape = (1, 1, 1) if len(shape) == 3 else (shape[0], 1, 1, 1)
        flips = jax.random.uniform(self._next_key(seed), flips_shape) <= 0.5
        return {"flips": flips, "input_shape": shape}

    def _flip(self, images: Any, transformation: Any) -> Any:
        flips = transformation["flips"]
        h_axis, w_axis = self._spatial_axes(jnp.ndim(images))
        if self.mode in (HORIZONTAL, HORIZONTAL_AND_VERTICAL):
            images = jnp.where(flips, jnp.flip(images, axis=w_axis), images)
        if self.mode in (VERTICAL, HORIZONTAL_AND_VERTICAL):
            images = jnp.where(flips, jnp.flip(images, axis=h_axis), images)
        return images

    def transform_images(self, images: Any, transformation: Any,
                         training: bool = True) -> Any:
        images = jnp.asarray(images, self.compute_dtype)
        if training and transformation is not None:
            images = self._flip(images, transformation)
        return images

    def transform_segmentation_masks(self, segmentation_masks: Any, transformation: Any,
                                     training: bool = True) -> Any:
        return self.transform_images(segmentation_masks, transformation, training)

    def transform_bounding_boxes(self, bounding_boxes: dict[str, Any], transformation: Any,
                                 training: bool = True) -> dict[str, Any]:
        if not training or transformation is None:
            return bounding_boxes
        shape = transformation["input_shape"]
        h_axis, w_axis = self._spatial_axes(len(shape))
        height, width = shape[h_axis], shape[w_axis]
        flips = transformation["flips"].reshape(-1, 1, 1)
        rel = _boxes.convert_format(bounding_boxes["boxes"], self.bounding_box_format,
                                    "rel_xyxy", height, width)
        x1, y1, x2, y2 = (rel[..., i] for i in range(4))
        if self.mode in (HORIZONTAL, HORIZONTAL_AND_VERTICAL):
            rel = jnp.where(flips, jnp.stack([1 - x2, y1, 1 - x1, y2], -1), rel)
        x1, y1, x2, y2 = (rel[..., i] for i in range(4))
        if self.mode in (VERTICAL, HORIZONTAL_AND_VERTICAL):
            rel = jnp.where(flips, jnp.stack([x1, 1 - y2, x2, 1 - y1], -1), rel)
        out = _boxes.clip_to_image_size({**bounding_boxes, "boxes": rel},
                                        bounding_box_format="rel_xyxy")
        out["boxes"] = _boxes.convert_format(out["boxes"], "rel_xyxy", self.bounding_box_format,
                                             height, width)
        return out

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "seed": self.seed, "mode": self.mode}
