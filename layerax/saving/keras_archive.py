"""Keras 3's `.keras` archive, written and read by layerax.

A `.keras` file is a zip with three members, as Keras 3 writes them:

* `metadata.json`: `{"keras_version", "date_saved"}` (layerax adds `layerax_version`);
* `config.json`: the model's config with Keras' `module` / `class_name` /
  `registered_name` entries (`keras.layers`, `keras.initializers`, ...; see
  `keras_names`), its `build_config` and its `compile_config`;
* `model.weights.h5`: the variables in Keras' HDF5 layout (`layers/dense/vars/0`, the
  same walk as `.weights.h5` files);
* `assets/<layer path>/...`: the files of layers with `save_assets(dir_path)`.

`keras.saving.load_model` reads what `save_keras_archive` writes, and
`load_keras_archive` reads what Keras 3 writes. The optimizer's state is
exchanged through Keras' `optimizer/vars/<i>` group (`iteration`,
`learning_rate`, then the slots in Keras' order; see `keras_optimizer`) for the
optimizers with a known slot layout; for others it is left out when saving and skipped, with a
warning, when loading (the model is compiled with a fresh optimizer).
layerax's own `.layerax` archive also keeps seed states, any optimizer's state
and the training position.
"""

from __future__ import annotations

import datetime
import io
import json
import os
import zipfile
from collections.abc import Mapping
from typing import Any

import numpy as np

from layerax.saving import keras_names
from layerax.saving._atomic import atomic_path
from layerax.saving.keras_optimizer import keras_optimizer_arrays, restore_keras_optimizer
from layerax.saving.weights_formats import write_failed

__all__ = ["load_keras_archive", "read_keras_archive", "save_keras_archive", "to_keras_config"]

KERAS_VERSION = "3.15.1"
_TAGS = {"__tuple__", "__numpy__", "__keras_tensor__", "__lambda__", "function", "__bytes__", "__typespec__"}
# Keys layerax writes that Keras' constructors do not take.
_LAYERAX_ONLY = {"optimizer_class"}


def to_keras_config(tree: Any, hint: str | None = None) -> Any:
    """A layerax config (from `serialize_keras_object`) with Keras' module entries.

    Built-in classes get the Keras module of their family and `registered_name:
    None`; registered custom classes keep their `"package>Name"` registered name.

    Example:
        >>> import layerax as lx
        >>> from layerax.saving.keras_archive import to_keras_config
        >>> config = to_keras_config(lx.saving.serialize_keras_object(lx.layers.Dense(2)))
        >>> config["module"], config["registered_name"], config["config"]["kernel_initializer"]["module"]
        ('keras.layers', None, 'keras.initializers')
    """
    if isinstance(tree, list):
        return [to_keras_config(v, hint) for v in tree]
    if not isinstance(tree, Mapping):
        return tree
    if "class_name" in tree and "config" in tree and tree["class_name"] not in _TAGS:
        out = {k: to_keras_config(v, k) for k, v in tree.items() if k not in _LAYERAX_ONLY}
        name = tree["class_name"]
        registered = tree.get("registered_name")
        module = keras_names.keras_module(name, hint) if registered in (None, name) else None
        if module is not None:
            out["module"] = module
            out["class_name"] = keras_names.keras_class_name(name)
            out["registered_name"] = None
        else:
            old = tree.get("module")
            out["module"] = keras_names.keras_application_module(name) or (
                None if old is None or str(old).startswith("layerax") else old)
            out["registered_name"] = registered or name
        return out
    return {k: to_keras_config(v, k) for k, v in tree.items() if k not in _LAYERAX_ONLY}


def _h5_bytes(arrays: Mapping[str, np.ndarray], groups: Mapping[str, str]) -> bytes:
    from layerax.saving.weights_formats import _require

    h5py = _require("h5py", "h5")
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        for group_path, name in groups.items():
            f.require_group(f"{group_path}/vars" if group_path else "vars").attrs["name"] = name
        for key, value in arrays.items():
            value = np.asarray(value)
            if value.dtype.name == "bfloat16":
                ds = f.create_dataset(key, data=value)
                ds.attrs["dtype"] = "bfloat16"
            else:
                f[key] = value
    return buffer.getvalue()


def save_keras_archive(model: Any, path: str) -> None:
    """Writes `model` as a Keras 3 `.keras` archive, atomically (see the module docstring)."""
    from layerax import __version__
    from layerax.saving.archive import _compile_config, _json_default, collect_assets, model_config
    from layerax.saving.keras_ops import to_keras_graph
    from layerax.saving.weights import collect_weights

    config = model_config(model)
    config["compile_config"] = _compile_config(model)
    config = to_keras_graph(to_keras_config(config))
    arrays, meta = collect_weights(model, include_seeds=False)
    assets = collect_assets(model)
    metadata = {
        "keras_version": KERAS_VERSION,
        "layerax_version": __version__,
        "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
    }
    groups = dict(meta.get("layers", {}))
    opt_arrays, opt_groups = keras_optimizer_arrays(model)
    groups.update(opt_groups)
    arrays.update(opt_arrays)
    weights = _h5_bytes(arrays, groups)
    try:
        with atomic_path(path) as tmp:
            with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
                zf.writestr("metadata.json", json.dumps(metadata))
                zf.writestr("config.json", json.dumps(config, default=_json_default))
                zf.writestr("model.weights.h5", weights)
                for name, data in assets.items():
                    zf.writestr(name, data)
    except OSError as err:
        raise write_failed(path, "Keras model archive", err) from err


def _read_h5_bytes(data: bytes, corrupted: Any) -> dict[str, np.ndarray]:
    from layerax.saving.weights_formats import _require

    h5py = _require("h5py", "h5")
    arrays: dict[str, np.ndarray] = {}
    try:
        with h5py.File(io.BytesIO(data), "r") as f:
            def visit(name: str, obj: Any) -> None:
                if isinstance(obj, h5py.Dataset):
                    value = np.asarray(obj[()])
                    if obj.attrs.get("dtype") == "bfloat16":
                        import ml_dtypes

                        value = value.view(ml_dtypes.bfloat16)
                    arrays[name] = value

            f.visititems(visit)
    except Exception as err:  # h5py raises OSError, KeyError, RuntimeError, ...
        raise corrupted(f"model.weights.h5: {type(err).__name__}: {err}") from None
    return arrays


def read_keras_archive(path: str) -> Any:
    """Reads and validates a Keras `.keras` archive (an `archive.Archive`, no optimizer state).

    Raises:
        FileNotFoundError: when there is no file at `path`.
        ValueError: when it is truncated, corrupted, or not a Keras archive.
    """
    from layerax.saving.archive import ASSETS, FORMAT, Archive

    if not os.path.isfile(path):
        raise FileNotFoundError(f"No model archive at {path!r}.")

    def corrupted(why: str) -> ValueError:
        return ValueError(
            f"Could not load {path!r}: the Keras archive is truncated or corrupted ({why}). "
            "Nothing was loaded. Restore it from a good copy or save the model again."
        )

    try:
        with open(path, "rb") as f:
            data = f.read()
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            members = {info.filename: zf.read(info) for info in zf.infolist()}  # CRC-checked
    except Exception as err:  # zipfile raises BadZipFile, NotImplementedError, zlib.error, ...
        raise corrupted(f"{type(err).__name__}: {err}") from None
    try:
        metadata = json.loads(members["metadata.json"].decode()) if "metadata.json" in members else {}
        config = json.loads(members["config.json"].decode()) if "config.json" in members else None
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise corrupted(f"invalid JSON: {err}") from None
    if isinstance(metadata, dict) and metadata.get("format") == FORMAT:
        raise ValueError(
            f"{path!r} is a layerax archive (written by an earlier layerax under '.keras'), not a "
            "Keras one. Rename it to end in '.layerax' and load it again."
        )
    if not isinstance(config, dict) or "model.weights.h5" not in members or "class_name" not in config:
        missing = [m for m in ("config.json", "model.weights.h5") if m not in members]
        raise ValueError(
            f"{path!r} is not a Keras 3 '.keras' archive (expected the members config.json, "
            f"metadata.json and model.weights.h5; missing: {missing or 'a model config'}). "
            "Nothing was loaded."
        )
    weights = _read_h5_bytes(members["model.weights.h5"], corrupted)
    optimizer = {k: weights.pop(k) for k in [k for k in weights if k.startswith("optimizer/")]}
    assets = {k: v for k, v in members.items() if k.startswith(ASSETS + "/") and not k.endswith("/")}
    return Archive(metadata, config, weights, (optimizer, {}) if optimizer else None, {}, assets)


def load_keras_archive(path: str, custom_objects: Mapping[str, Any] | None = None,
                       compile: bool = True, safe_mode: bool = True) -> Any:
    """A layerax model from a Keras 3 `.keras` archive: config, weights and compile config."""
    from layerax.saving.archive import model_from_archive

    from layerax.saving.keras_ops import from_keras_graph

    archive = read_keras_archive(path)
    archive.config = keras_names.from_keras_class_names(from_keras_graph(archive.config))
    try:
        model = model_from_archive(archive, custom_objects, safe_mode, compile=compile)
    except (ValueError, TypeError) as err:
        if "Unknown" in str(err) or "Could not interpret" in str(err) or "Could not locate" in str(err):
            raise ValueError(
                f"Could not load the Keras archive {path!r}: {err} A custom Keras class needs a "
                "layerax replacement of the same name: register it with "
                "`@lx.saving.register_serializable(package=...)` (the file's `registered_name` "
                "is 'package>Name') or pass `custom_objects={'Name': cls}` to `load_model`."
            ) from None
        raise
    if compile and getattr(model, "compiled", False) and archive.optimizer is not None:
        restore_keras_optimizer(model, archive.optimizer[0], path)
    return model
