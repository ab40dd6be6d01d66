"""Activation layers: Activation, ReLU, LeakyReLU, PReLU, ELU, Softmax."""

from __future__ import annotations

import warnings
from typing import Any

import jax
import jax.numpy as jnp

from layerax import activations, constraints, initializers, regularizers
from layerax.core.input_spec import InputSpec
from layerax.core.layer import Layer
from layerax.layers._args import build_at_init


class Activation(Layer):
    """Applies an activation function to its input.

    Args:
        activation: Name of an activation (`"relu"`, ...) or a callable.

    Input shape:
        Any.

    Output shape:
        Same as the input.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> lx.layers.Activation("relu")(jnp.array([-1.0, 2.0])).tolist()
        [0.0, 2.0]
    """

    def __init__(self, activation: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True
        self.activation = activations.get(activation)
        build_at_init(self)

    def call(self, inputs: Any) -> jax.Array:
        return self.activation(inputs)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "activation": activations.serialize(self.activation)}


class ReLU(Layer):
    """Rectified linear unit with Keras' optional cap, slope and threshold.

    `f(x) = min(x, max_value)` for `x > threshold`, and
    `negative_slope * (x - threshold)` otherwise.

    Args:
        max_value: Largest output (None: no cap); must be >= 0.
        negative_slope: Slope below the threshold; must be >= 0.
        threshold: Where the unit turns on; must be >= 0.

    Input shape:
        Any.

    Output shape:
        Same as the input.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> lx.layers.ReLU(max_value=1.0)(jnp.array([-1.0, 0.5, 2.0])).tolist()
        [0.0, 0.5, 1.0]
    """

    def __init__(
        self,
        max_value: float | None = None,
        negative_slope: float = 0.0,
        threshold: float = 0.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if max_value is not None and max_value < 0.0:
            raise ValueError(
                f"max_value of a ReLU layer cannot be a negative value. Received: "
                f"max_value={max_value}"
            )
        if negative_slope is None or negative_slope < 0.0:
            raise ValueError(
                "negative_slope of a ReLU layer cannot be None or a negative value. Received: "
                f"negative_slope={negative_slope}"
            )
        if threshold is None or threshold < 0.0:
            raise ValueError(
                "threshold of a ReLU layer cannot be None or a negative value. Received: "
                f"threshold={threshold}"
            )
        self.max_value = max_value
        self.negative_slope = negative_slope
        self.threshold = threshold
        self.supports_masking = True
        build_at_init(self)

    def call(self, inputs: Any) -> jax.Array:
        # Keras' formula, term by term, so that results (down to the sign of zeros) and
        # gradients at the kinks agree.
        x = jnp.asarray(inputs)
        slope, threshold, max_value = self.negative_slope, self.threshold, self.max_value
        if slope != 0 and max_value is None and threshold == 0:
            return jax.nn.leaky_relu(x, slope)
        negative = jax.nn.relu(threshold - x) if slope != 0 else None
        if threshold != 0:
            x = x * (x > threshold).astype(x.dtype)
        else:
            x = jax.nn.relu(x)
        if max_value is not None:
            x = jnp.clip(x, jnp.zeros((), x.dtype), jnp.asarray(max_value, x.dtype))
        if negative is not None:
            x = x - slope * negative
        return x

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "max_value": self.max_value,
            "negative_slope": self.negative_slope,
            "threshold": self.threshold,
        }


class LeakyReLU(Layer):
    """Leaky rectified linear unit: `x` if `x >= 0` else `negative_slope * x`.

    Args:
        negative_slope: Slope for negative inputs (>= 0; default 0.3). The
            deprecated Keras name `alpha` is accepted with a warning.

    Input shape:
        Any.

    Output shape:
        Same as the input.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> lx.layers.LeakyReLU(negative_slope=0.5)(jnp.array([-2.0, 3.0])).tolist()
        [-1.0, 3.0]
    """

    def __init__(self, negative_slope: float = 0.3, **kwargs: Any) -> None:
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
            warnings.warn(
                "Argument `alpha` of LeakyReLU is deprecated. Use `negative_slope` instead.",
                UserWarning,
                stacklevel=2,
            )
        super().__init__(**kwargs)
        if negative_slope is None or negative_slope < 0:
            raise ValueError(
                "The negative_slope value of a Leaky ReLU layer cannot be None or negative "
                f"value. Expected a float. Received: negative_slope={negative_slope}"
            )
        self.negative_slope = negative_slope
        self.supports_masking = True
        build_at_init(self)

    def call(self, inputs: Any) -> jax.Array:
        return activations.leaky_relu(inputs, negative_slope=self.negative_slope)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "negative_slope": self.negative_slope}


class PReLU(Layer):
    """Parametric ReLU: `x` if `x >= 0` else `alpha * x`, with a learned `alpha`.

    `alpha` has the input's shape without the batch axis; the axes listed in
    `shared_axes` get size 1 (one slope shared along them, e.g. `[1, 2]` for
    one slope per channel of an image).

    Args:
        alpha_initializer: Initializer of `alpha` (`"Zeros"`).
        alpha_regularizer: Regularizer of `alpha`.
        alpha_constraint: Constraint of `alpha`.
        shared_axes: Axis or axes (1-based, the batch axis is 0) sharing one slope.

    Input shape:
        Any, with known non-batch dimensions.

    Output shape:
        Same as the input.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> layer = lx.layers.PReLU(alpha_initializer=lx.initializers.Constant(0.5),
        ...                         shared_axes=[1])
        >>> layer(jnp.array([[[-2.0, 1.0], [4.0, -4.0]]])).tolist()
        [[[-1.0, 1.0], [4.0, -2.0]]]
        >>> layer.weights[0].shape
        (1, 2)
    """

    def __init__(
        self,
        alpha_initializer: Any = "Zeros",
        alpha_regularizer: Any = None,
        alpha_constraint: Any = None,
        shared_axes: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        if shared_axes is None:
            self.shared_axes = None
        elif not isinstance(shared_axes, (list, tuple)):
            self.shared_axes = [shared_axes]
        else:
            self.shared_axes = list(shared_axes)

    def build(self, input_shape: Any) -> None:
        input_shape = tuple(input_shape)
        rank = len(input_shape)
        shared = list(self.shared_axes or [])
        for axis in shared:
            if isinstance(axis, bool) or not isinstance(axis, int) or not 1 <= axis < rank:
                raise ValueError(
                    f"Layer '{self.name}': every entry of `shared_axes` must be a non-batch axis "
                    f"(an int in [1, {rank - 1}]) of the input, which has shape {input_shape}. "
                    f"Received: shared_axes={self.shared_axes}"
                )
        param_shape = [1 if i in shared else input_shape[i] for i in range(1, rank)]
        if any(d is None for d in param_shape):
            raise ValueError(
                f"Layer '{self.name}' needs known sizes for the non-batch axes it does not "
                f"share. Received input shape: {input_shape}; shared_axes={self.shared_axes}"
            )
        self.alpha = self.add_weight(
            shape=tuple(param_shape),
            name="alpha",
            initializer=self.alpha_initializer,
            regularizer=self.alpha_regularizer,
            constraint=self.alpha_constraint,
        )
        axes = {i: input_shape[i] for i in range(1, rank) if i not in shared}
        self.input_spec = InputSpec(ndim=rank, axes=axes)

    def call(self, inputs: Any) -> jax.Array:
        return jax.nn.relu(inputs) - self.alpha.value * jax.nn.relu(-inputs)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "alpha_initializer": initializers.serialize(self.alpha_initializer),
            "alpha_regularizer": regularizers.serialize(self.alpha_regularizer),
            "alpha_constraint": constraints.serialize(self.alpha_constraint),
            "shared_axes": list(self.shared_axes) if self.shared_axes is not None else None,
        }


class ELU(Layer):
    """Exponential linear unit: `x` if `x > 0` else `alpha * (exp(x) - 1)`.

    Args:
        alpha: Scale of the negative part.

    Input shape:
        Any.

    Output shape:
        Same as the input.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> [round(v, 4) for v in lx.layers.ELU(alpha=2.0)(jnp.array([-1.0, 1.0])).tolist()]
        [-1.2642, 1.0]
    """

    def __init__(self, alpha: float = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.alpha = alpha
        self.supports_masking = True
        build_at_init(self)

    def call(self, inputs: Any) -> jax.Array:
        return activations.elu(inputs, alpha=self.alpha)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "alpha": self.alpha}


def _large_negative(dtype: Any) -> float:
    # float16 cannot hold -1e9; Keras uses -3e4 there.
    return -30000.0 if jnp.dtype(dtype) == jnp.float16 else -1e9


class Softmax(Layer):
    """Softmax over `axis`; masked positions get probability 0.

    Args:
        axis: Axis, or list of axes, normalized over.

    Call arguments:
        inputs: The logits.
        mask: Optional boolean mask broadcastable to `inputs` (True = keep).
            Masked positions are excluded from the normalization and their output is 0.

    Input shape:
        Any.

    Output shape:
        Same as the input.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> layer = lx.layers.Softmax()
        >>> layer(jnp.array([[1.0, 1.0, 5.0]]), mask=jnp.array([[True, True, False]])).tolist()
        [[0.5, 0.5, 0.0]]
    """

    def __init__(self, axis: Any = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axis = list(axis) if isinstance(axis, (list, tuple)) else axis
        self.supports_masking = True
        build_at_init(self)

    def call(self, inputs: Any, mask: Any = None) -> jax.Array:
        inputs = jnp.asarray(inputs)
        if mask is not None:
            mask = jnp.asarray(mask)
            if mask.ndim > inputs.ndim or any(
                m != 1 and m != i for m, i in zip(mask.shape[::-1], inputs.shape[::-1])
            ):
                raise ValueError(
                    f"Layer '{self.name}': the `mask` must be broadcastable to the inputs (each "
                    "mask dimension 1 or equal to the input's, no more dimensions). Received: "
                    f"inputs.shape={inputs.shape}, mask.shape={mask.shape}"
                )
            if mask.dtype != jnp.bool_:
                mask = mask > 0.5
            inputs = jnp.where(mask, inputs, jnp.asarray(_large_negative(inputs.dtype),
                                                         inputs.dtype))
        axis = tuple(self.axis) if isinstance(self.axis, list) else self.axis
        if inputs.dtype in (jnp.float16, jnp.bfloat16):
            # Mixed precision: the normalisation in float32, the result in the compute dtype.
            outputs = jax.nn.softmax(inputs.astype(jnp.float32), axis=axis).astype(inputs.dtype)
        else:
            outputs = jax.nn.softmax(inputs, axis=axis)
        if mask is not None:
            outputs = jnp.where(mask, outputs, jnp.zeros((), outputs.dtype))
        return outputs

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axis": self.axis}
