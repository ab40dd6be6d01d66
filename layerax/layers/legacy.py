"""Keras-1-era dense layers that Keras 3 no longer has: Highway and MaxoutDense.

They keep their Keras 1 arguments (`init`, `W_regularizer`, `bias`, ...) and
weight names (`W`, `b`, ...), so Keras 1 code ports by changing imports. Keras
3 has no counterpart to compare with; the tests check them against their
defining formulas.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from layerax import activations, constraints, initializers, regularizers
from layerax.core.input_spec import InputSpec
from layerax.core.layer import Layer


class _Keras1Dense(Layer):
    """Shared argument handling of the Keras 1 dense layers."""

    def __init__(
        self,
        init: Any,
        weights: Any,
        W_regularizer: Any,
        b_regularizer: Any,
        activity_regularizer: Any,
        W_constraint: Any,
        b_constraint: Any,
        bias: bool,
        input_dim: int | None,
        **kwargs: Any,
    ) -> None:
        if input_dim is not None:
            kwargs["input_dim"] = input_dim
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.init = initializers.get(init)
        self.W_regularizer = regularizers.get(W_regularizer)
        self.b_regularizer = regularizers.get(b_regularizer)
        self.W_constraint = constraints.get(W_constraint)
        self.b_constraint = constraints.get(b_constraint)
        self.bias = bool(bias)
        self.input_dim = input_dim
        self._lx_initial_weights = weights
        self.input_spec = InputSpec(ndim=2)

    def _input_dim(self, input_shape: Any) -> int:
        input_shape = tuple(input_shape)
        if len(input_shape) != 2 or input_shape[-1] is None:
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}) expects inputs of shape "
                f"(batch, input_dim) with a known input_dim. Received input shape: {input_shape}"
            )
        return int(input_shape[-1])

    def _set_initial_weights(self) -> None:
        weights = self._lx_initial_weights
        if weights is not None:
            self.set_weights(weights)
            self._lx_initial_weights = None

    def _base_config(self) -> dict[str, Any]:
        return {
            **Layer.get_config(self),
            "init": initializers.serialize(self.init),
            "W_regularizer": regularizers.serialize(self.W_regularizer),
            "b_regularizer": regularizers.serialize(self.b_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "W_constraint": constraints.serialize(self.W_constraint),
            "b_constraint": constraints.serialize(self.b_constraint),
            "bias": self.bias,
            "input_dim": self.input_dim,
        }


class Highway(_Keras1Dense):
    """Densely connected highway layer (Keras 1): a gated mix of a transform and the input.

    `y = t * h(x @ W + b) + (1 - t) * x` with the transform gate
    `t = sigmoid(x @ W_carry + b_carry)`. `b_carry` starts at `transform_bias`
    (-2: the layer initially mostly carries its input through). Input and
    output have the same size. (Srivastava et al., 2015, "Highway Networks".)

    Args:
        init: Initializer of `W` and `W_carry`.
        transform_bias: Initial value of the gate bias `b_carry`.
        activation: The transform's activation `h` (None: linear).
        weights: Optional initial weights `[W, b, W_carry, b_carry]` (`[W, W_carry]`
            without bias).
        W_regularizer: Regularizer of `W` (the gate's `W_carry` is not regularized,
            as in Keras 1).
        b_regularizer: Regularizer of `b`.
        activity_regularizer: Regularizer of the output.
        W_constraint: Constraint of `W`.
        b_constraint: Constraint of `b`.
        bias: Whether to use the biases `b` and `b_carry`.
        input_dim: Optional input size (Keras 1 style).

    Input shape:
        `(batch, input_dim)`.

    Output shape:
        `(batch, input_dim)`.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> layer = lx.layers.Highway(activation="relu")
        >>> layer(jnp.ones((2, 4))).shape
        (2, 4)
        >>> [w.name for w in layer.weights]
        ['W', 'b', 'W_carry', 'b_carry']
        >>> layer.b_carry.numpy().tolist()
        [-2.0, -2.0, -2.0, -2.0]
    """

    def __init__(
        self,
        init: Any = "glorot_uniform",
        transform_bias: float = -2,
        activation: Any = None,
        weights: Any = None,
        W_regularizer: Any = None,
        b_regularizer: Any = None,
        activity_regularizer: Any = None,
        W_constraint: Any = None,
        b_constraint: Any = None,
        bias: bool = True,
        input_dim: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(init, weights, W_regularizer, b_regularizer, activity_regularizer,
                         W_constraint, b_constraint, bias, input_dim, **kwargs)
        self.transform_bias = transform_bias
        self.activation = activations.get(activation)

    def build(self, input_shape: Any) -> None:
        dim = self._input_dim(input_shape)
        self.W = self.add_weight(name="W", shape=(dim, dim), initializer=self.init,
                                 regularizer=self.W_regularizer, constraint=self.W_constraint)
        if self.bias:
            self.b = self.add_weight(name="b", shape=(dim,), initializer="zeros",
                                     regularizer=self.b_regularizer,
                                     constraint=self.b_constraint)
        self.W_carry = self.add_weight(name="W_carry", shape=(dim, dim), initializer=self.init)
        if self.bias:
            self.b_carry = self.add_weight(
                name="b_carry", shape=(dim,),
                initializer=initializers.Constant(float(self.transform_bias)),
            )
        else:
            self.b = self.b_carry = None
        self.input_spec = InputSpec(ndim=2, axes={-1: dim})
        self._set_initial_weights()

    def call(self, inputs: Any) -> jax.Array:
        gate = jnp.matmul(inputs, self.W_carry.value)
        transform = jnp.matmul(inputs, self.W.value)
        if self.bias:
            gate = gate + self.b_carry.value
            transform = transform + self.b.value
        t = jax.nn.sigmoid(gate)
        return t * self.activation(transform) + (1.0 - t) * inputs

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {
            **self._base_config(),
            "transform_bias": self.transform_bias,
            "activation": activations.serialize(self.activation),
        }


class MaxoutDense(_Keras1Dense):
    """Dense maxout layer (Keras 1): the element-wise maximum of `nb_feature` linear layers.

    `y = max_k (x @ W[k] + b[k])`, a learned convex piecewise-linear function
    (Goodfellow et al., 2013, "Maxout Networks"). It is linear per piece:
    add an activation afterwards only if you need one.

    Args:
        output_dim: Output size.
        nb_feature: Number of linear pieces.
        init: Initializer of `W`.
        weights: Optional initial weights `[W, b]` (`[W]` without bias).
        W_regularizer: Regularizer of `W`.
        b_regularizer: Regularizer of `b`.
        activity_regularizer: Regularizer of the output.
        W_constraint: Constraint of `W`.
        b_constraint: Constraint of `b`.
        bias: Whether to use the bias `b`.
        input_dim: Optional input size (Keras 1 style).

    Input shape:
        `(batch, input_dim)`.

    Output shape:
        `(batch, output_dim)`.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> layer = lx.layers.MaxoutDense(3, nb_feature=5)
        >>> layer(jnp.ones((2, 4))).shape
        (2, 3)
        >>> [w.shape for w in layer.weights]
        [(5, 4, 3), (5, 3)]
    """

    def __init__(
        self,
        output_dim: int,
        nb_feature: int = 4,
        init: Any = "glorot_uniform",
        weights: Any = None,
        W_regularizer: Any = None,
        b_regularizer: Any = None,
        activity_regularizer: Any = None,
        W_constraint: Any = None,
        b_constraint: Any = None,
        bias: bool = True,
        input_dim: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(init, weights, W_regularizer, b_regularizer, activity_regularizer,
                         W_constraint, b_constraint, bias, input_dim, **kwargs)
        for value, name in ((output_dim, "output_dim"), (nb_feature, "nb_feature")):
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(
                    f"Layer '{self.name}': `{name}` must be a positive integer. Received: "
                    f"{name}={value!r}"
                )
        self.output_dim = output_dim
        self.nb_feature = nb_feature

    def build(self, input_shape: Any) -> None:
        dim = self._input_dim(input_shape)
        self.W = self.add_weight(name="W", shape=(self.nb_feature, dim, self.output_dim),
                                 initializer=self.init, regularizer=self.W_regularizer,
                                 constraint=self.W_constraint)
        if self.bias:
            self.b = self.add_weight(name="b", shape=(self.nb_feature, self.output_dim),
                                     initializer="zeros", regularizer=self.b_regularizer,
                                     constraint=self.b_constraint)
        else:
            self.b = None
        self.input_spec = InputSpec(ndim=2, axes={-1: dim})
        self._set_initial_weights()

    def call(self, inputs: Any) -> jax.Array:
        # (batch, input_dim) x (pieces, input_dim, output_dim) -> (batch, pieces, output_dim)
        pieces = jnp.einsum("bi,kio->bko", inputs, self.W.value)
        if self.b is not None:
            pieces = pieces + self.b.value
        return jnp.max(pieces, axis=1)

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        return (tuple(input_shape)[0], self.output_dim)

    def get_config(self) -> dict[str, Any]:
        return {**self._base_config(), "output_dim": self.output_dim,
                "nb_feature": self.nb_feature}
