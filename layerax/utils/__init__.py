"""Utilities (`lx.utils`)."""

from __future__ import annotations

from layerax.core.random import set_random_seed as set_random_seed
from layerax.utils.model_visualization import plot_model as plot_model

__all__ = ["plot_model", "set_random_seed"]
