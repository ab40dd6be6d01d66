"""Runs the candidates of a workload: time to first step, then interleaved timed repetitions."""

from __future__ import annotations

import dataclasses
import gc
import random
import statistics
import sys
import time
import traceback
from typing import Any

from benchmarks.suite import candidates as cands
from benchmarks.suite.measure import CompileRecorder, live_bytes, timed
from benchmarks.suite.workloads import Workload


@dataclasses.dataclass
class Result:
    """Everything measured for one candidate on one workload."""

    candidate: cands.Candidate
    step_seconds: list[float] = dataclasses.field(default_factory=list)  # per step, one per rep
    # CPU time of the calling (Python) thread per step, one per rep: the host overhead, much
    # less disturbed by other processes than wall time (it does not count waiting for a core).
    cpu_seconds: list[float] = dataclasses.field(default_factory=list)
    first_seconds: list[float] = dataclasses.field(default_factory=list)  # one per fresh build
    # Per step, from the extra back-to-back repetitions of a pair of rows (PAIRED_ROWS).
    paired_seconds: list[float] = dataclasses.field(default_factory=list)
    # A layerax model's `multi_step_chosen` after the timed repetitions (the multi-step body).
    body: dict[str, str] | None = None
    peak_bytes: int | None = None
    state_bytes: int | None = None
    compiles: int | None = None
    params: int | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.candidate.unavailable is None and self.error is None and bool(self.step_seconds)

    @property
    def median_step(self) -> float | None:
        return statistics.median(self.step_seconds) if self.step_seconds else None

    @property
    def median_cpu(self) -> float | None:
        return statistics.median(self.cpu_seconds) if self.cpu_seconds else None

    @property
    def median_first(self) -> float | None:
        return statistics.median(self.first_seconds) if self.first_seconds else None


@dataclasses.dataclass
class WorkloadResult:
    workload: Workload
    results: dict[str, Result]
    seconds: float
    load_before: str
    load_after: str


def _fail(result: Result, what: str, exc: BaseException) -> None:
    result.error = f"{what} failed: {type(exc).__name__}: {exc}".splitlines()[0][:300]
    traceback.print_exc(file=sys.stderr)


# Rows compared with each other (the report's paired targets): after the interleaved
# repetitions they run PAIRED_REPS more times back to back, in alternating order, so that
# each pair of timings saw the same machine. Their ratio is the median of the pairs'.
PAIRED_ROWS = [("lx_fit_spe", "lx_fit")]
PAIRED_REPS = 8


def _paired_repetitions(workload: Workload, results: dict[str, Result], kept: dict[str, Any],
                        log: Any) -> None:
    if workload.reps <= 1:
        return
    for pair in PAIRED_ROWS:
        if not all(key in kept and not results[key].error for key in pair):
            continue
        for rep in range(PAIRED_REPS):
            for key in pair if rep % 2 == 0 else reversed(pair):
                try:
                    seconds, _ = timed(kept[key].run)
                except Exception as exc:  # noqa: BLE001
                    _fail(results[key], "paired run", exc)
                    return
                results[key].paired_seconds.append(seconds / workload.steps_per_rep)
        log(f"  [{workload.name}] {PAIRED_REPS} back-to-back repetitions of {' and '.join(pair)} done")


def run_workload(workload: Workload, only: list[str] | None = None, log: Any = print) -> WorkloadResult:
    """Measures every available candidate of `workload` (or those whose key contains `only`)."""
    from benchmarks.suite.measure import load_average

    start = time.perf_counter()
    load_before = load_average()
    rows = cands.candidates(workload)
    if only:
        keep = {cands.REFERENCE, cands.REFERENCE_NUMPY}
        rows = [r for r in rows if r.key in keep or any(o in r.key for o in only)]
    results = {r.key: Result(r) for r in rows}
    data = cands.Data(workload)
    runnable = [r for r in rows if r.unavailable is None]
    order = list(runnable)
    shuffle = random.Random(0).shuffle
    kept: dict[str, Any] = {}
    # Everything alive now (modules of all frameworks, the data) is never garbage: moving it
    # out of the collector's sight makes the collections below cheap.
    gc.collect()
    gc.freeze()

    # 1. Time to first step: a fresh model, optimizer and step function each repetition, so the
    # trace and the XLA compilation are measured every time (new functions never hit JAX's
    # caches). The last repetition's runners are kept for the timed steps.
    for rep in range(workload.compile_reps):
        shuffle(order)
        for row in order:
            result = results[row.key]
            if result.error:
                continue
            last = rep == workload.compile_reps - 1
            baseline = live_bytes() if last else 0
            recorder = CompileRecorder()
            try:
                runner = row.factory(workload, data)
                with recorder.recording():
                    seconds, _ = timed(runner.first)
                result.params = runner.params()
            except Exception as exc:  # noqa: BLE001 - report the row as failed, keep going
                _fail(result, "first step", exc)
                continue
            result.first_seconds.append(seconds)
            if rep == 0:
                result.peak_bytes = recorder.peak_bytes
                result.compiles = recorder.compiles
            if last:
                # Collected first: tracing leaves cycles that hold arrays (garbage, not state).
                result.state_bytes = live_bytes() - baseline
                kept[row.key] = runner
            del runner
        log(f"  [{workload.name}] first-step repetition {rep + 1}/{workload.compile_reps} done")

    # 2. Steady state: one untimed repetition each (skipped for a single quick repetition),
    # then interleaved timed repetitions.
    for key, runner in list(kept.items()) if workload.reps > 1 else []:
        try:
            runner.run()
        except Exception as exc:  # noqa: BLE001
            _fail(results[key], "warm-up", exc)
            del kept[key]
    order = [r for r in order if r.key in kept]
    for rep in range(workload.reps):
        shuffle(order)
        for row in order:
            if results[row.key].error:
                continue
            cpu_start = time.thread_time()
            try:
                seconds, _ = timed(kept[row.key].run)
            except Exception as exc:  # noqa: BLE001
                _fail(results[row.key], "timed run", exc)
                continue
            cpu = time.thread_time() - cpu_start
            results[row.key].step_seconds.append(seconds / workload.steps_per_rep)
            results[row.key].cpu_seconds.append(cpu / workload.steps_per_rep)
        log(f"  [{workload.name}] timed repetition {rep + 1}/{workload.reps} done")
    _paired_repetitions(workload, results, kept, log)
    for key, runner in kept.items():
        chosen = getattr(getattr(runner, "model", None), "multi_step_chosen", None)
        if isinstance(chosen, dict):
            results[key].body = dict(chosen)
    kept.clear()
    gc.unfreeze()
    gc.collect()
    return WorkloadResult(workload, results, time.perf_counter() - start, load_before, load_average())
