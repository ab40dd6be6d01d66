"""Fault injection, threads: models trained in parallel threads equal single-thread runs.

The trace context (`layerax.core.context.CTX`: state scopes, interceptors, the call
context, autocast and mask stacks) is per thread, as Keras' global state is. Each thread
here fits, evaluates and predicts its own model; its weights and predictions must equal
those of the same work done alone in the main thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np

import layerax as lx

N_THREADS = 6


def _data(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(32, 5)).astype("float32")
    y = (x @ rng.normal(size=(5, 1))).astype("float32")
    return x, y


def _fit_sequential(seed: int) -> list[np.ndarray]:
    """`fit` + `evaluate` + `predict` of a Sequential model with BatchNorm and Dropout."""
    init = lx.initializers.GlorotUniform(seed=seed)
    model = lx.Sequential(
        [
            lx.Input((5,)),
            lx.layers.Dense(8, activation="relu", kernel_initializer=init),
            lx.layers.BatchNormalization(),
            lx.layers.Dropout(0.2, seed=seed),
            lx.layers.Dense(1, kernel_initializer=init),
        ]
    )
    model.compile(optimizer=lx.optimizers.Adam(0.01), loss="mse")
    x, y = _data(seed)
    model.fit(x, y, batch_size=8, epochs=2, verbose=0, shuffle=False)
    loss = model.evaluate(x, y, batch_size=16, verbose=0)
    pred = model.predict(x, batch_size=16, verbose=0)
    return [np.asarray(w) for w in model.get_weights()] + [np.asarray(loss), pred]


class _Subclassed(lx.Model):
    def __init__(self, seed: int) -> None:
        super().__init__()
        init = lx.initializers.GlorotUniform(seed=seed)
        self.hidden = lx.layers.Dense(8, activation="tanh", kernel_initializer=init)
        self.out = lx.layers.Dense(1, kernel_initializer=init)

    def call(self, x: Any) -> Any:
        return self.out(self.hidden(x))


def _tape_loop(seed: int) -> list[np.ndarray]:
    """A TF-style `@lx.function` step with a GradientTape, the pattern whose trace scope leaked."""
    model = _Subclassed(seed)
    optimizer = lx.optimizers.SGD(0.05)
    x, y = _data(seed)

    @lx.function
    def step(xb: Any, yb: Any) -> Any:
        with lx.GradientTape() as tape:
            loss = lx.ops.mean((model(xb) - yb) ** 2)
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    losses = [np.asarray(step(x[i : i + 8], y[i : i + 8])) for i in range(0, 32, 8) for _ in range(2)]
    return [np.asarray(w) for w in model.get_weights()] + [np.stack(losses), np.asarray(model(x))]


def _run_in_threads(work: Callable[[int], list[np.ndarray]], seeds: list[int]) -> dict[int, Any]:
    results: dict[int, Any] = {}
    barrier = threading.Barrier(len(seeds))

    def target(seed: int) -> None:
        try:
            barrier.wait()  # start together, so that their traces overlap
            results[seed] = work(seed)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            results[seed] = exc

    threads = [threading.Thread(target=target, args=(s,)) for s in seeds]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def _check_equal(threaded: dict[int, Any], alone: dict[int, list[np.ndarray]]) -> None:
    for seed, expected in alone.items():
        got = threaded[seed]
        if isinstance(got, BaseException):
            raise AssertionError(f"thread {seed} raised {type(got).__name__}: {got}") from got
        assert len(got) == len(expected)
        for g, e in zip(got, expected):
            np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-6)


def test_threads_fitting_their_own_models_equal_single_thread_runs():
    seeds = list(range(N_THREADS))
    sequential_alone = {s: _fit_sequential(s) for s in seeds[:3]}
    tape_alone = {s: _tape_loop(s) for s in seeds[3:]}

    def work(seed: int) -> list[np.ndarray]:
        return _fit_sequential(seed) if seed < 3 else _tape_loop(seed)

    threaded = _run_in_threads(work, seeds)
    _check_equal(threaded, {**sequential_alone, **tape_alone})


def test_trace_context_is_per_thread():
    """A scope opened in one thread is invisible to another (no inline run, no leaked tracer)."""
    from layerax.core.context import CTX
    from layerax.core.state import state_is_routed

    seen: dict[str, Any] = {}
    opened, checked = threading.Event(), threading.Event()

    def other() -> None:
        opened.wait()
        seen["routed"] = state_is_routed()
        seen["scopes"] = list(CTX.scopes)
        checked.set()

    thread = threading.Thread(target=other)
    thread.start()
    with lx.GradientTape():
        assert state_is_routed()
        opened.set()
        checked.wait()
    thread.join()
    assert seen == {"routed": False, "scopes": []}
