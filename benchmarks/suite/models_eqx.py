"""The workloads written with Equinox: per-sample modules, `jax.vmap` over the batch.

Equinox convolutions are channels-first, so the CNN receives the same batches transposed
to NCHW on the host (`channels_first=True` in `build`).
"""

from __future__ import annotations

from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp

from benchmarks.suite.workloads import (
    FFN, GRU_UNITS, HEAD_DIM, HEADS, LN_EPSILON, LSTM_UNITS, NUM_CLASSES, Workload,
)


class MLP(eqx.Module):
    layers: list[eqx.nn.Linear]

    def __init__(self, sizes: tuple[int, ...], key: Any) -> None:
        keys = jax.random.split(key, len(sizes) - 1)
        self.layers = [eqx.nn.Linear(a, b, key=k) for a, b, k in zip(sizes[:-1], sizes[1:], keys)]

    def __call__(self, x: Any) -> Any:
        for layer in self.layers[:-1]:
            x = jax.nn.relu(layer(x))
        return self.layers[-1](x)


class CNN(eqx.Module):
    conv0: eqx.nn.Conv2d
    conv1: eqx.nn.Conv2d
    pool: eqx.nn.MaxPool2d
    head: eqx.nn.Linear

    def __init__(self, channels: int, key: Any) -> None:
        k0, k1, k2 = jax.random.split(key, 3)
        self.conv0 = eqx.nn.Conv2d(channels, 32, 3, key=k0)
        self.conv1 = eqx.nn.Conv2d(32, 64, 3, key=k1)
        self.pool = eqx.nn.MaxPool2d(2, 2)
        self.head = eqx.nn.Linear(64 * 6 * 6, NUM_CLASSES, key=k2)

    def __call__(self, x: Any) -> Any:
        x = self.pool(jax.nn.relu(self.conv0(x)))
        x = self.pool(jax.nn.relu(self.conv1(x)))
        return self.head(x.reshape(-1))


class LSTMClassifier(eqx.Module):
    cell: eqx.nn.LSTMCell
    head: eqx.nn.Linear

    def __init__(self, features: int, key: Any) -> None:
        k0, k1 = jax.random.split(key)
        self.cell = eqx.nn.LSTMCell(features, LSTM_UNITS, key=k0)
        self.head = eqx.nn.Linear(LSTM_UNITS, NUM_CLASSES, key=k1)

    def __call__(self, xs: Any) -> Any:
        def step(carry: Any, x: Any) -> Any:
            return self.cell(x, carry), None

        zeros = jnp.zeros((LSTM_UNITS,), xs.dtype)
        (h, _), _ = jax.lax.scan(step, (zeros, zeros), xs)
        return self.head(h)


class GRUClassifier(eqx.Module):
    """Keras' GRU (reset_after=True: input and recurrent biases, 6 * units) from two
    `eqx.nn.Linear`s, so that every framework trains the same weights. Equinox's own
    `GRUCell` has one bias per gate plus one for the candidate's recurrent term (4 * units)."""

    dense_i: eqx.nn.Linear
    dense_h: eqx.nn.Linear
    head: eqx.nn.Linear

    def __init__(self, features: int, key: Any) -> None:
        k0, k1, k2 = jax.random.split(key, 3)
        self.dense_i = eqx.nn.Linear(features, 3 * GRU_UNITS, key=k0)
        self.dense_h = eqx.nn.Linear(GRU_UNITS, 3 * GRU_UNITS, key=k1)
        self.head = eqx.nn.Linear(GRU_UNITS, NUM_CLASSES, key=k2)

    def __call__(self, xs: Any) -> Any:
        def step(h: Any, x: Any) -> Any:
            x_z, x_r, x_h = jnp.split(self.dense_i(x), 3)
            h_z, h_r, h_h = jnp.split(self.dense_h(h), 3)
            z = jax.nn.sigmoid(x_z + h_z)
            r = jax.nn.sigmoid(x_r + h_r)
            return z * h + (1.0 - z) * jnp.tanh(x_h + r * h_h), None

        h, _ = jax.lax.scan(step, jnp.zeros((GRU_UNITS,), xs.dtype), xs)
        return self.head(h)


class EncoderBlock(eqx.Module):
    attention: eqx.nn.MultiheadAttention
    norm0: eqx.nn.LayerNorm
    ffn0: eqx.nn.Linear
    ffn1: eqx.nn.Linear
    norm1: eqx.nn.LayerNorm
    head: eqx.nn.Linear

    def __init__(self, d: int, key: Any) -> None:
        keys = jax.random.split(key, 4)
        self.attention = eqx.nn.MultiheadAttention(
            HEADS, d, qk_size=HEAD_DIM, vo_size=HEAD_DIM, use_query_bias=True,
            use_key_bias=True, use_value_bias=True, use_output_bias=True, key=keys[0],
        )
        self.norm0 = eqx.nn.LayerNorm(d, eps=LN_EPSILON)
        self.ffn0 = eqx.nn.Linear(d, FFN, key=keys[1])
        self.ffn1 = eqx.nn.Linear(FFN, d, key=keys[2])
        self.norm1 = eqx.nn.LayerNorm(d, eps=LN_EPSILON)
        self.head = eqx.nn.Linear(d, NUM_CLASSES, key=keys[3])

    def __call__(self, x: Any) -> Any:
        h = jax.vmap(self.norm0)(x + self.attention(x, x, x))
        f = jax.vmap(self.ffn1)(jax.nn.relu(jax.vmap(self.ffn0)(h)))
        h = jax.vmap(self.norm1)(h + f)
        return self.head(jnp.mean(h, axis=0))


def build(workload: Workload, seed: int = 0) -> eqx.Module:
    key = jax.random.key(seed)
    if workload.kind == "mlp":
        return MLP(workload.sizes, key)
    if workload.kind == "cnn":
        return CNN(workload.input_shape[-1], key)
    if workload.kind == "lstm":
        return LSTMClassifier(workload.input_shape[-1], key)
    if workload.kind == "gru":
        return GRUClassifier(workload.input_shape[-1], key)
    if workload.kind == "transformer":
        return EncoderBlock(workload.input_shape[-1], key)
    raise ValueError(f"Unknown workload kind {workload.kind!r}.")


def channels_first(workload: Workload) -> bool:
    """Whether the workload's batches must be transposed to NCHW for this model."""
    return workload.kind == "cnn"
