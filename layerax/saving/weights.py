"""`save_weights` / `load_weights`: a model's variables to and from a weights file.

Loading is two-phase: the whole file is read and every entry is checked
against the model (count, shape, dtype) first; variables are assigned only
when everything matches (or, with `skip_mismatch=True`, for the layers that
match), so a bad file never leaves a half-loaded model.

A layer that overrides `save_own_variables` / `load_own_variables` (as in
Keras 3) writes and reads its own entries: the store it gets is a dict of
its `<layer path>/vars/<key>` arrays keyed by `<key>`. Its
`load_own_variables` runs in the assignment phase, in layout order.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from typing import Any

import jax
import numpy as np

from layerax.core.layer import Layer
from layerax.core.variable import Variable
from layerax.saving._atomic import check_overwrite
from layerax.saving.keras_layout import LayerEntry, layout
from layerax.saving.streaming import LazyTensor, open_weights
from layerax.saving.weights_formats import weights_format, write_weights

__all__ = ["apply_weights", "collect_weights", "load_weights", "overrides", "save_weights"]

FORMAT_VERSION = 1


def _require_built(model: Layer, what: str) -> None:
    if not model.built and not model.weights:
        raise ValueError(
            f"You are {what} model '{model.name}', which has not been built yet (it has no "
            "variables). Build it first by calling it on a batch of data or with "
            "`model.build(input_shape)`."
        )


def collect_weights(model: Layer, *, include_seeds: bool = True) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """`(arrays by key, metadata)` of a model's variables in the Keras layout.

    Args:
        model: The model (or layer).
        include_seeds: Also save random-seed states (`<layer>/seed_generators/<i>`);
            never done for `.weights.h5`, which Keras must be able to read.
    """
    arrays: dict[str, np.ndarray] = {}
    layers: dict[str, str] = {}
    paths: dict[str, str] = {}
    for entry in layout(model):
        layers[entry.path] = entry.name
        if overrides(entry.layer, "save_own_variables"):
            arrays.update(_hook_arrays(entry))
            entry_vars: list[Variable] = []
        else:
            entry_vars = entry.variables
        for i, var in enumerate(entry_vars):
            arrays[entry.var_key(i)] = np.asarray(var.value)
            paths[entry.var_key(i)] = var.path
        if include_seeds:
            for i, var in enumerate(entry.seed_states):
                arrays[entry.seed_key(i)] = np.asarray(var.value)
                paths[entry.seed_key(i)] = var.path
    metadata = {
        "format": "layerax.weights",
        "format_version": FORMAT_VERSION,
        "layers": layers,
        "variable_paths": paths,
    }
    return arrays, metadata


def overrides(layer: Layer, hook: str) -> bool:
    """Whether `layer`'s class replaces the base `Layer`'s saving hook `hook`."""
    return getattr(type(layer), hook, None) is not getattr(Layer, hook)


def _hook_arrays(entry: LayerEntry) -> dict[str, np.ndarray]:
    """What a layer's own `save_own_variables(store)` wrote, keyed like the file."""
    store: dict[str, Any] = {}
    entry.layer.save_own_variables(store)
    arrays = {}
    for key, value in store.items():
        if not isinstance(key, str) or not key or "/" in key:
            raise TypeError(
                f"Layer '{entry.name}' ({type(entry.layer).__name__}).save_own_variables wrote "
                f"the key {key!r}: store keys must be non-empty strings without '/', like "
                "Keras' '0', '1', ... Use such keys."
            )
        value = value.value if isinstance(value, Variable) else value
        try:
            arrays[entry.var_key(key)] = np.asarray(value)  # type: ignore[arg-type]
        except Exception as err:
            raise TypeError(
                f"Layer '{entry.name}' ({type(entry.layer).__name__}).save_own_variables wrote "
                f"a value for key {key!r} that is not an array ({type(value).__name__}: {err}). "
                "Store arrays (or variables); save other state with `save_assets`."
            ) from None
        if arrays[entry.var_key(key)].dtype == object:
            raise TypeError(
                f"Layer '{entry.name}' ({type(entry.layer).__name__}).save_own_variables wrote "
                f"an object array for key {key!r}, which cannot be saved. Store numeric arrays; "
                "save other state with `save_assets`."
            )
    return arrays


class _LoadOwnVariables:
    """A plan step: the layer's own `load_own_variables(store)`, run at assignment time."""

    def __init__(self, entry: LayerEntry, skip_mismatch: bool, source: str) -> None:
        self.entry, self.skip_mismatch, self.source = entry, skip_mismatch, source

    def __call__(self, store: dict[str, np.ndarray]) -> None:
        try:
            self.entry.layer.load_own_variables(store)
        except Exception as err:
            if not self.skip_mismatch:
                raise
            warnings.warn(
                f"Could not load the weights of layer '{self.entry.name}' from {self.source!r}: "
                f"its load_own_variables raised {type(err).__name__}: {err}. Skipping it "
                "(skip_mismatch=True).",
                stacklevel=4,
            )


def save_weights(model: Layer, filepath: str | os.PathLike[str], overwrite: bool = True) -> None:
    """Saves the model's variables to `filepath`; the format follows the suffix.

    `.weights.npz` (numpy), `.safetensors` (extra `safetensors`) or
    `.weights.h5` (Keras 3's layout, extra `h5py`). The write is atomic.

    Example:
        >>> import os, tempfile, layerax as lx, numpy as np
        >>> model = lx.Sequential([lx.Input((3,)), lx.layers.Dense(2)])
        >>> path = os.path.join(tempfile.mkdtemp(), "model.weights.npz")
        >>> lx.saving.save_weights(model, path)
        >>> again = lx.Sequential([lx.Input((3,)), lx.layers.Dense(2)])
        >>> lx.saving.load_weights(again, path)
        >>> bool(np.array_equal(again.layers[0].kernel.numpy(), model.layers[0].kernel.numpy()))
        True
    """
    filepath = os.fspath(filepath)
    fmt = weights_format(filepath)
    check_overwrite(filepath, overwrite)
    _require_built(model, "saving the weights of")
    arrays, metadata = collect_weights(model, include_seeds=fmt != "h5")
    write_weights(filepath, arrays, metadata)


def load_weights(model: Layer, filepath: str | os.PathLike[str], skip_mismatch: bool = False) -> None:
    """Loads weights saved by `save_weights` (or Keras 3's `.weights.h5`) into `model`.

    Args:
        model: A built model of the same architecture.
        filepath: A `.weights.npz`, `.safetensors`, `.weights.h5`, or a
            `.layerax`/`.keras` archive written by `model.save`.
        skip_mismatch: Skip (with a warning) the layers whose saved variables
            do not match in number or shape, instead of raising.

    Raises:
        ValueError: on a mismatch (naming the first mismatching variable), an
            unknown suffix or a corrupted file; the model is then unchanged.

    Example:
        >>> import os, tempfile, layerax as lx
        >>> model = lx.Sequential([lx.Input((3,)), lx.layers.Dense(2)])
        >>> path = os.path.join(tempfile.mkdtemp(), "model.weights.h5")
        >>> lx.saving.save_weights(model, path)
        >>> other = lx.Sequential([lx.Input((3,)), lx.layers.Dense(2)])
        >>> lx.saving.load_weights(other, path)
        >>> bool((other.layers[0].bias.numpy() == model.layers[0].bias.numpy()).all())
        True
    """
    filepath = os.fspath(filepath)
    fmt = weights_format(filepath, archives=True)
    _require_built(model, "loading weights into")
    if fmt == "archive":
        from layerax.saving.archive import read_archive
        from layerax.saving.keras_archive import read_keras_archive

        read = read_keras_archive if filepath.endswith(".keras") else read_archive
        arrays = read(filepath).weights
        apply_weights(model, arrays, skip_mismatch=skip_mismatch, source=filepath)
        return
    # Verified .safetensors / .weights.h5 files stream: entries are read one at a time
    # while they are assigned (see layerax/saving/streaming.py).
    with open_weights(filepath) as (arrays, _):
        apply_weights(model, arrays, skip_mismatch=skip_mismatch, source=filepath)


def _cast_check(var: Variable, value: np.ndarray) -> str | None:
    """Why `value` cannot go into `var`, or None."""
    if tuple(value.shape) != tuple(var.shape):
        return f"expected shape {tuple(var.shape)}, the file has shape {tuple(value.shape)}"
    target = np.dtype(var.dtype)
    if value.dtype != target and not np.can_cast(value.dtype, target, casting="same_kind"):
        return f"expected dtype {target.name}, the file has dtype {value.dtype.name}"
    return None


def plan_assignments(
    entries: list[LayerEntry], arrays: Mapping[str, np.ndarray], *, skip_mismatch: bool, source: str,
) -> list[tuple[Variable, np.ndarray]]:
    """Matches the file's arrays with the layers' variables; raises or warns on mismatches."""
    plan: list[tuple[Variable, np.ndarray]] = []
    problems: list[str] = []
    expected_keys: set[str] = set()
    for entry in entries:
        if overrides(entry.layer, "load_own_variables"):
            # The layer reads its own entries (any string keys) when the plan runs.
            prefix = entry.var_key("")
            store = {k[len(prefix):]: v for k, v in arrays.items()
                     if k.startswith(prefix) and "/" not in k[len(prefix):]}
            expected_keys.update(prefix + key for key in store)
            plan.append((_LoadOwnVariables(entry, skip_mismatch, source), store))  # type: ignore[arg-type]
            continue
        saved = _indexed(arrays, entry.path, "vars")
        layer_plan: list[tuple[Variable, np.ndarray]] = []
        problem = None
        for i in range(max(len(saved), len(entry.variables))):
            key = entry.var_key(i)
            expected_keys.add(key)
            if i >= len(entry.variables):
                problem = (
                    f"layer '{entry.name}' (at '{entry.path or '/'}') has {len(entry.variables)} "
                    f"variable(s) but the file has {len(saved)} for it (extra entry '{key}')"
                )
                break
            var = entry.variables[i]
            if i not in saved:
                problem = (
                    f"variable '{var.path}' (layer '{entry.name}') is missing from the file: "
                    f"expected entry '{key}'; the file has {len(saved)} variable(s) for this layer"
                )
                break
            why = _cast_check(var, saved[i])
            if why is not None:
                problem = f"variable '{var.path}' (entry '{key}'): {why}"
                break
            layer_plan.append((var, saved[i]))
        if problem is None:
            # Seed states are optional (Keras files have none) but must match when present.
            seeds = _indexed(arrays, entry.path, "seed_generators")
            for i, var in enumerate(entry.seed_states):
                expected_keys.add(entry.seed_key(i))
                if i in seeds and _cast_check(var, seeds[i]) is None:
                    layer_plan.append((var, seeds[i]))
            plan.extend(layer_plan)
        else:
            problems.append(problem)
    entry_paths = {e.path for e in entries}
    for key in arrays:
        group = key.rsplit("/vars/", 1)[0] if "/vars/" in key else ("" if key.startswith("vars/") else None)
        if group is None or key in expected_keys or group.split("/", 1)[0] == "optimizer":
            continue
        if group not in entry_paths:
            problems.append(
                f"the file has variables for a layer at '{group}' that the model does not have "
                f"(entry '{key}')"
            )
            break
    if problems:
        message = (
            f"Could not load the weights from {source!r} into the model: {problems[0]}."
            + (f" ({len(problems) - 1} more mismatch(es).)" if len(problems) > 1 else "")
        )
        if not skip_mismatch:
            raise ValueError(
                message + " No variable was changed. Check that the model has the same "
                "architecture as the saved one, or pass `skip_mismatch=True` to load the "
                "layers that match."
            )
        warnings.warn(message + " Skipping the mismatching layers (skip_mismatch=True).", stacklevel=3)
    return plan


def _indexed(arrays: Mapping[str, np.ndarray], path: str, kind: str) -> dict[int, np.ndarray]:
    prefix = f"{path}/{kind}/" if path else f"{kind}/"
    found = {}
    for key, value in arrays.items():
        if key.startswith(prefix):
            rest = key[len(prefix) :]
            if rest.isdigit():
                found[int(rest)] = value
    return found


def apply_weights(
    model: Layer, arrays: Mapping[str, np.ndarray], *, skip_mismatch: bool = False, source: str = "<memory>",
) -> None:
    """Validates `arrays` against `model`, then assigns them (nothing on error)."""
    plan = plan_assignments(layout(model), arrays, skip_mismatch=skip_mismatch, source=source)
    assign_all(plan)


def _placed(var: Variable, value: Any) -> Any:
    """`value` as a host array of the variable's dtype, placed like its current value."""
    value = np.asarray(value)
    if value.dtype != np.dtype(var.dtype):
        value = value.astype(var.dtype)
    sharding = getattr(var._value, "sharding", None)
    return jax.device_put(value, sharding) if sharding is not None else value


def assign_all(plan: list[tuple[Variable, Any]]) -> None:
    """Assigns host arrays to variables, each placed like the variable's current value
    (same device or sharding), after converting all of them."""
    if any(isinstance(value, LazyTensor) for _, value in plan):
        # Entries of a verified file, read one at a time: loading raises peak memory by
        # about one tensor. The file's digest was checked before any entry was read.
        for var, value in plan:
            if isinstance(var, _LoadOwnVariables):
                var(value)
            else:
                var.assign(_placed(var, value))
        return
    prepared = []
    for var, value in plan:
        if isinstance(var, _LoadOwnVariables):
            prepared.append((var, value))
            continue
        prepared.append((var, _placed(var, value)))
    for var, value in prepared:
        if isinstance(var, _LoadOwnVariables):
            var(value)
        else:
            var.assign(value)
