"""Bounding-box helpers shared by the image preprocessing layers (private).

Keras' conventions: a bounding-box input is a dict `{"boxes": (..., N, 4),
"labels": (..., N)}`; padding rows carry the label -1. The formats are
`xyxy`, `yxyx`, `xywh`, `center_xywh`, `center_yxhw` (pixels) and their
`rel_` variants (fractions of the image's width and height).
"""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp
import numpy as np

FORMATS = (
    "xyxy", "yxyx", "xywh", "center_xywh", "center_yxhw",
    "rel_xyxy", "rel_yxyx", "rel_xywh", "rel_center_xywh",
)


def _split(boxes: Any) -> tuple[Any, Any, Any, Any]:
    return boxes[..., 0], boxes[..., 1], boxes[..., 2], boxes[..., 3]


def _to_xyxy(boxes: Any, source: str, height: Any, width: Any) -> Any:
    a, b, c, d = _split(boxes)
    base = source.replace("rel_", "", 1)
    if base == "xyxy":
        x1, y1, x2, y2 = a, b, c, d
    elif base == "yxyx":
        y1, x1, y2, x2 = a, b, c, d
    elif base == "xywh":
        x1, y1, x2, y2 = a, b, a + c, b + d
    elif base == "center_xywh":
        x1, y1, x2, y2 = a - c / 2, b - d / 2, a + c / 2, b + d / 2
    else:  # center_yxhw
        y1, x1, y2, x2 = a - c / 2, b - d / 2, a + c / 2, b + d / 2
    if source.startswith("rel_"):
        x1, x2, y1, y2 = x1 * width, x2 * width, y1 * height, y2 * height
    return jnp.stack([x1, y1, x2, y2], axis=-1)


def _from_xyxy(boxes: Any, target: str, height: Any, width: Any) -> Any:
    x1, y1, x2, y2 = _split(boxes)
    if target.startswith("rel_"):
        x1, x2, y1, y2 = x1 / width, x2 / width, y1 / height, y2 / height
    base = target.replace("rel_", "", 1)
    if base == "xyxy":
        parts = (x1, y1, x2, y2)
    elif base == "yxyx":
        parts = (y1, x1, y2, x2)
    elif base == "xywh":
        parts = (x1, y1, x2 - x1, y2 - y1)
    elif base == "center_xywh":
        parts = ((x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1)
    else:  # center_yxhw
        parts = ((y1 + y2) / 2, (x1 + x2) / 2, y2 - y1, x2 - x1)
    return jnp.stack(parts, axis=-1)


def check_format(bounding_box_format: Any, layer: str) -> None:
    if bounding_box_format is not None and bounding_box_format not in FORMATS:
        raise ValueError(
            f"{layer}: unknown `bounding_box_format`. Expected one of {list(FORMATS)}. "
            f"Received: bounding_box_format={bounding_box_format!r}"
        )


def convert_format(boxes: Any, source: str, target: str, height: Any = None,
                   width: Any = None, dtype: Any = "float32") -> Any:
    """`boxes` (last axis 4) from `source` to `target` format, as float `dtype`."""
    boxes = jnp.asarray(boxes, dtype)
    if boxes.shape[-1] != 4:
        raise ValueError(
            "`boxes` must be a tensor with the last dimension of 4. "
            f"Received: boxes.shape={tuple(boxes.shape)}"
        )
    if source not in FORMATS or target not in FORMATS:
        raise ValueError(f"Invalid source or target format. Supported formats: {list(FORMATS)}")
    if source == target:
        return boxes
    if (source.startswith("rel_") or target.startswith("rel_")) and (
        height is None or width is None
    ):
        raise ValueError(
            "convert_format() must receive `height` and `width` to convert between relative "
            f"and absolute formats. Received: source={source!r}, target={target!r}, "
            f"height={height}, width={width}."
        )
    if source.startswith("rel_") and target.startswith("rel_"):
        source, target = source[4:], target[4:]
        height = width = 1.0
    return _from_xyxy(_to_xyxy(boxes, source, height, width), target, height, width)


def clip_to_image_size(bounding_boxes: dict[str, Any], height: Any = None, width: Any = None,
                       bounding_box_format: str = "xyxy") -> dict[str, Any]:
    """Clips `xyxy` (or `rel_xyxy`) boxes to the image; labels of empty boxes become -1."""
    boxes = bounding_boxes["boxes"]
    if bounding_box_format == "rel_xyxy":
        height = width = 1.0
    elif bounding_box_format != "xyxy":
        raise NotImplementedError(
            f"clip_to_image_size supports 'xyxy' and 'rel_xyxy'. Received: {bounding_box_format!r}"
        )
    x1, y1, x2, y2 = _split(boxes)
    width = jnp.asarray(width, boxes.dtype)
    height = jnp.asarray(height, boxes.dtype)
    clipped = jnp.stack(
        [jnp.clip(x1, 0, width), jnp.clip(y1, 0, height),
         jnp.clip(x2, 0, width), jnp.clip(y2, 0, height)], axis=-1)
    out = dict(bounding_boxes)
    out["boxes"] = clipped
    if "labels" in bounding_boxes:
        area = (clipped[..., 2] - clipped[..., 0]) * (clipped[..., 3] - clipped[..., 1])
        labels = jnp.asarray(bounding_boxes["labels"])
        out["labels"] = jnp.where(area > 0, labels, jnp.asarray(-1, labels.dtype))
    return out


def densify(bounding_boxes: Any, layer: str) -> dict[str, Any]:
    """Checks a bounding-box dict; ragged Python lists are padded (boxes 0, labels -1)."""
    if not isinstance(bounding_boxes, dict) or "boxes" not in bounding_boxes or (
        "labels" not in bounding_boxes
    ):
        raise ValueError(
            f"{layer}: `bounding_boxes` must be a dict with keys 'boxes' and 'labels'. "
            f"Received: bounding_boxes={bounding_boxes!r}"
        )
    boxes, labels = bounding_boxes["boxes"], bounding_boxes["labels"]
    out = dict(bounding_boxes)
    if isinstance(boxes, list) and boxes and isinstance(boxes[0], list) and boxes[0] and (
        isinstance(boxes[0][0], list)
    ):
        most = max(len(b) for b in boxes)
        boxes = [list(b) + [[0, 0, 0, 0]] * (most - len(b)) for b in boxes]
        labels = [list(lab) + [-1] * (most - len(lab)) for lab in labels]
    out["boxes"] = jnp.asarray(np.asarray(boxes) if isinstance(boxes, list) else boxes)
    out["labels"] = jnp.asarray(np.asarray(labels) if isinstance(labels, list) else labels)
    if out["boxes"].shape[-1:] != (4,):
        raise ValueError(
            f"{layer}: `bounding_boxes['boxes']` must have a last axis of size 4. "
            f"Received: shape={tuple(out['boxes'].shape)}"
        )
    return out


def transform_projective(boxes: Any, transform: Any) -> Any:
    """Maps `xyxy` boxes `(B, N, 4)` through the inverse of per-image image transforms.

    `transform` `(B, 8)` maps output pixels to input pixels (the convention of
    `ops.image.affine_transform`), so a box's corners move by its inverse; the
    result is the axis-aligned box around the 4 moved corners.
    """
    t = jnp.asarray(transform, jnp.float32)
    matrix = jnp.concatenate([t, jnp.ones((t.shape[0], 1), t.dtype)], axis=1).reshape(-1, 3, 3)
    forward = jnp.linalg.inv(matrix)
    boxes = jnp.asarray(boxes, jnp.float32)
    x1, y1, x2, y2 = _split(boxes)
    xs = jnp.stack([x1, x2, x1, x2], axis=-1)
    ys = jnp.stack([y1, y1, y2, y2], axis=-1)
    points = jnp.stack([xs, ys, jnp.ones_like(xs)], axis=-1)  # (B, N, 4, 3)
    moved = jnp.einsum("bij,bnkj->bnki", forward, points)
    mx, my = moved[..., 0] / moved[..., 2], moved[..., 1] / moved[..., 2]
    return jnp.stack([mx.min(-1), my.min(-1), mx.max(-1), my.max(-1)], axis=-1)


def padding_mask(boxes: Any) -> Any:
    """True for padding rows (all -1 or all 0), which transforms keep as zeros."""
    return jnp.all(boxes == -1, axis=-1) | jnp.all(boxes == 0, axis=-1)
