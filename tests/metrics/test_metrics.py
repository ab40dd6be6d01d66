"""Metrics: Keras 3 parity over several weighted batches, accumulation equals one shot,
numpy/scikit-learn references, updates inside lx.function, configs, lookup and errors."""

from __future__ import annotations

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import layerax as lx
from tests.helpers import assert_close, keras

RNG = np.random.default_rng(42)
B, C, NB = 5, 4, 3  # batch size, classes, batches


def _batches(make_true, make_pred, weighted=True):
    out = []
    for _ in range(NB):
        sw = RNG.uniform(0.0, 2.0, size=(B,)).astype("float32") if weighted else None
        out.append((make_true(), make_pred(), sw))
    return out


def _concat(batches):
    y_true = np.concatenate([b[0] for b in batches])
    y_pred = np.concatenate([b[1] for b in batches])
    sw = None if batches[0][2] is None else np.concatenate([b[2] for b in batches])
    return y_true, y_pred, sw


def _run(metric, batches):
    with warnings.catch_warnings():
        # Keras' IoU casts to int64, which JAX truncates to int32 with a warning.
        warnings.simplefilter("ignore", UserWarning)
        for y_true, y_pred, sw in batches:
            if sw is None:
                metric.update_state(y_true, y_pred)
            else:
                metric.update_state(y_true, y_pred, sample_weight=sw)
        return np.asarray(metric.result())


def binary_labels():
    return RNG.integers(0, 2, size=(B, 1)).astype("float32")


def probs1():
    return RNG.uniform(size=(B, 1)).astype("float32")


def multi_labels():
    return RNG.integers(0, 2, size=(B, C)).astype("float32")


def probs():
    return RNG.uniform(size=(B, C)).astype("float32")


def softmax():
    x = np.exp(RNG.normal(size=(B, C)))
    return (x / x.sum(-1, keepdims=True)).astype("float32")


def one_hot():
    return np.eye(C, dtype="float32")[RNG.integers(0, C, size=(B,))]


def sparse():
    return RNG.integers(0, C, size=(B,))


def sparse_col():
    return RNG.integers(0, C, size=(B, 1))


def normal():
    return RNG.normal(size=(B, C)).astype("float32")


def positive():
    return RNG.uniform(0.1, 3.0, size=(B, C)).astype("float32")


def class_ids():
    return RNG.integers(0, C, size=(B,))


# (class name, kwargs, make_true, make_pred)
PARITY = [
    ("Accuracy", {}, class_ids, class_ids),
    ("BinaryAccuracy", {}, binary_labels, probs1),
    ("BinaryAccuracy", {"threshold": 0.3}, multi_labels, probs),
    ("CategoricalAccuracy", {}, one_hot, softmax),
    ("SparseCategoricalAccuracy", {}, sparse, softmax),
    ("SparseCategoricalAccuracy", {}, sparse_col, softmax),
    ("TopKCategoricalAccuracy", {"k": 2}, one_hot, softmax),
    ("SparseTopKCategoricalAccuracy", {"k": 2}, sparse, softmax),
    ("MeanSquaredError", {}, normal, normal),
    ("MeanAbsoluteError", {}, normal, normal),
    ("MeanAbsolutePercentageError", {}, normal, normal),
    ("MeanSquaredLogarithmicError", {}, positive, positive),
    ("RootMeanSquaredError", {}, normal, normal),
    ("CosineSimilarity", {}, normal, normal),
    ("LogCoshError", {}, normal, normal),
    ("BinaryCrossentropy", {}, multi_labels, probs),
    ("BinaryCrossentropy", {"from_logits": True, "label_smoothing": 0.1}, multi_labels, normal),
    ("CategoricalCrossentropy", {"label_smoothing": 0.2}, one_hot, softmax),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, sparse, normal),
    ("KLDivergence", {}, softmax, softmax),
    ("Poisson", {}, positive, positive),
    ("Hinge", {}, multi_labels, normal),
    ("SquaredHinge", {}, multi_labels, normal),
    ("CategoricalHinge", {}, one_hot, normal),
    ("Precision", {}, multi_labels, probs),
    ("Precision", {"thresholds": [0.2, 0.5, 0.9]}, multi_labels, probs),
    ("Precision", {"thresholds": [0.0, 0.5, 1.0]}, multi_labels, probs),
    ("Precision", {"top_k": 2}, multi_labels, probs),
    ("Precision", {"class_id": 1}, multi_labels, probs),
    ("Recall", {}, multi_labels, probs),
    ("Recall", {"thresholds": [0.3, 0.7], "class_id": 2}, multi_labels, probs),
    ("Recall", {"top_k": 1}, multi_labels, probs),
    ("TruePositives", {}, multi_labels, probs),
    ("FalsePositives", {"thresholds": [0.25, 0.75]}, multi_labels, probs),
    ("TrueNegatives", {}, multi_labels, probs),
    ("FalseNegatives", {}, multi_labels, probs),
    ("AUC", {}, multi_labels, probs),
    ("AUC", {"num_thresholds": 7}, multi_labels, probs),
    ("AUC", {"curve": "PR"}, multi_labels, probs),
    ("AUC", {"curve": "PR", "summation_method": "minoring"}, multi_labels, probs),
    ("AUC", {"curve": "ROC", "summation_method": "majoring"}, multi_labels, probs),
    ("AUC", {"from_logits": True}, multi_labels, normal),
    ("AUC", {"thresholds": [0.1, 0.4, 0.45, 0.8]}, multi_labels, probs),
    ("AUC", {"multi_label": True, "num_labels": C}, multi_labels, probs),
    ("AUC", {"multi_label": True}, multi_labels, probs),
    ("AUC", {"multi_label": True, "curve": "PR", "label_weights": [1.0, 2.0, 0.0, 1.0]}, multi_labels, probs),
    ("AUC", {"label_weights": [1.0, 2.0, 0.5, 1.0]}, multi_labels, probs),
    ("F1Score", {}, one_hot, softmax),
    ("F1Score", {"average": "micro", "threshold": 0.5}, multi_labels, probs),
    ("F1Score", {"average": "macro", "threshold": 0.4}, multi_labels, probs),
    ("F1Score", {"average": "weighted"}, one_hot, softmax),
    ("FBetaScore", {"beta": 2.0, "threshold": 0.5}, multi_labels, probs),
    ("MeanIoU", {"num_classes": C}, class_ids, class_ids),
    ("MeanIoU", {"num_classes": C, "ignore_class": 0}, class_ids, class_ids),
    ("MeanIoU", {"num_classes": C, "sparse_y_pred": False}, class_ids, softmax),
    ("IoU", {"num_classes": C, "target_class_ids": [0, 2]}, class_ids, class_ids),
]


# The unweighted path and the accumulation check run once per class (the other cases of a
# class exercise the same code with other arguments).
_FIRST_OF_CLASS = {}
for _i, _c in enumerate(PARITY):
    _FIRST_OF_CLASS.setdefault(_c[0], _i)


@pytest.mark.parametrize("index", range(len(PARITY)), ids=lambda i: f"{PARITY[i][0]}-{PARITY[i][1]}")
def test_keras_parity_over_weighted_batches_and_one_shot(index):
    k = keras()
    name, kwargs, make_true, make_pred = PARITY[index]
    first = _FIRST_OF_CLASS[name] == index
    for weighted in (True, False) if first else (True,):
        batches = _batches(make_true, make_pred, weighted)
        if "IoU" in name and weighted:  # IoU counts are integers: integer weights, as Keras advises
            batches = [(t, p, np.round(w * 2).astype("int32")) for t, p, w in batches]
        ours = _run(getattr(lx.metrics, name)(**kwargs), batches)
        ref = _run(getattr(k.metrics, name)(**kwargs), batches)
        assert_close(ours, ref, rtol=2e-5, atol=1e-6)
        if weighted and first:
            # Accumulating batch by batch equals one update with all of them.
            one_shot = _run(getattr(lx.metrics, name)(**kwargs), [_concat(batches)])
            assert_close(one_shot, ours, rtol=2e-5, atol=1e-6)


def test_metric_function_forms_match_numpy():
    t, p = sparse(), softmax()
    assert_close(lx.metrics.sparse_categorical_accuracy(t, p), (p.argmax(-1) == t).astype("float32"))
    oh = np.eye(C)[t]
    assert_close(lx.metrics.categorical_accuracy(oh, p), (p.argmax(-1) == t).astype("float32"))
    rank = (p > np.take_along_axis(p, t[:, None], -1)).sum(-1)
    assert_close(lx.metrics.sparse_top_k_categorical_accuracy(t, p, k=2), (rank < 2).astype("float32"))
    assert_close(lx.metrics.top_k_categorical_accuracy(oh, p, k=3), (rank < 3).astype("float32"))
    bt, bp = multi_labels(), probs()
    assert_close(lx.metrics.binary_accuracy(bt, bp, threshold=0.6), ((bp > 0.6) == bt).astype("float32"))
    sorted_ids = np.argsort(-p, axis=-1)
    assert_close(lx.metrics.sparse_top_k_categorical_accuracy(t, sorted_ids, k=2, from_sorted_ids=True),
                 (rank < 2).astype("float32"))


def test_sequence_accuracy_with_per_timestep_weights_matches_keras():
    k = keras()
    labels = RNG.integers(0, C, size=(2, 6))
    preds = RNG.uniform(size=(2, 6, C)).astype("float32")
    sw = RNG.uniform(size=(2, 6)).astype("float32")
    for name in ("SparseCategoricalAccuracy", "SparseTopKCategoricalAccuracy"):
        ours = getattr(lx.metrics, name)()
        ref = getattr(k.metrics, name)()
        ours.update_state(labels, preds, sw)
        ref.update_state(labels, preds, sw)
        assert_close(ours.result(), np.asarray(ref.result()), rtol=1e-6)
    sample_level = RNG.uniform(size=(2,)).astype("float32")
    ours, ref = lx.metrics.SparseCategoricalAccuracy(), k.metrics.SparseCategoricalAccuracy()
    ours.update_state(labels, preds, sample_level)
    ref.update_state(labels, preds, sample_level)
    assert_close(ours.result(), np.asarray(ref.result()), rtol=1e-6)


def test_mean_and_sum_match_keras_with_weights_of_every_rank():
    k = keras()
    values = RNG.normal(size=(3, 4)).astype("float32")
    for sw in (None, RNG.uniform(size=(3,)).astype("float32"), RNG.uniform(size=(3, 4)).astype("float32")):
        for name in ("Mean", "Sum"):
            ours, ref = getattr(lx.metrics, name)(), getattr(k.metrics, name)()
            ours.update_state(values, sample_weight=sw)
            ours.update_state(values[:1] * 2, sample_weight=None if sw is None else sw[:1])
            ref.update_state(values, sample_weight=sw)
            ref.update_state(values[:1] * 2, sample_weight=None if sw is None else sw[:1])
            assert_close(ours.result(), np.asarray(ref.result()), rtol=1e-6)
    m = lx.metrics.Mean()
    m.update_state(3.0)
    m.update_state([1.0, 2.0])
    assert float(m.result()) == pytest.approx(2.0)


def test_against_scikit_learn():
    from sklearn import metrics as skm

    # The batch shapes of the parity tests (15 = 3 batches of 5), so the compiled ops are reused.
    n = B * NB
    y = np.array([0, 1] * 7 + [1])
    # Scores spaced 1/15 apart: no two share a bucket of the 200 thresholds, so the
    # thresholded ROC AUC equals the exact one.
    scores = ((RNG.permutation(n) + 0.5) / n).astype("float32")
    w = RNG.uniform(0.5, 1.5, size=(n,)).astype("float32")
    auc = lx.metrics.AUC()
    auc.update_state(y, scores, sample_weight=w)
    assert float(auc.result()) == pytest.approx(skm.roc_auc_score(y, scores, sample_weight=w), abs=1e-5)
    pred = (scores > 0.5).astype(int)
    for cls, ref in ((lx.metrics.Precision, skm.precision_score), (lx.metrics.Recall, skm.recall_score)):
        m = cls()
        m.update_state(y, scores, sample_weight=w)
        assert float(m.result()) == pytest.approx(ref(y, pred, sample_weight=w), rel=1e-5)
    labels = RNG.integers(0, C, size=(n,))
    logits = RNG.normal(size=(n, C)).astype("float32")
    f1 = lx.metrics.F1Score(average="macro")
    f1.update_state(np.eye(C, dtype="float32")[labels], logits)
    expected = skm.f1_score(labels, logits.argmax(-1), average="macro", labels=range(C), zero_division=0)
    assert float(f1.result()) == pytest.approx(expected, rel=1e-4)
    iou = lx.metrics.MeanIoU(num_classes=C)
    iou.update_state(labels, logits.argmax(-1))
    present = np.union1d(labels, logits.argmax(-1))
    expected = skm.jaccard_score(labels, logits.argmax(-1), average="macro", labels=present)
    assert float(iou.result()) == pytest.approx(expected, rel=1e-4)


def test_ignore_class_in_sparse_crossentropy_metric_averages_valid_entries():
    labels = np.array([1, -1, 2, -1])
    preds = softmax()[:4]
    m = lx.metrics.SparseCategoricalCrossentropy(ignore_class=-1)
    m.update_state(labels, preds)
    valid = labels != -1
    expected = -np.log(np.clip(preds[valid, labels[valid]] / preds[valid].sum(-1), 1e-7, 1 - 1e-7)).mean()
    assert float(m.result()) == pytest.approx(expected, rel=1e-5)
    # With sample weights it matches Keras (which masks only when weights are given).
    k = keras()
    sw = np.array([1.0, 2.0, 3.0, 4.0], "float32")
    ours, ref = lx.metrics.SparseCategoricalCrossentropy(ignore_class=-1), k.metrics.SparseCategoricalCrossentropy(ignore_class=-1)
    ours.update_state(labels, preds, sw)
    ref.update_state(labels, preds, sw)
    assert_close(ours.result(), np.asarray(ref.result()), rtol=1e-5)


def test_mean_metric_wrapper_mask_argument():
    m = lx.metrics.MeanMetricWrapper(lx.losses.mean_absolute_error)
    y, p = normal(), normal()
    mask = np.array([1, 0, 1, 1, 0], bool)
    m.update_state(y, p, mask=mask)
    assert float(m.result()) == pytest.approx(np.abs(y - p).mean(-1)[mask].mean(), rel=1e-5)


# ------------------------------------------------------------- lx.function
def test_updates_inside_lx_function_match_eager_and_trace_once():
    factories = [
        lambda: lx.metrics.SparseCategoricalAccuracy(),
        lambda: lx.metrics.AUC(num_thresholds=11),
        lambda: lx.metrics.Precision(top_k=2),
        lambda: lx.metrics.F1Score(average="weighted"),
        lambda: lx.metrics.MeanIoU(num_classes=C, sparse_y_pred=False),
        lambda: lx.metrics.Mean(),
    ]
    compiled_metrics = [f() for f in factories]
    eager_metrics = [f() for f in factories]

    def update_all(metrics, labels, one_hot_labels, scores, sw):
        metrics[0].update_state(labels, scores, sw)
        for m in metrics[1:4]:
            m.update_state(one_hot_labels, scores, sw)
        metrics[4].update_state(labels, scores)
        metrics[5].update_state(jnp.sum(scores, -1), sw)

    @lx.function
    def step(labels, one_hot_labels, scores, sw):
        update_all(compiled_metrics, labels, one_hot_labels, scores, sw)
        return [m.result() for m in compiled_metrics]

    traces = []
    for _ in range(NB):
        labels = sparse()
        oh = np.eye(C, dtype="float32")[labels]
        scores = softmax()
        sw = RNG.uniform(size=(B,)).astype("float32")
        inside = step(labels, oh, scores, sw)
        traces.append(step.trace_count)
        update_all(eager_metrics, labels, oh, scores, sw)
        for m_in, m_out, res in zip(compiled_metrics, eager_metrics, inside):
            assert_close(m_in.result(), m_out.result(), rtol=1e-5, atol=1e-6)
            assert_close(res, m_out.result(), rtol=1e-5, atol=1e-6)
    # The first call discovers the state (F1Score creates it lazily); later calls reuse the trace.
    assert traces[1:] == [traces[0]] * (NB - 1)


def test_reset_state_inside_lx_function_and_lazily_built_state():
    m = lx.metrics.Mean()

    @lx.function
    def update(x):
        m.update_state(x)
        return m.result()

    @lx.function
    def reset():
        m.reset_state()

    assert float(update(jnp.array([1.0, 3.0]))) == 2.0
    reset()
    assert float(m.count.value) == 0.0
    assert float(update(jnp.array([5.0]))) == 5.0


def test_stateless_api_leaves_the_metric_untouched():
    m = lx.metrics.Mean()
    m.update_state([2.0, 4.0])
    values = [v.value for v in m.variables]
    new = m.stateless_update_state(values, jnp.array([6.0]))
    assert float(m.result()) == 3.0
    assert float(m.stateless_result(new)) == 4.0
    assert [float(v) for v in m.stateless_reset_state()] == [0.0, 0.0]
    assert float(m.result()) == 3.0
    # Works under raw jax.jit too.
    new = jax.jit(lambda vals, x: m.stateless_update_state(vals, x))(values, jnp.array([6.0, 6.0]))
    assert float(m.stateless_result(new)) == pytest.approx(4.5)
    with pytest.raises(ValueError, match="one value per variable"):
        m.stateless_update_state(values[:1], jnp.array([1.0]))


def test_call_updates_then_returns_result_and_reset_state():
    m = lx.metrics.BinaryAccuracy()
    assert float(m([[1], [0]], [[0.9], [0.2]])) == 1.0
    assert float(m([[1], [0]], [[0.1], [0.2]])) == 0.75
    m.reset_state()
    assert float(m.result()) == 0.0
    assert [v.name for v in m.variables] == ["total", "count"]
    assert m.variables[0].path.endswith("binary_accuracy/total")
    assert all(not v.trainable for v in m.variables)


def test_nested_metrics_contribute_variables():
    class Pair(lx.metrics.Metric):
        def __init__(self):
            super().__init__(name="pair")
            self.a = lx.metrics.Mean(name="a")
            self.b = lx.metrics.Sum(name="b")

        def update_state(self, x):
            self.a.update_state(x)
            self.b.update_state(x)

        def result(self):
            return self.a.result() + self.b.result()

    pair = Pair()
    pair.update_state([1.0, 3.0])
    assert float(pair.result()) == 6.0
    assert len(pair.variables) == 3
    pair.reset_state()
    assert float(pair.result()) == 0.0


def test_results_are_jax_arrays():
    for m in (lx.metrics.Mean(), lx.metrics.AUC(), lx.metrics.MeanIoU(2), lx.metrics.Precision()):
        assert isinstance(m.result(), jax.Array)


# ----------------------------------------------------------------- configs
CONFIG_CASES = [(c[0], c[1]) for c in PARITY]


@pytest.mark.parametrize("case", CONFIG_CASES, ids=lambda c: f"{c[0]}-{c[1]}")
def test_config_round_trip_and_keras_keys(case):
    k = keras()
    name, kwargs = case
    ours = getattr(lx.metrics, name)(name="custom", **kwargs)
    config = ours.get_config()
    assert config["name"] == "custom"
    clone = type(ours).from_config(config)
    assert clone.get_config() == config
    restored = lx.metrics.deserialize(lx.metrics.serialize(ours))
    assert type(restored) is type(ours) and restored.get_config() == config
    ref_config = getattr(k.metrics, name)(**kwargs).get_config()
    assert set(ref_config) <= set(config) | {"dtype"}, set(ref_config) - set(config)
    for key in ref_config:
        if key not in ("name", "dtype", "label_weights", "thresholds"):
            assert config[key] == ref_config[key], key


def test_mean_metric_wrapper_config_round_trip():
    m = lx.metrics.MeanMetricWrapper(lx.metrics.binary_accuracy, name="acc7", threshold=0.7)
    config = m.get_config()
    assert config["fn"] == "binary_accuracy" and config["threshold"] == 0.7
    clone = lx.metrics.MeanMetricWrapper.from_config(config)
    y, p = multi_labels(), probs()
    assert_close(clone(y, p), m(y, p))


def test_get_by_names_like_keras():
    k = keras()
    for name in ("accuracy", "mse", "MAE", "mape", "msle", "bce", "AUC", "auc", "f1_score", "Precision",
                 "sparse_categorical_accuracy", "categorical_crossentropy", "root_mean_squared_error"):
        assert type(lx.metrics.get(name)).__name__ == type(k.metrics.get(name)).__name__, name
    assert lx.metrics.get("mse").name == "mean_squared_error"
    auc = lx.metrics.AUC()
    assert lx.metrics.get(auc) is auc
    assert lx.metrics.get(lx.metrics.binary_accuracy) is lx.metrics.binary_accuracy
    assert isinstance(lx.metrics.get({"class_name": "AUC", "config": {"curve": "PR"}}), lx.metrics.AUC)


def test_resolve_metric_accuracy_follows_shapes_and_loss():
    cases = [
        (((8,), (8, 5)), None, "SparseCategoricalAccuracy"),
        (((8, 1), (8, 5)), None, "SparseCategoricalAccuracy"),
        (((8, 5), (8, 5)), None, "CategoricalAccuracy"),
        (((8, 1), (8, 1)), None, "BinaryAccuracy"),
        (((8,), (8, 1)), None, "BinaryAccuracy"),
        (((8, 5), (8, 5)), "binary_crossentropy", "BinaryAccuracy"),
        (((8, 5), (8, 5)), lx.losses.BinaryCrossentropy(from_logits=True), "BinaryAccuracy"),
        (((8, 1), (8, 5)), "sparse_categorical_crossentropy", "SparseCategoricalAccuracy"),
        (((8, 5), (8, 5)), lx.losses.categorical_crossentropy, "CategoricalAccuracy"),
        (((8, 5), (8, 5)), "mse", "CategoricalAccuracy"),
    ]
    for (t_shape, p_shape), loss, expected in cases:
        for ident in ("accuracy", "acc"):
            m = lx.metrics.resolve_metric(ident, np.zeros(t_shape), np.zeros(p_shape), loss=loss)
            assert type(m).__name__ == expected and m.name == ident, (t_shape, p_shape, loss)
    # Keras 3 itself picks the same accuracy from shapes alone.
    from keras.src.trainers.compile_utils import get_metric

    for (t_shape, p_shape), loss, expected in cases:
        if loss is None:
            assert type(get_metric("accuracy", np.zeros(t_shape), np.zeros(p_shape))).__name__ == expected
    m = lx.metrics.resolve_metric("mse")
    assert isinstance(m, lx.metrics.MeanSquaredError) and m.name == "mse"
    fn_metric = lx.metrics.resolve_metric(lx.metrics.binary_accuracy)
    assert isinstance(fn_metric, lx.metrics.MeanMetricWrapper) and fn_metric.name == "binary_accuracy"
    auc = lx.metrics.AUC(name="my_auc")
    assert lx.metrics.resolve_metric(auc) is auc and auc.name == "my_auc"
    assert lx.metrics.MeanSquaredError()._direction == "down"
    assert lx.metrics.MeanMetricWrapper(lx.losses.mean_squared_error)._direction == "down"
    assert lx.metrics.resolve_metric("acc", (4,), (4, 3))._direction == "up"


# ------------------------------------------------------------------ errors
def test_errors_are_clear():
    with pytest.raises(ValueError, match="picks binary, categorical or sparse categorical"):
        lx.metrics.resolve_metric("accuracy")
    with pytest.raises(ValueError, match="Could not interpret metric identifier: 'acuracy'"):
        lx.metrics.get("acuracy")
    with pytest.raises(ValueError, match="Threshold values must be in \\[0, 1\\]"):
        lx.metrics.Precision(thresholds=[0.5, 1.5])
    with pytest.raises(ValueError, match="Invalid AUC curve value"):
        lx.metrics.AUC(curve="XY")
    with pytest.raises(ValueError, match="`num_thresholds` must be an integer > 1"):
        lx.metrics.AUC(num_thresholds=1)
    with pytest.raises(ValueError, match="Invalid `average`"):
        lx.metrics.F1Score(average="mean")
    with pytest.raises(ValueError, match="F1Score expects 2D inputs"):
        lx.metrics.F1Score().update_state(np.zeros(3), np.zeros(3))
    with pytest.raises(ValueError, match="out of range"):
        lx.metrics.IoU(num_classes=2, target_class_ids=[2])

    class Forgot(lx.metrics.Metric):
        def __init__(self):
            pass

    with pytest.raises(RuntimeError, match="super\\(\\).__init__"):
        Forgot().add_variable((), "zeros")


def test_doctests():
    import doctest
    import importlib
    import pkgutil

    names = ["layerax.metrics"] + [f"layerax.metrics.{m.name}" for m in pkgutil.iter_modules(lx.metrics.__path__)]
    for name in names:
        result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
        assert result.failed == 0 and result.attempted > 0, name
