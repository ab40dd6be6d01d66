"""Recurrent layers: RNN cells, the `RNN` loop, LSTM/GRU/SimpleRNN, ConvLSTM and RNN wrappers."""

from __future__ import annotations

from layerax.layers.recurrent.bidirectional import Bidirectional as Bidirectional
from layerax.layers.recurrent.conv_lstm import ConvLSTM1D as ConvLSTM1D
from layerax.layers.recurrent.conv_lstm import ConvLSTM2D as ConvLSTM2D
from layerax.layers.recurrent.conv_lstm import ConvLSTM3D as ConvLSTM3D
from layerax.layers.recurrent.conv_lstm import ConvLSTMCell as ConvLSTMCell
from layerax.layers.recurrent.dropout_cell import DropoutRNNCell as DropoutRNNCell
from layerax.layers.recurrent.gru import GRU as GRU
from layerax.layers.recurrent.gru import GRUCell as GRUCell
from layerax.layers.recurrent.lstm import LSTM as LSTM
from layerax.layers.recurrent.lstm import LSTMCell as LSTMCell
from layerax.layers.recurrent.rnn import RNN as RNN
from layerax.layers.recurrent.simple_rnn import SimpleRNN as SimpleRNN
from layerax.layers.recurrent.simple_rnn import SimpleRNNCell as SimpleRNNCell
from layerax.layers.recurrent.stacked_rnn_cells import StackedRNNCells as StackedRNNCells
from layerax.layers.recurrent.time_distributed import TimeDistributed as TimeDistributed

__all__ = [
    "Bidirectional",
    "ConvLSTM1D",
    "ConvLSTM2D",
    "ConvLSTM3D",
    "ConvLSTMCell",
    "DropoutRNNCell",
    "GRU",
    "GRUCell",
    "LSTM",
    "LSTMCell",
    "RNN",
    "SimpleRNN",
    "SimpleRNNCell",
    "StackedRNNCells",
    "TimeDistributed",
]
