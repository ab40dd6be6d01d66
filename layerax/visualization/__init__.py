"""Visualization (`lx.visualization`): draw boxes and masks on images, plot image galleries.

The drawing functions are numpy only; the `plot_*` galleries need matplotlib
(`pip install layerax[plot]`).
"""

from __future__ import annotations

from layerax.visualization.drawing import draw_bounding_boxes as draw_bounding_boxes
from layerax.visualization.drawing import draw_segmentation_masks as draw_segmentation_masks
from layerax.visualization.galleries import plot_bounding_box_gallery as plot_bounding_box_gallery
from layerax.visualization.galleries import plot_image_gallery as plot_image_gallery
from layerax.visualization.galleries import (
    plot_segmentation_mask_gallery as plot_segmentation_mask_gallery,
)

__all__ = [
    "draw_bounding_boxes",
    "draw_segmentation_masks",
    "plot_bounding_box_gallery",
    "plot_image_gallery",
    "plot_segmentation_mask_gallery",
]
