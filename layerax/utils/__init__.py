"""Utilities (`lx.utils`)."""

from __future__ import annotations

from layerax.core.random import set_random_seed as set_random_seed

__all__ = ["set_random_seed"]
