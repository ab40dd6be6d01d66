"""`lx.utils.Config`: a dict with attribute access that can be frozen (Keras' `Config`)."""

from __future__ import annotations

import copy
import difflib
import json
from collections.abc import Iterator
from typing import Any

_OWN = ("_lx_values", "_lx_frozen")


class Config:
    """A configuration mapping read and written as attributes or items; `freeze()` makes it
    read-only.

    Args:
        **kwargs: The initial entries.

    Example:
        >>> import layerax as lx
        >>> config = lx.utils.Config(learning_rate=0.1)
        >>> config.momentum = 0.9
        >>> config["learning_rate"], config.momentum, sorted(config)
        (0.1, 0.9, ['learning_rate', 'momentum'])
        >>> config.freeze(); config.frozen
        True
    """

    def __init__(self, **kwargs: Any) -> None:
        object.__setattr__(self, "_lx_values", dict(kwargs))
        object.__setattr__(self, "_lx_frozen", False)

    @property
    def frozen(self) -> bool:
        """Whether the config refuses changes."""
        return self._lx_frozen

    def freeze(self) -> None:
        """Makes the config read-only."""
        object.__setattr__(self, "_lx_frozen", True)

    def unfreeze(self) -> None:
        """Makes the config writable again."""
        object.__setattr__(self, "_lx_frozen", False)

    def _check_writable(self) -> None:
        if self._lx_frozen:
            raise ValueError("Cannot mutate attribute(s) because the config is frozen. Call `unfreeze()` first.")

    def as_dict(self) -> dict[str, Any]:
        """A shallow copy of the entries as a dict."""
        return copy.copy(self._lx_values)

    def to_json(self) -> str:
        """The entries as a JSON string."""
        return json.dumps(self._lx_values)

    def keys(self) -> Any:
        """The entry names."""
        return self._lx_values.keys()

    def values(self) -> Any:
        """The entry values."""
        return self._lx_values.values()

    def items(self) -> Any:
        """The (name, value) pairs."""
        return self._lx_values.items()

    def pop(self, *args: Any) -> Any:
        """Removes an entry and returns its value (`dict.pop`)."""
        self._check_writable()
        return self._lx_values.pop(*args)

    def update(self, *args: Any, **kwargs: Any) -> None:
        """Adds or replaces entries (`dict.update`)."""
        self._check_writable()
        self._lx_values.update(*args, **kwargs)

    def get(self, keyname: str, value: Any = None) -> Any:
        """The value of `keyname`, or `value` when absent."""
        return self._lx_values.get(keyname, value)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _OWN or hasattr(type(self), name):
            raise AttributeError(f"Config attribute {name!r} is reserved; use config[{name!r}] = ... instead.")
        self._check_writable()
        self._lx_values[name] = value

    def __getattr__(self, name: str) -> Any:
        values = object.__getattribute__(self, "_lx_values")
        if name in values:
            return values[name]
        message = f"Unknown attribute: '{name}'."
        close = difflib.get_close_matches(name, list(values), n=1, cutoff=0.7)
        if close:
            message += f" Did you mean '{close[0]}'?"
        raise AttributeError(message)

    def __setitem__(self, key: str, item: Any) -> None:
        self._check_writable()
        self._lx_values[key] = item

    def __getitem__(self, key: str) -> Any:
        return self._lx_values[key]

    def __delitem__(self, key: str) -> None:
        self._check_writable()
        del self._lx_values[key]

    def __contains__(self, item: object) -> bool:
        return item in self._lx_values

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._lx_values))

    def __len__(self) -> int:
        return len(self._lx_values)

    def __repr__(self) -> str:
        return f"<Config {self._lx_values}>"


__all__ = ["Config"]
