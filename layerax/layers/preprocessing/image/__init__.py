"""Preprocessing layers: the image family (see `layerax.layers.preprocessing`)."""

from __future__ import annotations

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
from layerax.layers.preprocessing.image.tone import (
    AutoContrast,
    Equalization,
    RandomGaussianBlur,
    RandomPosterization,
    RandomSharpness,
    Solarization,
)

__all__: list[str] = [
    # colour and mixing layers
    "AutoContrast", "CutMix", "Equalization", "MixUp", "RandomBrightness",
    "RandomColorDegeneration", "RandomColorJitter", "RandomContrast", "RandomErasing",
    "RandomGaussianBlur", "RandomGrayscale", "RandomHue", "RandomInvert",
    "RandomPosterization", "RandomSaturation", "RandomSharpness", "Solarization",
]
