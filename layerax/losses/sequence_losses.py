"""Sequence losses: connectionist temporal classification (CTC)."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from layerax.core import registry
from layerax.losses.base import _ConfiguredWrapper, to_array
from layerax.ops import nn as _ops_nn

_BLANK = 0


@registry.register("losses")
def ctc(y_true: Any, y_pred: Any) -> jax.Array:
    """CTC loss per sample, with class 0 as the blank (padding) label.

    Each label sequence's length is its number of non-zero entries; every
    sample uses all `max_length` steps of `y_pred`.

    Args:
        y_true: Integer labels `(batch_size, max_label_length)`, padded with 0.
        y_pred: Logits `(batch_size, max_length, num_classes)`, not softmax-normalised.

    Returns:
        The negative log-likelihood of each label sequence, `(batch_size,)`.

    Example:
        >>> import layerax as lx, numpy as np
        >>> round(float(lx.losses.ctc(np.array([[1, 0]]), np.zeros((1, 2, 3)))[0]), 4)
        1.0986
    """
    y_true = to_array(y_true)
    y_pred = to_array(y_pred)
    if y_true.ndim != 2:
        raise ValueError(
            "ctc: targets `y_true` must be integer labels of shape (batch_size, max_length), "
            f"padded with 0. Received: y_true.shape={tuple(y_true.shape)}"
        )
    if y_pred.ndim != 3:
        raise ValueError(
            "ctc: `y_pred` must be logits of shape (batch_size, max_length, num_classes). "
            f"Received: y_pred.shape={tuple(y_pred.shape)}"
        )
    batch, steps = y_pred.shape[0], y_pred.shape[1]
    label_length = jnp.sum(y_true != _BLANK, axis=-1).astype("int32")
    logit_length = jnp.full((batch,), steps, dtype="int32")
    return _ops_nn.ctc_loss(y_true, y_pred, label_length, logit_length, mask_index=_BLANK)


@registry.register("losses")
class CTC(_ConfiguredWrapper):
    """CTC loss (see `lx.losses.ctc`), reduced over the batch.

    Args:
        reduction: See `lx.losses.Loss`.
        name: Loss name.
        dtype: Computation dtype.

    Example:
        >>> import layerax as lx, numpy as np
        >>> round(float(lx.losses.CTC()(np.array([[1, 0]]), np.zeros((1, 2, 3)))), 4)
        1.0986
    """

    def __init__(
        self, reduction: Any = "sum_over_batch_size", name: str = "ctc", dtype: Any = None
    ) -> None:
        super().__init__(ctc, reduction=reduction, name=name, dtype=dtype)


__all__ = ["CTC", "ctc"]
