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

from layerax.layers.convolution import Conv1D as Conv1D
from layerax.layers.convolution import Conv1DTranspose as Conv1DTranspose
from layerax.layers.convolution import Conv2D as Conv2D
from layerax.layers.convolution import Conv2DTranspose as Conv2DTranspose
from layerax.layers.convolution import Conv3D as Conv3D
from layerax.layers.convolution import Conv3DTranspose as Conv3DTranspose
from layerax.layers.convolution import Convolution1D as Convolution1D
from layerax.layers.convolution import Convolution1DTranspose as Convolution1DTranspose
from layerax.layers.convolution import Convolution2D as Convolution2D
from layerax.layers.convolution import Convolution2DTranspose as Convolution2DTranspose
from layerax.layers.convolution import Convolution3D as Convolution3D
from layerax.layers.convolution import Convolution3DTranspose as Convolution3DTranspose
from layerax.layers.convolution import DepthwiseConv1D as DepthwiseConv1D
from layerax.layers.convolution import DepthwiseConv2D as DepthwiseConv2D
from layerax.layers.convolution import SeparableConv1D as SeparableConv1D
from layerax.layers.convolution import SeparableConv2D as SeparableConv2D
from layerax.layers.convolution import SeparableConvolution1D as SeparableConvolution1D
from layerax.layers.convolution import SeparableConvolution2D as SeparableConvolution2D
from layerax.layers.pooling import AveragePooling1D as AveragePooling1D
from layerax.layers.pooling import AveragePooling2D as AveragePooling2D
from layerax.layers.pooling import AveragePooling3D as AveragePooling3D
from layerax.layers.pooling import AvgPool1D as AvgPool1D
from layerax.layers.pooling import AvgPool2D as AvgPool2D
from layerax.layers.pooling import AvgPool3D as AvgPool3D
from layerax.layers.pooling import GlobalAveragePooling1D as GlobalAveragePooling1D
from layerax.layers.pooling import GlobalAveragePooling2D as GlobalAveragePooling2D
from layerax.layers.pooling import GlobalAveragePooling3D as GlobalAveragePooling3D
from layerax.layers.pooling import GlobalAvgPool1D as GlobalAvgPool1D
from layerax.layers.pooling import GlobalAvgPool2D as GlobalAvgPool2D
from layerax.layers.pooling import GlobalAvgPool3D as GlobalAvgPool3D
from layerax.layers.pooling import GlobalMaxPool1D as GlobalMaxPool1D
from layerax.layers.pooling import GlobalMaxPool2D as GlobalMaxPool2D
from layerax.layers.pooling import GlobalMaxPool3D as GlobalMaxPool3D
from layerax.layers.pooling import GlobalMaxPooling1D as GlobalMaxPooling1D
from layerax.layers.pooling import GlobalMaxPooling2D as GlobalMaxPooling2D
from layerax.layers.pooling import GlobalMaxPooling3D as GlobalMaxPooling3D
from layerax.layers.pooling import MaxPool1D as MaxPool1D
from layerax.layers.pooling import MaxPool2D as MaxPool2D
from layerax.layers.pooling import MaxPool3D as MaxPool3D
from layerax.layers.pooling import MaxPooling1D as MaxPooling1D
from layerax.layers.pooling import MaxPooling2D as MaxPooling2D
from layerax.layers.pooling import MaxPooling3D as MaxPooling3D
from layerax.layers.normalization import BatchNormalization as BatchNormalization
from layerax.layers.normalization import GroupNormalization as GroupNormalization
from layerax.layers.normalization import LayerNormalization as LayerNormalization
from layerax.layers.normalization import RMSNormalization as RMSNormalization
from layerax.layers.normalization import UnitNormalization as UnitNormalization


# layers-c: recurrent, attention and RNN wrapper layers; layer (de)serialization.
from layerax.layers.attention import AdditiveAttention as AdditiveAttention
from layerax.layers.attention import Attention as Attention
from layerax.layers.attention import GroupedQueryAttention as GroupedQueryAttention
from layerax.layers.attention import GroupQueryAttention as GroupQueryAttention
from layerax.layers.attention import MultiHeadAttention as MultiHeadAttention
from layerax.layers.recurrent import GRU as GRU
from layerax.layers.recurrent import LSTM as LSTM
from layerax.layers.recurrent import RNN as RNN
from layerax.layers.recurrent import Bidirectional as Bidirectional
from layerax.layers.recurrent import ConvLSTM1D as ConvLSTM1D
from layerax.layers.recurrent import ConvLSTM2D as ConvLSTM2D
from layerax.layers.recurrent import ConvLSTM3D as ConvLSTM3D
from layerax.layers.recurrent import ConvLSTMCell as ConvLSTMCell
from layerax.layers.recurrent import GRUCell as GRUCell
from layerax.layers.recurrent import LSTMCell as LSTMCell
from layerax.layers.recurrent import SimpleRNN as SimpleRNN
from layerax.layers.recurrent import SimpleRNNCell as SimpleRNNCell
from layerax.layers.recurrent import StackedRNNCells as StackedRNNCells
from layerax.layers.recurrent import TimeDistributed as TimeDistributed
from layerax.layers.serialization import deserialize as deserialize
from layerax.layers.serialization import get as get
from layerax.layers.serialization import serialize as serialize

# layers-extra: adaptive pooling, Wrapper, SpectralNormalization, ReversibleEmbedding, Pipeline.
from layerax.layers.pooling import AdaptiveAveragePooling1D as AdaptiveAveragePooling1D
from layerax.layers.pooling import AdaptiveAveragePooling2D as AdaptiveAveragePooling2D
from layerax.layers.pooling import AdaptiveAveragePooling3D as AdaptiveAveragePooling3D
from layerax.layers.pooling import AdaptiveMaxPooling1D as AdaptiveMaxPooling1D
from layerax.layers.pooling import AdaptiveMaxPooling2D as AdaptiveMaxPooling2D
from layerax.layers.pooling import AdaptiveMaxPooling3D as AdaptiveMaxPooling3D
from layerax.layers.core import Pipeline as Pipeline
from layerax.layers.core import ReversibleEmbedding as ReversibleEmbedding
from layerax.layers.normalization import SpectralNormalization as SpectralNormalization
from layerax.layers.core import Wrapper as Wrapper


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
# Convolution, pooling and normalization layers.
__all__ += [
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
    "BatchNormalization",
    "GroupNormalization",
    "LayerNormalization",
    "RMSNormalization",
    "UnitNormalization",
]
# models: the functional API's entry points.
__all__ += ["Input", "InputLayer"]
# layers-c: recurrent, attention and RNN wrapper layers; layer (de)serialization.
__all__ += [
    "AdditiveAttention",
    "Attention",
    "Bidirectional",
    "ConvLSTM1D",
    "ConvLSTM2D",
    "ConvLSTM3D",
    "ConvLSTMCell",
    "GRU",
    "GRUCell",
    "GroupQueryAttention",
    "GroupedQueryAttention",
    "LSTM",
    "LSTMCell",
    "MultiHeadAttention",
    "RNN",
    "SimpleRNN",
    "SimpleRNNCell",
    "StackedRNNCells",
    "TimeDistributed",
    "deserialize",
    "get",
    "serialize",
]
# JAX function and Flax module wrappers.
from layerax.layers.jax_layer import FlaxLayer as FlaxLayer  # noqa: E402
from layerax.layers.jax_layer import JaxLayer as JaxLayer  # noqa: E402

__all__ += ["FlaxLayer", "JaxLayer"]
# layers-extra
__all__ += [
    "AdaptiveAveragePooling1D",
    "AdaptiveAveragePooling2D",
    "AdaptiveAveragePooling3D",
    "AdaptiveMaxPooling1D",
    "AdaptiveMaxPooling2D",
    "AdaptiveMaxPooling3D",
    "Pipeline",
    "ReversibleEmbedding",
    "SpectralNormalization",
    "Wrapper",
]

# Preprocessing layers (numeric, lookup, image, audio): each family's
# subpackage lists its own names.
from layerax.layers import preprocessing as _preprocessing  # noqa: E402

globals().update({_n: getattr(_preprocessing, _n) for _n in _preprocessing.__all__})
__all__ += _preprocessing.__all__
