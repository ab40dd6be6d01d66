"""Lists and dicts assigned to layer attributes, tracked so that sub-layers added later count."""

from __future__ import annotations

from typing import Any

from layerax.core.context import bump_structure_version


def _bumping(cls: type, name: str) -> Any:
    base = getattr(cls, name)

    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        out = base(self, *args, **kwargs)
        bump_structure_version()
        return out

    method.__name__ = name
    return method


class TrackedList(list):
    """A list whose mutations invalidate the cached weight lists of the layers that hold it."""

    for _name in (
        "append",
        "extend",
        "insert",
        "remove",
        "pop",
        "clear",
        "sort",
        "reverse",
        "__setitem__",
        "__delitem__",
        "__iadd__",
        "__imul__",
    ):
        locals()[_name] = _bumping(list, _name)
    del _name

    def __reduce__(self) -> Any:
        return (list, (list(self),))


class TrackedDict(dict):
    """A dict whose mutations invalidate the cached weight lists of the layers that hold it."""

    for _name in ("__setitem__", "__delitem__", "pop", "popitem", "clear", "update", "setdefault"):
        locals()[_name] = _bumping(dict, _name)
    del _name

    def __reduce__(self) -> Any:
        return (dict, (dict(self),))


def wrap_container(value: Any) -> Any:
    """Wraps plain lists and dicts (recursively) so that their mutations are seen."""
    if type(value) is list:
        return TrackedList(wrap_container(v) for v in value)
    if type(value) is dict:
        return TrackedDict((k, wrap_container(v)) for k, v in value.items())
    if type(value) is tuple:
        return tuple(wrap_container(v) for v in value)
    return value
