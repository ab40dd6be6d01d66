"""`TimeDistributed`: applies a layer to every time step of a sequence."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from layerax.core.input_spec import InputSpec
from layerax.core.layer import Layer
from layerax.layers.core.wrapper import Wrapper


class TimeDistributed(Wrapper):
    """Applies `layer` to every temporal slice (axis 1) of its input.

    The batch and time axes are merged, the layer runs once on
    `(batch * time, ...)`, and the result is split back, so the same weights
    serve every step (one call, no loop).

    Args:
        layer: The layer to apply at each step.

    Call arguments:
        inputs: `(batch, time, ...)` inputs.
        training: Passed to the wrapped layer.
        mask: Optional `(batch, time, ...)` mask, passed to the wrapped layer
            step by step when it accepts one.

    Input shape:
        `(batch, time, *step_shape)`.

    Output shape:
        `(batch, time, *layer_output_shape[1:])`.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> layer = lx.layers.TimeDistributed(lx.layers.Dense(4, name="dense"), name="td")
        >>> layer(jnp.ones((2, 5, 3))).shape, [w.path for w in layer.weights]
        ((2, 5, 4), ['td/dense/kernel', 'td/dense/bias'])
    """

    def __init__(self, layer: Layer, **kwargs: Any) -> None:
        if not isinstance(layer, Layer):
            raise ValueError(
                "Please initialize `TimeDistributed` with a `lx.layers.Layer` instance. "
                f"Received: {layer!r}"
            )
        super().__init__(layer, **kwargs)
        self.supports_masking = True
        self.input_spec = InputSpec(min_ndim=3)

    def _child_shape(self, input_shape: Any) -> tuple[Any, ...]:
        if not isinstance(input_shape, (tuple, list)) or len(input_shape) < 3:
            raise ValueError(
                f"Layer '{self.name}' (TimeDistributed) expects inputs with at least 3 "
                "dimensions (batch, time, ...). Received input shape: "
                f"{input_shape}"
            )
        return (input_shape[0], *tuple(input_shape)[2:])

    def build(self, input_shape: Any) -> None:
        child = self._child_shape(tuple(input_shape))
        if not self.layer.built:
            self.layer.build(child)

    def call(self, inputs: Any, training: Any = None, mask: Any = None) -> Any:
        inputs = jnp.asarray(inputs)
        batch, steps = inputs.shape[0], inputs.shape[1]
        merged = jnp.reshape(inputs, (batch * steps, *inputs.shape[2:]))
        kwargs: dict[str, Any] = {}
        if training is not None:
            kwargs["training"] = training
        if mask is not None:
            mask = jnp.asarray(mask)
            if mask.ndim < 2 or tuple(mask.shape[:2]) != (batch, steps):
                raise ValueError(
                    f"The mask passed to layer '{self.name}' (TimeDistributed) has shape "
                    f"{tuple(mask.shape)}, incompatible with the input shape "
                    f"{tuple(inputs.shape)}: its first two dimensions must be (batch, time) = "
                    f"{(batch, steps)}."
                )
            kwargs["mask"] = jnp.reshape(mask, (batch * steps, *mask.shape[2:]))
        outputs = self.layer(merged, **kwargs)
        return jax.tree.map(
            lambda o: jnp.reshape(o, (batch, steps, *o.shape[1:])), outputs
        )

    def compute_output_shape(self, input_shape: Any) -> Any:
        input_shape = tuple(input_shape)
        child_out = self.layer.compute_output_shape(self._child_shape(input_shape))
        return (child_out[0], input_shape[1], *tuple(child_out)[1:])


__all__ = ["TimeDistributed"]
