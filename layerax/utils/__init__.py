"""Utilities (`lx.utils`)."""

from __future__ import annotations

from layerax.core.random import set_random_seed as set_random_seed
from layerax.utils.data_utils import pack_x_y_sample_weight as pack_x_y_sample_weight
from layerax.utils.data_utils import unpack_x_y_sample_weight as unpack_x_y_sample_weight
from layerax.utils.model_visualization import plot_model as plot_model
from layerax.utils.numerical_utils import normalize as normalize
from layerax.utils.numerical_utils import to_categorical as to_categorical
from layerax.utils.plotting import plot_history as plot_history
from layerax.utils.progbar import Progbar as Progbar
from layerax.utils.py_dataset import PyDataset as PyDataset
from layerax.utils.py_dataset import PyDatasetIterator as PyDatasetIterator
from layerax.utils.sequence_utils import pad_sequences as pad_sequences

# Keras' older name of PyDataset.
Sequence = PyDataset

__all__ = [
    "Progbar",
    "PyDataset",
    "PyDatasetIterator",
    "Sequence",
    "normalize",
    "pad_sequences",
    "plot_model",
    "plot_history",
    "set_random_seed",
    "to_categorical",
    "pack_x_y_sample_weight",
    "unpack_x_y_sample_weight",
]
