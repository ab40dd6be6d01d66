"""Quickstart: classify handwritten digits with `compile` / `fit` / `evaluate`.

The same code as in Keras, with `import layerax as lx` instead of `import keras`.
scikit-learn's bundled 8x8 digits (1797 images, no download) are split into a
training and a test set; a small convolutional network trains for a few epochs
with the progress bar and reports its test accuracy.

Run: pip install -e ".[examples]" && python examples/quickstart.py
"""

from __future__ import annotations

import numpy as np

try:
    from sklearn.datasets import load_digits
except ModuleNotFoundError as err:  # the demo's data set ships with scikit-learn
    raise SystemExit(
        "This example loads scikit-learn's bundled digits data set. Install the examples' "
        'extra first: pip install -e ".[examples]"'
    ) from err

import layerax as lx


def load_data() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    digits = load_digits()
    x = (digits.images / 16.0).astype("float32")[..., None]  # (1797, 8, 8, 1) in [0, 1]
    y = digits.target.astype("int32")
    perm = np.random.default_rng(0).permutation(len(x))
    x, y = x[perm], y[perm]
    # 1500 training images (of which `fit` holds out 10% for validation) and 250 test
    # images: multiples of the batch size of 50, so every batch has the same shape and
    # each step function compiles once (a smaller last batch would compile again).
    return (x[:1500], y[:1500]), (x[1500:1750], y[1500:1750])


def main() -> float:
    lx.utils.set_random_seed(0)
    (x_train, y_train), (x_test, y_test) = load_data()

    model = lx.Sequential([
        lx.Input(shape=(8, 8, 1)),
        lx.layers.Conv2D(16, 3, activation="relu", padding="same"),
        lx.layers.MaxPooling2D(2),
        lx.layers.Flatten(),
        lx.layers.Dense(64, activation="relu"),
        lx.layers.Dropout(0.2),
        lx.layers.Dense(10, activation="softmax"),
    ])
    model.summary()
    model.compile(
        optimizer=lx.optimizers.Adam(learning_rate=3e-3),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    history = model.fit(x_train, y_train, batch_size=50, epochs=12, validation_split=0.1)
    loss, accuracy = model.evaluate(x_test, y_test, batch_size=50, verbose=0)
    print(f"final training loss {history.history['loss'][-1]:.4f}")
    print(f"test accuracy {accuracy:.4f}")
    return accuracy


if __name__ == "__main__":
    main()
