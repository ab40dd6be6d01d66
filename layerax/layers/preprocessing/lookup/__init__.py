"""Preprocessing layers: the lookup family (see `layerax.layers.preprocessing`)."""

from __future__ import annotations

__all__: list[str] = []
