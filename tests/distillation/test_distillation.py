"""lx.distillation: distillation losses and the Distiller, against Keras 3's."""

from __future__ import annotations

import numpy as np
import pytest

import layerax as lx
from tests.helpers import assert_close, keras

RNG = np.random.default_rng(0)


def _pair(lib, prefix, hidden):
    inputs = lib.Input(shape=(6,))
    h = lib.layers.Dense(hidden, activation="relu", name=f"{prefix}_h")(inputs)
    outputs = lib.layers.Dense(4, name=f"{prefix}_out")(h)
    return lib.Model(inputs, outputs, name=prefix)


def _models(lib, weights=None):
    teacher, student = _pair(lib, "teacher", 8), _pair(lib, "student", 8)
    if weights is not None:
        teacher.set_weights(weights[0])
        student.set_weights(weights[1])
    return teacher, student


def _losses(lib):
    d = lib.distillation
    return [
        d.LogitsDistillation(temperature=2.0, loss=lib.losses.KLDivergence()),
        d.FeatureDistillation(loss="mse", teacher_layer_name="teacher_h",
                              student_layer_name="student_h"),
    ]


@pytest.mark.parametrize("shape", [(3, 5), (2, 4, 7)])
def test_logits_and_feature_losses_match_keras(shape):
    k = keras()
    teacher, student = RNG.normal(size=shape).astype("f4"), RNG.normal(size=shape).astype("f4")
    cases = [
        ({"temperature": 3.0}, {"temperature": 3.0}),  # default: the kl_divergence *function*
        ({"temperature": 2.5, "loss": lx.losses.KLDivergence()},
         {"temperature": 2.5, "loss": k.losses.KLDivergence()}),
        ({"temperature": 1.5, "loss": lx.losses.CategoricalCrossentropy(from_logits=True)},
         {"temperature": 1.5, "loss": k.losses.CategoricalCrossentropy(from_logits=True)}),
    ]
    for ours_kw, keras_kw in cases:
        ours = lx.distillation.LogitsDistillation(**ours_kw).compute_loss(teacher, student)
        theirs = k.distillation.LogitsDistillation(**keras_kw).compute_loss(teacher, student)
        assert_close(ours, theirs, rtol=1e-5, atol=1e-6)
    for loss in ("mse", "cosine_similarity", "mae"):
        ours = lx.distillation.FeatureDistillation(loss=loss).compute_loss(teacher, student)
        theirs = k.distillation.FeatureDistillation(loss=loss).compute_loss(teacher, student)
        assert_close(ours, theirs, rtol=1e-5, atol=1e-6)
    # A structure of losses, None skipping an output.
    pairs = ([teacher, teacher * 2], [student, student])
    ours = lx.distillation.FeatureDistillation(loss=["mse", None]).compute_loss(*pairs)
    theirs = k.distillation.FeatureDistillation(loss=["mse", None]).compute_loss(*pairs)
    assert_close(ours, theirs, rtol=1e-5, atol=1e-6)
    ours = lx.distillation.LogitsDistillation(loss=[None, "mse"]).compute_loss(*pairs)
    theirs = k.distillation.LogitsDistillation(loss=[None, "mse"]).compute_loss(*pairs)
    assert_close(ours, theirs, rtol=1e-5, atol=1e-6)


# Keras' own feature extractor is built on `model.inputs` (a list) and warns when called
# with one array; the warning is Keras', not layerax's.
_KERAS_INPUTS_WARNING = pytest.mark.filterwarnings(
    "ignore:The structure of `inputs`:UserWarning"
)


@_KERAS_INPUTS_WARNING
def test_distiller_loss_and_evaluate_match_keras():
    k = keras()
    k_teacher, k_student = _models(k)
    weights = (k_teacher.get_weights(), k_student.get_weights())
    teacher, student = _models(lx, weights)
    x = RNG.normal(size=(16, 6)).astype("f4")
    y = RNG.integers(0, 4, size=(16,)).astype("int32")
    settings = {"distillation_loss_weights": [1.0, 0.5], "student_loss_weight": 0.3}
    ours = lx.distillation.Distiller(teacher, student, _losses(lx), **settings)
    theirs = k.distillation.Distiller(k_teacher, k_student, _losses(k), **settings)
    for model in (ours, theirs):
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
    total = ours.compute_loss(x, y, ours(x))
    expected = theirs.compute_loss(x, y, theirs(x))
    assert_close(total, expected, rtol=1e-5)
    for name in ("student_loss_tracker", "distillation_loss_tracker", "total_loss_tracker"):
        assert_close(getattr(ours, name).result(), getattr(theirs, name).result(), rtol=1e-5)
    ours.reset_metrics()
    theirs.reset_metrics()
    logs = ours.evaluate(x, y, batch_size=8, verbose=0, return_dict=True)
    keras_logs = theirs.evaluate(x, y, batch_size=8, verbose=0, return_dict=True)
    assert set(logs) == set(keras_logs)
    for key in keras_logs:
        assert_close(logs[key], keras_logs[key], rtol=1e-5)


def test_distiller_fit_trains_the_student_only():
    teacher, student = _models(lx)
    x = RNG.normal(size=(64, 6)).astype("f4")
    y = np.argmax(np.asarray(teacher(x)), axis=-1).astype("int32")
    teacher_before = [np.asarray(w) for w in teacher.get_weights()]
    distiller = lx.distillation.Distiller(teacher, student, _losses(lx), student_loss_weight=0.5)
    distiller.compile(optimizer=lx.optimizers.Adam(0.02),
                      loss=lx.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = distiller.fit(x, y, epochs=15, batch_size=32, verbose=0).history
    assert sorted(history) == ["distillation_loss", "loss", "student_loss", "total_loss"]
    assert history["loss"][-1] < 0.6 * history["loss"][0]
    assert history["distillation_loss"][-1] < history["distillation_loss"][0]
    for w, b in zip(teacher.get_weights(), teacher_before):
        np.testing.assert_array_equal(w, b)
    assert not teacher.trainable and len(distiller.trainable_variables) == 4
    np.testing.assert_allclose(np.asarray(distiller(x)), np.asarray(student(x)))


@_KERAS_INPUTS_WARNING
def test_history_keys_match_keras():
    k = keras()
    x = RNG.normal(size=(8, 6)).astype("f4")
    y = RNG.integers(0, 4, size=(8,)).astype("int32")
    keys = []
    for lib in (lx, k):
        distiller = lib.distillation.Distiller(*_models(lib), _losses(lib))
        distiller.compile(optimizer="sgd", loss="sparse_categorical_crossentropy",
                          metrics=["accuracy"])
        keys.append(set(distiller.fit(x, y, epochs=1, verbose=0).history))
    assert keys[0] == keys[1]


def test_configs_round_trip():
    for loss in (lx.distillation.LogitsDistillation(temperature=4.0, loss=["mse", None]),
                 lx.distillation.FeatureDistillation(loss=lx.losses.Huber(delta=2.0),
                                                     teacher_layer_name="a",
                                                     student_layer_name="b")):
        config = loss.get_config()
        again = type(loss).from_config(config)
        assert again.get_config() == config
    k = keras()
    ours = lx.distillation.LogitsDistillation(temperature=4.0).get_config()
    theirs = k.distillation.LogitsDistillation(temperature=4.0).get_config()
    assert set(ours) == set(theirs) and ours["temperature"] == theirs["temperature"]
    # Configs written by Keras load (a loss function and a loss instance).
    for keras_loss in (k.distillation.LogitsDistillation(temperature=4.0),
                       k.distillation.LogitsDistillation(loss=k.losses.KLDivergence()),
                       k.distillation.FeatureDistillation(loss=["mse", None],
                                                          teacher_layer_name="a")):
        config = keras_loss.get_config()
        loaded = getattr(lx.distillation, type(keras_loss).__name__).from_config(config)
        for ours_fn, keras_fn in zip(lx.tree.flatten(loaded.loss), k.tree.flatten(keras_loss.loss)):
            assert (ours_fn is None) == (keras_fn is None)
            if keras_fn is not None:
                name = getattr(keras_fn, "__name__", type(keras_fn).__name__)
                assert getattr(ours_fn, "__name__", type(ours_fn).__name__) == name
    distiller = lx.distillation.Distiller(*_models(lx), _losses(lx), student_loss_weight=0.2)
    rebuilt = lx.distillation.Distiller.from_config(distiller.get_config())
    assert rebuilt.student_loss_weight == 0.2
    assert [type(l).__name__ for l in rebuilt.distillation_losses] == [
        "LogitsDistillation", "FeatureDistillation"]
    assert rebuilt.student.get_layer("student_h").units == 8


def test_errors():
    teacher, student = _models(lx)
    d = lx.distillation
    with pytest.raises(ValueError, match="temperature"):
        d.LogitsDistillation(temperature=0.0)
    with pytest.raises(ValueError, match="temperature"):
        d.LogitsDistillation(temperature="hot")
    with pytest.raises(ValueError, match="at least one loss"):
        d.FeatureDistillation(loss=[None, None])
    with pytest.raises(ValueError, match="student_loss_weight"):
        d.Distiller(teacher, student, d.LogitsDistillation(), student_loss_weight=1.5)
    with pytest.raises(ValueError, match="cannot be None"):
        d.Distiller(teacher, student, None)
    with pytest.raises(ValueError, match="one weight per loss"):
        d.Distiller(teacher, student, _losses(lx), distillation_loss_weights=[1.0])
    with pytest.raises(ValueError, match="teacher model"):
        d.Distiller(teacher, student, d.FeatureDistillation(teacher_layer_name="nope"))
    with pytest.raises(ValueError, match="must be an lx.Model"):
        d.Distiller("teacher", student, d.LogitsDistillation())
    wide = lx.Sequential([lx.Input((6,)), lx.layers.Dense(5)])
    with pytest.raises(ValueError, match="shapes are incompatible"):
        d.Distiller(teacher, wide, d.LogitsDistillation())
    distiller = d.Distiller(teacher, student, d.LogitsDistillation())
    with pytest.raises(ValueError, match="cannot be None"):
        distiller.compile(optimizer="adam")
    with pytest.raises(NotImplementedError, match="compute_loss"):
        d.DistillationLoss().compute_loss(1.0, 1.0)
