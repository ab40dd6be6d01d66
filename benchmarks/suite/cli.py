"""Command line of the suite: runs the workloads and writes BENCHMARKS.md."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

from benchmarks.suite.workloads import WORKLOADS

DEFAULT_OUTPUT = os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "BENCHMARKS.md"
)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.suite",
        description="Per-step time, time to first step and memory of the same training step in "
        "hand-written JAX + optax, layerax, Keras 3 (JAX), Flax NNX and Equinox.",
    )
    parser.add_argument("--quick", action="store_true", help="one short repetition (smoke run)")
    parser.add_argument(
        "--workloads", default=",".join(WORKLOADS),
        help=f"comma-separated subset of {', '.join(WORKLOADS)} (default: all)",
    )
    parser.add_argument(
        "--only", default="",
        help="comma-separated substrings of candidate keys to run (the references always run)",
    )
    parser.add_argument("--reps", type=int, default=None, help="override the timed repetitions")
    parser.add_argument("--output", default=DEFAULT_OUTPUT, help="Markdown report path")
    parser.add_argument("--json", default=None, help="also write the raw numbers to this file")
    parser.add_argument(
        "--readme", default=None,
        help="also write the summary table into this README, between its benchmark markers",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("KERAS_BACKEND", "jax")
    args = parse_args(argv)
    names = [n.strip() for n in args.workloads.split(",") if n.strip()]
    unknown = [n for n in names if n not in WORKLOADS]
    if unknown:
        print(f"Unknown workload(s) {unknown}; choose from {list(WORKLOADS)}.", file=sys.stderr)
        return 2
    import dataclasses

    from benchmarks.suite import measure, report, runner

    if args.readme:  # fail before the run, not after it, when the markers are missing
        with open(args.readme, encoding="utf-8") as f:
            report.update_readme(f.read(), "")
    only = [o.strip() for o in args.only.split(",") if o.strip()] or None
    start = time.perf_counter()
    results = []
    for name in names:
        workload = WORKLOADS[name].quick() if args.quick else WORKLOADS[name]
        if args.reps:
            workload = dataclasses.replace(workload, reps=args.reps)
        print(f"{name}: {workload.title}", flush=True)
        results.append(runner.run_workload(workload, only=only, log=lambda m: print(m, flush=True)))
        wr = results[-1]
        print(report.markdown_table(report.workload_table(wr), report.COLUMNS), flush=True)
    command = "python -m benchmarks.suite " + " ".join(argv if argv is not None else sys.argv[1:])
    text = report.render(
        results, measure.machine_info(), measure.versions(), command.strip(), time.perf_counter() - start
    )
    with open(args.output, "w", encoding="utf-8") as f:
        f.write(text + "\n")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(report.summary(results), f, indent=1)
    if args.readme:
        with open(args.readme, encoding="utf-8") as f:
            readme = f.read()
        table = report.markdown_table(*reversed(report.summary_rows(results)))
        with open(args.readme, "w", encoding="utf-8") as f:
            f.write(report.update_readme(readme, table))
    targets = report.targets(results)
    if targets:
        print(report.markdown_table(targets, ["workload", "what", "reference", "target", "measured", "status"]))
    print(f"Wrote {args.output}")
    return 0
