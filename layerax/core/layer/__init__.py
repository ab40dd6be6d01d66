"""`lx.Layer` and the hooks around it (a package: the class, its mixins, call plumbing)."""

from layerax.core.layer.base import Layer as Layer
from layerax.core.layer.call_utils import _build_takes_named_shapes as _build_takes_named_shapes

__all__ = ["Layer"]
