"""ReversibleEmbedding: Keras 3 parity forward and reverse, tie_weights, logit_soft_cap."""

from __future__ import annotations

import numpy as np
import pytest

import layerax as lx
from tests.helpers import assert_close, keras
from tests.layers.harness import check_layer, keras_parity


@pytest.mark.parametrize("config", [
    dict(tie_weights=True),
    dict(tie_weights=False, logit_soft_cap=2.0),
], ids=["tied", "untied_capped"])
def test_reversible_embedding_matches_keras(config):
    k = keras()
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 7, size=(2, 3)).astype("int32")
    ours = lx.layers.ReversibleEmbedding(7, 4, **config)
    theirs = k.layers.ReversibleEmbedding(7, 4, **config)
    theirs(ids)
    theirs.set_weights([rng.normal(size=np.shape(w)).astype("float32")
                        for w in theirs.get_weights()])
    keras_parity(ours, theirs, ids)
    assert [w.name for w in ours.weights] == [w.name for w in theirs.weights]
    hidden = rng.normal(size=(2, 3, 4)).astype("float32")
    keras_parity(ours, theirs, hidden, call_kwargs=dict(reverse=True))
    assert ours.compute_output_shape((None, 3, 4), reverse=True) == tuple(
        theirs.compute_output_shape((None, 3, 4), reverse=True))
    ours_config, theirs_config = ours.get_config(), theirs.get_config()
    for key in ("tie_weights", "reverse_dtype", "logit_soft_cap", "input_dim", "output_dim",
                "mask_zero"):
        assert ours_config[key] == theirs_config[key], key


def test_reversible_embedding_contract():
    check_layer(lambda: lx.layers.ReversibleEmbedding(6, 3, logit_soft_cap=3.0),
                (2, 4, 3), call_kwargs=dict(reverse=True), expected_output_shape=(2, 4, 6),  # the harness asks compute_output_shape without `reverse`
                expected_num_trainable_weights=1, check_output_shape=False)


def test_reversible_embedding_soft_cap_closed_form():
    layer = lx.layers.ReversibleEmbedding(5, 2, logit_soft_cap=1.5)
    x = np.random.default_rng(3).normal(size=(3, 2)).astype("float32") * 4
    layer(np.zeros((1,), "int32"))
    logits = x @ np.asarray(layer.embeddings).T
    assert_close(layer(x, reverse=True), np.tanh(logits / 1.5) * 1.5, 1e-5, 1e-6)


def test_reversible_embedding_bad_arguments():
    with pytest.raises(ValueError, match="logit_soft_cap"):
        lx.layers.ReversibleEmbedding(5, 2, logit_soft_cap=-1.0)
    layer = lx.layers.ReversibleEmbedding(5, 2)
    with pytest.raises(ValueError, match="output_dim=2"):
        layer(np.ones((2, 3), "float32"), reverse=True)
