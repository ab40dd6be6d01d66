"""The examples ported one to one from the project's source documents (TF 2 / Keras articles).

Each test runs one script of examples/ as `python examples/NAME.py` would (see
conftest.py) and checks the numbers it prints against thresholds: an accuracy
reached, a loss that fell, an error below a tolerance.
"""

from __future__ import annotations

import ast

from tests.examples.conftest import numbers


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
    assert "LSTM: (2, 5, 3) -> (2, 8)" in out
    assert "ConvLSTM2D: (2, 3, 8, 8, 1) -> (2, 8, 8, 4)" in out


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
    assert "weights reloaded into a new MyModel give the same predictions: True" in out


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


def test_masking_lstm(run_example):
    out = run_example("masking_lstm.py")
    for name in ("MyLayer \\(explicit mask\\)", "Functional \\(implicit mask\\)"):
        pattern = name + r": test accuracy {n}, output change with 12 more padding steps {n}"
        accuracy, change = numbers(pattern, out)
        assert accuracy > 0.9
        assert change < 1e-5  # the padding is skipped


def test_keras_tour_rnn(run_example):
    out = run_example("keras_tour_rnn.py")
    assert "SimpleRNN(4, return_sequences=False, return_state=False): (2, 4)" in out
    assert "GRU(4, return_sequences=True, return_state=False): (2, 10, 4)" in out
    assert "LSTM(4, return_sequences=False, return_state=True): [(2, 4), (2, 4), (2, 4)]" in out
    results = ast.literal_eval(out.split("results: ", 1)[1].strip())
    assert results["bidirectional"] > 0.85
    assert results["stateful"] < 1e-5 and results["reset"] < 1e-5 and results["unroll"] < 1e-5
