"""Flatten, Reshape, Permute and RepeatVector."""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp

from layerax import config as _config
from layerax.core.input_spec import InputSpec
from layerax.core.layer import Layer
from layerax.layers._args import build_at_init


class Flatten(Layer):
    """Flattens every axis but the batch axis: `(batch, ...)` to `(batch, prod(...))`.

    Args:
        data_format: `"channels_last"` or `"channels_first"` (default:
            `lx.config.image_data_format()`). With `"channels_first"` the channel axis
            is moved last before flattening, so that the features come out in the
            same order as for channels-last data.

    Input shape:
        `(batch, ...)`, rank >= 1.

    Output shape:
        `(batch, prod(...))` (`(batch, 1)` for rank-1 inputs).

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> lx.layers.Flatten()(jnp.ones((2, 3, 4))).shape
        (2, 12)
    """

    def __init__(self, data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.data_format = _config.standardize_data_format(data_format)
        self.input_spec = InputSpec(min_ndim=1)

    def call(self, inputs: Any) -> jax.Array:
        rank = inputs.ndim
        if self.data_format == "channels_first" and rank > 2:
            inputs = jnp.transpose(inputs, (0, *range(2, rank), 1))
        return jnp.reshape(inputs, (inputs.shape[0], -1 if rank > 1 else 1))

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        rest = tuple(input_shape)[1:]
        if not rest:
            return (input_shape[0], 1)
        if any(d is None for d in rest):
            return (input_shape[0], None)
        return (input_shape[0], math.prod(rest))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "data_format": self.data_format}


def _resolve_target(layer: Layer, input_shape: tuple[Any, ...], target: tuple[int, ...]) -> Any:
    """`target` with its -1 resolved for a (batch-less) input shape; None when unknown."""
    if any(d is None for d in input_shape):
        return tuple(None if d == -1 else d for d in target)
    size = math.prod(input_shape)
    known = math.prod(d for d in target if d != -1)
    if -1 not in target:
        if size != known:
            raise ValueError(
                f"Layer '{layer.name}' cannot reshape an input of shape (batch, "
                f"{', '.join(map(str, input_shape))}) ({size} values per example) to "
                f"target_shape={target} ({known} values): the total size must be unchanged."
            )
        return target
    if known == 0 or size % known:
        raise ValueError(
            f"Layer '{layer.name}' cannot reshape an input of shape (batch, "
            f"{', '.join(map(str, input_shape))}) ({size} values per example) to "
            f"target_shape={target}: {size} is not divisible by the known dimensions ({known})."
        )
    return tuple(size // known if d == -1 else d for d in target)


class Reshape(Layer):
    """Reshapes every example to `target_shape` (the batch axis is kept).

    Args:
        target_shape: The new shape without the batch axis; one entry may be -1
            (inferred from the input size).

    Input shape:
        `(batch, ...)`.

    Output shape:
        `(batch, *target_shape)`.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> lx.layers.Reshape((-1, 2))(jnp.ones((3, 8))).shape
        (3, 4, 2)
    """

    def __init__(self, target_shape: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        try:
            target = tuple(target_shape)
        except TypeError as err:
            raise ValueError(
                f"Layer '{self.name}': `target_shape` must be a tuple of ints. Received: "
                f"target_shape={target_shape!r}"
            ) from err
        if any(isinstance(d, bool) or not isinstance(d, int) or d < -1 for d in target):
            raise ValueError(
                f"Layer '{self.name}': each dimension in `target_shape` must be a non-negative "
                f"integer, or -1 for a single unknown dimension. Received: "
                f"target_shape={target_shape!r}."
            )
        if target.count(-1) > 1:
            raise ValueError(
                f"Layer '{self.name}': there must be at most one unknown dimension (-1) in "
                f"`target_shape`. Received: target_shape={target_shape!r}."
            )
        self.target_shape = tuple(int(d) for d in target)
        build_at_init(self)

    def call(self, inputs: Any) -> jax.Array:
        target = _resolve_target(self, tuple(inputs.shape[1:]), self.target_shape)
        return jnp.reshape(inputs, (inputs.shape[0], *target))

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        input_shape = tuple(input_shape)
        return (input_shape[0], *_resolve_target(self, input_shape[1:], self.target_shape))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "target_shape": self.target_shape}


class Permute(Layer):
    """Permutes the non-batch axes: `dims` gives, for each output axis, the input axis.

    Args:
        dims: A permutation of `1..rank-1` (the batch axis, 0, stays first); e.g.
            `(2, 1)` swaps the two axes of `(batch, a, b)` inputs.

    Input shape:
        `(batch, ...)` of rank `len(dims) + 1`.

    Output shape:
        `(batch, *[input_shape[d] for d in dims])`.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> lx.layers.Permute((2, 1))(jnp.ones((1, 3, 4))).shape
        (1, 4, 3)
    """

    def __init__(self, dims: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        dims = tuple(dims)
        if sorted(dims) != list(range(1, len(dims) + 1)):
            raise ValueError(
                f"Invalid permutation argument `dims` for Permute layer '{self.name}'. The set "
                "of indices in `dims` must be consecutive and start from 1. "
                f"Received: dims={dims}"
            )
        self.dims = dims
        self.input_spec = InputSpec(ndim=len(dims) + 1)

    def call(self, inputs: Any) -> jax.Array:
        return jnp.transpose(inputs, (0, *self.dims))

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        return (input_shape[0], *(input_shape[d] for d in self.dims))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "dims": self.dims}


class RepeatVector(Layer):
    """Repeats a `(batch, features)` input `n` times: `(batch, n, features)`.

    Args:
        n: Number of repetitions (a positive int).

    Input shape:
        `(batch, features)`.

    Output shape:
        `(batch, n, features)`.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> lx.layers.RepeatVector(3)(jnp.ones((2, 4))).shape
        (2, 3, 4)
    """

    def __init__(self, n: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not isinstance(n, int) or isinstance(n, bool):
            raise TypeError(
                f"Layer '{self.name}': expected an integer value for `n`, got {type(n).__name__}."
            )
        if n <= 0:
            raise ValueError(
                f"Layer '{self.name}': argument `n` should be a positive integer. Received: n={n}"
            )
        self.n = n
        self.input_spec = InputSpec(ndim=2)

    def call(self, inputs: Any) -> jax.Array:
        return jnp.repeat(inputs[:, None, :], self.n, axis=1)

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "n": self.n}
