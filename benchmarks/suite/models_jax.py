"""Hand-written JAX models (the reference): parameter dicts and pure forward functions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from benchmarks.suite.workloads import (
    FFN, GRU_UNITS, HEAD_DIM, HEADS, LN_EPSILON, LSTM_UNITS, NUM_CLASSES, Workload,
)


def _glorot(rng: np.random.Generator, shape: tuple[int, ...], fan_in: int, fan_out: int) -> jax.Array:
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return jnp.asarray(rng.uniform(-limit, limit, size=shape).astype(np.float32))


def _zeros(*shape: int) -> jax.Array:
    return jnp.zeros(shape, jnp.float32)


def _dense(x: Any, p: dict[str, Any]) -> Any:
    return x @ p["w"] + p["b"]


def _layer_norm(x: Any, p: dict[str, Any]) -> Any:
    mean = jnp.mean(x, axis=-1, keepdims=True)
    var = jnp.mean(jnp.square(x - mean), axis=-1, keepdims=True)
    return (x - mean) * jax.lax.rsqrt(var + LN_EPSILON) * p["gamma"] + p["beta"]


def _max_pool(x: Any) -> Any:
    return jax.lax.reduce_window(x, -jnp.inf, jax.lax.max, (1, 2, 2, 1), (1, 2, 2, 1), "VALID")


def _conv(x: Any, p: dict[str, Any]) -> Any:
    y = jax.lax.conv_general_dilated(x, p["w"], (1, 1), "VALID", dimension_numbers=("NHWC", "HWIO", "NHWC"))
    return y + p["b"]


def build(workload: Workload, seed: int = 0) -> tuple[dict[str, Any], Callable[[Any, Any], Any]]:
    """`(params, forward)` with `forward(params, x) -> logits`."""
    rng = np.random.default_rng(seed)

    def dense(n_in: int, n_out: int) -> dict[str, Any]:
        return {"w": _glorot(rng, (n_in, n_out), n_in, n_out), "b": _zeros(n_out)}

    if workload.kind == "mlp":
        sizes = workload.sizes
        params = {f"dense{i}": dense(a, b) for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:]))}
        n = len(params)

        def forward(params: Any, x: Any) -> Any:
            for i in range(n):
                x = _dense(x, params[f"dense{i}"])
                if i < n - 1:
                    x = jax.nn.relu(x)
            return x

        return params, forward

    if workload.kind == "cnn":
        channels = workload.input_shape[-1]
        params = {
            "conv0": {"w": _glorot(rng, (3, 3, channels, 32), 9 * channels, 9 * 32), "b": _zeros(32)},
            "conv1": {"w": _glorot(rng, (3, 3, 32, 64), 9 * 32, 9 * 64), "b": _zeros(64)},
            "head": dense(6 * 6 * 64, NUM_CLASSES),
        }

        def forward(params: Any, x: Any) -> Any:
            x = _max_pool(jax.nn.relu(_conv(x, params["conv0"])))
            x = _max_pool(jax.nn.relu(_conv(x, params["conv1"])))
            return _dense(x.reshape(x.shape[0], -1), params["head"])

        return params, forward

    if workload.kind == "lstm":
        features, units = workload.input_shape[-1], LSTM_UNITS
        params = {
            "lstm": {
                "kernel": _glorot(rng, (features, 4 * units), features, 4 * units),
                "recurrent": _glorot(rng, (units, 4 * units), units, 4 * units),
                "bias": _zeros(4 * units),
            },
            "head": dense(units, NUM_CLASSES),
        }

        def forward(params: Any, x: Any) -> Any:
            p = params["lstm"]
            # The input projection of every time step in one matmul; the recurrence in a scan.
            projected = jnp.swapaxes(x @ p["kernel"] + p["bias"], 0, 1)
            batch = x.shape[0]

            def cell(carry: Any, z_x: Any) -> Any:
                h, c = carry
                z = z_x + h @ p["recurrent"]
                i, f, g, o = jnp.split(z, 4, axis=-1)
                c = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(g)
                h = jax.nn.sigmoid(o) * jnp.tanh(c)
                return (h, c), None

            zeros = jnp.zeros((batch, units), x.dtype)
            (h, _), _ = jax.lax.scan(cell, (zeros, zeros), projected)
            return _dense(h, params["head"])

        return params, forward

    if workload.kind == "gru":
        features, units = workload.input_shape[-1], GRU_UNITS
        params = {
            "gru": {
                "kernel": _glorot(rng, (features, 3 * units), features, 3 * units),
                "recurrent": _glorot(rng, (units, 3 * units), units, 3 * units),
                "input_bias": _zeros(3 * units),
                "recurrent_bias": _zeros(3 * units),
            },
            "head": dense(units, NUM_CLASSES),
        }

        def forward(params: Any, x: Any) -> Any:
            p = params["gru"]
            # Keras' GRU with reset_after=True (gates z, r, candidate; the reset gate scales
            # the recurrent candidate term, its bias included). Input projection hoisted.
            projected = jnp.swapaxes(x @ p["kernel"] + p["input_bias"], 0, 1)

            def cell(h: Any, x_proj: Any) -> Any:
                x_z, x_r, x_h = jnp.split(x_proj, 3, axis=-1)
                h_z, h_r, h_h = jnp.split(h @ p["recurrent"] + p["recurrent_bias"], 3, axis=-1)
                z = jax.nn.sigmoid(x_z + h_z)
                r = jax.nn.sigmoid(x_r + h_r)
                h = z * h + (1.0 - z) * jnp.tanh(x_h + r * h_h)
                return h, None

            h, _ = jax.lax.scan(cell, jnp.zeros((x.shape[0], units), x.dtype), projected)
            return _dense(h, params["head"])

        return params, forward

    if workload.kind == "transformer":
        d = workload.input_shape[-1]

        def proj_in() -> dict[str, Any]:
            return {"w": _glorot(rng, (d, HEADS, HEAD_DIM), d, HEADS * HEAD_DIM), "b": _zeros(HEADS, HEAD_DIM)}

        def norm() -> dict[str, Any]:
            return {"gamma": jnp.ones((d,), jnp.float32), "beta": _zeros(d)}

        params = {
            "query": proj_in(), "key": proj_in(), "value": proj_in(),
            "out": {"w": _glorot(rng, (HEADS, HEAD_DIM, d), HEADS * HEAD_DIM, d), "b": _zeros(d)},
            "norm0": norm(), "ffn0": dense(d, FFN), "ffn1": dense(FFN, d), "norm1": norm(),
            "head": dense(d, NUM_CLASSES),
        }

        def forward(params: Any, x: Any) -> Any:
            def project(name: str) -> Any:
                return jnp.einsum("btd,dhk->bthk", x, params[name]["w"]) + params[name]["b"]

            q, k, v = project("query") / np.sqrt(HEAD_DIM), project("key"), project("value")
            weights = jax.nn.softmax(jnp.einsum("bqhk,bshk->bhqs", q, k), axis=-1)
            context = jnp.einsum("bhqs,bshk->bqhk", weights, v)
            attended = jnp.einsum("bqhk,hkd->bqd", context, params["out"]["w"]) + params["out"]["b"]
            h = _layer_norm(x + attended, params["norm0"])
            f = _dense(jax.nn.relu(_dense(h, params["ffn0"])), params["ffn1"])
            h = _layer_norm(h + f, params["norm1"])
            return _dense(jnp.mean(h, axis=1), params["head"])

        return params, forward

    raise ValueError(f"Unknown workload kind {workload.kind!r}.")
