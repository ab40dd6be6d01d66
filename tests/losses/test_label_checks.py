"""Out-of-range and negative class labels of sparse categorical losses raise (issue 24, item 7).

Keras 3 (JAX) returns a loss of 0 for them; TF raises, and so does layerax: eagerly always,
inside compiled steps with `lx.config.enable_index_checks()`.
"""

from __future__ import annotations

import jax
import keras
import numpy as np
import pytest

import layerax as lx

PROBS = np.array([[0.2, 0.7, 0.1], [0.1, 0.1, 0.8]], "float32")


@pytest.mark.parametrize("labels, bad", [([1, 3], "label 3 at index [1]"), ([-1, 2], "label -1 at index [0]")])
def test_eager_bad_labels_raise_naming_label_and_range(labels, bad):
    for fn in (lx.losses.sparse_categorical_crossentropy, lx.losses.SparseCategoricalCrossentropy()):
        with pytest.raises(ValueError, match=r"sparse_categorical_crossentropy.*") as info:
            fn(np.array(labels), PROBS)
        assert bad in str(info.value) and "0 to 2" in str(info.value)


def test_valid_labels_and_ignore_class_match_keras():
    labels = np.array([1, 2])
    ours = lx.losses.sparse_categorical_crossentropy(labels, PROBS)
    theirs = keras.losses.sparse_categorical_crossentropy(labels, PROBS)
    np.testing.assert_allclose(np.asarray(ours), np.asarray(theirs), rtol=1e-6)
    padded = np.array([1, -1])  # -1 is ignore_class here, not a bad label
    ours = lx.losses.SparseCategoricalCrossentropy(ignore_class=-1)(padded, PROBS)
    theirs = keras.losses.SparseCategoricalCrossentropy(ignore_class=-1)(padded, PROBS)
    np.testing.assert_allclose(float(ours), float(theirs), rtol=1e-6)


def _loss_fn():
    # A new function each time: JAX caches traces per function, and the switch is read at trace time.
    return lambda y, p: lx.losses.sparse_categorical_crossentropy(y, p)


def test_compiled_check_is_opt_in_and_absent_when_off():
    off = str(jax.make_jaxpr(_loss_fn())(np.array([1, 2]), PROBS))
    lx.config.enable_index_checks()
    try:
        on = str(jax.make_jaxpr(_loss_fn())(np.array([1, 2]), PROBS))
        with pytest.raises(Exception, match=r"label 3 at index \[1\] is out of range"):
            jax.block_until_ready(jax.jit(_loss_fn())(np.array([1, 3]), PROBS))
    finally:
        lx.config.disable_index_checks()
    assert "callback" not in off and "callback" in on


def test_fit_with_index_checks_reports_bad_label():
    x = np.random.default_rng(0).normal(size=(8, 4)).astype("float32")
    y = np.array([0, 1, 2, 0, 1, 2, 5, 0])
    lx.config.enable_index_checks()
    try:
        model = lx.Sequential([lx.Input((4,)), lx.layers.Dense(3, activation="softmax")])
        model.compile("sgd", "sparse_categorical_crossentropy")
        with pytest.raises(Exception, match=r"label 5 at index \[2\] is out of range: valid values are 0 to 2"):
            model.fit(x, y, batch_size=4, epochs=1, verbose=0)
    finally:
        lx.config.disable_index_checks()
