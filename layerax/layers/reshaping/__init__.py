"""Reshaping layers: Flatten, Reshape, Permute, RepeatVector, UpSampling, ZeroPadding, Cropping."""

from __future__ import annotations

from layerax.layers.reshaping.padding import Cropping1D as Cropping1D
from layerax.layers.reshaping.padding import Cropping2D as Cropping2D
from layerax.layers.reshaping.padding import Cropping3D as Cropping3D
from layerax.layers.reshaping.padding import ZeroPadding1D as ZeroPadding1D
from layerax.layers.reshaping.padding import ZeroPadding2D as ZeroPadding2D
from layerax.layers.reshaping.padding import ZeroPadding3D as ZeroPadding3D
from layerax.layers.reshaping.reshape import Flatten as Flatten
from layerax.layers.reshaping.reshape import Permute as Permute
from layerax.layers.reshaping.reshape import RepeatVector as RepeatVector
from layerax.layers.reshaping.reshape import Reshape as Reshape
from layerax.layers.reshaping.up_sampling import UpSampling1D as UpSampling1D
from layerax.layers.reshaping.up_sampling import UpSampling2D as UpSampling2D
from layerax.layers.reshaping.up_sampling import UpSampling3D as UpSampling3D

__all__ = [
    "Cropping1D",
    "Cropping2D",
    "Cropping3D",
    "Flatten",
    "Permute",
    "RepeatVector",
    "Reshape",
    "UpSampling1D",
    "UpSampling2D",
    "UpSampling3D",
    "ZeroPadding1D",
    "ZeroPadding2D",
    "ZeroPadding3D",
]
