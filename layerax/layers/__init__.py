"""Layers (`lx.layers`) with Keras 3's names, arguments and weights."""

from __future__ import annotations

from layerax.core.input_spec import InputSpec as InputSpec
from layerax.core.layer import Layer as Layer
from layerax.layers.attention import AdditiveAttention as AdditiveAttention
from layerax.layers.attention import Attention as Attention
from layerax.layers.attention import GroupedQueryAttention as GroupedQueryAttention
from layerax.layers.attention import GroupQueryAttention as GroupQueryAttention
from layerax.layers.attention import MultiHeadAttention as MultiHeadAttention
from layerax.layers.core import Dense as Dense
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

__all__ = [
    "Dense",
    "InputSpec",
    "Layer",
    # Attention layers.
    "AdditiveAttention",
    "Attention",
    "GroupQueryAttention",
    "GroupedQueryAttention",
    "MultiHeadAttention",
    # Recurrent layers and wrappers.
    "Bidirectional",
    "ConvLSTM1D",
    "ConvLSTM2D",
    "ConvLSTM3D",
    "ConvLSTMCell",
    "GRU",
    "GRUCell",
    "LSTM",
    "LSTMCell",
    "RNN",
    "SimpleRNN",
    "SimpleRNNCell",
    "StackedRNNCells",
    "TimeDistributed",
    # Serialization.
    "deserialize",
    "get",
    "serialize",
]
