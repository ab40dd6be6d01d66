"""Layer configs written by Keras 3 (`keras_model.get_config()`), made loadable by layerax.

Keras 3.15 writes keys that layerax layers do not take, or takes in another
form. `normalize_keras_layer_config` maps what layerax supports and drops the
rest, with a `UserWarning` naming the key and the layer:

* `dtype` as a `DTypePolicy` dict (`{"class_name": "DTypePolicy", "config":
  {"name": "mixed_float16"}}`) becomes the policy's name;
* `quantization_config: None` (Keras' default) is dropped silently: it means
  "not quantized", which is what layerax does; a non-None value warns;
* any other key that the layer's `__init__` chain does not accept warns and is
  dropped.

Only configs whose `module` names Keras (`keras.layers`, `keras.src...`) are
changed, and only for classes that keep the base `Layer.from_config` (models
and wrappers parse their own configs): a layerax config with a wrong key still
raises. `layerax.core.serialization.deserialize` applies it to every layer
config, so layers nested in wrappers (`TimeDistributed`, `Bidirectional`) are
covered too.

`keras_call_kwargs` does the same for the call arguments of a Keras graph's nodes.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Mapping
from typing import Any

from layerax.core.layer import Layer

__all__ = ["is_keras_config", "keras_call_kwargs", "normalize_keras_layer_config"]

# Keys Keras writes whose default value means "nothing to do" for layerax.
_SILENT_DEFAULTS: dict[str, Any] = {"quantization_config": None}


def is_keras_config(config: Mapping[str, Any]) -> bool:
    """Whether a serialized object's `module` names Keras (`keras.layers`, `keras.src...`)."""
    module = config.get("module")
    return isinstance(module, str) and (module == "keras" or module.startswith("keras."))


def _accepted_keys(cls: type) -> set[str] | None:
    """Keyword names the `__init__` chain of `cls` accepts; None when it takes any."""
    keys: set[str] = set()
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        try:
            params = inspect.signature(init).parameters.values()
        except (TypeError, ValueError):
            return None
        keys.update(p.name for p in params if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD))
        if not any(p.kind is p.VAR_KEYWORD for p in params):
            return keys
        if klass is Layer:
            from layerax.core.layer.base import _ALLOWED_KWARGS

            return keys | set(_ALLOWED_KWARGS)
    return None


def _dtype(value: Any) -> Any:
    if isinstance(value, Mapping) and "class_name" in value:
        inner = value.get("config") or {}
        if isinstance(inner, Mapping) and "name" in inner:
            return inner["name"]
    return value


def normalize_keras_layer_config(cls: type, config: Mapping[str, Any]) -> dict[str, Any]:
    """The inner `config` of a Keras-written layer config, as `cls.from_config` takes it.

    Args:
        cls: The layerax class the config resolved to.
        config: The inner config (`keras_config["config"]`).

    Example:
        >>> import warnings, layerax as lx
        >>> from layerax.core.keras_configs import normalize_keras_layer_config
        >>> cfg = {"name": "d", "units": 2, "quantization_config": None,
        ...        "dtype": {"module": "keras", "class_name": "DTypePolicy",
        ...                  "config": {"name": "float32"}, "registered_name": None}}
        >>> normalize_keras_layer_config(lx.layers.Dense, cfg)
        {'name': 'd', 'units': 2, 'dtype': 'float32'}
    """
    out = dict(config)
    if getattr(cls, "from_config", None) is not None and getattr(cls.from_config, "__func__", None) is not Layer.from_config.__func__:  # type: ignore[attr-defined]
        return out
    if "dtype" in out:
        out["dtype"] = _dtype(out["dtype"])
    accepted = _accepted_keys(cls)
    if accepted is None:
        return out
    for key in list(out):
        if key in accepted:
            continue
        value = out.pop(key)
        if key in _SILENT_DEFAULTS and value == _SILENT_DEFAULTS[key]:
            continue
        warnings.warn(
            f"Layer '{config.get('name')}' ({cls.__name__}): ignoring the Keras config key "
            f"{key!r} (={value!r}), which layerax's {cls.__name__} does not support.",
            UserWarning,
            stacklevel=4,
        )
    return out


def keras_call_kwargs(layer: Layer, kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """A Keras node's call kwargs less the entries Keras fills in by itself.

    When Keras records a call, it adds `mask=None` for layers whose `call` takes a
    mask, and `training=<the call signature's default>` (a Dropout's `False`). In
    Keras these do not pin anything: the model's own `training` replaces them. In
    layerax an argument recorded in a node is the one the layer always gets, so a
    Dropout of a Keras graph would never drop during `fit`; without these entries
    the layer follows the model's `training`, as in Keras. Values Keras did not
    fill in itself (`training=True`, a mask tensor) are kept.

    Example:
        >>> import layerax as lx
        >>> from layerax.core.keras_configs import keras_call_kwargs
        >>> keras_call_kwargs(lx.layers.Dropout(0.5), {"training": False, "mask": None})
        {}
        >>> keras_call_kwargs(lx.layers.Dropout(0.5), {"training": True})
        {'training': True}
    """
    info = layer._call_info()
    out = dict(kwargs)
    if "mask" in out and out["mask"] is None:
        del out["mask"]
    training = out.get("training")
    if type(training) is bool and training is info.training_default:
        del out["training"]
    return out
