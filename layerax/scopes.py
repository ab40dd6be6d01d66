"""Top-level scopes of Keras 3: `lx.name_scope`, `lx.device`, and `lx.version()`."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import jax

from layerax.core.context import CTX


# (stack depth, caller) of each open `name_scope`, for `deduplicate`.


class name_scope:  # noqa: N801 - Keras' public name
    """A context that prefixes the paths of the variables created inside it (`outer/v`).

    Args:
        name: The scope's name (a string without "/").
        caller: The object opening the scope; with `deduplicate`, re-entering the same
            name from the same caller adds no level.
        deduplicate: See `caller`.
        override_parent: An absolute path ("a/b") replacing the enclosing scopes.

    Example:
        >>> import layerax as lx
        >>> with lx.name_scope("outer"):
        ...     v = lx.Variable(1.0, name="v")
        >>> v.path
        'outer/v'
    """

    def __init__(self, name: str, caller: Any = None, deduplicate: bool = True,
                 override_parent: str | None = None) -> None:
        if not isinstance(name, str) or "/" in name:
            raise ValueError(
                f"Argument `name` must be a string and cannot contain character `/`. Received: name={name!r}"
            )
        self.name = name
        self.caller = caller
        self.deduplicate = deduplicate
        self.override_parent = override_parent
        self._saved: list[str] | None = None
        self._pushed = False
        self._jax_scope: Any = None

    def __enter__(self) -> name_scope:
        stack = CTX.name_scope
        if self.override_parent is not None:
            self._saved = list(stack)
            stack[:] = [part for part in self.override_parent.split("/") if part]
        callers = CTX.name_callers
        top = callers[-1] if callers else None
        same_caller = (
            self.caller is not None and top is not None and top[0] == len(stack) and top[1] is self.caller
        )
        if not (self.deduplicate and same_caller and stack and stack[-1] == self.name):
            stack.append(self.name)
            CTX.name_callers.append((len(stack), self.caller))
            self._pushed = True
        self._jax_scope = jax.named_scope(self.name)
        self._jax_scope.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._jax_scope.__exit__(*exc)
        if self._pushed:
            CTX.name_scope.pop()
            CTX.name_callers.pop()
            self._pushed = False
        if self._saved is not None:
            CTX.name_scope[:] = self._saved
            self._saved = None


def _resolve_device(device_name: Any) -> Any:
    if isinstance(device_name, jax.Device):
        return device_name
    if not isinstance(device_name, str):
        raise ValueError(
            f"`device` expects a name like 'cpu:0' or 'gpu:1', or a jax.Device. Received: {device_name!r}"
        )
    kind, _, index = device_name.lower().partition(":")
    try:
        devices = jax.devices(kind)
    except RuntimeError as e:
        raise ValueError(
            f"Unknown device {device_name!r}: this machine has no {kind!r} devices "
            f"(available: {sorted({d.platform for d in jax.devices()})})."
        ) from e
    i = int(index) if index else 0
    if not 0 <= i < len(devices):
        raise ValueError(f"Unknown device {device_name!r}: there are {len(devices)} {kind} device(s).")
    return devices[i]


@contextlib.contextmanager
def device(device_name: Any) -> Iterator[None]:
    """A context in which new arrays (and variables) are placed on the given device.

    Args:
        device_name: "cpu", "cpu:0", "gpu:1", "tpu:0", ... or a `jax.Device`.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> with lx.device("cpu:0"):
        ...     x = jnp.ones(2)
        >>> x.devices().pop().platform
        'cpu'
    """
    with jax.default_device(_resolve_device(device_name)):
        yield


def version() -> str:
    """layerax's version string (Keras' `keras.version()`).

    Example:
        >>> import layerax as lx
        >>> lx.version() == lx.__version__
        True
    """
    import layerax

    return layerax.__version__


__all__ = ["device", "name_scope", "version"]
