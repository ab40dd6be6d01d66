"""The body of a multi-step call (`steps_per_execution=K`): scan, unrolled, or a loop of steps.

K steps can run as:
  - "scan": one compiled `lax.scan` over the single step (compiled once, one
    call per K steps: the least host work per step);
  - "unroll": one compiled program holding K copies of the step, without a
    `while` loop (its compilation grows with K: "auto" never picks it);
  - "loop": K calls of the compiled single step (the program of
    `steps_per_execution=1`, with its host work per step).

All three compute the same K steps. Which is fastest depends on the backend
and the model: on XLA:CPU a convolution's weight gradient inside a `while`
loop (what a scan lowers to) loses the fast path it takes in a plain program,
so a small CNN's scan runs several times slower than its single step, while an
overhead-bound MLP runs fastest as a scan. `model.multi_step_body = "auto"`
(the default) therefore measures, on the real groups of the first `fit`
(or `evaluate`/`predict`):

  1. the first group runs as a loop; each call after the first (which may
     compile) is timed alone: the host's time until the call returns, and the
     time until its result is ready; the fastest call counts;
  2. when the host's time is under `SCAN_WORTH_MEASURING` of the step, the
     step is compute-bound: a scan can save at most that host time and may
     lose much more, so the loop is kept without compiling the scan;
  3. otherwise the next group compiles the scan and the `SCAN_TIMINGS` after
     it are timed: the scan is kept if its fastest time per step beats the
     loop's (the larger of host and device time: they overlap in a loop).

The choice is per model and kind (train, test, predict), kept with the compiled
steps (`model.multi_step_chosen`; `compile()` forgets it). Every group runs
for real, once, whichever body it took: the measurement adds no step, only the
waits of the timed groups and, where the scan is measured, its compilation.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import jax

from layerax.core.state import StateScope
from layerax.function import Function, function

BODIES = ("auto", "scan", "unroll", "loop")
# Below this host time per call (as a fraction of a call's time until its result is ready)
# the scan is not compiled to be measured: it could gain at most that fraction. Low, as a
# busy machine lengthens the wait for a result more than the host's time.
SCAN_WORTH_MEASURING = 0.05
SCAN_TIMINGS = 2  # timed scan calls (after the one that compiles), the fastest counts


def check_body(model: Any, value: Any) -> str:
    """`value` as a `multi_step_body` setting, or a ValueError naming the choices."""
    if not isinstance(value, str) or value not in BODIES:
        raise ValueError(
            f"Model '{model.name}': `multi_step_body` must be one of "
            f"{', '.join(map(repr, BODIES))}. "
            f"Received: multi_step_body={value!r}. Use \"auto\" to let fit measure the fastest."
        )
    return value


def scanned_function(model: Any, kind: str, sample_batch: Any, single: Function,
                     unroll: bool) -> Callable[[Any], Any]:
    """K steps in one compiled call: a `lax.scan` over the state of the single step,
    rolled (`unroll=False`) or fully unrolled. Compiled once per model and cached."""
    key = f"{kind}_multi_unroll" if unroll else f"{kind}_multi"
    cache = model._lx_state().functions
    if key in cache:
        return cache[key]
    assigned, read = single.state_variables(sample_batch)
    step = single._fn

    def run_many(batches: Any) -> Any:
        def body(carry: list[Any], batch: Any) -> tuple[list[Any], Any]:
            with StateScope(assigned, carry) as scope:
                logs = step(batch)
            return scope.values_out, logs

        final, logs = jax.lax.scan(body, [v.value for v in assigned], batches, unroll=unroll)
        for var, value in zip(assigned, final):
            var.assign(value)
        if kind == "predict":
            return logs  # every step's outputs, stacked
        # Only the last step's logs are reported: select them in the compiled program
        # rather than slicing K results on the host afterwards.
        return jax.tree.map(lambda v: v[-1], logs)

    fn = cache[key] = function(run_many)
    fn._lx_expect_state(assigned, read)  # the single step's: its first trace needs no discovery
    return fn


class BodyChooser:
    """The "auto" measurement of one model's multi-step body for one kind (see the module).

    Each timed call is timed alone (it is waited for) and the fastest of the timed calls
    counts, so that a busy machine's pauses do not decide.

    Attributes:
        chosen: The body kept ("scan" or "loop"), None while measuring.
        loop_host: The host's time per call of the single step, in seconds.
        loop_wall: The time of a call of the single step until its result is ready.
        loop_step: The loop's time per step, in seconds: the larger of the host's time and
            the device's (the two overlap when calls are not waited for).
        scan_step: The scan's time per step, in seconds (None if not measured).
    """

    __slots__ = ("chosen", "loop_step", "loop_host", "loop_wall", "scan_step", "_scan_calls",
                 "_clock")

    def __init__(self, clock: Callable[[], float] = time.perf_counter) -> None:
        self._clock = clock
        self.chosen: str | None = None
        self.loop_step: float | None = None
        self.loop_host: float | None = None
        self.loop_wall: float | None = None
        self.scan_step: float | None = None
        self._scan_calls = 0

    def next_body(self) -> str:
        """The body the next group runs: the choice, or the one being measured."""
        if self.chosen is not None:
            return self.chosen
        return "loop" if self.loop_step is None else "scan"

    def run_loop(self, fn: Callable[[Any], Any], batches: list[Any]) -> list[Any]:
        """Runs the group one step per call, timing the calls after the first."""
        outs = [fn(batches[0])]
        jax.block_until_ready(outs[0])  # the first call may compile: not timed
        host = wall = float("inf")
        for batch in batches[1:]:
            start = self._clock()
            outs.append(fn(batch))
            returned = self._clock()
            jax.block_until_ready(outs[-1])
            host = min(host, returned - start)
            wall = min(wall, self._clock() - start)
        self.loop_host, self.loop_wall = host, wall
        self.loop_step = max(host, wall - host)
        if host < SCAN_WORTH_MEASURING * wall:
            self.chosen = "loop"
        return outs

    def run_scan(self, fn: Callable[[Any], Any], stacked: Any, count: int) -> Any:
        """Runs the group as one scan: the first call compiles it, the next `SCAN_TIMINGS`
        are timed, then the faster body per step is chosen."""
        self._scan_calls += 1
        if self._scan_calls == 1:
            return fn(stacked)
        start = self._clock()
        out = fn(stacked)
        jax.block_until_ready(out)
        step = (self._clock() - start) / count
        self.scan_step = step if self.scan_step is None else min(self.scan_step, step)
        if self._scan_calls > SCAN_TIMINGS:
            assert self.loop_step is not None
            # A tie keeps the loop: it is the program of `steps_per_execution=1`.
            self.chosen = "scan" if self.scan_step < self.loop_step else "loop"
        return out


def chooser_of(model: Any, kind: str) -> BodyChooser:
    """The model's `BodyChooser` for `kind`, kept with its compiled steps."""
    cache = model._lx_state().functions
    key = f"{kind}_body"
    chooser = cache.get(key)
    if chooser is None:
        chooser = cache[key] = BodyChooser()
    return chooser


def planned_body(model: Any, kind: str) -> str:
    """The body the next multi-step group of `kind` runs: "scan", "unroll", "loop" or,
    while "auto" is still measuring, None (the group must allow both)."""
    setting = model._lx_state().multi_step_body
    if setting != "auto":
        return setting
    chooser = model._lx_state().functions.get(f"{kind}_body")
    return None if chooser is None else chooser.chosen


def chosen_bodies(model: Any) -> dict[str, str]:
    """Kind -> the body its multi-step calls run now (for `model.multi_step_chosen`)."""
    setting = model._lx_state().multi_step_body
    cache = model._lx_state().functions
    chosen = {}
    for kind in ("train", "test", "predict"):
        chooser = cache.get(f"{kind}_body")
        if setting != "auto":
            chosen[kind] = setting
        elif chooser is not None and chooser.chosen is not None:
            chosen[kind] = chooser.chosen
    return chosen
