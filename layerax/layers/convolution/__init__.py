"""Convolution layers: Conv1D/2D/3D, their transposes, depthwise and separable convolutions."""

from __future__ import annotations

from layerax.layers.convolution.conv import Conv1D as Conv1D
from layerax.layers.convolution.conv import Conv2D as Conv2D
from layerax.layers.convolution.conv import Conv3D as Conv3D
from layerax.layers.convolution.conv import Convolution1D as Convolution1D
from layerax.layers.convolution.conv import Convolution2D as Convolution2D
from layerax.layers.convolution.conv import Convolution3D as Convolution3D
from layerax.layers.convolution.conv_transpose import Conv1DTranspose as Conv1DTranspose
from layerax.layers.convolution.conv_transpose import Conv2DTranspose as Conv2DTranspose
from layerax.layers.convolution.conv_transpose import Conv3DTranspose as Conv3DTranspose
from layerax.layers.convolution.conv_transpose import (
    Convolution1DTranspose as Convolution1DTranspose,
)
from layerax.layers.convolution.conv_transpose import (
    Convolution2DTranspose as Convolution2DTranspose,
)
from layerax.layers.convolution.conv_transpose import (
    Convolution3DTranspose as Convolution3DTranspose,
)
from layerax.layers.convolution.depthwise import DepthwiseConv1D as DepthwiseConv1D
from layerax.layers.convolution.depthwise import DepthwiseConv2D as DepthwiseConv2D
from layerax.layers.convolution.separable import SeparableConv1D as SeparableConv1D
from layerax.layers.convolution.separable import SeparableConv2D as SeparableConv2D
from layerax.layers.convolution.separable import (
    SeparableConvolution1D as SeparableConvolution1D,
)
from layerax.layers.convolution.separable import (
    SeparableConvolution2D as SeparableConvolution2D,
)

__all__ = [
    "Conv1D",
    "Conv1DTranspose",
    "Conv2D",
    "Conv2DTranspose",
    "Conv3D",
    "Conv3DTranspose",
    "Convolution1D",
    "Convolution1DTranspose",
    "Convolution2D",
    "Convolution2DTranspose",
    "Convolution3D",
    "Convolution3DTranspose",
    "DepthwiseConv1D",
    "DepthwiseConv2D",
    "SeparableConv1D",
    "SeparableConv2D",
    "SeparableConvolution1D",
    "SeparableConvolution2D",
]
