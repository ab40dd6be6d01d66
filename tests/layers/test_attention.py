"""Attention layers: the Layer contract, Keras parity, masks, dropout and bad input."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import layerax as lx
from tests.helpers import assert_close, keras
from tests.layers import harness
from tests.layers.harness import check_layer

B, TQ, TV, D = 2, 4, 5, 6
RNG = np.random.default_rng(3)
Q = RNG.normal(size=(B, TQ, D)).astype("float32")
V = RNG.normal(size=(B, TV, D)).astype("float32")
K = RNG.normal(size=(B, TV, 3)).astype("float32")
Q_MASK = np.array([[True, True, False, False], [True] * TQ])
V_MASK = np.array([[True, True, True, False, False], [True, False, False, False, False]])
ATT_MASK = RNG.integers(0, 2, size=(B, TQ, TV)).astype(bool)
ATT_MASK[..., 0] = True



# Parity layers start from zeros on both sides and get the same random weights (set on the
# Keras layer, copied to ours): random initializers compile once per weight shape (slow).
ZEROS = {"kernel_initializer": "zeros"}


def keras_parity(*args, grads=False, **kwargs):
    """Outputs always; input gradients (costly to compile) for a representative subset."""
    harness.keras_parity(
        *args, compile_keras=True, random_weights=True, check_input_grad=grads, **kwargs
    )


# ---------------------------------------------------------- Attention / Additive
def test_attention_contract():
    layer = check_layer(
        lambda: lx.layers.Attention(use_scale=True, score_mode="concat"),
        [(B, TQ, D), (B, TV, D)],
        call_kwargs={"mask": [Q_MASK, V_MASK]},
        expected_output_shape=(B, TQ, D),
    )
    assert [(w.name, w.shape) for w in layer.weights] == [
        ("scale", ()),
        ("concat_score_weight", ()),
    ]
    assert layer.compute_mask([Q, V], [Q_MASK, V_MASK]) is not None
    assert layer.compute_mask([Q, V], None) is None


def test_additive_attention_contract():
    layer = check_layer(
        lambda: lx.layers.AdditiveAttention(),
        [(B, TQ, D), (B, TV, D), (B, TV, D)],
        call_kwargs={"use_causal_mask": True},
        expected_output_shape=(B, TQ, D),
    )
    assert [(w.name, w.shape) for w in layer.weights] == [("scale", (D,))]
    assert "score_mode" not in layer.get_config()


@pytest.mark.parametrize(
    "cls,layer_kwargs,call_kwargs",
    [
        ("Attention", {}, {"mask": [Q_MASK, V_MASK]}),
        ("Attention", {"use_scale": True}, {"use_causal_mask": True, "return_attention_scores": True}),
        ("Attention", {"score_mode": "concat"}, {"mask": [None, V_MASK]}),
        ("AdditiveAttention", {}, {"mask": [Q_MASK, V_MASK], "return_attention_scores": True}),
        ("AdditiveAttention", {"use_scale": False}, {"use_causal_mask": True}),
    ],
    ids=["dot-masks", "scale-causal-scores", "concat-value-mask", "additive-masks", "additive-causal"],
)
def test_attention_parity(cls, layer_kwargs, call_kwargs):
    k = keras()
    keras_parity(
        getattr(lx.layers, cls)(**layer_kwargs),
        getattr(k.layers, cls)(**layer_kwargs),
        [Q, V],
        call_kwargs=call_kwargs,
        grads=cls == "Attention" and "mask" in call_kwargs or "return_attention_scores" in call_kwargs,
    )


def test_attention_with_key_matches_a_numpy_reference():
    layer = lx.layers.Attention()
    key = RNG.normal(size=(B, TV, D)).astype("float32")
    out, scores = layer([Q, V, key], mask=[None, V_MASK], return_attention_scores=True)
    logits = np.einsum("bqd,bkd->bqk", Q, key)
    logits = np.where(V_MASK[:, None, :], logits, -np.inf)
    probs = np.exp(logits - logits.max(-1, keepdims=True))
    probs /= probs.sum(-1, keepdims=True)
    assert_close(scores, probs, 1e-5, 1e-6)
    assert_close(out, probs @ V, 1e-5, 1e-6)
    # vmap over a leading axis of every input.
    stacked = [np.stack([a, a[::-1]]) for a in (Q, V, key)]
    mapped = jax.vmap(lambda q, v, k: layer([q, v, k], mask=[None, V_MASK]))(*stacked)
    assert_close(mapped[0], out, 1e-5, 1e-6)


def test_attention_dropout_and_bad_inputs():
    layer = lx.layers.Attention(dropout=0.5, seed=0, name="att")
    out = layer([Q, V])
    assert_close(layer([Q, V], training=False), out, 0, 0)
    _, scores = layer([Q, V], return_attention_scores=True, training=True)
    dropped = layer([Q, V], training=True)
    assert not np.allclose(dropped, out)
    assert_close(jnp.sum(scores, -1), np.ones((B, TQ)), 1e-5, 1e-6)
    with pytest.raises(ValueError, match=r"'att' must be called on a list of inputs"):
        layer(Q)
    with pytest.raises(ValueError, match=r"'att' accepts inputs list of length 2 or 3.*4"):
        layer([Q, V, V, V])
    with pytest.raises(ValueError, match=r"'att' mask must be a list"):
        layer([Q, V], mask=Q_MASK)
    with pytest.raises(ValueError, match="score_mode"):
        lx.layers.Attention(score_mode="sum")


# --------------------------------------------------------------- MultiHeadAttention
def test_multi_head_attention_contract():
    layer = check_layer(
        lambda: lx.layers.MultiHeadAttention(num_heads=2, key_dim=3),
        [(B, TQ, D), (B, TV, D)],
        call_kwargs={"value_mask": V_MASK},
        multi_input_args=True,
        expected_output_shape=(B, TQ, D),
        expected_num_trainable_weights=8,
    )
    assert [(w.path, w.shape) for w in layer.weights] == [
        ("multi_head_attention/query/kernel", (D, 2, 3)),
        ("multi_head_attention/query/bias", (2, 3)),
        ("multi_head_attention/key/kernel", (D, 2, 3)),
        ("multi_head_attention/key/bias", (2, 3)),
        ("multi_head_attention/value/kernel", (D, 2, 3)),
        ("multi_head_attention/value/bias", (2, 3)),
        ("multi_head_attention/attention_output/kernel", (2, 3, D)),
        ("multi_head_attention/attention_output/bias", (D,)),
    ]
    config = layer.get_config()
    assert (config["num_heads"], config["key_dim"], config["value_dim"]) == (2, 3, 3)


MHA_CASES = [
    ({}, {}, False),
    ({}, {"attention_mask": ATT_MASK}, False),
    ({}, {"use_causal_mask": True}, False),
    ({}, {"return_attention_scores": True, "value_mask": V_MASK}, False),
    ({"output_shape": (2, 7)}, {"use_causal_mask": True, "attention_mask": ATT_MASK}, True),
    ({"value_dim": 4, "use_bias": False}, {"return_attention_scores": True}, True),
]


@pytest.mark.parametrize(
    "layer_kwargs,call_kwargs,with_key",
    MHA_CASES,
    ids=["plain", "attention-mask", "causal", "scores-value-mask", "key-output-shape", "key-vdim"],
)
def test_multi_head_attention_parity(layer_kwargs, call_kwargs, with_key):
    k = keras()
    keras_parity(
        lx.layers.MultiHeadAttention(2, 3, **layer_kwargs, **ZEROS),
        k.layers.MultiHeadAttention(2, 3, **layer_kwargs, **ZEROS),
        [Q, V, K] if with_key else [Q, V],
        call_kwargs=call_kwargs,
        multi_input_args=True,
        grads=not layer_kwargs and ("value_mask" in call_kwargs or not call_kwargs),
    )


def test_multi_head_attention_attention_axes_parity():
    k = keras()
    x = RNG.normal(size=(B, 3, 2, 4)).astype("float32")
    keras_parity(
        lx.layers.MultiHeadAttention(2, 3, attention_axes=(1, 2), **ZEROS),
        k.layers.MultiHeadAttention(2, 3, attention_axes=(1, 2), **ZEROS),
        [x, x],
        call_kwargs={"return_attention_scores": True},
        multi_input_args=True,
    )


@pytest.mark.parametrize("scores", [False, True], ids=["fused", "with-scores"])
def test_multi_head_attention_query_mask_parity(scores):
    # Keras reads the query mask from the query tensor's Keras mask (`_keras_mask`).
    k = keras()
    from keras.src.backend.common.masking import set_keras_mask

    theirs = k.layers.MultiHeadAttention(2, 3, **ZEROS)
    theirs.build(Q.shape, V.shape)
    rng = np.random.default_rng(0)
    theirs.set_weights([rng.normal(0, 0.5, np.shape(w)) for w in theirs.get_weights()])
    query = jnp.asarray(Q)
    set_keras_mask(query, jnp.asarray(Q_MASK))
    expected = theirs(query, V, value_mask=V_MASK, return_attention_scores=scores)
    ours = lx.layers.MultiHeadAttention(2, 3, **ZEROS)
    kwargs = {"query_mask": Q_MASK, "value_mask": V_MASK, "return_attention_scores": scores}
    ours(Q, V, **kwargs)
    ours.set_weights(theirs.get_weights())
    assert_close(ours(Q, V, **kwargs), jax.tree.map(np.asarray, expected), 1e-4, 1e-5)
    assert ours.compute_mask([Q, V], Q_MASK) is Q_MASK


def test_multi_head_attention_dropout_and_bad_inputs():
    layer = lx.layers.MultiHeadAttention(2, 3, dropout=0.5, seed=1, name="mha")
    out = layer(Q, V)
    assert_close(layer(Q, V, training=False), out, 0, 0)
    step = lx.function(lambda q, v: layer(q, v, training=True))
    first, second = step(Q, V), step(Q, V)
    assert not np.allclose(first, out) and not np.allclose(first, second)
    with pytest.raises(ValueError, match=r"'mha'.*same rank.*query_shape=\(2, 6\)"):
        lx.layers.MultiHeadAttention(2, 3, name="mha")(Q[:, 0], V)
    with pytest.raises(ValueError, match=r"key_dim.*Received: key_dim=0"):
        lx.layers.MultiHeadAttention(2, 0)
    with pytest.raises(ValueError, match="flash attention"):
        lx.layers.MultiHeadAttention(2, 3, dropout=0.1, flash_attention=True)


# ------------------------------------------------------------ GroupedQueryAttention
def test_grouped_query_attention_contract():
    layer = check_layer(
        lambda: lx.layers.GroupedQueryAttention(head_dim=3, num_query_heads=4, num_key_value_heads=2),
        [(B, TQ, D), (B, TV, D)],
        call_kwargs={"use_causal_mask": True},
        multi_input_args=True,
        expected_output_shape=(B, TQ, D),
    )
    assert [w.shape for w in layer.weights] == [
        (D, 4, 3), (4, 3), (D, 2, 3), (2, 3), (D, 2, 3), (2, 3), (4, 3, D), (D,)
    ]
    assert lx.layers.GroupQueryAttention is lx.layers.GroupedQueryAttention


@pytest.mark.parametrize(
    "layer_kwargs,call_kwargs",
    [
        ({}, {"attention_mask": ATT_MASK}),
        ({}, {"use_causal_mask": True, "return_attention_scores": True}),
        ({"use_bias": False}, {"query_mask": Q_MASK, "value_mask": V_MASK}),
    ],
    ids=["attention-mask", "causal-scores", "query-value-masks"],
)
def test_grouped_query_attention_parity(layer_kwargs, call_kwargs):
    k = keras()
    keras_parity(
        lx.layers.GroupedQueryAttention(3, 4, 2, **layer_kwargs, **ZEROS),
        k.layers.GroupQueryAttention(3, 4, 2, **layer_kwargs, **ZEROS),
        [Q, V, K],
        call_kwargs=call_kwargs,
        multi_input_args=True,
        grads="use_causal_mask" in call_kwargs,
    )


def test_grouped_query_attention_bad_arguments():
    with pytest.raises(ValueError, match="divisible"):
        lx.layers.GroupedQueryAttention(3, 4, 3)
    with pytest.raises(ValueError, match=r"'gqa' expects a 3-D query.*\(2, 6\)"):
        lx.layers.GroupedQueryAttention(3, 4, 2, name="gqa")(Q[:, 0], V)


def test_projected_attention_config_attributes_read_like_keras():
    # One naming in both layers: config entry `x` lives in `_x`, read through a property `x`.
    k = keras()
    mha_kwargs = {"value_dim": 4, "dropout": 0.1, "attention_axes": 1, "use_bias": False}
    gqa_kwargs = {"dropout": 0.2, "use_gate": True, "sliding_window": 2, "kernel_initializer": "ones"}
    pairs = [
        (lx.layers.MultiHeadAttention(2, 3, **mha_kwargs), k.layers.MultiHeadAttention(2, 3, **mha_kwargs),
         ("num_heads", "key_dim", "value_dim", "dropout", "use_bias", "attention_axes")),
        (lx.layers.GroupedQueryAttention(3, 4, 2, **gqa_kwargs),
         k.layers.GroupQueryAttention(3, 4, 2, **gqa_kwargs),
         ("head_dim", "num_query_heads", "num_key_value_heads", "num_repeats", "dropout",
          "use_bias", "use_gate", "sliding_window")),
    ]
    for ours, theirs, names in pairs:
        config = ours.get_config()
        for name in names:
            assert getattr(ours, name) == getattr(theirs, name), name
            assert name not in config or config[name] == getattr(ours, name), name
        assert lx.initializers.serialize(ours.kernel_initializer) == config["kernel_initializer"]
        assert ours.bias_constraint is None and config["bias_constraint"] is None
        with pytest.raises(AttributeError):
            ours.dropout = 0.5
    gqa = pairs[1][0]
    assert gqa.kernel_initializer.get_config() == pairs[1][1].kernel_initializer.get_config()


@pytest.mark.parametrize("make", [
    lambda flash: lx.layers.MultiHeadAttention(2, 3, flash_attention=flash),
    lambda flash: lx.layers.GroupedQueryAttention(3, 4, 2, flash_attention=flash),
], ids=["mha", "gqa"])
def test_flash_path_scales_the_scores_once(make, monkeypatch):
    # The cuDNN kernel runs only on NVIDIA GPUs: stand in a GPU platform and the XLA
    # attention for the fused call, to check what the layer hands to the kernel.
    from layerax.ops import nn as lx_nn

    xla_attention = lx_nn.dot_product_attention
    calls = []

    def fused(query, key, value, *, flash_attention, **kwargs):
        calls.append(flash_attention)
        return xla_attention(query, key, value, flash_attention=False, **kwargs)

    class _Gpu:
        platform = "gpu"

    explicit, flash = make(False), make(True)
    expected = explicit(Q, V, attention_mask=ATT_MASK)
    flash.build(Q.shape, V.shape)
    flash.set_weights(explicit.get_weights())
    monkeypatch.setattr(lx_nn, "dot_product_attention", fused)
    monkeypatch.setattr(jax, "devices", lambda *a: [_Gpu()])
    got = flash(Q, V, attention_mask=ATT_MASK)
    assert calls == [True]
    assert_close(got, expected, 1e-5, 1e-6)
