"""Layers (`lx.layers`) with Keras 3's names, arguments and weights."""

from __future__ import annotations

from layerax.core.input_spec import InputSpec as InputSpec
from layerax.core.layer import Layer as Layer
from layerax.layers.core import Dense as Dense
from layerax.layers.activation import ELU as ELU
from layerax.layers.activation import Activation as Activation
from layerax.layers.activation import LeakyReLU as LeakyReLU
from layerax.layers.activation import PReLU as PReLU
from layerax.layers.activation import ReLU as ReLU
from layerax.layers.activation import Softmax as Softmax
from layerax.layers.core import EinsumDense as EinsumDense
from layerax.layers.core import Embedding as Embedding
from layerax.layers.core import Identity as Identity
from layerax.layers.core import Lambda as Lambda
from layerax.layers.core import Masking as Masking
from layerax.layers.legacy import Highway as Highway
from layerax.layers.legacy import MaxoutDense as MaxoutDense
from layerax.layers.merging import Add as Add
from layerax.layers.merging import Average as Average
from layerax.layers.merging import Concatenate as Concatenate
from layerax.layers.merging import Dot as Dot
from layerax.layers.merging import Maximum as Maximum
from layerax.layers.merging import Merge as Merge
from layerax.layers.merging import Minimum as Minimum
from layerax.layers.merging import Multiply as Multiply
from layerax.layers.merging import Subtract as Subtract
from layerax.layers.merging import add as add
from layerax.layers.merging import average as average
from layerax.layers.merging import concatenate as concatenate
from layerax.layers.merging import dot as dot
from layerax.layers.merging import maximum as maximum
from layerax.layers.merging import minimum as minimum
from layerax.layers.merging import multiply as multiply
from layerax.layers.merging import subtract as subtract
from layerax.layers.regularization import ActivityRegularization as ActivityRegularization
from layerax.layers.regularization import AlphaDropout as AlphaDropout
from layerax.layers.regularization import Dropout as Dropout
from layerax.layers.regularization import GaussianDropout as GaussianDropout
from layerax.layers.regularization import GaussianNoise as GaussianNoise
from layerax.layers.regularization import SpatialDropout1D as SpatialDropout1D
from layerax.layers.regularization import SpatialDropout2D as SpatialDropout2D
from layerax.layers.regularization import SpatialDropout3D as SpatialDropout3D
from layerax.layers.reshaping import Cropping1D as Cropping1D
from layerax.layers.reshaping import Cropping2D as Cropping2D
from layerax.layers.reshaping import Cropping3D as Cropping3D
from layerax.layers.reshaping import Flatten as Flatten
from layerax.layers.reshaping import Permute as Permute
from layerax.layers.reshaping import RepeatVector as RepeatVector
from layerax.layers.reshaping import Reshape as Reshape
from layerax.layers.reshaping import UpSampling1D as UpSampling1D
from layerax.layers.reshaping import UpSampling2D as UpSampling2D
from layerax.layers.reshaping import UpSampling3D as UpSampling3D
from layerax.layers.reshaping import ZeroPadding1D as ZeroPadding1D
from layerax.layers.reshaping import ZeroPadding2D as ZeroPadding2D
from layerax.layers.reshaping import ZeroPadding3D as ZeroPadding3D
from layerax.models.input_layer import Input as Input
from layerax.models.input_layer import InputLayer as InputLayer

__all__ = ["Dense", "InputSpec", "Layer"]
# layers-a: core, activation, reshaping, merging, regularization and Keras-1 layers.
__all__ += [
    "ELU", "Activation", "ActivityRegularization", "Add", "AlphaDropout", "Average",
    "Concatenate", "Cropping1D", "Cropping2D", "Cropping3D", "Dot", "Dropout", "EinsumDense",
    "Embedding", "Flatten", "GaussianDropout", "GaussianNoise", "Highway", "Identity", "Lambda",
    "LeakyReLU", "Masking", "Maximum", "MaxoutDense", "Merge", "Minimum", "Multiply", "PReLU",
    "Permute", "ReLU", "RepeatVector", "Reshape", "Softmax", "SpatialDropout1D",
    "SpatialDropout2D", "SpatialDropout3D", "Subtract", "UpSampling1D", "UpSampling2D",
    "UpSampling3D", "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D", "add", "average",
    "concatenate", "dot", "maximum", "minimum", "multiply", "subtract",
]
# models: the functional API's entry points.
__all__ += ["Input", "InputLayer"]
