"""`lx.export.ExportArchive` and `Model.export`: serving programs of a model.

An archive tracks layers or models (their variables) and endpoints, functions
of the tracked objects with fixed input signatures. `write_out(path)` lowers
each endpoint with `jax.export` to StableHLO and writes the JAX-native export
directory (`layerax/export/jax_format.py`), which runs with jax alone;
`format="tf_saved_model"` writes a TensorFlow SavedModel through `jax2tf`
instead (TensorFlow must be installed).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Sequence
from typing import Any

import jax

from layerax.core.layer import Layer
from layerax.core.state import run_with_state
from layerax.export import jax_format

__all__ = ["FORMATS", "ExportArchive", "export_model"]

FORMATS = ("jax", "tf_saved_model")


def _check_format(format: str) -> None:
    if format in ("onnx", "openvino", "litert"):
        raise ValueError(
            f"Export format {format!r} is not available in layerax (it needs Keras' TensorFlow "
            f"or torch backends). Supported formats: {FORMATS}."
        )
    if format not in FORMATS:
        raise ValueError(f"Unknown export format {format!r}. Supported formats: {FORMATS}.")


class ExportArchive:
    """Collects models, layers and endpoints, and writes them as a serving artifact.

    Example:
        >>> import layerax as lx, numpy as np, tempfile, os
        >>> model = lx.Sequential([lx.Input((3,)), lx.layers.Dense(2)])
        >>> archive = lx.export.ExportArchive()
        >>> archive.track(model)
        >>> archive.add_endpoint("serve", lambda x: model(x, training=False),
        ...                      input_signature=[lx.InputSpec(shape=(None, 3), dtype="float32")])
        >>> path = os.path.join(tempfile.mkdtemp(), "archive")
        >>> archive.write_out(path, verbose=False)
        >>> sorted(os.listdir(path))
        ['serve.jaxexport', 'signature.json', 'variables.npz']
    """

    def __init__(self) -> None:
        self._tracked: list[Layer] = []
        self._endpoints: dict[str, tuple[Callable[..., Any], list[Any]]] = {}
        self._collections: dict[str, list[Any]] = {}

    def track(self, resource: Any) -> None:
        """Tracks a built layer or model: its variables become part of the archive.

        Raises:
            ValueError: for an object that is not a layer, or an unbuilt one.
        """
        if not isinstance(resource, Layer):
            raise ValueError(
                "ExportArchive.track() takes a layer or a model (an lx.Layer). Received: "
                f"{resource!r} of type {type(resource).__name__}."
            )
        if not resource.built:
            raise ValueError(
                f"The layer '{resource.name}' must be built before it is tracked: call it once "
                "on data of the right shape (or call `build(input_shape)`)."
            )
        if all(resource is not r for r in self._tracked):
            self._tracked.append(resource)

    def add_endpoint(self, name: str, fn: Callable[..., Any] | None = None,
                     input_signature: Sequence[Any] | None = None, **kwargs: Any) -> None:
        """Adds an endpoint: `fn` called on inputs of `input_signature`.

        Args:
            name: The endpoint's name (a Python identifier, e.g. "serve").
            fn: A function of the tracked objects (e.g. `lambda x: model(x, training=False)`).
            input_signature: One entry per positional argument of `fn`: an
                `lx.InputSpec`, a `jax.ShapeDtypeStruct`, a shape tuple, or a
                list/dict of them; None dimensions stay unknown (symbolic).
            **kwargs: `jax2tf_kwargs` is accepted for Keras compatibility and used by
                the SavedModel format.

        Raises:
            ValueError: for a duplicate name, a missing `fn` or signature, or unknown keywords.
        """
        unknown = set(kwargs) - {"jax2tf_kwargs"}
        if unknown:
            raise ValueError(f"add_endpoint() got unknown keyword arguments {sorted(unknown)}.")
        if name in self._endpoints:
            raise ValueError(f"Endpoint name '{name}' is already taken. Pick another name.")
        if fn is None or not callable(fn):
            raise ValueError(f"add_endpoint('{name}') needs `fn`, a callable. Received: fn={fn!r}")
        if input_signature is None:
            raise ValueError(
                f"add_endpoint('{name}') needs `input_signature`, e.g. "
                "[lx.InputSpec(shape=(None, 3), dtype='float32')]: JAX exports fixed signatures."
            )
        self._endpoints[name] = (fn, list(input_signature))

    def track_and_add_endpoint(self, name: str, resource: Any, input_signature: Sequence[Any],
                               **kwargs: Any) -> None:
        """Tracks `resource` and adds its inference call (`training=False`) as endpoint `name`."""
        self.track(resource)
        self.add_endpoint(name, functools.partial(resource.__call__, training=False),
                          input_signature, **kwargs)

    def add_variable_collection(self, name: str, variables: Sequence[Any]) -> None:
        """Adds named variables to the archive (written as `variables_<name>.npz`)."""
        if not name.isidentifier():
            raise ValueError(f"Variable collection name {name!r} must be a Python identifier.")
        self._collections[name] = list(variables)

    def _variables(self) -> list[Any]:
        seen: set[int] = set()
        out = []
        for resource in self._tracked:
            for var in resource.variables:
                if id(var) not in seen:
                    seen.add(id(var))
                    out.append(var)
        return out

    def _pure(self, fn: Callable[..., Any], variables: list[Any]) -> Callable[..., Any]:
        def pure(values: list[Any], *inputs: Any) -> Any:
            out, _ = run_with_state(variables, values, fn, *inputs)
            return out

        return pure

    def write_out(self, filepath: str | os.PathLike[str], options: Any = None, verify: bool = False,
                  format: str = "jax", verbose: bool = True, platforms: Sequence[str] | None = None) -> None:
        """Writes the archive.

        Args:
            filepath: The directory to write (replaced atomically when it exists).
            options: TensorFlow `SaveOptions` for the SavedModel format.
            verify: Reload the written artifact and check each endpoint on zeros.
            format: `"jax"` (StableHLO programs, see `lx.export.load_jax_export`) or
                `"tf_saved_model"` (needs TensorFlow).
            verbose: Print what was written.
            platforms: For `"jax"`: platforms to lower for (default: the current one).
        """
        _check_format(format)
        if not self._endpoints:
            raise ValueError("No endpoints to export: call `add_endpoint` first.")
        variables = self._variables()
        endpoints = {name: (self._pure(fn, variables), sig) for name, (fn, sig) in self._endpoints.items()}
        if format == "tf_saved_model":
            from layerax.export.saved_model import write_saved_model

            write_saved_model(filepath, endpoints, variables, options)
        else:
            jax_format.write_jax_export(filepath, endpoints, variables, platforms)
            for name, values in self._collections.items():
                import numpy as np

                np.savez(os.path.join(os.fspath(filepath), f"variables_{name}.npz"),
                         **{f"v{i}": np.asarray(v.value) for i, v in enumerate(values)})
            if verify:
                self._verify(filepath)
        if verbose:
            names = ", ".join(self._endpoints)
            print(f"Saved artifact at '{os.fspath(filepath)}' ({format}); endpoints: {names}.")

    def _verify(self, filepath: Any) -> None:
        import numpy as np

        loaded = jax_format.load_jax_export(filepath)
        for name, (_, signature) in self._endpoints.items():
            def zeros(spec: Any) -> Any:
                shape = tuple(1 if d is None else d for d in jax_format._spec_shape(spec))
                return np.zeros(shape, jax_format._spec_dtype(spec))

            args = jax.tree_util.tree_map(zeros, signature, is_leaf=lambda s: hasattr(s, "shape") or (
                isinstance(s, tuple) and all(d is None or isinstance(d, int) for d in s)))
            loaded[name](*args)


def _default_signature(model: Any) -> list[Any]:
    try:
        structure = model.input
    except (AttributeError, ValueError):
        structure = None
    if structure is not None:
        # A functional model (or a built Sequential): its inputs' nesting, as KerasTensors.
        return [jax.tree_util.tree_map(lambda t: _spec(t.shape, t.dtype), structure)]
    build = model.get_build_config() if hasattr(model, "get_build_config") else None
    if build and build.get("input_shape") is not None:
        shape = tuple(build["input_shape"])
        return [_spec((None, *shape[1:]), "float32")]
    raise ValueError(
        f"Model '{model.name}' has no known input signature. Pass "
        "`input_signature=[lx.InputSpec(shape=(None, ...), dtype=...)]`, or call the model on "
        "data once before exporting."
    )


def _spec(shape: Any, dtype: Any) -> Any:
    from layerax.core.input_spec import InputSpec

    return InputSpec(shape=tuple(shape), dtype=str(dtype))


def export_model(model: Any, filepath: str | os.PathLike[str], format: str = "tf_saved_model",
                 verbose: bool | None = None, input_signature: Sequence[Any] | None = None,
                 **kwargs: Any) -> None:
    """`Model.export`: writes the model's inference call as the `serve` endpoint."""
    _check_format(format)
    if not model.built:
        raise ValueError(
            f"Model '{model.name}' must be built before export: call it on data once, or build it."
        )
    signature = list(input_signature) if input_signature is not None else _default_signature(model)
    platforms = kwargs.pop("platforms", None)
    archive = ExportArchive()
    archive.track(model)
    archive.add_endpoint("serve", functools.partial(model.__call__, training=False), signature, **kwargs)
    archive.write_out(filepath, format=format, verbose=True if verbose is None else verbose,
                      platforms=platforms)
