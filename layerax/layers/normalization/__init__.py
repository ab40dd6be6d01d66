"""Normalization layers: batch, layer, group, RMS and unit normalization."""

from __future__ import annotations

from layerax.layers.normalization.batch_normalization import (
    BatchNormalization as BatchNormalization,
)
from layerax.layers.normalization.group_normalization import (
    GroupNormalization as GroupNormalization,
)
from layerax.layers.normalization.layer_normalization import (
    LayerNormalization as LayerNormalization,
)
from layerax.layers.normalization.layer_normalization import RMSNormalization as RMSNormalization
from layerax.layers.normalization.layer_normalization import (
    UnitNormalization as UnitNormalization,
)
from layerax.layers.normalization.spectral_normalization import (
    SpectralNormalization as SpectralNormalization,
)

__all__ = [
    "BatchNormalization",
    "GroupNormalization",
    "LayerNormalization",
    "RMSNormalization",
    "SpectralNormalization",
    "UnitNormalization",
]
