"""`KerasFileEditor`: inspect and edit the weights of a `.keras` or `.weights.h5` file.

Keras 3's `keras.saving.KerasFileEditor`, with the same methods. The file's
HDF5 weights become a nested dict, `weights_dict`: one entry per object path
(`layers` -> `dense` -> ...), each object's own variables under their names
(`"0"`, `"1"`, ...) in place of Keras' `vars` group. An object with both own
variables and sub-objects keeps both (Keras' editor keeps only the variables
there). Edits change the dict; `save` writes it as a `.weights.h5` file in
Keras' layout, atomically, which `model.load_weights` of either library reads.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["KerasFileEditor"]


def _read_h5(source: Any, what: str) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Flat `{key: array}` and `{object path: name}` of an HDF5 weights file, refusing
    links, external and virtual datasets (a weights file has none)."""
    from layerax.saving.weights_formats import _require

    h5py = _require("h5py", "h5")
    arrays: dict[str, np.ndarray] = {}
    names: dict[str, str] = {}
    with h5py.File(source, "r") as f:
        def walk(group: Any, prefix: str) -> None:
            for key in group:
                link = group.get(key, getlink=True)
                path = f"{prefix}{key}"
                if isinstance(link, (h5py.SoftLink, h5py.ExternalLink)):
                    raise ValueError(
                        f"{what}: '{path}' is an HDF5 {type(link).__name__}; a weights file holds "
                        "only groups and datasets. Save the weights again from the model."
                    )
                obj = group[key]
                if isinstance(obj, h5py.Group):
                    if key == "vars" and "name" in obj.attrs:
                        label = obj.attrs["name"]
                        names[prefix.rstrip("/")] = label.decode() if isinstance(label, bytes) else str(label)
                    walk(obj, f"{path}/")
                elif isinstance(obj, h5py.Dataset):
                    if obj.external or obj.is_virtual:
                        raise ValueError(
                            f"{what}: the dataset '{path}' keeps its data outside the file "
                            "(external or virtual); save the weights again from the model."
                        )
                    value = np.asarray(obj[()])
                    if obj.attrs.get("dtype") == "bfloat16":
                        import ml_dtypes

                        value = value.view(ml_dtypes.bfloat16)
                    arrays[path] = value

        walk(f, "")
    return arrays, names


def _nest(arrays: Mapping[str, Any]) -> dict[str, Any]:
    """`{"layers/dense/vars/0": a}` -> `{"layers": {"dense": {"0": a}}}`."""
    tree: dict[str, Any] = {}
    for key, value in arrays.items():
        parts = key.split("/")
        if len(parts) < 2 or parts[-2] != "vars":
            continue  # not a variable of Keras' layout (a layerax seed state, ...)
        node = tree
        for part in parts[:-2]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return tree


def _flatten(tree: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in tree.items():
        if isinstance(value, Mapping):
            out.update(_flatten(value, f"{prefix}{key}/"))
        else:
            out[f"{prefix}vars/{key}"] = value
    return out


def _object_paths(tree: Mapping[str, Any], prefix: str = "") -> set[str]:
    found = {prefix.rstrip("/")}
    for key, value in tree.items():
        if isinstance(value, Mapping):
            found |= _object_paths(value, f"{prefix}{key}/")
    return found


class KerasFileEditor:
    """Inspects and edits the weights of a `.keras` or `.weights.h5` file (Keras 3's editor).

    Useful to adapt a saved file after changing a model's architecture:
    rename, delete or add objects (layers) and weights, then `save` the
    result as a `.weights.h5` file that `model.load_weights` reads (in layerax
    and in Keras).

    Args:
        filepath: The `.keras` or `.weights.h5` file to open (it is only read).

    Attributes:
        weights_dict: The weights, a nested dict: object paths (`"layers"` ->
            `"dense"`), then the object's weights by name (`"0"`, `"1"`).
        object_metadata: `{object path: {"name": layer name}}` from the file.
        config, metadata: A `.keras` file's `config.json` and `metadata.json`
            (None for a `.weights.h5` file).

    Example:
        >>> import tempfile, os, numpy as np, layerax as lx
        >>> model = lx.Sequential([lx.Input((2,)), lx.layers.Dense(3), lx.layers.Dense(1)])
        >>> path = os.path.join(tempfile.mkdtemp(), "m.weights.h5")
        >>> model.save_weights(path)
        >>> editor = lx.saving.KerasFileEditor(path)
        >>> sorted(editor.weights_dict["layers"]), editor.weights_dict["layers"]["dense"]["0"].shape
        (['dense', 'dense_1'], (2, 3))
        >>> editor.add_weights("dense_1", {"1": np.full((1,), 5.0, "float32")})  # a new bias
        >>> editor.save(path)
        >>> model.load_weights(path)
        >>> model.layers[1].bias.numpy().tolist()
        [5.0]
    """

    def __init__(self, filepath: Any) -> None:
        import os

        self.filepath = str(filepath)
        self.config: Any = None
        self.metadata: Any = None
        what = f"KerasFileEditor({self.filepath!r})"
        if not self.filepath.endswith((".keras", ".weights.h5")):
            raise ValueError(
                "KerasFileEditor expects a '.keras' or '.weights.h5' file. "
                f"Received: filepath={self.filepath!r}"
            )
        if not os.path.isfile(self.filepath):
            raise FileNotFoundError(f"{what}: there is no file at this path.")
        try:
            arrays, names = self._read(what)
        except (OSError, KeyError, RuntimeError, zipfile.BadZipFile, json.JSONDecodeError) as err:
            raise ValueError(
                f"{what}: the file is truncated or corrupted ({type(err).__name__}: {err}). "
                "Restore it from a good copy or save the model again."
            ) from None
        self.weights_dict: dict[str, Any] = _nest(arrays)
        self.object_metadata: dict[str, dict[str, str]] = {p: {"name": n} for p, n in names.items()}

    def _read(self, what: str) -> tuple[dict[str, np.ndarray], dict[str, str]]:
        if self.filepath.endswith(".keras"):
            with zipfile.ZipFile(self.filepath) as zf:
                members = set(zf.namelist())
                if "model.weights.h5" not in members:
                    raise ValueError(
                        f"{what}: not a Keras 3 '.keras' archive (no model.weights.h5 member; a "
                        "layerax archive ends in '.layerax')."
                    )
                self.config = json.loads(zf.read("config.json")) if "config.json" in members else None
                self.metadata = json.loads(zf.read("metadata.json")) if "metadata.json" in members else None
                source: Any = io.BytesIO(zf.read("model.weights.h5"))
        else:
            from layerax.saving.weights_formats import _verify_h5

            _verify_h5(self.filepath)  # a layerax-written file's digest, checked before parsing
            source = self.filepath
        return _read_h5(source, what)

    # ----------------------------------------------------------------- inspect
    def summary(self) -> None:
        """Prints the file's objects and weights (path, layer name, shape, dtype)."""
        lines = [f"Keras weights file '{self.filepath}'"]
        if self.metadata:
            lines.append(f"Saved with Keras {self.metadata.get('keras_version')} on "
                         f"{self.metadata.get('date_saved')}")
        lines.append("Weights structure")
        lines += self._tree_lines(self.weights_dict, "", "")
        print("\n".join(lines))

    def _tree_lines(self, tree: Mapping[str, Any], path: str, indent: str) -> list[str]:
        lines = []
        for key, value in tree.items():
            sub = f"{path}/{key}" if path else key
            if isinstance(value, Mapping):
                name = self.object_metadata.get(sub, {}).get("name")
                lines.append(f"{indent}{key}" + (f" ('{name}')" if name else ""))
                lines += self._tree_lines(value, sub, indent + "    ")
            else:
                lines.append(f"{indent}{key}: shape={tuple(np.shape(value))}, dtype={np.asarray(value).dtype}")
        return lines

    def compare(self, reference_model: Any) -> dict[str, Any]:
        """Compares the file's weights with those of `reference_model`, both ways.

        Every object or weight present on one side only, and every weight whose
        shape differs, is an error (printed with its path).

        Args:
            reference_model: The layerax model to compare to (its optimizer's
                variables too, when it is compiled and the file has them).

        Returns:
            `{"status": "success" or "error", "error_count": int, "match_count": int}`.
        """
        from layerax.saving.keras_optimizer import keras_optimizer_arrays
        from layerax.saving.weights import collect_weights

        arrays, _ = collect_weights(reference_model, include_seeds=False)
        if "optimizer" in self.weights_dict:
            arrays.update(keras_optimizer_arrays(reference_model)[0])
        reference = _nest(arrays)
        errors: list[str] = []
        matches = 0

        def walk(ours: Mapping[str, Any], theirs: Mapping[str, Any], path: str) -> None:
            nonlocal matches
            for key in list(ours) + [k for k in theirs if k not in ours]:
                sub = f"{path}/{key}" if path else key
                kind = "Object" if isinstance(ours.get(key, theirs.get(key)), Mapping) else "Weight"
                if key not in theirs:
                    errors.append(f"{kind} '{sub}' is in the saved file, not in the reference model")
                elif key not in ours:
                    errors.append(f"{kind} '{sub}' is in the reference model, not in the saved file")
                elif isinstance(ours[key], Mapping) != isinstance(theirs[key], Mapping):
                    errors.append(f"'{sub}' is an object on one side and a weight on the other")
                elif isinstance(ours[key], Mapping):
                    walk(ours[key], theirs[key], sub)
                elif tuple(np.shape(ours[key])) != tuple(np.shape(theirs[key])):
                    errors.append(f"Weight '{sub}' has shape {tuple(np.shape(ours[key]))} in the saved "
                                  f"file and {tuple(np.shape(theirs[key]))} in the reference model")
                else:
                    matches += 1

        walk(self.weights_dict, reference, "")
        for line in errors:
            print(line)
        if errors:
            print(f"Found {len(errors)} error(s): the saved file does not fit the reference model")
        else:
            print(f"The saved file fits the reference model ({matches} matching weights)")
        return {"status": "error" if errors else "success", "error_count": len(errors),
                "match_count": matches}

    # -------------------------------------------------------------------- edit
    def _locate(self, object_name: str, method: str) -> tuple[dict[str, Any], str, str]:
        """`(parent dict, key, full path)` of an object given by its path or by a name
        that occurs once in the file."""
        if not isinstance(object_name, str) or not object_name:
            raise TypeError(f"KerasFileEditor.{method}: the object is named by a non-empty string "
                            f"(a name or a path like 'layers/dense'). Received: {object_name!r}")
        if "/" in object_name:
            parts = object_name.split("/")
            parent = self.weights_dict
            for part in parts[:-1]:
                parent = parent.get(part) if isinstance(parent, dict) else None
                if not isinstance(parent, dict):
                    break
            if not isinstance(parent, dict) or parts[-1] not in parent:
                raise ValueError(
                    f"KerasFileEditor.{method}: path '{object_name}' is not in the file. Call "
                    "`editor.summary()` to list its objects."
                )
            return parent, parts[-1], object_name
        found: list[tuple[dict[str, Any], str]] = []

        def search(tree: dict[str, Any], path: str) -> None:
            for key, value in tree.items():
                sub = f"{path}/{key}" if path else key
                if key == object_name:
                    found.append((tree, sub))
                if isinstance(value, dict):
                    search(value, sub)

        search(self.weights_dict, "")
        if len(found) != 1:
            where = f"occurs {len(found)} times ({[p for _, p in found]})" if found else "is not in the file"
            raise ValueError(
                f"KerasFileEditor.{method}: the name '{object_name}' {where}. Pass the full path "
                "(e.g. 'layers/dense'); `editor.summary()` lists them."
            )
        parent, path = found[0]
        return parent, object_name, path

    def _move_names(self, old: str, new: str | None) -> None:
        moved = {}
        for path, meta in self.object_metadata.items():
            if path == old or path.startswith(old + "/"):
                if new is not None:
                    moved[new + path[len(old):]] = meta
            else:
                moved[path] = meta
        self.object_metadata = moved

    def rename_object(self, object_name: str, new_name: str) -> None:
        """Renames an object (e.g. a layer), given by name (`"dense_2"`) or path (`"layers/dense_2"`).

        Args:
            object_name: The object's name or path.
            new_name: Its new name (a name, not a path).
        """
        if not isinstance(new_name, str) or not new_name or "/" in new_name:
            raise ValueError(
                "KerasFileEditor.rename_object: `new_name` is the object's new name, not a path "
                f"(no '/'). Received: new_name={new_name!r}"
            )
        parent, key, path = self._locate(object_name, "rename_object")
        if new_name in parent and new_name != key:
            raise ValueError(
                f"KerasFileEditor.rename_object: '{new_name}' already exists next to '{path}'. "
                "Delete or rename that one first."
            )
        parent[new_name] = parent.pop(key)
        self._move_names(path, path[: -len(key)] + new_name)

    def delete_object(self, object_name: str) -> None:
        """Removes an object (e.g. a layer) and its weights, by name or path."""
        parent, key, path = self._locate(object_name, "delete_object")
        del parent[key]
        self._move_names(path, None)

    def add_object(self, object_path: str, weights: Mapping[str, Any]) -> None:
        """Adds an object (e.g. a layer) with its weights.

        Args:
            object_path: The object's full path (e.g. `"layers/dense_2"`); its
                parent must exist.
            weights: The object's weights by name, e.g. `{"0": kernel, "1": bias}`.
        """
        weights = self._checked_weights(weights, "add_object")
        parts = str(object_path).split("/")
        parent = self.weights_dict
        for i, part in enumerate(parts[:-1]):
            parent = parent.get(part)
            if not isinstance(parent, dict):
                raise ValueError(
                    f"KerasFileEditor.add_object: the parent '{'/'.join(parts[: i + 1])}' of "
                    f"'{object_path}' is not an object of the file; add it first."
                )
        if parts[-1] in parent:
            raise ValueError(
                f"KerasFileEditor.add_object: '{object_path}' already exists. Use `add_weights` to "
                "add weights to it, or `delete_object` first."
            )
        parent[parts[-1]] = weights

    def delete_weight(self, object_name: str, weight_name: str) -> None:
        """Removes the weight `weight_name` (e.g. `"1"`) of an object given by name or path."""
        parent, key, path = self._locate(object_name, "delete_weight")
        weights = parent[key]
        if not isinstance(weights, dict) or str(weight_name) not in weights or isinstance(
                weights[str(weight_name)], dict):
            have = [k for k, v in weights.items() if not isinstance(v, dict)] if isinstance(weights, dict) else []
            raise ValueError(
                f"KerasFileEditor.delete_weight: object '{path}' has no weight {weight_name!r}. "
                f"Its weights: {have}"
            )
        del weights[str(weight_name)]

    def add_weights(self, object_name: str, weights: Mapping[str, Any]) -> None:
        """Adds weights (e.g. `{"1": bias}`) to an object given by name or path; weights of
        the same name are replaced."""
        weights = self._checked_weights(weights, "add_weights")
        parent, key, path = self._locate(object_name, "add_weights")
        if not isinstance(parent[key], dict):
            raise ValueError(
                f"KerasFileEditor.add_weights: '{path}' is a weight, not an object; name its object."
            )
        parent[key].update(weights)

    @staticmethod
    def _checked_weights(weights: Any, method: str) -> dict[str, np.ndarray]:
        if not isinstance(weights, Mapping):
            raise ValueError(
                f"KerasFileEditor.{method}: `weights` is a dict of weight names ('0', '1', ...) "
                f"to arrays. Received: {type(weights).__name__}"
            )
        out = {}
        for name, value in weights.items():
            if "/" in str(name):
                raise ValueError(f"KerasFileEditor.{method}: a weight name has no '/'. Received: {name!r}")
            out[str(name)] = np.asarray(value)
        return out

    # -------------------------------------------------------------------- save
    def save(self, filepath: Any) -> None:
        """Writes the (edited) weights as a `.weights.h5` file in Keras' layout, atomically.

        Args:
            filepath: A path ending in `.weights.h5` (it may be the opened file).
        """
        from layerax.saving.weights_formats import _write_h5

        filepath = str(filepath)
        if not filepath.endswith(".weights.h5"):
            raise ValueError(
                "KerasFileEditor.save writes a '.weights.h5' file. "
                f"Received: filepath={filepath!r}. Use a path ending in '.weights.h5'."
            )
        paths = _object_paths(self.weights_dict)
        names = {p: m["name"] for p, m in self.object_metadata.items() if p in paths and "name" in m}
        _write_h5(filepath, _flatten(self.weights_dict), {"layers": names})

    def resave_weights(self, filepath: Any) -> None:
        """The same as `save`."""
        self.save(filepath)
