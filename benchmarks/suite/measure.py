"""What is measured and how: wall time, XLA's memory plan of compiled steps, live buffers."""

from __future__ import annotations

import contextlib
import gc
import os
import platform
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import jax

_MB = 1024.0 * 1024.0


def live_bytes() -> int:
    """Bytes of all live (not deleted) JAX arrays in the process, after a garbage collection."""
    gc.collect()
    total = 0
    for array in jax.live_arrays():
        try:
            if not array.is_deleted():
                total += array.nbytes
        except RuntimeError:  # deleted between listing and reading
            continue
    return total


def _executable_peak(executable: Any) -> int | None:
    """XLA's planned peak memory of one executable (arguments + outputs + temporaries)."""
    try:
        stats = executable.get_compiled_memory_stats()
    except Exception:  # noqa: BLE001 - not every backend/executable reports stats
        return None
    peak = int(getattr(stats, "peak_memory_in_bytes", 0) or 0)
    if peak <= 0:
        peak = (
            stats.argument_size_in_bytes + stats.output_size_in_bytes
            - stats.alias_size_in_bytes + stats.temp_size_in_bytes
        )
    return int(peak)


class CompileRecorder:
    """Records every XLA executable compiled while active (through JAX's compile entry point).

    `peak_bytes` is the largest planned peak memory among them: for a training step this is
    the step's device memory (its parameters, optimizer state, batch, outputs, minus donated
    buffers that are reused, plus XLA's temporaries).
    """

    def __init__(self) -> None:
        self.executables: list[Any] = []

    @contextlib.contextmanager
    def recording(self) -> Iterator[CompileRecorder]:
        from jax._src import compiler

        original = compiler.compile_or_get_cached

        def record(*args: Any, **kwargs: Any) -> Any:
            executable = original(*args, **kwargs)
            self.executables.append(executable)
            return executable

        compiler.compile_or_get_cached = record
        try:
            yield self
        finally:
            compiler.compile_or_get_cached = original

    @property
    def compiles(self) -> int:
        return len(self.executables)

    @property
    def peak_bytes(self) -> int | None:
        peaks = [p for p in (_executable_peak(e) for e in self.executables) if p is not None]
        return max(peaks) if peaks else None


def timed(fn: Any, *args: Any) -> tuple[float, Any]:
    """Seconds `fn(*args)` took (the callee blocks on its results itself)."""
    start = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - start, out


def to_mb(n: int | None) -> float | None:
    return None if n is None else n / _MB


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info() -> dict[str, str]:
    """CPU model, cores, the JAX device, and the load average when the run started."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 0
    device = jax.devices()[0]
    info = {
        "CPU": cpu_model(),
        "cores": f"{os.cpu_count()} ({usable} usable by this process)",
        "JAX device": f"{device.platform}: {getattr(device, 'device_kind', device)}",
        "OS": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
    }
    return info


def load_average() -> str:
    try:
        return ", ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "n/a"


def versions() -> dict[str, str]:
    """Installed versions of the libraries compared (or "not installed")."""
    from importlib import metadata

    found = {}
    for name in ["jax", "jaxlib", "numpy", "optax", "keras", "flax", "equinox"]:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    import layerax

    found["layerax"] = getattr(layerax, "__version__", "?") + _git_commit()
    return found


def _git_commit() -> str:
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    try:
        commit = subprocess.run(
            ["git", "-C", root, "rev-parse", "--short", "HEAD"],
            capture_output=True, text=True, timeout=5, check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""
    return f" (git {commit})" if commit else ""
