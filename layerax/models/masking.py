"""Mask routing between layers of a model, as Keras 3 does it.

A layer that overrides `compute_mask` (Embedding with `mask_zero`, Masking)
produces a mask; a layer with `supports_masking` passes its input mask on;
a layer whose `call` takes `mask=` (or `<arg>_mask=` for several tensor
arguments) receives the masks of its inputs. The same `run_layer` routine
is used when a graph is built (under `jax.eval_shape`) and when it runs.
"""

from __future__ import annotations

from typing import Any

import jax

from layerax.core.context import CTX
from layerax.core.layer import Layer
from layerax.models.keras_tensor import contains_symbolic

__all__ = ["run_layer", "wants_mask"]


def _any_mask(masks: Any) -> bool:
    if masks is None:
        return False
    if isinstance(masks, (list, tuple)):
        return any(_any_mask(m) for m in masks)
    if isinstance(masks, dict):
        return any(_any_mask(m) for m in masks.values())
    return True


def wants_mask(layer: Layer, has_input_mask: bool) -> bool:
    """Whether the layer's output mask must be computed (Keras 3's rule).

    Layers that override `compute_mask` (Embedding, Masking) produce masks;
    layers with `supports_masking` pass their input mask on. Models answer
    from their own graph.

    Example:
        >>> import layerax as lx
        >>> from layerax.models.masking import wants_mask
        >>> dense = lx.layers.Dense(2)  # supports_masking: passes masks on
        >>> wants_mask(dense, has_input_mask=False), wants_mask(dense, has_input_mask=True)
        (False, True)
    """
    own = getattr(layer, "_lx_wants_mask", None)
    if own is not None:
        return bool(own(has_input_mask))
    overridden = type(layer).compute_mask is not Layer.compute_mask
    if not (layer.supports_masking or overridden):
        return False
    return has_input_mask or overridden


def mask_routing(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, Any]:
    """Where input masks go for one call: `(targets, first)`.

    `targets` lists `(keyword, location)` pairs: the mask of the argument at
    `location` (`("a", i)` positional, `("k", name)` keyword) is passed as
    `keyword` (`mask`, or `<arg>_mask` when the call takes several tensor
    arguments). `first` locates the first argument, whose mask is the
    `previous_mask` of `compute_mask`.
    """
    info = layer._call_info()
    names = [
        p.name
        for p in info.params
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    ]
    positional = [
        p.name for p in info.params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    tensor_args: list[tuple[str | None, tuple[str, Any]]] = []
    for i, a in enumerate(args):
        if contains_symbolic(a):
            tensor_args.append((positional[i] if i < len(positional) else None, ("a", i)))
    for k, v in kwargs.items():
        if k not in ("mask", "training") and not k.endswith("_mask") and contains_symbolic(v):
            tensor_args.append((k, ("k", k)))
    targets: list[tuple[str, tuple[str, Any]]] = []
    if len(tensor_args) == 1:
        if "mask" in names and kwargs.get("mask") is None:
            targets.append(("mask", tensor_args[0][1]))
    else:
        for name, loc in tensor_args:
            key = f"{name}_mask"
            if name is not None and key in names and kwargs.get(key) is None:
                targets.append((key, loc))
    if args:
        first: Any = ("a", 0)
    elif kwargs:
        first = ("k", next(iter(kwargs)))
    else:
        first = None
    return tuple(targets), first


def _at(args: Any, kwargs: Any, loc: Any) -> Any:
    if loc is None:
        return None
    kind, key = loc
    if kind == "a":
        return args[key] if key < len(args) else None
    return kwargs.get(key)


class _MaskRequest:
    """Asks a model being called for the masks of its outputs (see `run_layer`)."""

    __slots__ = ("model", "masks", "answered")

    def __init__(self, model: Any) -> None:
        self.model = model
        self.masks: Any = None
        self.answered = False


def has_mask_request() -> bool:
    """Whether a caller in this thread waits for a model's output masks (see `run_layer`)."""
    return bool(CTX.mask_requests)


def answer_mask_request(model: Any, masks: Any) -> None:
    """Called by a model at the end of its graph: hands its output masks to the caller."""
    requests = CTX.mask_requests
    if requests and requests[-1].model is model and not requests[-1].answered:
        requests[-1].masks = masks
        requests[-1].answered = True


def run_layer(
    layer: Layer,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    arg_masks: tuple[Any, ...],
    kwarg_masks: dict[str, Any],
    routing: tuple[Any, Any],
) -> tuple[Any, Any]:
    """Calls `layer` with masks routed as Keras 3 does; returns `(outputs, output_masks)`.

    `arg_masks`/`kwarg_masks` mirror `args`/`kwargs` with the mask of each
    tensor (or None). Used both under `jax.eval_shape` (graph construction)
    and when a model runs.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> from layerax.models.masking import run_layer
        >>> dense = lx.layers.Dense(2)
        >>> mask = jnp.array([[True, False]])
        >>> out, out_mask = run_layer(dense, (jnp.ones((1, 2, 3)),), {}, (mask,), {}, ((), ("a", 0)))
        >>> out.shape, out_mask.tolist()
        ((1, 2, 2), [[True, False]])
    """
    targets, first = routing
    call_kwargs = kwargs
    for keyword, loc in targets:
        mask = _at(arg_masks, kwarg_masks, loc)
        if _any_mask(mask):
            if call_kwargs is kwargs:
                call_kwargs = dict(kwargs)
            call_kwargs[keyword] = mask
    explicit = call_kwargs.get("mask")
    previous = explicit if explicit is not None else _at(arg_masks, kwarg_masks, first)
    if not wants_mask(layer, _any_mask(previous)):
        return layer(*args, **call_kwargs), None
    if getattr(layer, "_lx_wants_mask", None) is not None:
        # A model computes its output masks while it runs; ask for them instead of
        # running its graph a second time through compute_mask.
        request = _MaskRequest(layer)
        CTX.mask_requests.append(request)
        try:
            outputs = layer(*args, **call_kwargs)
        finally:
            CTX.mask_requests.pop()
        return outputs, request.masks
    outputs = layer(*args, **call_kwargs)
    return outputs, layer.compute_mask(_at(args, kwargs, first), previous)


def flatten_masks(masks: Any, count: int) -> list[Any]:
    """The masks of `count` flat outputs (None where a mask is missing)."""
    if masks is None:
        return [None] * count
    flat = jax.tree_util.tree_leaves(masks, is_leaf=lambda m: m is None)
    flat = flat[:count]
    return flat + [None] * (count - len(flat))
