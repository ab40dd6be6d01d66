"""Keras-style automatic names (`dense`, `dense_1`, ...) and name scopes."""

from __future__ import annotations

import contextlib
import re
from collections import defaultdict
from collections.abc import Iterator

from layerax.core.context import CTX

_UIDS: defaultdict[str, int] = defaultdict(int)


def to_snake_case(name: str) -> str:
    """Converts a class name to Keras' snake case (`BatchNormalization` -> `batch_normalization`)."""
    name = re.sub(r"\W+", "", name)
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    name = re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()
    return name


def uniquify(base: str) -> str:
    """Returns `base` the first time, then `base_1`, `base_2`, ..."""
    _UIDS[base] += 1
    count = _UIDS[base]
    return base if count == 1 else f"{base}_{count - 1}"


def auto_name(class_name: str) -> str:
    return uniquify(to_snake_case(class_name))


def reset_uids() -> None:
    """Forgets every name handed out (used by `lx.backend.clear_session`)."""
    _UIDS.clear()


@contextlib.contextmanager
def name_scope(name: str) -> Iterator[None]:
    """Pushes `name` on the scope used for variable paths, unless it is already on top."""
    stack = CTX.name_scope
    if stack and stack[-1] == name:
        yield
        return
    stack.append(name)
    try:
        yield
    finally:
        stack.pop()


def current_path(name: str) -> str:
    return "/".join([*CTX.name_scope, name])
