"""Helpers of the fault-injection tests: run a Python snippet in a child process."""

from __future__ import annotations

import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def child_env(**extra: str) -> dict[str, str]:
    """The environment of a child process that imports this checkout's layerax on CPU."""
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.setdefault("JAX_PLATFORMS", "cpu")
    env.setdefault("KERAS_BACKEND", "jax")
    env.update(extra)
    return env


def popen(code: str, *args: str, **env: str) -> subprocess.Popen:
    """Starts `python -c code args...` with its stdout as a text pipe."""
    return subprocess.Popen(
        [sys.executable, "-c", code, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env=child_env(**env), text=True,
    )


def run(code: str, *args: str, timeout: float = 120, **env: str) -> subprocess.CompletedProcess:
    """Runs `python -c code args...` to its end (or `timeout`)."""
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, env=child_env(**env), text=True,
        timeout=timeout,
    )
