"""`ops.rearrange`: einops-style axis rearrangement (Keras' `keras.ops.rearrange`)."""

from __future__ import annotations

import math
import re
from typing import Any

import jax
import jax.numpy as jnp

from layerax.ops._common import tensor as _tensor

__all__ = ["rearrange"]

_TOKEN = re.compile(r"\(([^()]*)\)|(\w+)")


def _groups(side: str, pattern: str) -> list[list[str]]:
    """`"b (h w) c"` -> `[["b"], ["h", "w"], ["c"]]`."""
    leftover = _TOKEN.sub("", side).strip()
    if leftover:
        raise ValueError(
            f"rearrange: cannot read {leftover!r} in the pattern {pattern!r}. Write axes as "
            "names separated by spaces, grouped with parentheses, e.g. 'b (h w) c -> b h w c'."
        )
    return [group.split() if not name else [name] for group, name in _TOKEN.findall(side)]


def rearrange(tensor: Any, pattern: str, **axes_lengths: int) -> jax.Array:
    """Reorders, splits and merges axes as an einops pattern says.

    Args:
        tensor: Input tensor.
        pattern: `"<input axes> -> <output axes>"`: axis names separated by
            spaces; parentheses group axes that are one axis of the tensor.
        **axes_lengths: Lengths of axes that a split cannot infer.

    Returns:
        The rearranged tensor (a transpose between two reshapes).

    Raises:
        ValueError: when the pattern does not match the tensor's rank, names
            differ between the sides, or a split cannot be inferred.

    Example:
        >>> import numpy as np
        >>> from layerax import ops
        >>> ops.rearrange(np.zeros((2, 4, 6, 3)), "b (h1 h) w c -> (b h1) h w c", h1=2).shape
        (4, 2, 6, 3)
    """
    x = _tensor(tensor)
    if not isinstance(pattern, str) or pattern.count("->") != 1:
        raise ValueError(
            f"rearrange expects a pattern 'input axes -> output axes'. Received: pattern={pattern!r}"
        )
    left, right = (side.strip() for side in pattern.split("->"))
    inputs, outputs = _groups(left, pattern), _groups(right, pattern)
    if len(inputs) != x.ndim:
        raise ValueError(
            f"rearrange: the input side of {pattern!r} names {len(inputs)} axes, but the tensor "
            f"has {x.ndim} (shape {tuple(x.shape)})."
        )
    in_names = [name for group in inputs for name in group]
    out_names = [name for group in outputs for name in group]
    if sorted(in_names) != sorted(out_names) or len(set(in_names)) != len(in_names):
        raise ValueError(
            f"rearrange: both sides of {pattern!r} must name the same axes, each once. Received "
            f"{in_names} -> {out_names}."
        )
    unknown_lengths = set(axes_lengths) - set(in_names)
    if unknown_lengths:
        raise ValueError(
            f"rearrange: {sorted(unknown_lengths)} given as axis lengths but not in {pattern!r}."
        )
    sizes = {name: int(length) for name, length in axes_lengths.items()}
    for group, dim in zip(inputs, x.shape):
        missing = [name for name in group if name not in sizes]
        known = math.prod(sizes[name] for name in group if name in sizes)
        if len(missing) > 1:
            raise ValueError(
                f"rearrange: cannot split an axis of length {dim} into {group}: give the lengths "
                f"of all but one of {missing} as keyword arguments."
            )
        if missing:
            if known == 0 or dim % known:
                raise ValueError(
                    f"rearrange: an axis of length {dim} does not split into {group} with "
                    f"lengths {axes_lengths}."
                )
            sizes[missing[0]] = dim // known
        elif known != dim:
            raise ValueError(
                f"rearrange: the axes {group} have lengths multiplying to {known}, but the tensor "
                f"axis has length {dim}."
            )
    x = jnp.reshape(x, [sizes[name] for name in in_names])
    x = jnp.transpose(x, [in_names.index(name) for name in out_names])
    return jnp.reshape(x, [math.prod(sizes[name] for name in group) for group in outputs])
