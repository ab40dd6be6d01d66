"""Sparse (BCOO) outputs and inputs of `lx.ops`, against Keras 3's JAX backend."""

from __future__ import annotations

import jax
import numpy as np
import pytest
from jax.experimental import sparse as jsparse

from layerax import ops
from layerax.ops import _sparse
from tests.helpers import keras

IDS = np.array([[0, 2, 1], [1, 1, -1]])


def _same_layout(got, want):
    """Same type, dtype, shape and index layout (nse, index array shape) as Keras' BCOO."""
    assert isinstance(got, jsparse.BCOO) and isinstance(want, jsparse.BCOO)
    assert got.shape == want.shape and got.dtype == want.dtype
    assert got.indices.shape == want.indices.shape and got.nse == want.nse
    assert got.indices.dtype == want.indices.dtype


@pytest.mark.parametrize("axis, dtype", [(-1, None), (0, "int32"), (1, "float16")])
def test_one_hot_sparse_matches_keras(axis, dtype):
    got = ops.one_hot(IDS, 4, axis=axis, dtype=dtype, sparse=True)
    want = keras().ops.one_hot(IDS, 4, axis=axis, dtype=dtype, sparse=True)
    _same_layout(got, want)
    np.testing.assert_array_equal(got.todense(), want.todense())
    np.testing.assert_array_equal(got.todense(), ops.one_hot(IDS, 4, axis=axis, dtype=dtype))


def test_one_hot_sparse_under_jit():
    got = jax.jit(lambda x: ops.one_hot(x, 4, sparse=True))(IDS)
    np.testing.assert_array_equal(got.todense(), keras().ops.one_hot(IDS, 4))


@pytest.mark.parametrize("ids", [IDS, np.array([0, 3, 3, 1])], ids=["2d", "1d"])
def test_multi_hot_sparse_matches_keras(ids):
    got = ops.multi_hot(ids, 4, sparse=True)
    want = keras().ops.multi_hot(ids, 4, sparse=True)
    _same_layout(got, want)
    dense = keras().ops.multi_hot(ids, 4)
    # Keras' sparse result marks the class 0 for a negative id (its stored count is 0); the
    # stored zero here densifies to the dense result.
    np.testing.assert_array_equal(got.todense(), dense)
    if (ids >= 0).all():
        np.testing.assert_array_equal(got.todense(), want.todense())


@pytest.mark.parametrize("x, weights, minlength", [
    (np.array([0, 2, 2, 5]), None, 0),
    (np.array([0, 2, 2, 5]), np.array([1.0, 2.0, 3.0, 4.0], "float32"), 8),
    (np.array([[0, 2], [2, 5]]), None, 8),
    (np.array([[0, 2], [2, 5]]), np.array([[0.5, 1.0], [2.0, 3.0]], "float32"), 0),
])
def test_bincount_sparse_matches_keras_layout_and_dense_values(x, weights, minlength):
    got = ops.bincount(x, weights=weights, minlength=minlength, sparse=True)
    # The layout does not depend on the weights (and Keras' ops fail on 2-D weights).
    want = keras().ops.bincount(x, minlength=minlength, sparse=True)
    dense = ops.bincount(x, weights=weights, minlength=minlength)
    length = max(x.max() + 1, minlength)
    rows = [np.bincount(r, None if weights is None else w, minlength=length)
            for r, w in zip(np.atleast_2d(x), np.atleast_2d(np.ones(x.shape)
                                                             if weights is None else weights))]
    np.testing.assert_allclose(dense, np.stack(rows).reshape(dense.shape))
    assert isinstance(got, jsparse.BCOO) and got.shape == want.shape
    assert got.indices.shape == want.indices.shape and got.nse == want.nse
    # The dtype is the dense result's (int32 counts); Keras' eager JAX op stores float32
    # counts although its own output spec says int32.
    assert got.dtype == dense.dtype
    np.testing.assert_array_equal(got.todense(), dense)
    if weights is None:
        np.testing.assert_array_equal(got.todense(), want.todense())


def test_bincount_of_a_bcoo_counts_its_stored_values():
    flat = jsparse.BCOO.fromdense(np.array([0, 3, 0, 3, 1], "int32"))
    got, want = ops.bincount(flat), keras().ops.bincount(flat)
    _same_layout(got, jsparse.BCOO((want.data.astype("int32"), want.indices), shape=want.shape))
    np.testing.assert_array_equal(got.todense(), want.todense())
    weights = jsparse.BCOO((np.array([0.5, 2.0, 4.0], "float32"), flat.indices),
                           shape=flat.shape)
    np.testing.assert_array_equal(ops.bincount(flat, weights=weights).todense(),
                                  keras().ops.bincount(flat, weights=weights).todense())
    # A 2-D BCOO counts per row (implicit zeros are not counted); padding entries count nothing.
    dense = np.array([[0, 2, 2], [3, 0, 1]], "int32")
    rows = jsparse.BCOO.fromdense(dense, nse=6)
    stored = [row[row != 0] for row in dense]
    want_rows = np.stack([np.bincount(r, minlength=4) for r in stored])
    np.testing.assert_array_equal(ops.bincount(rows).todense(), want_rows)
    with pytest.raises(ValueError, match="same indices"):
        ops.bincount(flat, weights=np.ones(5))


def test_convert_to_tensor_keeps_or_densifies_a_bcoo_as_keras():
    x = jsparse.BCOO.fromdense(np.array([[0.0, 2.0], [3.0, 0.0]], "float32"))
    for kwargs in [{}, {"sparse": True}, {"dtype": "float16"}, {"sparse": False},
                   {"sparse": False, "dtype": "int32"}]:
        got = ops.convert_to_tensor(x, **kwargs)
        want = keras().ops.convert_to_tensor(x, **kwargs)
        assert type(got) is type(want) and got.dtype == want.dtype, kwargs
        dense = (lambda v: v.todense() if isinstance(v, jsparse.BCOO) else v)
        np.testing.assert_array_equal(dense(got), dense(want))
    assert ops.convert_to_tensor(x) is x
    # A dense value stays dense whatever `sparse` says, as in Keras.
    assert isinstance(ops.convert_to_tensor(np.ones(2), sparse=True), jax.Array)
    np.testing.assert_array_equal(ops.convert_to_numpy(x), keras().ops.convert_to_numpy(x))
    assert ops.is_tensor(x) and keras().ops.is_tensor(x)
    assert (ops.shape(x), ops.ndim(x), ops.size(x), ops.dtype(x)) == ((2, 2), 2, 4, "float32")


def test_ragged_raises_as_in_keras():
    with pytest.raises(ValueError, match="ragged"):
        keras().ops.convert_to_tensor([1.0], ragged=True)
    with pytest.raises(ValueError, match="ragged=True"):
        ops.convert_to_tensor([1.0], ragged=True)


def test_other_ops_reject_sparse_inputs_with_the_fix():
    x = jsparse.BCOO.fromdense(np.array([[0.0, 2.0], [3.0, 0.0]], "float32"))
    rejecting = [n for n in ops.__all__ if callable(getattr(ops, n))
                 and not isinstance(getattr(ops, n), type) and n not in _sparse.ACCEPTS_SPARSE
                 and n not in ("core", "image", "linalg", "math", "nn", "numpy")]
    assert {"add", "matmul", "relu", "sum", "one_hot", "ctc_decode"} <= set(rejecting)
    for name in rejecting:
        with pytest.raises(TypeError, match=rf"lx\.ops\.{name}` does not take sparse.*todense"):
            getattr(ops, name)(x)
    with pytest.raises(TypeError, match="todense"):
        ops.concatenate([np.ones((1, 2), "float32"), x])
    # The family namespaces are guarded too, and a dense argument goes through.
    assert ops.numpy.add is ops.add
    np.testing.assert_array_equal(ops.add(x.todense(), 1.0), keras().ops.add(x.todense(), 1.0))
