"""lx.wrappers: scikit-learn estimators around layerax models, against Keras 3's wrappers."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import sklearn
from sklearn.base import clone
from sklearn.datasets import load_digits, make_classification, make_regression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import estimator_checks

import layerax as lx
from layerax.wrappers import SKLearnClassifier, SKLearnRegressor, SKLearnTransformer
from tests.helpers import keras


def _builder(lib):
    """A model function in the form both libraries' wrappers call: `model(X=..., y=..., **kw)`."""

    def build(X, y, loss, hidden=16, activation="softmax"):
        inputs = lib.Input(shape=(X.shape[1],))
        h = lib.layers.Dense(hidden, activation="relu")(inputs)
        n_out = y.shape[1] if y.ndim > 1 else 1
        outputs = lib.layers.Dense(n_out, activation=activation)(h)
        model = lib.Model(inputs, outputs)
        model.compile(optimizer=lib.optimizers.Adam(0.01), loss=loss)
        return model

    return build


def _lx_model(X, y, loss, hidden=16, activation="softmax"):
    """A module-level (so picklable) layerax model function."""
    return _builder(lx)(X, y, loss, hidden, activation)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    return X[:384], y[:384]


def test_classifier_matches_keras_api_and_learns(digits):
    X, y = digits
    k = keras()
    kwargs = {"model_kwargs": {"loss": "categorical_crossentropy"}}
    ours = SKLearnClassifier(_builder(lx), **kwargs,
                             fit_kwargs={"epochs": 12, "batch_size": 32, "verbose": 0}).fit(X, y)
    theirs = k.wrappers.SKLearnClassifier(_builder(k), **kwargs,
                                          fit_kwargs={"epochs": 1, "verbose": 0}).fit(X, y)
    np.testing.assert_array_equal(ours.classes_, theirs.classes_)
    assert ours.n_features_in_ == theirs.n_features_in_ == 64
    for method in ("predict", "decision_function"):
        a, b = getattr(ours, method)(X[:7]), getattr(theirs, method)(X[:7])
        assert a.shape == b.shape and a.dtype == b.dtype, method
    assert set(ours.get_params()) == set(theirs.get_params())
    # predict is the argmax of the outputs, mapped to the classes (as Keras does).
    proba = ours.predict_proba(X)
    np.testing.assert_array_equal(ours.predict(X), ours.classes_[proba.argmax(axis=1)])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    # It learns (score is the accuracy of predict).
    accuracy = ours.score(X, y)
    assert accuracy == pytest.approx(np.mean(ours.predict(X) == y))
    assert accuracy > 0.9
    assert ours.epoch_ == 12 and len(ours.history_.history["loss"]) == 12


def test_string_labels_and_pipeline():
    X, y = make_classification(n_samples=32, n_features=5, n_informative=3, random_state=0)
    labels = np.array(["no", "yes"])[y]
    pipe = make_pipeline(
        StandardScaler(),
        SKLearnClassifier(_builder(lx), model_kwargs={"loss": "categorical_crossentropy"},
                          fit_kwargs={"epochs": 2, "verbose": 0}),
    )
    pipe.fit(X, labels)
    predicted = pipe.predict(X)
    assert predicted.shape == (32,) and set(predicted) <= {"no", "yes"}
    np.testing.assert_array_equal(pipe[-1].classes_, ["no", "yes"])


def test_regressor_and_transformer_match_keras():
    X, y = make_regression(n_samples=64, n_features=4, noise=0.0, random_state=0)
    X, y = X.astype(np.float32), (y / np.std(y)).astype(np.float32)
    k = keras()
    model_kwargs = {"loss": "mse", "activation": None}
    reg = SKLearnRegressor(_builder(lx), model_kwargs=model_kwargs,
                           fit_kwargs={"epochs": 60, "batch_size": 16, "verbose": 0}).fit(X, y)
    keras_reg = k.wrappers.SKLearnRegressor(_builder(k), model_kwargs=model_kwargs,
                                            fit_kwargs={"verbose": 0}).fit(X, y)
    a, b = reg.predict(X), keras_reg.predict(X)
    assert a.shape == b.shape == (64,) and a.dtype == b.dtype
    assert reg.n_features_in_ == keras_reg.n_features_in_ == 4
    assert reg.score(X, y) > 0.9  # R² of a (nearly) linear target
    kw = {"model_kwargs": model_kwargs, "fit_kwargs": {"verbose": 0}}
    a = SKLearnTransformer(_builder(lx), **kw).fit_transform(X, y)
    b = k.wrappers.SKLearnTransformer(_builder(k), **kw).fit_transform(X, y)
    assert a.shape == b.shape == (64, 1) and a.dtype == b.dtype


def test_model_instance_clone_and_warm_start():
    X, y = make_classification(n_samples=32, n_features=5, random_state=1)
    model = _builder(lx)(X=X, y=np.eye(2)[y], loss="categorical_crossentropy")
    before = [np.asarray(w) for w in model.get_weights()]
    clf = SKLearnClassifier(model, fit_kwargs={"epochs": 1, "verbose": 0}).fit(X, y)
    assert clf.model_ is not model and clf.model_.compiled  # cloned, with the same compile args
    assert type(clf.model_.optimizer).__name__ == "Adam"
    for w, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(w, b)  # the given model is untouched
    # warm_start trains the given model itself and keeps training it on refits.
    warm = SKLearnClassifier(model, warm_start=True, fit_kwargs={"epochs": 1, "verbose": 0})
    warm.fit(X, y)
    assert warm.model_ is model
    assert any(not np.array_equal(w, b) for w, b in zip(model.get_weights(), before))
    warm.fit(X, y)
    assert warm.model_ is model
    # Pickling (the models travel as .keras archives) keeps the fitted predictions.
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))
    np.testing.assert_array_equal(restored.classes_, clf.classes_)
    assert restored.history_.history == clf.history_.history
    # Without warm_start each fit starts from a fresh clone.
    first = clf.model_
    assert clf.fit(X, y).model_ is not first
    # sklearn.base.clone: unfitted, same parameters, the model deep-copied.
    copied = clone(warm)
    assert not hasattr(copied, "model_") and copied.model is not model
    assert copied.get_params()["warm_start"] is True
    assert copied.get_params()["fit_kwargs"] == warm.get_params()["fit_kwargs"]


def test_errors():
    X, y = make_classification(n_samples=20, n_features=3, n_informative=2, n_redundant=0,
                               random_state=0)
    uncompiled = lambda X, y: lx.Sequential([lx.Input((3,)), lx.layers.Dense(2)])  # noqa: E731
    with pytest.raises(RuntimeError, match="compiled model"):
        SKLearnClassifier(uncompiled).fit(X, y)
    build = _builder(lx)
    with pytest.raises(ValueError, match="only one class"):
        SKLearnClassifier(build, model_kwargs={"loss": "mse"}).fit(X, np.zeros(20, int))
    with pytest.raises(ValueError, match="binary and multiclass"):
        SKLearnClassifier(build, model_kwargs={"loss": "mse"}).fit(X, y + 0.5)
    with pytest.raises(TypeError, match="must be an lx.Model or a callable"):
        SKLearnRegressor(model=3).fit(X, y.astype(float))
    with pytest.raises(sklearn.exceptions.NotFittedError):
        SKLearnRegressor(build).predict(X)


def test_missing_sklearn_names_the_extra(monkeypatch):
    from layerax.wrappers import sklearn_wrapper

    monkeypatch.setattr(sklearn_wrapper, "sklearn", None)
    with pytest.raises(ImportError, match=r"pip install layerax\[sklearn\]"):
        SKLearnRegressor(model=_builder(lx))


@pytest.mark.parametrize(
    "check",
    [
        estimator_checks.check_no_attributes_set_in_init,
        estimator_checks.check_get_params_invariance,
        estimator_checks.check_set_params,
        estimator_checks.check_estimator_cloneable,
        estimator_checks.check_estimators_unfitted,
        estimator_checks.check_estimator_repr,
        estimator_checks.check_n_features_in_after_fitting,
        estimator_checks.check_dont_overwrite_parameters,
        estimator_checks.check_estimators_pickle,
    ],
    ids=lambda c: c.__name__,
)
def test_sklearn_estimator_checks(check):
    """scikit-learn's own checks (those Keras passes, that run in a few seconds)."""
    estimator = SKLearnClassifier(
        _lx_model, model_kwargs={"loss": "categorical_crossentropy"},
        fit_kwargs={"epochs": 1, "verbose": 0},
    )
    check(type(estimator).__name__, estimator)
