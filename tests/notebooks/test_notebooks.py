"""The Colab notebooks run top to bottom in a real Jupyter kernel, and show what they claim.

Each notebook in colab/ is executed with nbclient in a fresh IPython kernel that
imports layerax from this checkout (PYTHONPATH), so the first cell's install is
skipped (it checks `importlib.util.find_spec("layerax")`). The tests then read
the cells' outputs: printed results above thresholds, progress bars (HTML
displays of `fit`), and figures (PNG outputs of loss curves).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]
COLAB = ROOT / "colab"
NOTEBOOKS = sorted(p.name for p in COLAB.glob("*.ipynb"))
# Written by other parts of the project; tested where they are made.
OWNED_ELSEWHERE = {"tpu_data_parallel.ipynb"}


def load(name: str) -> nbformat.NotebookNode:
    return nbformat.read(COLAB / name, as_version=4)


def execute(name: str, monkeypatch, workdir: Path) -> nbformat.NotebookNode:
    nb = load(name)
    paths = [str(ROOT), os.environ.get("PYTHONPATH")]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, paths)))
    monkeypatch.delenv("MPLBACKEND", raising=False)  # the kernel's inline backend draws figures
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")
    monkeypatch.setenv("JAX_PLATFORMS", "cpu")
    client = NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(workdir)}}
    )
    client.execute()
    return nb


def stdout(nb: nbformat.NotebookNode) -> str:
    return "".join(
        out.get("text", "")
        for cell in nb.cells if cell.cell_type == "code"
        for out in cell.outputs if out.output_type == "stream" and out.name == "stdout"
    )


def count_outputs(nb: nbformat.NotebookNode, predicate) -> int:
    return sum(
        1
        for cell in nb.cells if cell.cell_type == "code"
        for out in cell.outputs
        if out.output_type in ("display_data", "execute_result") and predicate(out.get("data", {}))
    )


def figures(nb) -> int:
    return count_outputs(nb, lambda data: "image/png" in data)


def progress_bars(nb) -> int:
    return count_outputs(nb, lambda data: "<progress" in data.get("text/html", ""))


def number(pattern: str, text: str) -> float:
    match = re.search(pattern, text)
    assert match, f"no match for {pattern!r} in:\n{text[-2000:]}"
    return float(match.group(1))


@pytest.mark.parametrize("name", [n for n in NOTEBOOKS if n not in OWNED_ELSEWHERE])
def test_notebook_is_clean_and_starts_with_the_install_cell(name):
    nb = load(name)
    nbformat.validate(nb)
    assert nb.nbformat == 4
    assert nb.metadata["kernelspec"]["name"] == "python3"
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code_cells), "stored outputs"
    # Made from the one install constant (layerax/_install.py; tests/packaging runs it).
    from layerax._install import install_cell

    assert code_cells[0].source in (install_cell(), install_cell().rstrip("\n"))


def test_the_notebooks_are_all_tested():
    tested = {"getting_started.ipynb", "custom_training_loops.ipynb", "jax_interop.ipynb",
              "migrating_from_tf_keras.ipynb"}
    assert set(NOTEBOOKS) - OWNED_ELSEWHERE == tested


def test_getting_started(monkeypatch, tmp_path):
    nb = execute("getting_started.ipynb", monkeypatch, tmp_path)
    out = stdout(nb)
    assert "Total params" in out
    assert progress_bars(nb) >= 12  # one bar per epoch, updated in place
    assert figures(nb) >= 3  # sample digits, plot_history, predictions
    assert number(r"test accuracy ([\d.]+)", out) > 0.9
    assert "the reloaded model predicts the same: True" in out
    assert (tmp_path / "digits_cnn.layerax").exists()  # written in the kernel's working directory
    # Transfer learning: the head trains on a frozen MobileNet whose BN stays in inference mode.
    assert "frozen base: 2 trainable weights (the head's)" in out
    assert "BatchNormalization statistics unchanged by fit: True" in out
    assert "unfrozen: 83 trainable weights" in out


def test_custom_training_loops(monkeypatch, tmp_path):
    nb = execute("custom_training_loops.ipynb", monkeypatch, tmp_path)
    out = stdout(nb)
    assert "d loss / d w = [2. 4. 6.]" in out
    assert "dy/dx = 27.0  d2y/dx2 = 18.0" in out
    traces = number(r"traces so far: (\d+)", out)
    assert number(r"after a batch of another shape: (\d+)", out) == traces + 1
    assert "[0.5 1. ]" in out
    assert number(r"epoch 12  loss [\d.]+  accuracy [\d.]+  test accuracy ([\d.]+)", out) > 0.9
    assert number(r"test accuracy ([\d.]+)\n", out.split("epoch 12")[1]) > 0.85
    assert progress_bars(nb) >= 6 and figures(nb) >= 2


def test_jax_interop(monkeypatch, tmp_path):
    nb = execute("jax_interop.ipynb", monkeypatch, tmp_path)
    out = stdout(nb)
    assert "4 leaves: [(64, 64), (64,), (64, 10), (10,)]" in out
    accuracies = [float(a) for a in re.findall(r"test accuracy ([\d.]+)", out)]
    assert len(accuracies) == 2 and min(accuracies) > 0.9
    assert number(r"the batch gradient: ([\d.e+-]+)", out) < 1e-6
    assert "stacked kernel: (5, 64, 64)" in out
    assert number(r"ensemble: ([\d.]+)", out) > 0.9
    assert figures(nb) >= 2


def test_migrating_from_tf_keras(monkeypatch, tmp_path):
    nb = execute("migrating_from_tf_keras.ipynb", monkeypatch, tmp_path)
    out = stdout(nb)
    assert "[[0.6 0.8]] 1" in out  # lx.function with a static argument
    assert "3 False counter" in out  # assign_add inside lx.function persisted
    assert number(r"-> ([\d.]+)\n", out) < 0.01  # the PyDataset regression converged
    assert "learned kernel: [ 1.   -2.    0.5" in out
    assert figures(nb) >= 1  # plot_history in a kernel where pyplot was never used
