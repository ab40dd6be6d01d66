"""Embedding ids out of range or negative raise instead of reading NaN or other rows (item 7)."""

from __future__ import annotations

import jax
import keras
import numpy as np
import pytest

import layerax as lx


@pytest.mark.parametrize("ids, bad", [([[1, 4]], "id 4 at index [0, 1]"), ([[-1, 2]], "id -1 at index [0, 0]")])
def test_eager_bad_ids_raise_naming_layer_id_and_range(ids, bad):
    layer = lx.layers.Embedding(4, 2, name="tokens")
    with pytest.raises(ValueError, match=r"layer 'tokens' \(Embedding\)") as info:
        layer(np.array(ids))
    assert bad in str(info.value) and "0 to 3" in str(info.value)


def test_valid_ids_match_keras():
    ours, theirs = lx.layers.Embedding(4, 3), keras.layers.Embedding(4, 3)
    ids = np.array([[0, 3], [2, 1]])
    ours.build((None, 2))
    theirs.build((None, 2))
    ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(np.asarray(ours(ids)), np.asarray(theirs(ids)), rtol=1e-6)


def test_compiled_check_with_index_checks_on():
    layer = lx.layers.Embedding(4, 2)
    layer.build((None, 2))

    @lx.function
    def lookup(ids):
        return layer(ids)

    np.testing.assert_allclose(np.asarray(lookup(np.array([[0, 3]]))), np.asarray(layer.embeddings)[[[0, 3]]])
    lx.config.enable_index_checks()
    try:
        checked = lx.function(lambda ids: layer(ids))
        with pytest.raises(Exception, match=r"id 7 at index \[0, 1\] is out of range"):
            jax.block_until_ready(checked(np.array([[0, 7]])))
    finally:
        lx.config.disable_index_checks()
