"""MultiHeadAttention shape errors name the layer; its projections set input_spec (issue 24, item 12)."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import layerax as lx

RNG = np.random.default_rng(0)
Q = RNG.normal(size=(2, 3, 8)).astype("float32")
V = RNG.normal(size=(2, 5, 8)).astype("float32")


@pytest.mark.parametrize(
    "query, value, pattern",
    [
        ((2, 3, 6), (2, 5, 8), r"Layer 'mha' \(MultiHeadAttention\) was built for `query`.*received `query` of shape \(2, 3, 6\)"),
        ((2, 3, 8), (2, 5, 6), r"Layer 'mha' .*`value` of shape \(2, 5, 6\)"),
        ((2, 3, 8), (3, 5, 8), r"Layer 'mha' .*same batch size.*query.shape=\(2, 3, 8\), value.shape=\(3, 5, 8\)"),
        ((2, 3, 4, 8), (2, 5, 8), r"Layer 'mha' .*rank 3.*`query` of shape \(2, 3, 4, 8\)"),
    ],
)
def test_shape_errors_name_the_layer(query, value, pattern):
    layer = lx.layers.MultiHeadAttention(2, 4, name="mha")
    layer(Q, V)
    with pytest.raises(ValueError, match=pattern):
        layer(np.ones(query, "float32"), np.ones(value, "float32"))


def test_projections_set_input_spec_and_values_match_keras():
    ours = lx.layers.MultiHeadAttention(2, 4)
    theirs = keras.layers.MultiHeadAttention(2, 4)
    theirs(Q, V)
    ours(Q, V)
    for dense, features in ((ours._query_dense, 8), (ours._key_dense, 8), (ours._value_dense, 8)):
        assert dense.input_spec.ndim == 3 and dense.input_spec.axes == {-1: features}
    with pytest.raises(ValueError, match=r"layer 'query'"):
        ours._query_dense(np.ones((2, 3, 5), "float32"))
    ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(np.asarray(ours(Q, V)), np.asarray(theirs(Q, V)), rtol=1e-5, atol=1e-5)
