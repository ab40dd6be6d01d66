"""Resolving an application's `weights=` argument: None, "imagenet" or a file path.

How a family module uses this (the contract `lx.applications` families share):

1. Declare the published files, as paths under `STORAGE_ROOT` with Keras' hashes::

       _FILES = {
           "resnet50": (
               WeightsFile("tensorflow/keras-applications/resnet/"
                           "resnet50_weights_tf_dim_ordering_tf_kernels.h5", "2cb95161..."),
               WeightsFile("tensorflow/keras-applications/resnet/"
                           "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5", "4d473c1d..."),
           ),
       }

2. Before building, check the arguments:
   `check_weights_argument(weights, include_top, classes, "ResNet50")`.
3. After building the `Model`, load:
   `load_application_weights(model, weights, include_top=include_top, top=..., no_top=...)`.
   `weights=None` does nothing, "imagenet" downloads (once, into `~/.keras/models`)
   through `lx.utils.get_file` with the file's hash and loads it, and a path loads a
   local file: Keras 2's legacy `.h5` (the format of the published files, matched
   layer by layer in order, as Keras does) or any file `Model.load_weights` reads
   (`.weights.h5`, `.weights.npz`, `.safetensors`, `.keras`).

Tests point `STORAGE_ROOT` at a `file://` folder to exercise the download path.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np

STORAGE_ROOT = "https://storage.googleapis.com/"
"""Where Keras' application weights are published; each `WeightsFile.path` is relative to it."""

_LEGACY_SUFFIXES = (".h5", ".hdf5")


@dataclass(frozen=True)
class WeightsFile:
    """One published weights file: its path under `STORAGE_ROOT` and its hash (md5 or sha256)."""

    path: str
    file_hash: str | None

    @property
    def fname(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    @property
    def origin(self) -> str:
        return STORAGE_ROOT + self.path


def check_weights_argument(weights: Any, include_top: bool, classes: int, name: str) -> None:
    """Raises the error Keras raises for a bad `weights` / `classes` combination.

    Args:
        weights: None, "imagenet" or a path to an existing file.
        include_top: The model's `include_top`.
        classes: The model's `classes`.
        name: The application's name, for the message.
    """
    if not (weights in (None, "imagenet") or (isinstance(weights, (str, os.PathLike)) and os.path.exists(weights))):
        raise ValueError(
            f"{name}: the `weights` argument should be either `None` (random initialization), "
            "'imagenet' (pre-training on ImageNet), or the path to the weights file to be "
            f"loaded. Received: weights={weights!r}"
        )
    if weights == "imagenet" and include_top and classes != 1000:
        raise ValueError(
            f"{name}: if using `weights='imagenet'` with `include_top=True`, `classes` should "
            f"be 1000. Received: classes={classes}"
        )


def fetch(file: WeightsFile) -> str:
    """Downloads `file` (or finds it cached) in `~/.keras/models` and returns its path."""
    from layerax.utils.file_utils import get_file

    return get_file(file.fname, file.origin, cache_subdir="models", file_hash=file.file_hash)


def load_application_weights(
    model: Any,
    weights: Any,
    *,
    include_top: bool,
    top: WeightsFile | None = None,
    no_top: WeightsFile | None = None,
) -> None:
    """Loads `weights` (None, "imagenet" or a path) into the freshly built `model`.

    Raises:
        ValueError: when no ImageNet file is published for this configuration, or the
            file does not match the model (naming the first mismatching layer).
    """
    if weights is None:
        return
    if weights == "imagenet":
        file = top if include_top else no_top
        if file is None:
            raise ValueError(
                f"{model.name}: Keras publishes no ImageNet weights for include_top={include_top} "
                "with these arguments. Pass weights=None, or the path of a weights file."
            )
        weights = fetch(file)
    load_weights_file(model, os.fspath(weights))


def load_weights_file(model: Any, path: str) -> None:
    """Loads a legacy Keras `.h5` file layer by layer, anything else with `model.load_weights`."""
    if path.endswith(_LEGACY_SUFFIXES) and not path.endswith(".weights.h5"):
        load_legacy_h5(model, path)
    else:
        model.load_weights(path)


def _decode(values: Any) -> list[str]:
    return [v.decode("utf8") if isinstance(v, bytes) else str(v) for v in values]


def _legacy_variables(layer: Any) -> list[Any]:
    # Keras 2 files list a layer's trainable weights, then its non-trainable ones.
    return list(layer.trainable_weights) + list(layer.non_trainable_weights)


def load_legacy_h5(model: Any, path: str) -> None:
    """Loads a Keras 2 HDF5 weights file (`layer_names` / `weight_names` attributes).

    Layers with weights are matched in order, as Keras' `load_weights` does for these
    files; every shape is checked before anything is assigned, so a mismatch leaves the
    model unchanged.
    """
    import h5py

    try:
        f = h5py.File(path, "r")
    except OSError as err:
        raise ValueError(
            f"Could not read the HDF5 weights file {path!r} ({err}). It is truncated or not "
            "an HDF5 file; delete it so that it is downloaded again."
        ) from None
    with f:
        group = f["model_weights"] if "model_weights" in f else f
        if "layer_names" not in group.attrs:
            raise ValueError(
                f"{path!r} is not a Keras 2 HDF5 weights file (no `layer_names` attribute). "
                "Keras 3 weight files must be named '*.weights.h5'."
            )
        saved = []
        for name in _decode(group.attrs["layer_names"]):
            names = _decode(group[name].attrs.get("weight_names", []))
            if names:
                saved.append((name, [np.asarray(group[name][w]) for w in names]))
    layers = [layer for layer in model.layers if _legacy_variables(layer)]
    if len(saved) != len(layers):
        raise ValueError(
            f"The weights file {path!r} has {len(saved)} layers with weights, but the model "
            f"{model.name!r} has {len(layers)}. Build the model with the arguments the file "
            "was saved with (e.g. include_top)."
        )
    plan = []
    for layer, (saved_name, values) in zip(layers, saved):
        variables = _legacy_variables(layer)
        if len(values) != len(variables) or any(
            tuple(v.shape) != tuple(a.shape) for v, a in zip(variables, values)
        ):
            raise ValueError(
                f"Layer {layer.name!r} of {model.name!r} expects weights of shapes "
                f"{[tuple(v.shape) for v in variables]}, but the file {path!r} has "
                f"{[a.shape for a in values]} for layer {saved_name!r}. Nothing was loaded."
            )
        plan.extend(zip(variables, values))
    for variable, value in plan:
        variable.assign(value.astype(np.dtype(variable.dtype), copy=False))
