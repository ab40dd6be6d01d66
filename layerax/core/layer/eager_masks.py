"""Masks carried by concrete arrays between eager layer calls (Keras 3's `_keras_mask`).

Outside any model, Keras attaches the mask a layer computes (Embedding with
`mask_zero=True`, Masking, or a layer passing its input mask on) to its output
arrays as the attribute `_keras_mask`, and the next layer whose `call` takes
`mask=` receives it. Models route masks themselves (`layerax.models.masking`);
here only concrete JAX arrays carry them, so traced code is not affected.
"""

from __future__ import annotations

from typing import Any

import jax

from layerax.core.variable import Tracer

MASK_ATTR = "_keras_mask"


def is_concrete(x: Any) -> bool:
    """Whether `x` is a JAX array with a value (not a tracer)."""
    return isinstance(x, jax.Array) and not isinstance(x, Tracer)


def attached_mask(x: Any) -> Any:
    """The mask attached to `x` (a structure like `x`), or None if there is none.

    Example:
        >>> import jax.numpy as jnp
        >>> from layerax.core.layer.eager_masks import attach_masks, attached_mask
        >>> x = jnp.ones((1, 2, 3))
        >>> attach_masks(x, jnp.array([[True, False]]))
        >>> attached_mask(x).tolist(), attached_mask(jnp.ones(2))
        ([[True, False]], None)
    """
    if isinstance(x, (list, tuple)):
        masks = [attached_mask(v) for v in x]
        return None if all(m is None for m in masks) else type(x)(masks)
    if isinstance(x, dict):
        masks = {k: attached_mask(v) for k, v in x.items()}
        return None if all(m is None for m in masks.values()) else masks
    return getattr(x, MASK_ATTR, None) if is_concrete(x) else None


def attach_masks(outputs: Any, masks: Any) -> None:
    """Attaches `masks` to the concrete output arrays that carry none yet (Keras' rule)."""
    if masks is None:
        return
    flat_outputs = jax.tree_util.tree_leaves(outputs)
    flat_masks = jax.tree_util.tree_leaves(masks, is_leaf=lambda m: m is None)
    if len(flat_masks) == 1 and len(flat_outputs) > 1:
        flat_masks = flat_masks * len(flat_outputs)
    if all(attached_mask(out) is not None for out in flat_outputs):
        return
    for out, mask in zip(flat_outputs, flat_masks):
        if mask is not None and is_concrete(out) and attached_mask(out) is None:
            setattr(out, MASK_ATTR, mask)


def _tensor_arguments(args: tuple[Any, ...], kwargs: dict[str, Any]) -> int:
    def is_tensor(v: Any) -> bool:
        return any(hasattr(leaf, "shape") for leaf in jax.tree_util.tree_leaves(v))

    return sum(is_tensor(a) for a in args) + sum(
        is_tensor(v) for k, v in kwargs.items() if k != "mask" and not k.endswith("_mask")
    )


def fill_mask_argument(accepts_mask: bool, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Passes the first input's attached mask as `mask=` (a call with one tensor argument
    that takes `mask` and got none) and returns the previous mask for `compute_mask`."""
    explicit = kwargs.get("mask")
    if explicit is not None:
        return explicit
    first = args[0] if args else None
    previous = attached_mask(first) if first is not None else None
    if previous is not None and accepts_mask and _tensor_arguments(args, kwargs) == 1:
        kwargs["mask"] = previous
    return previous


__all__ = ["attach_masks", "attached_mask", "fill_mask_argument", "is_concrete"]
