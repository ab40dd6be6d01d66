"""Plumbing of `Layer.__call__` and `build`: call signatures, shapes, casting, symbolic hooks."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

import jax
import numpy as np

from layerax.core import autocast, naming
from layerax.core.context import CTX, bump_structure_version, jax_is_tracing
from layerax.core.rematerialize import call_checkpointed, checkpointed, probe

FORGOT_SUPER = (
    "In layer '{cls}', you forgot to call `super().__init__()` as the first statement in "
    "the `__init__()` method. Go add it!"
)

# Hooks for symbolic (functional API) calls, installed by layerax.models.symbolic into
# `CTX.process`: `symbolic_check(args, kwargs)` says whether a call is symbolic,
# `symbolic_call(layer, args, kwargs)` records it, `symbolic_attr(layer, name)` answers
# `layer.input`/`output`/`input_shape`/`output_shape`.


def _symbolic_property(attr: str, doc: str) -> property:
    """A read-mostly property answered by the functional API's bookkeeping.

    A value assigned by a subclass (e.g. `self.output = Dense(2)`) is stored in
    the instance and wins, so user attributes of these names keep working.
    """

    def getter(self: Any) -> Any:
        if attr in self.__dict__:
            return self.__dict__[attr]
        hook = CTX.process.symbolic_attr
        if hook is None:
            raise AttributeError(f"Layer '{self.name}' has no attribute '{attr}'.")
        return hook(self, attr)

    def setter(self: Any, value: Any) -> None:
        self.__dict__[attr] = value

    def deleter(self: Any) -> None:
        self.__dict__.pop(attr, None)

    return property(getter, setter, deleter, doc)


class _CallInfo:
    """What a layer class's `call` signature accepts, computed once per class."""

    __slots__ = ("params", "has_var_kwargs", "accepts_training", "accepts_mask", "training_default",
                 "training_index", "first_arg")

    def __init__(self, call: Callable[..., Any]) -> None:
        sig = inspect.signature(call)
        params = [p for p in sig.parameters.values() if p.name != "self"]
        self.params = params
        self.has_var_kwargs = any(p.kind is p.VAR_KEYWORD for p in params)
        names = [p.name for p in params]
        self.accepts_training = "training" in names or self.has_var_kwargs
        self.accepts_mask = "mask" in names
        self.training_default = None
        self.training_index = None
        for i, p in enumerate(params):
            if p.name == "training":
                if p.default is not inspect.Parameter.empty:
                    self.training_default = p.default
                if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
                    self.training_index = i
        self.first_arg = names[0] if names else None


def _shape_tree(x: Any) -> Any:
    """Shapes (tuples) of the arrays in a nested structure."""
    if isinstance(x, list):
        return [_shape_tree(v) for v in x]
    if isinstance(x, tuple):
        return tuple(_shape_tree(v) for v in x)
    if isinstance(x, dict):
        return {k: _shape_tree(v) for k, v in x.items()}
    shape = getattr(x, "shape", None)
    if shape is None:
        if isinstance(x, (int, float, bool)):
            return ()
        return None
    return tuple(shape)


def _relayout(outputs: Any, distribution: Any) -> Any:
    """Lays out a layer's outputs as the distribution says for `<layer path>/output`."""
    sharding = distribution._lx_output_layout("/".join(CTX.name_scope) + "/output")
    if sharding is None:
        return outputs

    def place(x: Any) -> Any:
        if isinstance(x, jax.core.Tracer):
            return jax.lax.with_sharding_constraint(x, sharding)
        return jax.device_put(x, sharding) if isinstance(x, jax.Array) else x

    return jax.tree.map(place, outputs)


def _cast_floats(x: Any, dtype: np.dtype) -> Any:
    """`x` with its floating arrays (in lists/tuples/dicts) cast to `dtype`; the rest unchanged."""
    if isinstance(x, (list, tuple)):
        items = [_cast_floats(v, dtype) for v in x]
        return type(x)(items) if type(x) in (list, tuple) else x
    if isinstance(x, dict):
        return {k: _cast_floats(v, dtype) for k, v in x.items()}
    if (isinstance(x, (jax.Array, np.ndarray)) and x.dtype != dtype
            and autocast.is_float_dtype(x.dtype)):
        return jax.numpy.asarray(x, dtype=dtype)
    return x


def _dtype_tree(x: Any) -> Any:
    """Dtype names of the arrays in a nested structure (None where there is no array)."""
    if isinstance(x, (list, tuple)):
        return [_dtype_tree(v) for v in x]
    if isinstance(x, dict):
        return {k: _dtype_tree(v) for k, v in x.items()}
    dtype = getattr(x, "dtype", None)
    if dtype is None:
        return None
    try:
        return np.dtype(dtype).name
    except TypeError:
        return str(dtype)



def _wrap_build(build: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(build)
    def wrapped(self: Any, *args: Any, **kwargs: Any) -> Any:
        if "_lx_initialized" not in self.__dict__:
            raise RuntimeError(FORGOT_SUPER.format(cls=type(self).__name__))
        with naming.name_scope(self.name):
            out = build(self, *args, **kwargs)
        object.__setattr__(self, "built", True)
        bump_structure_version()
        return out

    wrapped._lx_wrapped = True  # type: ignore[attr-defined]
    return wrapped


def _build_takes_named_shapes(layer: Any) -> bool:
    """Whether `build` has the `build(self, query_shape, value_shape)` form."""
    params = [p.name for p in inspect.signature(type(layer).build).parameters.values() if p.name != "self"]
    return len(params) > 1 and all(p.endswith("_shape") for p in params)


def _build_shapes(layer: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """The `input_shape` argument of build: the first input's shape(s), or a dict of
    `<arg>_shape` entries when `build` names several of the call's array arguments."""
    build = type(layer).build
    build_params = [
        p.name for p in inspect.signature(build).parameters.values() if p.name != "self"
    ]
    first = args[0] if args else (next(iter(kwargs.values())) if kwargs else None)
    if len(build_params) > 1 and all(p.endswith("_shape") for p in build_params):
        info = layer._call_info()
        names = [p.name for p in info.params]
        bound = dict(zip(names, args))
        bound.update(kwargs)
        shapes = {}
        for param in build_params:
            arg = bound.get(param[: -len("_shape")])
            shapes[param] = _shape_tree(arg) if arg is not None else None
        return shapes
    return _shape_tree(first)




# ------------------------------------------------------------------ rematerialization


def _output_size(shapes: Any) -> int:
    return sum(int(np.prod(leaf.shape)) for leaf in jax.tree_util.tree_leaves(shapes))


def remat_call(layer: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Callable[..., Any]:
    """The callable that runs `layer.call` under the layer's RematScope setting.

    - "full": the whole call is checkpointed;
    - "list_of_layers": checkpointed when the layer's name is listed;
    - "larger_than": checkpointed when its outputs have more than `output_size_threshold`
      elements (found by the abstract trace that also finds the call's state);
    - "activations": only the layer's `activation` is checkpointed, if it has one.
    """
    setting = layer._remat_mode
    mode = setting.mode
    if mode == "full":
        return checkpointed(layer.call)
    if mode == "list_of_layers":
        return checkpointed(layer.call) if layer.name in setting.layer_names else layer.call
    if mode == "larger_than":

        def checkpointed_if_large(*call_args: Any, **call_kwargs: Any) -> Any:
            if not jax_is_tracing():
                return layer.call(*call_args, **call_kwargs)
            found = probe(layer.call, call_args, call_kwargs)
            if _output_size(found.output_shapes) > setting.output_size_threshold:
                return call_checkpointed(layer.call, call_args, call_kwargs, found)
            return layer.call(*call_args, **call_kwargs)

        return checkpointed_if_large
    if mode == "activations":
        activation = getattr(layer, "activation", None)
        if activation is None:
            return layer.call

        def with_checkpointed_activation(*call_args: Any, **call_kwargs: Any) -> Any:
            object.__setattr__(layer, "activation", checkpointed(activation))
            try:
                return layer.call(*call_args, **call_kwargs)
            finally:
                object.__setattr__(layer, "activation", activation)

        return with_checkpointed_activation
    return layer.call
