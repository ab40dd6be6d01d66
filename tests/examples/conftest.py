"""Runs example scripts as `__main__` inside the test process and parses what they print.

The scripts share the already imported jax/layerax/sklearn (seconds of start-up
saved per script on a CPU). Warnings are errors here (the project's pytest
settings), so the examples also run warning-free.
"""

from __future__ import annotations

import os
import re
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

import layerax as lx

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
NUMBER = r"([-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?)"


@pytest.fixture
def run_example(capsys, monkeypatch):
    """`run_example("name.py")` runs examples/name.py as a script and returns its stdout."""

    def run(name: str) -> str:
        monkeypatch.setenv("MPLBACKEND", "Agg")
        try:
            runpy.run_path(str(EXAMPLES / name), run_name="__main__")
        finally:
            # Leave no global state (layer names, the global seed generator, dtype policy)
            # to the tests that follow.
            lx.backend.clear_session(free_memory=False)
        return capsys.readouterr().out

    return run


def run_example_in_subprocess(name: str, timeout: float = 300) -> str:
    """Runs examples/name.py in a fresh Python (for scripts that configure JAX before it starts)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["MPLBACKEND"] = "Agg"
    env.pop("XLA_FLAGS", None)
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / name)], cwd=ROOT, env=env,
        capture_output=True, text=True, timeout=timeout,
    )
    assert proc.returncode == 0, (
        f"examples/{name} failed (exit {proc.returncode}).\n--- stdout ---\n{proc.stdout[-3000:]}"
        f"\n--- stderr ---\n{proc.stderr[-3000:]}"
    )
    return proc.stdout


def numbers(pattern: str, text: str) -> tuple[float, ...]:
    """The numbers captured by `pattern`, in which `{n}` stands for a number."""
    match = re.search(pattern.replace("{n}", NUMBER), text)
    assert match, f"no line matching {pattern!r} in the output:\n{text[-3000:]}"
    return tuple(float(g) for g in match.groups())
