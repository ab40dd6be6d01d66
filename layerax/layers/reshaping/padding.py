"""ZeroPadding1D/2D/3D and Cropping1D/2D/3D."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from layerax import config as _config
from layerax.core.input_spec import InputSpec
from layerax.core.layer import Layer
from layerax.layers._args import pairs, standardize_tuple


def _spatial_axes(data_format: str, n: int) -> tuple[int, ...]:
    start = 2 if data_format == "channels_first" else 1
    return tuple(range(start, start + n))


class _ZeroPadding(Layer):
    """Pads `rank` spatial axes with zeros; `padding` holds (before, after) per axis."""

    _rank = 0

    def __init__(self, padding: Any, data_format: str | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.data_format = _config.standardize_data_format(data_format)
        if self._rank == 1:
            self.padding: Any = standardize_tuple(padding, 2, "padding", allow_zero=True)
        else:
            self.padding = pairs(padding, self._rank, "padding")
        self.input_spec = InputSpec(ndim=self._rank + 2)

    def _pairs(self) -> tuple[tuple[int, int], ...]:
        return (self.padding,) if self._rank == 1 else self.padding

    def call(self, inputs: Any) -> jax.Array:
        widths = [(0, 0)] * inputs.ndim
        for axis, pad in zip(_spatial_axes(self.data_format, self._rank), self._pairs()):
            widths[axis] = tuple(pad)
        return jnp.pad(inputs, widths)

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        out = list(input_shape)
        for axis, (a, b) in zip(_spatial_axes(self.data_format, self._rank), self._pairs()):
            if out[axis] is not None:
                out[axis] += a + b
        return tuple(out)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "padding": self.padding, "data_format": self.data_format}


class ZeroPadding1D(_ZeroPadding):
    """Pads the time axis of `(batch, steps, features)` inputs with zeros.

    Args:
        padding: An int (both sides) or `(left, right)`.
        data_format: `"channels_last"` (`(batch, steps, features)`) or
            `"channels_first"` (`(batch, features, steps)`); default
            `lx.config.image_data_format()`.

    Input shape:
        3D `(batch, steps, features)` (or channels first).

    Output shape:
        `(batch, steps + left + right, features)` (or channels first).

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> lx.layers.ZeroPadding1D((1, 2))(jnp.ones((1, 3, 2))).shape
        (1, 6, 2)
    """

    _rank = 1

    def __init__(self, padding: Any = 1, data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(padding, data_format, **kwargs)


class ZeroPadding2D(_ZeroPadding):
    """Pads the rows and columns of images with zeros.

    Args:
        padding: An int (all sides), `(rows, cols)` (symmetric), or
            `((top, bottom), (left, right))`.
        data_format: `"channels_last"` or `"channels_first"`; default
            `lx.config.image_data_format()`.

    Input shape:
        4D `(batch, rows, cols, channels)` (or channels first).

    Output shape:
        `(batch, rows + top + bottom, cols + left + right, channels)` (or channels first).

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> lx.layers.ZeroPadding2D(((1, 0), (2, 1)))(jnp.ones((1, 2, 2, 3))).shape
        (1, 3, 5, 3)
    """

    _rank = 2

    def __init__(self, padding: Any = (1, 1), data_format: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(padding, data_format, **kwargs)


class ZeroPadding3D(_ZeroPadding):
    """Pads the three spatial axes of volumes with zeros.

    Args:
        padding: An int, 3 ints (symmetric per axis), or 3 `(before, after)` pairs.
        data_format: `"channels_last"` or `"channels_first"`; default
            `lx.config.image_data_format()`.

    Input shape:
        5D `(batch, d1, d2, d3, channels)` (or channels first).

    Output shape:
        Each spatial axis grown by its padding.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> lx.layers.ZeroPadding3D(1)(jnp.ones((1, 2, 2, 2, 1))).shape
        (1, 4, 4, 4, 1)
    """

    _rank = 3

    def __init__(self, padding: Any = ((1, 1), (1, 1), (1, 1)), data_format: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(padding, data_format, **kwargs)


class _Cropping(Layer):
    """Crops `rank` spatial axes; `cropping` holds (before, after) per axis."""

    _rank = 0

    def __init__(self, cropping: Any, data_format: str | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.data_format = _config.standardize_data_format(data_format)
        if self._rank == 1:
            self.cropping: Any = standardize_tuple(cropping, 2, "cropping", allow_zero=True)
        else:
            self.cropping = pairs(cropping, self._rank, "cropping")
        self.input_spec = InputSpec(ndim=self._rank + 2)

    def _pairs(self) -> tuple[tuple[int, int], ...]:
        return (self.cropping,) if self._rank == 1 else self.cropping

    def _check(self, shape: tuple[Any, ...]) -> None:
        for axis, (a, b) in zip(_spatial_axes(self.data_format, self._rank), self._pairs()):
            if shape[axis] is not None and a + b >= shape[axis]:
                raise ValueError(
                    f"Layer '{self.name}': the `cropping` argument {self.cropping} must be "
                    f"smaller than the corresponding spatial dimensions of the input; axis "
                    f"{axis} has size {shape[axis]} but {a} + {b} would be cropped. Received "
                    f"input shape: {tuple(shape)}"
                )

    def call(self, inputs: Any) -> jax.Array:
        self._check(tuple(inputs.shape))
        index = [slice(None)] * inputs.ndim
        for axis, (a, b) in zip(_spatial_axes(self.data_format, self._rank), self._pairs()):
            index[axis] = slice(a, inputs.shape[axis] - b)
        return inputs[tuple(index)]

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        self._check(tuple(input_shape))
        out = list(input_shape)
        for axis, (a, b) in zip(_spatial_axes(self.data_format, self._rank), self._pairs()):
            if out[axis] is not None:
                out[axis] -= a + b
        return tuple(out)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "cropping": self.cropping,
                "data_format": self.data_format}


class Cropping1D(_Cropping):
    """Crops the time axis of `(batch, steps, features)` inputs.

    Args:
        cropping: An int (both sides) or `(start, end)`: steps removed at each end.

    Input shape:
        3D `(batch, steps, features)`.

    Output shape:
        `(batch, steps - start - end, features)`.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> lx.layers.Cropping1D((1, 2))(jnp.arange(5.0).reshape(1, 5, 1))[0, :, 0].tolist()
        [1.0, 2.0]
    """

    _rank = 1

    def __init__(self, cropping: Any = (1, 1), **kwargs: Any) -> None:
        # Keras' Cropping1D has no data_format: it always crops axis 1.
        super().__init__(cropping, "channels_last", **kwargs)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["data_format"]
        return config


class Cropping2D(_Cropping):
    """Crops the rows and columns of images.

    Args:
        cropping: An int (all sides), `(rows, cols)` (symmetric), or
            `((top, bottom), (left, right))`.
        data_format: `"channels_last"` or `"channels_first"`; default
            `lx.config.image_data_format()`.

    Input shape:
        4D `(batch, rows, cols, channels)` (or channels first).

    Output shape:
        `(batch, rows - top - bottom, cols - left - right, channels)` (or channels first).

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> lx.layers.Cropping2D(((1, 0), (0, 2)))(jnp.ones((1, 4, 5, 3))).shape
        (1, 3, 3, 3)
    """

    _rank = 2

    def __init__(self, cropping: Any = ((0, 0), (0, 0)), data_format: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(cropping, data_format, **kwargs)


class Cropping3D(_Cropping):
    """Crops the three spatial axes of volumes.

    Args:
        cropping: An int, 3 ints (symmetric per axis), or 3 `(before, after)` pairs.
        data_format: `"channels_last"` or `"channels_first"`; default
            `lx.config.image_data_format()`.

    Input shape:
        5D `(batch, d1, d2, d3, channels)` (or channels first).

    Output shape:
        Each spatial axis reduced by its cropping.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> lx.layers.Cropping3D(1)(jnp.ones((1, 4, 4, 4, 2))).shape
        (1, 2, 2, 2, 2)
    """

    _rank = 3

    def __init__(self, cropping: Any = ((1, 1), (1, 1), (1, 1)), data_format: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(cropping, data_format, **kwargs)
