"""Which kind of labels a pair of targets and predictions holds, from their shapes.

`compile(loss="crossentropy")` picks its cross-entropy with it, and
`compile(metrics=["accuracy"])` its accuracy (so the metrics use it too).
"""

from __future__ import annotations

from typing import Any

__all__ = ["is_binary_or_sparse_categorical"]


def _shape(x: Any) -> tuple[int, ...]:
    if hasattr(x, "shape"):
        return tuple(x.shape)
    if isinstance(x, (tuple, list)) and all(isinstance(d, int) or d is None for d in x):
        return tuple(x)
    raise TypeError(
        "Expected an array (or a shape tuple) for the targets/predictions used to pick the "
        f"loss or metric. Received: {type(x).__name__}"
    )


def is_binary_or_sparse_categorical(y_true: Any, y_pred: Any) -> tuple[bool, bool]:
    """Keras 3's shape test: binary when `y_pred` has one output per sample;
    sparse categorical when labels have fewer axes or a trailing axis of 1.

    Example:
        >>> import layerax as lx
        >>> lx.losses.is_binary_or_sparse_categorical((8,), (8, 10))
        (False, True)
    """
    t, p = _shape(y_true), _shape(y_pred)
    t_last = t[-1] if t else None
    p_last = p[-1] if p else None
    is_binary = p_last == 1
    is_sparse = len(t) < len(p) or (t_last == 1 and p_last is not None and p_last > 1)
    return is_binary, is_sparse
