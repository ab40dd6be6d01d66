"""Concatenate and Dot: merging layers with an axis."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp

from layerax import config as _config
from layerax.layers.merging.base_merge import Merge, _expand_mask, _is_shape


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
