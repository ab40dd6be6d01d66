"""colab/tpu_data_parallel.ipynb runs top to bottom on CPU through a real Jupyter kernel."""

from __future__ import annotations

import os
import re
import warnings
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).parent.parent.parent
NOTEBOOK = ROOT / "colab" / "tpu_data_parallel.ipynb"


def _text(cell) -> str:
    parts = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream":
            parts.append(output["text"])
        elif "data" in output and "text/plain" in output["data"]:
            parts.append(output["data"]["text/plain"])
    return "".join(parts)


def test_notebook_trains_data_parallel_on_cpu(monkeypatch):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    assert nb.nbformat == 4
    # The kernel imports layerax from this checkout and sees 2 CPU devices (a real mesh).
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    monkeypatch.setenv("XLA_FLAGS", "--xla_force_host_platform_device_count=2")
    monkeypatch.setenv("JAX_PLATFORMS", "cpu")
    client = NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(ROOT)}})
    with warnings.catch_warnings():
        # Jupyter's own start-up deprecation notices are not ours to fail on.
        warnings.simplefilter("ignore", DeprecationWarning)
        client.execute()
    code = [c for c in nb.cells if c.cell_type == "code"]
    outputs = "\n".join(_text(c) for c in code)
    assert nb.cells[0].cell_type == "code" and "pip" in nb.cells[0].source
    assert "nothing to install" in _text(code[0])  # the install cell was a no-op
    assert "2 cpu device(s)" in outputs
    assert "dtype policy: float32" in outputs
    accuracy = float(re.search(r"validation accuracy: ([0-9.]+)", outputs).group(1))
    assert accuracy >= 0.9
    assert "per-device shards of [(" + str(32) + ", 64)]" in outputs
    assert all(o.get("output_type") != "error" for c in code for o in c.get("outputs", []))
