"""Utilities (`lx.utils`)."""

from __future__ import annotations

from layerax.backend import clear_session as clear_session
from layerax.backend import is_keras_tensor as is_keras_tensor
from layerax.backend_dtypes import standardize_dtype as standardize_dtype
from layerax.core.random import set_random_seed as set_random_seed
from layerax.runtime_config import disable_interactive_logging as disable_interactive_logging
from layerax.runtime_config import enable_interactive_logging as enable_interactive_logging
from layerax.runtime_config import is_interactive_logging_enabled as is_interactive_logging_enabled
from layerax.saving import CustomObjectScope as CustomObjectScope
from layerax.saving import custom_object_scope as custom_object_scope
from layerax.saving import deserialize_keras_object as deserialize_keras_object
from layerax.saving import get_custom_objects as get_custom_objects
from layerax.saving import get_registered_name as get_registered_name
from layerax.saving import get_registered_object as get_registered_object
from layerax.saving import register_keras_serializable as register_keras_serializable
from layerax.saving import serialize_keras_object as serialize_keras_object
from layerax.utils import bounding_boxes as bounding_boxes
from layerax.utils import legacy as legacy
from layerax.utils.config_dict import Config as Config
from layerax.utils.data_utils import get_source_inputs as get_source_inputs
from layerax.utils.data_utils import pack_x_y_sample_weight as pack_x_y_sample_weight
from layerax.utils.data_utils import split_dataset as split_dataset
from layerax.utils.data_utils import unpack_x_y_sample_weight as unpack_x_y_sample_weight
from layerax.utils.audio_dataset import audio_dataset_from_directory as audio_dataset_from_directory
from layerax.utils.feature_space import FeatureSpace as FeatureSpace
from layerax.utils.file_dataset import FileDataset as FileDataset
from layerax.utils.file_utils import get_file as get_file
from layerax.utils.image_dataset import image_dataset_from_directory as image_dataset_from_directory
from layerax.utils.image_utils import array_to_img as array_to_img
from layerax.utils.image_utils import img_to_array as img_to_array
from layerax.utils.image_utils import load_img as load_img
from layerax.utils.image_utils import save_img as save_img
from layerax.utils.model_to_dot import model_to_dot as model_to_dot
from layerax.utils.model_visualization import plot_model as plot_model
from layerax.utils.numerical_utils import normalize as normalize
from layerax.utils.numerical_utils import to_categorical as to_categorical
from layerax.utils.plotting import plot_history as plot_history
from layerax.utils.progbar import Progbar as Progbar
from layerax.trainers.py_dataset import PyDataset as PyDataset
from layerax.trainers.py_dataset import PyDatasetIterator as PyDatasetIterator
from layerax.utils.sequence_utils import pad_sequences as pad_sequences
from layerax.utils.text_dataset import text_dataset_from_directory as text_dataset_from_directory
from layerax.utils.timeseries_dataset import TimeseriesDataset as TimeseriesDataset
from layerax.utils.timeseries_dataset import timeseries_dataset_from_array as timeseries_dataset_from_array

# Keras' older name of PyDataset.
Sequence = PyDataset

__all__ = [
    "Config",
    "bounding_boxes",
    "legacy",
    "FeatureSpace",
    "FileDataset",
    "TimeseriesDataset",
    "audio_dataset_from_directory",
    "image_dataset_from_directory",
    "text_dataset_from_directory",
    "timeseries_dataset_from_array",
    "CustomObjectScope",
    "Progbar",
    "PyDataset",
    "PyDatasetIterator",
    "Sequence",
    "array_to_img",
    "clear_session",
    "custom_object_scope",
    "deserialize_keras_object",
    "disable_interactive_logging",
    "enable_interactive_logging",
    "get_custom_objects",
    "get_file",
    "get_registered_name",
    "get_registered_object",
    "get_source_inputs",
    "img_to_array",
    "is_interactive_logging_enabled",
    "is_keras_tensor",
    "load_img",
    "pack_x_y_sample_weight",
    "register_keras_serializable",
    "save_img",
    "serialize_keras_object",
    "split_dataset",
    "standardize_dtype",
    "unpack_x_y_sample_weight",
    "normalize",
    "pad_sequences",
    "model_to_dot",
    "plot_model",
    "plot_history",
    "set_random_seed",
    "to_categorical",
    "pack_x_y_sample_weight",
    "unpack_x_y_sample_weight",
]
