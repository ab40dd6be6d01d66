"""`Rescaling`: multiplies by `scale` and adds `offset`."""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp
import numpy as np

from layerax import config as _config
from layerax.core.layer import Layer


def _plain(value: Any) -> Any:
    if isinstance(value, (np.ndarray, jnp.ndarray)) or hasattr(value, "__array__"):
        array = np.asarray(value)
        return array.item() if array.ndim == 0 else array.tolist()
    return value


class Rescaling(Layer):
    """Rescales the inputs: `inputs * scale + offset`, in the compute dtype.

    `Rescaling(1 / 255)` maps `[0, 255]` pixels to `[0, 1]`;
    `Rescaling(1 / 127.5, offset=-1)` maps them to `[-1, 1]`. A per-channel
    `scale` (a list) is broadcast along the channel axis of
    `lx.config.image_data_format()`.

    Args:
        scale: The scale (a float, or one float per channel).
        offset: The offset (a float, or one per channel).
        **kwargs: Base layer arguments.

    Input shape:
        Any.

    Output shape:
        Same as the input.

    Example:
        >>> import layerax as lx, numpy as np
        >>> lx.layers.Rescaling(0.5)(np.array([[0, 51, 255]], np.uint8)).tolist()
        [[0.0, 25.5, 127.5]]
    """

    def __init__(self, scale: Any, offset: Any = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scale = _plain(scale)
        self.offset = _plain(offset)
        self.supports_masking = True
        self.built = True

    def call(self, inputs: Any) -> Any:
        dtype = self.compute_dtype
        scale = jnp.asarray(self.scale, dtype)
        offset = jnp.asarray(self.offset, dtype)
        if scale.ndim > 0 and _config.image_data_format() == "channels_first":
            scale = scale.reshape(scale.shape + (1,) * (3 - scale.ndim))
        return jnp.asarray(inputs).astype(dtype) * scale + offset

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "scale": self.scale, "offset": self.offset}
