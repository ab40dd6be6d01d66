"""Numeric comparison helpers shared by the tests."""

from __future__ import annotations

from typing import Any

import jax
import numpy as np


def assert_close(actual: Any, expected: Any, rtol: float = 1e-5, atol: float = 1e-6) -> None:
    """Asserts two arrays (or pytrees of arrays) are close, leaf by leaf."""
    a_leaves, a_def = jax.tree_util.tree_flatten(actual)
    e_leaves, e_def = jax.tree_util.tree_flatten(expected)
    assert len(a_leaves) == len(e_leaves), f"{len(a_leaves)} leaves vs {len(e_leaves)}"
    for a, e in zip(a_leaves, e_leaves):
        np.testing.assert_allclose(np.asarray(a, np.float64), np.asarray(e, np.float64), rtol=rtol, atol=atol)


def keras():
    """The Keras 3 oracle (JAX backend), imported lazily."""
    import keras as _keras

    assert _keras.backend.backend() == "jax", "tests need KERAS_BACKEND=jax"
    return _keras
