"""Lambda: wraps a function as a layer; its config names the function, never its code."""

from __future__ import annotations

import importlib
import inspect
import weakref
from collections.abc import Callable, Mapping
from typing import Any

import jax

from layerax import activations
from layerax.core import registry, serialization
from layerax.core.layer import Layer

# Functions serialized in this process, by marker id, so that a config made here can be
# turned back into a layer here (cloning) when the caller allows Python functions.
_LIVE_FUNCTIONS: weakref.WeakValueDictionary[int, Any] = weakref.WeakValueDictionary()

_SAFE_MODE_MESSAGE = (
    "Requested the deserialization of a `Lambda` layer whose `{what}` is the Python function "
    "{name!r}. Rebuilding arbitrary Python functions from a config can execute arbitrary code, "
    "so it is disallowed by default. If you trust the source of the config, pass "
    "`safe_mode=False`; or pass the function in `custom_objects={{{short!r}: fn}}`; or "
    "register it with `@register_serializable()`."
)


def _is_shape(value: Any) -> bool:
    return isinstance(value, (tuple, list)) and all(
        d is None or (isinstance(d, int) and not isinstance(d, bool)) for d in value
    )


def _serialize_function(fn: Any) -> Any:
    """A name or a marker for `fn`: registered and layerax functions by name, others by marker."""
    registered = registry.custom_name(fn)
    if registered is not None:
        return {"class_name": "function", "config": registered, "registered_name": registered}
    name = registry.name_in("activations", fn)
    if name is not None:
        return {"class_name": "function", "config": name, "module": "layerax.activations"}
    qualname = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None)
    module = getattr(fn, "__module__", None)
    if qualname is None:
        raise ValueError(
            f"Lambda cannot serialize {fn!r} of type {type(fn).__name__}: expected a function."
        )
    if "<" in qualname:
        # A lambda or a nested function: nothing importable; keep a marker.
        _LIVE_FUNCTIONS[id(fn)] = fn
        return {
            "class_name": "__lambda__",
            "config": {"name": qualname, "module": module, "id": id(fn)},
        }
    try:
        _LIVE_FUNCTIONS[id(fn)] = fn
    except TypeError:  # objects that cannot be weakly referenced are found by import
        pass
    return {"class_name": "function", "config": qualname, "module": module, "id": id(fn)}


def _short_name(qualname: str) -> str:
    return qualname.rsplit(".", 1)[-1]


def _deserialize_function(
    config: Any, what: str, custom_objects: Mapping[str, Any] | None, safe_mode: bool
) -> Any:
    """Inverse of `_serialize_function`; Python functions need `safe_mode=False`."""
    if callable(config):
        return config
    if isinstance(config, str):
        found = serialization.get_registered_object(config, custom_objects)
        return found if found is not None else activations.get(config)
    if not isinstance(config, Mapping) or "class_name" not in config:
        raise ValueError(
            f"Could not deserialize the `{what}` of a Lambda layer: expected a function name or "
            f"a dict with 'class_name' and 'config'. Received: {config!r}"
        )
    kind, inner = config["class_name"], config.get("config")
    if kind == "function":
        name = str(inner)
        found = serialization.get_registered_object(name, custom_objects)
        if found is None and custom_objects:
            found = custom_objects.get(_short_name(name))
        if found is not None:
            return found
        module = config.get("module")
        if module == "layerax.activations":
            return activations.get(name)
        if module is None:
            raise ValueError(
                f"Unknown function {name!r} in the `{what}` of a Lambda layer. Pass it in "
                f"`custom_objects={{{_short_name(name)!r}: fn}}` or register it with "
                "`@register_serializable()`."
            )
        if safe_mode:
            raise ValueError(_SAFE_MODE_MESSAGE.format(what=what, name=f"{module}.{name}",
                                                       short=_short_name(name)))
        live = _LIVE_FUNCTIONS.get(config.get("id", -1))
        if live is not None and getattr(live, "__qualname__", None) == name:
            return live
        obj: Any = importlib.import_module(module)
        for part in name.split("."):
            obj = getattr(obj, part)
        return obj
    if kind == "__lambda__":
        inner = dict(inner or {})
        name = str(inner.get("name", "<lambda>"))
        if custom_objects and _short_name(name) in custom_objects:
            return custom_objects[_short_name(name)]
        if safe_mode:
            raise ValueError(_SAFE_MODE_MESSAGE.format(what=what, name=name,
                                                       short=_short_name(name)))
        live = _LIVE_FUNCTIONS.get(inner.get("id", -1))
        if live is not None and getattr(live, "__qualname__", None) == name:
            return live
        raise ValueError(
            f"The `{what}` of this Lambda layer is the Python function {name!r} (module "
            f"{inner.get('module')!r}), which a config stores only by name and which cannot be "
            "imported. Pass it in `custom_objects={"
            f"{_short_name(name)!r}: fn}}` to rebuild the layer."
        )
    raise ValueError(
        f"Could not deserialize the `{what}` of a Lambda layer: unknown class_name {kind!r}."
    )


def _accepts(fn: Callable[..., Any], name: str) -> bool:
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return name in params


class Lambda(Layer):
    """Wraps a function `function(inputs, **arguments)` as a layer.

    Use it for simple stateless expressions; write a `Layer` subclass for
    anything with weights. A config stores the function only by name (layerax
    activations and registered functions) or as a marker (other Python
    functions, lambdas); rebuilding a layer from a marker needs
    `from_config(config, safe_mode=False)` (or the function in `custom_objects`),
    because turning configs into Python functions can execute arbitrary code.

    Args:
        function: The function; takes the inputs first, and may take `mask` and
            `training` keyword arguments.
        output_shape: Output shape without the batch axis (a tuple, or a nested
            structure of tuples), or a function from the full input shape to the full
            output shape. Inferred by abstract evaluation when None.
        mask: None (the layer drops masks), a function `(inputs, mask) -> mask`, or a
            fixed mask returned for every input.
        arguments: Extra keyword arguments passed to `function`.

    Input shape:
        Whatever `function` accepts.

    Output shape:
        `output_shape`, or what `function` returns.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> layer = lx.layers.Lambda(lambda x, scale: scale * x, arguments={"scale": 3.0})
        >>> layer(jnp.ones((1, 2))).tolist()
        [[3.0, 3.0]]
        >>> layer.get_config()["function"]["class_name"]
        '__lambda__'
        >>> clone = lx.layers.Lambda.from_config(layer.get_config(), safe_mode=False)
        >>> clone(jnp.ones((1, 2))).tolist()
        [[3.0, 3.0]]
    """

    def __init__(
        self,
        function: Callable[..., Any],
        output_shape: Any = None,
        mask: Any = None,
        arguments: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(
                f"Layer '{self.name}': `function` must be callable. Received: "
                f"function={function!r} of type {type(function).__name__}"
            )
        if output_shape is not None and not callable(output_shape) and not _is_output_shape(
            output_shape
        ):
            raise ValueError(
                f"Layer '{self.name}': `output_shape` must be a tuple of ints/None (without the "
                "batch axis), a structure of such tuples, or a function of the input shape. "
                f"Received: output_shape={output_shape!r}"
            )
        self.arguments = dict(arguments or {})
        self.function = function
        self.mask = mask
        self.supports_masking = mask is not None
        if isinstance(output_shape, list) and _is_shape(output_shape):
            output_shape = tuple(output_shape)
        self._output_shape = output_shape
        self._fn_expects_training_arg = _accepts(function, "training")
        self._fn_expects_mask_arg = _accepts(function, "mask")

    def call(self, inputs: Any, mask: Any = None, training: Any = None) -> Any:
        kwargs = dict(self.arguments)
        if self._fn_expects_mask_arg:
            kwargs["mask"] = mask
        if self._fn_expects_training_arg:
            kwargs["training"] = training
        return self.function(inputs, **kwargs)

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        if callable(self.mask):
            return self.mask(inputs, previous_mask)
        return self.mask

    def compute_output_shape(self, input_shape: Any) -> Any:
        if self._output_shape is None:
            try:
                return super().compute_output_shape(input_shape)
            except Exception as err:
                raise NotImplementedError(
                    f"Layer '{self.name}': could not infer the output shape of the Lambda's "
                    f"function for input shape {input_shape} ({type(err).__name__}: {err}). Pass "
                    "the `output_shape` argument."
                ) from err
        if callable(self._output_shape):
            return self._output_shape(input_shape)
        leaves = jax.tree_util.tree_leaves(input_shape, is_leaf=_is_shape)
        batch = leaves[0][0] if leaves and len(leaves[0]) else None
        return _map_shapes(lambda s: (batch, *s), self._output_shape)

    def get_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {
            **super().get_config(),
            "function": _serialize_function(self.function),
        }
        if self._output_shape is not None:
            config["output_shape"] = (
                _serialize_function(self._output_shape)
                if callable(self._output_shape)
                else self._output_shape
            )
        if self.mask is not None:
            if callable(self.mask):
                config["mask"] = _serialize_function(self.mask)
            else:
                config["mask"] = jax.numpy.asarray(self.mask).tolist()
        config["arguments"] = {
            k: (v.tolist() if hasattr(v, "tolist") else v) for k, v in self.arguments.items()
        }
        return config

    @classmethod
    def from_config(
        cls,
        config: dict[str, Any],
        custom_objects: Mapping[str, Any] | None = None,
        safe_mode: bool | None = None,
    ) -> Lambda:
        """Rebuilds a Lambda from `get_config()`.

        Args:
            config: The config.
            custom_objects: Functions by name, used before anything else.
            safe_mode: When True (default), a config naming a Python function that is
                neither registered, a layerax activation, nor in `custom_objects` raises
                a ValueError; pass False only for configs you trust. None follows the
                enclosing `load_model(..., safe_mode=...)` (True elsewhere).

        Raises:
            ValueError: in safe mode, for a Python function; when the function cannot be
                found.
        """
        config = dict(config)
        if safe_mode is None:
            safe_mode = serialization.in_safe_mode()
        # Functions given to an enclosing `custom_object_scope` / `load_model(custom_objects=)`.
        custom_objects = {**serialization.current_custom_objects(), **(custom_objects or {})}
        config["function"] = _deserialize_function(
            config["function"], "function", custom_objects, safe_mode
        )
        shape = config.get("output_shape")
        if isinstance(shape, Mapping) or isinstance(shape, str):
            config["output_shape"] = _deserialize_function(
                shape, "output_shape", custom_objects, safe_mode
            )
        elif shape is not None:
            config["output_shape"] = _tuples(shape)
        mask = config.get("mask")
        if isinstance(mask, Mapping):
            config["mask"] = _deserialize_function(mask, "mask", custom_objects, safe_mode)
        elif mask is not None:
            config["mask"] = jax.numpy.asarray(mask)
        return cls(**config)


def _is_output_shape(value: Any) -> bool:
    if _is_shape(value):
        return True
    if isinstance(value, (list, tuple)):
        return all(_is_output_shape(v) for v in value)
    if isinstance(value, dict):
        return all(_is_output_shape(v) for v in value.values())
    return False


def _map_shapes(fn: Callable[[tuple[Any, ...]], Any], shapes: Any) -> Any:
    if _is_shape(shapes):
        return fn(tuple(shapes))
    if isinstance(shapes, dict):
        return {k: _map_shapes(fn, v) for k, v in shapes.items()}
    return type(shapes)(_map_shapes(fn, v) for v in shapes)


def _tuples(shapes: Any) -> Any:
    """JSON lists back to shape tuples."""
    return _map_shapes(tuple, shapes)
