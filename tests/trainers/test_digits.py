"""Real data: a small CNN trained with fit on scikit-learn's bundled 8x8 digits."""

from __future__ import annotations

import numpy as np
from sklearn.datasets import load_digits

import layerax as lx


def test_small_cnn_reaches_95_percent_on_digits():
    digits = load_digits()
    x = (digits.images / 16.0).astype("float32")[..., None]
    y = digits.target.astype("int32")
    order = np.random.default_rng(0).permutation(len(x))
    x, y = x[order], y[order]
    model = lx.Sequential([
        lx.Input(shape=(8, 8, 1)),
        lx.layers.Conv2D(16, 3, activation="relu", padding="same"),
        lx.layers.MaxPooling2D(2),
        lx.layers.Conv2D(32, 3, activation="relu", padding="same"),
        lx.layers.Flatten(),
        lx.layers.Dense(64, activation="relu"),
        lx.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer=lx.optimizers.Adam(2e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x, y, batch_size=32, epochs=10, validation_split=0.2, verbose=0)
    assert history.history["val_accuracy"][-1] >= 0.95, history.history["val_accuracy"]
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_functional_multi_output_dict_losses_and_metrics():
    digits = load_digits()
    x = (digits.data / 16.0).astype("float32")[:300]
    y = digits.target.astype("int32")[:300]
    inputs = lx.Input(shape=(64,), name="pixels")
    hidden = lx.layers.Dense(32, activation="relu")(inputs)
    digit = lx.layers.Dense(10, name="digit")(hidden)
    parity = lx.layers.Dense(1, activation="sigmoid", name="parity")(hidden)
    model = lx.Model(inputs, {"digit": digit, "parity": parity})
    model.compile(
        optimizer="adam",
        loss={"digit": lx.losses.SparseCategoricalCrossentropy(from_logits=True), "parity": "binary_crossentropy"},
        loss_weights={"digit": 1.0, "parity": 0.5},
        metrics={"digit": ["accuracy"], "parity": ["accuracy"]},
    )
    targets = {"digit": y, "parity": (y % 2).astype("float32")[:, None]}
    history = model.fit(x, targets, batch_size=50, epochs=3, verbose=0)
    assert {"loss", "digit_accuracy", "parity_accuracy"} <= set(history.history)
    logs = model.evaluate(x, targets, verbose=0, return_dict=True)
    pred = model.predict(x, verbose=0)
    assert set(pred) == {"digit", "parity"} and pred["digit"].shape == (300, 10)
    acc = float(np.mean(np.argmax(pred["digit"], 1) == y))
    np.testing.assert_allclose(logs["digit_accuracy"], acc, rtol=1e-5)
