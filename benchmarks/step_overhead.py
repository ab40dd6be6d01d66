"""Per-step time of a TF-style `@lx.function` training step against hand-written JAX + optax.

Both run the same MLP, the same Adam update and the same batches in one process.
Printed: median microseconds per step over several repetitions, and the ratio
layerax / reference. Targets: <= 1.15 on the tiny (overhead-bound) model,
<= 1.03 on the large (compute-bound) one.

Run: python benchmarks/step_overhead.py [--quick]
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


class MLP(lx.Model):
    """Dense layers with relu between them."""

    def __init__(self, sizes: list[int]) -> None:
        super().__init__()
        self.blocks = [lx.layers.Dense(n, activation="relu") for n in sizes[1:-1]]
        self.blocks.append(lx.layers.Dense(sizes[-1]))

    def call(self, x: Any) -> Any:
        for layer in self.blocks:
            x = layer(x)
        return x


def make_model(sizes: list[int]) -> lx.Model:
    mlp = MLP(sizes)
    mlp(jnp.zeros((1, sizes[0])))
    return mlp


def loss_from_logits(logits: Any, labels: Any) -> Any:
    return optax.softmax_cross_entropy_with_integer_labels(logits, labels).mean()


def reference_step(sizes: list[int], model: lx.Model, lr: float) -> tuple[Callable[..., Any], Any]:
    """Hand-written jax.jit + optax step on a copy of the model's initial weights."""
    params = [jnp.array(v.value) for v in model.trainable_variables]
    tx = optax.adam(lr, eps=1e-7)
    opt_state = tx.init(params)

    def forward(params: list[Any], x: Any) -> Any:
        n = len(params) // 2
        for i in range(n):
            x = x @ params[2 * i] + params[2 * i + 1]
            if i < n - 1:
                x = jax.nn.relu(x)
        return x

    @jax.jit
    def step(params: Any, opt_state: Any, x: Any, y: Any) -> Any:
        loss, grads = jax.value_and_grad(lambda p: loss_from_logits(forward(p, x), y))(params)
        updates, opt_state = tx.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, loss

    state = {"params": params, "opt": opt_state}

    def run(x: Any, y: Any) -> Any:
        state["params"], state["opt"], loss = step(state["params"], state["opt"], x, y)
        return loss

    return run, state


def layerax_stateless_step(model: lx.Model, lr: float) -> Callable[..., Any]:
    """`@lx.function` step: value_and_grad over stateless_call, closure-captured state."""
    opt = lx.optimizers.Adam(lr)

    @lx.function
    def step(x: Any, y: Any) -> Any:
        def loss_fn(values: list[Any]) -> Any:
            logits, _ = model.stateless_call(values, [], x)
            return loss_from_logits(logits, y)

        variables = model.trainable_variables
        loss, grads = jax.value_and_grad(loss_fn)([v.value for v in variables])
        opt.apply_gradients(zip(grads, variables))
        return loss

    return step


def layerax_tape_step(model: lx.Model, lr: float) -> Callable[..., Any] | None:
    """The TF2 idiom: `@lx.function` around a GradientTape step."""
    tape_cls = getattr(lx, "GradientTape", None)
    if tape_cls is None:
        return None
    opt = lx.optimizers.Adam(lr)

    @lx.function
    def step(x: Any, y: Any) -> Any:
        with tape_cls() as tape:
            loss = loss_from_logits(model(x, training=True), y)
        grads = tape.gradient(loss, model.trainable_variables)
        opt.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    return step


def time_steps(step: Callable[..., Any], batches: list[tuple[Any, Any]], steps: int) -> float:
    loss = None
    start = time.perf_counter()
    for i in range(steps):
        x, y = batches[i % len(batches)]
        loss = step(x, y)
    jax.block_until_ready(loss)
    return (time.perf_counter() - start) / steps * 1e6


def bench(name: str, sizes: list[int], batch: int, steps: int, reps: int) -> dict[str, float]:
    rng = np.random.default_rng(0)
    batches = [
        (jnp.asarray(rng.normal(size=(batch, sizes[0])), jnp.float32),
         jnp.asarray(rng.integers(0, sizes[-1], size=(batch,)), jnp.int32))
        for _ in range(8)
    ]
    lx.utils.set_random_seed(0)
    candidates: dict[str, Callable[..., Any]] = {}
    ref, _ = reference_step(sizes, make_model(sizes), 1e-3)
    candidates["jax.jit + optax (reference)"] = ref
    candidates["lx.function + stateless_call"] = layerax_stateless_step(make_model(sizes), 1e-3)
    tape = layerax_tape_step(make_model(sizes), 1e-3)
    if tape is not None:
        candidates["lx.function + GradientTape"] = tape
    for step in candidates.values():  # compile and warm up
        time_steps(step, batches, 20)
    results: dict[str, list[float]] = {k: [] for k in candidates}
    for _ in range(reps):  # interleave to share machine noise fairly
        for key, step in candidates.items():
            results[key].append(time_steps(step, batches, steps))
    medians = {k: statistics.median(v) for k, v in results.items()}
    ref_time = medians["jax.jit + optax (reference)"]
    print(f"\n{name}: MLP {sizes}, batch {batch}, {steps} steps x {reps} reps")
    for key, values in results.items():
        spread = (max(values) - min(values)) / 2
        print(f"  {key:34s} {medians[key]:9.1f} us/step (±{spread:.1f})  ratio {medians[key] / ref_time:5.3f}")
    return {k: v / ref_time for k, v in medians.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer steps (smoke test)")
    args = parser.parse_args()
    scale = 0.1 if args.quick else 1.0
    print(f"jax {jax.__version__} on {jax.devices()[0].platform}")
    bench("overhead-bound", [16, 16, 10], 8, int(2000 * scale) or 20, 7 if not args.quick else 2)
    bench("compute-bound", [784, 1024, 1024, 10], 256, int(100 * scale) or 5, 5 if not args.quick else 2)


if __name__ == "__main__":
    main()
