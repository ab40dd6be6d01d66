"""Models (`lx.models`): subclassed, Functional and Sequential models."""

from __future__ import annotations

from layerax.models.model import Model as Model

__all__ = ["Model"]
