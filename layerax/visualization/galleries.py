"""`plot_image_gallery` and the box/mask galleries built on it (need matplotlib)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from layerax.visualization.drawing import (
    _check_images,
    _data_format,
    draw_bounding_boxes,
    draw_segmentation_masks,
)

__all__ = ["plot_bounding_box_gallery", "plot_image_gallery", "plot_segmentation_mask_gallery"]


def _pyplot(owner: str) -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError as err:
        raise ImportError(
            f"{owner}() needs matplotlib, an optional dependency of layerax. Install it with "
            "`pip install layerax[plot]` (or `pip install matplotlib`)."
        ) from err
    return plt


def _to_0_255(images: np.ndarray, value_range: tuple[float, float]) -> np.ndarray:
    low, high = value_range
    if (low, high) == (0, 255):
        return images
    images = images.astype(np.float32)
    return (images - np.float32(low)) / (np.float32(high) - np.float32(low)) * np.float32(255)


def plot_image_gallery(
    images: Any,
    y_true: Any = None,
    y_pred: Any = None,
    label_map: dict[Any, str] | None = None,
    rows: int | None = None,
    cols: int | None = None,
    value_range: tuple[float, float] = (0, 255),
    scale: float = 2,
    path: str | None = None,
    show: bool | None = None,
    transparent: bool = True,
    dpi: int = 60,
    legend_handles: list[Any] | None = None,
    data_format: str | None = None,
) -> None:
    """Plots a grid of images, optionally titled with their true/predicted labels.

    The grid has `rows` x `cols` cells (by default `ceil(sqrt(batch))` rows
    and `batch // rows` columns); images are mapped from `value_range` to
    `[0, 255]`. The figure is saved to `path`, or shown.

    Args:
        images: A batch of images, `(batch, height, width, channels)`.
        y_true: Class indices of the images (titles "Label: ...").
        y_pred: Predicted class indices (titles "Pred: ...").
        label_map: Class index -> name; required with `y_true`/`y_pred`.
        rows: Rows of the grid.
        cols: Columns of the grid.
        value_range: The images' value range, e.g. `(0, 1)` or `(0, 255)`.
        scale: Size of each cell, in inches.
        path: File to save the figure to (then not shown).
        show: Show the figure with `plt.show()` (default: when no `path`).
        transparent: Save with a transparent background.
        dpi: Resolution of the saved figure.
        legend_handles: matplotlib patches for a legend below the grid.
        data_format: `"channels_last"` or `"channels_first"`.

    Raises:
        ImportError: when matplotlib is not installed.
        ValueError: for `path` with `show=True`, labels without `label_map`,
            or images that are not a 4D batch.

    Example:
        >>> import pathlib, tempfile, layerax as lx, numpy as np
        >>> path = str(pathlib.Path(tempfile.mkdtemp()) / "gallery.png")
        >>> images = np.random.default_rng(0).uniform(size=(4, 8, 8, 3))
        >>> lx.visualization.plot_image_gallery(images, value_range=(0, 1), path=path)
        >>> pathlib.Path(path).read_bytes()[:4] == b"\\x89PNG"
        True
    """
    plt = _pyplot("plot_image_gallery")
    if path is not None and show:
        raise ValueError(
            "plot_image_gallery(): pass either `path` (to save the figure) or `show=True`, "
            f"not both. Received: path={path!r}, show={show!r}"
        )
    if (y_true is not None or y_pred is not None) and label_map is None:
        raise ValueError(
            "plot_image_gallery(): `y_true`/`y_pred` need a `label_map` (class index -> name)."
        )
    show = path is None if show is None else show
    data_format = _data_format(data_format)
    images = _check_images(images, "plot_image_gallery")
    batch = images.shape[0]
    rows = rows or int(math.ceil(math.sqrt(batch)))
    cols = cols or int(math.ceil(batch // rows))
    images = images[: min(rows * cols, batch)]
    if data_format == "channels_first":
        images = np.transpose(images, (0, 2, 3, 1))
    fig, axes = plt.subplots(
        nrows=rows, ncols=cols, figsize=(cols * scale, rows * scale), frameon=False,
        layout="tight", squeeze=True, sharex="row", sharey="col",
    )
    fig.subplots_adjust(wspace=0, hspace=0)
    if isinstance(axes, np.ndarray) and axes.ndim == 1:
        axes = np.expand_dims(axes, 0 if rows == 1 else -1)
    if legend_handles is not None:
        fig.legend(handles=legend_handles, loc="lower center")
    images = _to_0_255(images, value_range)
    y_true = None if y_true is None else np.asarray(y_true)
    y_pred = None if y_pred is None else np.asarray(y_pred)
    for r in range(rows):
        for c in range(cols):
            index = r * cols + c
            axis = axes[r, c] if isinstance(axes, np.ndarray) else axes
            axis.imshow(images[index].astype("uint8"))
            axis.margins(x=0, y=0)
            axis.axis("off")
            title = []
            if y_true is not None and index < len(y_true):
                title.append(f"Label: {label_map.get(y_true[index], 'Unknown')}")
            if y_pred is not None and index < len(y_pred):
                title.append(f"Pred: {label_map.get(y_pred[index], 'Unknown')}")
            if title:
                axis.set_title("  ".join(title), fontsize=8)
    if path is not None:
        plt.savefig(fname=path, pad_inches=0, bbox_inches="tight", transparent=transparent,
                    dpi=dpi)
        plt.close()
    elif show:
        plt.show()
        plt.close()


def plot_bounding_box_gallery(
    images: Any,
    bounding_box_format: str,
    y_true: dict[str, Any] | None = None,
    y_pred: dict[str, Any] | None = None,
    value_range: tuple[float, float] = (0, 255),
    true_color: tuple[int, int, int] = (0, 188, 212),
    pred_color: tuple[int, int, int] = (255, 235, 59),
    line_thickness: int = 2,
    font_scale: float = 1.0,
    text_thickness: int | None = None,
    class_mapping: dict[int, str] | None = None,
    ground_truth_mapping: dict[int, str] | None = None,
    prediction_mapping: dict[int, str] | None = None,
    legend: bool = False,
    legend_handles: list[Any] | None = None,
    rows: int | None = None,
    cols: int | None = None,
    data_format: str | None = None,
    **kwargs: Any,
) -> None:
    """Plots a gallery of images with their true and/or predicted bounding boxes.

    The boxes are drawn with `draw_bounding_boxes` (true ones in
    `true_color`, then predicted ones in `pred_color`), then the images are
    plotted with `plot_image_gallery`.

    Args:
        images: A batch of images, `(batch, height, width, channels)`.
        bounding_box_format: The format of the boxes (see `draw_bounding_boxes`).
        y_true: Ground-truth boxes: `{"boxes", "labels"[, "confidences"]}`.
        y_pred: Predicted boxes, in the same form.
        value_range: The images' value range.
        true_color: RGB color of the true boxes.
        pred_color: RGB color of the predicted boxes.
        line_thickness: Thickness of the box outlines.
        font_scale: Scale of the label font.
        text_thickness: Thickness of the labels (default: `line_thickness`).
        class_mapping: Class id -> name, for both kinds of boxes.
        ground_truth_mapping: Class names of the true boxes (over `class_mapping`).
        prediction_mapping: Class names of the predicted boxes (over `class_mapping`).
        legend: Add a "Ground Truth"/"Prediction" legend.
        legend_handles: Your own legend patches (not with `legend=True`).
        rows: Rows of the grid.
        cols: Columns of the grid.
        data_format: `"channels_last"` or `"channels_first"`.
        **kwargs: Passed to `plot_image_gallery` (`path`, `show`, `scale`, ...).

    Example:
        >>> import pathlib, tempfile, layerax as lx, numpy as np
        >>> path = str(pathlib.Path(tempfile.mkdtemp()) / "boxes.png")
        >>> boxes = {"boxes": np.array([[[2, 2, 12, 12]]] * 2), "labels": np.zeros((2, 1))}
        >>> lx.visualization.plot_bounding_box_gallery(
        ...     np.zeros((2, 16, 16, 3)), "xyxy", y_true=boxes, legend=True, path=path)
        >>> pathlib.Path(path).exists()
        True
    """
    _pyplot("plot_bounding_box_gallery")
    from matplotlib import patches

    data_format = _data_format(data_format)
    images = _check_images(images, "plot_bounding_box_gallery")
    if data_format == "channels_first":
        images = np.transpose(images, (0, 2, 3, 1))
    drawn = images
    for boxes, color, mapping in (
        (y_true, true_color, ground_truth_mapping or class_mapping),
        (y_pred, pred_color, prediction_mapping or class_mapping),
    ):
        if boxes is not None:
            drawn = draw_bounding_boxes(
                drawn, boxes, bounding_box_format, class_mapping=mapping, color=color,
                line_thickness=line_thickness, text_thickness=text_thickness,
                font_scale=font_scale, data_format="channels_last",
            )
    if legend:
        if legend_handles:
            raise ValueError(
                "plot_bounding_box_gallery(): pass `legend=True` or `legend_handles`, not both."
            )
        legend_handles = [
            patches.Patch(color=np.array(true_color) / 255.0, label="Ground Truth"),
            patches.Patch(color=np.array(pred_color) / 255.0, label="Prediction"),
        ]
    plot_image_gallery(drawn, value_range=value_range, legend_handles=legend_handles,
                       rows=rows, cols=cols, **kwargs)


def plot_segmentation_mask_gallery(
    images: Any,
    num_classes: int,
    value_range: tuple[float, float] = (0, 255),
    y_true: Any = None,
    y_pred: Any = None,
    color_mapping: dict[int, Any] | None = None,
    blend: bool = True,
    alpha: float = 0.8,
    ignore_index: int = -1,
    data_format: str | None = None,
    **kwargs: Any,
) -> None:
    """Plots each image next to its true and/or predicted segmentation masks.

    Row `i` holds image `i`, then (if given) its true masks, then its
    predicted masks, drawn with `draw_segmentation_masks`.

    Args:
        images: A batch of images, `(batch, height, width, channels)`.
        num_classes: The number of classes.
        value_range: The images' value range.
        y_true: True masks, `(batch, height, width, 1)`.
        y_pred: Predicted masks, same shape.
        color_mapping: Class index -> RGB color (default: Keras' palette).
        blend: Blend the masks with the images.
        alpha: Opacity of the masks.
        ignore_index: Mask value left undrawn.
        data_format: `"channels_last"` or `"channels_first"`.
        **kwargs: Passed to `plot_image_gallery` (`path`, `show`, `scale`, ...).

    Example:
        >>> import pathlib, tempfile, layerax as lx, numpy as np
        >>> path = str(pathlib.Path(tempfile.mkdtemp()) / "masks.png")
        >>> masks = np.random.default_rng(0).integers(0, 3, size=(2, 8, 8, 1))
        >>> lx.visualization.plot_segmentation_mask_gallery(
        ...     np.zeros((2, 8, 8, 3)), num_classes=3, y_true=masks, path=path)
        >>> pathlib.Path(path).exists()
        True
    """
    _pyplot("plot_segmentation_mask_gallery")
    data_format = _data_format(data_format)
    images = _check_images(images, "plot_segmentation_mask_gallery")
    if data_format == "channels_first":
        images = np.transpose(images, (0, 2, 3, 1))
    drawn = []
    for masks in (y_true, y_pred):
        if masks is not None:
            masks = np.asarray(masks)
            if data_format == "channels_first":
                masks = np.transpose(masks, (0, 2, 3, 1))
            drawn.append(draw_segmentation_masks(
                images, masks.astype(np.int32), num_classes=num_classes,
                color_mapping=color_mapping, alpha=alpha, blend=blend,
                ignore_index=ignore_index, data_format="channels_last",
            ))
    gallery = []
    for i in range(images.shape[0]):
        gallery.append(images[i])
        gallery.extend(d[i] for d in drawn)
    plot_image_gallery(np.stack(gallery), value_range=value_range, rows=images.shape[0],
                       cols=1 + len(drawn), **kwargs)
