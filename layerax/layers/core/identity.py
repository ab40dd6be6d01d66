"""Identity and Masking: layers that pass their inputs through."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from layerax.core.layer import Layer
from layerax.layers._args import build_at_init


class Identity(Layer):
    """Returns its inputs unchanged (any structure of arrays); masks pass through.

    Input shape:
        Any.

    Output shape:
        Same as the input.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> lx.layers.Identity()(jnp.arange(3.0)).tolist()
        [0.0, 1.0, 2.0]
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True
        build_at_init(self)

    def call(self, inputs: Any) -> Any:
        return inputs

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return super().get_config()


class Masking(Layer):
    """Masks the timesteps whose features all equal `mask_value`.

    For inputs of shape `(batch, timesteps, features)`, a timestep is masked
    when every feature equals `mask_value`: its output is zeroed and the mask
    produced by `compute_mask` (`(batch, timesteps)`) is False there, so that
    mask-consuming layers downstream skip it.

    Args:
        mask_value: The padding value.

    Input shape:
        `(batch, ..., features)`.

    Output shape:
        Same as the input.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> x = jnp.array([[[1.0, 2.0], [0.0, 0.0], [3.0, 0.0]]])
        >>> layer = lx.layers.Masking(mask_value=0.0)
        >>> layer.compute_mask(x).tolist()
        [[True, False, True]]
        >>> layer(x)[0, 2].tolist()
        [3.0, 0.0]
    """

    def __init__(self, mask_value: Any = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(mask_value, dict) and "config" in mask_value:
            # A serialized array (Keras writes non-scalar mask values this way).
            mask_value = mask_value["config"].get("value", mask_value["config"])
        self.mask_value = mask_value
        self.supports_masking = True
        build_at_init(self)

    def _keep(self, inputs: Any, keepdims: bool) -> jax.Array:
        return jnp.any(jnp.not_equal(inputs, jnp.asarray(self.mask_value)), axis=-1,
                       keepdims=keepdims)

    def call(self, inputs: Any) -> jax.Array:
        return jnp.where(self._keep(inputs, True), inputs, jnp.zeros((), inputs.dtype))

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> jax.Array:
        return self._keep(inputs, False)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        value = self.mask_value
        if hasattr(value, "tolist"):
            value = value.tolist()
        return {**super().get_config(), "mask_value": value}
