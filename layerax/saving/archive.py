"""`model.save(path)` / `load_model(path)`: the whole model in one `.layerax` zip archive.

Layout of the archive (an uncompressed zip; a `.keras` path means Keras 3's
own format instead, see `keras_archive`):

* `metadata.json`: `{"format": "layerax.model", "format_version", "layerax_version",
  "date_saved"}`;
* `config.json`: `{"module", "class_name", "registered_name", "config",
  "build_config", "compile_config"}` (the model's serialized config, the shapes
  and dtypes it was built with, and its `compile()` arguments);
* `model.weights.npz`: the variables, keyed like the Keras layout
  (`layers/dense/vars/0`), seed-generator states included;
* `optimizer.npz` (when the model is compiled and `include_optimizer=True`):
  the optimizer's iterations, learning rate and slots;
* `assets/<layer path>/...` (when a layer defines `save_assets(dir_path)`):
  the files each layer wrote into its own directory;
* optional extra JSON members (the training position of `BackupAndRestore`).

Keras 3's saving hooks are honoured, in Keras' order. Saving: the model's
`get_build_config()` and `get_compile_config()`, then, layer by layer in the
layout walk, `save_own_variables(store)` and `save_assets(dir_path)`. Loading:
the config is deserialized (a nested layer that overrides a build hook gets
its `build_config` entry back through `build_from_config` as it is
deserialized, see `serialize_layer`), then the model's `build_from_config` and
`compile_from_config`; then, layer by layer, `load_own_variables(store)`,
then `load_assets(dir_path)`, and last the optimizer's state.

The archive is written atomically and every member's CRC is checked when it is
read; everything is read and validated before any variable is assigned.
"""

from __future__ import annotations

import dataclasses
import datetime
import io
import json
import os
import tempfile
import zipfile
from collections.abc import Mapping
from typing import Any

import jax
import numpy as np

from layerax.core import serialization
from layerax.saving import training_state
from layerax.saving._atomic import atomic_path, check_overwrite
from layerax.saving.weights import apply_weights, assign_all, collect_weights, overrides, plan_assignments
from layerax.saving.keras_layout import layout
from layerax.saving.weights_formats import read_npz_bytes, write_failed, write_npz_bytes

__all__ = ["load_model", "read_archive", "save_model"]

FORMAT = "layerax.model"
FORMAT_VERSION = 1
ARCHIVE_SUFFIXES = (".layerax", ".keras")


@dataclasses.dataclass
class Archive:
    """The validated contents of an archive."""

    metadata: dict[str, Any]
    config: dict[str, Any]
    weights: dict[str, np.ndarray]
    optimizer: tuple[dict[str, np.ndarray], dict[str, Any]] | None
    extra: dict[str, Any]
    assets: dict[str, bytes] = dataclasses.field(default_factory=dict)


def _check_suffix(path: str, action: str = "saving") -> None:
    if not path.endswith(ARCHIVE_SUFFIXES):
        hint = ""
        if path.endswith((".weights.h5", ".weights.npz", ".safetensors")):
            hint = (
                " To save only the weights, call `model.save_weights(path)`." if action == "saving"
                else " This is a weights file: build the model, then call `model.load_weights(path)`."
            )
        elif path.endswith((".h5", ".hdf5")):
            hint = " The legacy Keras 2 HDF5 model format is not supported."
        raise ValueError(
            f"Invalid filepath extension for {action} a model: {path!r}. Use a path ending in "
            f"'.keras' (Keras 3's format) or '.layerax' (layerax's archive with the full "
            f"training state).{hint}"
        )


def build_config(model: Any) -> dict[str, Any] | None:
    """The input shapes and dtypes of the model's first call (to rebuild its weights)."""
    shapes = model.__dict__.get("_build_shapes")
    if shapes is None:
        return None
    return {"input_shape": shapes, "input_dtype": model.__dict__.get("_lx_build_dtypes")}


def model_config(model: Any) -> dict[str, Any]:
    """What `config.json` holds (without the compile configuration)."""
    from layerax.core.serialization_lib import serialize_keras_object

    try:
        config = serialize_keras_object(model)
    except NotImplementedError as err:
        raise NotImplementedError(
            f"Cannot save model '{model.name}' ({type(model).__name__}): {err} A subclassed "
            "model is rebuilt from its config, so implement `get_config()` (and register the "
            "class with `@lx.saving.register_serializable()`), or save only the weights with "
            "`model.save_weights(...)`."
        ) from None
    if overrides(model, "get_build_config"):
        config["build_config"] = model.get_build_config()
    else:
        config["build_config"] = build_config(model)
    return config


def _compile_config(model: Any) -> dict[str, Any] | None:
    hook = getattr(model, "get_compile_config", None)
    return hook() if callable(hook) else training_state.compile_config(model)


ASSETS = "assets"


def _assets_dir(root: str, path: str) -> str:
    return os.path.join(root, *path.split("/")) if path else root


def collect_assets(model: Any) -> dict[str, bytes]:
    """The files the layers' `save_assets(dir_path)` wrote, as archive members."""
    members: dict[str, bytes] = {}
    entries = [e for e in layout(model) if callable(getattr(e.layer, "save_assets", None))]
    if not entries:
        return members
    with tempfile.TemporaryDirectory(prefix="layerax-assets-") as root:
        for entry in entries:
            directory = _assets_dir(root, entry.path)
            os.makedirs(directory, exist_ok=True)
            entry.layer.save_assets(directory)
        for here, dirs, files in os.walk(root, followlinks=False):
            for name in sorted(dirs):
                if os.path.islink(os.path.join(here, name)):
                    raise ValueError(
                        f"save_assets wrote a symbolic link {os.path.join(here, name)!r}: only "
                        "regular files and directories can be saved. Write the files themselves."
                    )
            for name in sorted(files):
                full = os.path.join(here, name)
                if os.path.islink(full) or not os.path.isfile(full):
                    raise ValueError(
                        f"save_assets wrote {full!r}, which is not a regular file: only regular "
                        "files can be saved. Write the file itself."
                    )
                rel = os.path.relpath(full, root).replace(os.sep, "/")
                with open(full, "rb") as f:
                    members[f"{ASSETS}/{rel}"] = f.read()
    return members


def load_assets(model: Any, assets: Mapping[str, bytes]) -> None:
    """Gives each layer with `load_assets(dir_path)` its directory of saved files."""
    entries = [e for e in layout(model) if callable(getattr(e.layer, "load_assets", None))]
    if not entries:
        return
    with tempfile.TemporaryDirectory(prefix="layerax-assets-") as root:
        real_root = os.path.realpath(root)
        for name, data in assets.items():
            rel = name[len(ASSETS) + 1 :]
            target = os.path.realpath(os.path.join(root, *rel.split("/")))
            if not target.startswith(real_root + os.sep):
                raise ValueError(f"Invalid asset path {name!r} in the archive: it escapes the assets directory.")
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "wb") as f:
                f.write(data)
        for entry in entries:
            directory = _assets_dir(root, entry.path)
            os.makedirs(directory, exist_ok=True)
            entry.layer.load_assets(directory)


def write_archive(
    path: str,
    model: Any,
    *,
    include_optimizer: bool = True,
    optimizer: Any = None,
    extra: Mapping[str, Any] | None = None,
    include_config: bool = True,
) -> None:
    """Writes the archive atomically (see the module docstring)."""
    from layerax import __version__

    config = model_config(model) if include_config else {}
    if include_config:
        config["compile_config"] = _compile_config(model)
    arrays, weights_meta = collect_weights(model)
    assets = collect_assets(model) if include_config else {}
    opt = training_state.optimizer_arrays(model, optimizer) if include_optimizer else None
    metadata = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "layerax_version": __version__,
        "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
    }
    try:
        _write_members(path, metadata, config, arrays, weights_meta, opt, assets, extra)
    except OSError as err:
        raise write_failed(path, "model archive", err) from err


def _write_members(path: str, metadata: Mapping[str, Any], config: Mapping[str, Any],
                   arrays: Mapping[str, np.ndarray], weights_meta: Mapping[str, Any], opt: Any,
                   assets: Mapping[str, bytes], extra: Mapping[str, Any] | None) -> None:
    with atomic_path(path) as tmp:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
            zf.writestr("metadata.json", json.dumps(metadata))
            zf.writestr("config.json", json.dumps(config, default=_json_default))
            zf.writestr("model.weights.npz", write_npz_bytes(arrays, weights_meta))
            if opt is not None:
                zf.writestr("optimizer.npz", write_npz_bytes(*opt))
            for name, data in assets.items():
                zf.writestr(name, data)
            for name, value in (extra or {}).items():
                zf.writestr(f"{name}.json", json.dumps(value, default=_json_default))


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (np.ndarray, jax.Array)):
        return np.asarray(value).tolist()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable: {value!r}")


def read_archive(path: str) -> Archive:
    """Reads and validates a whole archive.

    Raises:
        FileNotFoundError: when there is no file at `path`.
        ValueError: when it is not a layerax archive, or is truncated or corrupted.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"No model archive at {path!r}.")

    def corrupted(why: str) -> ValueError:
        return ValueError(
            f"Could not load {path!r}: the archive is truncated or corrupted ({why}). Nothing "
            "was loaded. Restore it from a good copy or save the model again."
        )

    data = b""
    try:
        with open(path, "rb") as f:
            data = f.read()
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            members = {info.filename: zf.read(info) for info in zf.infolist()}  # CRC-checked
    except FileNotFoundError:
        raise
    except Exception as err:
        # Damaged zip headers raise NotImplementedError, RuntimeError, zlib.error, ... too;
        # all of them mean an unreadable archive (a ValueError, so that callers such as
        # BackupAndRestore fall back to another copy).
        if b"HDF" in data[:8]:
            raise ValueError(
                f"{path!r} is an HDF5 file (a Keras model or weights file?), not a layerax "
                "archive. Keras '.keras' files cannot be loaded by layerax; load their weights "
                "from a '.weights.h5' file with `model.load_weights(...)` instead."
            ) from None
        raise corrupted(f"{type(err).__name__}: {err}") from None
    for required in ("metadata.json", "config.json", "model.weights.npz"):
        if required not in members:
            if "model.weights.h5" in members:
                raise ValueError(
                    f"{path!r} is a Keras '.keras' archive, not a layerax one: give it a name "
                    "ending in '.keras' and load it with `lx.saving.load_model` (layerax reads "
                    "Keras 3 archives under that suffix)."
                )
            raise corrupted(f"member {required!r} is missing")
    try:
        metadata = json.loads(members["metadata.json"].decode())
        config = json.loads(members["config.json"].decode())
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise corrupted(f"invalid JSON: {err}") from None
    if metadata.get("format") != FORMAT:
        raise ValueError(f"{path!r} is not a layerax model archive (format {metadata.get('format')!r}).")
    if int(metadata.get("format_version", 0)) > FORMAT_VERSION:
        raise ValueError(
            f"{path!r} was written by a newer layerax (archive format version "
            f"{metadata['format_version']}; this version reads up to {FORMAT_VERSION}). Upgrade layerax."
        )
    weights, _ = read_npz_bytes(members["model.weights.npz"], f"{path}:model.weights.npz")
    optimizer = None
    if "optimizer.npz" in members:
        optimizer = read_npz_bytes(members["optimizer.npz"], f"{path}:optimizer.npz")
    extra = {}
    assets = {name: raw for name, raw in members.items() if name.startswith(f"{ASSETS}/") and not name.endswith("/")}
    for name, raw in members.items():
        if name.startswith(f"{ASSETS}/"):
            continue
        if name.endswith(".json") and name not in ("metadata.json", "config.json"):
            try:
                extra[name[: -len(".json")]] = json.loads(raw.decode())
            except (UnicodeDecodeError, json.JSONDecodeError) as err:
                raise corrupted(f"invalid JSON in {name}: {err}") from None
    return Archive(metadata, config, weights, optimizer, extra, assets)


def save_model(model: Any, filepath: str | os.PathLike[str], overwrite: bool = True,
               include_optimizer: bool = True) -> None:
    """Saves the whole model (config, weights, compile arguments, optimizer state).

    Args:
        model: The model.
        filepath: A path ending in `.layerax` (layerax's archive) or `.keras`
            (Keras 3's format, see docs/saving.md).
        overwrite: Replace an existing file (otherwise raise FileExistsError).
        include_optimizer: Also save the optimizer's state, so that training
            continues where it stopped.

    Example:
        >>> import os, tempfile, layerax as lx, numpy as np
        >>> model = lx.Sequential([lx.Input((3,)), lx.layers.Dense(2)])
        >>> path = os.path.join(tempfile.mkdtemp(), "model.layerax")
        >>> lx.saving.save_model(model, path)
        >>> again = lx.saving.load_model(path)
        >>> x = np.ones((1, 3), "float32")
        >>> bool(np.array_equal(again(x), model(x)))
        True
    """
    filepath = os.fspath(filepath)
    _check_suffix(filepath)
    check_overwrite(filepath, overwrite)
    if not model.built and not model.weights:
        raise ValueError(
            f"Model '{model.name}' has not been built yet: call it on data (or `build()` it) "
            "before saving it."
        )
    if filepath.endswith(".keras"):
        from layerax.saving.keras_archive import save_keras_archive

        save_keras_archive(model, filepath)
        return
    write_archive(filepath, model, include_optimizer=include_optimizer)


def _spec_tree(shapes: Any, dtypes: Any) -> Any:
    if isinstance(shapes, dict):
        return {k: _spec_tree(v, (dtypes or {}).get(k)) for k, v in shapes.items()}
    if isinstance(shapes, (list, tuple)) and shapes and all(
        isinstance(s, (list, tuple, dict)) or s is None for s in shapes
    ):
        dtypes = dtypes if isinstance(dtypes, (list, tuple)) else [dtypes] * len(shapes)
        return [_spec_tree(s, d) for s, d in zip(shapes, dtypes)]
    if shapes is None:
        return None
    shape = tuple(1 if d is None else int(d) for d in shapes)
    return jax.ShapeDtypeStruct(shape, np.dtype(dtypes or "float32"))


def build_from_config(model: Any, config: Mapping[str, Any] | None) -> None:
    """Creates the weights of a model rebuilt from its config (abstractly: nothing runs)."""
    if model.built and model.weights or not config or config.get("input_shape") is None:
        return
    shapes = config["input_shape"]
    from layerax.core.layer import _build_takes_named_shapes

    if isinstance(shapes, dict) and _build_takes_named_shapes(model):
        with jax.ensure_compile_time_eval():
            model.build(**{k: _tuple(v) for k, v in shapes.items()})
        return
    from layerax.core.shape_inference import ensure_built

    specs = _spec_tree(shapes, config.get("input_dtype"))
    object.__setattr__(model, "built", False)
    ensure_built(model, specs)


def _tuple(value: Any) -> Any:
    if isinstance(value, list) and all(v is None or isinstance(v, int) for v in value):
        return tuple(value)
    if isinstance(value, list):
        return [_tuple(v) for v in value]
    return value


def model_from_archive(archive: Archive, custom_objects: Any = None, safe_mode: bool = True,
                       compile: bool = False) -> Any:
    """A new model from the archive's config, built (and compiled when `compile`), with the
    archive's weights and assets."""
    from layerax.core.serialization_lib import deserialize_keras_object

    config = dict(archive.config)
    build = config.pop("build_config", None)
    compile_cfg = config.pop("compile_config", None)
    with serialization.custom_object_scope(custom_objects or {}), serialization.safe_mode_scope(safe_mode):
        model = deserialize_keras_object(config, custom_objects=custom_objects, safe_mode=safe_mode)
        if overrides(model, "build_from_config"):
            if build and not model.built:
                model.build_from_config(build)
                object.__setattr__(model, "built", True)
        else:
            build_from_config(model, build)
        if compile and compile_cfg:
            hook = getattr(model, "compile_from_config", None)
            if callable(hook):
                hook(compile_cfg)
            else:
                training_state.compile_from_config(model, compile_cfg)
    apply_weights(model, archive.weights, source="the archive")
    load_assets(model, archive.assets)
    return model


def load_model(filepath: str | os.PathLike[str], custom_objects: Mapping[str, Any] | None = None,
               compile: bool = True, safe_mode: bool = True) -> Any:
    """Loads a model saved with `model.save()`: config, weights, compile and optimizer state.

    Args:
        filepath: A `.layerax` archive written by layerax, or a Keras 3
            `.keras` archive (written by Keras or by layerax).
        custom_objects: Classes and functions by name (custom layers, models,
            losses, metrics) used by the saved config.
        compile: Compile the model as it was compiled when saved, and restore
            the optimizer's state.
        safe_mode: Refuse to rebuild `Lambda` layers holding Python functions
            (arbitrary code); pass False only for files you trust.

    Raises:
        ValueError: for a truncated/corrupted file, a file that is not a
            layerax archive, or an unknown class (pass it in `custom_objects`).

    Example:
        >>> import os, tempfile, layerax as lx
        >>> model = lx.Sequential([lx.Input((3,)), lx.layers.Dense(2, name="out")])
        >>> model.compile(optimizer="adam", loss="mse")
        >>> path = os.path.join(tempfile.mkdtemp(), "model.layerax")
        >>> model.save(path)
        >>> again = lx.models.load_model(path)
        >>> [layer.name for layer in again.layers], type(again.optimizer).__name__
        (['out'], 'Adam')
    """
    filepath = os.fspath(filepath)
    _check_suffix(filepath, "loading")
    if filepath.endswith(".keras"):
        from layerax.saving.keras_archive import load_keras_archive

        return load_keras_archive(filepath, custom_objects, compile=compile, safe_mode=safe_mode)
    archive = read_archive(filepath)
    model = model_from_archive(archive, custom_objects, safe_mode, compile=compile)
    if compile and getattr(model, "compiled", False) and archive.optimizer is not None:
        arrays, meta = archive.optimizer
        assign_all(training_state.plan_optimizer_restore(model, arrays, meta))
    return model


def restore_training_state(model: Any, archive: Archive, *, optimizer: Any = None, source: str) -> None:
    """Loads an archive's weights and optimizer state into an existing, compiled model,
    validating everything first."""
    plan = plan_assignments(layout(model), archive.weights, skip_mismatch=False, source=source)
    opt = optimizer if optimizer is not None else getattr(model, "optimizer", None)
    if archive.optimizer is not None and opt is not None:
        arrays, meta = archive.optimizer
        plan += training_state.plan_optimizer_restore(model, arrays, meta, opt)
    assign_all(plan)
