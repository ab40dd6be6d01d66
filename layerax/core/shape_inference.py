"""Output shapes by abstract evaluation (`jax.eval_shape`) of a layer's call."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from layerax.core.state import StateScope

# Two stand-in sizes for unknown (None) dimensions: a dimension of the output
# that differs between the two evaluations depends on an unknown input size.
_PLACEHOLDERS = (7, 11)


def _is_shape(x: Any) -> bool:
    return isinstance(x, (tuple, list)) and all(d is None or isinstance(d, int) for d in x)


def _to_specs(shapes: Any, size: int, dtype: Any) -> Any:
    if _is_shape(shapes):
        return jax.ShapeDtypeStruct(tuple(size if d is None else d for d in shapes), dtype)
    if isinstance(shapes, dict):
        return {k: _to_specs(v, size, dtype) for k, v in shapes.items()}
    if isinstance(shapes, (list, tuple)):
        return type(shapes)(_to_specs(v, size, dtype) for v in shapes)
    if isinstance(shapes, jax.ShapeDtypeStruct) or hasattr(shapes, "shape"):
        shape = tuple(size if d is None else d for d in shapes.shape)
        return jax.ShapeDtypeStruct(shape, getattr(shapes, "dtype", dtype))
    return shapes


def _evaluate(layer: Any, args: Any, kwargs: Any) -> Any:
    def run(*call_args: Any) -> Any:
        with StateScope([], [], adopt_missing=True):
            return layer(*call_args, **kwargs)

    return jax.eval_shape(run, *args)


def _merged(outs: list[Any]) -> tuple[list[tuple[Any, ...]], list[Any], Any]:
    flat_a, treedef = jax.tree_util.tree_flatten(outs[0])
    flat_b = jax.tree_util.tree_leaves(outs[1])
    shapes = [
        tuple(d if d == e else None for d, e in zip(a.shape, b.shape))
        for a, b in zip(flat_a, flat_b)
    ]
    return shapes, [a.dtype for a in flat_a], treedef


def infer_output_shape(layer: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Output shape(s) of `layer` for input shape(s) that may contain None."""
    dtype = jnp.dtype(layer.compute_dtype)
    outs = [_evaluate(layer, _to_specs(args, size, dtype), kwargs) for size in _PLACEHOLDERS]
    shapes, _, treedef = _merged(outs)
    return _leaf_shapes(jax.tree_util.tree_unflatten(treedef, [_Shape(s) for s in shapes]))


def infer_output_spec(layer: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Output specs (shape with None for unknown sizes, dtype) of `layer` for input specs."""
    dtype = jnp.dtype(layer.compute_dtype)
    outs = [_evaluate(layer, _to_specs(args, size, dtype), kwargs) for size in _PLACEHOLDERS]
    shapes, dtypes, treedef = _merged(outs)
    return jax.tree_util.tree_unflatten(treedef, [Spec(s, d) for s, d in zip(shapes, dtypes)])


class _Shape(tuple):
    """A shape tuple that pytree utilities treat as a leaf while unflattening."""


def _leaf_shapes(tree: Any) -> Any:
    if isinstance(tree, _Shape):
        return tuple(tree)
    if isinstance(tree, (list, tuple)):
        return type(tree)(_leaf_shapes(v) for v in tree)
    if isinstance(tree, dict):
        return {k: _leaf_shapes(v) for k, v in tree.items()}
    return tree


class Spec:
    """A shape (None for unknown sizes) and a dtype."""

    def __init__(self, shape: tuple[Any, ...], dtype: Any) -> None:
        self.shape, self.dtype = tuple(shape), dtype

    def __repr__(self) -> str:
        return f"Spec(shape={self.shape}, dtype={self.dtype})"


def ensure_built(layer: Any, x: Any) -> None:
    """Builds a layer's weights from a batch (or specs) by abstract evaluation: nothing runs."""
    if not layer.built:
        _evaluate(layer, (x,), {"training": False})
