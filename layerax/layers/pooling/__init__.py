"""Pooling layers: windowed, adaptive and global max/average pooling, 1-D to 3-D."""

from __future__ import annotations

from layerax.layers.pooling.adaptive_pooling import AdaptiveAveragePooling1D as AdaptiveAveragePooling1D
from layerax.layers.pooling.adaptive_pooling import AdaptiveAveragePooling2D as AdaptiveAveragePooling2D
from layerax.layers.pooling.adaptive_pooling import AdaptiveAveragePooling3D as AdaptiveAveragePooling3D
from layerax.layers.pooling.adaptive_pooling import AdaptiveMaxPooling1D as AdaptiveMaxPooling1D
from layerax.layers.pooling.adaptive_pooling import AdaptiveMaxPooling2D as AdaptiveMaxPooling2D
from layerax.layers.pooling.adaptive_pooling import AdaptiveMaxPooling3D as AdaptiveMaxPooling3D
from layerax.layers.pooling.global_pooling import GlobalAveragePooling1D as GlobalAveragePooling1D
from layerax.layers.pooling.global_pooling import GlobalAveragePooling2D as GlobalAveragePooling2D
from layerax.layers.pooling.global_pooling import GlobalAveragePooling3D as GlobalAveragePooling3D
from layerax.layers.pooling.global_pooling import GlobalAvgPool1D as GlobalAvgPool1D
from layerax.layers.pooling.global_pooling import GlobalAvgPool2D as GlobalAvgPool2D
from layerax.layers.pooling.global_pooling import GlobalAvgPool3D as GlobalAvgPool3D
from layerax.layers.pooling.global_pooling import GlobalMaxPool1D as GlobalMaxPool1D
from layerax.layers.pooling.global_pooling import GlobalMaxPool2D as GlobalMaxPool2D
from layerax.layers.pooling.global_pooling import GlobalMaxPool3D as GlobalMaxPool3D
from layerax.layers.pooling.global_pooling import GlobalMaxPooling1D as GlobalMaxPooling1D
from layerax.layers.pooling.global_pooling import GlobalMaxPooling2D as GlobalMaxPooling2D
from layerax.layers.pooling.global_pooling import GlobalMaxPooling3D as GlobalMaxPooling3D
from layerax.layers.pooling.pooling import AveragePooling1D as AveragePooling1D
from layerax.layers.pooling.pooling import AveragePooling2D as AveragePooling2D
from layerax.layers.pooling.pooling import AveragePooling3D as AveragePooling3D
from layerax.layers.pooling.pooling import AvgPool1D as AvgPool1D
from layerax.layers.pooling.pooling import AvgPool2D as AvgPool2D
from layerax.layers.pooling.pooling import AvgPool3D as AvgPool3D
from layerax.layers.pooling.pooling import MaxPool1D as MaxPool1D
from layerax.layers.pooling.pooling import MaxPool2D as MaxPool2D
from layerax.layers.pooling.pooling import MaxPool3D as MaxPool3D
from layerax.layers.pooling.pooling import MaxPooling1D as MaxPooling1D
from layerax.layers.pooling.pooling import MaxPooling2D as MaxPooling2D
from layerax.layers.pooling.pooling import MaxPooling3D as MaxPooling3D

__all__ = [
    "AdaptiveAveragePooling1D",
    "AdaptiveAveragePooling2D",
    "AdaptiveAveragePooling3D",
    "AdaptiveMaxPooling1D",
    "AdaptiveMaxPooling2D",
    "AdaptiveMaxPooling3D",
    "AveragePooling1D",
    "AveragePooling2D",
    "AveragePooling3D",
    "AvgPool1D",
    "AvgPool2D",
    "AvgPool3D",
    "GlobalAveragePooling1D",
    "GlobalAveragePooling2D",
    "GlobalAveragePooling3D",
    "GlobalAvgPool1D",
    "GlobalAvgPool2D",
    "GlobalAvgPool3D",
    "GlobalMaxPool1D",
    "GlobalMaxPool2D",
    "GlobalMaxPool3D",
    "GlobalMaxPooling1D",
    "GlobalMaxPooling2D",
    "GlobalMaxPooling3D",
    "MaxPool1D",
    "MaxPool2D",
    "MaxPool3D",
    "MaxPooling1D",
    "MaxPooling2D",
    "MaxPooling3D",
]
