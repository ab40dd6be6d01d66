"""`draw_bounding_boxes` and `draw_segmentation_masks`: annotate a batch of images (numpy)."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["draw_bounding_boxes", "draw_segmentation_masks"]

_FORMATS = ("xyxy", "yxyx", "xywh", "center_xywh", "center_yxhw")


def _data_format(data_format: str | None) -> str:
    from layerax.config import image_data_format

    data_format = data_format or image_data_format()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(
            "`data_format` must be 'channels_last' or 'channels_first'. Received: "
            f"data_format={data_format!r}"
        )
    return data_format


def _check_images(images: Any, owner: str) -> np.ndarray:
    images = np.asarray(images)
    if images.ndim != 4:
        raise ValueError(
            f"{owner}(): `images` must be a batched 4D array (batch, height, width, channels). "
            f"Received: images.shape={images.shape}"
        )
    return images


def boxes_to_xyxy(boxes: Any, bounding_box_format: str, height: int, width: int) -> np.ndarray:
    """Boxes of any Keras box format as absolute `[left, top, right, bottom]` (float32)."""
    fmt = bounding_box_format.lower()
    relative = fmt.startswith("rel_")
    base = fmt[4:] if relative else fmt
    if base not in _FORMATS:
        raise ValueError(
            f"Unknown `bounding_box_format`: {bounding_box_format!r}. Expected one of "
            f"{list(_FORMATS)} or their 'rel_' variants."
        )
    b = np.asarray(boxes, np.float32)
    a0, a1, a2, a3 = (b[..., i] for i in range(4))
    if base == "xyxy":
        x1, y1, x2, y2 = a0, a1, a2, a3
    elif base == "yxyx":
        y1, x1, y2, x2 = a0, a1, a2, a3
    elif base == "xywh":
        x1, y1, x2, y2 = a0, a1, a0 + a2, a1 + a3
    elif base == "center_xywh":
        x1, y1, x2, y2 = a0 - a2 / 2, a1 - a3 / 2, a0 + a2 / 2, a1 + a3 / 2
    else:  # center_yxhw
        y1, x1, y2, x2 = a0 - a2 / 2, a1 - a3 / 2, a0 + a2 / 2, a1 + a3 / 2
    if relative:
        x1, x2 = x1 * width, x2 * width
        y1, y2 = y1 * height, y2 * height
    return np.stack([x1, y1, x2, y2], axis=-1).astype(np.float32)


def _to_uint8(images: np.ndarray) -> np.ndarray:
    """Float images in [0, 1] are scaled to [0, 255]; others clipped; then uint8."""
    if images.dtype.kind == "f" and images.size:
        images = np.clip(images, 0, 1) * 255 if images.max() <= 1.0 else np.clip(images, 0, 255)
    return images.astype(np.uint8)


def _draw_rectangle(image: np.ndarray, x1: int, y1: int, x2: int, y2: int,
                    color: np.ndarray, thickness: int) -> None:
    """The outline of a box, a band of `thickness` pixels centred on each edge (in place)."""
    h, w = image.shape[:2]
    lo, hi = (thickness - 1) // 2, thickness // 2
    x1, x2 = sorted((x1, x2))
    y1, y2 = sorted((y1, y2))

    def fill(r0: int, r1: int, c0: int, c1: int) -> None:
        r0, r1, c0, c1 = max(r0, 0), min(r1, h - 1), max(c0, 0), min(c1, w - 1)
        if r0 <= r1 and c0 <= c1:
            image[r0:r1 + 1, c0:c1 + 1] = color

    fill(y1 - lo, y1 + hi, x1 - lo, x2 + hi)  # top
    fill(y2 - lo, y2 + hi, x1 - lo, x2 + hi)  # bottom
    fill(y1 - lo, y2 + hi, x1 - lo, x1 + hi)  # left
    fill(y1 - lo, y2 + hi, x2 - lo, x2 + hi)  # right


def _text_origin(x: int, y: int, font_scale: float, thickness: int) -> tuple[int, int]:
    """Where a label's baseline starts: above the box, or inside it near the image top."""
    font_height = int(font_scale * 12)
    if y - 8 - 2 * font_height > 0:
        return x, y - 8
    return x + 3, y + 2 * font_height + thickness + 3


def _draw_text(image: np.ndarray, text: str, origin: tuple[int, int], color: tuple[int, ...],
               font_scale: float) -> None:
    """Draws `text` with Pillow's default font, its baseline at `origin` (in place)."""
    try:
        from PIL import Image, ImageDraw, ImageFont
    except ImportError as err:
        raise ImportError(
            "draw_bounding_boxes() draws class labels with Pillow, an optional dependency of "
            "layerax. Install it with `pip install layerax[image]` (or `pip install Pillow`), "
            "or pass no `class_mapping`."
        ) from err
    canvas = Image.fromarray(image)
    draw = ImageDraw.Draw(canvas)
    try:
        font = ImageFont.load_default(size=max(6, int(round(20 * font_scale))))
    except TypeError:  # Pillow < 10.1 has one fixed-size default font
        font = ImageFont.load_default()
    draw.text(origin, text, fill=tuple(int(c) for c in color), font=font, anchor="ls")
    image[...] = np.asarray(canvas)


def draw_bounding_boxes(
    images: Any,
    bounding_boxes: dict[str, Any],
    bounding_box_format: str,
    class_mapping: dict[int, str] | None = None,
    color: tuple[int, int, int] = (128, 128, 128),
    line_thickness: int = 2,
    text_thickness: int = 1,
    font_scale: float = 1.0,
    data_format: str | None = None,
) -> np.ndarray:
    """Draws bounding boxes (and optionally their class labels) on a batch of images.

    Images are converted to uint8 first (floats in `[0, 1]` are scaled to
    `[0, 255]`, others clipped). Boxes with label `-1` are skipped. Each box's
    outline is a band of `line_thickness` pixels centred on its edges; when a
    box's label is in `class_mapping`, the class name (with its confidence,
    if `"confidences"` is given) is written above it with Pillow's default
    font (Keras uses OpenCV's; the text pixels differ).

    Args:
        images: A batch of images, `(batch, height, width, channels)` (channels
            last; see `data_format`).
        bounding_boxes: A dict with `"boxes"` `(batch, num_boxes, 4)`,
            `"labels"` `(batch, num_boxes)` and optionally `"confidences"`.
        bounding_box_format: `"xyxy"`, `"yxyx"`, `"xywh"`, `"center_xywh"`,
            `"center_yxhw"` or their `"rel_"` (relative) variants.
        class_mapping: Class id -> name, for the labels drawn.
        color: RGB color of the boxes and labels.
        line_thickness: Thickness of the box outlines, in pixels.
        text_thickness: Thickness of the labels (a falsy value uses
            `line_thickness`); shifts the label below the top edge.
        font_scale: Scale of the label font.
        data_format: `"channels_last"` or `"channels_first"` (the layout of
            the height and width axes); defaults to `lx.config.image_data_format()`.

    Returns:
        A uint8 numpy array of the annotated images, of the shape of `images`.

    Example:
        >>> import layerax as lx, numpy as np
        >>> images = np.zeros((1, 8, 8, 3), "uint8")
        >>> boxes = {"boxes": np.array([[[1, 1, 5, 5]]]), "labels": np.array([[0]])}
        >>> out = lx.visualization.draw_bounding_boxes(images, boxes, "xyxy", color=(255, 0, 0),
        ...                                            line_thickness=1)
        >>> out[0, 1, 1:6, 0].tolist(), int(out[0, 3, 3, 0])
        ([255, 255, 255, 255, 255], 0)
    """
    data_format = _data_format(data_format)
    images = _check_images(images, "draw_bounding_boxes")
    if not isinstance(bounding_boxes, dict):
        raise TypeError(
            "draw_bounding_boxes(): `bounding_boxes` must be a dict with 'boxes' and 'labels'. "
            f"Received: {type(bounding_boxes).__name__}"
        )
    if "boxes" not in bounding_boxes or "labels" not in bounding_boxes:
        raise ValueError(
            "draw_bounding_boxes(): `bounding_boxes` must contain the keys 'boxes' and "
            f"'labels'. Received keys: {sorted(bounding_boxes)}"
        )
    class_mapping = class_mapping or {}
    text_thickness = text_thickness or line_thickness
    h_axis, w_axis = (1, 2) if data_format == "channels_last" else (2, 3)
    height, width = images.shape[h_axis], images.shape[w_axis]
    boxes = boxes_to_xyxy(bounding_boxes["boxes"], bounding_box_format, height, width)
    labels = np.asarray(bounding_boxes["labels"])
    confidences = bounding_boxes.get("confidences")
    confidences = None if confidences is None else np.asarray(confidences)
    images = _to_uint8(images.copy())
    fill = np.asarray(color, np.uint8)
    for i in range(images.shape[0]):
        image = images[i]
        for j in range(boxes.shape[1]):
            label = int(labels[i, j])
            if label == -1:
                continue
            x1, y1, x2, y2 = (int(v) for v in boxes[i, j].astype(np.int32))
            _draw_rectangle(image, x1, y1, x2, y2, fill, line_thickness)
            if label in class_mapping:
                text = class_mapping[label]
                if confidences is not None:
                    text = f"{text} | {confidences[i, j]:.2f}"
                _draw_text(image, text, _text_origin(x1, y1, font_scale, text_thickness),
                           color, font_scale)
    return images


def _palette(num_classes: int) -> list[list[int]]:
    """Keras' default class colors: class i gets `(i * [2**25-1, 2**15-1, 2**21-1]) % 255`."""
    base = np.array([2**25 - 1, 2**15 - 1, 2**21 - 1])
    return [((i * base) % 255).tolist() for i in range(num_classes)]


def draw_segmentation_masks(
    images: Any,
    segmentation_masks: Any,
    num_classes: int | None = None,
    color_mapping: dict[int, Any] | None = None,
    alpha: float = 0.8,
    blend: bool = True,
    ignore_index: int = -1,
    data_format: str | None = None,
) -> np.ndarray:
    """Overlays segmentation masks, one color per class, on a batch of images.

    Pixels of class `c` (for `c < num_classes`) take the color of `c`; with
    `blend`, the result is `images * (1 - alpha) + colored * alpha` where the
    mask is not `ignore_index` (the image elsewhere), as uint8. As in Keras,
    class 0 is colored too (black in the default palette) unless it is the
    `ignore_index`, and without `blend` the colored float32 images are returned.

    Args:
        images: A batch of images, `(batch, height, width, channels)`.
        segmentation_masks: Integer masks, `(batch, height, width, 1)`.
        num_classes: The number of classes (default: the largest mask value).
        color_mapping: Class index -> RGB color, for classes `0..num_classes-1`
            (default: Keras' palette).
        alpha: Opacity of the masks, in `[0, 1]`.
        blend: Blend the colors with the images (else paint them over).
        ignore_index: Mask value left undrawn.
        data_format: `"channels_last"` or `"channels_first"`.

    Returns:
        A numpy array of the images with the masks drawn (uint8 with `blend`).

    Raises:
        TypeError: when the masks are not integers.

    Example:
        >>> import layerax as lx, numpy as np
        >>> images = np.full((1, 2, 2, 3), 100, "uint8")
        >>> masks = np.array([[[[1], [2]], [[2], [2]]]])
        >>> out = lx.visualization.draw_segmentation_masks(
        ...     images, masks, num_classes=3, color_mapping={0: (0, 0, 0), 1: (255, 0, 0),
        ...     2: (0, 0, 255)}, alpha=0.5)
        >>> out[0, 0, 0].tolist(), out[0, 0, 1].tolist()
        ([177, 50, 50], [50, 50, 177])
    """
    data_format = _data_format(data_format)
    images = _check_images(images, "draw_segmentation_masks")
    masks = np.asarray(segmentation_masks)
    if data_format == "channels_first":
        images = np.transpose(images, (0, 2, 3, 1))
        masks = np.transpose(masks, (0, 2, 3, 1))
    if masks.dtype.kind not in "iu":
        raise TypeError(
            "draw_segmentation_masks(): `segmentation_masks` must have an integer dtype. "
            f"Received: segmentation_masks.dtype={masks.dtype}. Cast them, e.g. "
            "`masks.astype('int32')`."
        )
    if masks.ndim != 4 or masks.shape[-1] != 1:
        raise ValueError(
            "draw_segmentation_masks(): `segmentation_masks` must have the shape "
            f"(batch, height, width, 1). Received: segmentation_masks.shape={masks.shape}"
        )
    images = images.astype(np.float32)
    masks = masks[..., 0]
    if num_classes is None:
        num_classes = int(masks.max())
    if color_mapping is None:
        colors = _palette(num_classes)
    else:
        colors = [color_mapping[c] for c in range(num_classes)]
    colored = images.copy()
    for c, color in enumerate(colors):
        colored[masks == c] = np.asarray(color, np.float32)
    if not blend:
        return colored
    mixed = images * (1 - alpha) + colored * alpha
    drawn = np.where((masks != ignore_index)[..., None], mixed, images)
    return drawn.astype(np.uint8)
