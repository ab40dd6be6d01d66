"""The data utilities and dataset loaders take Keras 3.15's arguments, in Keras' order,
with Keras' defaults (the layerax functions may add `**kwargs` for `PyDataset` options)."""

from __future__ import annotations

import importlib
import inspect

import pytest

import layerax as lx
from tests.helpers import keras

UTILS = ["image_dataset_from_directory", "text_dataset_from_directory", "audio_dataset_from_directory",
         "timeseries_dataset_from_array"]
LOADERS = [("mnist", "load_data"), ("fashion_mnist", "load_data"), ("cifar10", "load_data"),
           ("cifar100", "load_data"), ("imdb", "load_data"), ("imdb", "get_word_index"), ("reuters", "load_data"),
           ("reuters", "get_word_index"), ("reuters", "get_label_names"), ("boston_housing", "load_data"),
           ("california_housing", "load_data")]


def _params(function):
    return [(p.name, p.default) for p in inspect.signature(function).parameters.values()
            if p.kind is not inspect.Parameter.VAR_KEYWORD]


@pytest.mark.parametrize("name", UTILS)
def test_utils_signatures(name):
    assert _params(getattr(lx.utils, name)) == _params(getattr(keras().utils, name))


@pytest.mark.parametrize("module,name", LOADERS)
def test_loader_signatures(module, name):
    keras()
    theirs = getattr(importlib.import_module(f"keras.src.datasets.{module}"), name)
    assert _params(getattr(getattr(lx.datasets, module), name)) == _params(theirs)
