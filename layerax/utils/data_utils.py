"""Packing and unpacking the `(x, y, sample_weight)` batches that the steps of `fit` receive."""

from __future__ import annotations

from typing import Any


def unpack_x_y_sample_weight(data: Any) -> tuple[Any, Any, Any]:
    """Splits a batch `(x,)`, `(x, y)` or `(x, y, sample_weight)` into three parts.

    For use in an overridden `train_step`, `test_step` or `predict_step`. A
    list is read as a tuple; anything else is `x` alone.

    Args:
        data: The batch.

    Returns:
        `(x, y, sample_weight)`, with None for the parts that are missing.

    Example:
        >>> import layerax as lx, numpy as np
        >>> x, y, sample_weight = lx.utils.unpack_x_y_sample_weight((np.ones(2), np.zeros(2)))
        >>> sample_weight is None
        True
    """
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if len(data) == 1:
        return data[0], None, None
    if len(data) == 2:
        return data[0], data[1], None
    if len(data) == 3:
        return data[0], data[1], data[2]
    raise ValueError(
        "Data is expected to be in format `x`, `(x,)`, `(x, y)`, or `(x, y, sample_weight)`. "
        f"Received a tuple of length {len(data)}: data={data!r}"
    )


def pack_x_y_sample_weight(x: Any, y: Any = None, sample_weight: Any = None) -> Any:
    """Packs `x`, `y` and `sample_weight` into the batch format `fit` uses.

    Args:
        x: Inputs.
        y: Targets (or None).
        sample_weight: Sample weights (or None).

    Returns:
        `x` itself when it is the only part and not a list or tuple, else
        `(x,)`, `(x, y)` or `(x, y, sample_weight)`.

    Example:
        >>> import layerax as lx
        >>> lx.utils.pack_x_y_sample_weight(1), lx.utils.pack_x_y_sample_weight(1, 2)
        (1, (1, 2))
    """
    if y is None:
        # A list or tuple x alone is wrapped, so that it is not read as `(x, y)`.
        return (x,) if isinstance(x, (list, tuple)) else x
    if sample_weight is None:
        return x, y
    return x, y, sample_weight


__all__ = ["pack_x_y_sample_weight", "unpack_x_y_sample_weight"]
