"""One model builder for Keras 3 and layerax: the same code, only the module differs."""

from __future__ import annotations

from typing import Any

from benchmarks.suite.workloads import (
    FFN, GRU_UNITS, HEAD_DIM, HEADS, LN_EPSILON, LSTM_UNITS, NUM_CLASSES, Workload,
)


def missing_layers(api: Any, workload: Workload) -> list[str]:
    """Layers the workload needs that `api.layers` does not have (yet)."""
    return [name for name in workload.needs if not hasattr(api.layers, name)]


def build(api: Any, workload: Workload) -> Any:
    """The workload's model written with `api` = `keras` or `layerax` (built, Keras' API)."""
    L = api.layers
    inputs = api.Input(shape=workload.input_shape)
    if workload.kind == "mlp":
        x = inputs
        for width in workload.sizes[1:-1]:
            x = L.Dense(width, activation="relu")(x)
        outputs = L.Dense(workload.sizes[-1])(x)
    elif workload.kind == "cnn":
        x = L.MaxPooling2D(2)(L.Conv2D(32, 3, activation="relu")(inputs))
        x = L.MaxPooling2D(2)(L.Conv2D(64, 3, activation="relu")(x))
        outputs = L.Dense(NUM_CLASSES)(L.Flatten()(x))
    elif workload.kind == "lstm":
        outputs = L.Dense(NUM_CLASSES)(L.LSTM(LSTM_UNITS)(inputs))
    elif workload.kind == "gru":
        outputs = L.Dense(NUM_CLASSES)(L.GRU(GRU_UNITS)(inputs))  # reset_after=True (default)
    elif workload.kind == "transformer":
        attended = L.MultiHeadAttention(num_heads=HEADS, key_dim=HEAD_DIM)(inputs, inputs)
        x = L.LayerNormalization(epsilon=LN_EPSILON)(L.Add()([inputs, attended]))
        f = L.Dense(workload.input_shape[-1])(L.Dense(FFN, activation="relu")(x))
        x = L.LayerNormalization(epsilon=LN_EPSILON)(L.Add()([x, f]))
        outputs = L.Dense(NUM_CLASSES)(L.GlobalAveragePooling1D()(x))
    else:
        raise ValueError(f"Unknown workload kind {workload.kind!r}.")
    return api.Model(inputs, outputs)
