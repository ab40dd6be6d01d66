"""Keras' `keras.preprocessing` namespace (`lx.preprocessing`).

The same functions as `lx.utils` offers, under the names older Keras programs
import: `lx.preprocessing.image`, `lx.preprocessing.sequence` and the dataset
builders.
"""

from __future__ import annotations

from layerax.preprocessing import image as image
from layerax.preprocessing import sequence as sequence
from layerax.utils.image_dataset import image_dataset_from_directory as image_dataset_from_directory
from layerax.utils.text_dataset import text_dataset_from_directory as text_dataset_from_directory
from layerax.utils.timeseries_dataset import (
    timeseries_dataset_from_array as timeseries_dataset_from_array,
)

__all__ = [
    "image",
    "image_dataset_from_directory",
    "sequence",
    "text_dataset_from_directory",
    "timeseries_dataset_from_array",
]
