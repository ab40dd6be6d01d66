"""Utilities (`lx.utils`)."""

from __future__ import annotations

from layerax.core.random import set_random_seed as set_random_seed
from layerax.utils.progbar import Progbar as Progbar

__all__ = ["Progbar", "set_random_seed"]
