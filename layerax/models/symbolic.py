"""Layer calls on symbolic tensors: the recording side of the functional API.

Calling a layer on `KerasTensor`s builds the layer from their shapes, infers
the output shapes and dtypes without computing anything (the layer's own
`compute_output_spec`/`compute_output_shape` when it overrides one, else
`jax.eval_shape` of its call), and records a `Node` on the layer
(`layer._lx_inbound_nodes`). Models read these nodes once, when they are
constructed, to derive an execution plan; running a model never touches them.

Masks: a symbolic tensor may carry the spec of its mask (`_lx_mask`), found
by the same `run_layer` routine that routes masks when a model runs.
"""

from __future__ import annotations

import inspect
import warnings
from typing import Any

import jax
import jax.numpy as jnp

from layerax.core.context import CTX
from layerax.core.input_spec import assert_input_compatibility
from layerax.core.layer import Layer
from layerax.core.shape_inference import Spec
from layerax.core.state import StateScope
from layerax.core.symbolic_scope import SymbolicScope
from layerax.models.input_layer import Input, InputLayer
from layerax.models.keras_tensor import KerasTensor, TensorOperator, contains_symbolic, flatten_args
from layerax.models.masking import _any_mask, _at, flatten_masks, mask_routing, run_layer, wants_mask
from layerax.models.node import Node, _add_node, node_attribute

__all__ = ["Input", "InputLayer", "KerasTensor", "TensorOperator"]

# Stand-in sizes for unknown (None) dimensions while tracing a layer abstractly: a
# dimension of the output that differs between the two evaluations is unknown too.
_PLACEHOLDERS = (7, 11)


def is_symbolic_call(args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    """The `SYMBOLIC["check"]` hook: whether any call argument is a symbolic tensor."""
    for a in args:
        if type(a) is KerasTensor or contains_symbolic(a):
            return True
    if kwargs:
        for v in kwargs.values():
            if contains_symbolic(v):
                return True
    return False


def _shape_tree(x: Any) -> Any:
    if isinstance(x, KerasTensor):
        return x.shape
    if isinstance(x, list):
        return [_shape_tree(v) for v in x]
    if isinstance(x, tuple):
        return tuple(_shape_tree(v) for v in x)
    if isinstance(x, dict):
        return {k: _shape_tree(v) for k, v in x.items()}
    return getattr(x, "shape", None)


def _is_shape(x: Any) -> bool:
    return isinstance(x, (tuple, list)) and all(d is None or isinstance(d, int) for d in x)


def _shapes_to_specs(shapes: Any, dtype: Any) -> Any:
    if _is_shape(shapes):
        return Spec(tuple(shapes), dtype)
    if isinstance(shapes, dict):
        return {k: _shapes_to_specs(v, dtype) for k, v in shapes.items()}
    if isinstance(shapes, (list, tuple)):
        return type(shapes)(_shapes_to_specs(v, dtype) for v in shapes)
    if hasattr(shapes, "shape") and hasattr(shapes, "dtype"):
        return shapes
    try:
        return Spec(tuple(shapes), dtype)
    except TypeError as err:
        raise ValueError(
            f"compute_output_shape() returned {shapes!r}, which is not a shape tuple (or a "
            "list/tuple/dict of them)."
        ) from err


def _declared_output_specs(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Output specs from the layer's own `compute_output_spec`/`compute_output_shape`, if any."""
    cls = type(layer)
    try:
        if cls.compute_output_spec is not Layer.compute_output_spec:
            return layer.compute_output_spec(*args, **kwargs)
        if cls.compute_output_shape is not Layer.compute_output_shape:
            params = [
                p.name
                for p in inspect.signature(cls.compute_output_shape).parameters.values()
                if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
            ]
            if len(params) > 1 and all(p.endswith("_shape") for p in params):
                info = layer._call_info()
                bound = dict(zip([p.name for p in info.params], args))
                bound.update(kwargs)
                shapes = layer.compute_output_shape(
                    **{p: _shape_tree(bound.get(p[: -len("_shape")])) for p in params}
                )
            else:
                first = args[0] if args else next(iter(kwargs.values()), None)
                shapes = layer.compute_output_shape(_shape_tree(first))
            return _shapes_to_specs(shapes, jnp.dtype(layer.compute_dtype).name)
    except NotImplementedError:
        return None
    return None


def _trace(
    layer: Layer, leaves: list[Any], treedef: Any, routing: Any, with_outputs: bool
) -> tuple[Any, Any]:
    """Output specs and output-mask specs by abstract evaluation (two placeholder sizes)."""
    positions = [i for i, x in enumerate(leaves) if isinstance(x, KerasTensor)]
    known = all(
        None not in t.shape
        for i in positions
        for t in (leaves[i], leaves[i]._lx_mask) if t is not None
    )
    # With every size known, both placeholder runs would be the same: one is enough.
    sizes = _PLACEHOLDERS[:1] if known else _PLACEHOLDERS
    results = []
    for size in sizes:
        def concrete(t: KerasTensor | None) -> Any:
            if t is None:
                return None
            return jax.ShapeDtypeStruct(tuple(size if d is None else d for d in t.shape), t.dtype)

        values = [concrete(leaves[i]) for i in positions]
        masks = [concrete(leaves[i]._lx_mask) for i in positions]

        def run(values: list[Any], masks: list[Any]) -> Any:
            filled = list(leaves)
            mask_leaves: list[Any] = [None] * len(leaves)
            for i, v, m in zip(positions, values, masks):
                filled[i] = v
                mask_leaves[i] = m
            args, kwargs = jax.tree_util.tree_unflatten(treedef, filled)
            margs, mkwargs = jax.tree_util.tree_unflatten(treedef, mask_leaves)
            # The pure bridge lets the call read and even assign variables (seed
            # generators, moving statistics) and restores everything afterwards.
            with StateScope([], [], adopt_missing=True):
                outputs, out_masks = run_layer(layer, args, kwargs, margs, mkwargs, routing)
            if not with_outputs:
                outputs = None
            return outputs, out_masks

        with SymbolicScope():
            results.append(jax.eval_shape(run, values, masks))
    last = results[-1]
    return _merge_specs(results[0][0], last[0]), _merge_specs(results[0][1], last[1])


def _merge_specs(a: Any, b: Any) -> Any:
    """Specs of `a` with None where `a` and `b` (placeholder runs) differ."""
    if a is None:
        return None
    flat_a, tree = jax.tree_util.tree_flatten(a)
    flat_b = jax.tree_util.tree_leaves(b)
    merged = [
        Spec(tuple(d if d == e else None for d, e in zip(x.shape, y.shape)), x.dtype)
        for x, y in zip(flat_a, flat_b)
    ]
    return jax.tree_util.tree_unflatten(tree, merged)


def symbolic_call(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """The `SYMBOLIC["call"]` hook: builds `layer`, records a node, returns symbolic outputs."""
    kwargs = dict(kwargs)
    if layer.input_spec is not None and args:
        assert_input_compatibility(layer.input_spec, args[0], layer.name)
    if not layer.built:
        layer._maybe_build(args, kwargs)
    leaves, treedef = flatten_args((args, kwargs))
    routing = mask_routing(layer, args, kwargs)
    mask_leaves = [x._lx_mask if isinstance(x, KerasTensor) else None for x in leaves]
    margs, mkwargs = jax.tree_util.tree_unflatten(treedef, mask_leaves)
    explicit = kwargs.get("mask")
    previous = explicit if explicit is not None else _at(margs, mkwargs, routing[1])
    has_mask = _any_mask(previous)
    want_mask = wants_mask(layer, has_mask)
    if (has_mask and not want_mask and not layer.supports_masking
            and not getattr(layer, "_lx_drops_masks_silently", False)):
        warnings.warn(
            f"Layer '{layer.name}' (of type {type(layer).__name__}) was passed an input with a "
            "mask attached to it. However, this layer does not support masking and will "
            "therefore destroy the mask information. Downstream layers will not see the mask.",
            stacklevel=3,
        )
    specs = _declared_output_specs(layer, args, kwargs)
    mask_specs = None
    if specs is None or want_mask:
        traced, mask_specs = _trace(layer, leaves, treedef, routing, with_outputs=specs is None)
        if specs is None:
            specs = traced
    flat_specs, out_tree = jax.tree_util.tree_flatten(specs)
    outputs = [KerasTensor(s.shape, s.dtype) for s in flat_specs]
    for tensor, mask in zip(outputs, flatten_masks(mask_specs, len(outputs))):
        if mask is not None:
            tensor._lx_mask = KerasTensor(mask.shape, mask.dtype, name=f"{tensor.name}_mask")
    node = Node(layer, tuple(args), kwargs, outputs, out_tree, routing)
    _add_node(layer, node)
    return jax.tree_util.tree_unflatten(out_tree, outputs)


def install() -> None:
    """Installs the functional API's hooks into the core Layer."""
    CTX.process.symbolic_check = is_symbolic_call
    CTX.process.symbolic_call = symbolic_call
    CTX.process.symbolic_attr = node_attribute


install()
