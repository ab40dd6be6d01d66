"""Merging layers (Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot)
and their functional forms (`add`, `subtract`, ...)."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp

from layerax import config as _config
from layerax.core.layer import Layer


def _is_shape(value: Any) -> bool:
    return isinstance(value, (tuple, list)) and all(
        d is None or (isinstance(d, int) and not isinstance(d, bool)) for d in value
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


def _merge_masked(
    op: Callable[[jax.Array, jax.Array], jax.Array], inputs: list[jax.Array], masks: list[Any]
) -> jax.Array:
    """Applies `op` pairwise, where a masked entry of one side takes the other side's value."""
    output, output_mask = inputs[0], masks[0]
    for x, m in zip(inputs[1:], masks[1:]):
        if m is not None:
            x = jnp.where(m, x, output)
        if output_mask is not None:
            output = jnp.where(output_mask, output, x)
        output_mask = jnp.logical_or(output_mask, m) if (
            m is not None and output_mask is not None) else None
        output = op(output, x)
    return output


class Add(Merge):
    """Adds a list of inputs element-wise (with broadcasting).

    Input shape:
        A list of tensors of compatible shapes.

    Output shape:
        The broadcast shape.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> lx.layers.Add()([jnp.ones((2, 3)), 2 * jnp.ones((2, 3))])[0].tolist()
        [3.0, 3.0, 3.0]
    """

    def _merge_function(self, inputs: list[jax.Array], masks: list[Any]) -> jax.Array:
        output = inputs[0]
        for x in inputs[1:]:
            output = output + x
        return output


class Subtract(Merge):
    """Subtracts two inputs: `inputs[0] - inputs[1]`.

    Input shape:
        A list of exactly two tensors of compatible shapes.

    Output shape:
        The broadcast shape.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> lx.layers.Subtract()([jnp.ones((1, 2)), 3 * jnp.ones((1, 2))]).tolist()
        [[-2.0, -2.0]]
    """

    _exact_inputs = 2

    def _merge_function(self, inputs: list[jax.Array], masks: list[Any]) -> jax.Array:
        return inputs[0] - inputs[1]


class Multiply(Merge):
    """Multiplies a list of inputs element-wise.

    With masks, a masked entry counts as 1; when every input has a mask, the
    entries masked in all inputs are 0.

    Input shape:
        A list of tensors of compatible shapes.

    Output shape:
        The broadcast shape.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> lx.layers.Multiply()([jnp.full((1, 2), 2.0), jnp.full((1, 2), 3.0)]).tolist()
        [[6.0, 6.0]]
    """

    def _merge_function(self, inputs: list[jax.Array], masks: list[Any]) -> jax.Array:
        all_masked = all(m is not None for m in masks)
        output, output_mask = None, None
        for x, m in zip(inputs, masks):
            if m is not None:
                x = jnp.where(m, x, jnp.ones((), x.dtype))
                if all_masked:
                    output_mask = m if output_mask is None else jnp.logical_or(output_mask, m)
            output = x if output is None else output * x
        if all_masked:
            output = jnp.where(output_mask, output, jnp.zeros((), output.dtype))
        return output


class Average(Merge):
    """Averages a list of inputs element-wise.

    Input shape:
        A list of tensors of compatible shapes.

    Output shape:
        The broadcast shape.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> lx.layers.Average()([jnp.zeros((1, 2)), jnp.full((1, 2), 4.0)]).tolist()
        [[2.0, 2.0]]
    """

    def _merge_function(self, inputs: list[jax.Array], masks: list[Any]) -> jax.Array:
        output = inputs[0]
        for x in inputs[1:]:
            output = output + x
        return output / len(inputs)


class Maximum(Merge):
    """Element-wise maximum of a list of inputs (a masked entry takes the other inputs' value).

    Input shape:
        A list of tensors of compatible shapes.

    Output shape:
        The broadcast shape.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> lx.layers.Maximum()([jnp.array([[1.0, 5.0]]), jnp.array([[3.0, 2.0]])]).tolist()
        [[3.0, 5.0]]
    """

    def _merge_function(self, inputs: list[jax.Array], masks: list[Any]) -> jax.Array:
        return _merge_masked(jnp.maximum, inputs, masks)


class Minimum(Merge):
    """Element-wise minimum of a list of inputs (a masked entry takes the other inputs' value).

    Input shape:
        A list of tensors of compatible shapes.

    Output shape:
        The broadcast shape.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> lx.layers.Minimum()([jnp.array([[1.0, 5.0]]), jnp.array([[3.0, 2.0]])]).tolist()
        [[1.0, 2.0]]
    """

    def _merge_function(self, inputs: list[jax.Array], masks: list[Any]) -> jax.Array:
        return _merge_masked(jnp.minimum, inputs, masks)


class Concatenate(Merge):
    """Concatenates a list of inputs along `axis`.

    Args:
        axis: The concatenation axis (default -1).

    Input shape:
        A list of tensors of equal rank whose shapes match except along `axis`.

    Output shape:
        The common shape with the `axis` sizes summed.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> lx.layers.Concatenate(axis=1)([jnp.ones((2, 3)), jnp.ones((2, 4))]).shape
        (2, 7)
    """

    def __init__(self, axis: int = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axis = axis

    def _check_shapes(self, input_shape: Any) -> list[tuple[Any, ...]]:
        if not isinstance(input_shape, (list, tuple)) or not input_shape or not all(
            _is_shape(s) for s in input_shape
        ):
            raise ValueError(
                f"Layer '{self.name}' (Concatenate) should be called on a list of at least 1 "
                f"input. Received: input_shape={input_shape}"
            )
        shapes = [tuple(s) for s in input_shape]
        ranks = {len(s) for s in shapes}
        problem = None
        if len(ranks) != 1:
            problem = "the inputs have different ranks"
        else:
            rank = ranks.pop()
            if not -rank <= self.axis < rank:
                problem = f"axis {self.axis} is out of range for inputs of rank {rank}"
            else:
                axis = self.axis % rank
                for i in range(rank):
                    sizes = {s[i] for s in shapes} - {None}
                    if i != axis and len(sizes) > 1:
                        problem = f"axis {i} differs"
                        break
        if problem is not None:
            raise ValueError(
                f"Layer '{self.name}' (Concatenate) requires inputs with matching shapes except "
                f"for the concatenation axis (axis={self.axis}), but {problem}. Received: "
                f"input_shape={shapes}"
            )
        return shapes

    def _output_shape_no_batch(self, shapes: list[tuple[Any, ...]]) -> Any:
        return self._full_output_shape(shapes)[1:]

    def _full_output_shape(self, shapes: list[tuple[Any, ...]]) -> tuple[Any, ...]:
        out = list(shapes[0])
        axis = self.axis % len(out)
        for i in range(len(out)):
            if i == axis:
                sizes = [s[i] for s in shapes]
                out[i] = None if None in sizes else sum(sizes)
            else:
                known = [s[i] for s in shapes if s[i] is not None]
                out[i] = known[0] if known else None
        return tuple(out)

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        return self._full_output_shape(self._check_shapes(input_shape))

    def _merge_function(self, inputs: list[jax.Array], masks: list[Any]) -> jax.Array:
        return jnp.concatenate(inputs, axis=self.axis)

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        if previous_mask is None:
            return None
        n = len(inputs) if isinstance(inputs, (list, tuple)) else -1
        masks = self._masks(previous_mask, n)
        if all(m is None for m in masks):
            return None
        full = []
        for x, m in zip(inputs, masks):
            x = jnp.asarray(x)
            if m is None:
                full.append(jnp.ones(x.shape, bool))
            else:
                full.append(_expand_mask(m, x))
        return jnp.any(jnp.concatenate(full, axis=self.axis), axis=-1)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axis": self.axis}


def _l2_normalize(x: jax.Array, axis: int) -> jax.Array:
    # Keras' `normalize`: x * min(rsqrt(sum(x^2)), 1 / epsilon).
    square_sum = jnp.sum(jnp.square(x), axis=axis, keepdims=True)
    inv_norm = jnp.minimum(jax.lax.rsqrt(square_sum), 1.0 / _config.epsilon())
    return x * inv_norm


class Dot(Merge):
    """Dot product of two batched inputs along `axes` (cosine proximity with `normalize=True`).

    For inputs of shapes `(batch, n)` and `(batch, n)` the output is `(batch, 1)`;
    in general the output keeps the non-batch axes of the first input (but the
    contracted one), then those of the second.

    Args:
        axes: An int (the same axis of both inputs) or a pair of ints; never the
            batch axis 0.
        normalize: Whether to L2-normalize both inputs along their axes first, making
            the output the cosine similarity.

    Input shape:
        A list of two tensors of rank >= 2 with equal sizes along the contracted axes.

    Output shape:
        As described above.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> a, b = jnp.array([[1.0, 0.0]]), jnp.array([[3.0, 4.0]])
        >>> lx.layers.Dot(axes=1)([a, b]).tolist()
        [[3.0]]
        >>> round(float(lx.layers.Dot(axes=1, normalize=True)([a, b])[0, 0]), 4)
        0.6
    """

    _exact_inputs = 2

    def __init__(self, axes: Any, normalize: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not isinstance(axes, int):
            if not isinstance(axes, (list, tuple)):
                raise TypeError(
                    "Invalid type for argument `axes`: it should be a list or an int. "
                    f"Received: axes={axes!r}"
                )
            if len(axes) != 2:
                raise ValueError(
                    "Invalid format for argument `axes`: it should contain two elements. "
                    f"Received: axes={axes!r}"
                )
            if not all(isinstance(a, int) for a in axes):
                raise ValueError(
                    "Invalid format for argument `axes`: list elements should be integers. "
                    f"Received: axes={axes!r}"
                )
            axes = list(axes)
        self.axes = axes
        self.normalize = normalize
        self.supports_masking = True

    def _resolved_axes(self, shape1: tuple[Any, ...], shape2: tuple[Any, ...]) -> list[int]:
        if isinstance(self.axes, int):
            pair = [self.axes, self.axes]
        else:
            pair = list(self.axes)
        out = []
        for a, shape in zip(pair, (shape1, shape2)):
            rank = len(shape)
            if rank < 2:
                raise ValueError(
                    f"Layer '{self.name}' (Dot) needs inputs of rank >= 2 (a batch axis and at "
                    f"least one more). Received shapes {shape1} and {shape2}."
                )
            if not -rank <= a < rank:
                raise ValueError(
                    f"Layer '{self.name}' (Dot): axis {a} is out of range for an input of shape "
                    f"{shape}."
                )
            out.append(a % rank)
        if 0 in out:
            raise ValueError(
                f"Layer '{self.name}' (Dot) cannot contract the batch axis 0. Received: "
                f"axes={self.axes} for shapes {shape1} and {shape2}."
            )
        return out

    def _check_shapes(self, input_shape: Any) -> list[tuple[Any, ...]]:
        shapes = super()._check_shapes(input_shape)
        a1, a2 = self._resolved_axes(shapes[0], shapes[1])
        d1, d2 = shapes[0][a1], shapes[1][a2]
        if d1 is not None and d2 is not None and d1 != d2:
            raise ValueError(
                f"Layer '{self.name}' (Dot) got incompatible input shapes: axis values {d1} (at "
                f"axis {a1}) != {d2} (at axis {a2}). Full input shapes: {shapes[0]}, {shapes[1]}"
            )
        return shapes

    def _output_shape_no_batch(self, shapes: list[tuple[Any, ...]]) -> Any:
        a1, a2 = self._resolved_axes(shapes[0], shapes[1])
        rest1 = [d for i, d in enumerate(shapes[0]) if i not in (0, a1)]
        rest2 = [d for i, d in enumerate(shapes[1]) if i not in (0, a2)]
        out = rest1 + rest2
        return tuple(out) if out else (1,)

    def call(self, inputs: Any, mask: Any = None) -> jax.Array:
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(
                f"Layer '{self.name}' (Dot) should be called on a list of 2 inputs. Received an "
                f"input of shape {getattr(inputs, 'shape', type(inputs))}."
            )
        x1, x2 = (jnp.asarray(x) for x in self._checked(inputs))
        a1, a2 = self._resolved_axes(tuple(x1.shape), tuple(x2.shape))
        if self.normalize:
            x1 = _l2_normalize(x1, a1)
            x2 = _l2_normalize(x2, a2)
        out = jax.lax.dot_general(x1, x2, (((a1,), (a2,)), ((0,), (0,))))
        if out.ndim == 1:
            out = out[:, None]
        return out

    def _checked(self, inputs: Sequence[Any]) -> Sequence[Any]:
        self._check_shapes([tuple(jnp.shape(x)) for x in inputs])
        return inputs

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        return None

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}


def add(inputs: Sequence[Any], **kwargs: Any) -> Any:
    """Functional form of `Add`: `Add(**kwargs)(inputs)`.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> lx.layers.add([jnp.ones((1, 2)), jnp.ones((1, 2))]).tolist()
        [[2.0, 2.0]]
    """
    return Add(**kwargs)(inputs)


def subtract(inputs: Sequence[Any], **kwargs: Any) -> Any:
    """Functional form of `Subtract`: `Subtract(**kwargs)(inputs)`.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> lx.layers.subtract([jnp.ones((1, 2)), jnp.ones((1, 2))]).tolist()
        [[0.0, 0.0]]
    """
    return Subtract(**kwargs)(inputs)


def multiply(inputs: Sequence[Any], **kwargs: Any) -> Any:
    """Functional form of `Multiply`: `Multiply(**kwargs)(inputs)`.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> lx.layers.multiply([jnp.full((1, 2), 2.0), jnp.full((1, 2), 5.0)]).tolist()
        [[10.0, 10.0]]
    """
    return Multiply(**kwargs)(inputs)


def average(inputs: Sequence[Any], **kwargs: Any) -> Any:
    """Functional form of `Average`: `Average(**kwargs)(inputs)`.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> lx.layers.average([jnp.zeros((1, 2)), jnp.full((1, 2), 2.0)]).tolist()
        [[1.0, 1.0]]
    """
    return Average(**kwargs)(inputs)


def maximum(inputs: Sequence[Any], **kwargs: Any) -> Any:
    """Functional form of `Maximum`: `Maximum(**kwargs)(inputs)`.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> lx.layers.maximum([jnp.array([[1.0, 4.0]]), jnp.array([[2.0, 3.0]])]).tolist()
        [[2.0, 4.0]]
    """
    return Maximum(**kwargs)(inputs)


def minimum(inputs: Sequence[Any], **kwargs: Any) -> Any:
    """Functional form of `Minimum`: `Minimum(**kwargs)(inputs)`.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> lx.layers.minimum([jnp.array([[1.0, 4.0]]), jnp.array([[2.0, 3.0]])]).tolist()
        [[1.0, 3.0]]
    """
    return Minimum(**kwargs)(inputs)


def concatenate(inputs: Sequence[Any], axis: int = -1, **kwargs: Any) -> Any:
    """Functional form of `Concatenate`: `Concatenate(axis=axis, **kwargs)(inputs)`.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> lx.layers.concatenate([jnp.ones((1, 2)), jnp.zeros((1, 1))]).tolist()
        [[1.0, 1.0, 0.0]]
    """
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs: Sequence[Any], axes: Any = -1, normalize: bool = False, **kwargs: Any) -> Any:
    """Functional form of `Dot`: `Dot(axes=axes, normalize=normalize, **kwargs)(inputs)`.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> lx.layers.dot([jnp.array([[1.0, 2.0]]), jnp.array([[3.0, 4.0]])], axes=1).tolist()
        [[11.0]]
    """
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)
