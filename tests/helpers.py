"""Numeric comparison helpers shared by the tests."""

from __future__ import annotations

from typing import Any

import jax
import numpy as np


def assert_close(actual: Any, expected: Any, rtol: float = 1e-5, atol: float = 1e-6) -> None:
    """Asserts two arrays (or pytrees of arrays) are close, leaf by leaf."""
    a_leaves, _ = jax.tree_util.tree_flatten(_numeric_lists_as_arrays(actual))
    e_leaves, _ = jax.tree_util.tree_flatten(_numeric_lists_as_arrays(expected))
    assert len(a_leaves) == len(e_leaves), f"{len(a_leaves)} leaves vs {len(e_leaves)}"
    for a, e in zip(a_leaves, e_leaves):
        np.testing.assert_allclose(np.asarray(a, np.float64), np.asarray(e, np.float64), rtol=rtol, atol=atol)


def keras():
    """The Keras 3 oracle (JAX backend), imported lazily."""
    import keras as _keras

    assert _keras.backend.backend() == "jax", "tests need KERAS_BACKEND=jax"
    return _keras


def _numeric_lists_as_arrays(x: Any) -> Any:
    """Python lists/tuples of numbers count as one array, not as a pytree of scalars."""
    if isinstance(x, (list, tuple)) and x and not any(hasattr(v, "weights") for v in x):
        try:
            arr = np.asarray(x)
        except (ValueError, TypeError):
            return type(x)(_numeric_lists_as_arrays(v) for v in x)
        if arr.dtype.kind in "biuf":
            return arr
        return type(x)(_numeric_lists_as_arrays(v) for v in x)
    return x
