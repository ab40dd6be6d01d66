"""Per-example normalizations: LayerNormalization, RMSNormalization, UnitNormalization."""

from __future__ import annotations

import functools
import warnings
from typing import Any

import jax
import jax.numpy as jnp

from layerax import constraints, initializers, regularizers
from layerax.core.layer import Layer
from layerax.layers.normalization import _axes


def _as_float(x: Any) -> jax.Array:
    """`x` in at least float32: statistics in half precision lose too much."""
    x = jnp.asarray(x)
    return x.astype(jnp.result_type(x.dtype, jnp.float32))


def _param(value: jax.Array, axes: tuple[int, ...], x: jax.Array) -> jax.Array:
    """A parameter stored in (sorted) `axes` order, laid out on those axes of `x`.

    A plain reshape, as Keras does (so `axis=[-1, 1]` keeps Keras' weight layout).
    """
    shape = _axes.broadcast_shape(list(axes), tuple(x.shape[a] for a in axes), x.ndim)
    return jnp.reshape(value.astype(x.dtype), shape)


# The computations, as pure jitted functions: an eager call is one compiled program.
@functools.partial(jax.jit, static_argnames=("axes", "epsilon", "rms_scaling", "dtype"))
def _layer_norm(x: Any, gamma: Any, beta: Any, *, axes: tuple[int, ...], epsilon: float,
                rms_scaling: bool, dtype: str) -> jax.Array:
    x = _as_float(x)
    if rms_scaling:
        outputs = x * jax.lax.rsqrt(jnp.var(x, axis=axes, keepdims=True) + epsilon)
        if gamma is not None:
            outputs = outputs * _param(gamma, axes, x)
        return outputs.astype(dtype)
    mean = jnp.mean(x, axis=axes, keepdims=True)
    inv = jax.lax.rsqrt(jnp.var(x, axis=axes, keepdims=True) + epsilon)
    if gamma is not None:
        inv = inv * _param(gamma, axes, x)
    offset = -mean * inv
    if beta is not None:
        offset = offset + _param(beta, axes, x)
    return (x * inv + offset).astype(dtype)


@functools.partial(jax.jit, static_argnames=("axes", "epsilon"))
def _rms_norm(x: Any, scale: Any, *, axes: tuple[int, ...], epsilon: float) -> jax.Array:
    original = jnp.asarray(x).dtype
    x = _as_float(x)
    inv_rms = jax.lax.rsqrt(jnp.mean(jnp.square(x), axis=axes, keepdims=True) + epsilon)
    outputs = x * inv_rms * _param(scale, axes, x)
    # Back to the input's dtype, as Keras does (integer inputs stay floating).
    return outputs.astype(original if jnp.issubdtype(original, jnp.floating) else x.dtype)


@functools.partial(jax.jit, static_argnames=("axes", "dtype"))
def _unit_norm(x: Any, *, axes: tuple[int, ...], dtype: str) -> jax.Array:
    x = jnp.asarray(x)
    if not jnp.issubdtype(x.dtype, jnp.floating):
        x = x.astype(dtype)
    inv_norm = jax.lax.rsqrt(jnp.sum(jnp.square(x), axis=axes, keepdims=True))
    return x * jnp.minimum(inv_norm, 1e12)


class LayerNormalization(Layer):
    """Normalizes each example over `axis` (the features), then scales and shifts.

    `outputs = gamma * (inputs - mean) / sqrt(variance + epsilon) + beta`,
    with `mean`/`variance` taken over `axis` for each example separately.

    Args:
        axis: Axis or list of axes to normalize over (`-1`). `gamma` and
            `beta` have the sizes of these axes.
        epsilon: Added to the variance to avoid dividing by zero.
        center: Whether to add the learned offset `beta`.
        scale: Whether to multiply by the learned scale `gamma`.
        beta_initializer: Initializer of `beta` (`"zeros"`).
        gamma_initializer: Initializer of `gamma` (`"ones"`).
        beta_regularizer: Regularizer of `beta`.
        gamma_regularizer: Regularizer of `gamma`.
        beta_constraint: Constraint of `beta`.
        gamma_constraint: Constraint of `gamma`.
        rms_scaling: Deprecated in Keras 3 (and warned about likewise): divide
            by `sqrt(variance + epsilon)` without centering, scale by `gamma`,
            no `beta`. Use `RMSNormalization` for a true RMS norm.

    Input shape:
        Arbitrary.

    Output shape:
        Same as the input.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> layer = lx.layers.LayerNormalization(epsilon=0.0)
        >>> layer(jnp.array([[1.0, 3.0]]))
        Array([[-1.,  1.]], dtype=float32)
        >>> [w.name for w in layer.weights]
        ['gamma', 'beta']
    """

    def __init__(
        self,
        axis: Any = -1,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        beta_initializer: Any = "zeros",
        gamma_initializer: Any = "ones",
        beta_regularizer: Any = None,
        gamma_regularizer: Any = None,
        beta_constraint: Any = None,
        gamma_constraint: Any = None,
        rms_scaling: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        # As in Keras: statistics in float32 from the uncast input; output in the
        # compute dtype.
        self.autocast = False
        if rms_scaling:
            warnings.warn(
                "You passed `rms_scaling=True`, which is deprecated (as in Keras 3): it scales "
                "the input by the variance, not the root mean square. For RMS normalization, "
                "use `lx.layers.RMSNormalization` instead.",
                stacklevel=2,
            )
        self.axis = _axes.axis_list(axis, self)
        self.epsilon = epsilon
        self.center = bool(center)
        self.scale = bool(scale)
        self.rms_scaling = bool(rms_scaling)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.supports_masking = True

    def build(self, input_shape: Any) -> None:
        # Keras sorts the axes as given (negative ones first): the weight shapes follow that order.
        self.axis = sorted(self.axis) if isinstance(self.axis, list) else [self.axis]
        shape = _axes.defined_sizes(self.axis, input_shape, self)
        self.gamma = None
        self.beta = None
        if self.scale or self.rms_scaling:
            self.gamma = self.add_weight(
                autocast=False,
                name="gamma",
                shape=shape,
                initializer=self.gamma_initializer,
                regularizer=self.gamma_regularizer,
                constraint=self.gamma_constraint,
            )
        if self.center and not self.rms_scaling:
            self.beta = self.add_weight(
                autocast=False,
                name="beta",
                shape=shape,
                initializer=self.beta_initializer,
                regularizer=self.beta_regularizer,
                constraint=self.beta_constraint,
            )
        self.input_spec = _axes.axes_spec(self.axis, shape)

    def call(self, inputs: Any) -> jax.Array:
        return _layer_norm(
            inputs,
            None if self.gamma is None else self.gamma.value,
            None if self.beta is None else self.beta.value,
            axes=tuple(self.axis),
            epsilon=self.epsilon,
            rms_scaling=self.rms_scaling,
            dtype=self.compute_dtype,
        )

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        _axes.check_axes(self.axis, input_shape, self)
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "rms_scaling": self.rms_scaling,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": constraints.serialize(self.beta_constraint),
            "gamma_constraint": constraints.serialize(self.gamma_constraint),
        }


class RMSNormalization(Layer):
    """Root-mean-square normalization: `inputs / sqrt(mean(inputs**2) + epsilon) * scale`.

    The mean is taken over `axis` for each example; no centering, no offset
    (Zhang & Sennrich, 2019).

    Args:
        axis: Axis or list of axes to normalize over (`-1`).
        epsilon: Added to the mean square to avoid dividing by zero (`1e-6`).

    Weights:
        `scale` (initialized to ones) with the sizes of `axis`.

    Input shape:
        Arbitrary.

    Output shape:
        Same as the input.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> layer = lx.layers.RMSNormalization(epsilon=0.0)
        >>> layer(jnp.array([[2.0, -2.0, 2.0, -2.0]]))
        Array([[ 1., -1.,  1., -1.]], dtype=float32)
    """

    def __init__(self, axis: Any = -1, epsilon: float = 1e-6, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axis = _axes.axis_list(axis, self)
        self.epsilon = epsilon

    def build(self, input_shape: Any) -> None:
        self.axis = sorted(self.axis) if isinstance(self.axis, list) else [self.axis]
        shape = _axes.defined_sizes(self.axis, input_shape, self)
        self.scale = self.add_weight(name="scale", shape=shape, initializer="ones")
        self.input_spec = _axes.axes_spec(self.axis, shape)

    def call(self, inputs: Any) -> jax.Array:
        return _rms_norm(inputs, self.scale.value, axes=tuple(self.axis), epsilon=self.epsilon)

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        _axes.check_axes(self.axis, input_shape, self)
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon}


class UnitNormalization(Layer):
    """Scales each example to unit L2 norm over `axis`.

    `outputs = inputs / max(||inputs||, 1e-12)` with the norm taken over
    `axis` (computed as `inputs * min(rsqrt(sum(inputs**2)), 1e12)`).

    Args:
        axis: Axis or list of axes of the norm (`-1`).

    Input shape:
        Arbitrary.

    Output shape:
        Same as the input.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> lx.layers.UnitNormalization()(jnp.array([[3.0, 4.0]]))
        Array([[0.6, 0.8]], dtype=float32)
    """

    def __init__(self, axis: Any = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axis = _axes.axis_list(axis, self)
        self.supports_masking = True

    def call(self, inputs: Any) -> jax.Array:
        _axes.check_axes(self.axis, jnp.shape(inputs), self)
        axes = (self.axis,) if isinstance(self.axis, int) else tuple(self.axis)
        return _unit_norm(inputs, axes=axes, dtype=self.compute_dtype)

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        _axes.check_axes(self.axis, input_shape, self)
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axis": self.axis}
