"""Layers (`lx.layers`) with Keras 3's names, arguments and weights."""

from __future__ import annotations

from layerax.core.input_spec import InputSpec as InputSpec
from layerax.core.layer import Layer as Layer
from layerax.layers.core import Dense as Dense

__all__ = ["Dense", "InputSpec", "Layer"]
