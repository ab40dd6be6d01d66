"""Parity of `lx.ops.math` with `keras.ops` (JAX backend): values, dtypes, jit and gradients."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from layerax.ops import math as lmath
from tests.ops._parity import Case, assert_close, check_case, rand

# keras.ops names of the math family (keras.src.ops.math) deliberately not implemented, and why.
LEFT_OUT: dict[str, str] = {}
KERAS_MATH = [
    "segment_sum", "segment_max", "segment_min", "segment_prod", "top_k", "in_top_k",
    "logsumexp", "cdist", "extract_sequences", "fft", "fft2", "ifft2", "rfft", "irfft", "stft",
    "istft", "rsqrt", "erf", "erfc", "erfinv", "logdet", "view_as_complex", "view_as_real",
]


def _cases():
    ids = np.array([0, 0, 2, 1, 2])
    cases = []
    for op in ["segment_sum", "segment_max", "segment_min", "segment_prod"]:
        # jax has no reverse-mode rule for a product scatter with repeated ids.
        grad = () if op == "segment_prod" else (0,)
        cases.append(Case(op, (rand((5, 3)), ids), {"num_segments": 4}, grad=grad,
                          id="unsorted"))
        cases.append(Case(op, (rand((5,)), np.sort(ids)), {"num_segments": 3, "sorted": True},
                          grad=grad, id="sorted"))
        cases.append(Case(op, (rand((5, 2), "int32", -4, 4), ids), {"num_segments": 3},
                          grad=(), id="int"))
    x = rand((3, 6))
    c = (rand((2, 4)), rand((2, 4)))
    c2 = (rand((2, 3, 4)), rand((2, 3, 4)))
    signal = rand((2, 40))
    spec = keras.ops.stft(signal, 12, 4, 16)
    spec = (np.asarray(spec[0]), np.asarray(spec[1]))
    cases += [
        Case("top_k", (x, 3), grad=(0,)),
        Case("top_k", (rand((2, 3, 5), "int32", -9, 9), 2), grad=(), id="int"),
        Case("in_top_k", (np.array([0, 5, 2]), x, 2), grad=()),
        Case("logsumexp", (x,)),
        Case("logsumexp", (rand((2, 3, 4)),), {"axis": 1, "keepdims": True}, id="axis"),
        Case("logsumexp", (rand((2, 3), "float16"),), {"axis": -1}, grad=(), id="f16"),
        Case("cdist", (rand((4, 3)), rand((5, 3))), grad=(0, 1)),
        Case("cdist", (rand((2, 4, 3)), rand((2, 2, 3))), grad=(0, 1), id="batched"),
        Case("extract_sequences", (rand((2, 10)), 4, 3)),
        Case("extract_sequences", (rand((11,)), 5, 2), id="1d"),
        Case("fft", (c,), grad=(), rtol=1e-4, atol=1e-4),
        Case("fft2", (c2,), grad=(), rtol=1e-4, atol=1e-4),
        Case("ifft2", (c2,), grad=(), rtol=1e-4, atol=1e-4),
        Case("rfft", (rand((3, 8)),), rtol=1e-4, atol=1e-4),
        Case("rfft", (rand((3, 7)),), {"fft_length": 10}, rtol=1e-4, atol=1e-4, id="len"),
        Case("irfft", ((rand((3, 5)), rand((3, 5))),), grad=(), rtol=1e-4, atol=1e-4),
        Case("irfft", ((rand((3, 5)), rand((3, 5))),), {"fft_length": 7}, grad=(),
             rtol=1e-4, atol=1e-4, id="len"),
        Case("stft", (signal, 12, 4, 16), rtol=1e-4, atol=1e-4),
        Case("stft", (rand((30,)), 8, 3, 8), {"window": "hamming", "center": False},
             rtol=1e-4, atol=1e-4, id="hamming"),
        Case("stft", (rand((30,)), 8, 4, 8), {"window": None}, rtol=1e-4, atol=1e-4,
             id="nowindow"),
        Case("istft", (spec, 12, 4, 16), grad=(), rtol=1e-4, atol=1e-4),
        Case("istft", (spec, 12, 4, 16), {"length": 30}, grad=(), rtol=1e-4, atol=1e-4,
             id="length"),
        Case("istft", (spec, 12, 4, 16), {"center": False, "window": "hamming"}, grad=(),
             rtol=1e-4, atol=1e-4, id="hamming"),
        Case("istft", (spec, 12, 4, 16), {"window": None}, grad=(), rtol=1e-4, atol=1e-4,
             id="nowindow"),
        Case("rsqrt", (rand((3, 4), low=0.5, high=3),)),
        Case("rsqrt", (rand((3, 4), "float16", low=0.5, high=3),), grad=(), id="f16"),
        Case("erf", (x,)),
        Case("erfc", (x,)),
        Case("erfinv", (rand((3, 4), low=-0.9, high=0.9),)),
        Case("logdet", (_spd(3),), rtol=1e-4, atol=1e-4),
        Case("logdet", (np.stack([_spd(3), _spd(3, 1)]),), rtol=1e-4, atol=1e-4, id="batched"),
        Case("view_as_complex", (rand((3, 2)),), grad=()),
        Case("view_as_real", ((rand((3,)) + 1j * rand((3,))).astype("complex64"),), grad=()),
    ]
    return cases


def _spd(n, seed=0):
    a = rand((n, n), seed=seed)
    return (a @ a.T + n * np.eye(n)).astype("float32")


CASES = _cases()


@pytest.mark.parametrize("case", CASES, ids=str)
def test_parity_with_keras(case):
    check_case(case, getattr(lmath, case.name), getattr(keras.ops, case.name))


def test_every_keras_math_name_is_covered():
    import keras.src.ops.math as kmath

    assert {n for n in KERAS_MATH if hasattr(kmath, n)} == set(KERAS_MATH)
    assert set(KERAS_MATH) - set(LEFT_OUT) == set(lmath.__all__)
    assert set(lmath.__all__) == {c.name for c in CASES}


def test_fft_gradients_through_the_real_and_imaginary_parts():
    import jax

    c = (rand((2, 4)), rand((2, 4)))
    for name in ["fft", "fft2", "ifft2"]:
        ours = jax.grad(lambda r, i: sum(p.sum() for p in getattr(lmath, name)((r, i))), (0, 1))
        want = jax.grad(lambda r, i: sum(p.sum() for p in getattr(keras.ops, name)((r, i))),
                        (0, 1))
        assert_close(ours(*c), want(*c), 1e-4, 1e-4)


def test_segment_ids_inferred_when_concrete_and_required_under_jit():
    import jax

    data, ids = rand((4,)), np.array([0, 2, 2, 1])
    assert_close(lmath.segment_sum(data, ids), keras.ops.segment_sum(data, ids, num_segments=3))
    with pytest.raises(ValueError, match="num_segments"):
        jax.jit(lmath.segment_sum)(data, ids)


@pytest.mark.parametrize("call, match", [
    (lambda: lmath.fft(rand((3,))), "tuple"),
    (lambda: lmath.stft(rand((10,)), 8, 2, 4), "fft_length"),
    (lambda: lmath.stft(rand((10,)), 4, 2, 4, window="kaiser"), "hann"),
    (lambda: lmath.cdist(rand((3,)), rand((3,))), "rank >= 2"),
    (lambda: lmath.view_as_complex(rand((3, 3))), "size 2"),
])
def test_bad_input_raises_clear_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()
