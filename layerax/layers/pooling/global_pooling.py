"""Global pooling: GlobalMaxPooling1D/2D/3D and GlobalAveragePooling1D/2D/3D
(aliases GlobalMaxPool*D, GlobalAvgPool*D)."""

from __future__ import annotations

import functools
from typing import Any

import jax
import jax.numpy as jnp

from layerax import config as _config
from layerax.core import registry
from layerax.core.input_spec import InputSpec
from layerax.core.layer import Layer
from layerax.layers.convolution import _args


@functools.partial(jax.jit, static_argnames=("mode", "axes", "keepdims", "dtype"))
def _global_pool(
    x: Any, mask: Any, *, mode: str, axes: tuple[int, ...], keepdims: bool, dtype: str
) -> jax.Array:
    """Max or mean over `axes`, as one jitted computation; `mask` (1-D only) weights the mean."""
    x = jnp.asarray(x)
    if mode == "max":
        return jnp.max(x, axis=axes, keepdims=keepdims)
    if not jnp.issubdtype(x.dtype, jnp.floating):
        x = x.astype(dtype)
    if mask is None:
        return jnp.mean(x, axis=axes, keepdims=keepdims)
    # A (batch, steps) mask, broadcast over the feature axis (the other non-batch axis).
    (steps,) = axes
    keep = jnp.expand_dims(jnp.asarray(mask).astype(bool), 3 - steps)
    total = jnp.sum(jnp.where(keep, x, 0), axis=axes, keepdims=keepdims)
    count = jnp.sum(keep.astype(x.dtype), axis=axes, keepdims=keepdims)
    return total / count


class BaseGlobalPooling(Layer):
    """Max or mean over all spatial positions.

    Args:
        rank: Number of spatial dimensions.
        pool_mode: `"max"` or `"average"`.
        data_format: `"channels_last"` or `"channels_first"`; defaults to
            `lx.config.image_data_format()`.
        keepdims: Keep the spatial axes with length 1.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> from layerax.layers.pooling.global_pooling import BaseGlobalPooling
        >>> BaseGlobalPooling(2, "max")(jnp.ones((2, 3, 3, 4))).shape
        (2, 4)
    """

    def __init__(
        self,
        rank: int,
        pool_mode: str = "max",
        data_format: str | None = None,
        keepdims: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if pool_mode not in ("max", "average"):
            raise ValueError(
                f"{_args.owner(self)}: `pool_mode` must be 'max' or 'average'. "
                f"Received: pool_mode={pool_mode!r}"
            )
        self.rank = rank
        self.pool_mode = pool_mode
        self.data_format = _config.standardize_data_format(data_format)
        self.keepdims = bool(keepdims)
        self.input_spec = InputSpec(ndim=rank + 2)

    def call(self, inputs: Any) -> jax.Array:
        return _global_pool(
            inputs, None, mode=self.pool_mode,
            axes=_args.spatial_axes(self.data_format, self.rank), keepdims=self.keepdims,
            dtype=self.compute_dtype,
        )

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        shape = _args.check_rank(input_shape, self.rank + 2, self)
        channels = shape[_args.channel_axis(self.data_format, self.rank)]
        if not self.keepdims:
            return (shape[0], channels)
        if self.data_format == "channels_last":
            return (shape[0], *(1,) * self.rank, channels)
        return (shape[0], channels, *(1,) * self.rank)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "data_format": self.data_format, "keepdims": self.keepdims}


class GlobalMaxPooling1D(BaseGlobalPooling):
    """Max over the steps of a sequence.

    Args:
        data_format: `"channels_last"` or `"channels_first"`.
        keepdims: Keep the steps axis with length 1.

    Input shape:
        `(batch, steps, features)` (channels_last) or `(batch, features, steps)`.

    Output shape:
        `(batch, features)`; with `keepdims`, `(batch, 1, features)` or `(batch, features, 1)`.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> lx.layers.GlobalMaxPooling1D()(jnp.arange(6.0).reshape(1, 3, 2))
        Array([[4., 5.]], dtype=float32)
    """

    def __init__(self, data_format: str | None = None, keepdims: bool = False, **kwargs: Any):
        super().__init__(1, "max", data_format=data_format, keepdims=keepdims, **kwargs)


class GlobalMaxPooling2D(BaseGlobalPooling):
    """Max over the height and width of images.

    Args:
        data_format: `"channels_last"` or `"channels_first"`.
        keepdims: Keep the spatial axes with length 1.

    Input shape:
        `(batch, height, width, channels)` (channels_last) or
        `(batch, channels, height, width)`.

    Output shape:
        `(batch, channels)`; with `keepdims`, `(batch, 1, 1, channels)` or
        `(batch, channels, 1, 1)`.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> lx.layers.GlobalMaxPooling2D()(jnp.ones((1, 4, 4, 16))).shape
        (1, 16)
    """

    def __init__(self, data_format: str | None = None, keepdims: bool = False, **kwargs: Any):
        super().__init__(2, "max", data_format=data_format, keepdims=keepdims, **kwargs)


class GlobalMaxPooling3D(BaseGlobalPooling):
    """Max over the three spatial axes of volumes.

    Args:
        data_format: `"channels_last"` or `"channels_first"`.
        keepdims: Keep the spatial axes with length 1.

    Input shape:
        `(batch, d1, d2, d3, channels)` (channels_last) or
        `(batch, channels, d1, d2, d3)`.

    Output shape:
        `(batch, channels)`; with `keepdims`, `(batch, 1, 1, 1, channels)` or
        `(batch, channels, 1, 1, 1)`.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> lx.layers.GlobalMaxPooling3D(keepdims=True)(jnp.ones((1, 2, 2, 2, 3))).shape
        (1, 1, 1, 1, 3)
    """

    def __init__(self, data_format: str | None = None, keepdims: bool = False, **kwargs: Any):
        super().__init__(3, "max", data_format=data_format, keepdims=keepdims, **kwargs)


class GlobalAveragePooling1D(BaseGlobalPooling):
    """Mean over the steps of a sequence; masked steps are left out of the mean.

    Args:
        data_format: `"channels_last"` or `"channels_first"`.
        keepdims: Keep the steps axis with length 1.

    Call arguments:
        inputs: `(batch, steps, features)` (or channels_first) array.
        mask: Optional `(batch, steps)` boolean array; `False` steps are
            excluded from the average. The output carries no mask.

    Input shape:
        `(batch, steps, features)` (channels_last) or `(batch, features, steps)`.

    Output shape:
        `(batch, features)`; with `keepdims`, `(batch, 1, features)` or `(batch, features, 1)`.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> x = jnp.array([[[1.0], [3.0], [8.0]]])
        >>> layer = lx.layers.GlobalAveragePooling1D()
        >>> layer(x, mask=jnp.array([[True, True, False]]))
        Array([[2.]], dtype=float32)
    """

    def __init__(self, data_format: str | None = None, keepdims: bool = False, **kwargs: Any):
        super().__init__(1, "average", data_format=data_format, keepdims=keepdims, **kwargs)
        self.supports_masking = True

    def call(self, inputs: Any, mask: Any = None) -> jax.Array:
        return _global_pool(
            inputs, mask, mode="average",
            axes=_args.spatial_axes(self.data_format, self.rank), keepdims=self.keepdims,
            dtype=self.compute_dtype,
        )

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> None:
        # The steps axis is reduced away, and the mask with it.
        return None


class GlobalAveragePooling2D(BaseGlobalPooling):
    """Mean over the height and width of images.

    Args:
        data_format: `"channels_last"` or `"channels_first"`.
        keepdims: Keep the spatial axes with length 1.

    Input shape:
        `(batch, height, width, channels)` (channels_last) or
        `(batch, channels, height, width)`.

    Output shape:
        `(batch, channels)`; with `keepdims`, `(batch, 1, 1, channels)` or
        `(batch, channels, 1, 1)`.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> lx.layers.GlobalAveragePooling2D(data_format="channels_first")(
        ...     jnp.ones((2, 3, 4, 4))).shape
        (2, 3)
    """

    def __init__(self, data_format: str | None = None, keepdims: bool = False, **kwargs: Any):
        super().__init__(2, "average", data_format=data_format, keepdims=keepdims, **kwargs)


class GlobalAveragePooling3D(BaseGlobalPooling):
    """Mean over the three spatial axes of volumes.

    Args:
        data_format: `"channels_last"` or `"channels_first"`.
        keepdims: Keep the spatial axes with length 1.

    Input shape:
        `(batch, d1, d2, d3, channels)` (channels_last) or
        `(batch, channels, d1, d2, d3)`.

    Output shape:
        `(batch, channels)`; with `keepdims`, `(batch, 1, 1, 1, channels)` or
        `(batch, channels, 1, 1, 1)`.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> lx.layers.GlobalAveragePooling3D()(jnp.ones((2, 2, 2, 2, 5))).shape
        (2, 5)
    """

    def __init__(self, data_format: str | None = None, keepdims: bool = False, **kwargs: Any):
        super().__init__(3, "average", data_format=data_format, keepdims=keepdims, **kwargs)


GlobalMaxPool1D = registry.register("layers", "GlobalMaxPool1D")(GlobalMaxPooling1D)
GlobalMaxPool2D = registry.register("layers", "GlobalMaxPool2D")(GlobalMaxPooling2D)
GlobalMaxPool3D = registry.register("layers", "GlobalMaxPool3D")(GlobalMaxPooling3D)
GlobalAvgPool1D = registry.register("layers", "GlobalAvgPool1D")(GlobalAveragePooling1D)
GlobalAvgPool2D = registry.register("layers", "GlobalAvgPool2D")(GlobalAveragePooling2D)
GlobalAvgPool3D = registry.register("layers", "GlobalAvgPool3D")(GlobalAveragePooling3D)
