"""lx.backend's dtype helpers, get_uid and is_keras_tensor against Keras 3 (JAX backend)."""

from __future__ import annotations

import itertools

import jax.numpy as jnp
import numpy as np
import pytest

import layerax as lx
from tests.helpers import keras

NAMES = ["bool", "uint8", "uint32", "uint64", "int8", "int16", "int32", "int64",
         "bfloat16", "float16", "float32", "float64", "complex64"]
WEAK = [int, float, complex]


def test_standardize_dtype_matches_keras():
    K = keras().backend
    cases = [None, "float32", int, float, bool, complex, "int", np.float16, jnp.bfloat16,
             np.dtype("int8"), "uint8", "float8_e4m3fn", "complex64", "string",
             np.ones(2).dtype, jnp.ones(2).dtype]
    for case in cases:
        assert lx.backend.standardize_dtype(case) == K.standardize_dtype(case), case
    assert lx.utils.standardize_dtype is lx.backend.standardize_dtype


@pytest.mark.parametrize("bad", ["foo", "float", 3])
def test_standardize_dtype_rejects_like_keras(bad):
    with pytest.raises(ValueError):
        keras().backend.standardize_dtype(bad)
    with pytest.raises(ValueError, match="Invalid dtype"):
        lx.backend.standardize_dtype(bad)


def test_is_float_and_is_int_match_keras():
    K = keras().backend
    for name in NAMES + ["float8_e5m2"]:
        assert lx.backend.is_float_dtype(name) == K.is_float_dtype(name), name
        assert lx.backend.is_int_dtype(name) == K.is_int_dtype(name), name


def test_result_type_matches_keras_on_pairs_and_weak_types():
    K = keras().backend
    pairs = list(itertools.combinations_with_replacement(NAMES, 2))
    pairs += [(w, n) for w in WEAK for n in NAMES] + [(a, b) for a in WEAK for b in WEAK]
    for args in [*pairs, (), (None,), (int,), ("int8", "uint8", "float16"), (None, "int8")]:
        assert lx.backend.result_type(*args) == K.result_type(*args), args


def test_result_type_follows_floatx_precision_for_weak_types():
    K = keras()
    lx.config.set_floatx("float16")
    K.config.set_floatx("float16")
    try:
        for args in [(float, int), (int,), (int, "bool"), (float,)]:
            assert lx.backend.result_type(*args) == K.backend.result_type(*args), args
    finally:
        lx.config.set_floatx("float32")
        K.config.set_floatx("float32")


def test_result_type_rejects_float8():
    with pytest.raises(ValueError, match="float8"):
        lx.backend.result_type("float8_e4m3fn", "float32")


def test_get_uid_counts_per_prefix_and_resets_with_clear_session():
    K = keras().backend
    ours = [lx.backend.get_uid("blk"), lx.backend.get_uid("blk"), lx.backend.get_uid("other"),
            lx.backend.get_uid()]
    theirs = [K.get_uid("blk"), K.get_uid("blk"), K.get_uid("other"), K.get_uid()]
    assert ours == theirs
    lx.backend.clear_session(free_memory=False)
    assert lx.backend.get_uid("blk") == 1


def test_is_keras_tensor():
    k = keras()
    assert lx.backend.is_keras_tensor(lx.Input((3,))) == k.backend.is_keras_tensor(k.Input((3,))) is True
    for value in (np.ones(2), jnp.ones(2), 1.0):
        assert lx.backend.is_keras_tensor(value) == k.backend.is_keras_tensor(value) is False
    assert lx.utils.is_keras_tensor is lx.backend.is_keras_tensor
