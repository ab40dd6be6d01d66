"""Recurrent layers: the Layer contract, masks, states, unroll, dropout and bad input.

Keras parity of the same layers is in test_recurrent_parity.py.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import layerax as lx
from layerax.core import serialization as core_serialization
from tests.helpers import assert_close
from tests.layers import harness
from tests.layers.harness import check_layer



B, T, F, U = 2, 5, 4, 3
RNG = np.random.default_rng(0)
X = jnp.asarray(RNG.normal(size=(B, T, F)).astype("float32"))
# Sample 0 has 3 real steps then padding; sample 1 is full length.
MASK = jnp.asarray([[True, True, True, False, False], [True] * T])
ZEROS = {"kernel_initializer": "zeros", "recurrent_initializer": "zeros"}


@core_serialization.register_serializable(package="tests_recurrent")
class MinimalRNNCell(lx.layers.Layer):
    """A user cell as written in Keras' RNN docs: output = x W + h U."""

    def __init__(self, units: int, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
        self.recurrent_kernel = self.add_weight(
            shape=(self.units, self.units), name="recurrent_kernel"
        )

    def call(self, inputs, states):
        output = jnp.tanh(inputs @ self.kernel + states[0] @ self.recurrent_kernel)
        return output, [output]


# ------------------------------------------------------------------ Layer contract
def test_simple_rnn_contract():
    layer = check_layer(
        lambda: lx.layers.SimpleRNN(U, return_sequences=True),
        (B, T, F),
        expected_output_shape=(B, T, U),
        expected_num_trainable_weights=3,
        expected_num_non_trainable_weights=0,
    )
    assert [w.path for w in layer.weights] == [
        "simple_rnn/simple_rnn_cell/kernel",
        "simple_rnn/simple_rnn_cell/recurrent_kernel",
        "simple_rnn/simple_rnn_cell/bias",
    ]


def test_lstm_contract_with_mask_and_states():
    layer = check_layer(
        lambda: lx.layers.LSTM(U, return_state=True),
        (B, T, F),
        call_kwargs={"mask": MASK},
        expected_output_shape=((B, U), (B, U), (B, U)),
        expected_num_trainable_weights=3,
    )
    assert [w.shape for w in layer.weights] == [(F, 4 * U), (U, 4 * U), (4 * U,)]
    # unit_forget_bias: the forget gate's bias starts at one.
    np.testing.assert_array_equal(layer.cell.bias.numpy(), [0] * U + [1] * U + [0] * 2 * U)


def test_gru_contract_reset_before():
    layer = check_layer(
        lambda: lx.layers.GRU(U, reset_after=False, go_backwards=True, return_sequences=True),
        (B, T, F),
        expected_output_shape=(B, T, U),
    )
    assert [w.shape for w in layer.weights] == [(F, 3 * U), (U, 3 * U), (3 * U,)]
    default = lx.layers.GRU(U)
    default.build(X.shape)
    assert default.cell.reset_after and default.cell.bias.shape == (2, 3 * U)


@pytest.mark.parametrize(
    "cell,states",
    [
        (lambda: lx.layers.SimpleRNNCell(U), [(B, U)]),
        (lambda: lx.layers.LSTMCell(U), [(B, U), (B, U)]),
        (lambda: lx.layers.GRUCell(U, reset_after=False), [(B, U)]),
    ],
    ids=["simple_rnn_cell", "lstm_cell", "gru_cell"],
)
def test_cells_contract(cell, states):
    inputs = [jnp.asarray(RNG.normal(size=(B, F)), jnp.float32)]
    inputs.append([jnp.asarray(RNG.normal(size=s), jnp.float32) for s in states])
    check_layer(cell, [(B, F), states], inputs=inputs, multi_input_args=True)


def test_rnn_with_user_cell_contract():
    layer = check_layer(
        lambda: lx.layers.RNN(MinimalRNNCell(2), return_sequences=True, return_state=True),
        (B, T, F),
        call_kwargs={"mask": MASK},
        expected_output_shape=((B, T, 2), (B, 2)),
    )
    assert [w.path for w in layer.weights] == [
        "rnn/minimal_rnn_cell/kernel",
        "rnn/minimal_rnn_cell/recurrent_kernel",
    ]


def test_stacked_cells_feed_each_other():
    cells = [lx.layers.LSTMCell(U), MinimalRNNCell(2)]
    layer = lx.layers.RNN(cells, return_state=True)
    assert isinstance(layer.cell, lx.layers.StackedRNNCells)
    out, (h1, c1), h2 = layer(X)
    assert (out.shape, h1.shape, c1.shape, h2.shape) == ((B, 2), (B, U), (B, U), (B, 2))
    assert layer.compute_output_shape((None, T, F)) == ((None, 2), [(None, U), (None, U)], (None, 2))
    first = lx.layers.RNN(lx.layers.LSTMCell(U), return_sequences=True)
    second = lx.layers.RNN(MinimalRNNCell(2))
    first(X)
    second(first(X))
    first.set_weights(layer.get_weights()[:3])
    second.set_weights(layer.get_weights()[3:])
    assert_close(second(first(X)), out, 1e-5, 1e-6)
    assert [w.path for w in layer.weights][-1] == (
        "rnn/stacked_rnn_cells/minimal_rnn_cell/recurrent_kernel"
    )


def test_user_cell_matches_a_hand_written_loop():
    cell = MinimalRNNCell(U)
    layer = lx.layers.RNN(cell, return_sequences=True)
    out = layer(X)
    h = jnp.zeros((B, U))
    expected = []
    for t in range(T):
        h = jnp.tanh(X[:, t] @ cell.kernel.value + h @ cell.recurrent_kernel.value)
        expected.append(h)
    assert_close(out, jnp.stack(expected, axis=1), 1e-5, 1e-6)


def test_conv_lstm2d_contract():
    def factory():
        # Built up front with numpy random weights: random initializers compile per shape.
        layer = lx.layers.ConvLSTM2D(2, 3, return_sequences=True, **ZEROS)
        layer.build((B, 3, 5, 5, 2))
        _random_weights(layer)
        return layer

    layer = check_layer(
        factory,
        (B, 3, 5, 5, 2),
        expected_output_shape=(B, 3, 3, 3, 2),
    )
    assert [w.shape for w in layer.weights] == [(3, 3, 2, 8), (3, 3, 2, 8), (8,)]


def _random_weights(layer):
    """Random weights set from numpy (no per-shape compilation of a random initializer)."""
    layer.set_weights([RNG.normal(0, 0.5, w.shape).astype("float32") for w in layer.weights])


def test_conv_lstm3d_shapes_config_and_jit():
    layer = lx.layers.ConvLSTM3D(2, 2, strides=2, return_state=True, **ZEROS)
    shape = (B, 2, 4, 4, 4, 1)
    x = jnp.asarray(RNG.normal(size=shape), jnp.float32)
    layer.build(shape)
    _random_weights(layer)
    out, h, c = layer(x)
    assert out.shape == h.shape == c.shape == (B, 2, 2, 2, 2)
    assert layer.compute_output_shape((None, *shape[1:])) == ((None, 2, 2, 2, 2),) * 3
    assert layer.compute_mask(x, MASK[:, :2]) == [None, None, None]
    clone = type(layer).from_config(layer.get_config())
    clone(x)
    clone.set_weights(layer.get_weights())
    assert_close(jax.jit(lambda l, x: l(x))(clone, x), (out, h, c), 1e-5, 1e-5)


def test_conv_lstm_channels_first_matches_channels_last():
    x = jnp.asarray(RNG.normal(size=(B, 3, 5, 5, 2)), jnp.float32)
    last = lx.layers.ConvLSTM2D(2, 3, padding="same", return_sequences=True, **ZEROS)
    first = lx.layers.ConvLSTM2D(
        2, 3, padding="same", return_sequences=True, data_format="channels_first", **ZEROS
    )
    last.build(x.shape)
    _random_weights(last)
    out_last = last(x)
    first(jnp.moveaxis(x, -1, 2))
    first.set_weights(last.get_weights())
    assert_close(jnp.moveaxis(first(jnp.moveaxis(x, -1, 2)), 2, -1), out_last, 1e-5, 1e-5)


# ---------------------------------------------------------------------------- masks
class TinyEmbedding(lx.layers.Layer):
    """A hand-made stand-in for Embedding(mask_zero=True): token 0 is padding."""

    def __init__(self, vocab: int, dim: int, **kwargs):
        super().__init__(**kwargs)
        self.table = self.add_weight(
            shape=(vocab, dim), initializer=lambda shape, dtype: jnp.asarray(RNG.normal(size=shape), dtype)
        )

    def call(self, inputs):
        return jnp.take(self.table.value, inputs, axis=0)

    def compute_mask(self, inputs, previous_mask=None):
        return inputs != 0


class Encoder(lx.Model):
    """The source documents' masking example (hand-made embedding, smaller sizes)."""

    def __init__(self):
        super().__init__()
        self.embedding = TinyEmbedding(10, F)
        self.lstm = lx.layers.LSTM(U)

    def call(self, inputs):
        x = self.embedding(inputs)
        mask = self.embedding.compute_mask(inputs)
        return self.lstm(x, mask=mask)


def test_padding_after_the_last_token_does_not_change_the_result():
    model = Encoder()
    tokens = jnp.asarray([[3, 1, 4, 0, 0], [2, 7, 1, 8, 2]])
    out = model(tokens)
    assert out.shape == (2, U)
    assert_close(out[:1], model(tokens[:1, :3]), 1e-6, 1e-6)
    assert_close(jax.jit(lambda m, t: m(t))(model, tokens), out, 1e-6, 1e-6)
    # The LSTM called directly: the embedding's mask travels with its eager output (Keras'
    # `_keras_mask`), and the mask is what removes the padding.
    lstm = model.lstm
    x = model.embedding(tokens[:1])
    assert_close(lstm(x), out[:1], 1e-6, 1e-6)
    assert not np.allclose(lstm(x, mask=jnp.ones(x.shape[:2], bool)), out[:1], atol=1e-3)


def test_masked_steps_repeat_the_output_and_keep_the_states():
    layer = lx.layers.GRU(U, return_sequences=True, return_state=True)
    seq, state = layer(X, mask=MASK)
    short_seq, short_state = layer(X[:1, :3], mask=None)
    assert_close(seq[0, :3], short_seq[0], 1e-6, 1e-6)
    assert_close(seq[0, 3], seq[0, 2], 0, 0)
    assert_close(seq[0, 4], seq[0, 2], 0, 0)
    assert_close(state[0], short_state[0], 1e-6, 1e-6)
    # The output mask is the input mask with return_sequences, None otherwise.
    assert layer.compute_mask(X, MASK)[0] is MASK
    assert lx.layers.GRU(U).compute_mask(X, MASK) is None


def test_go_backwards_with_mask_reads_the_reversed_real_steps():
    layer = lx.layers.SimpleRNN(U, go_backwards=True)
    out = layer(X, mask=MASK)
    forward = lx.layers.SimpleRNN(U)
    forward(X)
    forward.set_weights(layer.get_weights())
    assert_close(out[:1], forward(X[:1, :3][:, ::-1]), 1e-6, 1e-6)
    assert_close(out[1:], forward(X[1:, ::-1]), 1e-6, 1e-6)


def test_unroll_gives_the_scan_numbers():
    kwargs = {"return_sequences": True, "return_state": True, "go_backwards": True}
    scanned = lx.layers.LSTM(U, **kwargs)
    unrolled = lx.layers.LSTM(U, unroll=True, **kwargs)
    state = [jnp.ones((B, U)), -jnp.ones((B, U))]
    ref = scanned(X, mask=MASK, initial_state=state)
    unrolled(X)
    unrolled.set_weights(scanned.get_weights())
    assert_close(unrolled(X, mask=MASK, initial_state=state), ref, 1e-6, 1e-6)
    jaxpr = str(jax.make_jaxpr(lambda x: unrolled(x))(X))
    assert "scan" not in jaxpr and "scan" in str(jax.make_jaxpr(lambda x: scanned(x))(X))


def test_initial_state_is_used_and_checked():
    layer = lx.layers.LSTM(U, name="enc")
    zeros = layer(X)
    h0, c0 = jnp.ones((B, U)), jnp.ones((B, U))
    assert not np.allclose(layer(X, initial_state=[h0, c0]), zeros)
    assert_close(layer(X, initial_state=[0 * h0, 0 * c0]), zeros, 0, 0)
    with pytest.raises(ValueError, match=r"'enc' expects 2 initial state tensor\(s\).*received 1"):
        layer(X, initial_state=[h0])
    with pytest.raises(ValueError, match=r"'enc'.*shape \(2, 4\).*\(2, 3\)"):
        layer(X, initial_state=[jnp.ones((B, 4)), c0])


# --------------------------------------------------------------------------- states
def test_stateful_carries_states_between_calls_and_resets():
    layer = lx.layers.GRU(U, stateful=True, return_sequences=True)
    full = lx.layers.GRU(U, return_sequences=True)
    first = layer(X[:, :3])
    full(X)
    full.set_weights(layer.get_weights())
    second = layer(X[:, 3:])
    assert_close(jnp.concatenate([first, second], axis=1), full(X), 1e-5, 1e-6)
    # The states are variables, outside the weights (as in Keras).
    assert len(layer.weights) == 3 and len(layer.states) == 1
    assert layer.states[0] in layer.non_trainable_variables
    assert_close(layer.states[0].value, full(X)[:, -1], 1e-5, 1e-6)
    layer.reset_states()
    assert_close(layer(X[:, :3]), first, 1e-6, 1e-6)
    layer.reset_states([np.ones((B, U), "float32")])
    np.testing.assert_array_equal(layer.states[0].numpy(), np.ones((B, U)))


def test_stateful_under_lx_function_and_batch_size_check():
    layer = lx.layers.SimpleRNN(U, stateful=True, name="s")
    step = lx.function(lambda x: layer(x))
    a = step(X)
    b = step(X)
    assert not np.allclose(a, b)
    assert_close(layer.states[0].value, b, 1e-6, 1e-6)
    with pytest.raises(ValueError, match=r"'s' is stateful.*must stay 2.*\(3, 5, 4\)"):
        layer(jnp.ones((3, T, F)))
    with pytest.raises(AttributeError, match="not stateful"):
        lx.layers.SimpleRNN(U).reset_states()


# -------------------------------------------------------------------------- dropout
def _linear_probe(**kwargs):
    """A SimpleRNN whose step output is exactly its (dropped-out) input: x * mask."""
    layer = lx.layers.SimpleRNN(
        F, activation=None, return_sequences=True, seed=3, **ZEROS, **kwargs
    )
    layer(X)
    layer.set_weights([np.eye(F), np.zeros((F, F)), np.zeros(F)])
    return layer


def test_dropout_mask_is_drawn_once_per_sequence_and_only_in_training():
    layer = _linear_probe(dropout=0.5)
    ones = jnp.ones((B, T, F))
    assert_close(layer(ones), ones, 0, 0)
    out = np.asarray(layer(ones, training=True))
    assert set(np.unique(out)) <= {0.0, 2.0} and 0 < out.mean() < 2
    # Same mask at every step of a sequence.
    np.testing.assert_array_equal(out, np.repeat(out[:, :1], T, axis=1))
    # lx.function advances the seed: a new mask on each call.
    step = lx.function(lambda x: layer(x, training=True))
    masks = [np.asarray(step(ones)) for _ in range(3)]
    assert not all(np.array_equal(masks[0], m) for m in masks[1:])

    # Under jax.grad (layer passed as an argument), d sum(x * mask) / dx is the mask itself.
    def total(l, x):
        y = l(x, training=True)
        return jnp.sum(y), y

    (_, y), grad = jax.jit(jax.value_and_grad(total, argnums=1, has_aux=True))(layer, ones)
    np.testing.assert_array_equal(grad, y)
    assert 0 < float(jnp.mean(y)) < 2


def test_recurrent_dropout_gates_each_have_their_mask():
    layer = lx.layers.LSTM(U, recurrent_dropout=0.5, dropout=0.3, seed=1)
    assert layer.implementation == 1 and layer.cell.dropout_mask_count == 4
    assert_close(layer(X, training=False), layer(X), 0, 0)
    trained = layer(X, training=True)
    assert trained.shape == (B, U) and not np.allclose(trained, layer(X))
    masks = layer.cell._lx_draw_masks(X[:, 0], 0.5)
    assert len(masks) == 4 and not np.array_equal(masks[0], masks[1])


# ----------------------------------------------------------------------- bad input
def test_bad_inputs_name_the_layer_and_the_shapes():
    layer = lx.layers.LSTM(U, name="encoder")
    with pytest.raises(ValueError, match=r"'encoder'.*expected ndim=3, found ndim=2.*\(2, 4\)"):
        layer(jnp.ones((B, F)))
    layer(X)
    with pytest.raises(ValueError, match=r"'encoder'.*axis -1.*value 4.*\(2, 5, 7\)"):
        layer(jnp.ones((B, T, 7)))
    with pytest.raises(ValueError, match=r"'encoder'.*mask must have shape.*\(2, 5\).*\(2, 4\)"):
        layer(X, mask=jnp.ones((B, 4), bool))
    with pytest.raises(ValueError, match=r"'encoder'.*0 timesteps.*\(2, 0, 4\)"):
        layer(jnp.ones((B, 0, F)))
    cell = lx.layers.GRUCell(U, name="cell")
    cell(X[:, 0], [jnp.zeros((B, U))])
    with pytest.raises(ValueError, match=r"'cell'.*axis -1.*value 4.*\(2, 6\)"):
        cell(jnp.ones((B, 6)), [jnp.zeros((B, U))])
    with pytest.raises(ValueError, match=r"'rnn'.*min_ndim=3.*\(2, 4\)"):
        lx.layers.RNN(MinimalRNNCell(U))(jnp.ones((B, F)))
    with pytest.raises(TypeError, match="RNN cell must be a layer"):
        lx.layers.RNN(object())
    with pytest.raises(ValueError, match="units"):
        lx.layers.GRU(0)
    with pytest.raises(ValueError, match="use_cudnn"):
        lx.layers.LSTM(U, use_cudnn="yes")


# ----------------------------------------------------------------- serialization
def test_serialize_deserialize_nested_cells():
    layer = lx.layers.RNN(
        lx.layers.StackedRNNCells([lx.layers.GRUCell(U, reset_after=False), MinimalRNNCell(2)]),
        go_backwards=True,
    )
    out = layer(X)
    config = lx.layers.serialize(layer)
    assert config["class_name"] == "RNN"
    assert config["config"]["cell"]["class_name"] == "StackedRNNCells"
    clone = lx.layers.deserialize(config)
    clone(X)
    clone.set_weights(layer.get_weights())
    assert_close(clone(X), out, 1e-6, 1e-6)
    assert clone.cell.cells[0].reset_after is False
    assert isinstance(lx.layers.get(config), lx.layers.RNN)
    assert lx.layers.get(layer) is layer
    with pytest.raises(ValueError, match="Unknown layer class"):
        lx.layers.deserialize({"class_name": "NoSuchLayer", "config": {}})


def test_lstm_config_has_keras_keys_and_regularizer_losses():
    layer = lx.layers.LSTM(U, kernel_regularizer="l2", dropout=0.1, seed=5)
    layer(X)
    config = layer.get_config()
    assert "cell" not in config
    assert config["units"] == U and config["dropout"] == 0.1 and config["seed"] == 5
    assert config["recurrent_initializer"]["class_name"] == "Orthogonal"
    [penalty] = layer.losses
    assert_close(penalty, 0.01 * jnp.sum(layer.cell.kernel.value ** 2), 1e-5, 1e-7)


@pytest.mark.parametrize(
    "cls, kwargs, training",
    [
        ("LSTM", {}, False),
        ("LSTM", {"go_backwards": True, "return_sequences": True}, False),
        ("LSTM", {"recurrent_dropout": 0.5, "seed": 3}, True),  # fused, with per-gate state masks
        ("LSTM", {"dropout": 0.5, "seed": 3}, True),  # input dropout: the cell's own call
        ("GRU", {}, False),
        ("GRU", {"reset_after": False, "go_backwards": True, "return_sequences": True}, False),
        ("GRU", {"recurrent_dropout": 0.5, "seed": 3}, True),
        ("GRU", {"use_bias": False}, False),
    ],
)
def test_fused_step_matches_the_per_step_cell(cls, kwargs, training, monkeypatch):
    # LSTM and GRU run a fused-gate step in their scan (`_lx_projected_step`); the result
    # must be what calling the cell at every step gives (masks included).
    rng = np.random.default_rng(0)
    x = jnp.asarray(rng.normal(size=(3, 5, 4)), jnp.float32)
    mask = jnp.asarray([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [1, 0, 0, 0, 0]], bool)
    layer = getattr(lx.layers, cls)(6, bias_initializer="random_normal", **kwargs)
    layer(x)
    seeds = layer.cell.seed_generator
    start = None if seeds is None else seeds.state.numpy()

    def run():
        if seeds is not None:
            seeds.state.assign(start)  # the same dropout masks for both runs
        return np.asarray(layer._run(x, None, mask, training))

    fused = run()
    monkeypatch.setattr(type(layer.cell), "_lx_projected_step", lambda self, training: None)
    np.testing.assert_allclose(fused, run(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("cell", ["LSTMCell", "GRUCell"])
def test_cell_subclass_with_its_own_call_is_called_at_every_step(cell):
    base = getattr(lx.layers, cell)

    class Doubling(base):
        def call(self, inputs, states, training=False):
            return super().call(2.0 * inputs, states, training=training)

    x = jnp.asarray(np.random.default_rng(1).normal(size=(2, 4, 3)), jnp.float32)
    plain = lx.layers.RNN(base(5))
    doubled = lx.layers.RNN(Doubling(5))
    plain(x)
    doubled(x)
    doubled.set_weights(plain.get_weights())
    np.testing.assert_allclose(np.asarray(doubled(x)), np.asarray(plain(2.0 * x)), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("cls", ["SimpleRNN", "LSTM", "GRU"])
@pytest.mark.parametrize("go_backwards", [False, True])
def test_last_output_without_collecting_every_step_matches_the_sequence_output(cls, go_backwards):
    # With return_sequences=False the built-in cells' loop keeps no per-step outputs and
    # reads the last one from the final state; it must equal the last step of the sequence.
    rng = np.random.default_rng(2)
    x = jnp.asarray(rng.normal(size=(3, 5, 4)), jnp.float32)
    mask = jnp.asarray([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [1, 0, 0, 0, 0]], bool)
    last = getattr(lx.layers, cls)(6, go_backwards=go_backwards)
    seq = getattr(lx.layers, cls)(6, go_backwards=go_backwards, return_sequences=True)
    last(x)
    seq(x)
    seq.set_weights(last.get_weights())
    for m in (None, mask):
        np.testing.assert_allclose(
            np.asarray(last(x, mask=m)), np.asarray(seq(x, mask=m))[:, -1], rtol=1e-5, atol=1e-6
        )
    grads = jax.grad(lambda v: jnp.sum(last.stateless_call(v, [], x, mask=mask)[0] ** 2))(
        [w.value for w in last.trainable_variables]
    )
    grads_seq = jax.grad(
        lambda v: jnp.sum(seq.stateless_call(v, [], x, mask=mask)[0][:, -1] ** 2)
    )([w.value for w in seq.trainable_variables])
    for a, b in zip(grads, grads_seq):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-4, atol=1e-6)
