"""Windowed pooling: MaxPooling1D/2D/3D and AveragePooling1D/2D/3D.

Aliases: MaxPool1D/2D/3D and AvgPool1D/2D/3D.
"""

from __future__ import annotations

import functools
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from layerax import config as _config
from layerax.core import registry
from layerax.core.input_spec import InputSpec
from layerax.core.layer import Layer
from layerax.layers.convolution import _args


@functools.partial(jax.jit, static_argnames=("mode", "window", "strides", "padding", "dtype"))
def _pool(
    x: jax.Array, *, mode: str, window: tuple[int, ...], strides: tuple[int, ...], padding: str,
    dtype: str,
) -> jax.Array:
    """Windowed max or mean, as one jitted computation (one compile per input shape)."""
    # Initial values are numpy scalars: concrete, so that lax recognises the max/add
    # monoids and uses its differentiable windowed-reduction primitives.
    if mode == "max":
        if jnp.issubdtype(x.dtype, jnp.floating):
            init = np.array(-np.inf, x.dtype)
        else:
            init = np.array(jnp.iinfo(x.dtype).min, x.dtype)
        return jax.lax.reduce_window(x, init, jax.lax.max, window, strides, padding)
    if not jnp.issubdtype(x.dtype, jnp.floating):
        x = x.astype(dtype)
    zero = np.array(0, x.dtype)
    summed = jax.lax.reduce_window(x, zero, jax.lax.add, window, strides, padding)
    if padding == "VALID":
        return summed / np.prod(window)
    # Average only over real inputs: count them per window (a constant of the static shape).
    ones_shape = tuple(d if w > 1 else 1 for d, w in zip(x.shape, window))
    counts = jax.lax.reduce_window(
        jnp.ones(ones_shape, x.dtype), zero, jax.lax.add, window, strides, padding
    )
    return summed / counts


class BasePooling(Layer):
    """Max or average over sliding windows of the spatial axes.

    Args:
        pool_size: Window size (int or tuple of `rank` ints).
        strides: Window step (int or tuple); None means `pool_size`.
        rank: Number of spatial dimensions.
        pool_mode: `"max"` or `"average"`.
        padding: `"valid"` (windows inside the input) or `"same"` (output
            length `ceil(input / stride)`; padded positions never win a max
            and are left out of an average's count).
        data_format: `"channels_last"` or `"channels_first"`; defaults to
            `lx.config.image_data_format()`.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> from layerax.layers.pooling.pooling import BasePooling
        >>> BasePooling(2, None, 1, "average")(jnp.arange(6.0).reshape(1, 6, 1))[0, :, 0]
        Array([0.5, 2.5, 4.5], dtype=float32)
    """

    def __init__(
        self,
        pool_size: Any,
        strides: Any,
        rank: int,
        pool_mode: str = "max",
        padding: str = "valid",
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.rank = rank
        self.pool_size = _args.normalize_tuple(pool_size, rank, "pool_size", self)
        self.strides = _args.normalize_tuple(
            pool_size if strides is None else strides, rank, "strides", self
        )
        if pool_mode not in ("max", "average"):
            raise ValueError(
                f"{_args.owner(self)}: `pool_mode` must be 'max' or 'average'. "
                f"Received: pool_mode={pool_mode!r}"
            )
        self.pool_mode = pool_mode
        self.padding = _args.normalize_padding(padding, self, ("valid", "same"))
        self.data_format = _config.standardize_data_format(data_format)
        self.input_spec = InputSpec(ndim=rank + 2)

    def _window(self, sizes: tuple[int, ...]) -> tuple[int, ...]:
        """Per-axis window dimensions: `sizes` on the spatial axes, 1 on batch and channels."""
        full = [1] * (self.rank + 2)
        for axis, size in zip(_args.spatial_axes(self.data_format, self.rank), sizes):
            full[axis] = size
        return tuple(full)

    def call(self, inputs: Any) -> jax.Array:
        x = jnp.asarray(inputs)
        self._check_output(x.shape)
        return _pool(
            x,
            mode=self.pool_mode,
            window=self._window(self.pool_size),
            strides=self._window(self.strides),
            padding=self.padding.upper(),
            dtype=self.compute_dtype,
        )

    def _check_output(self, input_shape: Any) -> None:
        out = self.compute_output_shape(input_shape)
        spatial = _args.spatial_axes(self.data_format, self.rank)
        if any(out[a] is not None and out[a] <= 0 for a in spatial):
            raise ValueError(
                f"{_args.owner(self)}: the input is too small for pool_size={self.pool_size} "
                f"with padding='{self.padding}': the output shape would be {tuple(out)}. "
                f"Received input shape {tuple(input_shape)}. Use padding='same' or a smaller "
                "pool_size."
            )

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        shape = _args.check_rank(input_shape, self.rank + 2, self)
        out = list(shape)
        for i, axis in enumerate(_args.spatial_axes(self.data_format, self.rank)):
            out[axis] = _args.conv_output_length(
                shape[axis], self.pool_size[i], self.strides[i], self.padding, 1
            )
        return tuple(out)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "pool_size": self.pool_size,
            "padding": self.padding,
            "strides": self.strides,
            "data_format": self.data_format,
        }




class MaxPooling1D(BasePooling):
    """Max over windows of `pool_size` steps, `strides` apart.

    Args:
        pool_size: Window length (int or 1-tuple).
        strides: Window step; None means `pool_size`.
        padding: `"valid"` or `"same"`.
        data_format: `"channels_last"` or `"channels_first"`.

    Input shape:
        `(batch, steps, channels)` (channels_last) or `(batch, channels, steps)`.

    Output shape:
        `(batch, pooled_steps, channels)` (channels_last) or
        `(batch, channels, pooled_steps)`, where `pooled_steps` is
        `(steps - pool_size) // strides + 1` ("valid") or `ceil(steps / strides)` ("same").

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> x = jnp.array([1.0, 3.0, 2.0, 5.0, 4.0]).reshape(1, 5, 1)
        >>> lx.layers.MaxPooling1D(2, strides=1)(x)[0, :, 0]
        Array([3., 3., 5., 5.], dtype=float32)
    """

    def __init__(
        self,
        pool_size: Any = 2,
        strides: Any = None,
        padding: str = "valid",
        data_format: str | None = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            pool_size, strides, 1, "max", padding=padding, data_format=data_format, name=name,
            **kwargs,
        )


class MaxPooling2D(BasePooling):
    """Max over `pool_size` windows of an image, `strides` apart.

    Args:
        pool_size: Window `(height, width)` (int or 2-tuple).
        strides: Window step; None means `pool_size`.
        padding: `"valid"` or `"same"`.
        data_format: `"channels_last"` or `"channels_first"`.

    Input shape:
        `(batch, height, width, channels)` (channels_last) or
        `(batch, channels, height, width)`.

    Output shape:
        `(batch, pooled_height, pooled_width, channels)` (channels_last) or
        `(batch, channels, pooled_height, pooled_width)`.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> lx.layers.MaxPooling2D(3)(jnp.ones((1, 24, 24, 32))).shape
        (1, 8, 8, 32)
    """

    def __init__(
        self,
        pool_size: Any = (2, 2),
        strides: Any = None,
        padding: str = "valid",
        data_format: str | None = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            pool_size, strides, 2, "max", padding=padding, data_format=data_format, name=name,
            **kwargs,
        )


class MaxPooling3D(BasePooling):
    """Max over `pool_size` windows of a volume, `strides` apart.

    Args:
        pool_size: Window `(d1, d2, d3)` (int or 3-tuple).
        strides: Window step; None means `pool_size`.
        padding: `"valid"` or `"same"`.
        data_format: `"channels_last"` or `"channels_first"`.

    Input shape:
        `(batch, d1, d2, d3, channels)` (channels_last) or
        `(batch, channels, d1, d2, d3)`.

    Output shape:
        `(batch, p1, p2, p3, channels)` (channels_last) or `(batch, channels, p1, p2, p3)`.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> lx.layers.MaxPooling3D()(jnp.ones((1, 4, 4, 5, 2))).shape
        (1, 2, 2, 2, 2)
    """

    def __init__(
        self,
        pool_size: Any = (2, 2, 2),
        strides: Any = None,
        padding: str = "valid",
        data_format: str | None = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            pool_size, strides, 3, "max", padding=padding, data_format=data_format, name=name,
            **kwargs,
        )


class AveragePooling1D(BasePooling):
    """Mean over windows of `pool_size` steps, `strides` apart.

    With `padding="same"`, windows that overhang the input average only
    the real inputs they cover (padding is not counted), as in Keras.

    Args:
        pool_size: Window length (int or 1-tuple).
        strides: Window step; None means `pool_size`.
        padding: `"valid"` or `"same"`.
        data_format: `"channels_last"` or `"channels_first"`.

    Input shape:
        `(batch, steps, channels)` (channels_last) or `(batch, channels, steps)`.

    Output shape:
        `(batch, pooled_steps, channels)` (channels_last) or
        `(batch, channels, pooled_steps)`.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> x = jnp.array([1.0, 3.0, 2.0, 5.0, 4.0]).reshape(1, 5, 1)
        >>> lx.layers.AveragePooling1D(2, padding="same")(x)[0, :, 0]
        Array([2. , 3.5, 4. ], dtype=float32)
    """

    def __init__(
        self,
        pool_size: Any,
        strides: Any = None,
        padding: str = "valid",
        data_format: str | None = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            pool_size, strides, 1, "average", padding=padding, data_format=data_format,
            name=name, **kwargs,
        )


class AveragePooling2D(BasePooling):
    """Mean over `pool_size` windows of an image, `strides` apart.

    With `padding="same"`, padded positions are left out of each average.

    Args:
        pool_size: Window `(height, width)` (int or 2-tuple).
        strides: Window step; None means `pool_size`.
        padding: `"valid"` or `"same"`.
        data_format: `"channels_last"` or `"channels_first"`.

    Input shape:
        `(batch, height, width, channels)` (channels_last) or
        `(batch, channels, height, width)`.

    Output shape:
        `(batch, pooled_height, pooled_width, channels)` (channels_last) or
        `(batch, channels, pooled_height, pooled_width)`.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> lx.layers.AveragePooling2D(2, strides=1)(jnp.ones((1, 3, 3, 1))).shape
        (1, 2, 2, 1)
    """

    def __init__(
        self,
        pool_size: Any,
        strides: Any = None,
        padding: str = "valid",
        data_format: str | None = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            pool_size, strides, 2, "average", padding=padding, data_format=data_format,
            name=name, **kwargs,
        )


class AveragePooling3D(BasePooling):
    """Mean over `pool_size` windows of a volume, `strides` apart.

    With `padding="same"`, padded positions are left out of each average.

    Args:
        pool_size: Window `(d1, d2, d3)` (int or 3-tuple).
        strides: Window step; None means `pool_size`.
        padding: `"valid"` or `"same"`.
        data_format: `"channels_last"` or `"channels_first"`.

    Input shape:
        `(batch, d1, d2, d3, channels)` (channels_last) or
        `(batch, channels, d1, d2, d3)`.

    Output shape:
        `(batch, p1, p2, p3, channels)` (channels_last) or `(batch, channels, p1, p2, p3)`.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> lx.layers.AveragePooling3D(2, padding="same")(jnp.ones((1, 3, 3, 3, 2))).shape
        (1, 2, 2, 2, 2)
    """

    def __init__(
        self,
        pool_size: Any,
        strides: Any = None,
        padding: str = "valid",
        data_format: str | None = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            pool_size, strides, 3, "average", padding=padding, data_format=data_format,
            name=name, **kwargs,
        )


MaxPool1D = registry.register("layers", "MaxPool1D")(MaxPooling1D)
MaxPool2D = registry.register("layers", "MaxPool2D")(MaxPooling2D)
MaxPool3D = registry.register("layers", "MaxPool3D")(MaxPooling3D)
AvgPool1D = registry.register("layers", "AvgPool1D")(AveragePooling1D)
AvgPool2D = registry.register("layers", "AvgPool2D")(AveragePooling2D)
AvgPool3D = registry.register("layers", "AvgPool3D")(AveragePooling3D)
