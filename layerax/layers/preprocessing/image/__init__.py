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
from layerax.layers.preprocessing.image.clahe import ContrastLimitedAdaptiveHistogramEqualization
from layerax.layers.preprocessing.image.flip import RandomFlip
from layerax.layers.preprocessing.image.max_boxes import MaxNumBoundingBoxes
from layerax.layers.preprocessing.image.rescaling import Rescaling
from layerax.layers.preprocessing.image.resizing import CenterCrop, RandomCrop, Resizing
from layerax.layers.preprocessing.image.warp import RandomElasticTransform, RandomPerspective
from layerax.layers.preprocessing.image.color import (
    RandomBrightness,
    RandomColorDegeneration,
    RandomColorJitter,
    RandomContrast,
    RandomGrayscale,
    RandomHue,
    RandomInvert,
    RandomSaturation,
)
from layerax.layers.preprocessing.image.mixing import CutMix, MixUp, RandomErasing
from layerax.layers.preprocessing.image.policies import AugMix, RandAugment
from layerax.layers.preprocessing.image.tone import (
    AutoContrast,
    Equalization,
    RandomGaussianBlur,
    RandomPosterization,
    RandomSharpness,
    Solarization,
)

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
    # colour and mixing layers
    "AugMix", "AutoContrast", "CutMix", "RandAugment", "Equalization", "MixUp", "RandomBrightness",
    "RandomColorDegeneration", "RandomColorJitter", "RandomContrast", "RandomErasing",
    "RandomGaussianBlur", "RandomGrayscale", "RandomHue", "RandomInvert",
    "RandomPosterization", "RandomSaturation", "RandomSharpness", "Solarization",
    "ContrastLimitedAdaptiveHistogramEqualization",
]
