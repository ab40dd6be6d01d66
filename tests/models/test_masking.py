"""Masks flow from layers that produce them to layers that consume them, inside models."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import layerax as lx
from tests.helpers import assert_close
from tests.models.custom_layers import MaskedCumSum, MaskedMean, TokenEmbedding

PADDED = jnp.array([[3, 1, 4, 0, 0], [2, 7, 0, 0, 0]], "int32")
TRIMMED = [jnp.array([[3, 1, 4]], "int32"), jnp.array([[2, 7]], "int32")]


def masked_model() -> lx.Model:
    tokens = lx.Input(shape=(None,), dtype="int32", name="tokens")
    x = TokenEmbedding(name="embed")(tokens)
    x = lx.layers.Dense(3, name="proj")(x)  # supports_masking: passes the mask on
    x = MaskedCumSum(name="cumsum")(x)
    return lx.Model(tokens, MaskedMean(name="mean")(x))


def reference(model: lx.Model, tokens: np.ndarray) -> np.ndarray:
    table = model.get_layer("embed").table.numpy()
    kernel, bias = model.get_layer("proj").get_weights()
    x = table[np.asarray(tokens)] @ kernel + bias
    return np.cumsum(x, axis=1).mean(axis=1)


def test_symbolic_tensors_carry_masks():
    model = masked_model()
    embed, proj, cumsum, mean = (model.get_layer(n) for n in ("embed", "proj", "cumsum", "mean"))
    for layer in (embed, proj, cumsum):
        mask = layer.output._lx_mask
        assert mask is not None and mask.shape == (None, None) and mask.dtype == "bool"
    assert mean.output._lx_mask is None and model.inputs[0]._lx_mask is None
    # Keras' attribute name reads the same spec.
    assert embed.output._keras_mask is embed.output._lx_mask and mean.output._keras_mask is None


def test_padding_does_not_change_the_result():
    model = masked_model()
    padded = model(PADDED)
    for row, tokens in enumerate(TRIMMED):
        assert_close(padded[row], model(tokens)[0], rtol=1e-5, atol=1e-6)
        assert_close(padded[row], reference(model, tokens)[0], rtol=1e-5, atol=1e-6)
    # Under jit and grad the masks flow the same way.
    jitted = jax.jit(lambda m, t: m(t))(model, PADDED)
    assert_close(jitted, padded, rtol=1e-5, atol=1e-6)


def test_masks_flow_through_nested_and_sequential_models():
    inner = masked_model()
    tokens = lx.Input(shape=(None,), dtype="int32")
    outer = lx.Model(tokens, lx.layers.Dense(2, name="head")(inner(tokens)))
    kernel, bias = outer.get_layer("head").get_weights()
    for row, trimmed in enumerate(TRIMMED):
        assert_close(outer(PADDED)[row], reference(inner, trimmed)[0] @ kernel + bias, rtol=1e-5, atol=1e-6)
    # A nested model whose output carries a mask hands it to the next layer.
    t2 = lx.Input(shape=(None,), dtype="int32")
    encoder = lx.Model(t2, MaskedCumSum(name="enc_sum")(TokenEmbedding(name="enc_embed")(t2)))
    assert encoder.output._lx_mask is not None
    t3 = lx.Input(shape=(None,), dtype="int32")
    pooled = MaskedMean(name="pool")(encoder(t3))
    model = lx.Model(t3, pooled)
    assert encoder._lx_inbound_nodes[0].outputs[0]._lx_mask is not None
    table = encoder.get_layer("enc_embed").table.numpy()
    for row, trimmed in enumerate(TRIMMED):
        expected = np.cumsum(table[np.asarray(trimmed)], axis=1).mean(axis=1)
        assert_close(model(PADDED)[row], expected[0], rtol=1e-5, atol=1e-6)
    seq = lx.Sequential(
        [lx.Input(shape=(None,), dtype="int32"), TokenEmbedding(name="s_embed"), MaskedCumSum(), MaskedMean()]
    )
    table = seq.get_layer("s_embed").table.numpy()
    for row, trimmed in enumerate(TRIMMED):
        expected = np.cumsum(table[np.asarray(trimmed)], axis=1).mean(axis=1)
        assert_close(seq(PADDED)[row], expected[0], rtol=1e-5, atol=1e-6)


def test_explicit_mask_argument_of_a_functional_model():
    x = lx.Input(shape=(None, 2))
    model = lx.Model(x, MaskedMean()(MaskedCumSum()(x)))
    data = jnp.arange(12.0).reshape(2, 3, 2)
    mask = jnp.array([[True, True, False], [True, False, False]])
    out = model(data, mask=mask)
    for row, length in enumerate((2, 1)):
        assert_close(out[row], np.cumsum(np.asarray(data[row, :length]), 0).mean(0))
    assert model.compute_mask(data, mask) is None  # the mean consumes the mask


def test_multi_tensor_layers_receive_named_masks():
    class Attend(lx.layers.Layer):
        def compute_mask(self, query: Any, previous_mask: Any = None) -> Any:
            return previous_mask  # the query's mask

        def call(self, query: Any, value: Any, query_mask: Any = None, value_mask: Any = None) -> Any:
            weights = value_mask.astype(value.dtype)[..., None] if value_mask is not None else 1.0
            pooled = jnp.sum(value * weights, axis=1, keepdims=True)
            return query + pooled

    q = lx.Input(shape=(None,), dtype="int32")
    v = lx.Input(shape=(None,), dtype="int32")
    embed = TokenEmbedding(name="shared_embed")
    out = Attend(name="attend")(embed(q), value=embed(v))
    assert out._lx_mask is not None
    model = lx.Model([q, v], out)
    table = embed.table.numpy()
    query = jnp.array([[1, 2]], "int32")
    padded_value = jnp.array([[3, 4, 0, 0]], "int32")
    expected = table[np.asarray(query)] + table[[3, 4]].sum(0)
    assert_close(model([query, padded_value]), expected, rtol=1e-5, atol=1e-6)


def test_layer_without_mask_support_warns_that_it_drops_the_mask():
    class Plain(lx.layers.Layer):
        def call(self, x: Any) -> Any:
            return x * 2

    tokens = lx.Input(shape=(None,), dtype="int32")
    embedded = TokenEmbedding()(tokens)
    with pytest.warns(UserWarning, match="'plain'.*does not support masking"):
        out = Plain(name="plain")(embedded)
    assert out._lx_mask is None


def test_builtin_embedding_and_masking_layers_drive_the_masks():
    tokens = lx.Input(shape=(None,), dtype="int32")
    embedded = lx.layers.Embedding(10, 4, mask_zero=True, name="embedding")(tokens)
    assert embedded._lx_mask is not None
    model = lx.Model(tokens, MaskedMean()(MaskedCumSum()(embedded)))
    table = model.get_layer("embedding").get_weights()[0]
    padded = model(PADDED)
    for row, trimmed in enumerate(TRIMMED):
        expected = np.cumsum(table[np.asarray(trimmed)], axis=1).mean(axis=1)
        assert_close(padded[row], expected[0], rtol=1e-5, atol=1e-6)
    # Masking: steps whose features all equal mask_value are skipped.
    x = lx.Input(shape=(None, 2))
    masked = lx.Model(x, MaskedMean()(lx.layers.Masking(mask_value=0.0)(x)))
    data = jnp.array([[[1.0, 2.0], [3.0, 4.0], [0.0, 0.0]]])
    assert_close(masked(data), [[2.0, 3.0]])
    assert_close(masked(data), masked(data[:, :2]))
