"""`lx.utils.FeatureSpace`.

Keras' FeatureSpace needs TensorFlow (its lookups and `adapt` run on tf.data), which is not
installed here, so the reference is the same pipeline built by hand from the layerax layers,
following Keras' documented semantics (each feature preprocessed, crosses hashed from the
preprocessed values, one-hot features multi-hot encoded, concatenated in sorted-name order
with the crosses last); the layerax layers themselves are tested against Keras elsewhere.
"""

from __future__ import annotations

import numpy as np
import pytest

import layerax as lx

FS = lx.utils.FeatureSpace
RNG = np.random.default_rng(0)
N = 40


def _data(n: int = N) -> dict[str, np.ndarray]:
    return {
        "age": RNG.uniform(18, 80, n).astype("float32"),
        "income": RNG.lognormal(3, 1, n).astype("float32"),
        "score": RNG.uniform(0, 1, n).astype("float32"),
        "rooms": RNG.integers(1, 6, n).astype("int64"),
        "zip": RNG.integers(1000, 1100, n).astype("int64"),
        "city": RNG.choice(["paris", "rome", "oslo", "lima"], n),
        "tag": RNG.choice(["x", "y", "z"], n),
    }


def _space(output_mode: str = "concat") -> FS:
    return FS(
        features={
            "age": "float_normalized", "income": FS.float_discretized(num_bins=4),
            "score": "float", "rooms": "integer_categorical", "zip": "integer_hashed",
            "city": FS.string_categorical(max_tokens=4, num_oov_indices=1),
            "tag": FS.string_hashed(num_bins=8),
        },
        crosses=[("rooms", "city"), FS.cross(("income", "tag"), crossing_dim=16)],
        crossing_dim=8, output_mode=output_mode,
    )


def _by_hand(train: dict, data: dict) -> dict[str, np.ndarray]:
    L = lx.layers
    col = {k: np.asarray(v).reshape(-1, 1) for k, v in data.items()}
    fit = {k: np.asarray(v).reshape(-1, 1) for k, v in train.items()}
    norm = L.Normalization(axis=-1)
    norm.adapt(fit["age"])
    disc = L.Discretization(num_bins=4)
    disc.adapt(fit["income"])
    rooms = L.IntegerLookup()
    rooms.adapt(fit["rooms"])
    city = L.StringLookup(max_tokens=4)
    city.adapt(fit["city"])
    pre = {"age": norm(col["age"]), "income": disc(col["income"]), "score": col["score"],
           "rooms": rooms(col["rooms"]), "zip": L.Hashing(num_bins=32)(col["zip"]),
           "city": city(col["city"]), "tag": L.Hashing(num_bins=8)(col["tag"])}
    pre = {k: np.asarray(v) for k, v in pre.items()}
    crosses = {"rooms_X_city": L.HashedCrossing(8)([pre["rooms"], pre["city"]]),
               "income_X_tag": L.HashedCrossing(16)([pre["income"], pre["tag"]])}
    sizes = {"income": 4, "rooms": rooms.vocabulary_size(), "zip": 32,
             "city": city.vocabulary_size(), "tag": 8, "rooms_X_city": 8, "income_X_tag": 16}
    out = {**pre, **{k: np.asarray(v) for k, v in crosses.items()}}
    for key, size in sizes.items():
        out[key] = np.asarray(L.CategoryEncoding(size, output_mode="multi_hot")(out[key]))
    return out


def test_concat_and_dict_match_the_pipeline_built_by_hand():
    train, new = _data(), _data(7)
    ref = _by_hand(train, new)
    order = sorted(_data()) + ["income_X_tag", "rooms_X_city"]
    space = _space()
    space.adapt(train)
    out = space(new)
    np.testing.assert_allclose(np.asarray(out), np.concatenate([ref[k] for k in order], -1),
                               rtol=1e-5, atol=1e-6)
    # age, city (max_tokens=4), income, rooms (5 values + OOV), score, tag, zip, the crosses
    assert out.shape == (7, 1 + 4 + 4 + 6 + 1 + 8 + 32 + 16 + 8)
    single = space({k: v[0] for k, v in new.items()})
    np.testing.assert_allclose(np.asarray(single), np.asarray(out[0]), rtol=1e-6)
    as_dict = _space("dict")
    as_dict.adapt(iter([{k: v[:20] for k, v in train.items()},
                        {k: v[20:] for k, v in train.items()}]))
    got = as_dict(new)
    assert sorted(got) == sorted(order)
    for key in order:
        np.testing.assert_allclose(np.asarray(got[key]), ref[key], rtol=1e-5, atol=1e-5)


def test_int_outputs_and_custom_feature():
    train = _data()
    space = FS({"rooms": FS.integer_categorical(output_mode="int"),
                "city": FS.string_hashed(num_bins=8, output_mode="int"),
                "age": FS.feature("float32", lx.layers.Normalization(mean=50.0, variance=4.0),
                                  "float")},
               crosses=[FS.cross(("rooms", "city"), crossing_dim=8, output_mode="int")],
               output_mode="dict")
    space.adapt(train)
    out = space(train)
    assert out["rooms"].shape == (N, 1) and out["rooms"].dtype.kind == "i"
    assert out["rooms_X_city"].dtype.kind == "i"
    np.testing.assert_allclose(np.asarray(out["age"]).ravel(), (train["age"] - 50.0) / 2.0,
                               rtol=1e-5)
    with pytest.raises(ValueError, match="not been encoded"):
        concat = FS({"rooms": FS.integer_categorical(output_mode="int")})
        concat.adapt(train)
        concat(train)


def test_save_load_and_config_round_trip(tmp_path):
    train = _data()
    space = _space()
    space.adapt(train)
    ref = np.asarray(space(train))
    path = str(tmp_path / "fs.keras")
    space.save(path)
    for loaded in (FS.load(path), lx.saving.load_model(path)):
        assert isinstance(loaded, FS) and not loaded.weights
        np.testing.assert_allclose(np.asarray(loaded(train)), ref, rtol=1e-5, atol=1e-6)
    again = FS.from_config(space.get_config())
    np.testing.assert_allclose(np.asarray(again(train)), ref, rtol=1e-5, atol=1e-6)


def test_structured_data_example_trains():
    """keras.io's structured-data classification with FeatureSpace, on generated columns."""
    data = _data(64)
    labels = (data["age"] > 45).astype("float32")
    space = FS(features={"age": "float_normalized", "income": "float_discretized",
                         "rooms": "integer_categorical", "city": "string_categorical",
                         "tag": "string_hashed"},
               crosses=[FS.cross(("rooms", "city"), crossing_dim=16)], output_mode="concat")
    space.adapt(data)
    encoded = space.get_encoded_features()
    x = lx.layers.Dense(16, activation="relu")(encoded)
    model = lx.Model(encoded, lx.layers.Dense(1, activation="sigmoid")(x))
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    features = np.asarray(space(data))
    history = model.fit(features, labels, epochs=3, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert model.predict(space({k: v[:3] for k, v in data.items()}), verbose=0).shape == (3, 1)
    inputs = space.get_inputs()
    assert sorted(inputs) == ["age", "city", "income", "rooms", "tag"]
    assert inputs["age"].shape == (None, 1)


def test_errors():
    with pytest.raises(ValueError, match="cannot be None or empty"):
        FS(features={})
    with pytest.raises(ValueError, match="crossing_dim"):
        FS({"a": "integer_categorical", "b": "integer_categorical"}, crosses=[("a", "b")],
           crossing_dim=None)
    with pytest.raises(ValueError, match="should be present in"):
        FS({"a": "integer_categorical"}, crosses=[("a", "unknown")])
    with pytest.raises(ValueError, match="output_mode"):
        FS({"a": "integer_categorical"}, output_mode="unknown")
    with pytest.raises(ValueError, match="invalid feature type"):
        FS({"a": "integer"})
    with pytest.raises(ValueError, match=r"call `.adapt"):
        FS({"a": "integer_categorical"})({"a": [0]})
    with pytest.raises(ValueError, match=r"call `.adapt"):
        FS({"a": "integer_categorical"}).get_encoded_features()
    with pytest.raises(ValueError, match="only be called with a dict"):
        FS({"a": "float"})([1.0])
