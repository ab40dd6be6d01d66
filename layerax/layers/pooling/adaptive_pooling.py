"""Adaptive pooling: AdaptiveAveragePooling1D/2D/3D and AdaptiveMaxPooling1D/2D/3D.

The pooling windows are chosen from the input's spatial size so that the
output has the spatial shape `output_size` (as PyTorch's `AdaptiveAvgPool`).
"""

from __future__ import annotations

from typing import Any

import jax

from layerax import config as _config
from layerax.core.input_spec import InputSpec
from layerax.core.layer import Layer
from layerax.ops import nn as _nn


def _output_size(value: Any, rank: int, cls_name: str) -> tuple[int, ...]:
    """`output_size` as a tuple of `rank` positive ints (an int is repeated)."""
    names = {1: "(length,)", 2: "(height, width)", 3: "(depth, height, width)"}[rank]
    if isinstance(value, int) and not isinstance(value, bool):
        value = (value,) * rank
    if (
        not isinstance(value, (tuple, list))
        or len(value) != rank
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        raise TypeError(
            f"{cls_name}: `output_size` must be an integer or a {names} tuple of integers. "
            f"Received: output_size={value!r} of type {type(value).__name__}"
        )
    if any(v < 1 for v in value):
        raise ValueError(
            f"{cls_name}: every entry of `output_size` must be >= 1. "
            f"Received: output_size={tuple(value)}"
        )
    return tuple(value)


class BaseAdaptivePooling(Layer):
    """Average or max pooling whose windows give a fixed spatial output size.

    Args:
        output_size: The spatial output shape, a tuple of `rank` ints.
        pool_mode: `"average"` or `"max"`.
        data_format: `"channels_last"` or `"channels_first"`; defaults to
            `lx.config.image_data_format()`.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> from layerax.layers.pooling.adaptive_pooling import BaseAdaptivePooling
        >>> BaseAdaptivePooling((2, 2), "max")(jnp.ones((1, 5, 7, 3))).shape
        (1, 2, 2, 3)
    """

    def __init__(
        self,
        output_size: Any,
        pool_mode: str = "average",
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if pool_mode not in ("average", "max"):
            raise ValueError(
                f"{type(self).__name__} layer '{self.name}': `pool_mode` must be 'average' or "
                f"'max'. Received: pool_mode={pool_mode!r}"
            )
        rank = len(output_size) if isinstance(output_size, (tuple, list)) else 1
        self.output_size = _output_size(output_size, rank, type(self).__name__)
        self.pool_mode = pool_mode
        self.data_format = _config.standardize_data_format(data_format)
        self.input_spec = InputSpec(ndim=len(self.output_size) + 2)

    def call(self, inputs: Any) -> jax.Array:
        pool = _nn.adaptive_average_pool if self.pool_mode == "average" else _nn.adaptive_max_pool
        return pool(inputs, self.output_size, data_format=self.data_format)

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        input_shape = tuple(input_shape)
        if self.data_format == "channels_last":
            return (input_shape[0], *self.output_size, input_shape[-1])
        return (input_shape[0], input_shape[1], *self.output_size)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "output_size": self.output_size,
            "data_format": self.data_format,
        }


def _make(rank: int, mode: str, name: str, doc: str) -> type:
    def __init__(self: Any, output_size: Any, data_format: str | None = None,
                 **kwargs: Any) -> None:
        BaseAdaptivePooling.__init__(
            self, _output_size(output_size, rank, name), mode, data_format, **kwargs
        )

    def get_config(self: Any) -> dict[str, Any]:
        """The layer's configuration: `output_size`, `data_format` and the base Layer's."""
        return BaseAdaptivePooling.get_config(self)

    return type(name, (BaseAdaptivePooling,), {
        "__init__": __init__, "get_config": get_config, "__doc__": doc, "__module__": __name__,
    })


def _doc(kind: str, rank: int, example_shape: str, result: str) -> str:
    spatial = {1: "(length,)", 2: "(height, width)", 3: "(depth, height, width)"}[rank]
    what = "the mean" if kind == "Average" else "the maximum"
    return f"""Adaptive {kind.lower()} pooling over {rank} spatial dimension(s).

    Each output position takes {what} of a window of the input; along an
    axis of length `L` pooled to `n`, output `i` covers inputs
    `floor(i * L / n)` to `ceil((i + 1) * L / n)` (exclusive), so windows
    may overlap and differ in size.

    Args:
        output_size: An int or a {spatial} tuple: the spatial output shape.
        data_format: `"channels_last"` (`(batch, *spatial, channels)`) or
            `"channels_first"` (`(batch, channels, *spatial)`); defaults to
            `lx.config.image_data_format()`.

    Input shape:
        A {rank + 2}-D tensor in `data_format`.

    Output shape:
        `(batch, *output_size, channels)` (channels_last) or
        `(batch, channels, *output_size)` (channels_first).

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> lx.layers.Adaptive{kind}Pooling{rank}D(2)(jnp.ones({example_shape})).shape
        {result}
    """


AdaptiveAveragePooling1D = _make(1, "average", "AdaptiveAveragePooling1D",
                                 _doc("Average", 1, "(2, 7, 3)", "(2, 2, 3)"))
AdaptiveAveragePooling2D = _make(2, "average", "AdaptiveAveragePooling2D",
                                 _doc("Average", 2, "(2, 5, 7, 3)", "(2, 2, 2, 3)"))
AdaptiveAveragePooling3D = _make(3, "average", "AdaptiveAveragePooling3D",
                                 _doc("Average", 3, "(1, 4, 5, 6, 3)", "(1, 2, 2, 2, 3)"))
AdaptiveMaxPooling1D = _make(1, "max", "AdaptiveMaxPooling1D",
                             _doc("Max", 1, "(2, 7, 3)", "(2, 2, 3)"))
AdaptiveMaxPooling2D = _make(2, "max", "AdaptiveMaxPooling2D",
                             _doc("Max", 2, "(2, 5, 7, 3)", "(2, 2, 2, 3)"))
AdaptiveMaxPooling3D = _make(3, "max", "AdaptiveMaxPooling3D",
                             _doc("Max", 3, "(1, 4, 5, 6, 3)", "(1, 2, 2, 2, 3)"))

__all__ = [
    "AdaptiveAveragePooling1D", "AdaptiveAveragePooling2D", "AdaptiveAveragePooling3D",
    "AdaptiveMaxPooling1D", "AdaptiveMaxPooling2D", "AdaptiveMaxPooling3D",
]
