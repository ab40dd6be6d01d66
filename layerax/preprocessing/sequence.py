"""`keras.preprocessing.sequence` (`lx.preprocessing.sequence`)."""

from __future__ import annotations

from layerax.utils.sequence_utils import pad_sequences as pad_sequences

__all__ = ["pad_sequences"]
