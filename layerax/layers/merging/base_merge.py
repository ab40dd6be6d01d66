"""`Merge`, the base class of the merging layers, and its shape and mask rules."""

from __future__ import annotations

import functools
import inspect
from typing import Any

import jax
import jax.numpy as jnp
from jax import export as jax_export

from layerax.core.layer import Layer


def _is_shape(value: Any) -> bool:
    # Dimensions are ints, None (unknown) or jax.export's symbolic dimensions (a
    # model traced for export with a polymorphic batch size).
    return isinstance(value, (tuple, list)) and all(
        d is None or (isinstance(d, int) and not isinstance(d, bool)) or jax_export.is_symbolic_dim(d)
        for d in value
    )


def _broadcast_shapes(layer: Layer, shape1: Any, shape2: Any) -> Any:
    """Keras' element-wise output shape of two batch-less shapes (trailing axes aligned)."""
    if shape1 is None or shape2 is None:
        return None
    if len(shape1) < len(shape2):
        shape1, shape2 = shape2, shape1
    if not shape2:
        return tuple(shape1)
    out = list(shape1[: len(shape1) - len(shape2)])
    for i, j in zip(shape1[len(shape1) - len(shape2):], shape2):
        if i is None or j is None:
            out.append(None)
        elif i == 1:
            out.append(j)
        elif j == 1 or i == j:
            out.append(i)
        else:
            raise ValueError(
                f"Layer '{layer.name}' ({type(layer).__name__}) got inputs with incompatible "
                f"shapes: {tuple(shape1)} and {tuple(shape2)} (without the batch axis) cannot be "
                "broadcast together. Each axis must match or be 1."
            )
    return tuple(out)


def _expand_mask(mask: Any, x: jax.Array) -> Any:
    """A mask broadcast to the shape of `x` (masks usually lack the feature axis)."""
    if mask is None:
        return None
    mask = jnp.asarray(mask, bool)
    if mask.ndim < x.ndim:
        mask = mask[..., None]
    return jnp.broadcast_to(mask, x.shape)


@functools.lru_cache(maxsize=None)
def _takes_masks(cls: type) -> bool:
    params = [p for p in inspect.signature(cls._merge_function).parameters.values()
              if p.name != "self"]
    return len(params) >= 2 or any(p.kind is p.VAR_POSITIONAL for p in params)


class Merge(Layer):
    """Base class of the merging layers: calls `_merge_function` on a list of inputs.

    Inputs of lower rank get size-1 axes inserted after the batch axis, then
    broadcast like numpy. `mask` (a list with one mask or None per input) is
    combined by `compute_mask` with a logical or. Subclasses implement
    `_merge_function(self, inputs, masks)` (masks broadcast to the inputs'
    shapes, None where absent) or, as in Keras, `_merge_function(self, inputs)`.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> class Diff(lx.layers.Merge):
        ...     def _merge_function(self, inputs):
        ...         return inputs[0] - inputs[1]
        >>> Diff()([jnp.ones((1, 2)), jnp.ones((1, 2))]).tolist()
        [[0.0, 0.0]]
    """

    _min_inputs = 1
    _exact_inputs: int | None = None

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True

    # ------------------------------------------------------------ checks
    def _check_count(self, n: int, received: Any) -> None:
        if self._exact_inputs is not None and n != self._exact_inputs:
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}) should be called on exactly "
                f"{self._exact_inputs} inputs. Received {n} input(s) with shapes: {received}"
            )
        if n < self._min_inputs:
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}) should be called on a list of at "
                f"least {self._min_inputs} input(s). Received: {received}"
            )

    def _check_shapes(self, input_shape: Any) -> list[tuple[Any, ...]]:
        if not isinstance(input_shape, (list, tuple)) or not input_shape or not all(
            _is_shape(s) for s in input_shape
        ):
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}) should be called on a list of "
                f"inputs. Received: input_shape={input_shape} (not a list of shapes). Pass "
                "`[x1, x2, ...]`."
            )
        shapes = [tuple(s) for s in input_shape]
        self._check_count(len(shapes), shapes)
        batches = {s[0] for s in shapes if s} - {None}
        if len(batches) > 1:
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}) cannot merge tensors with "
                f"different batch sizes. Received tensors with shapes {shapes}"
            )
        return shapes

    def _output_shape_no_batch(self, shapes: list[tuple[Any, ...]]) -> Any:
        out = shapes[0][1:]
        for shape in shapes[1:]:
            out = _broadcast_shapes(self, out, shape[1:])
        return out

    def build(self, input_shape: Any) -> None:
        shapes = self._check_shapes(input_shape)
        self._output_shape_no_batch(shapes)

    # -------------------------------------------------------------- call
    def _merge_function(self, inputs: list[jax.Array], masks: list[Any]) -> jax.Array:
        raise NotImplementedError

    def call(self, inputs: Any, mask: Any = None) -> jax.Array:
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}) should be called on a list of "
                f"inputs. Received an input of shape {getattr(inputs, 'shape', type(inputs))} "
                "(not a list of tensors). Pass `[x1, x2, ...]`."
            )
        inputs = [jnp.asarray(x) for x in inputs]
        shapes = self._check_shapes([tuple(x.shape) for x in inputs])
        self._output_shape_no_batch(shapes)
        masks = self._masks(mask, len(inputs))
        rank = max(x.ndim for x in inputs)
        expanded = []
        for x, m in zip(inputs, masks):
            while x.ndim < rank:
                # Lower-rank inputs gain axes right after the batch axis (Keras' rule).
                x = jnp.expand_dims(x, 1)
                if m is not None and m.ndim >= 1:
                    m = jnp.expand_dims(m, 1)
            expanded.append(x)
        masks = [_expand_mask(m, x) if m is not None else None for m, x in zip(masks, expanded)]
        if not _takes_masks(type(self)):
            # A subclass written for Keras: `_merge_function(self, inputs)`.
            return self._merge_function(expanded)  # type: ignore[call-arg]
        return self._merge_function(expanded, masks)

    def _masks(self, mask: Any, n: int) -> list[Any]:
        if mask is None:
            return [None] * n
        if not isinstance(mask, (list, tuple)) or len(mask) != n:
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}): `mask` should be a list with one "
                f"mask (or None) per input; {n} inputs were given. Received: mask={mask!r}"
            )
        return [None if m is None else jnp.asarray(m) for m in mask]

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        shapes = self._check_shapes(input_shape)
        out = self._output_shape_no_batch(shapes)
        batches = {s[0] for s in shapes if s} - {None}
        return (batches.pop() if len(batches) == 1 else None, *out)

    def get_config(self) -> dict[str, Any]:
        return super().get_config()

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        if previous_mask is None:
            return None
        masks = self._masks(previous_mask, len(inputs) if isinstance(inputs, (list, tuple))
                            else -1)
        if any(m is None for m in masks):
            return None
        out = masks[0].astype(bool)
        for m in masks[1:]:
            out = jnp.logical_or(out, m)
        return out
