"""Models whose first layers take strings: fit/evaluate/predict run the host prefix on the
numpy batches and compile the rest (layerax/models/host_prefix.py); save/load keeps the
vocabulary. References: the eager model call (every layer, no compilation) and the
text-classification pattern of Keras' guides learning a separable generated corpus."""

from __future__ import annotations

import numpy as np

import layerax as lx
from layerax.models import host_prefix
from tests.helpers import assert_close

POSITIVE, NEGATIVE, FILLER = (
    ["good", "great", "fine"],
    ["bad", "awful", "poor"],
    ["the", "a", "movie", "film"],
)


def _corpus(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    texts = []
    for label in labels:
        words = list(rng.choice(FILLER, 3)) + list(rng.choice(POSITIVE if label else NEGATIVE, 2))
        rng.shuffle(words)
        texts.append(" ".join(words).capitalize() + "!")
    return np.array(texts)[:, None], labels.astype("float32")


def test_text_classification_end_to_end(tmp_path, monkeypatch):
    x, y = _corpus(192, 0)
    vectorize = lx.layers.TextVectorization(max_tokens=20, output_sequence_length=6)
    vectorize.adapt(x)
    inputs = lx.Input(shape=(1,), dtype="string")
    h = lx.layers.Embedding(20, 8)(vectorize(inputs))
    h = lx.layers.GlobalAveragePooling1D()(h)
    model = lx.Model(inputs, lx.layers.Dense(1, activation="sigmoid")(h))
    model.compile(
        optimizer=lx.optimizers.Adam(0.05), loss="binary_crossentropy", metrics=["accuracy"]
    )

    finds = []
    original = host_prefix.find
    monkeypatch.setattr(host_prefix, "find", lambda m: finds.append(m) or original(m))
    history = model.fit(x, y, epochs=6, batch_size=32, validation_data=(x[:64], y[:64]), verbose=0)
    assert len(finds) == 1  # the prefix is found once, not per step
    losses = history.history["loss"]
    assert losses[-1] < 0.6 * losses[0], losses
    _loss, accuracy = model.evaluate(x, y, verbose=0)
    assert accuracy > 0.9, accuracy  # chance is 0.5
    assert history.history["val_accuracy"][-1] > 0.9
    predicted = model.predict(x[:10], verbose=0)
    assert_close(predicted, model(x[:10]), rtol=1e-5)

    path = str(tmp_path / "text.keras")
    model.save(path)
    loaded = lx.saving.load_model(path)
    assert loaded.layers[1].get_vocabulary() == vectorize.get_vocabulary()
    assert_close(loaded(x[:10]), predicted, rtol=1e-5)


def test_sequential_string_lookup_first_with_steps_per_execution(tmp_path):
    rng = np.random.default_rng(1)
    vocab = POSITIVE + NEGATIVE
    x = rng.choice(vocab + ["unknown"], size=(12, 2))
    y = rng.normal(size=(12, 1)).astype("float32")
    model = lx.Sequential(
        [
            lx.Input(shape=(2,), dtype="string"),
            lx.layers.StringLookup(vocabulary=vocab),
            lx.layers.Embedding(7, 3),
            lx.layers.Flatten(),
            lx.layers.Dense(1),
        ]
    )
    model.compile(optimizer="sgd", loss="mse", steps_per_execution=2)
    before = model(x)
    history = model.fit(x, y, batch_size=6, epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    after = model(x)
    assert not np.allclose(before, after)  # the compiled rest of the model trained
    assert_close(model.predict(x, batch_size=6, verbose=0), after, rtol=1e-5)
    logs = model.evaluate(x, y, batch_size=6, verbose=0, return_dict=True)
    assert_close(logs["loss"], np.mean((np.asarray(after) - y) ** 2), rtol=1e-4)
    path = str(tmp_path / "seq.keras")
    model.save(path)
    assert_close(lx.saving.load_model(path)(x), after, rtol=1e-5)


def test_functional_string_and_numeric_inputs():
    words = lx.Input(shape=(1,), dtype="string", name="words")
    numbers = lx.Input(shape=(2,), name="numbers")
    looked_up = lx.layers.StringLookup(vocabulary=["a", "b", "c"], output_mode="one_hot")(words)
    out = lx.layers.Dense(1)(lx.layers.Concatenate()([looked_up, numbers]))
    model = lx.Model([words, numbers], out)
    model.compile(optimizer="sgd", loss="mse")
    x = {"words": np.array([["a"], ["c"], ["q"], ["b"]]), "numbers": np.ones((4, 2), "float32")}
    model.fit(x, np.zeros((4, 1), "float32"), batch_size=2, verbose=0)
    assert_close(model.predict_on_batch(x), model(x), rtol=1e-5)
