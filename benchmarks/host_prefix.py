"""Cost of the host prefix in `fit`: a TextVectorization-first model against the same
model fed the already vectorized integer batches (the compiled part alone).

Printed: seconds per epoch (median of a few epochs, after a warm-up epoch) for both,
their ratio, and the time of TextVectorization alone on the same batches. The ratio
minus one is what running the string layer on the host adds to each step.

Run: python benchmarks/host_prefix.py [--quick]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

import layerax as lx


def corpus(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    words = np.array([f"w{i}" for i in range(500)])
    texts = [" ".join(rng.choice(words, 20)) for _ in range(n)]
    return np.array(texts)[:, None], rng.integers(0, 2, n).astype("float32")


def head(inputs: lx.KerasTensor) -> lx.KerasTensor:
    x = lx.layers.Embedding(1000, 32)(inputs)
    x = lx.layers.GlobalAveragePooling1D()(x)
    return lx.layers.Dense(1, activation="sigmoid")(x)


def epoch_seconds(model: lx.Model, x: np.ndarray, y: np.ndarray, epochs: int) -> float:
    model.fit(x, y, batch_size=64, epochs=1, verbose=0)  # compiles
    times = []
    for _ in range(epochs):
        start = time.perf_counter()
        model.fit(x, y, batch_size=64, epochs=1, verbose=0)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    n, epochs = (2048, 3) if args.quick else (8192, 5)
    x, y = corpus(n)
    vectorize = lx.layers.TextVectorization(max_tokens=1000, output_sequence_length=20)
    vectorize.adapt(x)

    strings = lx.Input(shape=(1,), dtype="string")
    with_prefix = lx.Model(strings, head(vectorize(strings)))
    ids = lx.Input(shape=(20,), dtype="int32")
    device_only = lx.Model(ids, head(ids))
    for model in (with_prefix, device_only):
        model.compile(optimizer="adam", loss="binary_crossentropy")

    vectorized = vectorize(x)
    prefix_s = epoch_seconds(with_prefix, x, y, epochs)
    device_s = epoch_seconds(device_only, vectorized, y, epochs)
    start = time.perf_counter()
    for i in range(0, n, 64):
        vectorize(x[i : i + 64])
    host_s = time.perf_counter() - start
    print(f"samples={n} batch=64 steps/epoch={n // 64}")
    print(f"TextVectorization first (host prefix): {prefix_s:.3f} s/epoch")
    print(f"integer ids, compiled part only:       {device_s:.3f} s/epoch")
    print(f"ratio: {prefix_s / device_s:.2f}; TextVectorization alone: {host_s:.3f} s/epoch")


if __name__ == "__main__":
    main()
