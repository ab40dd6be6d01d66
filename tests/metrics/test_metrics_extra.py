"""R2Score, correlation, one-hot/binary IoU and "rate at rate" metrics: Keras 3 parity over
weighted batches and after `reset_state`, function forms, configs, errors, and a compiled `fit`."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import layerax as lx
from tests.helpers import assert_close, keras

RNG = np.random.default_rng(7)
B, C, NB = 6, 3, 2  # batch size, classes, batches


def _weights():
    return RNG.uniform(0.0, 2.0, size=(B,)).astype("float32")


def _normal(*shape):
    return lambda: RNG.normal(size=(B, *shape)).astype("float32")


def _uniform(*shape):
    return lambda: RNG.uniform(size=(B, *shape)).astype("float32")


def _binary(*shape):
    return lambda: RNG.integers(0, 2, size=(B, *shape)).astype("float32")


def _one_hot():
    return np.eye(C, dtype="float32")[RNG.integers(0, C, size=(B,))]


def _softmax():
    z = RNG.normal(size=(B, C))
    return (np.exp(z) / np.exp(z).sum(-1, keepdims=True)).astype("float32")


def _ids():
    return RNG.integers(0, C, size=(B,)).astype("float32")


# (class name, constructor kwargs, y_true maker, y_pred maker, weighted)
CASES = [
    ("R2Score", {}, _normal(3), _normal(3), True),
    ("R2Score", {"class_aggregation": "variance_weighted_average", "num_regressors": 2},
     _normal(2), _normal(2), True),
    ("PearsonCorrelation", {"axis": 1}, _normal(4, 2), _normal(4, 2), True),
    ("ConcordanceCorrelation", {}, _normal(4), _normal(4), True),
    ("BinaryIoU", {"dtype": "float32"}, _binary(), _uniform(), True),
    ("BinaryIoU", {"target_class_ids": [1], "threshold": 0.3}, _binary(2), _uniform(2), False),
    ("OneHotIoU", {"num_classes": C, "target_class_ids": [1, 2], "sparse_y_pred": True,
                   "ignore_class": 0, "dtype": "float32"}, _one_hot, _ids, True),
    ("OneHotMeanIoU", {"num_classes": C, "dtype": "float32"}, _one_hot, _softmax, True),
    ("PrecisionAtRecall", {"recall": 0.6}, _binary(), _uniform(), True),
    ("RecallAtPrecision", {"precision": 0.3, "class_id": 1, "num_thresholds": 7},
     _binary(C), _uniform(C), True),
    ("SensitivityAtSpecificity", {"specificity": 0.7, "num_thresholds": 9}, _binary(2), _uniform(2), True),
    ("SpecificityAtSensitivity", {"sensitivity": 0.5, "num_thresholds": 1}, _binary(), _uniform(), True),
]


def _update(metric, y_true, y_pred, sw):
    with warnings.catch_warnings():
        # Keras' int IoU warns on float weights and on its int64 casts under JAX.
        warnings.simplefilter("ignore", UserWarning)
        if sw is None:
            metric.update_state(y_true, y_pred)
        else:
            metric.update_state(y_true, y_pred, sample_weight=sw)
        return np.asarray(metric.result())


@pytest.mark.parametrize("index", range(len(CASES)), ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_keras_parity_over_weighted_batches_and_after_reset(index):
    name, kwargs, make_true, make_pred, weighted = CASES[index]
    ours, theirs = getattr(lx.metrics, name)(**kwargs), getattr(keras().metrics, name)(**kwargs)
    for _ in range(NB):
        batch = (make_true(), make_pred(), _weights() if weighted else None)
        assert_close(_update(ours, *batch), _update(theirs, *batch), rtol=1e-5, atol=1e-6)
    ours.reset_state()
    theirs.reset_state()
    for v in ours.variables:
        assert not np.any(np.asarray(v.value)), v.name
    batch = (make_true(), make_pred(), _weights() if weighted else None)
    assert_close(_update(ours, *batch), _update(theirs, *batch), rtol=1e-5, atol=1e-6)
    assert [v.name for v in ours.variables] == [v.name for v in theirs.variables]


@pytest.mark.parametrize(("shape", "axis"), [((B, 5), -1), ((2, 3, 4), 1)])
def test_correlation_functions_match_keras(shape, axis):
    y_true = RNG.normal(size=shape).astype("float32")
    y_pred = (y_true + RNG.normal(size=shape)).astype("float32")
    for name in ("pearson_correlation", "concordance_correlation"):
        ours = getattr(lx.metrics, name)(y_true, y_pred, axis=axis)
        theirs = getattr(keras().metrics, name)(y_true, y_pred, axis=axis)
        assert_close(ours, theirs, rtol=1e-5, atol=1e-6)
    # Closed forms: Pearson is numpy's corrcoef; concordance of identical rows is ~1.
    rows_true, rows_pred = y_true.reshape(-1, shape[-1]), y_pred.reshape(-1, shape[-1])
    expected = [np.corrcoef(t, p)[0, 1] for t, p in zip(rows_true, rows_pred)]
    assert_close(np.ravel(lx.metrics.pearson_correlation(y_true, y_pred)), expected, rtol=1e-4, atol=1e-5)
    assert_close(lx.metrics.concordance_correlation(y_true, y_true), np.ones(shape[:-1]), rtol=1e-5)


CONFIG_CASES = [
    ("R2Score", {"class_aggregation": None, "num_regressors": 1}),
    ("PearsonCorrelation", {"axis": 1}),
    ("ConcordanceCorrelation", {}),
    ("BinaryIoU", {"target_class_ids": [1], "threshold": 0.3}),
    ("OneHotIoU", {"num_classes": 4, "target_class_ids": [0, 3], "ignore_class": 1}),
    ("OneHotMeanIoU", {"num_classes": 3, "sparse_y_pred": True}),
    ("PrecisionAtRecall", {"recall": 0.3, "num_thresholds": 50, "class_id": 2}),
    ("RecallAtPrecision", {"precision": 0.6}),
    ("SensitivityAtSpecificity", {"specificity": 0.4, "num_thresholds": 10}),
    ("SpecificityAtSensitivity", {"sensitivity": 0.9}),
]


def test_configs_match_keras_and_round_trip():
    for name, kwargs in CONFIG_CASES:
        ours, theirs = getattr(lx.metrics, name)(**kwargs), getattr(keras().metrics, name)(**kwargs)
        config = ours.get_config()
        assert config == theirs.get_config(), name
        clone = type(ours).from_config(config)
        assert clone.get_config() == config, name
        again = lx.metrics.deserialize(lx.metrics.serialize(ours))
        assert type(again) is type(ours) and again.get_config() == config, name
    assert type(lx.metrics.get("r2_score")).__name__ == "R2Score"
    assert type(lx.metrics.get("pearson_correlation")).__name__ == "PearsonCorrelation"
    found = lx.metrics.get("BinaryIoU")
    assert found.get_config() == {**keras().metrics.get("BinaryIoU").get_config(), "name": found.name}


def test_adjusted_r2_falls_back_with_a_warning_like_keras():
    y = np.array([[1.0], [2.0], [4.0]], "float32")
    p = np.array([[1.5], [2.0], [3.0]], "float32")
    for regressors in (2, 5):
        ours = lx.metrics.R2Score(num_regressors=regressors)
        theirs = keras().metrics.R2Score(num_regressors=regressors)
        ours.update_state(y, p)
        theirs.update_state(y, p)
        with pytest.warns(UserWarning, match="R2"):
            value = ours.result()
        with pytest.warns(UserWarning):
            expected = theirs.result()
        assert_close(value, expected, rtol=1e-6)


def test_errors_are_clear():
    with pytest.raises(ValueError, match="class_aggregation"):
        lx.metrics.R2Score(class_aggregation="mean")
    with pytest.raises(ValueError, match="num_regressors"):
        lx.metrics.R2Score(num_regressors=-1)
    with pytest.raises(ValueError, match="2D inputs"):
        lx.metrics.R2Score().update_state(np.zeros((2, 3, 1)), np.zeros((2, 3, 1)))
    for cls, arg in ((lx.metrics.PrecisionAtRecall, "recall"), (lx.metrics.RecallAtPrecision, "precision"),
                     (lx.metrics.SensitivityAtSpecificity, "specificity"),
                     (lx.metrics.SpecificityAtSensitivity, "sensitivity")):
        with pytest.raises(ValueError, match=f"{cls.__name__}: `{arg}` must be in the range"):
            cls(1.5)
        with pytest.raises(ValueError, match="num_thresholds"):
            cls(0.5, num_thresholds=0)
    with pytest.raises(ValueError, match="out of range"):
        lx.metrics.OneHotIoU(num_classes=2, target_class_ids=[2])
    with pytest.raises(ValueError, match="out of range"):
        lx.metrics.BinaryIoU(target_class_ids=[0, 2])


def test_compiled_fit_logs_match_keras():
    rng = np.random.default_rng(11)
    x = rng.normal(size=(24, 4)).astype("float32")
    y = (x @ rng.normal(size=(4, 2)) + 0.5 * rng.normal(size=(24, 2))).astype("float32")
    sw = rng.uniform(0.5, 1.5, size=(24,)).astype("float32")
    weights, results = None, {}
    for lib in (lx, keras()):
        inputs = lib.Input((4,))
        model = lib.Model(inputs, lib.layers.Dense(2)(inputs))
        weights = weights or model.get_weights()
        model.set_weights(weights)
        model.compile(
            optimizer=lib.optimizers.SGD(0.05), loss="mse",
            metrics=[lib.metrics.R2Score(), lib.metrics.PearsonCorrelation()],
            weighted_metrics=[lib.metrics.ConcordanceCorrelation()],
        )
        history = model.fit(x, y, sample_weight=sw, batch_size=8, epochs=2, shuffle=False, verbose=0)
        results[lib.__name__] = history.history
    ours, theirs = results["layerax"], results["keras"]
    assert sorted(ours) == sorted(theirs) == [
        "concordance_correlation", "loss", "pearson_correlation", "r2_score",
    ]
    assert_close([ours[k] for k in sorted(ours)], [theirs[k] for k in sorted(theirs)], rtol=1e-4, atol=1e-5)


def test_stateless_updates_under_jax_jit_match_eager():
    import jax

    factories = [lambda: lx.metrics.SensitivityAtSpecificity(0.5, num_thresholds=11),
                 lambda: lx.metrics.OneHotMeanIoU(num_classes=C, dtype="float32")]
    batches = [(_one_hot(), _softmax(), _weights()) for _ in range(NB)]
    for make in factories:
        compiled, eager = make(), make()
        step = jax.jit(compiled.stateless_update_state)
        values = compiled.stateless_reset_state()
        for y_true, y_pred, sw in batches:
            values = step(values, y_true, y_pred, sample_weight=sw)
            eager.update_state(y_true, y_pred, sample_weight=sw)
        assert_close(compiled.stateless_result(values), eager.result(), rtol=1e-6)
        # The stateless calls leave the metric's own state untouched.
        assert not any(np.any(np.asarray(v.value)) for v in compiled.variables)
