"""Keras' `keras.legacy` namespace: `lx.legacy.saving` (legacy object serialization)."""

from __future__ import annotations

from layerax.legacy import saving as saving

__all__ = ["saving"]
