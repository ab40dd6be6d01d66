"""Forward pass and training step of ImageNet applications: layerax against Keras 3 (JAX backend).

The same architecture is built with `lx.applications` and `keras.applications`
(`weights=None`, logits out), and Keras' initial weights are copied into the
layerax model, so both compute the same function (the largest difference of
their outputs is printed). Each is then run two ways:

* `jit stateless`: `model.stateless_call(trainable, non_trainable, x)` inside
  `jax.jit`, for the forward pass (`training=False`) and for a training step
  (`jax.value_and_grad` over `training=True`, optax Adam, buffers donated);
* `on_batch`: `model.predict_on_batch(x)` and `model.train_on_batch(x, y)` after
  `compile(Adam, SparseCategoricalCrossentropy(from_logits=True))`: the Keras API
  with its own compiled step, the result brought back to the host.

Printed per model and pass: the median time per call over interleaved
repetitions (the order is shuffled each repetition, so machine noise is shared),
the spread (min to max), the ratio layerax / Keras for the same way of calling,
and the time of the first call (tracing and XLA compilation), with the machine
and the library versions (the helpers of benchmarks/suite/measure.py).

Run: python -m benchmarks.applications [--size 224] [--batch 8] [--reps 5] [--steps 2]
     [--models ResNet50,EfficientNetB0]
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import os
import random
import statistics
import sys
from collections.abc import Callable
from typing import Any

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402

import layerax as lx  # noqa: E402
from benchmarks.suite.measure import load_average, machine_info, timed, versions  # noqa: E402

MODELS = ("ResNet50", "EfficientNetB0")
CLASSES = 1000
LEARNING_RATE = 1e-3
ADAM_EPSILON = 1e-7  # Keras' default, also given to optax


@dataclasses.dataclass
class Row:
    """One way of running one pass of one model, and its measurements."""

    library: str
    pass_: str  # "forward" or "train"
    how: str  # "jit stateless" or "on_batch"
    call: Callable[[], Any]  # one call, blocking on its result
    first_seconds: float = 0.0
    seconds: list[float] = dataclasses.field(default_factory=list)  # per call, one per repetition

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


def _keras() -> Any:
    import keras

    if keras.backend.backend() != "jax":
        raise SystemExit(
            f"This benchmark compares with Keras 3 on its JAX backend, but KERAS_BACKEND is "
            f"{keras.backend.backend()!r}. Run it with KERAS_BACKEND=jax."
        )
    return keras


def build_pair(name: str, size: int) -> tuple[Any, Any, float]:
    """The layerax and Keras models of `name`, with the same weights, and their output gap."""
    keras = _keras()
    kwargs = dict(weights=None, input_shape=(size, size, 3), classifier_activation=None)
    theirs = getattr(keras.applications, name)(**kwargs)
    ours = getattr(lx.applications, name)(**kwargs)
    ours.set_weights(theirs.get_weights())
    probe = np.random.default_rng(1).uniform(0, 255, (2, size, size, 3)).astype("float32")
    gap = float(np.abs(ours.predict_on_batch(probe) - np.asarray(theirs.predict_on_batch(probe))).max())
    return ours, theirs, gap


def _values(variables: list[Any]) -> list[Any]:
    return [jax.numpy.array(v.value) for v in variables]  # copies: the steps donate them


def _xent(logits: Any, labels: Any) -> Any:
    return optax.softmax_cross_entropy_with_integer_labels(logits, labels).mean()


def jit_forward(model: Any, x: Any) -> Callable[[], Any]:
    trainable, non_trainable = _values(model.trainable_variables), _values(model.non_trainable_variables)
    forward = jax.jit(lambda tv, ntv, x: model.stateless_call(tv, ntv, x, training=False)[0])
    return lambda: jax.block_until_ready(forward(trainable, non_trainable, x))


def jit_train(model: Any, x: Any, y: Any) -> Callable[[], Any]:
    tx = optax.adam(LEARNING_RATE, eps=ADAM_EPSILON)

    @functools.partial(jax.jit, donate_argnums=(0, 1, 2))
    def step(tv: Any, ntv: Any, opt_state: Any, x: Any, y: Any) -> Any:
        def loss_fn(tv: Any) -> Any:
            logits, new_ntv = model.stateless_call(tv, ntv, x, training=True)
            return _xent(logits, y), new_ntv

        (loss, ntv), grads = jax.value_and_grad(loss_fn, has_aux=True)(tv)
        updates, opt_state = tx.update(grads, opt_state, tv)
        return optax.apply_updates(tv, updates), ntv, opt_state, loss

    trainable = _values(model.trainable_variables)
    state = {"tv": trainable, "ntv": _values(model.non_trainable_variables), "opt": tx.init(trainable)}

    def call() -> Any:
        state["tv"], state["ntv"], state["opt"], loss = step(state["tv"], state["ntv"], state["opt"], x, y)
        return jax.block_until_ready(loss)

    return call


def compiled(model: Any, api: Any) -> Any:
    model.compile(optimizer=api.optimizers.Adam(LEARNING_RATE, epsilon=ADAM_EPSILON),
                  loss=api.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def rows_for(name: str, size: int, batch: int) -> tuple[list[Row], float]:
    keras = _keras()
    ours, theirs, gap = build_pair(name, size)
    rng = np.random.default_rng(0)
    x_host = rng.uniform(0, 255, (batch, size, size, 3)).astype("float32")
    y_host = rng.integers(0, CLASSES, (batch,)).astype("int32")
    x, y = jax.device_put(x_host), jax.device_put(y_host)
    rows = []
    for library, model, api in (("layerax", ours, lx), ("keras", theirs, keras)):
        rows.append(Row(library, "forward", "jit stateless", jit_forward(model, x)))
        rows.append(Row(library, "train", "jit stateless", jit_train(model, x, y)))
        model = compiled(model, api)
        rows.append(Row(library, "forward", "on_batch",
                        functools.partial(model.predict_on_batch, x_host)))
        rows.append(Row(library, "train", "on_batch",
                        functools.partial(model.train_on_batch, x_host, y_host)))
    return rows, gap


def measure(rows: list[Row], reps: int, steps: int, log: Callable[[str], None]) -> None:
    """First call of each row, one untimed warm-up call, then interleaved timed repetitions."""
    order = list(rows)
    shuffle = random.Random(0).shuffle
    shuffle(order)
    for row in order:
        row.first_seconds, _ = timed(row.call)
        row.call()
        log(f"  compiled {row.library} {row.pass_} ({row.how}) in {row.first_seconds:.1f} s")
    for rep in range(reps):
        shuffle(order)
        for row in order:
            seconds, _ = timed(lambda: [row.call() for _ in range(steps)])
            row.seconds.append(seconds / steps)
        log(f"  repetition {rep + 1}/{reps} done")


def table(name: str, rows: list[Row]) -> str:
    keras_median = {(r.pass_, r.how): r.median for r in rows if r.library == "keras"}
    lines = [
        "| model | pass | library | how | median ms/call | spread (min–max) | layerax / Keras "
        "| first call s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for pass_ in ("forward", "train"):
        for how in ("jit stateless", "on_batch"):
            for row in rows:
                if (row.pass_, row.how) != (pass_, how):
                    continue
                ratio = f"{row.median / keras_median[(pass_, how)]:.2f}" if row.library == "layerax" else ""
                lines.append(
                    f"| {name} | {pass_} | {row.library} | {how} | {row.median * 1e3:.1f} | "
                    f"{min(row.seconds) * 1e3:.1f}–{max(row.seconds) * 1e3:.1f} | {ratio} | "
                    f"{row.first_seconds:.1f} |"
                )
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.applications",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=224, help="image height and width (>= 32)")
    parser.add_argument("--batch", type=int, default=8, help="images per batch")
    parser.add_argument("--reps", type=int, default=5, help="timed repetitions (interleaved)")
    parser.add_argument("--steps", type=int, default=2, help="calls per timed repetition")
    parser.add_argument("--models", default=",".join(MODELS),
                        help="comma-separated application names, in both lx and keras.applications")
    args = parser.parse_args(argv)
    if args.size < 32 or args.batch < 1 or args.reps < 1 or args.steps < 1:
        parser.error(f"expected --size >= 32 and positive --batch, --reps and --steps; received "
                     f"--size {args.size} --batch {args.batch} --reps {args.reps} --steps {args.steps}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    names = [n.strip() for n in args.models.split(",") if n.strip()]
    unknown = [n for n in names if not hasattr(lx.applications, n)]
    if unknown:
        print(f"Unknown application(s) {unknown}; choose from lx.applications, e.g. {list(MODELS)}.",
              file=sys.stderr)
        return 2
    print(f"Applications benchmark: batch {args.batch}, {args.size}x{args.size} images, "
          f"{args.reps} repetitions of {args.steps} calls; load average {load_average()}")
    for key, value in {**machine_info(), **versions()}.items():
        print(f"  {key}: {value}")
    tables = []
    for name in names:
        print(f"{name}:", flush=True)
        rows, gap = rows_for(name, args.size, args.batch)
        print(f"  same weights, largest output difference layerax - Keras: {gap:.2e}")
        measure(rows, args.reps, args.steps, lambda m: print(m, flush=True))
        tables.append(table(name, rows))
        print(tables[-1], flush=True)
    print(f"\nload average at the end: {load_average()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
