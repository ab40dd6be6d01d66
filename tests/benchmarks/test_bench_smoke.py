"""The benchmark suite runs end to end (quick mode, tiniest workload) and writes its report.

No timing is asserted: speed is measured by `python -m benchmarks.suite`, not by tests.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.suite import candidates, report, runner
from benchmarks.suite.runner import Result, WorkloadResult
from benchmarks.suite.workloads import WORKLOADS

ROOT = Path(__file__).resolve().parents[2]


def _installed(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict, str]:
    out = tmp_path_factory.mktemp("bench")
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env["KERAS_BACKEND"] = "jax"
    # Quicker XLA compilation: this run checks that everything works, not how fast.
    env["XLA_FLAGS"] = (env.get("XLA_FLAGS", "") + " --xla_backend_optimization_level=0").strip()
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.suite", "--quick", "--workloads", "tiny_mlp",
         "--output", str(out / "BENCHMARKS.md"), "--json", str(out / "raw.json")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    text = (out / "BENCHMARKS.md").read_text(encoding="utf-8")
    raw = json.loads((out / "raw.json").read_text(encoding="utf-8"))
    return text, raw, proc.stdout


def _table_rows(text: str, header: list[str]) -> list[list[str]]:
    lines = text.splitlines()
    head = "| " + " | ".join(header) + " |"
    start = lines.index(head)
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


def test_report_has_every_column_and_candidate(quick_run):
    text, raw, _ = quick_run
    rows = _table_rows(text, report.COLUMNS)
    expected = candidates.candidates(WORKLOADS["tiny_mlp"])
    assert [(r[0], r[1]) for r in rows] == [(c.framework, c.label) for c in expected]
    assert all(len(r) == len(report.COLUMNS) for r in rows)
    by_key = dict(zip([c.key for c in expected], rows))
    must_run = ["jax_device", "jax_numpy", "lx_fit", "lx_fit_spe", "lx_function", "lx_pytree",
                "keras_fit", "keras_fit_spe", "keras_stateless"]
    must_run += ["nnx_jit", "nnx_cached"] if _installed("flax.nnx") else []
    must_run += ["eqx"] if _installed("equinox") else []
    for key in must_run:
        row, result = by_key[key], raw["tiny_mlp"][key]
        assert result["error"] is None and result["unavailable"] is None, (key, result)
        assert row[2].endswith(("µs", "ms")), (key, row)
        float(row[4])  # ratio to the device-array reference
        assert row[6].endswith(")") and float(row[6].split("(")[1].rstrip(")")) > 0  # CPU/step
        float(row[7])  # first step, seconds
        float(row[9]), float(row[10])  # memory columns
        assert len(result["step_seconds"]) == 1 and len(result["first_seconds"]) == 1
        assert len(result["cpu_seconds"]) == 1
        assert result["peak_bytes"] > 0 and result["compiles"] >= 1
    for key in ["jax_numpy", "lx_fit", "lx_fit_spe", "keras_fit", "keras_fit_spe"]:
        float(by_key[key][5])  # fit rows are also compared to the numpy-batches reference
    assert by_key["jax_device"][4] == "1.00" and by_key["jax_numpy"][5] == "1.00"


def test_every_framework_trains_the_same_architecture(quick_run):
    _, raw, _ = quick_run
    counts = {k: r["params"] for k, r in raw["tiny_mlp"].items() if r["params"] is not None}
    assert len(counts) >= 9
    assert set(counts.values()) == {16 * 16 + 16 + 16 * 10 + 10}, counts


def test_report_names_machine_versions_and_targets(quick_run):
    text, _, stdout = quick_run
    for needle in ["## Machine", "| CPU |", "| cores |", "## Versions", "| jax |", "| keras |",
                   "| flax |", "| equinox |", "| layerax |", "Load average", "## layerax targets"]:
        assert needle in text, needle
    targets = _table_rows(text, ["workload", "what", "reference", "target", "measured", "status"])
    assert {row[0] for row in targets} == {"tiny_mlp"}
    assert all(row[5] in {"met", "MISSED"} for row in targets), targets
    assert "Wrote" in stdout


def _synthetic(key: str, steps: list[float], first: list[float]) -> Result:
    row = next(c for c in candidates.candidates(WORKLOADS["tiny_mlp"]) if c.key == key)
    return Result(row, step_seconds=steps, cpu_seconds=[s / 2 for s in steps], first_seconds=first,
                  peak_bytes=2 * 1024 * 1024, state_bytes=1024 * 1024, compiles=1, params=442)


def test_ratios_spreads_and_targets_are_computed_from_medians():
    results = {
        "jax_device": _synthetic("jax_device", [100e-6, 110e-6, 90e-6], [1.0, 1.2, 0.8]),
        "jax_numpy": _synthetic("jax_numpy", [200e-6, 200e-6, 200e-6], [1.0, 1.0, 1.0]),
        "lx_fit": _synthetic("lx_fit", [300e-6, 240e-6, 260e-6], [1.5, 1.0, 1.1]),
        "lx_function": _synthetic("lx_function", [110e-6, 100e-6, 120e-6], [1.0, 1.0, 1.0]),
    }
    wr = WorkloadResult(WORKLOADS["tiny_mlp"], results, 1.0, "1, 1, 1", "1, 1, 1")
    rows = {row[1]: row for row in report.workload_table(wr)}
    fit = rows["fit"]
    assert fit[2] == "260.0 µs" and fit[3] == "±11.5%"  # (300 - 240) / 2 / 260
    assert fit[4] == "2.60" and fit[5] == "1.30"  # 260 / 100 and 260 / 200
    assert fit[6] == "130.0 µs (1.30)"  # like for like: against the numpy-batches reference
    assert rows["lx.function + GradientTape"][6] == "55.0 µs (1.10)"
    assert fit[7] == "1.100 ±22.7%" and fit[8] == "1.10"
    assert fit[9] == "2.00" and fit[10] == "1.00"
    assert rows["lx.function + GradientTape"][5] == "—"  # device loop: no numpy ratio
    status = {(r[0], r[1]): (r[4], r[5]) for r in report.targets([wr])}
    assert status[("tiny_mlp", "lx.function + GradientTape, time/step")] == ("1.100", "met")
    assert status[("tiny_mlp", "fit, time/step")] == ("1.300", "MISSED")
    assert status[("tiny_mlp", "fit, first step")] == ("1.100", "met")


def test_fit_targets_compare_spe_with_one_step_and_cpu_with_the_reference():
    results = {
        "jax_device": _synthetic("jax_device", [100e-6], [1.0]),
        "jax_numpy": _synthetic("jax_numpy", [200e-6], [1.0]),
        "lx_fit": _synthetic("lx_fit", [220e-6], [1.0]),
        "lx_fit_spe": _synthetic("lx_fit_spe", [330e-6], [1.0]),
    }
    wr = WorkloadResult(WORKLOADS["tiny_mlp"], results, 1.0, "1, 1, 1", "1, 1, 1")
    status = {(r[0], r[1]): (r[2], r[4], r[5]) for r in report.targets([wr])}
    assert status[("tiny_mlp", "fit, time/step")] == ("JAX, numpy batches", "1.100", "met")  # ≤ 1.15
    assert status[("tiny_mlp", "fit spe=16 vs spe=1, time/step (paired)")] == (
        "layerax fit, 1 step per call", "1.500", "MISSED")  # 330 / 220
    mlp = WorkloadResult(WORKLOADS["mlp"], results, 1.0, "1, 1, 1", "1, 1, 1")
    status = {(r[0], r[1]): (r[4], r[5]) for r in report.targets([mlp])}
    assert status[("mlp", "fit, main-thread CPU/step")] == ("1.100", "met")  # 110 / 100 µs of CPU


def test_spe_target_pairs_repetitions_and_allows_only_a_one_percent_noise_floor():
    one = [100e-6, 200e-6, 100e-6]  # the machine slowed down in the second repetition
    cases = {
        "same work, noisy": ([100.5e-6, 201e-6, 100.8e-6], "1.005", "met"),
        "2% slower": ([102e-6, 204e-6, 102e-6], "1.020", "MISSED"),
        "faster": ([50e-6, 100e-6, 50e-6], "0.500", "met"),
    }
    for name, (spe, shown, expected) in cases.items():
        results = {
            "jax_device": _synthetic("jax_device", [100e-6] * 3, [1.0]),
            "jax_numpy": _synthetic("jax_numpy", [100e-6] * 3, [1.0]),
            "lx_fit": _synthetic("lx_fit", one, [1.0]),
            "lx_fit_spe": _synthetic("lx_fit_spe", spe, [1.0]),
        }
        wr = WorkloadResult(WORKLOADS["cnn"], results, 1.0, "1, 1, 1", "1, 1, 1")
        rows = {r[1]: r for r in report.targets([wr])}
        row = rows["fit spe=16 vs spe=1, time/step (paired)"]
        assert (row[3], row[4], row[5]) == ("≤ 1.00 (+1% noise)", shown, expected), name
    # Unpaired medians would have called the noisy case 1.008 and the 2% case 1.020 alike.
    assert report.paired_ratio(results["lx_fit"], results["lx_fit"]) == 1.0


def test_spe_target_counts_the_back_to_back_pairs_and_the_runner_records_them():
    one = _synthetic("lx_fit", [100e-6, 100e-6, 100e-6], [1.0])
    spe = _synthetic("lx_fit_spe", [103e-6, 103e-6, 103e-6], [1.0])
    one.paired_seconds = [100e-6] * 4
    spe.paired_seconds = [99e-6] * 4
    assert report.paired_ratio(spe, one) == pytest.approx(0.99)  # 4 of the 7 pairs at 0.99
    spe.body = {"train": "scan"}  # the row says which body "auto" kept
    wr = WorkloadResult(WORKLOADS["gru"], {"lx_fit": one, "lx_fit_spe": spe}, 1.0, "1", "1")
    rows = {r[1]: r for r in report.targets([wr])}
    assert rows["fit spe=16 vs spe=1, time/step (paired), body: scan"][4:] == ["0.990", "met"]
    spe.paired_seconds = spe.paired_seconds[:3]  # a failed back-to-back run: not comparable
    assert report.paired_ratio(spe, one) is None

    class Clock:  # stands for a candidate's runner; records the order the runs came in
        order: list[str] = []

        def __init__(self, key):
            self.key = key

        def run(self):
            Clock.order.append(self.key)

    results = {key: _synthetic(key, [1e-6], [1.0]) for key in ["lx_fit", "lx_fit_spe"]}
    kept = {key: Clock(key) for key in results}
    runner._paired_repetitions(WORKLOADS["cnn"], results, kept, log=lambda *_: None)
    assert Clock.order[:4] == ["lx_fit_spe", "lx_fit", "lx_fit", "lx_fit_spe"]  # alternating
    assert len(Clock.order) == 2 * runner.PAIRED_REPS
    assert all(len(r.paired_seconds) == runner.PAIRED_REPS for r in results.values())


def test_spe_target_on_the_loop_body_allows_what_the_pairs_interval_calls_noise():
    # 13 pairs: ratios 0.97, 0.98, 0.99 and ten at 1.02 to 1.05: the median is 1.03.
    ratios = [0.97, 0.98, 0.99, 1.02, 1.02, 1.03, 1.03, 1.03, 1.04, 1.04, 1.05, 1.05, 1.05]
    one = _synthetic("lx_fit", [100e-6] * 5, [1.0])
    one.paired_seconds = [100e-6] * 8
    spe = _synthetic("lx_fit_spe", [r * 100e-6 for r in ratios[:5]], [1.0])
    spe.paired_seconds = [r * 100e-6 for r in ratios[5:]]
    assert report.paired_lower_bound(spe, one) == pytest.approx(0.99)  # the 3rd smallest of 13

    def status(body):
        spe.body = {"train": body}
        wr = WorkloadResult(WORKLOADS["gru"], {"lx_fit": one, "lx_fit_spe": spe}, 1.0, "1", "1")
        (row,) = [r for r in report.targets([wr]) if "(paired)" in r[1]]
        return row[4], row[5]

    # The loop body runs spe=1's program: an interval reaching below 1.00 is noise.
    assert status("loop") == ("1.030", "met: same program as spe=1, noise (95% interval from 0.990)")
    assert status("scan") == ("1.030", "MISSED")  # another program: the median decides
    spe.step_seconds = [1.02e-4] * 5  # every pair slower: the interval starts above 1.00
    spe.paired_seconds = [r * 100e-6 for r in ratios[5:]]
    assert status("loop") == ("1.030", "MISSED")


def test_recurrent_workloads_hold_lx_function_to_the_reference():
    results = {
        "jax_device": _synthetic("jax_device", [100e-6], [1.0]),
        "lx_function": _synthetic("lx_function", [101e-6], [1.0]),
    }
    for name in ["lstm", "lstm256", "gru"]:
        wr = WorkloadResult(WORKLOADS[name], results, 1.0, "1, 1, 1", "1, 1, 1")
        status = {(r[0], r[1]): (r[3], r[4], r[5]) for r in report.targets([wr])}
        assert status[(name, "lx.function + GradientTape, time/step")] == ("≤ 1.00", "1.010", "MISSED")
    quick = WORKLOADS["gru"].quick()
    assert quick.input_shape == (8, 16) and quick.reps == 1 and quick.steps % candidates.SPE == 0


def test_summary_rows_divide_fit_by_the_numpy_reference_and_the_rest_by_the_device_one():
    results = {
        "jax_device": _synthetic("jax_device", [100e-6], [1.0]),
        "jax_numpy": _synthetic("jax_numpy", [200e-6], [1.0]),
        "lx_fit": _synthetic("lx_fit", [220e-6], [1.0]),
        "lx_function": _synthetic("lx_function", [90e-6], [1.0]),
    }
    tiny = WorkloadResult(WORKLOADS["tiny_mlp"], results, 1.0, "1, 1, 1", "1, 1, 1")
    mlp_results = dict(results, jax_device=_synthetic("jax_device", [20e-3], [1.0]))
    mlp_results.pop("lx_function")
    mlp = WorkloadResult(WORKLOADS["mlp"], mlp_results, 1.0, "1, 1, 1", "1, 1, 1")
    header, rows = report.summary_rows([tiny, mlp])
    assert header == ["training loop", "tiny_mlp", "mlp"]
    assert rows[0][1:] == ["100.0 µs", "20.00 ms"]
    by_label = {r[0]: r[1:] for r in rows[1:]}
    assert by_label["layerax fit"] == ["1.10×", "1.10×"]  # 220 / 200 (numpy batches)
    assert by_label["layerax lx.function + GradientTape"] == ["0.90×", "—"]  # 90 / 100; not run


def test_update_readme_replaces_only_the_marked_table_and_names_the_fix_without_markers():
    text = f"intro\n{report.README_START}\nold | table\n{report.README_END}\noutro\n"
    assert report.update_readme(text, "new") == (
        f"intro\n{report.README_START}\nnew\n{report.README_END}\noutro\n"
    )
    with pytest.raises(ValueError, match="must hold the markers"):
        report.update_readme("no markers here", "new")
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    report.update_readme(readme, "")  # the project's README has them once each
