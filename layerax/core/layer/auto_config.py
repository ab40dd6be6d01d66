"""Keras 3's automatic `get_config` for layers whose `__init__` takes only basic values."""

from __future__ import annotations

import functools
import inspect
from typing import Any

def _is_json_basic(value: Any) -> bool:
    if value is None or isinstance(value, (bool, int, float, str)):
        return True
    if isinstance(value, (list, tuple)):
        return all(_is_json_basic(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_json_basic(v) for k, v in value.items())
    return False



@functools.lru_cache(maxsize=None)
def _init_signature(cls: type) -> inspect.Signature | None:
    try:
        return inspect.signature(cls.__init__)
    except (TypeError, ValueError):
        return None


def _init_takes_args(cls: type) -> bool:
    sig = _init_signature(cls)
    if sig is None:
        return False
    return any(
        p.name != "self" and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY, p.POSITIONAL_ONLY)
        and p.name not in ("name", "trainable", "dtype")
        for p in sig.parameters.values()
    )


def _capture_auto_config(cls: type, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    from layerax.core.layer.base import Layer

    if cls.get_config is not Layer.get_config:
        return None
    sig = _init_signature(cls)
    if sig is None:
        return None
    try:
        bound = sig.bind(None, *args, **kwargs)
    except TypeError:
        return None
    config: dict[str, Any] = {}
    for name, value in list(bound.arguments.items())[1:]:
        param = sig.parameters[name]
        if param.kind is param.VAR_KEYWORD:
            config.update(value)
        elif param.kind is param.VAR_POSITIONAL:
            if value:
                return None
        else:
            config[name] = value
    if not _is_json_basic(config):
        return None
    return config


def _init_accepts(cls: type, key: str) -> bool:
    sig = _init_signature(cls)
    if sig is None:
        return True
    return key in sig.parameters or any(
        p.kind is p.VAR_KEYWORD for p in sig.parameters.values()
    )
