"""Per-step time of an eager GradientTape step against the same step compiled with lx.function.

Also times eager `jax.value_and_grad` over `stateless_call` (no jit), the functional
equivalent of the eager tape, so the tape's own eager overhead can be read off.

Run: python benchmarks/tape_eager.py [--quick]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

import layerax as lx


def make_model(sizes: list[int]) -> lx.Model:
    layers = [lx.layers.Dense(n, activation="relu") for n in sizes[1:-1]]
    layers.append(lx.layers.Dense(sizes[-1]))

    class MLP(lx.Model):
        def __init__(self) -> None:
            super().__init__()
            self.blocks = layers

        def call(self, x: Any) -> Any:
            for layer in self.blocks:
                x = layer(x)
            return x

    model = MLP()
    model(jnp.zeros((1, sizes[0])))
    return model


def loss_from_logits(logits: Any, labels: Any) -> Any:
    return optax.softmax_cross_entropy_with_integer_labels(logits, labels).mean()


def tape_step(model: lx.Model, opt: Any) -> Callable[..., Any]:
    def step(x: Any, y: Any) -> Any:
        with lx.GradientTape() as tape:
            loss = loss_from_logits(model(x, training=True), y)
        grads = tape.gradient(loss, model.trainable_variables)
        opt.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    return step


def value_and_grad_step(model: lx.Model, opt: Any) -> Callable[..., Any]:
    def step(x: Any, y: Any) -> Any:
        variables = model.trainable_variables

        def loss_fn(values: list[Any]) -> Any:
            logits, _ = model.stateless_call(values, [], x, training=True)
            return loss_from_logits(logits, y)

        loss, grads = jax.value_and_grad(loss_fn)([v.value for v in variables])
        opt.apply_gradients(zip(grads, variables))
        return loss

    return step


def time_steps(step: Callable[..., Any], batches: list[Any], steps: int) -> float:
    loss = None
    start = time.perf_counter()
    for i in range(steps):
        x, y = batches[i % len(batches)]
        loss = step(x, y)
    jax.block_until_ready(jnp.asarray(loss))
    return (time.perf_counter() - start) / steps * 1e6


def bench(name: str, sizes: list[int], batch: int, steps: int, reps: int) -> None:
    rng = np.random.default_rng(0)
    batches = [
        (jnp.asarray(rng.normal(size=(batch, sizes[0])), jnp.float32),
         jnp.asarray(rng.integers(0, sizes[-1], size=(batch,)), jnp.int32))
        for _ in range(4)
    ]
    candidates = {}
    lx.utils.set_random_seed(0)
    model = make_model(sizes)
    adam = lx.optimizers.Adam
    candidates["lx.function + GradientTape"] = lx.function(tape_step(model, adam(1e-3)))
    candidates["eager GradientTape"] = tape_step(make_model(sizes), adam(1e-3))
    candidates["eager value_and_grad"] = value_and_grad_step(make_model(sizes), adam(1e-3))
    for step in candidates.values():
        time_steps(step, batches, 3)
    results: dict[str, list[float]] = {k: [] for k in candidates}
    for _ in range(reps):
        for key, step in candidates.items():
            results[key].append(time_steps(step, batches, steps))
    base = statistics.median(results["lx.function + GradientTape"])
    print(f"\n{name}: MLP {sizes}, batch {batch}, {steps} steps x {reps} reps")
    for key, values in results.items():
        med = statistics.median(values)
        print(f"  {key:30s} {med:10.1f} us/step   x{med / base:7.1f} the compiled tape step")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    steps = 5 if args.quick else 20
    print(f"jax {jax.__version__} on {jax.devices()[0].platform}")
    bench("overhead-bound", [16, 16, 10], 8, steps, 3)
    bench("compute-bound", [784, 1024, 1024, 10], 256, max(steps // 4, 2), 3)


if __name__ == "__main__":
    main()
