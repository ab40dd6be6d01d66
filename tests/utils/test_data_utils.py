"""lx.utils data helpers (layerax/utils/data_utils.py): packing against Keras 3,
split_dataset against NumPy slicing, get_source_inputs against Keras' graph walk."""

from __future__ import annotations

import numpy as np
import pytest

import layerax as lx
from tests.helpers import keras

PACK_CASES = [(1, None, None), (1, 2, None), (1, 2, 3), ([1, 2], None, None), ((1, 2), None, None),
              ([1], 2, None)]
UNPACK_CASES = [1, (1,), (1, 2), (1, 2, 3), [1, 2], [1, 2, 3], {"a": 1}]


def test_pack_and_unpack_match_keras():
    ku = keras().utils
    for args in PACK_CASES:
        assert lx.utils.pack_x_y_sample_weight(*args) == ku.pack_x_y_sample_weight(*args), args
        packed = lx.utils.pack_x_y_sample_weight(*args)
        assert lx.utils.unpack_x_y_sample_weight(packed) == ku.unpack_x_y_sample_weight(packed)
    for data in UNPACK_CASES:
        assert lx.utils.unpack_x_y_sample_weight(data) == ku.unpack_x_y_sample_weight(data), data


def test_unpack_rejects_long_tuples():
    with pytest.raises(ValueError):
        keras().utils.unpack_x_y_sample_weight((1, 2, 3, 4))
    with pytest.raises(ValueError, match="length 4"):
        lx.utils.unpack_x_y_sample_weight((1, 2, 3, 4))


@pytest.mark.parametrize("n", [10, 7])
def test_split_dataset_sizes_and_order(n):
    x = np.random.default_rng(n).normal(size=(n, 3)).astype("float32")
    y = np.arange(n)
    for left, right in [(0.8, None), (None, 0.3), (3, None), (None, 2), (0.5, 0.25), (2, 3)]:
        a, b = lx.utils.split_dataset((x, y), left_size=left, right_size=right)
        n_left = round(left * n) if isinstance(left, float) else left
        n_right = round(right * n) if isinstance(right, float) else right
        n_left = n - n_right if n_left is None else n_left
        n_right = n - n_left if n_right is None else n_right
        assert isinstance(a, tuple) and isinstance(b, tuple)
        np.testing.assert_array_equal(a[0], x[:n_left])
        np.testing.assert_array_equal(b[1], y[n_left:n_left + n_right])
    lone_left, lone_right = lx.utils.split_dataset(x, left_size=0.5)
    np.testing.assert_array_equal(np.concatenate([lone_left, lone_right]), x)
    d_left, _ = lx.utils.split_dataset({"x": x, "y": y}, right_size=1)
    assert set(d_left) == {"x", "y"} and len(d_left["y"]) == n - 1


def test_split_dataset_shuffles_reproducibly_and_keeps_rows_paired():
    x, y = np.arange(20)[:, None] * 10, np.arange(20)
    (ax, ay), (bx, by) = lx.utils.split_dataset((x, y), left_size=15, shuffle=True, seed=3)
    (cx, _), _ = lx.utils.split_dataset((x, y), left_size=15, shuffle=True, seed=3)
    np.testing.assert_array_equal(ax, cx)
    np.testing.assert_array_equal(ax[:, 0], ay * 10)
    assert sorted(np.concatenate([ay, by]).tolist()) == list(range(20))
    assert ay.tolist() != list(range(15))


@pytest.mark.parametrize("kwargs,error,match", [
    ({}, ValueError, "left_size"),
    ({"left_size": 0}, ValueError, "left_size"),
    ({"left_size": 1.5}, ValueError, "left_size"),
    ({"right_size": 10}, ValueError, "right_size"),
    ({"left_size": 0.7, "right_size": 0.6}, ValueError, "at most 1"),
    ({"left_size": 6, "right_size": 6}, ValueError, "exceeds"),
    ({"left_size": "half"}, TypeError, "left_size"),
    ({"left_size": 0.01}, ValueError, "empty"),
])
def test_split_dataset_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        lx.utils.split_dataset(np.zeros((10, 2)), **kwargs)


def test_split_dataset_rejects_ragged_and_non_arrays():
    with pytest.raises(ValueError, match="same length"):
        lx.utils.split_dataset((np.zeros(4), np.zeros(5)), left_size=2)
    with pytest.raises(TypeError, match="array"):
        lx.utils.split_dataset(3, left_size=2)


def test_get_source_inputs_matches_keras():
    def build(module):
        a, b, c = module.Input((2,)), module.Input((2,)), module.Input((2,))
        h = module.layers.Dense(2)(b)
        y = module.layers.Add()([module.layers.Add()([h, a]), h])
        return (a, b, c), y

    (a, b, _), y = build(lx)
    (ka, kb, _), ky = build(keras())
    ours = lx.utils.get_source_inputs(y)
    theirs = keras().utils.get_source_inputs(ky)
    assert len(ours) == len(theirs) == 2
    assert {id(t) for t in ours} == {id(a), id(b)}
    assert [{id(ka): "a", id(kb): "b"}[id(t)] for t in theirs] == [
        {id(a): "a", id(b): "b"}[id(t)] for t in ours
    ]
    assert lx.utils.get_source_inputs(a) == [a]
