"""GroupNormalization."""

from __future__ import annotations

import functools
from typing import Any

import jax
import jax.numpy as jnp

from layerax import constraints, initializers, regularizers
from layerax.core.input_spec import InputSpec
from layerax.core.layer import Layer
from layerax.layers.normalization import _axes


@functools.partial(jax.jit, static_argnames=("axis", "groups", "epsilon", "dtype"))
def _group_norm(x: Any, gamma: Any, beta: Any, *, axis: int, groups: int, epsilon: float,
                dtype: str) -> jax.Array:
    """Group normalization as one jitted computation; statistics in at least float32."""
    x = jnp.asarray(x)
    compute = jnp.result_type(x.dtype, jnp.float32)
    per_group = x.shape[axis] // groups
    # (..., C, ...) -> (..., groups, C // groups, ...): statistics per (example, group).
    grouped_shape = (*x.shape[:axis], groups, per_group, *x.shape[axis + 1 :])
    grouped = jnp.reshape(x, grouped_shape).astype(compute)
    reduce = tuple(a for a in range(1, grouped.ndim) if a != axis)
    mean = jnp.mean(grouped, axis=reduce, keepdims=True)
    variance = jnp.var(grouped, axis=reduce, keepdims=True)
    param_shape = [1] * grouped.ndim
    param_shape[axis], param_shape[axis + 1] = groups, per_group
    inv = jax.lax.rsqrt(variance + epsilon)
    if gamma is not None:
        inv = inv * jnp.reshape(gamma.astype(compute), param_shape)
    offset = -mean * inv
    if beta is not None:
        offset = offset + jnp.reshape(beta.astype(compute), param_shape)
    return jnp.reshape(grouped * inv + offset, x.shape).astype(dtype)


class GroupNormalization(Layer):
    """Normalizes each example over groups of channels (Wu & He, 2018).

    The channels on `axis` are split into `groups` groups; mean and variance
    are computed per example and group, over the group's channels and every
    other non-batch axis. `groups=1` normalizes over all channels (like a
    layer norm with per-channel parameters); `groups=-1` (one group per
    channel) is instance normalization.

    Args:
        groups: Number of groups (`32`); must divide the channel count; `-1`
            means one group per channel.
        axis: The channel axis (`-1`).
        epsilon: Added to the variance to avoid dividing by zero.
        center: Whether to add the learned per-channel offset `beta`.
        scale: Whether to multiply by the learned per-channel scale `gamma`.
        beta_initializer: Initializer of `beta` (`"zeros"`).
        gamma_initializer: Initializer of `gamma` (`"ones"`).
        beta_regularizer: Regularizer of `beta`.
        gamma_regularizer: Regularizer of `gamma`.
        beta_constraint: Constraint of `beta`.
        gamma_constraint: Constraint of `gamma`.

    Weights:
        `gamma` (if `scale`), then `beta` (if `center`), each `(channels,)`.

    Input shape:
        Arbitrary, with a defined size on `axis`.

    Output shape:
        Same as the input.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> layer = lx.layers.GroupNormalization(groups=2, epsilon=0.0)
        >>> layer(jnp.array([[1.0, 3.0, 10.0, 30.0]]))
        Array([[-1.,  1., -1.,  1.]], dtype=float32)
    """

    def __init__(
        self,
        groups: int = 32,
        axis: int = -1,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        beta_initializer: Any = "zeros",
        gamma_initializer: Any = "ones",
        beta_regularizer: Any = None,
        gamma_regularizer: Any = None,
        beta_constraint: Any = None,
        gamma_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        # As in Keras: statistics in float32 from the uncast input; output in the
        # compute dtype.
        self.autocast = False
        valid = isinstance(groups, int) and not isinstance(groups, bool)
        if not valid or (groups <= 0 and groups != -1):
            raise ValueError(
                f"{_axes.owner(self)}: `groups` must be a positive integer (or -1 for instance "
                f"normalization). Received: groups={groups!r}"
            )
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise TypeError(
                f"{_axes.owner(self)}: `axis` must be an integer (the channel axis). "
                f"Received: axis={axis!r}"
            )
        self.groups = groups
        self.axis = axis
        self.epsilon = epsilon
        self.center = bool(center)
        self.scale = bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.supports_masking = True

    def build(self, input_shape: Any) -> None:
        (dim,) = _axes.defined_sizes([self.axis], input_shape, self)
        if self.groups == -1:
            self.groups = dim
        if dim < self.groups:
            raise ValueError(
                f"{_axes.owner(self)}: the number of groups ({self.groups}) cannot be more than "
                f"the number of channels ({dim}). Received input shape {tuple(input_shape)}"
            )
        if dim % self.groups:
            raise ValueError(
                f"{_axes.owner(self)}: the number of channels ({dim}) must be a multiple of the "
                f"number of groups ({self.groups}). Received input shape {tuple(input_shape)}"
            )
        self.gamma = None
        self.beta = None
        if self.scale:
            self.gamma = self.add_weight(
                autocast=False,
                name="gamma",
                shape=(dim,),
                initializer=self.gamma_initializer,
                regularizer=self.gamma_regularizer,
                constraint=self.gamma_constraint,
            )
        if self.center:
            self.beta = self.add_weight(
                autocast=False,
                name="beta",
                shape=(dim,),
                initializer=self.beta_initializer,
                regularizer=self.beta_regularizer,
                constraint=self.beta_constraint,
            )
        self.input_spec = InputSpec(ndim=len(input_shape), axes={self.axis: dim})

    def call(self, inputs: Any) -> jax.Array:
        return _group_norm(
            inputs,
            None if self.gamma is None else self.gamma.value,
            None if self.beta is None else self.beta.value,
            axis=self.axis % jnp.ndim(inputs),
            groups=self.groups,
            epsilon=self.epsilon,
            dtype=self.compute_dtype,
        )

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        _axes.check_axes(self.axis, input_shape, self)
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "groups": self.groups,
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": constraints.serialize(self.beta_constraint),
            "gamma_constraint": constraints.serialize(self.gamma_constraint),
        }
