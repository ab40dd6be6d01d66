"""Every elementwise loss checks `y_true`/`y_pred` shapes, naming itself (issue 24, item 9).

Keras 3 broadcasts labels of shape `(8, 1)` against predictions `(8, 3)` silently in its
regression losses; layerax raises. The shapes Keras' rank rule makes equal (`(8,)` against
`(8, 1)`, either way round) still work, with Keras' values.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

import layerax as lx

NAMES = [
    "mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error", "cosine_similarity", "huber", "log_cosh",
    "hinge", "squared_hinge", "categorical_hinge", "kl_divergence", "poisson",
]
RNG = np.random.default_rng(0)
PRED = RNG.uniform(0.1, 0.9, size=(8, 3)).astype("float32")


@pytest.mark.parametrize("name", NAMES)
def test_broadcasting_labels_raise_naming_loss_and_shapes(name):
    labels = RNG.uniform(0.1, 0.9, size=(8, 1)).astype("float32")
    for loss in (getattr(lx.losses, name), lx.losses.get(name)):
        with pytest.raises(ValueError, match=rf"In {name}, `y_true` and `y_pred` must have the same shape") as e:
            loss(labels, PRED)
        assert "y_true.shape=(8, 1), y_pred.shape=(8, 3)" in str(e.value)


def test_segmentation_losses_check_shapes():
    for fn, name in ((lx.losses.dice, "dice"), (lx.losses.tversky, "tversky")):
        with pytest.raises(ValueError, match=rf"In {name}, .*y_true.shape=\(8, 1\), y_pred.shape=\(8, 3\)"):
            fn(np.ones((8, 1), "float32"), PRED)


@pytest.mark.parametrize("name", ["MeanSquaredError", "Huber", "LogCosh", "Hinge", "Poisson", "KLDivergence"])
def test_shapes_keras_accepts_correctly_still_work(name):
    """The Loss classes apply Keras' rank rule first (Keras' regression functions do too)."""
    pred = PRED[:, :1]
    for labels, y_pred in (
        (RNG.uniform(0.1, 0.9, size=(8,)).astype("float32"), pred),  # (8,) vs (8, 1)
        (RNG.uniform(0.1, 0.9, size=(8, 1)).astype("float32"), pred[:, 0]),  # (8, 1) vs (8,)
        (RNG.uniform(0.1, 0.9, size=(8, 3)).astype("float32"), PRED),  # equal shapes
    ):
        ours = getattr(lx.losses, name)()(labels, y_pred)
        theirs = getattr(keras.losses, name)()(labels, y_pred)
        np.testing.assert_allclose(float(ours), float(theirs), rtol=1e-5)
    labels = RNG.uniform(0.1, 0.9, size=(8,)).astype("float32")
    ours = lx.losses.mean_squared_error(labels, pred)
    np.testing.assert_allclose(np.asarray(ours), np.asarray(keras.losses.mean_squared_error(labels, pred)), rtol=1e-6)
