"""`lx.tree`: Keras 3's `keras.tree` (nested-structure utilities) on `jax.tree_util`.

The structures are Keras': lists, tuples, namedtuples and dicts (`dict`, `OrderedDict`,
`defaultdict`) are nested; everything else is a leaf, `None` included, and so are JAX
pytrees such as layerax layers and variables. Dicts are flattened in sorted key order,
`OrderedDict`s in insertion order; paths use indices for sequences (namedtuples too) and
keys for dicts. Rebuilt dicts keep the key order of the structure they are modelled on.

Example:
    >>> from layerax import tree
    >>> tree.flatten({"b": [1, 2], "a": None})
    [None, 1, 2]
"""

from __future__ import annotations

import collections
import warnings
from collections.abc import Callable
from typing import Any

import jax

_DICTS = (dict, collections.OrderedDict, collections.defaultdict)


class MAP_TO_NONE:  # noqa: N801 (Keras' name)
    """Sentinel for `traverse`: a `func` returning it replaces the sub-structure by `None`.

    Example:
        >>> from layerax import tree
        >>> tree.traverse(lambda x: tree.MAP_TO_NONE if x == 1 else None, [1, 2])
        [None, 2]
    """


def _is_namedtuple(x: Any) -> bool:
    return isinstance(x, tuple) and hasattr(type(x), "_fields")


def is_nested(structure: Any) -> bool:
    """Whether `structure` is a list, tuple, namedtuple or dict (not a leaf).

    Args:
        structure: Any value.

    Returns:
        A Python bool.

    Example:
        >>> from layerax import tree
        >>> tree.is_nested([1]), tree.is_nested(1), tree.is_nested(None)
        (True, False, False)
    """
    kind = type(structure)
    return kind in (list, tuple) or kind in _DICTS or _is_namedtuple(structure)


def _is_leaf(x: Any) -> bool:
    return not is_nested(x)


def _is_leaf_or_none_node(x: Any) -> bool:
    # With none_is_leaf=False, None stays a (childless) node of jax.tree_util.
    return x is not None and not is_nested(x)


def _children(node: Any) -> list[tuple[Any, Any]]:
    """`(key, child)` pairs of a nested node, in flattening order."""
    if isinstance(node, dict):
        keys = list(node) if type(node) is collections.OrderedDict else sorted(node)
        return [(k, node[k]) for k in keys]
    return list(enumerate(node))


def _in_key_order_of(template: Any, out: Any, leaf: Callable[[Any], bool] = _is_leaf,
                     depth: int = -1) -> Any:
    """`out` (rebuilt by jax.tree_util, dicts in sorted key order) with the dicts' keys in the
    order of `template`'s, as Keras rebuilds them (down to `depth` levels; -1: all)."""
    if leaf(template) or depth == 0:
        return out
    if isinstance(template, dict):
        items = [(k, _in_key_order_of(template[k], out[k], leaf, depth - 1)) for k in template]
        if isinstance(out, collections.defaultdict):
            return collections.defaultdict(out.default_factory, items)
        return type(out)(items)
    items = [_in_key_order_of(t, o, leaf, depth - 1) for t, o in zip(template, out)]
    return type(out)(*items) if _is_namedtuple(out) else type(out)(items)


def flatten(structure: Any) -> list[Any]:
    """The leaves of `structure`, depth first (dicts by sorted key).

    Args:
        structure: A nested structure (or a leaf, which gives a one-element list).

    Returns:
        A list of leaves.

    Example:
        >>> from layerax import tree
        >>> tree.flatten([(1, 2), {"y": 4, "x": 3}])
        [1, 2, 3, 4]
    """
    return jax.tree_util.tree_leaves(structure, is_leaf=_is_leaf)


def flatten_with_path(structure: Any) -> list[tuple[tuple[Any, ...], Any]]:
    """The leaves of `structure` with their paths (tuples of indices and dict keys).

    Args:
        structure: A nested structure.

    Returns:
        A list of `(path, leaf)` pairs, in the order of `flatten`.

    Example:
        >>> from layerax import tree
        >>> tree.flatten_with_path({"a": [5, 6]})
        [(('a', 0), 5), (('a', 1), 6)]
    """
    out: list[tuple[tuple[Any, ...], Any]] = []

    def walk(node: Any, path: tuple[Any, ...]) -> None:
        if not is_nested(node):
            out.append((path, node))
            return
        for key, child in _children(node):
            walk(child, (*path, key))

    walk(structure, ())
    return out


def _check_leaves(args: tuple[Any, ...]) -> None:
    if any(is_nested(a) for a in args):
        raise ValueError("The structures don't have the same nested structure: where the first "
                         "structure has a leaf, another one has a nested value. Received leaves: "
                         f"{list(args)!r}.")


def map_structure(func: Callable[..., Any], *structures: Any, none_is_leaf: bool = True) -> Any:
    """Applies `func` to the leaves of `structures` (all of the same layout), keeping the layout.

    Args:
        func: Function of one leaf from each structure.
        *structures: Nested structures of the same layout.
        none_is_leaf: Whether `func` is called on `None` leaves; if False they stay `None`.

    Returns:
        A structure of the layout of the first one, holding `func`'s results.

    Example:
        >>> from layerax import tree
        >>> tree.map_structure(lambda a, b: a + b, [1, (2, 3)], [10, (20, 30)])
        [11, (22, 33)]
    """
    if not structures:
        raise ValueError("map_structure needs at least one structure. Received none: call "
                         "map_structure(func, structure, ...).")
    if not callable(func):
        raise TypeError(f"map_structure: `func` must be callable. Received: {func!r}.")
    if len(structures) > 1:
        for other in structures[1:]:
            assert_same_structure(structures[0], other)
    is_leaf = _is_leaf if none_is_leaf else _is_leaf_or_none_node
    out = jax.tree_util.tree_map(func, *structures, is_leaf=is_leaf)
    return _in_key_order_of(structures[0], out)


def map_structure_up_to(shallow_structure: Any, func: Callable[..., Any], *structures: Any) -> Any:
    """Like `map_structure`, but only down to the leaves of `shallow_structure`.

    Whatever `structures` hold below those leaves is passed to `func` as it is.

    Args:
        shallow_structure: A structure whose layout is a prefix of all `structures`.
        func: Function of one sub-structure from each structure.
        *structures: Nested structures, at least as deep as `shallow_structure`.

    Returns:
        A structure of the layout of `shallow_structure`.

    Example:
        >>> from layerax import tree
        >>> tree.map_structure_up_to([None, None], len, [[1, 2], (3, 4, 5)])
        [2, 3]
    """
    if not structures:
        raise ValueError("map_structure_up_to needs at least one structure besides "
                         "`shallow_structure`. Received none.")

    def apply(shallow: Any, *args: Any) -> Any:
        del shallow
        return func(*args)

    try:
        out = jax.tree_util.tree_map(apply, shallow_structure, *structures, is_leaf=_is_leaf)
        return _in_key_order_of(shallow_structure, out)
    except (ValueError, TypeError) as error:
        raise ValueError("map_structure_up_to: a structure is shallower than, or differs from, "
                         f"`shallow_structure`. {error}") from None


def _same(a: Any, b: Any, path: tuple[Any, ...]) -> None:
    nested_a, nested_b = is_nested(a), is_nested(b)
    if not nested_a and not nested_b:
        return
    dicts = isinstance(a, dict) and isinstance(b, dict)
    if nested_a != nested_b or (not dicts and type(a) is not type(b)):
        raise ValueError("The two structures don't have the same nested structure: at path "
                         f"{path}, got {type(a).__name__} and {type(b).__name__}.\n"
                         f"First structure: {a!r}\nSecond structure: {b!r}")
    keys_a = [k for k, _ in _children(a)]
    keys_b = [k for k, _ in _children(b)]
    if dicts:
        # dict, OrderedDict and defaultdict match when their keys do, in any order.
        keys_a, keys_b = sorted(keys_a, key=repr), sorted(keys_b, key=repr)
    if keys_a != keys_b:
        raise ValueError("The two structures don't have the same nested structure: at path "
                         f"{path}, the keys or lengths differ.\nFirst structure: {a!r}\n"
                         f"Second structure: {b!r}")
    for key, child in _children(a):
        _same(child, b[key], (*path, key))


def assert_same_structure(a: Any, b: Any, check_types: bool | None = None) -> None:
    """Raises a ValueError unless `a` and `b` are nested the same way.

    Container types must match (list, tuple and each namedtuple type are all different), except
    that the dict types only need the same keys. Leaves can be anything.

    Args:
        a: A nested structure.
        b: A nested structure.
        check_types: Deprecated and without effect (as in Keras).

    Example:
        >>> from layerax import tree
        >>> tree.assert_same_structure([1, (2, 3)], [4, (5, 6)])
        >>> tree.assert_same_structure([1], (1,))
        Traceback (most recent call last):
        ...
        ValueError: The two structures don't have the same nested structure: ...
    """
    if check_types is not None:
        warnings.warn("assert_same_structure: `check_types` has no effect and is deprecated; "
                      "remove it (use assert_same_paths for a check that ignores container "
                      "types).", DeprecationWarning, stacklevel=2)
    _same(a, b, ())


def assert_same_paths(a: Any, b: Any) -> None:
    """Raises a ValueError unless `a` and `b` have the same leaf paths (container types aside).

    Args:
        a: A nested structure.
        b: A nested structure.

    Example:
        >>> from layerax import tree
        >>> tree.assert_same_paths([1, 2], (3, 4))
    """
    paths_a = {p for p, _ in flatten_with_path(a)}
    paths_b = {p for p, _ in flatten_with_path(b)}
    if paths_a != paths_b:
        raise ValueError("`a` and `b` don't have the same paths.\n"
                         f"Paths in `a` missing in `b`: {sorted(paths_a - paths_b, key=repr)}\n"
                         f"Paths in `b` missing in `a`: {sorted(paths_b - paths_a, key=repr)}")


def pack_sequence_as(structure: Any, flat_sequence: Any) -> Any:
    """Packs the leaves `flat_sequence` into the layout of `structure` (inverse of `flatten`).

    Args:
        structure: A nested structure giving the layout.
        flat_sequence: A sequence with one element per leaf of `structure`.

    Returns:
        A new structure.

    Example:
        >>> from layerax import tree
        >>> tree.pack_sequence_as({"b": None, "a": (None, None)}, [1, 2, 3])
        {'b': 3, 'a': (1, 2)}
    """
    if not isinstance(flat_sequence, (list, tuple)):
        try:
            flat_sequence = list(flat_sequence)
        except TypeError:
            raise TypeError("pack_sequence_as: `flat_sequence` must be a sequence. Received: "
                            f"{type(flat_sequence).__name__}.") from None
    treedef = jax.tree_util.tree_structure(structure, is_leaf=_is_leaf)
    if treedef.num_leaves != len(flat_sequence):
        raise ValueError(f"pack_sequence_as: `structure` has {treedef.num_leaves} leaves but "
                         f"`flat_sequence` has {len(flat_sequence)} elements. Give one element "
                         "per leaf.")
    return _in_key_order_of(structure, jax.tree_util.tree_unflatten(treedef, list(flat_sequence)))


def traverse(func: Callable[[Any], Any], structure: Any, top_down: bool = True) -> Any:
    """Visits every sub-structure of `structure` depth first, optionally replacing it.

    Top-down, a `func` result other than `None` replaces the sub-structure and stops the
    descent into it; bottom-up, children are visited first and a non-`None` result replaces
    the (already traversed) sub-structure. Return `MAP_TO_NONE` to replace by `None`.

    Args:
        func: Function of a sub-structure.
        structure: The structure to traverse.
        top_down: Whether parents are visited before their children.

    Returns:
        The resulting structure.

    Example:
        >>> from layerax import tree
        >>> tree.traverse(lambda x: x * 10 if isinstance(x, int) else None, [1, (2,)])
        [10, (20,)]
    """
    if not callable(func):
        raise TypeError(f"traverse: `func` must be callable. Received: {func!r}.")

    def visit_children(node: Any) -> Any:
        if not is_nested(node):
            return node
        children, treedef = jax.tree_util.tree_flatten(node, is_leaf=lambda x: x is not node)
        out = jax.tree_util.tree_unflatten(treedef, [visit(c) for c in children])
        return _in_key_order_of(node, out, depth=1)

    def visit(node: Any) -> Any:
        if top_down:
            result = func(node)
            if result is None:
                return visit_children(node)
        else:
            node = visit_children(node)
            result = func(node)
            if result is None:
                return node
        return None if result is MAP_TO_NONE else result

    return visit(structure)


def lists_to_tuples(structure: Any) -> Any:
    """The structure with every list replaced by a tuple.

    Args:
        structure: A nested structure.

    Returns:
        The converted structure.

    Example:
        >>> from layerax import tree
        >>> tree.lists_to_tuples([1, {"a": [2]}])
        (1, {'a': (2,)})
    """
    return traverse(lambda x: tuple(x) if isinstance(x, list) else None, structure,
                    top_down=False)


def _is_shape(x: Any) -> bool:
    return isinstance(x, (list, tuple)) and all(isinstance(e, (int, type(None))) for e in x)


def map_shape_structure(func: Callable[[Any], Any], structure: Any) -> Any:
    """Like `map_structure`, but lists/tuples of ints and `None`s (shapes) are leaves.

    Args:
        func: Function of one shape (or other leaf).
        structure: A nested structure of shapes.

    Returns:
        The structure with `func` applied to each shape.

    Example:
        >>> from layerax import tree
        >>> tree.map_shape_structure(lambda s: s[0], {"x": (2, 3), "y": [(None, 4)]})
        {'x': 2, 'y': [None]}
    """
    def leaf(x: Any) -> bool:
        return _is_shape(x) or _is_leaf(x)

    out = jax.tree_util.tree_map(func, structure, is_leaf=leaf)
    return _in_key_order_of(structure, out, leaf)


__all__ = [
    "MAP_TO_NONE", "assert_same_paths", "assert_same_structure", "flatten", "flatten_with_path",
    "is_nested", "lists_to_tuples", "map_shape_structure", "map_structure",
    "map_structure_up_to", "pack_sequence_as", "traverse",
]
