"""Parity of `lx.ops.nn` with `keras.ops` (JAX backend): values, dtypes, jit and gradients."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest

import layerax as lx
from layerax.ops import nn as lnn
from tests.ops._parity import Case, assert_close, check_case, rand

# Names of keras.ops' nn family that are deliberately not implemented, and why.
LEFT_OUT: dict[str, str] = {}

ELEMENTWISE = [
    ("relu", {}), ("relu6", {}), ("sigmoid", {}), ("sparse_sigmoid", {}), ("softplus", {}),
    ("softsign", {}), ("soft_shrink", {"threshold": 0.7}), ("sparse_plus", {}), ("silu", {}),
    ("swish", {}), ("squareplus", {"b": 3}), ("log_sigmoid", {}),
    ("leaky_relu", {"negative_slope": 0.1}), ("hard_sigmoid", {}), ("hard_silu", {}),
    ("hard_swish", {}), ("elu", {"alpha": 0.5}), ("selu", {}), ("gelu", {}),
    ("gelu", {"approximate": False}), ("celu", {"alpha": 2.0}), ("tanh_shrink", {}),
    ("hard_tanh", {}), ("hard_shrink", {"threshold": 0.3}), ("glu", {}), ("glu", {"axis": 0}),
    ("softmax", {}), ("softmax", {"axis": 0}), ("log_softmax", {}), ("sparsemax", {}),
    ("sparsemax", {"axis": 0}), ("normalize", {}), ("normalize", {"order": 1, "axis": 0}),
    ("rms_normalization", {}), ("layer_normalization", {}),
]


def _elementwise_cases():
    cases = []
    for name, kw in ELEMENTWISE:
        for shape in [(4, 6), (2, 4, 6)]:
            for dtype in ["float32", "float16"]:
                if name == "normalize" and dtype == "float16":
                    continue  # keras.ops.normalize overflows 1 / epsilon in float16 (tested below)
                if dtype == "float16" and len(shape) == 3:
                    continue  # half precision: one shape is enough
                grad = () if dtype == "float16" else (0,)
                cases.append(Case(name, (rand(shape, dtype),), kw, grad=grad,
                                  id=f"{kw}-{shape}-{dtype}"))
    cases.append(Case("threshold", (rand((3, 4)), 0.5, -1.0), grad=(0,)))
    cases.append(Case("relu", (rand((3, 4), "int32", -5, 5),), grad=(), id="int"))
    cases.append(Case("softmax", (rand((2, 3, 4)),), {"axis": (1, 2)}, id="tuple-axis"))
    return cases


def _pool_cases():
    cases = []
    for op in ["max_pool", "average_pool"]:
        for shape, pool, strides, pad, fmt in [
            ((2, 9, 3), 3, 2, "valid", "channels_last"),
            # strides=None breaks keras.ops' pools (3.15, JAX: the pool size is expanded to the
            # full rank twice); strides=None is tested in test_pool_strides_default_to_pool_size.
            ((2, 3, 7), 2, 2, "same", "channels_first"),
            ((1, 6, 7, 2), (2, 3), (1, 2), "same", "channels_last"),
            ((1, 2, 4, 5, 4), 2, 1, "valid", "channels_first"),
        ]:
            cases.append(Case(op, (rand(shape),), {"pool_size": pool, "strides": strides,
                                                   "padding": pad, "data_format": fmt},
                              id=f"{shape}-{pad}"))
    for op in ["adaptive_average_pool", "adaptive_max_pool"]:
        for shape, size, fmt in [((2, 7, 3), 3, "channels_last"),
                                 ((1, 2, 7, 5), (3, 2), "channels_first"),
                                 ((1, 5, 4, 6, 2), (2, 3, 4), "channels_last")]:
            cases.append(Case(op, (rand(shape),), {"output_size": size, "data_format": fmt},
                              id=f"{shape}"))
    return cases


def _conv_cases():
    cases = []
    for x_shape, k_shape, kw in [
        ((2, 8, 3), (3, 3, 4), {"strides": 2, "padding": "same"}),
        ((1, 3, 7, 6), (3, 2, 3, 4), {"data_format": "channels_first", "dilation_rate": (2, 1)}),
        ((1, 6, 6, 4), (3, 3, 2, 6), {"padding": "same"}),  # grouped: 2 groups
        ((1, 4, 5, 4, 2), (2, 2, 2, 2, 3), {"strides": (1, 2, 1)}),
    ]:
        cases.append(Case("conv", (rand(x_shape), rand(k_shape)), kw, grad=(0, 1),
                          id=f"{x_shape}", rtol=1e-4, atol=1e-4))
    for x_shape, k_shape, kw in [
        ((2, 8, 3), (3, 3, 2), {"strides": 2, "padding": "same"}),
        ((1, 3, 7, 6), (3, 2, 3, 1), {"data_format": "channels_first", "dilation_rate": 2}),
    ]:
        cases.append(Case("depthwise_conv", (rand(x_shape), rand(k_shape)), kw, grad=(0, 1),
                          id=f"{x_shape}", rtol=1e-4, atol=1e-4))
    for x_shape, dk, pk, kw in [
        ((2, 8, 3), (3, 3, 2), (1, 6, 5), {"padding": "same"}),
        ((1, 6, 7, 2), (3, 3, 2, 1), (1, 1, 2, 4), {"strides": 2}),
    ]:
        cases.append(Case("separable_conv", (rand(x_shape), rand(dk), rand(pk)), kw,
                          grad=(0, 1, 2), id=f"{x_shape}", rtol=1e-4, atol=1e-4))
    for x_shape, k_shape, kw in [
        ((2, 5, 3), (3, 4, 3), {"strides": 2}),
        ((2, 5, 3), (4, 4, 3), {"strides": 3, "padding": "same"}),
        ((1, 4, 5, 2), (3, 3, 3, 2), {"strides": 2, "output_padding": 1, "padding": "same"}),
        ((1, 2, 4, 5), (2, 3, 3, 2), {"data_format": "channels_first", "dilation_rate": 2}),
    ]:
        cases.append(Case("conv_transpose", (rand(x_shape), rand(k_shape)), kw, grad=(0, 1),
                          id=f"{x_shape}-{kw}", rtol=1e-4, atol=1e-4))
    return cases


def _loss_cases():
    probs = np.abs(rand((4, 5))) + 0.05
    labels = np.eye(5, dtype="float32")[[0, 3, 1, 4]]
    ids = np.array([0, 3, 1, 4])
    binary = (rand((3, 4)) > 0).astype("float32")
    return [
        Case("binary_crossentropy", (binary, np.abs(rand((3, 4), low=0.05, high=0.95))),
             grad=(1,)),
        Case("binary_crossentropy", (binary, rand((3, 4))), {"from_logits": True}, grad=(0, 1),
             id="logits"),
        Case("categorical_crossentropy", (labels, probs), grad=(0, 1)),
        Case("categorical_crossentropy", (labels, rand((4, 5))), {"from_logits": True},
             grad=(0, 1), id="logits"),
        Case("categorical_crossentropy", (labels.T, probs.T), {"axis": 0}, grad=(0, 1),
             id="axis0"),
        Case("sparse_categorical_crossentropy", (ids, probs), grad=(1,)),
        Case("sparse_categorical_crossentropy", (ids[:, None], rand((4, 5))),
             {"from_logits": True}, grad=(1,), id="logits"),
        Case("one_hot", (np.array([[0, 2], [1, 5]]), 4), grad=()),
        Case("one_hot", (np.array([0, 2, 1]),), {"num_classes": 3, "axis": 0,
                                                 "dtype": "int32"}, grad=(), id="axis0"),
        Case("multi_hot", (np.array([[0, 2], [1, 1]]),), {"num_classes": 4}, grad=()),
        Case("multi_hot", (np.array([0, 2]),), {"num_classes": 3}, grad=(), id="1d"),
        Case("psnr", (rand((2, 4, 4, 1), low=0, high=1), rand((2, 4, 4, 1), low=0, high=1), 1.0),
             grad=(0, 1)),
    ]


def _norm_cases():
    x = rand((3, 4, 5))
    mean, var = rand((5,)), np.abs(rand((5,))) + 0.1
    return [
        Case("moments", (x,), {"axes": [0, 1]}),
        Case("moments", (x,), {"axes": [2], "keepdims": True}, id="keepdims"),
        Case("moments", (rand((4, 3), "float16"),), {"axes": [0]}, grad=(), id="f16"),
        Case("batch_normalization", (x, mean, var), {"axis": -1}, grad=(0, 1, 2)),
        Case("batch_normalization", (np.moveaxis(x, 2, 1), mean, var, 1, rand((5,)), rand((5,))),
             {"epsilon": 0.01}, grad=(0, 1, 2, 4, 5), id="axis1"),
        Case("rms_normalization", (x, rand((5,))), {"epsilon": 1e-3}, grad=(0, 1), id="scale"),
        Case("rms_normalization", (x,), {"axis": (1, 2)}, id="axes"),
        Case("layer_normalization", (x, rand((5,)), rand((5,))), grad=(0, 1, 2), id="affine"),
        Case("layer_normalization", (x, rand((3, 1, 5)), None), {"axis": (0, 2)}, grad=(0, 1),
             id="axes", rtol=1e-4, atol=1e-4),
        Case("layer_normalization", (rand((2, 6), "bfloat16"),), grad=(), id="bf16"),
        Case("normalize", (rand((2, 3)),), {"order": 3, "epsilon": 1e-3}, id="order3"),
    ]


def _misc_cases():
    q, k, v = rand((2, 5, 4, 8)), rand((2, 6, 2, 8)), rand((2, 6, 2, 8))
    mask = rand((2, 1, 5, 6)) > -1
    cases = [
        Case("dot_product_attention", (q, k, v), grad=(0, 1, 2), rtol=1e-4, atol=1e-5),
        Case("dot_product_attention", (q, rand((2, 5, 4, 8)), rand((2, 5, 4, 8)),
                                       rand((1, 4, 5, 5))), {"is_causal": True, "scale": 0.3},
             grad=(0, 1, 2, 3), id="causal-bias", rtol=1e-4, atol=1e-5),
        Case("dot_product_attention", (q, k, v), {"mask": mask}, grad=(0, 1, 2), id="mask",
             rtol=1e-4, atol=1e-5),
        Case("dot_product_attention", (q, k, v), {"attn_logits_soft_cap": 2.0}, grad=(0, 1, 2),
             id="softcap", rtol=1e-4, atol=1e-5),
        Case("polar", (np.abs(rand((3, 2))), rand((3, 2))), grad=(0, 1)),
        Case("unfold", (rand((2, 3, 5, 6)), 2), grad=(0,)),
        Case("unfold", (rand((1, 2, 6, 7)), (2, 3)),
             {"dilation": (1, 2), "padding": 1, "stride": (2, 1)}, id="args"),
        Case("fold", (rand((2, 12, 20)), (5, 6), 2), grad=(0,)),
        Case("fold", (rand((1, 12, 20)), (6, 7), (2, 3)),
             {"dilation": (1, 2), "padding": 1, "stride": (2, 1)}, id="args"),
        Case("depth_to_space", (rand((2, 3, 2, 8)), 2)),
        Case("depth_to_space", (rand((1, 9, 2, 3)), 3), {"data_format": "channels_first"},
             id="cf"),
        Case("space_to_depth", (rand((2, 4, 6, 3)), 2)),
        Case("space_to_depth", (rand((1, 2, 6, 3)), 3), {"data_format": "channels_first"},
             id="cf"),
    ]
    labels = np.array([[1, 2, 2], [3, 1, 0]])
    logits = rand((2, 6, 4))
    cases.append(Case("ctc_loss", (labels, logits, np.array([3, 2]), np.array([6, 5])),
                      grad=(1,), rtol=1e-4, atol=1e-4))
    cases.append(Case("ctc_loss", (labels, logits, np.array([3, 2]), np.array([6, 5])),
                      {"mask_index": 3}, grad=(1,), rtol=1e-4, atol=1e-4, id="blank3"))
    for merge in [True, False]:
        cases.append(Case("ctc_decode", (rand((3, 7, 4)), np.array([7, 4, 6])),
                          {"merge_repeated": merge}, grad=(), id=f"merge{merge}"))
    return cases


def _sparsemax_reference(x, axis=-1):
    """Simplex projection by bisection on the threshold tau: sum(max(x - tau, 0)) == 1."""
    x = np.moveaxis(np.asarray(x, np.float64), axis, -1)
    low, high = x.min(-1, keepdims=True) - 1, x.max(-1, keepdims=True)
    for _ in range(100):
        tau = (low + high) / 2
        over = np.maximum(x - tau, 0).sum(-1, keepdims=True) > 1
        low, high = np.where(over, tau, low), np.where(over, high, tau)
    out = np.maximum(x - (low + high) / 2, 0)
    return jnp.asarray(np.moveaxis(out, -1, axis), jnp.asarray(x).dtype)


def _sparsemax_oracle(x, axis=-1):
    # keras.ops.sparsemax (3.15) sums the cumulative sums over the support instead of taking the
    # one at its end, so its outputs need not sum to 1: a closed-form reference is used instead.
    # Differentiating through the bisection gives the same (piecewise-linear) gradient.
    dtype = jnp.asarray(x).dtype
    ref = jax.pure_callback(lambda v: np.asarray(_sparsemax_reference(v, axis), v.dtype),
                            jax.ShapeDtypeStruct(x.shape, dtype), x)
    return ref


def _attention_oracle(q, k, v, bias=None, mask=None, scale=None, is_causal=False,
                      attn_logits_soft_cap=None, **_):
    # keras.ops only soft-caps logits on TPU; this is the formula written out.
    group = q.shape[2] // k.shape[2]
    k, v = jnp.repeat(k, group, axis=2), jnp.repeat(v, group, axis=2)
    logits = jnp.einsum("btnh,bsnh->bnts", q, k) / np.sqrt(q.shape[-1])
    logits = attn_logits_soft_cap * jnp.tanh(logits / attn_logits_soft_cap)
    return jnp.einsum("bnts,bsnh->btnh", jax.nn.softmax(logits, axis=-1), v)


def _oracle(case):
    if case.name == "sparsemax":
        return _sparsemax_oracle
    if case.name == "dot_product_attention" and case.kwargs.get("attn_logits_soft_cap"):
        return _attention_oracle
    return getattr(keras.ops, case.name)


CASES = (_elementwise_cases() + _pool_cases() + _conv_cases() + _loss_cases() + _norm_cases()
         + _misc_cases())


@pytest.mark.parametrize("case", CASES, ids=str)
def test_parity_with_keras(case):
    if case.name == "sparsemax":
        case.grad = ()  # checked against finite differences in the test below
    check_case(case, getattr(lnn, case.name), _oracle(case))


def test_pool_strides_default_to_pool_size():
    x = rand((2, 3, 7))
    for fmt in ["channels_first", "channels_last"]:
        for op in [lnn.max_pool, lnn.average_pool]:
            assert_close(op(x, 2, padding="same", data_format=fmt),
                         op(x, 2, strides=2, padding="same", data_format=fmt))


def test_normalize_float16_matches_float32_reference():
    x = rand((3, 5), "float16")
    want = x.astype(np.float32) / np.linalg.norm(x.astype(np.float32), axis=-1, keepdims=True)
    assert_close(lnn.normalize(x), jnp.asarray(want, jnp.float16))


def test_sparsemax_gradient_matches_finite_differences():
    from jax.test_util import check_grads

    x = jnp.asarray(rand((3, 5), "float64") if jax.config.x64_enabled else rand((3, 5)))
    check_grads(lambda v: lnn.sparsemax(v) * jnp.arange(5.0), (x,), order=1, modes=["rev"],
                atol=1e-2, rtol=1e-2)
    assert_close(jnp.sum(lnn.sparsemax(x), axis=-1), jnp.ones(3), 1e-6, 1e-6)


def test_every_keras_nn_name_is_covered():
    keras_names = {n for n in dir(keras.ops.nn) if not n.startswith("_")}
    assert keras_names - set(LEFT_OUT) == set(lnn.__all__)
    tested = {c.name for c in CASES}
    assert set(lnn.__all__) - tested == set()


def test_variables_python_scalars_and_vmap():
    w = lx.Variable(np.array([-1.0, 2.0], np.float32))
    assert_close(lnn.relu(w), keras.ops.relu(np.array([-1.0, 2.0], np.float32)))
    x, k = rand((2, 6, 3)), lx.Variable(rand((3, 3, 2)))
    assert_close(lnn.conv(x, k), keras.ops.conv(x, k.numpy()), 1e-5, 1e-5)
    assert float(lnn.sigmoid(0.0)) == 0.5
    batched = jax.vmap(lambda r: lnn.softmax(r))(rand((3, 4)))
    assert_close(batched, keras.ops.softmax(rand((3, 4))))


@pytest.mark.parametrize("call, match", [
    (lambda: lnn.conv(np.ones((1, 5, 3)), np.ones((3, 2, 4))), "multiple of the kernel"),
    (lambda: lnn.max_pool(np.ones((1, 5, 3)), 2, padding="full"), "padding"),
    (lambda: lnn.max_pool(np.ones((5, 3)), 2), "rank 3 to 5"),
    (lambda: lnn.glu(np.ones((2, 3))), "even"),
    (lambda: lnn.ctc_decode(np.ones((1, 3, 2)), np.array([3]), strategy="best"),
     "'greedy' or 'beam_search'"),
    (lambda: lnn.binary_crossentropy(np.ones((2, 3)), np.ones((3, 2))), "same shape"),
    (lambda: lnn.normalize(np.ones(3), order=0), "order"),
    (lambda: lnn.conv_transpose(np.ones((1, 5, 3)), np.ones((3, 2, 4))), "kernel must be"),
])
def test_bad_input_raises_clear_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_fold_is_the_adjoint_of_unfold():
    x, cols = rand((1, 2, 5, 6)), rand((1, 8, 20))
    lhs = jnp.vdot(lnn.unfold(x, 2), cols)
    rhs = jnp.vdot(x, lnn.fold(cols, (5, 6), 2))
    np.testing.assert_allclose(float(lhs), float(rhs), rtol=1e-5)
