"""String labels are refused before the compiled step, with a fix (issue 24, item 15).

On main they reached `jax.jit` and failed with JAX's "not a valid JAX type". The message
of `load_model` on a weights file now says loading, not saving.
"""

from __future__ import annotations

import numpy as np
import pytest

import layerax as lx

X = np.random.default_rng(0).normal(size=(4, 3)).astype("float32")
LABELS = np.array(["cat", "dog", "cat", "bird"])


def test_string_labels_raise_naming_argument_and_fix():
    model = lx.Sequential([lx.Input((3,)), lx.layers.Dense(3)])
    model.compile("sgd", lx.losses.SparseCategoricalCrossentropy(from_logits=True))
    pattern = r"`y` holds strings \(dtype <U4, e.g. 'cat'\)"
    for call in (
        lambda: model.fit(X, LABELS, verbose=0),
        lambda: model.evaluate(X, LABELS, verbose=0),
        lambda: model.train_on_batch(X, LABELS),
        lambda: model.test_on_batch(X, LABELS.astype(object)),
        lambda: model.fit(X, list(LABELS), verbose=0),
    ):
        with pytest.raises(TypeError, match=r"holds strings.*np.unique\(labels, return_inverse=True\)"):
            call()
    with pytest.raises(TypeError, match=pattern):
        model.fit(X, LABELS, verbose=0)
    # The suggested fix trains, as on integer labels (numpy's own mapping as the reference).
    classes, ids = np.unique(LABELS, return_inverse=True)
    np.testing.assert_array_equal(classes[ids], LABELS)
    history = model.fit(X, ids, verbose=0, epochs=1)
    assert np.isfinite(history.history["loss"]).all()


def test_load_model_on_a_weights_file_says_loading(tmp_path):
    path = str(tmp_path / "x.weights.npz")
    with pytest.raises(ValueError, match=r"Invalid filepath extension for loading a model.*load_weights"):
        lx.models.load_model(path)
    model = lx.Sequential([lx.Input((3,)), lx.layers.Dense(1)])
    with pytest.raises(ValueError, match=r"for saving a model.*save_weights"):
        model.save(path)
