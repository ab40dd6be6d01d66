"""`SKLearnClassifier`, `SKLearnRegressor`, `SKLearnTransformer`: Keras 3's scikit-learn wrappers.

Each wraps a compiled layerax model (or a function `model(X=..., y=..., **model_kwargs)` that
builds and compiles one) so that it fits in scikit-learn pipelines, grid searches and
`sklearn.base.clone`.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

try:
    import sklearn
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, TransformerMixin
except ImportError:  # the classes exist; constructing one says what to install
    sklearn = None

    class BaseEstimator:  # type: ignore[no-redef]
        pass

    class ClassifierMixin:  # type: ignore[no-redef]
        pass

    class RegressorMixin:  # type: ignore[no-redef]
        pass

    class TransformerMixin:  # type: ignore[no-redef]
        pass


__all__ = ["SKLearnClassifier", "SKLearnRegressor", "SKLearnTransformer"]


def _require_sklearn(owner: str) -> None:
    if sklearn is None:
        raise ImportError(
            f"{owner} needs scikit-learn, an optional dependency of layerax. Install it with "
            "`pip install layerax[sklearn]` (or `pip install scikit-learn`)."
        )


def _validate_data(estimator: Any, *args: Any, **kwargs: Any) -> Any:
    from sklearn.utils.validation import validate_data

    return validate_data(estimator, *args, **kwargs)


def _target_type(y: Any) -> str:
    from sklearn.utils.multiclass import type_of_target

    kind = type_of_target(y)
    if kind == "unknown":
        raise ValueError(f"Unknown label type for data: {y!r}")
    return kind


class _TargetReshaper(TransformerMixin, BaseEstimator):
    """Makes 1-D targets 2-D (one column) and undoes it on the way back."""

    def fit(self, y: np.ndarray) -> "_TargetReshaper":
        self.ndim_ = np.ndim(y)
        return self

    def transform(self, y: np.ndarray) -> np.ndarray:
        return y.reshape(-1, 1) if y.ndim == 1 else y

    def inverse_transform(self, y: np.ndarray) -> np.ndarray:
        if self.ndim_ == 1 and y.ndim == 2:
            return np.squeeze(y, axis=1)
        return y


def _check_compiled(model: Any) -> None:
    if not getattr(model, "compiled", False) or not model.loss or model.optimizer is None:
        raise RuntimeError(
            "The scikit-learn wrapper needs a compiled model, with a loss and an optimizer. "
            f"Received model '{getattr(model, 'name', model)}', which is not. Call "
            "`model.compile(optimizer=..., loss=...)` before wrapping it (or in the function "
            "that builds it)."
        )


class _PickledModel:
    """A model saved as the bytes of a `.keras` archive (see `_SKLBase.__getstate__`)."""

    def __init__(self, data: bytes) -> None:
        self.data = data


def _model_to_bytes(model: Any) -> bytes:
    import os
    import tempfile

    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "model.keras")
        model.save(path)
        with open(path, "rb") as f:
            return f.read()


def _model_from_bytes(data: bytes) -> Any:
    import os
    import tempfile

    from layerax.saving.archive import load_model

    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "model.keras")
        with open(path, "wb") as f:
            f.write(data)
        return load_model(path)


class _SKLBase(BaseEstimator):
    """What the three wrappers share: parameters, model creation, `fit` and `predict`."""

    def __init__(
        self,
        model: Any,
        warm_start: bool = False,
        model_kwargs: dict[str, Any] | None = None,
        fit_kwargs: dict[str, Any] | None = None,
    ) -> None:
        _require_sklearn(type(self).__name__)
        self.model = model
        self.warm_start = warm_start
        self.model_kwargs = model_kwargs
        self.fit_kwargs = fit_kwargs

    def _more_tags(self) -> dict[str, Any]:  # scikit-learn < 1.6
        return {"non_deterministic": True}

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.non_deterministic = True
        return tags

    def __sklearn_clone__(self) -> "_SKLBase":
        """An unfitted copy: a model function is shared, a model instance deep-copied."""
        from layerax.models.model import Model

        model = copy.deepcopy(self.model) if isinstance(self.model, Model) else self.model
        return type(self)(
            model=model,
            warm_start=self.warm_start,
            model_kwargs=self.model_kwargs,
            fit_kwargs=self.fit_kwargs,
        )

    def __getstate__(self) -> dict[str, Any]:
        """Pickling: models (the given one and `model_`) travel as `.keras` archives.

        (A layerax model holds optax closures that pickle cannot serialize.)
        """
        from layerax.models.model import Model

        state = dict(self.__dict__)
        for key in ("model", "model_"):
            if isinstance(state.get(key), Model):
                state[key] = _PickledModel(_model_to_bytes(state[key]))
        if state.get("history_") is not None:  # its logs, without the model it points to
            history = copy.copy(state["history_"])
            history.__dict__["_model"] = None
            state["history_"] = history
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        for key in ("model", "model_"):
            if isinstance(state.get(key), _PickledModel):
                state[key] = _model_from_bytes(state[key].data)
        self.__dict__.update(state)

    @property
    def epoch_(self) -> int:
        """How many epochs the fitted model was trained for (0 before `fit`)."""
        history = getattr(self, "history_", None)
        return len(history.epoch) if history is not None else 0

    def _get_model(self, X: np.ndarray, y: np.ndarray) -> Any:
        from layerax.models.cloning import clone_model
        from layerax.models.model import Model

        if self.warm_start and hasattr(self, "model_"):
            return self.model_
        if isinstance(self.model, Model):
            if self.warm_start:
                return self.model
            clone = clone_model(self.model)
            compile_config = self.model.get_compile_config()
            if compile_config is not None:
                clone.compile_from_config(compile_config)
            return clone
        if callable(self.model):
            return self.model(X=X, y=y, **(self.model_kwargs or {}))
        raise TypeError(
            f"{type(self).__name__}: `model` must be an lx.Model or a callable that returns "
            f"one. Received: model={self.model!r} of type {type(self.model).__name__}."
        )

    def fit(self, X: Any, y: Any, **kwargs: Any) -> "_SKLBase":
        """Trains a fresh model (or, with `warm_start`, the previous one) on `(X, y)`.

        Args:
            X: Array-like of shape `(n_samples, n_features)`.
            y: Array-like of shape `(n_samples,)` or `(n_samples, n_outputs)`.
            **kwargs: Passed to `model.fit`, over `fit_kwargs`.

        Returns:
            The estimator itself.
        """
        X, y = _validate_data(self, X, y)
        y = self._process_target(y, reset=True)
        model = self._get_model(X, y)
        _check_compiled(model)
        fit_kwargs = {**(self.fit_kwargs or {}), **kwargs}
        self.history_ = model.fit(X, y, **fit_kwargs)
        self.model_ = model
        return self

    def _raw_predict(self, X: Any) -> np.ndarray:
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self)
        X = _validate_data(self, X, reset=False)
        return np.asarray(self.model_.predict(X, verbose=0))

    def predict(self, X: Any) -> np.ndarray:
        """The model's predictions on `X`, in the form of the training targets."""
        return self._reverse_process_target(self._raw_predict(X))

    def _process_target(self, y: np.ndarray, reset: bool = False) -> np.ndarray:
        _target_type(y)
        if reset:
            self._target_encoder = _TargetReshaper().fit(y)
        return self._target_encoder.transform(y)

    def _reverse_process_target(self, y: np.ndarray) -> np.ndarray:
        return self._target_encoder.inverse_transform(y)


_ARGS_DOC = """
    Args:
        model: A compiled `lx.Model`, or a callable `model(X=..., y=..., **model_kwargs)`
            that returns one. A model instance is cloned (fresh weights, same compile
            arguments) before each `fit`, unless `warm_start=True`.
        warm_start: Reuse the weights of the previous `fit` (and train the given model
            instance itself) instead of starting from a fresh model.
        model_kwargs: Keyword arguments for `model` when it is a callable.
        fit_kwargs: Keyword arguments for `model.fit` (`epochs`, `batch_size`, ...);
            those passed to `fit` directly take precedence.
"""


class SKLearnClassifier(ClassifierMixin, _SKLBase):
    __doc__ = (
        """A scikit-learn classifier around a layerax model.

    The targets are one-hot encoded for training (so the model has one output
    per class, e.g. a softmax); `predict` returns the class labels (argmax),
    `predict_proba` and `decision_function` the model's raw outputs, and
    `score` the accuracy.
"""
        + _ARGS_DOC
        + """
    Attributes:
        model_: The fitted model.
        history_: The `History` of the last `model.fit`.
        classes_: The class labels seen in `fit`.
        n_features_in_: The number of features seen in `fit`.

    Example:
        >>> import layerax as lx, numpy as np
        >>> def build(X, y):
        ...     model = lx.Sequential([lx.Input((X.shape[1],)),
        ...                            lx.layers.Dense(y.shape[1], activation="softmax")])
        ...     model.compile(optimizer="adam", loss="categorical_crossentropy")
        ...     return model
        >>> X = np.random.default_rng(0).normal(size=(20, 3))
        >>> y = (X[:, 0] > 0).astype(int)
        >>> clf = lx.wrappers.SKLearnClassifier(build, fit_kwargs={"epochs": 1, "verbose": 0})
        >>> clf.fit(X, y).classes_
        array([0, 1])
        >>> clf.predict(X).shape, clf.predict_proba(X).shape
        ((20,), (20, 2))
    """
    )

    def decision_function(self, X: Any) -> np.ndarray:
        """The model's raw outputs on `X`, one column per class."""
        return self._raw_predict(X)

    def predict_proba(self, X: Any) -> np.ndarray:
        """The model's outputs on `X`, one column per class in the order of `classes_`
        (probabilities when the model ends with a softmax)."""
        return self._raw_predict(X)

    def _process_target(self, y: np.ndarray, reset: bool = False) -> np.ndarray:
        kind = _target_type(y)
        if kind not in ("binary", "multiclass"):
            raise ValueError(
                "SKLearnClassifier supports binary and multiclass targets only. "
                f"Received a target of type {kind!r}."
            )
        if reset:
            from sklearn.pipeline import make_pipeline
            from sklearn.preprocessing import OneHotEncoder

            self._target_encoder = make_pipeline(
                _TargetReshaper(), OneHotEncoder(sparse_output=False)
            ).fit(y)
            self.classes_ = np.unique(y)
            if len(self.classes_) == 1:
                raise ValueError(
                    "SKLearnClassifier can't train when only one class is present. Received "
                    f"targets with the single class {self.classes_[0]!r}."
                )
        return self._target_encoder.transform(y)

    def _more_tags(self) -> dict[str, Any]:
        return {**super()._more_tags(), "poor_score": True}

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.poor_score = True
        return tags


class SKLearnRegressor(RegressorMixin, _SKLBase):
    __doc__ = (
        """A scikit-learn regressor around a layerax model.

    `predict` returns the model's outputs, squeezed to 1-D when the training
    targets were 1-D; `score` is the R² coefficient.
"""
        + _ARGS_DOC
        + """
    Attributes:
        model_: The fitted model.
        history_: The `History` of the last `model.fit`.
        n_features_in_: The number of features seen in `fit`.

    Example:
        >>> import layerax as lx, numpy as np
        >>> def build(X, y):
        ...     model = lx.Sequential([lx.Input((X.shape[1],)), lx.layers.Dense(1)])
        ...     model.compile(optimizer="sgd", loss="mse")
        ...     return model
        >>> X = np.random.default_rng(0).normal(size=(20, 3))
        >>> reg = lx.wrappers.SKLearnRegressor(build, fit_kwargs={"epochs": 1, "verbose": 0})
        >>> reg.fit(X, X.sum(axis=1)).predict(X).shape
        (20,)
    """
    )

    def _more_tags(self) -> dict[str, Any]:
        return {**super()._more_tags(), "poor_score": True}

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.regressor_tags.poor_score = True
        return tags


class SKLearnTransformer(TransformerMixin, _SKLBase):
    __doc__ = (
        """A scikit-learn transformer around a layerax model (e.g. an embedding model).

    `fit` trains the model on `(X, y)`; `transform` returns its outputs on `X`.
"""
        + _ARGS_DOC
        + """
    Attributes:
        model_: The fitted model.
        history_: The `History` of the last `model.fit`.
        n_features_in_: The number of features seen in `fit`.

    Example:
        >>> import layerax as lx, numpy as np
        >>> def build(X, y):
        ...     model = lx.Sequential([lx.Input((X.shape[1],)), lx.layers.Dense(1)])
        ...     model.compile(optimizer="sgd", loss="mse")
        ...     return model
        >>> X = np.random.default_rng(0).normal(size=(20, 3))
        >>> trs = lx.wrappers.SKLearnTransformer(build, fit_kwargs={"epochs": 1, "verbose": 0})
        >>> trs.fit(X, X.sum(axis=1)).transform(X).shape
        (20, 1)
    """
    )

    def transform(self, X: Any) -> np.ndarray:
        """The fitted model's outputs on `X`.

        Args:
            X: Array-like of shape `(n_samples, n_features)`.

        Returns:
            The model's outputs, of shape `(n_samples, ...)`.
        """
        return self._raw_predict(X)

    def _more_tags(self) -> dict[str, Any]:
        return {**super()._more_tags(), "preserves_dtype": []}

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = []
        return tags
