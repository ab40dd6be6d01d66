"""`FeatureSpace` (`lx.utils.FeatureSpace`): Keras 3's structured-data preprocessing.

A `FeatureSpace` maps a dict of raw columns (floats, integers, strings) to
model-ready features with the layerax preprocessing layers: `Normalization`,
`Discretization`, `Rescaling`, `IntegerLookup`, `StringLookup`, `Hashing`,
`HashedCrossing` and `CategoryEncoding` (multi-hot, for `output_mode="one_hot"`
features). It runs on the host, on numpy columns, like the string layers: use
it in the data pipeline (`ds.map(lambda x, y: (feature_space(x), y))` or on
the numpy dict before `fit`), then train a model on the encoded features.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any

import jax.numpy as jnp
import numpy as np

from layerax.core.layer import Layer
from layerax.saving import deserialize_keras_object, register_keras_serializable
from layerax.saving import serialize_keras_object

_FEATURE_MODES = ("int", "one_hot", "float")
_CROSS_MODES = ("int", "one_hot")
_COUNTER: dict[str, int] = {}


def _auto_name(prefix: str) -> str:
    _COUNTER[prefix] = _COUNTER.get(prefix, 0) + 1
    count = _COUNTER[prefix]
    return prefix if count == 1 else f"{prefix}_{count - 1}"


def _layers() -> Any:
    from layerax import layers  # the layers package imports lx.utils: import it late

    return layers


@register_keras_serializable(package="layerax")
class FeatureSpaceIdentity(Layer):
    """The preprocessor of `FeatureSpace.float()` features: returns its input as float32.

    Example:
        >>> import numpy as np
        >>> from layerax.utils.feature_space import FeatureSpaceIdentity
        >>> FeatureSpaceIdentity()(np.array([[1, 2]])).tolist()
        [[1.0, 2.0]]
    """

    def __call__(self, x: Any, **kwargs: Any) -> Any:
        return np.asarray(x, "float32")

    def call(self, x: Any) -> Any:
        return jnp.asarray(x, "float32")


class Cross:
    """A crossing of features (hashed with `HashedCrossing` into `crossing_dim` bins).

    Args:
        feature_names: The names of the crossed features.
        crossing_dim: The number of hash bins.
        output_mode: `"one_hot"` (multi-hot vector) or `"int"` (bin index).

    Example:
        >>> import layerax as lx
        >>> lx.utils.FeatureSpace.cross(("a", "b"), crossing_dim=8).name
        'a_X_b'
    """

    def __init__(self, feature_names: Iterable[str], crossing_dim: int,
                 output_mode: str = "one_hot") -> None:
        if output_mode not in _CROSS_MODES:
            raise ValueError("Invalid value for argument `output_mode`. Expected one of "
                             f"{set(_CROSS_MODES)}. Received: output_mode={output_mode!r}")
        self.feature_names = tuple(feature_names)
        self.crossing_dim = crossing_dim
        self.output_mode = output_mode

    @property
    def name(self) -> str:
        """The cross's output name: the feature names joined by `_X_`."""
        return "_X_".join(self.feature_names)

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments."""
        return {"feature_names": list(self.feature_names), "crossing_dim": self.crossing_dim,
                "output_mode": self.output_mode}

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Cross:
        """Makes a `Cross` from `get_config()`."""
        return cls(**config)


def _state_config(layer: Any) -> dict[str, Any]:
    """`serialize_keras_object(layer)` with the adapted state folded into its arguments,
    so that `from_config` rebuilds an adapted layer."""
    L = _layers()
    data = serialize_keras_object(layer)
    config = data["config"]
    if isinstance(layer, (L.IntegerLookup, L.StringLookup)) and layer.vocabulary_size():
        config["vocabulary"] = [v.item() if hasattr(v, "item") else v
                                for v in layer.get_vocabulary(include_special_tokens=False)]
        config.pop("vocabulary_size", None)
    elif isinstance(layer, L.Normalization) and layer.input_mean is None and layer.built:
        config["mean"] = np.asarray(layer.adapt_mean.value).reshape(-1).tolist()
        config["variance"] = np.asarray(layer.adapt_variance.value).reshape(-1).tolist()
    elif isinstance(layer, L.Discretization) and layer.bin_boundaries is not None:
        config["num_bins"] = None
        config["bin_boundaries"] = [float(b) for b in layer.bin_boundaries]
    return data


class Feature:
    """One feature of a `FeatureSpace`: its input dtype, preprocessor and output mode.

    Args:
        dtype: The raw column's dtype (`"float32"`, `"int32"`, `"string"`).
        preprocessor: A layer (or its serialized dict) that preprocesses the column.
        output_mode: `"float"`, `"int"` or `"one_hot"`.

    Example:
        >>> import layerax as lx
        >>> f = lx.utils.FeatureSpace.feature("float32", lx.layers.Rescaling(0.5), "float")
        >>> f.output_mode
        'float'
    """

    def __init__(self, dtype: str, preprocessor: Any, output_mode: str) -> None:
        if output_mode not in _FEATURE_MODES:
            raise ValueError("Invalid value for argument `output_mode`. Expected one of "
                             f"{set(_FEATURE_MODES)}. Received: output_mode={output_mode!r}")
        self.dtype = dtype
        if isinstance(preprocessor, dict):
            preprocessor = deserialize_keras_object(preprocessor)
        self.preprocessor = preprocessor
        self.output_mode = output_mode

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (the preprocessor serialized with its adapted state)."""
        return {"dtype": self.dtype, "preprocessor": _state_config(self.preprocessor),
                "output_mode": self.output_mode}

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Feature:
        """Makes a `Feature` from `get_config()`."""
        return cls(**config)


class _Parts:
    """A plain holder, so that the layer tracking does not see the host-side layers."""

    preprocessors: dict[str, Any]
    crossers: dict[str, Any]
    one_hot_encoders: dict[str, Any]


def _column(value: Any, dtype: str) -> np.ndarray:
    array = np.asarray(value)
    if dtype == "string":
        return array.astype(str) if array.dtype.kind in "SUO" else array.astype(str)
    return array.astype(dtype)


class FeatureSpace(Layer):
    """Preprocesses a dict of structured-data columns, as Keras 3's `keras.utils.FeatureSpace`.

    Feature types (a string, or a `Feature` from the class methods):
    `"float"`, `"float_rescaled"`, `"float_normalized"`,
    `"float_discretized"`, `"integer_categorical"`, `"string_categorical"`,
    `"integer_hashed"`, `"string_hashed"`. `crosses` hash pairs (or tuples) of
    features together. `adapt` fits the preprocessors (vocabularies, means,
    bin boundaries) on a dict of columns. Calling the space on a dict of
    columns returns one concatenated float array (`output_mode="concat"`) or
    a dict of encoded features, named by feature and cross (`"dict"`); in
    concat order the features come sorted by name, then the crosses sorted.

    It runs on the host (numpy in, JAX arrays out), like the string layers:
    preprocess the data with it, then train on `get_encoded_features()` —
    symbolic `lx.Input`s of the encoded shapes. Unlike Keras, those inputs
    are not connected to `get_inputs()`: an end-to-end model on raw columns
    is `model.predict(feature_space(raw))`.

    Args:
        features: Dict of feature name to feature type or `Feature`.
        output_mode: `"concat"` or `"dict"`.
        crosses: Feature-name tuples or `Cross` objects.
        crossing_dim: Hash bins of the crosses given as tuples.
        hashing_dim: Hash bins of the `"*_hashed"` features.
        num_discretization_bins: Bins of `"float_discretized"` features.
        name: The layer's name.

    Example:
        >>> import numpy as np
        >>> import layerax as lx
        >>> fs = lx.utils.FeatureSpace(
        ...     {"age": "float_normalized", "city": "string_categorical"})
        >>> fs.adapt({"age": np.array([20.0, 30, 40]), "city": np.array(["a", "b", "a"])})
        >>> fs({"age": np.array([30.0]), "city": np.array(["b"])}).tolist()
        [[0.0, 0.0, 0.0, 1.0]]
    """

    @classmethod
    def cross(cls, feature_names: Iterable[str], crossing_dim: int,
              output_mode: str = "one_hot") -> Cross:
        """A `Cross` of `feature_names` into `crossing_dim` hash bins."""
        return Cross(feature_names, crossing_dim, output_mode=output_mode)

    @classmethod
    def feature(cls, dtype: str, preprocessor: Any, output_mode: str) -> Feature:
        """A custom `Feature` with any preprocessing layer."""
        return Feature(dtype, preprocessor, output_mode)

    @classmethod
    def float(cls, name: str | None = None) -> Feature:
        """A float feature passed through unchanged."""
        name = name or _auto_name("float")
        return Feature("float32", FeatureSpaceIdentity(name=f"{name}_preprocessor"), "float")

    @classmethod
    def float_rescaled(cls, scale: float = 1.0, offset: float = 0.0,
                       name: str | None = None) -> Feature:
        """A float feature rescaled as `x * scale + offset`."""
        name = name or _auto_name("float_rescaled")
        layer = _layers().Rescaling(scale=scale, offset=offset, name=f"{name}_preprocessor")
        return Feature("float32", layer, "float")

    @classmethod
    def float_normalized(cls, name: str | None = None) -> Feature:
        """A float feature normalized to zero mean and unit variance (adapted)."""
        name = name or _auto_name("float_normalized")
        layer = _layers().Normalization(axis=-1, name=f"{name}_preprocessor")
        return Feature("float32", layer, "float")

    @classmethod
    def float_discretized(cls, num_bins: int, bin_boundaries: Any = None,
                          output_mode: str = "one_hot", name: str | None = None) -> Feature:
        """A float feature bucketized into `num_bins` quantile bins (adapted)."""
        name = name or _auto_name("float_discretized")
        layer = _layers().Discretization(num_bins=num_bins, bin_boundaries=bin_boundaries,
                                         name=f"{name}_preprocessor")
        return Feature("float32", layer, output_mode)

    @classmethod
    def integer_categorical(cls, max_tokens: int | None = None, num_oov_indices: int = 1,
                            output_mode: str = "one_hot", name: str | None = None) -> Feature:
        """An integer category, indexed by an adapted `IntegerLookup`."""
        name = name or _auto_name("integer_categorical")
        layer = _layers().IntegerLookup(name=f"{name}_preprocessor", max_tokens=max_tokens,
                                        num_oov_indices=num_oov_indices)
        return Feature("int32", layer, output_mode)

    @classmethod
    def string_categorical(cls, max_tokens: int | None = None, num_oov_indices: int = 1,
                           output_mode: str = "one_hot", name: str | None = None) -> Feature:
        """A string category, indexed by an adapted `StringLookup`."""
        name = name or _auto_name("string_categorical")
        layer = _layers().StringLookup(name=f"{name}_preprocessor", max_tokens=max_tokens,
                                       num_oov_indices=num_oov_indices)
        return Feature("string", layer, output_mode)

    @classmethod
    def string_hashed(cls, num_bins: int, output_mode: str = "one_hot",
                      name: str | None = None) -> Feature:
        """A string category hashed into `num_bins` bins."""
        name = name or _auto_name("string_hashed")
        layer = _layers().Hashing(name=f"{name}_preprocessor", num_bins=num_bins)
        return Feature("string", layer, output_mode)

    @classmethod
    def integer_hashed(cls, num_bins: int, output_mode: str = "one_hot",
                       name: str | None = None) -> Feature:
        """An integer category hashed into `num_bins` bins."""
        name = name or _auto_name("integer_hashed")
        layer = _layers().Hashing(name=f"{name}_preprocessor", num_bins=num_bins)
        return Feature("int32", layer, output_mode)

    def __init__(self, features: Mapping[str, Any], output_mode: str = "concat",
                 crosses: Iterable[Any] | None = None, crossing_dim: int = 32,
                 hashing_dim: int = 32, num_discretization_bins: int = 32,
                 name: str | None = None) -> None:
        super().__init__(name=name)
        if not features:
            raise ValueError("FeatureSpace: the `features` argument cannot be None or empty. "
                             "Pass a dict of feature name to feature type, e.g. "
                             "{'age': 'float_normalized'}.")
        if output_mode not in ("dict", "concat"):
            raise ValueError("FeatureSpace: invalid value for argument `output_mode`. Expected "
                             f"one of {{'dict', 'concat'}}. Received: output_mode={output_mode!r}")
        self.crossing_dim = crossing_dim
        self.hashing_dim = hashing_dim
        self.num_discretization_bins = num_discretization_bins
        self.output_mode = output_mode
        self.feature_specs = {key: self._standardize_feature(key, value)
                              for key, value in features.items()}
        self.crosses = [self._standardize_cross(c, set(features)) for c in crosses or []]
        # The preprocessing layers are host-side tools, not sub-layers with weights: their
        # adapted state is saved in `get_config`, so `lx.saving.save_model`/`load_model`
        # round trip the space through its config alone.
        self._parts = _Parts()
        self._parts.preprocessors = {key: f.preprocessor for key, f in self.feature_specs.items()}
        self._parts.crossers = {c.name: _layers().HashedCrossing(c.crossing_dim, name=c.name)
                                for c in self.crosses}
        self._parts.one_hot_encoders = {}
        self._is_adapted = False
        self._encoders_built = False
        self.encoded_features: Any = None
        self.built = True

    @property
    def preprocessors(self) -> dict[str, Any]:
        """The preprocessing layer of each feature."""
        return self._parts.preprocessors

    @property
    def crossers(self) -> dict[str, Any]:
        """The `HashedCrossing` layer of each cross."""
        return self._parts.crossers

    @property
    def one_hot_encoders(self) -> dict[str, Any]:
        """The `CategoryEncoding` layer of each one-hot feature (after `adapt`)."""
        return self._parts.one_hot_encoders

    @property
    def features(self) -> dict[str, Feature]:
        """The `Feature` of each name."""
        return self.feature_specs

    def _standardize_feature(self, name: str, feature: Any) -> Feature:
        if isinstance(feature, Feature):
            return feature
        if isinstance(feature, dict):
            return Feature.from_config(feature.get("config", feature))
        makers = {
            "float": lambda: self.float(name=name),
            "float_normalized": lambda: self.float_normalized(name=name),
            "float_rescaled": lambda: self.float_rescaled(name=name),
            "float_discretized": lambda: self.float_discretized(
                num_bins=self.num_discretization_bins, name=name),
            "integer_categorical": lambda: self.integer_categorical(name=name),
            "string_categorical": lambda: self.string_categorical(name=name),
            "integer_hashed": lambda: self.integer_hashed(self.hashing_dim, name=name),
            "string_hashed": lambda: self.string_hashed(self.hashing_dim, name=name),
        }
        if feature not in makers:
            raise ValueError(f"FeatureSpace: invalid feature type for {name!r}: {feature!r}. "
                             f"Expected one of {sorted(makers)} or a FeatureSpace.feature(...).")
        return makers[feature]()

    def _standardize_cross(self, cross: Any, names: set[str]) -> Cross:
        if isinstance(cross, dict):
            return Cross.from_config(cross.get("config", cross))
        if isinstance(cross, Cross):
            return cross
        if not self.crossing_dim:
            raise ValueError("FeatureSpace: when specifying `crosses`, the argument "
                             "`crossing_dim` (dimensionality of the crossing space) should be "
                             f"specified as well. Received: crossing_dim={self.crossing_dim}")
        unknown = [key for key in cross if key not in names]
        if unknown:
            raise ValueError("FeatureSpace: all features referenced in the `crosses` argument "
                             f"should be present in the `features` dict. Received unknown "
                             f"features: {unknown} in cross {tuple(cross)}")
        return Cross(cross, crossing_dim=self.crossing_dim)

    # -------------------------------------------------------------- adapt
    def _adaptable(self) -> list[str]:
        L = _layers()
        names = []
        for key, layer in self.preprocessors.items():
            if isinstance(layer, L.Normalization) and layer.input_mean is not None:
                continue
            if isinstance(layer, L.TextVectorization) and layer._has_input_vocabulary:
                continue
            if isinstance(layer, (L.IntegerLookup, L.StringLookup)) and layer._has_input_vocabulary:
                continue
            if isinstance(layer, L.Discretization) and layer.bin_boundaries is not None:
                continue
            if hasattr(layer, "adapt"):
                names.append(key)
        return names

    def adapt(self, dataset: Any) -> None:
        """Fits the adaptable preprocessors on `dataset`.

        Args:
            dataset: A dict of columns (arrays or lists), or an iterable of
                such dicts (batches), e.g. a `PyDataset` yielding dicts.
        """
        if isinstance(dataset, Mapping):
            columns = dict(dataset)
        elif isinstance(dataset, Iterable) and not isinstance(dataset, (str, bytes)):
            batches = [b[0] if isinstance(b, tuple) else b for b in dataset]
            if not batches or not all(isinstance(b, Mapping) for b in batches):
                raise ValueError("FeatureSpace.adapt(): an iterable dataset must yield dicts of "
                                 "columns (or (dict, label) tuples).")
            columns = {key: np.concatenate([np.atleast_1d(np.asarray(b[key])) for b in batches])
                       for key in batches[0]}
        else:
            raise ValueError("FeatureSpace.adapt() can only be called on a dict of arrays/lists "
                             f"or an iterable of such dicts. Received instead: {type(dataset)}")
        for key in self._adaptable():
            if key not in columns:
                raise ValueError(f"FeatureSpace.adapt(): the data has no column {key!r}. "
                                 f"Received columns: {sorted(columns)}")
            column = _column(columns[key], self.feature_specs[key].dtype)
            if column.ndim <= 1:
                column = column.reshape(-1, 1)
            self.preprocessors[key].adapt(column)
        self._is_adapted = True
        self._encoders_built = False
        self.encoded_features = None
        self._build_encoders()

    def _check_if_adapted(self) -> None:
        if not self._is_adapted:
            if self._adaptable():
                raise ValueError("You need to call `.adapt(dataset)` on the FeatureSpace before "
                                 "you can start using it.")
            self._is_adapted = True

    def _cardinality(self, name: str, layer: Any) -> int:
        L = _layers()
        if isinstance(layer, (L.IntegerLookup, L.StringLookup)):
            return int(layer.vocabulary_size())
        if isinstance(layer, L.CategoryEncoding):
            return int(layer.num_tokens)
        if isinstance(layer, L.Discretization):
            if layer.num_bins is not None:
                return int(layer.num_bins)
            return len(layer.bin_boundaries) + 1
        if isinstance(layer, (L.Hashing, L.HashedCrossing)):
            return int(layer.num_bins)
        raise ValueError(f"Feature '{name}' has `output_mode='one_hot'`. However it isn't a "
                         "standard feature and the dimensionality of its output space is not "
                         "known, thus it cannot be one-hot encoded. Try using `output_mode='int'`.")

    def _build_encoders(self) -> None:
        if self._encoders_built:
            return
        self._check_if_adapted()
        specs: dict[str, Any] = {**self.feature_specs, **{c.name: c for c in self.crosses}}
        layers = {**self.preprocessors, **self.crossers}
        self._parts.one_hot_encoders = {
            key: _layers().CategoryEncoding(num_tokens=self._cardinality(key, layers[key]),
                                            output_mode="multi_hot")
            for key, spec in specs.items() if spec.output_mode == "one_hot"}
        self._encoders_built = True

    # --------------------------------------------------------------- call
    def _order(self) -> list[str]:
        return sorted(self.feature_specs) + sorted(c.name for c in self.crosses)

    def __call__(self, data: Any, **kwargs: Any) -> Any:
        self._build_encoders()
        if not isinstance(data, Mapping):
            raise ValueError("A FeatureSpace can only be called with a dict. Received: "
                             f"data of type {type(data)}")
        missing = [key for key in self.feature_specs if key not in data]
        if missing:
            raise ValueError(f"FeatureSpace: the input dict lacks the features {missing}. "
                             f"Received keys: {sorted(data)}")
        columns, rebatched = {}, False
        for key, spec in self.feature_specs.items():
            column = _column(data[key], spec.dtype)
            if column.ndim == 0:
                column, rebatched = column.reshape(1, 1), True
            elif column.ndim == 1:
                column = column[:, None]
            columns[key] = column
        encoded = {key: np.asarray(self.preprocessors[key](columns[key]))
                   for key in self.feature_specs}
        for cross in self.crosses:
            parts = [encoded[key] for key in cross.feature_names]
            encoded[cross.name] = np.asarray(self.crossers[cross.name](parts))
        outputs = {}
        for key in self._order():
            value = encoded[key]
            if key in self.one_hot_encoders:
                if value.dtype.kind not in "iu":
                    raise ValueError(f"Feature '{key}' has `output_mode='one_hot'`. Thus its "
                                     "preprocessor should return an integer dtype. Instead it "
                                     f"returns a {value.dtype} dtype.")
                value = np.asarray(self.one_hot_encoders[key](value))
            outputs[key] = value
        if self.output_mode == "dict":
            result = {key: jnp.asarray(v[0] if rebatched and v.ndim == 2 and len(v) == 1 else v)
                      for key, v in outputs.items()}
            return result
        for key, value in outputs.items():
            if value.dtype.kind not in "f":
                raise ValueError(f"Cannot concatenate features because feature '{key}' has not "
                                 f"been encoded (it has dtype {value.dtype}). Consider using "
                                 "`output_mode='dict'`.")
        merged = np.concatenate([outputs[key] for key in self._order()], axis=-1)
        return jnp.asarray(merged[0] if rebatched else merged)

    def call(self, data: Any) -> Any:
        return self(data)

    # ---------------------------------------------------------- symbolic
    def get_inputs(self) -> dict[str, Any]:
        """Symbolic `lx.Input`s `(None, 1)` of the raw features, by name."""
        from layerax.models.input_layer import Input

        self._build_encoders()
        return {key: Input(shape=(1,), dtype="string" if spec.dtype == "string" else spec.dtype,
                           name=key) for key, spec in self.feature_specs.items()}

    def get_encoded_features(self) -> Any:
        """Symbolic `lx.Input`s of the encoded features' shapes (a tensor, or a dict).

        A model built on them trains on the output of calling the space.
        """
        from layerax.models.input_layer import Input

        self._build_encoders()
        if self.encoded_features is None:
            sample = {key: np.zeros((1, 1), "float32") if spec.dtype != "string" else
                      np.array([[""]]) for key, spec in self.feature_specs.items()}
            out = self(sample)
            if isinstance(out, dict):
                self.encoded_features = {key: Input(shape=v.shape[1:], dtype=str(v.dtype),
                                                    name=key) for key, v in out.items()}
            else:
                self.encoded_features = Input(shape=out.shape[1:], dtype=str(out.dtype))
        return self.encoded_features

    # ------------------------------------------------------------ saving
    def get_config(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "features": {key: {"class_name": "Feature", "config": f.get_config()}
                         for key, f in self.feature_specs.items()},
            "output_mode": self.output_mode,
            "crosses": [{"class_name": "Cross", "config": c.get_config()} for c in self.crosses],
            "crossing_dim": self.crossing_dim,
            "hashing_dim": self.hashing_dim,
            "num_discretization_bins": self.num_discretization_bins,
        }

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> FeatureSpace:
        space = cls(**config)
        space._is_adapted = not space._adaptable()
        return space

    def save(self, filepath: str | os.PathLike[str]) -> None:
        """Writes the space (its config with the adapted state) to a `.keras` file.

        Load it back with `lx.saving.load_model(filepath)` or `FeatureSpace.load(filepath)`.
        """
        from layerax.saving import save_model

        save_model(self, filepath)

    @classmethod
    def load(cls, filepath: str | os.PathLike[str]) -> FeatureSpace:
        """Reads a space written by `save`."""
        from layerax.saving import load_model

        space = load_model(filepath)
        if not isinstance(space, cls):
            raise ValueError(f"FeatureSpace.load: {os.fspath(filepath)!r} does not hold a "
                             f"FeatureSpace (found {type(space).__name__}).")
        return space
