"""Recurrent layers against Keras 3 (JAX backend): same weights, same outputs and input gradients."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

import layerax as lx
from tests.helpers import assert_close, keras
from tests.layers import harness

B, T, F, U = 2, 5, 4, 3
RNG = np.random.default_rng(1)
X = RNG.normal(size=(B, T, F)).astype("float32")
MASK = np.array([[True, True, True, False, False], [True] * T])
H0 = RNG.normal(size=(B, U)).astype("float32")
C0 = RNG.normal(size=(B, U)).astype("float32")


def keras_parity(lx_layer, keras_layer, inputs, **kwargs):
    harness.keras_parity(lx_layer, keras_layer, inputs, jit_transforms=True, **kwargs)


CASES = [
    ("SimpleRNN", {}, {}),
    ("SimpleRNN", {"return_sequences": True, "go_backwards": True}, {"mask": MASK}),
    (
        "SimpleRNN",
        {"return_sequences": True, "zero_output_for_mask": True, "use_bias": False},
        {"mask": MASK},
    ),
    ("LSTM", {}, {}),
    ("LSTM", {"return_sequences": True, "return_state": True}, {"mask": MASK}),
    ("LSTM", {"go_backwards": True, "return_state": True}, {"initial_state": [H0, C0]}),
    ("LSTM", {"return_sequences": True, "unroll": True}, {"mask": MASK}),
    ("LSTM", {"implementation": 1, "unit_forget_bias": False}, {}),
    ("GRU", {"return_sequences": True}, {"mask": MASK}),
    ("GRU", {"reset_after": False, "return_state": True, "go_backwards": True}, {}),
    ("GRU", {"reset_after": False, "return_sequences": True}, {"mask": MASK, "initial_state": [H0]}),
]


@pytest.mark.parametrize(
    "name,layer_kwargs,call_kwargs",
    CASES,
    ids=[f"{n}-{'-'.join(list(a) + list(c)) or 'default'}" for n, a, c in CASES],
)
def test_rnn_layer_parity(name, layer_kwargs, call_kwargs):
    k = keras()
    keras_parity(
        getattr(lx.layers, name)(U, **layer_kwargs),
        getattr(k.layers, name)(U, **layer_kwargs),
        X,
        call_kwargs=call_kwargs,
    )


def test_stacked_cells_parity():
    k = keras()
    keras_parity(
        lx.layers.RNN([lx.layers.LSTMCell(U), lx.layers.GRUCell(2)], return_sequences=True),
        k.layers.RNN([k.layers.LSTMCell(U), k.layers.GRUCell(2)], return_sequences=True),
        X,
        call_kwargs={"mask": MASK},
    )


def test_stateful_lstm_parity_across_calls_and_reset():
    k = keras()
    ours = lx.layers.LSTM(U, stateful=True, return_sequences=True)
    theirs = k.layers.LSTM(U, stateful=True, return_sequences=True)
    theirs(X[:, :2])
    ours(X[:, :2])
    ours.set_weights(theirs.get_weights())
    theirs.reset_state()
    ours.reset_states()
    for chunk in (X[:, :2], X[:, 2:]):
        assert_close(ours(chunk), np.asarray(theirs(chunk)), 1e-4, 1e-5)
    assert_close(ours.states[1].value, np.asarray(theirs.states[1].value), 1e-4, 1e-5)
    theirs.reset_state()
    ours.reset_states()
    assert_close(ours(X[:, 2:]), np.asarray(theirs(X[:, 2:])), 1e-4, 1e-5)


def test_conv_lstm2d_parity():
    k = keras()
    x = RNG.normal(size=(B, 3, 5, 5, 2)).astype("float32")
    kwargs = {"padding": "same", "return_sequences": True, "return_state": True}
    keras_parity(lx.layers.ConvLSTM2D(2, 3, **kwargs), k.layers.ConvLSTM2D(2, 3, **kwargs), x)


def test_conv_lstm1d_strided_parity():
    k = keras()
    x = RNG.normal(size=(B, 3, 7, 2)).astype("float32")
    keras_parity(
        lx.layers.ConvLSTM1D(2, 3, strides=2, go_backwards=True),
        k.layers.ConvLSTM1D(2, 3, strides=2, go_backwards=True),
        x,
        check_input_grad=False,
    )


def test_unroll_and_scan_agree_with_keras_scan():
    # Keras' own unrolled loop differs from its scan at masked steps with a non-zero
    # initial state; ours gives the scan numbers both ways.
    k = keras()
    theirs = k.layers.GRU(U, return_sequences=True)
    kwargs = {"mask": MASK, "initial_state": [H0]}
    expected = np.asarray(theirs(X, **kwargs))
    for unroll in (False, True):
        ours = lx.layers.GRU(U, return_sequences=True, unroll=unroll)
        ours(X)
        ours.set_weights(theirs.get_weights())
        assert_close(ours(X, **kwargs), expected, 1e-4, 1e-5)
