"""Every script in examples/ runs as a user would run it and prints a result that shows it trained.

Each example runs as `__main__` (what `python examples/NAME.py` does), inside
this test process: the scripts share the already imported jax/layerax/sklearn,
which saves seconds of start-up per script on a CPU. The test reads the numbers
the script prints and checks them against thresholds (an accuracy reached, a
loss that fell, an error below a tolerance). Warnings are errors here (the
project's pytest settings), so the examples also run warning-free. The scripts
are small on purpose: each takes seconds on a CPU.
"""

from __future__ import annotations

import ast
import re
import runpy
from pathlib import Path

import pytest

import layerax as lx

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
NUMBER = r"([-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?)"


@pytest.fixture
def run_example(capsys, monkeypatch):
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


def numbers(pattern: str, text: str) -> tuple[float, ...]:
    """The numbers captured by `pattern` (with NUMBER placeholders written as {n})."""
    match = re.search(pattern.replace("{n}", NUMBER), text)
    assert match, f"no line matching {pattern!r} in the output:\n{text[-3000:]}"
    return tuple(float(g) for g in match.groups())


def test_every_example_has_a_test():
    scripts = sorted(p.name for p in EXAMPLES.glob("*.py") if not p.name.startswith("_"))
    tested = sorted(
        name[len("test_"):] + ".py"
        for name in globals()
        if name.startswith("test_") and (EXAMPLES / (name[len("test_"):] + ".py")).exists()
    )
    assert scripts == tested


def test_quickstart(run_example):
    out = run_example("quickstart.py")
    assert "Epoch 12/12" in out and "27/27 [" in out  # the progress bar of fit
    assert "Total params" in out  # model.summary()
    (accuracy,) = numbers(r"test accuracy {n}", out)
    assert accuracy > 0.9


def test_keras_research_12_things(run_example):
    out = run_example("keras_research_12_things.py")
    before, after = numbers(r"eager tape training: loss {n} -> {n}", out)
    assert after < before
    assert "[2. 2.]" in out and "[4. 4.]" in out  # ComputeSum accumulates
    before, after = numbers(r"training with add_loss: loss {n} -> {n}", out)
    assert after < before
    (accuracy,) = numbers(r"final accuracy {n}", out)
    assert accuracy > 0.7
    assert "train/test outputs differ: True" in out
    assert "(2, 8, 8, 1) -> (2, 16, 16, 1)" in out


def test_hypernetwork(run_example):
    out = run_example("hypernetwork.py")
    first, last = numbers(r"first 200 steps {n}, of the last 200 steps {n}", out)
    assert last < 0.5 * first
    before, after = numbers(r"test accuracy {n} -> {n}", out)
    assert after > 0.85 and after > before + 0.3


def test_vae_subclassing(run_example):
    out = run_example("vae_subclassing.py")
    first, last = numbers(r"mean loss of the first epoch {n}, of the last epoch {n}", out)
    assert last < 0.6 * first
    mse, baseline = numbers(r"reconstruction mse {n} \(mean-digit baseline {n}\)", out)
    assert mse < 1.1 * baseline


def test_vae_functional(run_example):
    out = run_example("vae_functional.py")
    first, last = numbers(r"loss \(reconstruction \+ KL\) {n} -> {n}", out)
    assert last < 0.5 * first
    assert "encoder output (64, 32) decoder output (64, 64)" in out


def test_three_ways_autoencoder(run_example):
    out = run_example("three_ways_autoencoder.py")
    assert "['layer1', 'layer2', 'layer3'] (2, 4)" in out
    assert "encoder output shape (None, 16)" in out
    assert "autoencoder output shape (None, 28, 28, 1)" in out
    first, last = numbers(r"autoencoder loss {n} -> {n}", out)
    assert last < 0.8 * first
    first, last = numbers(r"MyModel\(32\) regression loss {n} -> {n}", out)
    assert last < 0.01 * first


def test_linear_regression_tape(run_example):
    out = run_example("linear_regression_tape.py")
    (error,) = numbers(r"max parameter error {n}", out)
    assert error < 1e-3


def test_mydense_sequential(run_example):
    out = run_example("mydense_sequential.py")
    assert "my_dense (MyDense)" in out
    (accuracy,) = numbers(r"test accuracy {n}", out)
    assert accuracy > 0.9


def test_deepfm(run_example):
    out = run_example("deepfm.py")
    deepfm, logistic = numbers(r"test AUC: DeepFM {n}, logistic regression {n}", out)
    assert deepfm > 0.8 and deepfm > logistic + 0.05


def test_custom_training_loop(run_example):
    out = run_example("custom_training_loop.py")
    assert "Epoch 8, Loss:" in out
    (accuracy,) = numbers(r"test accuracy {n}", out)
    assert accuracy > 0.9


def test_gan(run_example):
    out = run_example("gan.py")
    (before,) = numbers(r"before training: mean distance of generated points to the circle {n}", out)
    after, sectors = numbers(r"after training: mean distance to the circle {n}, samples cover {n} of 8", out)
    assert before > 1.0 and after < 0.25 and sectors >= 6


def test_jax_interop(run_example):
    out = run_example("jax_interop.py")
    (sgd,) = numbers(r"1\. SGD with jax.grad \+ jax.tree.map: loss [\d.]+ -> [\d.]+, test accuracy {n}", out)
    (optax_accuracy,) = numbers(r"2\. optax \+ stateless_call: test accuracy {n}", out)
    (error,) = numbers(r"matches the batch gradient \(max error {n}\)", out)
    (ensemble,) = numbers(r"averaged ensemble {n}", out)
    assert sgd > 0.9 and optax_accuracy > 0.9 and ensemble > 0.9
    assert error < 1e-6
    assert "stacked ensemble kernel: (5, 64, 64)" in out


def test_keras_tour(run_example):
    out = run_example("keras_tour.py")
    results = ast.literal_eval(out.split("results: ", 1)[1].strip())
    assert results["functional"] > 0.9
    assert results["generator"] > 0.8
    assert results["set_weights_same"] == 1.0
    assert results["frozen_unchanged"] == 1.0
    assert results["finetuned"] > 0.9
    assert results["cosine_error"] < 1e-5
    assert "learning_phase inside a call with training = True -> 1" in out
    assert "gradients of sum(w**2): [2.0, 4.0, 6.0]" in out
