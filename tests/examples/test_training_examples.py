"""The training examples: quickstart, TF-style loop, GAN, JAX interop, Transformer, data parallel.

Each test runs one script of examples/ as `python examples/NAME.py` would (see
conftest.py) and checks the numbers it prints against thresholds: an accuracy
reached, a loss that fell, an error below a tolerance.
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.examples.conftest import EXAMPLES, numbers, run_example_in_subprocess


def test_every_example_has_a_test():
    """Each script of examples/ is run by one of the test files of this folder."""
    here = Path(__file__).parent
    run = set()
    for test_file in here.glob("test_*.py"):
        calls = re.findall(r'run_example(?:_in_subprocess)?\("([\w.]+)"\)', test_file.read_text())
        run |= set(calls)
    scripts = {p.name for p in EXAMPLES.glob("*.py") if not p.name.startswith("_")}
    assert scripts == run


def test_quickstart(run_example):
    out = run_example("quickstart.py")
    assert "Epoch 12/12" in out and "27/27 [" in out  # the progress bar of fit
    assert "Total params" in out  # model.summary()
    (accuracy,) = numbers(r"test accuracy {n}", out)
    assert accuracy > 0.9


def test_custom_training_loop(run_example):
    out = run_example("custom_training_loop.py")
    assert "Epoch 8, Loss:" in out
    (accuracy,) = numbers(r"test accuracy {n}", out)
    assert accuracy > 0.9


def test_gan(run_example):
    out = run_example("gan.py")
    (before,) = numbers(r"before training: mean distance of generated points to the circle {n}",
                        out)
    after, sectors = numbers(
        r"after training: mean distance to the circle {n}, samples cover {n} of 8", out
    )
    assert before > 1.0 and after < 0.25 and sectors >= 6


def test_jax_interop(run_example):
    out = run_example("jax_interop.py")
    (sgd,) = numbers(
        r"1\. SGD with jax.grad \+ jax.tree.map: loss [\d.]+ -> [\d.]+, test accuracy {n}", out
    )
    (optax_accuracy,) = numbers(r"2\. optax \+ stateless_call: test accuracy {n}", out)
    (error,) = numbers(r"matches the batch gradient \(max error {n}\)", out)
    (ensemble,) = numbers(r"averaged ensemble {n}", out)
    assert sgd > 0.9 and optax_accuracy > 0.9 and ensemble > 0.9
    assert error < 1e-6
    assert "stacked ensemble kernel: (5, 64, 64)" in out


def test_transformer_classifier(run_example):
    out = run_example("transformer_classifier.py")
    assert "MultiHeadAttention" in out or "transformer_block" in out  # the summary
    (accuracy,) = numbers(r"validation accuracy {n}", out)
    assert accuracy > 0.85


def test_data_parallel():
    # A fresh process: the script asks XLA for 4 CPU devices before JAX starts.
    out = run_example_in_subprocess("data_parallel.py")
    assert "4 devices" in out and "mesh: {'batch': 4}" in out
    assert "kernel sharding: P() (replicated), on 4 devices" in out
    assert "split into shards of shape [(32, 64)]" in out
    (difference,) = numbers(r"between the 4-device and the 1-device run: {n}", out)
    assert difference < 1e-4  # data parallelism changes nothing but the speed
    parallel, single = numbers(r"final accuracy: {n} on 4 devices, {n} on one", out)
    assert parallel > 0.9 and abs(parallel - single) < 1e-3
