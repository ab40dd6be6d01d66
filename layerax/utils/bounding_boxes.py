"""Bounding-box utilities (`lx.utils.bounding_boxes`), Keras 3's `keras.utils.bounding_boxes`.

Formats (case-insensitive): `xyxy`, `yxyx`, `xywh`, `center_xywh`,
`center_yxhw` in pixels, and `rel_xyxy`, `rel_yxyx`, `rel_xywh`,
`rel_center_xywh` as fractions of the image height and width. A
bounding-box dict is `{"boxes": (..., N, 4), "labels": (..., N)}`.
"""

from __future__ import annotations

import math
from typing import Any

import jax.numpy as jnp

from layerax.config import epsilon
from layerax.layers.preprocessing.image import boxes as _boxes

__all__ = [
    "affine_transform", "clip_to_image_size", "compute_ciou", "compute_iou", "convert_format",
    "crop", "decode_deltas_to_boxes", "encode_box_to_deltas", "pad",
]

_ENCODINGS = ("center_xywh", "center_yxhw")


def convert_format(boxes: Any, source: str, target: str, height: Any = None, width: Any = None,
                   dtype: Any = "float32") -> Any:
    """Converts bounding boxes from the `source` format to the `target` format.

    Args:
        boxes: Boxes `(..., 4)`, or a dict whose `"boxes"` entry is converted
            (the dict is updated and returned, as in Keras).
        source: The format of `boxes`.
        target: The format to return.
        height: Image height, needed between relative and absolute formats.
        width: Image width, needed between relative and absolute formats.
        dtype: The floating dtype of the result.

    Returns:
        The converted boxes (or the dict holding them).

    Example:

    >>> import numpy as np
    >>> import layerax as lx
    >>> lx.utils.bounding_boxes.convert_format(np.array([[10, 20, 30, 40]]), "xyxy", "xywh")
    Array([[10., 20., 20., 20.]], dtype=float32)
    """
    if isinstance(boxes, dict):
        boxes["boxes"] = convert_format(boxes["boxes"], source, target, height, width, dtype)
        return boxes
    return _boxes.convert_format(boxes, str(source).lower(), str(target).lower(), height, width,
                                 dtype)


def clip_to_image_size(bounding_boxes: dict[str, Any], height: Any = None, width: Any = None,
                       bounding_box_format: str = "xyxy") -> dict[str, Any]:
    """Clips boxes to the image; the labels of boxes left with no area become -1.

    Args:
        bounding_boxes: A dict with `"boxes"` `(N, 4)` or `(batch, N, 4)` and
            optionally `"labels"` `(N,)` or `(batch, N)`.
        height: Image height (needed for `"xyxy"`).
        width: Image width (needed for `"xyxy"`).
        bounding_box_format: `"xyxy"` or `"rel_xyxy"`.

    Returns:
        A new dict with the clipped boxes and updated labels.

    Example:

    >>> import numpy as np
    >>> import layerax as lx
    >>> out = lx.utils.bounding_boxes.clip_to_image_size(
    ...     {"boxes": np.array([[-10., -20., 150., 160.]]), "labels": np.array([0])},
    ...     height=100, width=120)
    >>> out["boxes"]
    Array([[  0.,   0., 120., 100.]], dtype=float32)
    """
    if bounding_box_format not in ("xyxy", "rel_xyxy"):
        raise NotImplementedError(
            "clip_to_image_size supports bounding_box_format 'xyxy' and 'rel_xyxy'. Received: "
            f"bounding_box_format={bounding_box_format!r}. Convert the boxes first with "
            "convert_format().")
    if bounding_box_format == "xyxy" and (height is None or width is None):
        raise ValueError("clip_to_image_size: `height` and `width` must be set when "
                         f"bounding_box_format='xyxy'. Received: height={height}, width={width}.")
    data = dict(bounding_boxes)
    data["boxes"] = jnp.asarray(data["boxes"])
    return _boxes.clip_to_image_size(data, height, width, bounding_box_format)


def _inverse_affine_matrix(center_x: Any, center_y: Any, angle: Any, translate_x: Any,
                           translate_y: Any, scale: Any, shear_x: Any, shear_y: Any,
                           height: Any, width: Any) -> Any:
    """`(B, 3, 3)` matrices mapping original pixels to transformed pixels (Keras' convention).

    Rotation by `angle` and shears (degrees) about the centre `(center_x,
    center_y)` (fractions of `width - 1`, `height - 1`), a uniform `scale`,
    then translation by fractions of `width - 1` / `height - 1`.
    """
    to_rad = math.pi / 180.0
    angle = jnp.asarray(angle, "float32")
    rot = -angle * to_rad
    sx = -jnp.asarray(shear_x, angle.dtype) * to_rad
    sy = -jnp.asarray(shear_y, angle.dtype) * to_rad
    cx = center_x * (width - 1)
    cy = center_y * (height - 1)
    ox = cx - jnp.asarray(translate_x, angle.dtype) * (width - 1)
    oy = cy - jnp.asarray(translate_y, angle.dtype) * (height - 1)
    # The rotation-shear block [[p, q], [r, s]] (determinant one) ...
    p = jnp.cos(rot - sy) / jnp.cos(sy)
    r = -jnp.sin(rot - sy) / jnp.cos(sy)
    q = p * jnp.tan(sx) + jnp.sin(rot)
    s = jnp.cos(rot) - r * jnp.tan(sx)
    # ... inverted (adjugate) and scaled, then moved so the centre stays put.
    m00, m01, m10, m11 = s * scale, -q * scale, -r * scale, p * scale
    m02 = cx - m00 * ox - m01 * oy
    m12 = cy - m10 * ox - m11 * oy
    zeros, ones = jnp.zeros_like(m00), jnp.ones_like(m00)
    rows = jnp.stack([m00, m01, m02, m10, m11, m12, zeros, zeros, ones], axis=-1)
    return rows.reshape(-1, 3, 3)


def affine_transform(boxes: Any, angle: Any, translate_x: Any, translate_y: Any, scale: Any,
                     shear_x: Any, shear_y: Any, height: Any, width: Any, center_x: Any = None,
                     center_y: Any = None, bounding_box_format: str = "xyxy") -> Any:
    """Applies per-image affine transforms to `xyxy` boxes (the axis-aligned hull of the corners).

    Args:
        boxes: Boxes `(batch, N, 4)` in `xyxy` format.
        angle: Rotation angles in degrees, `(batch,)`.
        translate_x: Horizontal translations, fractions of the width, `(batch,)`.
        translate_y: Vertical translations, fractions of the height, `(batch,)`.
        scale: Scale factors, `(batch,)`.
        shear_x: Horizontal shear angles in degrees, `(batch,)`.
        shear_y: Vertical shear angles in degrees, `(batch,)`.
        height: Image height.
        width: Image width.
        center_x: Centre of the transform, a fraction of the width (default 0.5).
        center_y: Centre of the transform, a fraction of the height (default 0.5).
        bounding_box_format: Only `"xyxy"`.

    Returns:
        The transformed boxes `(batch, N, 4)`.

    Example:

    >>> import numpy as np
    >>> import layerax as lx
    >>> one = np.ones(1, "float32")
    >>> lx.utils.bounding_boxes.affine_transform(
    ...     np.array([[[0., 0., 10., 10.]]]), 0 * one, 0 * one, 0 * one, one, 0 * one, 0 * one,
    ...     height=11, width=11)
    Array([[[ 0.,  0., 10., 10.]]], dtype=float32)
    """
    if bounding_box_format != "xyxy":
        raise NotImplementedError("affine_transform supports only bounding_box_format='xyxy'. "
                                  f"Received: {bounding_box_format!r}; convert the boxes first.")
    boxes = jnp.asarray(boxes)
    if boxes.ndim != 3 or boxes.shape[-1] != 4:
        raise ValueError("affine_transform: expected `boxes` of shape (batch, N, 4). Received "
                         f"shape {boxes.shape}; add a batch axis for a single image.")
    matrix = _inverse_affine_matrix(0.5 if center_x is None else center_x,
                                    0.5 if center_y is None else center_y, angle, translate_x,
                                    translate_y, scale, shear_x, shear_y, height, width)
    boxes = boxes.astype(matrix.dtype)
    x1, y1, x2, y2 = (boxes[..., i] for i in range(4))
    xs = jnp.stack([x1, x2, x2, x1], axis=-1)
    ys = jnp.stack([y1, y1, y2, y2], axis=-1)
    m = matrix[:, None, None, :, :]
    new_x = m[..., 0, 0] * xs + m[..., 0, 1] * ys + m[..., 0, 2]
    new_y = m[..., 1, 0] * xs + m[..., 1, 1] * ys + m[..., 1, 2]
    return jnp.stack([new_x.min(-1), new_y.min(-1), new_x.max(-1), new_y.max(-1)], axis=-1)


def crop(boxes: Any, top: Any, left: Any, height: Any, width: Any,
         bounding_box_format: str = "xyxy") -> Any:
    """Shifts `xyxy` boxes into a crop window at (`top`, `left`) and clips them to it.

    Args:
        boxes: Boxes `(N, 4)` or `(batch, N, 4)` in `xyxy` format.
        top: Top offset of the window.
        left: Left offset of the window.
        height: Window height.
        width: Window width.
        bounding_box_format: Only `"xyxy"`.

    Returns:
        The cropped boxes.

    Example:

    >>> import numpy as np
    >>> import layerax as lx
    >>> lx.utils.bounding_boxes.crop(np.array([[10., 20., 50., 60.]]), 10, 20, 40, 30)
    Array([[ 0., 10., 30., 40.]], dtype=float32)
    """
    if bounding_box_format != "xyxy":
        raise NotImplementedError("crop supports only bounding_box_format='xyxy'. Received: "
                                  f"{bounding_box_format!r}; convert the boxes first.")
    boxes = jnp.asarray(boxes)
    shift = jnp.stack([jnp.asarray(left), jnp.asarray(top)] * 2).astype(boxes.dtype)
    upper = jnp.stack([jnp.asarray(width), jnp.asarray(height)] * 2).astype(boxes.dtype)
    return jnp.clip(boxes - shift, 0, upper)


def pad(boxes: Any, top: Any, left: Any, height: Any = None, width: Any = None,
        bounding_box_format: str = "xyxy") -> Any:
    """Shifts `xyxy` boxes by `top` and `left`, as padding the image at the top-left does.

    Args:
        boxes: Boxes `(N, 4)` or `(batch, N, 4)` in `xyxy` format.
        top: Padding added above the image.
        left: Padding added left of the image.
        height: Unused (Keras' signature).
        width: Unused (Keras' signature).
        bounding_box_format: Only `"xyxy"`.

    Returns:
        The shifted boxes.

    Example:

    >>> import numpy as np
    >>> import layerax as lx
    >>> lx.utils.bounding_boxes.pad(np.array([[1., 2., 3., 4.]]), top=10, left=5)
    Array([[ 6., 12.,  8., 14.]], dtype=float32)
    """
    del height, width
    if bounding_box_format != "xyxy":
        raise NotImplementedError("pad supports only bounding_box_format='xyxy'. Received: "
                                  f"{bounding_box_format!r}; convert the boxes first.")
    boxes = jnp.asarray(boxes)
    return boxes + jnp.stack([jnp.asarray(left), jnp.asarray(top)] * 2).astype(boxes.dtype)


def _check_variance(variance: Any, name: str) -> Any:
    if variance is None:
        return None
    variance = jnp.asarray(variance, "float32")
    if variance.shape[-1] != 4:
        raise ValueError(f"{name}: `variance` must have length 4. Received: variance={variance}.")
    return variance


def _image_hw(image_shape: Any) -> tuple[Any, Any]:
    if image_shape is None:
        return None, None
    height, width, _ = image_shape
    return height, width


def encode_box_to_deltas(anchors: Any, boxes: Any, anchor_format: str, box_format: str,
                         encoding_format: str = "center_yxhw", variance: Any = None,
                         image_shape: Any = None) -> Any:
    """Encodes boxes as offsets and log-scales relative to anchors.

    Args:
        anchors: Anchor boxes `(N, 4)`.
        boxes: Boxes `(N, 4)` or `(batch, N, 4)`.
        anchor_format: Format of `anchors`.
        box_format: Format of `boxes`.
        encoding_format: `"center_yxhw"` or `"center_xywh"`, the layout of the deltas.
        variance: Optional 4 factors that divide the deltas.
        image_shape: `(height, width, channels)`, needed for relative formats.

    Returns:
        The deltas, shaped like `boxes`.

    Example:

    >>> import numpy as np
    >>> import layerax as lx
    >>> a = np.array([[0., 0., 10., 10.]])
    >>> lx.utils.bounding_boxes.encode_box_to_deltas(a, a, "xyxy", "xyxy")
    Array([[0., 0., 0., 0.]], dtype=float32)
    """
    variance = _check_variance(variance, "encode_box_to_deltas")
    if encoding_format not in _ENCODINGS:
        raise ValueError("encode_box_to_deltas: `encoding_format` must be 'center_xywh' or "
                         f"'center_yxhw'. Received: encoding_format={encoding_format!r}.")
    height, width = _image_hw(image_shape)
    anchors = convert_format(anchors, anchor_format, encoding_format, height, width)
    boxes = convert_format(boxes, box_format, encoding_format, height, width)
    anchor_size = jnp.maximum(anchors[..., 2:], epsilon())
    box_size = jnp.maximum(boxes[..., 2:], epsilon())
    deltas = jnp.concatenate([(boxes[..., :2] - anchors[..., :2]) / anchor_size,
                              jnp.log(box_size / anchor_size)], axis=-1)
    return deltas if variance is None else deltas / variance


def decode_deltas_to_boxes(anchors: Any, boxes_delta: Any, anchor_format: str, box_format: str,
                           encoded_format: str = "center_yxhw", variance: Any = None,
                           image_shape: Any = None) -> Any:
    """Decodes deltas (from `encode_box_to_deltas`) back to boxes in `box_format`.

    Args:
        anchors: Anchor boxes `(N, 4)`, or a dict of them by level.
        boxes_delta: Deltas `(N, 4)` or `(batch, N, 4)`, or a dict like `anchors`.
        anchor_format: Format of `anchors`.
        box_format: Format of the returned boxes.
        encoded_format: `"center_yxhw"` or `"center_xywh"`, the layout of the deltas.
        variance: Optional 4 factors that multiply the deltas.
        image_shape: `(height, width, channels)`, needed for relative formats.

    Returns:
        The boxes (a dict by level when `anchors` is a dict).

    Example:

    >>> import numpy as np
    >>> import layerax as lx
    >>> a = np.array([[0., 0., 10., 10.]])
    >>> lx.utils.bounding_boxes.decode_deltas_to_boxes(a, np.zeros((1, 4)), "xyxy", "xyxy")
    Array([[ 0.,  0., 10., 10.]], dtype=float32)
    """
    variance = _check_variance(variance, "decode_deltas_to_boxes")
    if encoded_format not in _ENCODINGS:
        raise ValueError("decode_deltas_to_boxes: `encoded_format` must be 'center_xywh' or "
                         f"'center_yxhw'. Received: encoded_format={encoded_format!r}.")
    height, width = _image_hw(image_shape)

    def decode(anchor: Any, delta: Any) -> Any:
        anchor = convert_format(anchor, anchor_format, encoded_format, height, width)
        delta = jnp.asarray(delta)
        if variance is not None:
            delta = delta * variance
        box = jnp.concatenate([delta[..., :2] * anchor[..., 2:] + anchor[..., :2],
                               jnp.exp(delta[..., 2:]) * anchor[..., 2:]], axis=-1)
        return convert_format(box, encoded_format, box_format, height, width)

    if isinstance(anchors, dict) and isinstance(boxes_delta, dict):
        return {level: decode(anchor, boxes_delta[level]) for level, anchor in anchors.items()}
    return decode(anchors, boxes_delta)


def _absolute(boxes: Any, bounding_box_format: str, image_shape: Any, target: str,
              name: str) -> Any:
    if "rel" in bounding_box_format and image_shape is None:
        raise ValueError(f"{name}: relative bounding box formats (e.g. 'rel_yxyx') need the "
                         f"`image_shape` argument. Received: image_shape={image_shape}.")
    height, width = _image_hw(image_shape)
    return convert_format(boxes, bounding_box_format, target, height, width)


def compute_iou(boxes1: Any, boxes2: Any, bounding_box_format: str, use_masking: bool = False,
                mask_val: Any = -1, image_shape: Any = None) -> Any:
    """Pairwise intersection over union of two sets of boxes.

    Args:
        boxes1: Boxes `(M, 4)` or `(batch, M, 4)`.
        boxes2: Boxes `(N, 4)` or `(batch, N, 4)`.
        bounding_box_format: Format of both sets.
        use_masking: Whether boxes with all coordinates negative (padding) get
            `mask_val` instead of an IoU.
        mask_val: The value of masked pairs.
        image_shape: `(height, width, channels)`, needed for relative formats.

    Returns:
        The IoUs `(M, N)`, or `(batch, M, N)` when either input is batched.

    Example:

    >>> import numpy as np
    >>> import layerax as lx
    >>> b = np.array([[0., 0., 2., 2.]])
    >>> lx.utils.bounding_boxes.compute_iou(b, b + [1., 0., 1., 0.], "xyxy")
    Array([[0.33333334]], dtype=float32)
    """
    for name, boxes in (("boxes1", boxes1), ("boxes2", boxes2)):
        if jnp.ndim(boxes) not in (2, 3):
            raise ValueError(f"compute_iou: expected `{name}` of rank 2 (N, 4) or 3 (batch, N, 4)."
                             f" Received shape {jnp.shape(boxes)}.")
    boxes1 = _absolute(boxes1, bounding_box_format, image_shape, "yxyx", "compute_iou")
    boxes2 = _absolute(boxes2, bounding_box_format, image_shape, "yxyx", "compute_iou")
    b1, b2 = boxes1[..., :, None, :], boxes2[..., None, :, :]
    inter_h = jnp.maximum(jnp.minimum(b1[..., 2], b2[..., 2]) - jnp.maximum(b1[..., 0], b2[..., 0]),
                          0)
    inter_w = jnp.maximum(jnp.minimum(b1[..., 3], b2[..., 3]) - jnp.maximum(b1[..., 1], b2[..., 1]),
                          0)
    inter = inter_h * inter_w
    area1 = (boxes1[..., 2] - boxes1[..., 0]) * (boxes1[..., 3] - boxes1[..., 1])
    area2 = (boxes2[..., 2] - boxes2[..., 0]) * (boxes2[..., 3] - boxes2[..., 1])
    iou = inter / (area1[..., :, None] + area2[..., None, :] - inter + epsilon())
    if not use_masking:
        return iou
    background = (boxes1.max(-1) < 0)[..., :, None] | (boxes2.max(-1) < 0)[..., None, :]
    return jnp.where(background, jnp.asarray(mask_val, iou.dtype), iou)


def compute_ciou(boxes1: Any, boxes2: Any, bounding_box_format: str,
                 image_shape: Any = None) -> Any:
    """Complete IoU of paired boxes: IoU minus centre-distance and aspect-ratio penalties.

    Args:
        boxes1: Boxes `(..., 4)`.
        boxes2: Boxes `(..., 4)`, broadcastable against `boxes1`.
        bounding_box_format: Format of both sets.
        image_shape: `(height, width, channels)`, needed for relative formats.

    Returns:
        The CIoU of each pair, shape `(...)`.

    Example:

    >>> import numpy as np
    >>> import layerax as lx
    >>> b = np.array([[0., 0., 2., 2.]])
    >>> float(lx.utils.bounding_boxes.compute_ciou(b, b, "xyxy")[0]) > 0.99
    True
    """
    boxes1 = _absolute(boxes1, bounding_box_format, image_shape, "xyxy", "compute_ciou")
    boxes2 = _absolute(boxes2, bounding_box_format, image_shape, "xyxy", "compute_ciou")
    eps = epsilon()
    x11, y11, x12, y12 = (boxes1[..., i] for i in range(4))
    x21, y21, x22, y22 = (boxes2[..., i] for i in range(4))
    w1, h1 = x12 - x11, y12 - y11 + eps
    w2, h2 = x22 - x21, y22 - y21 + eps
    inter = (jnp.maximum(jnp.minimum(x12, x22) - jnp.maximum(x11, x21), 0)
             * jnp.maximum(jnp.minimum(y12, y22) - jnp.maximum(y11, y21), 0))
    union = w1 * h1 + w2 * h2 - inter + eps
    iou = inter / (union + eps)
    diagonal = ((jnp.maximum(x12, x22) - jnp.minimum(x11, x21)) ** 2
                + (jnp.maximum(y12, y22) - jnp.minimum(y11, y21)) ** 2 + eps)
    centres = ((x11 + x12) / 2 - (x21 + x22) / 2) ** 2 + ((y11 + y12) / 2 - (y21 + y22) / 2) ** 2
    v = (4 / math.pi**2) * (jnp.arctan(w2 / h2) - jnp.arctan(w1 / h1)) ** 2
    alpha = v / (v - iou + (1 + eps))
    return iou - (centres / diagonal + v * alpha)
