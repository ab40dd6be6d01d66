"""`.keras` files written by Keras 3.8 (the oldest Keras 3 release layerax reads) load in layerax.

The files in `data/keras_3_8/` were written by `data/write_keras_3_8_files.py` under Keras 3.8.0.
The installed Keras (the test-only oracle) loads the same files: outputs, the optimizer's
state (one more training step in both) and the compile config must agree.
"""

from __future__ import annotations

import os
import pathlib

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras
import numpy as np
import pytest

import layerax as lx

DATA = pathlib.Path(__file__).parent / "data" / "keras_3_8"
# (inputs, targets, the training steps Keras 3.8 ran before saving)
RNG = np.random.default_rng(5)
CASES = {
    "sequential_cnn.keras": (
        RNG.normal(size=(4, 8, 8, 3)).astype("float32"), RNG.integers(0, 3, 4).astype("int32"), 2),
    "functional_text.keras": (
        RNG.integers(0, 20, (4, 5)).astype("int32"), RNG.normal(size=(4, 2)).astype("float32"), 1),
}


def _close(a, b):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("name", sorted(CASES))
def test_keras_3_8_file_loads_like_keras(name):
    import json
    import zipfile

    with zipfile.ZipFile(DATA / name) as zf:
        assert json.loads(zf.read("metadata.json"))["keras_version"] == "3.8.0"
    x, y, steps = CASES[name]
    theirs = keras.saving.load_model(DATA / name)
    mine = lx.saving.load_model(str(DATA / name))
    assert [w.shape for w in mine.weights] == [tuple(w.shape) for w in theirs.weights]
    for ours, want in zip(mine.get_weights(), theirs.get_weights(), strict=True):
        np.testing.assert_array_equal(np.asarray(ours), want)
    _close(mine.predict(x, verbose=0), theirs.predict(x, verbose=0))
    # Compile config and optimizer state: after Keras 3.8's steps, one more step agrees.
    assert type(mine.optimizer).__name__ == type(theirs.optimizer).__name__
    assert int(mine.optimizer.iterations) == int(theirs.optimizer.iterations) == steps
    theirs.fit(x, y, batch_size=len(x), epochs=1, shuffle=False, verbose=0)
    mine.fit(x, y, batch_size=len(x), epochs=1, shuffle=False, verbose=0)
    for ours, want in zip(mine.get_weights(), theirs.get_weights(), strict=True):
        _close(ours, want)
