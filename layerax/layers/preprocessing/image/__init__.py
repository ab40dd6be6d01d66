"""Preprocessing layers: the image family (see `layerax.layers.preprocessing`).

`base.BaseImagePreprocessingLayer` is the protocol the image layers share
(random transformation, then per-input transforms of images, labels, bounding
boxes and segmentation masks).
"""

from __future__ import annotations

from layerax.layers.preprocessing.image.affine import (
    RandomRotation,
    RandomShear,
    RandomTranslation,
    RandomZoom,
)
from layerax.layers.preprocessing.image.flip import RandomFlip
from layerax.layers.preprocessing.image.max_boxes import MaxNumBoundingBoxes
from layerax.layers.preprocessing.image.rescaling import Rescaling
from layerax.layers.preprocessing.image.resizing import CenterCrop, RandomCrop, Resizing
from layerax.layers.preprocessing.image.warp import RandomElasticTransform, RandomPerspective

__all__: list[str] = [
    "Rescaling",
    "Resizing",
    "CenterCrop",
    "RandomCrop",
    "RandomFlip",
    "RandomRotation",
    "RandomZoom",
    "RandomTranslation",
    "RandomShear",
    "RandomPerspective",
    "RandomElasticTransform",
    "MaxNumBoundingBoxes",
]
