"""Preprocessing layers: the numeric family (see `layerax.layers.preprocessing`)."""

from __future__ import annotations

from layerax.layers.preprocessing.numeric.category_encoding import CategoryEncoding
from layerax.layers.preprocessing.numeric.discretization import Discretization
from layerax.layers.preprocessing.numeric.hashing import HashedCrossing, Hashing
from layerax.layers.preprocessing.numeric.normalization import Normalization

__all__: list[str] = [
    "CategoryEncoding",
    "Discretization",
    "HashedCrossing",
    "Hashing",
    "Normalization",
]
