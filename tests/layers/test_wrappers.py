"""Bidirectional and TimeDistributed: the Layer contract, Keras parity, states and bad input."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

import layerax as lx
from tests.helpers import assert_close, keras
from tests.layers import harness
from tests.layers.harness import check_layer

B, T, F, U = 2, 5, 4, 3
RNG = np.random.default_rng(2)
X = RNG.normal(size=(B, T, F)).astype("float32")
MASK = np.array([[True, True, True, False, False], [True] * T])



# Parity layers start from zeros on both sides and get the same random weights (set on the
# Keras layer, copied to ours): random initializers compile once per weight shape (slow).
INIT = {"kernel_initializer": "zeros", "recurrent_initializer": "zeros"}


def keras_parity(*args, grads=False, **kwargs):
    """Outputs always; input gradients (costly to compile) for a representative subset."""
    harness.keras_parity(
        *args, compile_keras=True, random_weights=True, check_input_grad=grads, **kwargs
    )


# -------------------------------------------------------------------- Bidirectional
def test_bidirectional_contract():
    layer = check_layer(
        lambda: lx.layers.Bidirectional(lx.layers.LSTM(U, return_sequences=True)),
        (B, T, F),
        call_kwargs={"mask": MASK},
        expected_output_shape=(B, T, 2 * U),
        expected_num_trainable_weights=6,
    )
    assert [w.path for w in layer.weights][::3] == [
        "bidirectional/forward_lstm/lstm_cell/kernel",
        "bidirectional/backward_lstm/lstm_cell/kernel",
    ]
    assert layer.backward_layer.go_backwards and not layer.forward_layer.go_backwards
    assert layer.compute_mask(X, MASK) is MASK


@pytest.mark.parametrize(
    "merge_mode,rnn,rnn_kwargs,call_kwargs",
    [
        ("concat", "LSTM", {"return_sequences": True}, {"mask": MASK}),
        ("sum", "GRU", {"return_state": True}, {"initial_state": [np.ones((B, U))] * 2}),
        ("mul", "SimpleRNN", {"return_sequences": True}, {}),
        ("ave", "GRU", {"return_sequences": True, "reset_after": False}, {"mask": MASK}),
        (None, "LSTM", {"return_sequences": True, "return_state": True}, {"mask": MASK}),
    ],
    ids=["concat-mask", "sum-states-initial-state", "mul", "ave-mask", "none-states-mask"],
)
def test_bidirectional_parity(merge_mode, rnn, rnn_kwargs, call_kwargs):
    k = keras()
    keras_parity(
        lx.layers.Bidirectional(
            getattr(lx.layers, rnn)(U, **rnn_kwargs, **INIT), merge_mode=merge_mode
        ),
        k.layers.Bidirectional(
            getattr(k.layers, rnn)(U, **rnn_kwargs, **INIT), merge_mode=merge_mode
        ),
        X,
        call_kwargs=call_kwargs,
        grads=merge_mode == "concat" and "mask" in call_kwargs,
    )


def test_bidirectional_with_backward_layer_parity_and_config():
    k = keras()
    ours = lx.layers.Bidirectional(
        lx.layers.LSTM(U, return_sequences=True, **INIT),
        backward_layer=lx.layers.GRU(2, return_sequences=True, go_backwards=True, **INIT),
    )
    theirs = k.layers.Bidirectional(
        k.layers.LSTM(U, return_sequences=True, **INIT),
        backward_layer=k.layers.GRU(2, return_sequences=True, go_backwards=True, **INIT),
    )
    keras_parity(ours, theirs, X)
    config = ours.get_config()
    assert config["layer"]["class_name"] == "LSTM"
    assert config["backward_layer"]["class_name"] == "GRU"
    clone = lx.layers.Bidirectional.from_config(config)
    clone(X)
    clone.set_weights(ours.get_weights())
    assert_close(clone(X), ours(X), 1e-6, 1e-6)
    assert clone.compute_output_shape((None, T, F)) == (None, T, U + 2)


def test_bidirectional_stateful_reset_and_errors():
    layer = lx.layers.Bidirectional(lx.layers.SimpleRNN(U, stateful=True))
    first = layer(X)
    assert len(layer.states) == 2 and not np.allclose(layer(X), first)
    layer.reset_states()
    assert_close(layer(X), first, 1e-6, 1e-6)
    with pytest.raises(ValueError, match="different `go_backwards`"):
        lx.layers.Bidirectional(lx.layers.LSTM(U), backward_layer=lx.layers.LSTM(U))
    with pytest.raises(ValueError, match="Invalid merge mode"):
        lx.layers.Bidirectional(lx.layers.LSTM(U), merge_mode="max")
    with pytest.raises(ValueError, match="Layer` instance"):
        lx.layers.Bidirectional("lstm")
    with pytest.raises(ValueError, match=r"'bidi'.*expected ndim=3.*\(2, 4\)"):
        lx.layers.Bidirectional(lx.layers.GRU(U), name="bidi")(jnp.ones((B, F)))


def test_bidirectional_initial_weights():
    source = lx.layers.Bidirectional(lx.layers.GRU(U))
    out = source(X)
    copy = lx.layers.Bidirectional(lx.layers.GRU(U), weights=source.get_weights())
    assert_close(copy(X), out, 1e-6, 1e-6)


# ------------------------------------------------------------------ TimeDistributed
def test_time_distributed_contract():
    layer = check_layer(
        lambda: lx.layers.TimeDistributed(lx.layers.Dense(U)),
        (B, T, F),
        expected_output_shape=(B, T, U),
    )
    assert [w.path for w in layer.weights] == [
        "time_distributed/dense/kernel",
        "time_distributed/dense/bias",
    ]


def test_time_distributed_parity_dense_and_lstm():
    k = keras()
    keras_parity(
        lx.layers.TimeDistributed(lx.layers.Dense(U, activation="relu", kernel_initializer="zeros")),
        k.layers.TimeDistributed(k.layers.Dense(U, activation="relu", kernel_initializer="zeros")),
        X,
        grads=True,
    )
    x4 = RNG.normal(size=(B, 3, T, F)).astype("float32")
    keras_parity(
        lx.layers.TimeDistributed(lx.layers.LSTM(U, **INIT)),
        k.layers.TimeDistributed(k.layers.LSTM(U, **INIT)),
        x4,
    )


def test_time_distributed_passes_the_mask_step_by_step_and_checks_rank():
    inner = lx.layers.LSTM(U)
    layer = lx.layers.TimeDistributed(inner, name="td")
    x4 = jnp.asarray(RNG.normal(size=(B, 3, T, F)), jnp.float32)
    mask = jnp.asarray(RNG.integers(0, 2, size=(B, 3, T)).astype(bool)).at[..., 0].set(True)
    out = layer(x4, mask=mask)
    for b in range(B):
        for t in range(3):
            assert_close(out[b, t], inner(x4[b : b + 1, t], mask=mask[b : b + 1, t])[0], 1e-5, 1e-6)
    assert layer.compute_mask(x4, mask) is mask
    config = lx.layers.serialize(layer)
    assert config["config"]["layer"]["class_name"] == "LSTM"
    with pytest.raises(ValueError, match=r"'td'.*min_ndim=3.*\(2, 4\)"):
        layer(jnp.ones((B, F)))
    with pytest.raises(ValueError, match=r"mask passed to layer 'td'.*\(2, 4\).*\(batch, time\)"):
        layer(x4, mask=jnp.ones((B, 4), bool))
    with pytest.raises(ValueError, match="Layer` instance"):
        lx.layers.TimeDistributed(lambda x: x)


# ---------------------------------------------------------------- functional models
def test_functional_model_routes_embedding_masks_through_rnn_and_attention():
    # Embedding(mask_zero) -> Bidirectional(LSTM) -> MultiHeadAttention -> GRU: the padding
    # mask reaches every layer, so padded and unpadded sequences give the same result.
    embedding = lx.layers.Embedding(10, F, mask_zero=True)
    stack = [
        embedding,
        lx.layers.Bidirectional(lx.layers.LSTM(U, return_sequences=True)),
        lx.layers.MultiHeadAttention(2, U),
        lx.layers.GRU(U),
    ]

    def model_for(length):
        inputs = lx.layers.Input((length,), dtype="int32")
        x = inputs
        for layer in stack:
            x = layer(x, x) if isinstance(layer, lx.layers.MultiHeadAttention) else layer(x)
        return lx.Model(inputs, x)

    padded = model_for(T)(jnp.asarray([[3, 1, 4, 0, 0], [2, 7, 1, 8, 2]]))
    assert padded.shape == (B, U)
    assert_close(padded[:1], model_for(3)(jnp.asarray([[3, 1, 4]])), 1e-5, 1e-6)
