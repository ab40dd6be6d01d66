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


# Both sides start from zeros and receive the same random weights (set on the Keras layer,
# copied to ours): random initializers would compile once per weight shape, which is slow.
INIT = {"kernel_initializer": "zeros", "recurrent_initializer": "zeros"}


def keras_parity(lx_layer, keras_layer, inputs, grads=False, **kwargs):
    """Outputs always; input gradients (costly to compile) for a representative subset."""
    harness.keras_parity(
        lx_layer,
        keras_layer,
        inputs,
        compile_keras=True,
        random_weights=True,
        check_input_grad=grads,
        **kwargs,
    )


def randomize(keras_layer):
    rng = np.random.default_rng(0)
    keras_layer.set_weights(
        [rng.normal(0, 0.5, np.shape(w)).astype("float32") for w in keras_layer.get_weights()]
    )


CASES = [
    ("SimpleRNN", {}, {}, True),
    (
        "SimpleRNN",
        {
            "return_sequences": True,
            "go_backwards": True,
            "zero_output_for_mask": True,
            "use_bias": False,
        },
        {"mask": MASK},
        False,
    ),
    ("LSTM", {}, {}, False),
    ("LSTM", {"return_sequences": True, "return_state": True}, {"mask": MASK}, True),
    (
        "LSTM",
        {"go_backwards": True, "return_state": True, "implementation": 1},
        {"initial_state": [H0, C0]},
        False,
    ),
    ("LSTM", {"return_sequences": True, "unroll": True}, {"mask": MASK}, False),
    ("GRU", {"return_sequences": True}, {"mask": MASK}, True),
    ("GRU", {"reset_after": False, "return_state": True, "go_backwards": True}, {}, True),
    (
        "GRU",
        {"reset_after": False, "return_sequences": True},
        {"mask": MASK, "initial_state": [H0]},
        False,
    ),
]


@pytest.mark.parametrize(
    "name,layer_kwargs,call_kwargs,grads",
    CASES,
    ids=[f"{n}-{'-'.join(list(a) + list(c)) or 'default'}" for n, a, c, _ in CASES],
)
def test_rnn_layer_parity(name, layer_kwargs, call_kwargs, grads):
    k = keras()
    keras_parity(
        getattr(lx.layers, name)(U, **layer_kwargs, **INIT),
        getattr(k.layers, name)(U, **layer_kwargs, **INIT),
        X,
        call_kwargs=call_kwargs,
        grads=grads,
    )


def test_stacked_cells_parity():
    k = keras()
    keras_parity(
        lx.layers.RNN(
            [lx.layers.LSTMCell(U, **INIT), lx.layers.GRUCell(2, **INIT)], return_sequences=True
        ),
        k.layers.RNN(
            [k.layers.LSTMCell(U, **INIT), k.layers.GRUCell(2, **INIT)], return_sequences=True
        ),
        X,
        call_kwargs={"mask": MASK},
    )


def test_stateful_lstm_parity_across_calls_and_reset():
    k = keras()
    ours = lx.layers.LSTM(U, stateful=True, return_sequences=True, **INIT)
    theirs = k.layers.LSTM(U, stateful=True, return_sequences=True, **INIT)
    theirs(X[:, :2])
    randomize(theirs)
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
    kwargs = {"padding": "same", "return_sequences": True, "return_state": True, **INIT}
    keras_parity(
        lx.layers.ConvLSTM2D(2, 3, **kwargs), k.layers.ConvLSTM2D(2, 3, **kwargs), x, grads=True
    )


def test_conv_lstm1d_strided_parity_and_config():
    k = keras()
    x = RNG.normal(size=(B, 3, 7, 2)).astype("float32")
    ours = lx.layers.ConvLSTM1D(2, 3, strides=2, go_backwards=True, **INIT)
    keras_parity(ours, k.layers.ConvLSTM1D(2, 3, strides=2, go_backwards=True, **INIT), x)
    assert ours.compute_output_shape((None, 3, 7, 2)) == (None, 3, 2)
    clone = lx.layers.ConvLSTM1D.from_config(ours.get_config())
    clone(x)
    clone.set_weights(ours.get_weights())
    assert_close(clone(x), ours(x), 1e-6, 1e-6)


def test_unroll_and_scan_agree_with_keras_scan():
    # Keras' own unrolled loop differs from its scan at masked steps with a non-zero
    # initial state; ours gives the scan numbers both ways.
    k = keras()
    theirs = k.layers.GRU(U, return_sequences=True, **INIT)
    theirs.build(X.shape)
    randomize(theirs)
    kwargs = {"mask": MASK, "initial_state": [H0]}
    expected = np.asarray(theirs(X, **kwargs))
    for unroll in (False, True):
        ours = lx.layers.GRU(U, return_sequences=True, unroll=unroll, **INIT)
        ours(X)
        ours.set_weights(theirs.get_weights())
        assert_close(ours(X, **kwargs), expected, 1e-4, 1e-5)
