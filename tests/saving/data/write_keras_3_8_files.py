"""Writes the `.keras` files of `keras_3_8/` with Keras 3.8 (run once, in a venv with keras==3.8.0 and jax==0.4.38, which Keras 3.8 needs).

    KERAS_BACKEND=jax python tests/saving/data/write_keras_3_8_files.py

`tests/saving/test_keras_old_versions.py` loads them in layerax and in the installed Keras.
"""

import os
import pathlib

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras
import numpy as np

OUT = pathlib.Path(__file__).parent / "keras_3_8"
OUT.mkdir(exist_ok=True)
rng = np.random.default_rng(0)
keras.utils.set_random_seed(0)

# A Sequential CNN, trained two steps with Adam: weights, optimizer state, compile config.
cnn = keras.Sequential([
    keras.Input((8, 8, 3)),
    keras.layers.Conv2D(4, 3, activation="relu"),
    keras.layers.BatchNormalization(),
    keras.layers.MaxPooling2D(),
    keras.layers.Flatten(),
    keras.layers.Dense(3, activation="softmax"),
], name="cnn")
cnn.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
            metrics=["accuracy"])
cnn.fit(rng.normal(size=(8, 8, 8, 3)).astype("float32"), rng.integers(0, 3, 8),
        batch_size=4, epochs=1, verbose=0)
cnn.save(OUT / "sequential_cnn.keras")

# A functional text model: masked embedding (its NotEqual op node), LSTM, an op, a nested model.
head = keras.Sequential([keras.Input((6,)), keras.layers.Dense(2)], name="head")
tokens = keras.Input((5,), dtype="int32", name="tokens")
x = keras.layers.Embedding(20, 4, mask_zero=True)(tokens)
x = keras.layers.LSTM(6)(x)
x = keras.ops.tanh(x) * 2.0
outputs = head(x)
text = keras.Model(tokens, outputs, name="text")
text.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.9), loss="mse")
text.fit(rng.integers(0, 20, (4, 5)), rng.normal(size=(4, 2)).astype("float32"), epochs=1, verbose=0)
text.save(OUT / "functional_text.keras")
print("wrote", sorted(p.name for p in OUT.iterdir()), "with Keras", keras.__version__)
