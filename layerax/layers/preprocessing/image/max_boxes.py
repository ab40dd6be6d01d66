"""`MaxNumBoundingBoxes`: pads or truncates the bounding boxes to a fixed count."""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp

from layerax.layers.preprocessing.image.base import BaseImagePreprocessingLayer


class MaxNumBoundingBoxes(BaseImagePreprocessingLayer):
    """Makes the number of bounding boxes per image `max_number`.

    Extra boxes are dropped; missing ones are added with `fill_value` as
    coordinates and label. Images, labels and segmentation masks pass unchanged.

    Args:
        max_number: The number of boxes per image.
        fill_value: The value of the added boxes and labels (default -1).
        **kwargs: Base layer arguments (e.g. `bounding_box_format`).

    Input shape:
        A dict with `"images"` and `"bounding_boxes"` (`{"boxes": (batch, N, 4),
        "labels": (batch, N)}`), or images alone.

    Output shape:
        The boxes become `(batch, max_number, 4)`, their labels `(batch, max_number)`.

    Example:
        >>> import layerax as lx, numpy as np
        >>> data = {"images": np.zeros((1, 4, 4, 3)),
        ...         "bounding_boxes": {"boxes": np.ones((1, 1, 4)), "labels": np.ones((1, 1))}}
        >>> out = lx.layers.MaxNumBoundingBoxes(3, bounding_box_format="xyxy")(data)
        >>> out["bounding_boxes"]["labels"].tolist()
        [[1.0, -1.0, -1.0]]
    """

    _USE_BASE_FACTOR = False

    def __init__(self, max_number: int, fill_value: int = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.max_number = int(max_number)
        self.fill_value = int(fill_value)

    def transform_images(self, images: Any, transformation: Any = None,
                         training: bool = True) -> Any:
        return images

    def transform_segmentation_masks(self, segmentation_masks: Any, transformation: Any = None,
                                     training: bool = True) -> Any:
        return segmentation_masks

    def transform_bounding_boxes(self, bounding_boxes: dict[str, Any], transformation: Any,
                                 training: bool = True) -> dict[str, Any]:
        boxes = jnp.asarray(bounding_boxes["boxes"])
        labels = jnp.asarray(bounding_boxes["labels"])
        missing = max(self.max_number - boxes.shape[1], 0)
        boxes = jnp.pad(boxes[:, : self.max_number], ((0, 0), (0, missing), (0, 0)),
                        constant_values=self.fill_value)
        labels = jnp.pad(labels[:, : self.max_number], ((0, 0), (0, missing)),
                         constant_values=self.fill_value)
        return {**bounding_boxes, "boxes": boxes, "labels": labels}

    def compute_output_shape(self, input_shape: Any) -> Any:
        if isinstance(input_shape, dict) and "bounding_boxes" in input_shape:
            extra = set(input_shape["bounding_boxes"]) - {"boxes", "labels"}
            if extra:
                raise KeyError(
                    f"There are unsupported keys in `bounding_boxes`: {sorted(extra)}. Only "
                    "`boxes` and `labels` are supported."
                )
            shape = dict(input_shape)
            boxes = list(shape["bounding_boxes"]["boxes"])
            labels = list(shape["bounding_boxes"]["labels"])
            boxes[1] = labels[1] = self.max_number
            shape["bounding_boxes"] = {"boxes": tuple(boxes), "labels": tuple(labels)}
            return shape
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "max_number": self.max_number,
                "fill_value": self.fill_value}
