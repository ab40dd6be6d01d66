"""Cost of checkpointing during `fit`: none, the synchronous zip archive, the asynchronous Orbax backend.

A ~50 MB model (an MLP of ~12.6M float32 parameters; with Adam's two moments
a full checkpoint is ~150 MB) trains for `--steps` batches, checkpointing the
full training state every `--every` batches with `ModelCheckpoint`:

* `none`: no callback;
* `zip`: `ModelCheckpoint("ckpt.layerax", save_freq=every)`, a synchronous
  write of layerax's zip archive from host memory;
* `orbax`: `ModelCheckpoint("ckpt_dir", save_freq=every)`, the Orbax backend
  (device-to-host copy in the step, the write in a background thread).

Printed per backend: the median time per step over `--repeats` runs (each run
is one `fit`, compiled beforehand, the wait for the last Orbax save
included), the overhead per step against `none`, the ratio to `none`, and the
median time the training loop was blocked in the callback per save.

Run: python benchmarks/checkpointing.py [--steps 40] [--every 10] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from typing import Any

import numpy as np

import layerax as lx

SIZES = (1024, 2048, 2048, 2048, 1024)


def build() -> lx.Model:
    layers: list[Any] = [lx.Input((SIZES[0],))]
    layers += [lx.layers.Dense(n, activation="relu") for n in SIZES[1:-1]]
    layers.append(lx.layers.Dense(SIZES[-1]))
    model = lx.Sequential(layers)
    model.compile(optimizer="adam", loss="mse")
    return model


class _Blocked(lx.callbacks.Callback):
    """Runs a checkpoint callback and records how long each of its saving hooks blocked."""

    def __init__(self, inner: lx.callbacks.Callback) -> None:
        super().__init__()
        self.inner = inner
        self.blocked: list[float] = []

    def set_model(self, model: Any) -> None:
        super().set_model(model)
        self.inner.set_model(model)

    def set_params(self, params: Any) -> None:
        super().set_params(params)
        self.inner.set_params(params)

    def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
        self.inner.on_epoch_begin(epoch, logs)

    def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
        start = time.perf_counter()
        self.inner.on_train_batch_end(batch, logs)
        elapsed = time.perf_counter() - start
        if elapsed > 1e-3:  # a save happened (the other batches only count)
            self.blocked.append(elapsed)

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        self.inner.on_epoch_end(epoch, logs)

    def on_train_end(self, logs: Any = None) -> None:
        self.inner.on_train_end(logs)


def run(backend: str, model: lx.Model, x: np.ndarray, y: np.ndarray, batch: int, every: int,
        root: str) -> tuple[float, list[float]]:
    """Seconds of one `fit` over the data, and the per-save blocking times."""
    callbacks: list[Any] = []
    target = None
    if backend != "none":
        target = os.path.join(root, "ckpt.layerax" if backend == "zip" else "ckpt_dir")
        shutil.rmtree(target, ignore_errors=True)
        if os.path.exists(target):
            os.remove(target)
        callbacks = [_Blocked(lx.callbacks.ModelCheckpoint(target, save_freq=every))]
    start = time.perf_counter()
    model.fit(x, y, batch_size=batch, epochs=1, shuffle=False, callbacks=callbacks, verbose=0)
    float(np.asarray(model.trainable_variables[0].value[0, 0]))  # the last step has finished
    elapsed = time.perf_counter() - start
    return elapsed, (callbacks[0].blocked if callbacks else [])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--every", type=int, default=10)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    model = build()
    params = sum(int(np.prod(v.shape)) for v in model.trainable_variables)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((args.steps * args.batch, SIZES[0])).astype("float32")
    y = rng.standard_normal((args.steps * args.batch, SIZES[-1])).astype("float32")
    print(f"model: {params / 1e6:.1f}M float32 parameters ({params * 4 / 2**20:.0f} MiB; "
          f"with Adam's moments {params * 12 / 2**20:.0f} MiB per checkpoint)")
    print(f"{args.steps} steps of batch {args.batch}, a checkpoint every {args.every} steps, "
          f"{args.repeats} repeats")
    model.fit(x[: 2 * args.batch], y[: 2 * args.batch], batch_size=args.batch, verbose=0)  # compile

    root = tempfile.mkdtemp(prefix="lx-ckpt-bench-")
    results: dict[str, list[float]] = {"none": [], "zip": [], "orbax": []}
    blocked: dict[str, list[float]] = {"none": [], "zip": [], "orbax": []}
    try:
        for _ in range(args.repeats):
            for backend in results:  # interleaved, so that load changes hit all alike
                seconds, saves = run(backend, model, x, y, args.batch, args.every, root)
                results[backend].append(seconds / args.steps)
                blocked[backend] += saves
    finally:
        shutil.rmtree(root, ignore_errors=True)

    base = statistics.median(results["none"])
    print(f"{'backend':8} {'ms/step':>9} {'overhead ms/step':>17} {'ratio':>7} {'blocked ms/save':>16}")
    for backend, times in results.items():
        step = statistics.median(times)
        per_save = statistics.median(blocked[backend]) * 1e3 if blocked[backend] else 0.0
        print(f"{backend:8} {step * 1e3:9.1f} {(step - base) * 1e3:17.1f} {step / base:7.3f} "
              f"{per_save:16.1f}")


if __name__ == "__main__":
    main()
