"""`lx.tree` against `keras.tree` (test-only oracle) on the same structures."""

from __future__ import annotations

import collections
import warnings

import numpy as np
import pytest

import layerax as lx
from layerax import tree
from tests.helpers import keras

Point = collections.namedtuple("Point", ["y", "x"])
Other = collections.namedtuple("Other", ["y", "x"])


def _structures():
    layer = lx.layers.Dense(2)
    return {
        "leaf": 3.0,
        "none": None,
        "list": [1, 2, [3, None]],
        "dict_sorted_by_key": {"b": 1, "a": [2, 3], "c": {"z": 4, "y": 5}},
        "ordered_dict_in_insertion_order": collections.OrderedDict([("b", 1), ("a", 2)]),
        "defaultdict": collections.defaultdict(int, {"b": 1, "a": 2}),
        "namedtuple": Point(y=[1, 2], x=None),
        "arrays_are_leaves": (np.ones(2), np.zeros((2, 3))),
        "layers_are_leaves": [layer, {"v": lx.Variable(np.ones(2), trainable=False)}],
        "empty": [(), {}, []],
    }


STRUCTURES = _structures()


def _assert_equal_nested(a, b):
    assert type(a) is type(b), (a, b)
    if isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            _assert_equal_nested(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _assert_equal_nested(x, y)
    elif isinstance(a, np.ndarray):
        np.testing.assert_array_equal(a, b)
    else:
        assert a is b or a == b


@pytest.mark.parametrize("name", sorted(STRUCTURES))
def test_flatten_pack_and_paths_match_keras(name):
    s = STRUCTURES[name]
    kt = keras().tree
    ours, theirs = tree.flatten(s), kt.flatten(s)
    assert len(ours) == len(theirs) and all(a is b for a, b in zip(ours, theirs))
    assert tree.is_nested(s) == kt.is_nested(s)
    assert [p for p, _ in tree.flatten_with_path(s)] == [p for p, _ in kt.flatten_with_path(s)]
    flat = list(range(len(theirs)))
    _assert_equal_nested(tree.pack_sequence_as(s, flat), kt.pack_sequence_as(s, flat))
    _assert_equal_nested(tree.lists_to_tuples(s), kt.lists_to_tuples(s))
    tree.assert_same_structure(s, kt.pack_sequence_as(s, flat))
    tree.assert_same_paths(s, s)


@pytest.mark.parametrize("name", sorted(STRUCTURES))
def test_map_structure_matches_keras(name):
    s = STRUCTURES[name]
    kt = keras().tree
    describe = lambda x: type(x).__name__  # noqa: E731
    _assert_equal_nested(tree.map_structure(describe, s), kt.map_structure(describe, s))
    _assert_equal_nested(tree.map_structure(describe, s, none_is_leaf=False),
                         kt.map_structure(describe, s, none_is_leaf=False))
    _assert_equal_nested(tree.map_structure(lambda a, b: (a, b) and describe(b), s, s),
                         kt.map_structure(lambda a, b: (a, b) and describe(b), s, s))


@pytest.mark.parametrize("top_down", [True, False])
def test_traverse_matches_keras(top_down):
    s = [(1, 2), [3], {"b": 4, "a": {"d": 5, "c": 6}}]
    kt = keras().tree
    for func in (lambda x: None,
                 lambda x: x * 10 if isinstance(x, int) else None,
                 lambda x: tree.MAP_TO_NONE if x == 3 else None,
                 lambda x: "list" if isinstance(x, list) else None):
        k_func = (lambda x, f=func: kt.MAP_TO_NONE if f(x) is tree.MAP_TO_NONE else f(x))
        _assert_equal_nested(tree.traverse(func, s, top_down=top_down),
                             kt.traverse(k_func, s, top_down=top_down))
    seen_ours, seen_theirs = [], []
    tree.traverse(lambda x: seen_ours.append(x), s, top_down=top_down)
    kt.traverse(lambda x: seen_theirs.append(x), s, top_down=top_down)
    assert seen_ours == seen_theirs


def test_map_structure_up_to_matches_keras():
    kt = keras().tree
    shallow = [0, (0, 0)]
    deep = [[1, 2], ([3], {"a": 4})]
    _assert_equal_nested(tree.map_structure_up_to(shallow, str, deep),
                         kt.map_structure_up_to(shallow, str, deep))
    _assert_equal_nested(tree.map_structure_up_to(shallow, lambda a, b: str(a) + str(b), deep, deep),
                         kt.map_structure_up_to(shallow, lambda a, b: str(a) + str(b), deep, deep))
    with pytest.raises(ValueError):
        tree.map_structure_up_to([0, 0, 0], str, [1, 2])


def test_map_shape_structure_matches_keras():
    kt = keras().tree
    s = {"c": None, "a": (2, 3), "b": [(None, 4), [5], {"z": (1,), "y": 2}]}
    _assert_equal_nested(tree.map_shape_structure(lambda x: x, s),
                         kt.map_shape_structure(lambda x: x, s))


@pytest.mark.parametrize("a,b", [
    ([1, 2], (1, 2)),
    ([1, [2]], [1, 2]),
    ({"a": 1}, {"b": 1}),
    (Point(1, 2), Other(1, 2)),
    ([1, 2], [1, 2, 3]),
])
def test_assert_same_structure_rejects_what_keras_rejects(a, b):
    with pytest.raises(ValueError):
        keras().tree.assert_same_structure(a, b)
    with pytest.raises(ValueError, match="don't have the same nested structure"):
        tree.assert_same_structure(a, b)
    with pytest.raises(ValueError):
        tree.map_structure(lambda x, y: x, a, b)


def test_dict_types_with_the_same_keys_are_the_same_structure():
    a = {"x": 1, "y": 2}
    b = collections.OrderedDict([("y", 3), ("x", 4)])
    keras().tree.assert_same_structure(a, b)
    tree.assert_same_structure(a, b)


def test_assert_same_paths_ignores_container_types_like_keras():
    kt = keras().tree
    kt.assert_same_paths([1, (2, 3)], (4, [5, 6]))
    tree.assert_same_paths([1, (2, 3)], (4, [5, 6]))
    with pytest.raises(ValueError, match="don't have the same paths"):
        tree.assert_same_paths([1, 2], [1, 2, 3])


def test_check_types_is_deprecated():
    with pytest.warns(DeprecationWarning, match="check_types"):
        tree.assert_same_structure([1], [2], check_types=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tree.assert_same_structure([1], [2])


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match="at least one structure"):
        tree.map_structure(str)
    with pytest.raises(TypeError, match="must be callable"):
        tree.map_structure(None, [1])
    with pytest.raises(ValueError, match="has 2 leaves but `flat_sequence` has 3"):
        tree.pack_sequence_as([None, None], [1, 2, 3])
    with pytest.raises(TypeError, match="must be callable"):
        tree.traverse(3, [1])


def test_works_under_jit():
    import jax

    @jax.jit
    def double(s):
        return tree.map_structure(lambda x: x * 2, s)

    out = double({"b": np.ones(2), "a": (np.zeros(1), np.ones(3))})
    np.testing.assert_allclose(out["a"][1], 2.0)
    assert tree.flatten(out)[0].shape == (1,)
