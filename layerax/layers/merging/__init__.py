"""Merging layers (Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot)
and their functional forms (`add`, `subtract`, ...)."""

from __future__ import annotations

from layerax.layers.merging.base_merge import Merge as Merge
from layerax.layers.merging.concatenate_dot import Concatenate as Concatenate
from layerax.layers.merging.concatenate_dot import Dot as Dot
from layerax.layers.merging.elementwise import Add as Add
from layerax.layers.merging.elementwise import Average as Average
from layerax.layers.merging.elementwise import Maximum as Maximum
from layerax.layers.merging.elementwise import Minimum as Minimum
from layerax.layers.merging.elementwise import Multiply as Multiply
from layerax.layers.merging.elementwise import Subtract as Subtract
from layerax.layers.merging.functional import add as add
from layerax.layers.merging.functional import average as average
from layerax.layers.merging.functional import concatenate as concatenate
from layerax.layers.merging.functional import dot as dot
from layerax.layers.merging.functional import maximum as maximum
from layerax.layers.merging.functional import minimum as minimum
from layerax.layers.merging.functional import multiply as multiply
from layerax.layers.merging.functional import subtract as subtract

__all__ = [
    "Add",
    "Average",
    "Concatenate",
    "Dot",
    "Maximum",
    "Merge",
    "Minimum",
    "Multiply",
    "Subtract",
    "add",
    "average",
    "concatenate",
    "dot",
    "maximum",
    "minimum",
    "multiply",
    "subtract",
]
