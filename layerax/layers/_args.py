"""Argument checks shared by the built-in layers (private)."""

from __future__ import annotations

from typing import Any

from layerax.core.layer import Layer


def build_at_init(layer: Layer) -> None:
    """Marks a weightless layer built at construction, as Keras does.

    Only when the class keeps `Layer.build`: a subclass with its own `build`
    must still be built by its first call.
    """
    if type(layer).build is Layer.build:
        layer.built = True


def standardize_tuple(value: Any, n: int, name: str, allow_zero: bool = False) -> tuple[int, ...]:
    """`value` (an int or `n` ints) as a tuple of `n` non-negative (or positive) ints.

    Raises:
        ValueError: with the argument's name, what was expected and what was received.
    """
    smallest = 0 if allow_zero else 1
    expected = (
        f"The `{name}` argument must be a tuple of {n} integers"
        f" {'>= 0' if allow_zero else '> 0'} (or a single such integer)."
    )
    if isinstance(value, bool):
        raise ValueError(f"{expected} Received: {name}={value!r}")
    if isinstance(value, int):
        values: tuple[Any, ...] = (value,) * n
    else:
        try:
            values = tuple(value)
        except TypeError as err:
            raise ValueError(f"{expected} Received: {name}={value!r}") from err
    if len(values) != n:
        raise ValueError(f"{expected} Received: {name}={value!r}")
    for v in values:
        if isinstance(v, bool) or not isinstance(v, int) or v < smallest:
            raise ValueError(f"{expected} Received: {name}={value!r}")
    return tuple(int(v) for v in values)


def pairs(value: Any, n: int, name: str) -> tuple[tuple[int, int], ...]:
    """`value` as `n` (before, after) pairs: an int, `n` ints, or `n` pairs of ints."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise ValueError(f"`{name}` cannot be negative. Received: {name}={value!r}")
        return ((value, value),) * n
    if not hasattr(value, "__len__") or len(value) != n:
        raise ValueError(
            f"`{name}` should be an int, a tuple of {n} ints, or a tuple of {n} tuples of 2 ints "
            f"((before, after) per spatial axis). Received: {name}={value!r}"
        )
    ordinals = ("1st", "2nd", "3rd")
    out = [standardize_tuple(v, 2, f"{ordinals[i]} entry of {name}", allow_zero=True)
           for i, v in enumerate(value)]
    return tuple((a, b) for a, b in out)
