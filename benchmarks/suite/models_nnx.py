"""The workloads written with Flax NNX (channels-last, like the reference)."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
from flax import nnx

from benchmarks.suite.workloads import (
    FFN, GRU_UNITS, HEAD_DIM, HEADS, LN_EPSILON, LSTM_UNITS, NUM_CLASSES, Workload,
)

_List = getattr(nnx, "List", list)


class MLP(nnx.Module):
    def __init__(self, sizes: tuple[int, ...], rngs: nnx.Rngs) -> None:
        self.layers = _List([nnx.Linear(a, b, rngs=rngs) for a, b in zip(sizes[:-1], sizes[1:])])

    def __call__(self, x: Any) -> Any:
        for layer in self.layers[:-1]:
            x = nnx.relu(layer(x))
        return self.layers[-1](x)


class CNN(nnx.Module):
    def __init__(self, channels: int, rngs: nnx.Rngs) -> None:
        self.conv0 = nnx.Conv(channels, 32, (3, 3), padding="VALID", rngs=rngs)
        self.conv1 = nnx.Conv(32, 64, (3, 3), padding="VALID", rngs=rngs)
        self.head = nnx.Linear(6 * 6 * 64, NUM_CLASSES, rngs=rngs)

    def __call__(self, x: Any) -> Any:
        x = nnx.max_pool(nnx.relu(self.conv0(x)), (2, 2), strides=(2, 2))
        x = nnx.max_pool(nnx.relu(self.conv1(x)), (2, 2), strides=(2, 2))
        return self.head(x.reshape(x.shape[0], -1))


class LSTMClassifier(nnx.Module):
    def __init__(self, features: int, rngs: nnx.Rngs) -> None:
        # OptimizedLSTMCell: Flax's fused-gate LSTM (the documented fast path), same weights count.
        cell_cls = getattr(nnx, "OptimizedLSTMCell", nnx.LSTMCell)
        self.rnn = nnx.RNN(cell_cls(features, LSTM_UNITS, rngs=rngs))
        self.head = nnx.Linear(LSTM_UNITS, NUM_CLASSES, rngs=rngs)

    def __call__(self, x: Any) -> Any:
        return self.head(self.rnn(x)[:, -1])


class KerasGRUCell(nnx.RNNCellBase):
    """Keras' GRU step (reset_after=True: input and recurrent biases, 6 * units) from two
    `nnx.Linear`s, so that every framework trains the same weights. Flax's own `GRUCell`
    has an input bias only (3 * units)."""

    def __init__(self, features: int, units: int, rngs: nnx.Rngs) -> None:
        self.units = units
        self.dense_i = nnx.Linear(features, 3 * units, rngs=rngs)
        self.dense_h = nnx.Linear(units, 3 * units, rngs=rngs)

    def __call__(self, h: Any, x: Any) -> tuple[Any, Any]:
        x_z, x_r, x_h = jnp.split(self.dense_i(x), 3, axis=-1)
        h_z, h_r, h_h = jnp.split(self.dense_h(h), 3, axis=-1)
        z = jax.nn.sigmoid(x_z + h_z)
        r = jax.nn.sigmoid(x_r + h_r)
        h = z * h + (1.0 - z) * jnp.tanh(x_h + r * h_h)
        return h, h

    def initialize_carry(
        self, input_shape: tuple[int, ...], rngs: Any = None, carry_init: Any = None
    ) -> Any:
        return jnp.zeros((*input_shape[:-1], self.units), jnp.float32)

    @property
    def num_feature_axes(self) -> int:
        return 1


class GRUClassifier(nnx.Module):
    def __init__(self, features: int, rngs: nnx.Rngs) -> None:
        self.rnn = nnx.RNN(KerasGRUCell(features, GRU_UNITS, rngs=rngs))
        self.head = nnx.Linear(GRU_UNITS, NUM_CLASSES, rngs=rngs)

    def __call__(self, x: Any) -> Any:
        return self.head(self.rnn(x)[:, -1])


class EncoderBlock(nnx.Module):
    def __init__(self, d: int, rngs: nnx.Rngs) -> None:
        self.attention = nnx.MultiHeadAttention(
            num_heads=HEADS, in_features=d, qkv_features=HEADS * HEAD_DIM, out_features=d,
            decode=False, rngs=rngs,
        )
        self.norm0 = nnx.LayerNorm(d, epsilon=LN_EPSILON, rngs=rngs)
        self.ffn0 = nnx.Linear(d, FFN, rngs=rngs)
        self.ffn1 = nnx.Linear(FFN, d, rngs=rngs)
        self.norm1 = nnx.LayerNorm(d, epsilon=LN_EPSILON, rngs=rngs)
        self.head = nnx.Linear(d, NUM_CLASSES, rngs=rngs)

    def __call__(self, x: Any) -> Any:
        h = self.norm0(x + self.attention(x))
        h = self.norm1(h + self.ffn1(nnx.relu(self.ffn0(h))))
        return self.head(jnp.mean(h, axis=1))


def build(workload: Workload, seed: int = 0) -> nnx.Module:
    rngs = nnx.Rngs(seed)
    if workload.kind == "mlp":
        return MLP(workload.sizes, rngs)
    if workload.kind == "cnn":
        return CNN(workload.input_shape[-1], rngs)
    if workload.kind == "lstm":
        return LSTMClassifier(workload.input_shape[-1], rngs)
    if workload.kind == "gru":
        return GRUClassifier(workload.input_shape[-1], rngs)
    if workload.kind == "transformer":
        return EncoderBlock(workload.input_shape[-1], rngs)
    raise ValueError(f"Unknown workload kind {workload.kind!r}.")
