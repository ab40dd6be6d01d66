"""UpSampling1D, UpSampling2D and UpSampling3D."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from layerax import config as _config
from layerax.core.input_spec import InputSpec
from layerax.core.layer import Layer
from layerax.layers._args import standardize_tuple

_INTERPOLATIONS = ("nearest", "bilinear", "bicubic", "lanczos3", "lanczos5")


def _spatial_axes(data_format: str, n: int) -> tuple[int, ...]:
    start = 2 if data_format == "channels_first" else 1
    return tuple(range(start, start + n))


def _scaled(shape: Any, axes: tuple[int, ...], factors: tuple[int, ...]) -> tuple[Any, ...]:
    out = list(shape)
    for axis, factor in zip(axes, factors):
        out[axis] = None if out[axis] is None else out[axis] * factor
    return tuple(out)


def _repeat(x: jax.Array, axes: tuple[int, ...], factors: tuple[int, ...]) -> jax.Array:
    for axis, factor in zip(axes, factors):
        x = jnp.repeat(x, factor, axis=axis)
    return x


class UpSampling1D(Layer):
    """Repeats each timestep `size` times along the time axis.

    Args:
        size: Upsampling factor (a positive int).

    Input shape:
        `(batch, steps, features)`.

    Output shape:
        `(batch, steps * size, features)`.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> lx.layers.UpSampling1D(2)(jnp.array([[[1.0], [2.0]]]))[0, :, 0].tolist()
        [1.0, 1.0, 2.0, 2.0]
    """

    def __init__(self, size: int = 2, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not isinstance(size, int) or isinstance(size, bool):
            raise TypeError(
                f"Layer '{self.name}': expected an integer value for `size`, got "
                f"{type(size).__name__}."
            )
        if size <= 0:
            raise ValueError(
                f"Layer '{self.name}': argument `size` should be a positive integer. "
                f"Received: size={size}"
            )
        self.size = size
        self.input_spec = InputSpec(ndim=3)

    def call(self, inputs: Any) -> jax.Array:
        return jnp.repeat(inputs, self.size, axis=1)

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        return _scaled(input_shape, (1,), (self.size,))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "size": self.size}


class UpSampling2D(Layer):
    """Upsamples images by `size`: repeats rows and columns, or interpolates.

    Args:
        size: Factors for rows and columns (an int for both).
        data_format: `"channels_last"` (`(batch, rows, cols, channels)`) or
            `"channels_first"`; default `lx.config.image_data_format()`.
        interpolation: `"nearest"` (repetition), `"bilinear"`, `"bicubic"`,
            `"lanczos3"` or `"lanczos5"` (computed like Keras' `ops.image.resize`
            without antialiasing: half-pixel centers, edge values clamped).

    Input shape:
        4D `(batch, rows, cols, channels)` (channels_last) or
        `(batch, channels, rows, cols)` (channels_first).

    Output shape:
        `(batch, rows * size[0], cols * size[1], channels)` (or channels first).

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> x = jnp.array([[[[0.0], [4.0]]]])  # one row, two columns
        >>> lx.layers.UpSampling2D((1, 2), interpolation="bilinear")(x)[0, 0, :, 0].tolist()
        [0.0, 1.0, 3.0, 4.0]
    """

    def __init__(
        self,
        size: Any = (2, 2),
        data_format: str | None = None,
        interpolation: str = "nearest",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.data_format = _config.standardize_data_format(data_format)
        self.size = standardize_tuple(size, 2, "size")
        interpolation = str(interpolation).lower()
        if interpolation not in _INTERPOLATIONS:
            raise ValueError(
                f"Layer '{self.name}': invalid `interpolation` {interpolation!r}. Expected one "
                f"of {list(_INTERPOLATIONS)}."
            )
        self.interpolation = interpolation
        self.input_spec = InputSpec(ndim=4)

    def call(self, inputs: Any) -> jax.Array:
        axes = _spatial_axes(self.data_format, 2)
        if self.interpolation == "nearest":
            return _repeat(inputs, axes, self.size)
        shape = _scaled(inputs.shape, axes, self.size)
        return jax.image.resize(inputs, shape, method=self.interpolation, antialias=False)

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        return _scaled(input_shape, _spatial_axes(self.data_format, 2), self.size)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "size": self.size,
            "data_format": self.data_format,
            "interpolation": self.interpolation,
        }


class UpSampling3D(Layer):
    """Repeats the three spatial axes of volumes by `size`.

    Args:
        size: Factors for the three spatial axes (an int for all).
        data_format: `"channels_last"` or `"channels_first"`; default
            `lx.config.image_data_format()`.

    Input shape:
        5D `(batch, d1, d2, d3, channels)` (channels_last) or
        `(batch, channels, d1, d2, d3)` (channels_first).

    Output shape:
        Each spatial axis multiplied by its factor.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> lx.layers.UpSampling3D(2)(jnp.ones((1, 1, 2, 3, 4))).shape
        (1, 2, 4, 6, 4)
    """

    def __init__(self, size: Any = (2, 2, 2), data_format: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.data_format = _config.standardize_data_format(data_format)
        self.size = standardize_tuple(size, 3, "size")
        self.input_spec = InputSpec(ndim=5)

    def call(self, inputs: Any) -> jax.Array:
        return _repeat(inputs, _spatial_axes(self.data_format, 3), self.size)

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        return _scaled(input_shape, _spatial_axes(self.data_format, 3), self.size)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "size": self.size, "data_format": self.data_format}
