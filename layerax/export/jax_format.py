"""The JAX-native export format: serialized `jax.export` programs (StableHLO) and their weights.

`model.export(path, format="jax")` and `ExportArchive.write_out(path)` write a
directory that needs only `jax` and `numpy` to run, not layerax:

* `<endpoint>.jaxexport`: one serialized `jax.export.Exported` per endpoint
  (`serve` for `model.export`). Its function takes `(variables, *inputs)`:
  the list of variable values, then the endpoint's inputs. Dimensions given
  as None in the input signature are symbolic: the first axis of every input
  shares one batch symbol `b`, other unknown axes get their own.
* `variables.npz`: the values of the exported variables, as `v0`, `v1`, ...
  in the order the programs take them.
* `signature.json`: the format version, the endpoints with their input shapes
  and dtypes, the platforms the programs were lowered for, and the jax version.

Loading it without layerax::

    import json, numpy as np
    from jax import export
    store = np.load(f"{path}/variables.npz")
    variables = [store[f"v{i}"] for i in range(len(store.files))]
    serve = export.deserialize(open(f"{path}/serve.jaxexport", "rb").read())
    outputs = serve.call(variables, x)

`lx.export.load_jax_export(path)` does the same and returns one callable per
endpoint.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from typing import Any

import jax
import numpy as np
from jax import export as jax_export

__all__ = ["FORMAT", "VERSION", "load_jax_export", "symbolic_specs", "write_jax_export"]

FORMAT = "layerax-jax-export"
VERSION = 1


def _spec_shape(spec: Any) -> tuple[Any, ...]:
    shape = getattr(spec, "shape", spec)
    if shape is None:
        raise ValueError(f"The input signature entry {spec!r} has no shape. Give each input a shape.")
    return tuple(shape)


def _spec_dtype(spec: Any) -> str:
    dtype = getattr(spec, "dtype", None)
    return np.dtype(dtype or "float32").name


def symbolic_specs(signature: Any) -> Any:
    """`jax.ShapeDtypeStruct`s for an input signature, None dimensions made symbolic.

    The first axis of every input shares the batch symbol `b`; other None axes
    get their own symbols.

    Args:
        signature: A pytree (list, tuple, dict) whose leaves are `lx.InputSpec`,
            `lx.KerasTensor`, `jax.ShapeDtypeStruct` or shape tuples (float32).

    Example:
        >>> import layerax as lx
        >>> from layerax.export.jax_format import symbolic_specs
        >>> [spec] = symbolic_specs([lx.InputSpec(shape=(None, 3))])
        >>> str(spec.shape[0]), spec.shape[1], spec.dtype.name
        ('b', 3, 'float32')
    """
    scope = jax_export.SymbolicScope()
    counter = [0]

    def is_leaf(x: Any) -> bool:
        return hasattr(x, "shape") or (isinstance(x, tuple) and all(d is None or isinstance(d, int) for d in x))

    def convert(spec: Any) -> Any:
        dims = []
        for axis, dim in enumerate(_spec_shape(spec)):
            if dim is None:
                if axis == 0:
                    dims.append("b")
                else:
                    counter[0] += 1
                    dims.append(f"d{counter[0]}")
            else:
                dims.append(str(int(dim)))
        shape = jax_export.symbolic_shape(", ".join(dims), scope=scope) if dims else ()
        return jax.ShapeDtypeStruct(shape, _spec_dtype(spec))

    return jax.tree_util.tree_map(convert, signature, is_leaf=is_leaf)


def _describe(signature: Any) -> Any:
    def is_leaf(x: Any) -> bool:
        return hasattr(x, "shape") or (isinstance(x, tuple) and all(d is None or isinstance(d, int) for d in x))

    return jax.tree_util.tree_map(
        lambda s: {"shape": [None if d is None else int(d) for d in _spec_shape(s)], "dtype": _spec_dtype(s)},
        signature, is_leaf=is_leaf)


def _flatbuffers_missing() -> ImportError:
    return ImportError(
        "Writing or reading a jax export needs the `flatbuffers` package, which jax uses to "
        "serialize programs: `pip install layerax[export]` (or `pip install flatbuffers`)."
    )


def _serialize(exported: Any) -> bytes:
    try:
        import flatbuffers  # noqa: F401
    except ImportError:
        raise _flatbuffers_missing() from None
    return bytes(exported.serialize())


def write_jax_export(
    filepath: str | os.PathLike[str],
    endpoints: dict[str, tuple[Callable[..., Any], Any]],
    variables: Sequence[Any],
    platforms: Sequence[str] | None = None,
) -> None:
    """Lowers each endpoint to StableHLO and writes the export directory (see the module doc).

    The directory is written to a temporary sibling and renamed into place, so
    a failed export leaves an existing directory as it was.

    Args:
        filepath: The directory to write.
        endpoints: name -> `(fn, input_signature)`; `fn(variable_values, *inputs)` is pure.
        variables: The variables whose values the programs take, in order.
        platforms: Platforms to lower for (`"cpu"`, `"cuda"`, `"tpu"`); the default
            backend's platform by default.
    """
    filepath = os.fspath(filepath)
    if os.path.exists(filepath) and not os.path.isdir(filepath):
        raise ValueError(
            f"Cannot export to {filepath!r}: it is a file. The jax export format is a "
            "directory; pass a directory path."
        )
    values = [np.asarray(v.value if hasattr(v, "value") else v) for v in variables]
    value_specs = [jax.ShapeDtypeStruct(v.shape, v.dtype) for v in values]
    meta: dict[str, Any] = {
        "format": FORMAT, "version": VERSION, "jax_version": jax.__version__,
        "variables": "variables.npz", "num_variables": len(values), "endpoints": {},
    }
    programs: dict[str, bytes] = {}
    for name, (fn, signature) in endpoints.items():
        if not name.isidentifier():
            raise ValueError(f"Endpoint name {name!r} must be a Python identifier (e.g. 'serve').")
        specs = symbolic_specs(list(signature))
        kwargs = {"platforms": tuple(platforms)} if platforms else {}
        try:
            exported = jax_export.export(jax.jit(fn), **kwargs)(value_specs, *specs)
        except Exception as err:
            raise ValueError(
                f"Could not export endpoint '{name}' with input signature {_describe(list(signature))}: "
                f"{type(err).__name__}: {err}. Check that the function runs on inputs of that "
                "signature; give fixed sizes for axes that the model cannot leave unknown."
            ) from err
        programs[name] = _serialize(exported)
        meta["endpoints"][name] = {
            "file": f"{name}.jaxexport",
            "inputs": _describe(list(signature)),
            "platforms": list(exported.platforms),
        }
    parent = os.path.dirname(os.path.abspath(filepath))
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".export-", dir=parent)
    try:
        np.savez(os.path.join(tmp, "variables.npz"), **{f"v{i}": v for i, v in enumerate(values)})
        for name, data in programs.items():
            with open(os.path.join(tmp, f"{name}.jaxexport"), "wb") as f:
                f.write(data)
        with open(os.path.join(tmp, "signature.json"), "w") as f:
            json.dump(meta, f, indent=2)
        old = None
        if os.path.isdir(filepath):
            old = filepath + ".old-export"
            shutil.rmtree(old, ignore_errors=True)
            os.rename(filepath, old)
        os.rename(tmp, filepath)
        if old:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def load_jax_export(filepath: str | os.PathLike[str]) -> dict[str, Callable[..., Any]]:
    """The endpoints of an export directory, as callables of the endpoint's inputs.

    Raises:
        ValueError: when the directory is not a layerax jax export.

    Example:
        >>> import layerax as lx, numpy as np, tempfile, os
        >>> model = lx.Sequential([lx.Input((3,)), lx.layers.Dense(2)])
        >>> path = os.path.join(tempfile.mkdtemp(), "exported")
        >>> model.export(path, format="jax", verbose=False)
        >>> serve = lx.export.load_jax_export(path)["serve"]
        >>> x = np.ones((5, 3), "float32")
        >>> bool(np.allclose(serve(x), model.predict(x, verbose=0), atol=1e-6))
        True
    """
    filepath = os.fspath(filepath)
    meta_path = os.path.join(filepath, "signature.json")
    try:
        with open(meta_path) as f:
            meta = json.load(f)
    except (OSError, json.JSONDecodeError) as err:
        raise ValueError(
            f"{filepath!r} is not a layerax jax export directory (cannot read signature.json: "
            f"{err}). Write one with `model.export(path, format='jax')`."
        ) from None
    if meta.get("format") != FORMAT:
        raise ValueError(f"{meta_path!r} is not a layerax jax export (format {meta.get('format')!r}).")
    with np.load(os.path.join(filepath, meta["variables"])) as store:
        values = [store[f"v{i}"] for i in range(meta["num_variables"])]
    out = {}
    for name, entry in meta["endpoints"].items():
        try:
            import flatbuffers  # noqa: F401
        except ImportError:
            raise _flatbuffers_missing() from None
        with open(os.path.join(filepath, entry["file"]), "rb") as f:
            exported = jax_export.deserialize(bytearray(f.read()))

        def call(*inputs: Any, _exported: Any = exported) -> Any:
            return _exported.call(values, *inputs)

        call.__name__ = name
        out[name] = call
    return out
