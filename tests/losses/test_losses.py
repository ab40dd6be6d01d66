"""Losses: numpy formulas, Keras 3 parity (reductions, sample weights, logits, smoothing,
ignore_class), configs, name lookup and errors."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import layerax as lx
from tests.helpers import assert_close, keras

EPS = 1e-7
RNG = np.random.default_rng(0)
N, C = 6, 4

REG_TRUE = RNG.normal(size=(N, C)).astype("float32")
REG_PRED = RNG.normal(size=(N, C)).astype("float32")
POS_TRUE = RNG.uniform(0.0, 3.0, size=(N, C)).astype("float32")
POS_PRED = RNG.uniform(0.05, 3.0, size=(N, C)).astype("float32")
BIN_TRUE = RNG.integers(0, 2, size=(N, C)).astype("float32")
PROBS = RNG.uniform(0.02, 0.98, size=(N, C)).astype("float32")
LOGITS = RNG.normal(scale=2.0, size=(N, C)).astype("float32")
SPARSE = RNG.integers(0, C, size=(N,))
ONE_HOT = np.eye(C, dtype="float32")[SPARSE]
SOFTMAX = (np.exp(LOGITS) / np.exp(LOGITS).sum(-1, keepdims=True)).astype("float32")
DIST_TRUE = RNG.dirichlet(np.ones(C), size=N).astype("float32")
SW = RNG.uniform(0.0, 2.0, size=(N,)).astype("float32")
SIGNED = (2 * BIN_TRUE - 1).astype("float32")


# --------------------------------------------------------------- numpy refs
def _log_sigmoid(x):
    return -np.logaddexp(0.0, -x)


def np_bce(t, p, from_logits=False, ls=0.0):
    t, p = t.astype(np.float64), p.astype(np.float64)
    t = t * (1 - ls) + 0.5 * ls
    if from_logits:
        e = -t * _log_sigmoid(p) - (1 - t) * _log_sigmoid(-p)
    else:
        p = np.clip(p, EPS, 1 - EPS)
        e = -(t * np.log(p) + (1 - t) * np.log(1 - p))
    return e.mean(-1)


def np_bfce(t, p, from_logits=False, ls=0.0, gamma=2.0, alpha=0.25, balance=False):
    t, p = t.astype(np.float64), p.astype(np.float64)
    t = t * (1 - ls) + 0.5 * ls
    if from_logits:
        p = 1 / (1 + np.exp(-p))
    pc = np.clip(p, EPS, 1 - EPS)
    bce = -(t * np.log(pc) + (1 - t) * np.log(1 - pc))
    p_t = t * p + (1 - t) * (1 - p)
    out = (1 - p_t) ** gamma * bce
    if balance:
        out = (t * alpha + (1 - t) * (1 - alpha)) * out
    return out.mean(-1)


def _log_probs(p, from_logits):
    p = p.astype(np.float64)
    if from_logits:
        return p - np.log(np.exp(p).sum(-1, keepdims=True))
    p = p / p.sum(-1, keepdims=True)
    return np.log(np.clip(p, EPS, 1 - EPS))


def np_cce(t, p, from_logits=False, ls=0.0):
    t = t.astype(np.float64) * (1 - ls) + ls / t.shape[-1]
    return -(t * _log_probs(p, from_logits)).sum(-1)


def np_cfce(t, p, from_logits=False, ls=0.0, alpha=0.25, gamma=2.0):
    t = t.astype(np.float64) * (1 - ls) + ls / t.shape[-1]
    p = p.astype(np.float64)
    if from_logits:
        p = np.exp(p) / np.exp(p).sum(-1, keepdims=True)
    out = np.clip(p / p.sum(-1, keepdims=True), EPS, 1 - EPS)
    return (alpha * (1 - out) ** gamma * -t * np.log(out)).sum(-1)


def np_scce(labels, p, from_logits=False):
    lp = _log_probs(p, from_logits)
    return -np.take_along_axis(lp, labels[..., None].astype(int), -1)[..., 0]


def np_hinge_labels(t):
    return 2 * t - 1 if np.all((t == 0) | (t == 1)) else t


def np_reduce(values, sw=None, reduction="sum_over_batch_size"):
    values = np.asarray(values, np.float64)
    if sw is not None:
        values = values * sw
    if reduction in (None, "none"):
        return values
    total = values.sum()
    if reduction == "sum":
        return total
    if reduction == "mean_with_sample_weight" and sw is not None:
        return total / np.sum(sw)
    return total / values.size


NUMPY_CASES = {
    "mean_squared_error": (REG_TRUE, REG_PRED, lambda t, p: ((t - p) ** 2).mean(-1)),
    "mean_absolute_error": (REG_TRUE, REG_PRED, lambda t, p: np.abs(t - p).mean(-1)),
    "mean_absolute_percentage_error": (
        REG_TRUE, REG_PRED, lambda t, p: 100 * (np.abs(t - p) / np.maximum(np.abs(t), EPS)).mean(-1)),
    "mean_squared_logarithmic_error": (
        POS_TRUE, POS_PRED,
        lambda t, p: ((np.log(np.maximum(p, EPS) + 1) - np.log(np.maximum(t, EPS) + 1)) ** 2).mean(-1)),
    "cosine_similarity": (
        REG_TRUE, REG_PRED,
        lambda t, p: -(t / np.linalg.norm(t, axis=-1, keepdims=True)
                       * p / np.linalg.norm(p, axis=-1, keepdims=True)).sum(-1)),
    "huber": (
        REG_TRUE, REG_PRED,
        lambda t, p: np.where(np.abs(p - t) <= 1.0, 0.5 * (p - t) ** 2, np.abs(p - t) - 0.5).mean(-1)),
    "log_cosh": (REG_TRUE, REG_PRED, lambda t, p: np.log(np.cosh(p - t)).mean(-1)),
    "binary_crossentropy": (BIN_TRUE, PROBS, np_bce),
    "binary_focal_crossentropy": (BIN_TRUE, PROBS, np_bfce),
    "categorical_crossentropy": (ONE_HOT, SOFTMAX, np_cce),
    "categorical_focal_crossentropy": (ONE_HOT, SOFTMAX, np_cfce),
    "sparse_categorical_crossentropy": (SPARSE, SOFTMAX, np_scce),
    "kl_divergence": (
        DIST_TRUE, SOFTMAX,
        lambda t, p: (np.clip(t, EPS, 1) * np.log(np.clip(t, EPS, 1) / np.clip(p, EPS, 1))).sum(-1)),
    "poisson": (POS_TRUE, POS_PRED, lambda t, p: (p - t * np.log(p + EPS)).mean(-1)),
    "hinge": (BIN_TRUE, REG_PRED, lambda t, p: np.maximum(1 - np_hinge_labels(t) * p, 0).mean(-1)),
    "squared_hinge": (
        SIGNED, REG_PRED, lambda t, p: (np.maximum(1 - np_hinge_labels(t) * p, 0) ** 2).mean(-1)),
    "categorical_hinge": (
        ONE_HOT, REG_PRED,
        lambda t, p: np.maximum((( 1 - t) * p).max(-1) - (t * p).sum(-1) + 1, 0)),
}


@pytest.mark.parametrize("name", sorted(NUMPY_CASES))
def test_function_form_matches_numpy(name):
    y_true, y_pred, ref = NUMPY_CASES[name]
    out = getattr(lx.losses, name)(y_true, y_pred)
    assert out.shape == (N,)
    assert_close(out, ref(y_true.astype(np.float64), y_pred.astype(np.float64)), rtol=1e-4, atol=1e-5)


def test_logit_and_smoothing_variants_match_numpy():
    assert_close(lx.losses.binary_crossentropy(BIN_TRUE, LOGITS, from_logits=True, label_smoothing=0.2),
                 np_bce(BIN_TRUE, LOGITS, True, 0.2), rtol=1e-5)
    assert_close(lx.losses.categorical_crossentropy(ONE_HOT, LOGITS, from_logits=True, label_smoothing=0.1),
                 np_cce(ONE_HOT, LOGITS, True, 0.1), rtol=1e-5)
    assert_close(lx.losses.sparse_categorical_crossentropy(SPARSE, LOGITS, from_logits=True),
                 np_scce(SPARSE, LOGITS, True), rtol=1e-5)
    assert_close(
        lx.losses.binary_focal_crossentropy(BIN_TRUE, LOGITS, apply_class_balancing=True, alpha=0.3,
                                            gamma=1.5, from_logits=True, label_smoothing=0.1),
        np_bfce(BIN_TRUE, LOGITS, True, 0.1, gamma=1.5, alpha=0.3, balance=True), rtol=1e-4)
    assert_close(
        lx.losses.categorical_focal_crossentropy(ONE_HOT, LOGITS, alpha=0.5, gamma=1.0, from_logits=True,
                                                 label_smoothing=0.1),
        np_cfce(ONE_HOT, LOGITS, True, 0.1, alpha=0.5, gamma=1.0), rtol=1e-4)


REDUCTIONS = ["sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_reductions_match_numpy(reduction, weighted):
    sw = SW if weighted else None
    loss = lx.losses.MeanSquaredError(reduction=reduction)
    expected = np_reduce(((REG_TRUE - REG_PRED) ** 2).mean(-1), sw, reduction)
    assert_close(loss(REG_TRUE, REG_PRED, sample_weight=sw), expected, rtol=1e-5)


# ------------------------------------------------------------ Keras parity
# (class name, constructor kwargs, y_true, y_pred)
KERAS_CASES = [
    ("MeanSquaredError", {}, REG_TRUE, REG_PRED),
    ("MeanAbsoluteError", {}, REG_TRUE, REG_PRED),
    ("MeanAbsolutePercentageError", {}, REG_TRUE, REG_PRED),
    ("MeanSquaredLogarithmicError", {}, POS_TRUE, POS_PRED),
    ("CosineSimilarity", {}, REG_TRUE, REG_PRED),
    ("CosineSimilarity", {"axis": 0}, REG_TRUE, REG_PRED),
    ("Huber", {}, REG_TRUE, REG_PRED),
    ("Huber", {"delta": 0.3}, REG_TRUE, REG_PRED),
    ("LogCosh", {}, REG_TRUE, REG_PRED),
    ("BinaryCrossentropy", {}, BIN_TRUE, PROBS),
    ("BinaryCrossentropy", {"from_logits": True}, BIN_TRUE, LOGITS),
    ("BinaryCrossentropy", {"label_smoothing": 0.2}, BIN_TRUE, PROBS),
    ("BinaryCrossentropy", {"from_logits": True, "label_smoothing": 0.1}, BIN_TRUE, LOGITS),
    ("BinaryFocalCrossentropy", {}, BIN_TRUE, PROBS),
    ("BinaryFocalCrossentropy", {"apply_class_balancing": True, "alpha": 0.4, "gamma": 3.0}, BIN_TRUE, PROBS),
    ("BinaryFocalCrossentropy", {"from_logits": True, "label_smoothing": 0.1}, BIN_TRUE, LOGITS),
    ("CategoricalCrossentropy", {}, ONE_HOT, SOFTMAX),
    ("CategoricalCrossentropy", {}, ONE_HOT, PROBS),
    ("CategoricalCrossentropy", {"from_logits": True}, ONE_HOT, LOGITS),
    ("CategoricalCrossentropy", {"label_smoothing": 0.2}, ONE_HOT, SOFTMAX),
    ("CategoricalCrossentropy", {"from_logits": True, "label_smoothing": 0.1}, ONE_HOT, LOGITS),
    ("CategoricalFocalCrossentropy", {}, ONE_HOT, SOFTMAX),
    ("CategoricalFocalCrossentropy", {"from_logits": True, "alpha": 0.5, "gamma": 1.0}, ONE_HOT, LOGITS),
    ("CategoricalFocalCrossentropy", {"label_smoothing": 0.1}, ONE_HOT, SOFTMAX),
    ("SparseCategoricalCrossentropy", {}, SPARSE, SOFTMAX),
    ("SparseCategoricalCrossentropy", {}, SPARSE[:, None], SOFTMAX),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, SPARSE, LOGITS),
    ("KLDivergence", {}, DIST_TRUE, SOFTMAX),
    ("Poisson", {}, POS_TRUE, POS_PRED),
    ("Hinge", {}, BIN_TRUE, REG_PRED),
    ("Hinge", {}, SIGNED, REG_PRED),
    ("SquaredHinge", {}, BIN_TRUE, REG_PRED),
    ("CategoricalHinge", {}, ONE_HOT, REG_PRED),
]


@pytest.mark.parametrize("case", KERAS_CASES, ids=lambda c: f"{c[0]}-{c[1]}")
def test_class_form_matches_keras_all_reductions(case):
    k = keras()
    name, kwargs, y_true, y_pred = case
    weights = (None, SW) if kwargs.get("axis", -1) == -1 else (None,)  # axis=0: one loss per class
    for reduction in REDUCTIONS:
        for sw in weights:
            ours = getattr(lx.losses, name)(reduction=reduction, **kwargs)(y_true, y_pred, sample_weight=sw)
            ref = getattr(k.losses, name)(reduction=reduction, **kwargs)(y_true, y_pred, sample_weight=sw)
            assert_close(ours, np.asarray(ref), rtol=2e-5, atol=1e-6)


FUNCTION_CASES = [
    ("mean_squared_error", {}, REG_TRUE, REG_PRED),
    ("mean_absolute_error", {}, REG_TRUE, REG_PRED),
    ("mean_absolute_percentage_error", {}, REG_TRUE, REG_PRED),
    ("mean_squared_logarithmic_error", {}, POS_TRUE, POS_PRED),
    ("cosine_similarity", {"axis": -1}, REG_TRUE, REG_PRED),
    ("huber", {"delta": 0.5}, REG_TRUE, REG_PRED),
    ("log_cosh", {}, REG_TRUE, REG_PRED),
    ("binary_crossentropy", {"from_logits": True, "label_smoothing": 0.3}, BIN_TRUE, LOGITS),
    ("binary_focal_crossentropy", {"apply_class_balancing": True}, BIN_TRUE, PROBS),
    ("categorical_crossentropy", {"label_smoothing": 0.1}, ONE_HOT, SOFTMAX),
    ("categorical_focal_crossentropy", {"from_logits": True}, ONE_HOT, LOGITS),
    ("sparse_categorical_crossentropy", {"from_logits": True, "ignore_class": 1}, SPARSE, LOGITS),
    ("kl_divergence", {}, DIST_TRUE, SOFTMAX),
    ("poisson", {}, POS_TRUE, POS_PRED),
    ("hinge", {}, BIN_TRUE, REG_PRED),
    ("squared_hinge", {}, SIGNED, REG_PRED),
    ("categorical_hinge", {}, ONE_HOT, REG_PRED),
]


@pytest.mark.parametrize("case", FUNCTION_CASES, ids=lambda c: c[0])
def test_function_form_matches_keras(case):
    k = keras()
    name, kwargs, y_true, y_pred = case
    assert_close(getattr(lx.losses, name)(y_true, y_pred, **kwargs),
                 np.asarray(getattr(k.losses, name)(y_true, y_pred, **kwargs)), rtol=2e-5, atol=1e-6)


def test_sequence_losses_with_per_timestep_weights_match_keras():
    k = keras()
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 5, size=(3, 7))
    logits = rng.normal(size=(3, 7, 5)).astype("float32")
    sw = rng.uniform(size=(3, 7)).astype("float32")
    for reduction in REDUCTIONS:
        ours = lx.losses.SparseCategoricalCrossentropy(from_logits=True, reduction=reduction)(labels, logits, sw)
        ref = k.losses.SparseCategoricalCrossentropy(from_logits=True, reduction=reduction)(labels, logits, sw)
        assert_close(ours, np.asarray(ref), rtol=2e-5)
    y = rng.normal(size=(3, 7, 2)).astype("float32")
    p = rng.normal(size=(3, 7, 2)).astype("float32")
    assert_close(lx.losses.MeanSquaredError()(y, p, sw), np.asarray(k.losses.MeanSquaredError()(y, p, sw)))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_ignore_class_matches_keras(reduction):
    k = keras()
    labels = SPARSE.copy()
    labels[[1, 4]] = -1
    for kwargs, pred in (({}, SOFTMAX), ({"from_logits": True}, LOGITS)):
        for sw in (None, SW):
            ours = lx.losses.SparseCategoricalCrossentropy(ignore_class=-1, reduction=reduction, **kwargs)
            ref = k.losses.SparseCategoricalCrossentropy(ignore_class=-1, reduction=reduction, **kwargs)
            assert_close(ours(labels, pred, sw), np.asarray(ref(labels, pred, sw)), rtol=2e-5, atol=1e-6)
    # The average runs over the valid entries only.
    valid = labels != -1
    expected = np_scce(np.where(valid, labels, 0), SOFTMAX)[valid].mean()
    assert_close(lx.losses.SparseCategoricalCrossentropy(ignore_class=-1)(labels, SOFTMAX), expected, rtol=1e-5)


def test_ignore_class_gradient_is_finite_and_ignores_masked_rows():
    labels = SPARSE.copy()
    labels[2] = 9
    loss = lx.losses.SparseCategoricalCrossentropy(ignore_class=9)
    grad = jax.grad(lambda p: loss(labels, p))(jnp.asarray(SOFTMAX))
    assert np.all(np.isfinite(np.asarray(grad)))
    assert np.all(np.asarray(grad)[2] == 0)
    keep = np.arange(N) != 2
    ref = jax.grad(lambda p: lx.losses.SparseCategoricalCrossentropy()(labels[keep], p))(jnp.asarray(SOFTMAX[keep]))
    assert_close(np.asarray(grad)[keep], ref, rtol=1e-5)


def test_loss_mask_argument_matches_keras_masking():
    k = keras()
    from keras.src.losses.loss import reduce_weighted_values as keras_reduce

    values = RNG.uniform(size=(N,)).astype("float32")
    mask = np.array([1, 0, 1, 1, 0, 1], bool)
    for reduction in REDUCTIONS:
        for sw in (None, SW):
            ours = lx.losses.reduce_weighted_values(values, sw, mask=mask, reduction=reduction)
            ref = keras_reduce(values, sw, mask=mask, reduction=reduction)
            assert_close(ours, np.asarray(ref), rtol=1e-6)
    y_true, y_pred = REG_TRUE, REG_PRED
    ours = lx.losses.MeanSquaredError()(y_true, y_pred, mask=mask)
    expected = ((y_true - y_pred) ** 2).mean(-1)[mask].mean()
    assert_close(ours, expected, rtol=1e-5)
    del k


def test_losses_run_under_jit_and_grad_like_eager():
    loss = lx.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1)
    eager = loss(ONE_HOT, LOGITS, SW)
    jitted = jax.jit(lambda t, p, w: loss(t, p, w))(ONE_HOT, LOGITS, SW)
    assert_close(jitted, eager, rtol=1e-6)
    # Gradient of the mean cross-entropy w.r.t. logits: (softmax - smoothed labels) * w / N.
    grad = jax.grad(lambda p: loss(ONE_HOT, p, SW))(jnp.asarray(LOGITS))
    smoothed = ONE_HOT * 0.9 + 0.1 / C
    assert_close(grad, (SOFTMAX - smoothed) * SW[:, None] / N, rtol=1e-4, atol=1e-6)


def test_variables_and_dtype():
    loss = lx.losses.MeanSquaredError(dtype="float16")
    assert loss.dtype == "float16"
    assert loss(REG_TRUE, REG_PRED).dtype == jnp.float16
    v = lx.Variable(jnp.asarray(REG_PRED))
    assert_close(lx.losses.MeanSquaredError()(REG_TRUE, v), ((REG_TRUE - REG_PRED) ** 2).mean(), rtol=1e-5)


def test_rank_matching_of_labels_and_predictions():
    t = BIN_TRUE[:, 0]
    p = PROBS[:, :1]
    out = lx.losses.BinaryCrossentropy(reduction=None)(t, p)
    assert out.shape == (N,)
    assert_close(out, np_bce(t[:, None], p), rtol=1e-5)


# -------------------------------------------------------- config / lookup
ALL_CLASSES = sorted({c[0] for c in KERAS_CASES})


@pytest.mark.parametrize("name", ALL_CLASSES)
def test_config_round_trip_and_keras_config_keys(name):
    k = keras()
    loss = getattr(lx.losses, name)(reduction="sum", name="custom")
    config = loss.get_config()
    assert config["name"] == "custom" and config["reduction"] == "sum"
    clone = type(loss).from_config(config)
    assert clone.get_config() == config
    # Every Keras config key is present with the same default value.
    for key, value in getattr(k.losses, name)().get_config().items():
        if key not in ("name", "dtype"):
            assert getattr(lx.losses, name)().get_config()[key] == value, key
    restored = lx.losses.deserialize(lx.losses.serialize(loss))
    assert type(restored) is type(loss) and restored.get_config() == config


def test_get_by_names_like_keras():
    assert lx.losses.get("mse") is lx.losses.mean_squared_error
    assert lx.losses.get("MAE") is lx.losses.mean_absolute_error
    assert lx.losses.get("bce") is lx.losses.binary_crossentropy
    assert lx.losses.get("categorical_crossentropy") is lx.losses.categorical_crossentropy
    assert lx.losses.get("sparse_categorical_crossentropy") is lx.losses.sparse_categorical_crossentropy
    assert isinstance(lx.losses.get("BinaryCrossentropy"), lx.losses.BinaryCrossentropy)
    obj = lx.losses.get({"class_name": "CategoricalCrossentropy", "config": {"from_logits": True}})
    assert isinstance(obj, lx.losses.CategoricalCrossentropy) and obj.from_logits
    huber = lx.losses.Huber()
    assert lx.losses.get(huber) is huber
    assert lx.losses.get(None) is None
    assert lx.losses.serialize(lx.losses.hinge) == "hinge"
    assert lx.losses.deserialize("log_cosh") is lx.losses.log_cosh


def test_resolve_loss_wraps_functions_and_picks_crossentropy():
    loss = lx.losses.resolve_loss("mse")
    assert isinstance(loss, lx.losses.LossFunctionWrapper) and loss.name == "mse"
    assert_close(loss(REG_TRUE, REG_PRED, SW), np_reduce(((REG_TRUE - REG_PRED) ** 2).mean(-1), SW), rtol=1e-5)
    assert lx.losses.resolve_loss("ce", np.zeros((4, 1)), np.zeros((4, 1))).fn is lx.losses.binary_crossentropy
    assert lx.losses.resolve_loss("ce", np.zeros((4,)), np.zeros((4, 3))).fn is lx.losses.sparse_categorical_crossentropy
    assert lx.losses.resolve_loss("crossentropy", np.zeros((4, 3)), np.zeros((4, 3))).fn is lx.losses.categorical_crossentropy
    bce = lx.losses.BinaryCrossentropy()
    assert lx.losses.resolve_loss(bce) is bce
    # A wrapped sparse cross-entropy keeps ignore_class masking through the string name.
    labels = SPARSE.copy()
    labels[0] = -1
    wrapped = lx.losses.LossFunctionWrapper(lx.losses.sparse_categorical_crossentropy, ignore_class=-1)
    assert_close(wrapped(labels, SOFTMAX), lx.losses.SparseCategoricalCrossentropy(ignore_class=-1)(labels, SOFTMAX))
    config = wrapped.get_config()
    assert config["fn"] == "sparse_categorical_crossentropy" and config["ignore_class"] == -1
    assert_close(lx.losses.LossFunctionWrapper.from_config(config)(labels, SOFTMAX), wrapped(labels, SOFTMAX))


def test_custom_loss_subclass():
    class Cubed(lx.losses.Loss):
        def call(self, y_true, y_pred):
            return jnp.mean((y_pred - y_true) ** 3, axis=-1)

    loss = Cubed(reduction="sum")
    assert loss.name == "cubed"
    assert_close(loss(REG_TRUE, REG_PRED, SW), (((REG_PRED - REG_TRUE) ** 3).mean(-1) * SW).sum(), rtol=1e-5)


# ----------------------------------------------------------------- errors
def test_bad_reduction_is_a_clear_error():
    with pytest.raises(ValueError, match="reduction.*Received: reduction='average'"):
        lx.losses.MeanSquaredError(reduction="average")


def test_shape_mismatch_is_a_clear_error():
    with pytest.raises(ValueError, match="same shape.*y_true.shape=\\(6, 4\\), y_pred.shape=\\(6, 3\\)"):
        lx.losses.categorical_crossentropy(ONE_HOT, SOFTMAX[:, :3])
    with pytest.raises(ValueError, match="without its last \\(class\\) axis"):
        lx.losses.sparse_categorical_crossentropy(SPARSE[:4], SOFTMAX)


def test_bad_sample_weight_shape_is_a_clear_error():
    with pytest.raises(ValueError, match="Loss 'mean_squared_error': `sample_weight` of shape \\(5,\\)"):
        lx.losses.MeanSquaredError()(REG_TRUE, REG_PRED, sample_weight=np.ones(5))


def test_unknown_name_is_a_clear_error():
    with pytest.raises(ValueError, match="Could not interpret loss identifier: 'msee'"):
        lx.losses.get("msee")
    with pytest.raises(ValueError, match="Could not interpret loss identifier"):
        lx.losses.get(3)


def test_categorical_crossentropy_warns_on_single_class_like_keras():
    with pytest.warns(SyntaxWarning, match="binary_crossentropy"):
        lx.losses.categorical_crossentropy(np.ones((2, 1)), np.full((2, 1), 0.5))


def test_doctests():
    import doctest
    import importlib
    import pkgutil

    names = ["layerax.losses"] + [f"layerax.losses.{m.name}" for m in pkgutil.iter_modules(lx.losses.__path__)]
    for name in names:
        result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
        assert result.failed == 0 and result.attempted > 0, name
