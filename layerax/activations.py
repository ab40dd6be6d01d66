"""Activation functions with Keras 3's names and formulas."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from layerax.core import registry, serialization
from layerax.core.variable import Variable
from layerax.ops import nn as _ops_nn


_HALF = (jnp.dtype(jnp.float16), jnp.dtype(jnp.bfloat16))


def _x(x: Any) -> Any:
    return x.value if isinstance(x, Variable) else jnp.asarray(x)


def _unwrap(x: Any) -> Any:
    """A variable's value; anything else unchanged (the ops convert it, or trace it symbolically)."""
    return x.value if isinstance(x, Variable) else x


@registry.register("activations")
def relu(x: Any, negative_slope: float = 0.0, max_value: float | None = None, threshold: float = 0.0) -> jax.Array:
    """Rectified linear unit, with Keras' optional slope, cap and threshold.

    Example:
        >>> import layerax as lx
        >>> lx.activations.relu([-1.0, 0.5, 9.0], max_value=6.0).tolist()
        [0.0, 0.5, 6.0]
    """
    x = _x(x)
    if negative_slope == 0.0 and max_value is None and threshold == 0.0:
        return jax.nn.relu(x)
    if negative_slope != 0.0 and max_value is None and threshold == 0.0:
        return jax.nn.leaky_relu(x, negative_slope)
    # Keras' formula: the thresholded (and capped) positive part, minus the sloped negative part.
    negative_part = jax.nn.relu(threshold - x) if negative_slope != 0.0 else None
    if threshold != 0.0:
        y = x * (x > threshold).astype(x.dtype)
    else:
        y = jax.nn.relu(x)
    if max_value is not None:
        y = jnp.clip(y, 0.0, max_value)
    if negative_part is not None:
        y = y - negative_slope * negative_part
    return y


@registry.register("activations")
def relu6(x: Any) -> jax.Array:
    """`min(max(x, 0), 6)`.

    Example:
        >>> import layerax as lx
        >>> lx.activations.relu6([-1.0, 7.0]).tolist()
        [0.0, 6.0]
    """
    return jax.nn.relu6(_x(x))


@registry.register("activations")
def leaky_relu(x: Any, negative_slope: float = 0.2) -> jax.Array:
    """`x` if positive else `negative_slope * x`.

    Example:
        >>> import layerax as lx
        >>> lx.activations.leaky_relu([-1.0, 1.0]).tolist()
        [-0.20000000298023224, 1.0]
    """
    return jax.nn.leaky_relu(_x(x), negative_slope)


@registry.register("activations")
def elu(x: Any, alpha: float = 1.0) -> jax.Array:
    """Exponential linear unit.

    Example:
        >>> import layerax as lx
        >>> round(float(lx.activations.elu([-1.0])[0]), 4)
        -0.6321
    """
    return jax.nn.elu(_x(x), alpha)


@registry.register("activations")
def selu(x: Any) -> jax.Array:
    """Scaled exponential linear unit.

    Example:
        >>> import layerax as lx
        >>> round(float(lx.activations.selu([1.0])[0]), 4)
        1.0507
    """
    return jax.nn.selu(_x(x))


@registry.register("activations")
def celu(x: Any, alpha: float = 1.0) -> jax.Array:
    """Continuously differentiable exponential linear unit.

    Example:
        >>> import layerax as lx
        >>> lx.activations.celu([2.0]).tolist()
        [2.0]
    """
    return jax.nn.celu(_x(x), alpha)


@registry.register("activations")
def gelu(x: Any, approximate: bool = False) -> jax.Array:
    """Gaussian error linear unit (exact by default, as in Keras).

    Example:
        >>> import layerax as lx
        >>> round(float(lx.activations.gelu([1.0])[0]), 4)
        0.8413
    """
    return jax.nn.gelu(_x(x), approximate=approximate)


@registry.register("activations", "swish")
def silu(x: Any) -> jax.Array:
    """`x * sigmoid(x)` (also called swish).

    Example:
        >>> import layerax as lx
        >>> round(float(lx.activations.silu([1.0])[0]), 4)
        0.7311
    """
    return jax.nn.silu(_x(x))


swish = silu


@registry.register("activations")
def sigmoid(x: Any) -> jax.Array:
    """Logistic sigmoid.

    Example:
        >>> import layerax as lx
        >>> lx.activations.sigmoid([0.0]).tolist()
        [0.5]
    """
    return jax.nn.sigmoid(_x(x))


@registry.register("activations")
def hard_sigmoid(x: Any) -> jax.Array:
    """`relu6(x + 3) / 6`, a piecewise-linear sigmoid.

    Example:
        >>> import layerax as lx
        >>> lx.activations.hard_sigmoid([-4.0, 0.0, 4.0]).tolist()
        [0.0, 0.5, 1.0]
    """
    return jax.nn.hard_sigmoid(_x(x))


@registry.register("activations", "hard_swish")
def hard_silu(x: Any) -> jax.Array:
    """`x * hard_sigmoid(x)` (also called hard swish).

    Example:
        >>> import layerax as lx
        >>> lx.activations.hard_silu([4.0]).tolist()
        [4.0]
    """
    return jax.nn.hard_silu(_x(x))


hard_swish = hard_silu


@registry.register("activations")
def hard_tanh(x: Any) -> jax.Array:
    """`clip(x, -1, 1)`.

    Example:
        >>> import layerax as lx
        >>> lx.activations.hard_tanh([-3.0, 0.5]).tolist()
        [-1.0, 0.5]
    """
    return jax.nn.hard_tanh(_x(x))


@registry.register("activations")
def tanh(x: Any) -> jax.Array:
    """Hyperbolic tangent.

    Example:
        >>> import layerax as lx
        >>> lx.activations.tanh([0.0]).tolist()
        [0.0]
    """
    return jnp.tanh(_x(x))


@registry.register("activations")
def softmax(x: Any, axis: int = -1) -> jax.Array:
    """Softmax along `axis` (computed in float32 for float16/bfloat16 inputs).

    Example:
        >>> import layerax as lx
        >>> lx.activations.softmax([0.0, 0.0]).tolist()
        [0.5, 0.5]
    """
    x = _x(x)
    if x.dtype in _HALF:
        # Mixed precision: exp and normalisation in float32, result in the input dtype.
        return jax.nn.softmax(x.astype(jnp.float32), axis=axis).astype(x.dtype)
    return jax.nn.softmax(x, axis=axis)


@registry.register("activations")
def log_softmax(x: Any, axis: int = -1) -> jax.Array:
    """Log of the softmax along `axis` (computed in float32 for float16/bfloat16 inputs).

    Example:
        >>> import layerax as lx
        >>> round(float(lx.activations.log_softmax([0.0, 0.0])[0]), 4)
        -0.6931
    """
    x = _x(x)
    if x.dtype in _HALF:
        return jax.nn.log_softmax(x.astype(jnp.float32), axis=axis).astype(x.dtype)
    return jax.nn.log_softmax(x, axis=axis)


@registry.register("activations")
def log_sigmoid(x: Any) -> jax.Array:
    """Log of the sigmoid.

    Example:
        >>> import layerax as lx
        >>> round(float(lx.activations.log_sigmoid([0.0])[0]), 4)
        -0.6931
    """
    return jax.nn.log_sigmoid(_x(x))


@registry.register("activations")
def softplus(x: Any) -> jax.Array:
    """`log(1 + exp(x))`.

    Example:
        >>> import layerax as lx
        >>> round(float(lx.activations.softplus([0.0])[0]), 4)
        0.6931
    """
    return jax.nn.softplus(_x(x))


@registry.register("activations")
def softsign(x: Any) -> jax.Array:
    """`x / (1 + |x|)`.

    Example:
        >>> import layerax as lx
        >>> lx.activations.softsign([1.0]).tolist()
        [0.5]
    """
    return jax.nn.soft_sign(_x(x))


@registry.register("activations")
def exponential(x: Any) -> jax.Array:
    """`exp(x)`.

    Example:
        >>> import layerax as lx
        >>> lx.activations.exponential([0.0]).tolist()
        [1.0]
    """
    return jnp.exp(_x(x))


@registry.register("activations")
def linear(x: Any) -> Any:
    """Identity: returns its input unchanged.

    Example:
        >>> import layerax as lx
        >>> lx.activations.linear(3.0)
        3.0
    """
    return x


@registry.register("activations")
def mish(x: Any) -> jax.Array:
    """`x * tanh(softplus(x))`.

    Example:
        >>> import layerax as lx
        >>> lx.activations.mish([0.0]).tolist()
        [0.0]
    """
    x = _x(x)
    return x * jnp.tanh(jax.nn.softplus(x))


@registry.register("activations")
def glu(x: Any, axis: int = -1) -> jax.Array:
    """Gated linear unit: `a * sigmoid(b)` for the two halves of `x` along `axis`.

    Example:
        >>> import layerax as lx
        >>> lx.activations.glu([2.0, 0.0]).tolist()
        [1.0]
    """
    return jax.nn.glu(_x(x), axis=axis)


# The shrink, sparse and thresholding activations reuse `lx.ops.nn` (looked up at call time, so
# that the functional API's symbolic tensors go through the ops' symbolic wrappers).


@registry.register("activations")
def hard_shrink(x: Any, threshold: float = 0.5) -> jax.Array:
    """`x` where `|x| > threshold`, else 0.

    Example:
        >>> import layerax as lx
        >>> lx.activations.hard_shrink([-1.0, 0.25, 1.0]).tolist()
        [-1.0, 0.0, 1.0]
    """
    return _ops_nn.hard_shrink(_unwrap(x), threshold)


@registry.register("activations")
def soft_shrink(x: Any, threshold: float = 0.5) -> jax.Array:
    """Moves `x` towards 0 by `threshold`; values within `threshold` of 0 become 0.

    Example:
        >>> import layerax as lx
        >>> lx.activations.soft_shrink([-1.0, 0.25, 1.0]).tolist()
        [-0.5, 0.0, 0.5]
    """
    return _ops_nn.soft_shrink(_unwrap(x), threshold)


@registry.register("activations")
def tanh_shrink(x: Any) -> jax.Array:
    """`x - tanh(x)`.

    Example:
        >>> import layerax as lx
        >>> lx.activations.tanh_shrink([0.0]).tolist()
        [0.0]
    """
    return _ops_nn.tanh_shrink(_unwrap(x))


@registry.register("activations")
def threshold(x: Any, threshold: float, default_value: float) -> jax.Array:
    """`x` where `x > threshold`, else `default_value`.

    Example:
        >>> import layerax as lx
        >>> lx.activations.threshold([0.0, 2.0], threshold=1.0, default_value=-5.0).tolist()
        [-5.0, 2.0]
    """
    return _ops_nn.threshold(_unwrap(x), threshold, default_value)


@registry.register("activations")
def sparse_plus(x: Any) -> jax.Array:
    """A piecewise softplus: 0 below -1, `(x + 1)**2 / 4` on [-1, 1], `x` above.

    Example:
        >>> import layerax as lx
        >>> lx.activations.sparse_plus([-2.0, 0.0, 2.0]).tolist()
        [0.0, 0.25, 2.0]
    """
    return _ops_nn.sparse_plus(_unwrap(x))


@registry.register("activations")
def sparse_sigmoid(x: Any) -> jax.Array:
    """A piecewise-linear sigmoid: 0 below -1, `(x + 1) / 2` on [-1, 1], 1 above.

    Example:
        >>> import layerax as lx
        >>> lx.activations.sparse_sigmoid([-2.0, 0.0, 2.0]).tolist()
        [0.0, 0.5, 1.0]
    """
    return _ops_nn.sparse_sigmoid(_unwrap(x))


@registry.register("activations")
def squareplus(x: Any, b: float = 4) -> jax.Array:
    """`(x + sqrt(x**2 + b)) / 2`, a smooth, algebraic softplus.

    Example:
        >>> import layerax as lx
        >>> lx.activations.squareplus([0.0]).tolist()
        [1.0]
    """
    return _ops_nn.squareplus(_unwrap(x), b)


@registry.register("activations")
def sparsemax(x: Any, axis: int = -1) -> jax.Array:
    """Sparse softmax: the Euclidean projection of `x` onto the probability simplex along `axis`.

    Unlike softmax, small scores get exactly zero probability.

    Example:
        >>> import layerax as lx
        >>> lx.activations.sparsemax([0.0, 0.5, 3.0]).tolist()
        [0.0, 0.0, 1.0]
    """
    return _ops_nn.sparsemax(_unwrap(x), axis=axis)


def get(identifier: Any) -> Any:
    """Returns an activation function from its name, or a callable unchanged; None gives `linear`.

    Example:
        >>> import layerax as lx
        >>> lx.activations.get("relu").__name__
        'relu'
    """
    if identifier is None:
        return linear
    return serialization.resolve(identifier, "activation", "activations", instantiate=False)


def serialize(activation: Any) -> Any:
    """The name of an activation function (or the config of an activation object).

    Example:
        >>> import layerax as lx
        >>> lx.activations.serialize(lx.activations.relu)
        'relu'
    """
    return serialization.serialize(activation, "activations")


def deserialize(config: Any, custom_objects: Any = None) -> Any:
    """Inverse of `serialize`.

    Example:
        >>> import layerax as lx
        >>> lx.activations.deserialize("tanh") is lx.activations.tanh
        True
    """
    return serialization.deserialize(
        config, "activation", "activations", custom_objects=custom_objects, instantiate=False
    )


__all__ = sorted([*registry.entries("activations"), "get", "serialize", "deserialize"])
