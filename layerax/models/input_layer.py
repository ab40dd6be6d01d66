"""`lx.Input` and `InputLayer`: the entry points of a functional model."""

from __future__ import annotations

from typing import Any

import jax

from layerax.core.layer import Layer
from layerax.models.keras_tensor import KerasTensor, _dtype_name, _standardize_shape
from layerax.models.node import Node, _add_node

__all__ = ["Input", "InputLayer"]


class InputLayer(Layer):
    """The layer behind `lx.Input`: the entry point of a functional model.

    Its `output` is the symbolic tensor that `lx.Input` returns. It has no
    weights and does nothing when the model runs.

    Args:
        shape: Shape without the batch dimension (`None` for unknown sizes).
        batch_size: Optional fixed batch size.
        dtype: Dtype of the input (`lx.config.floatx()` by default).
        sparse: Only `False`/`None` (sparse inputs are not supported).
        ragged: Only `False`/`None` (ragged inputs are not supported).
        batch_shape: Full shape including the batch dimension (instead of
            `shape` and `batch_size`).
        input_tensor: An existing symbolic tensor to wrap.
        optional: Whether the input may be None (kept for Keras compatibility).
        name: Layer name (also the name of the tensor).

    Example:
        >>> import layerax as lx
        >>> layer = lx.layers.InputLayer(shape=(4,), name="features")
        >>> layer.output.shape, layer.batch_shape, layer.name
        ((None, 4), (None, 4), 'features')
    """

    def __init__(
        self,
        shape: Any = None,
        batch_size: int | None = None,
        dtype: Any = None,
        sparse: bool | None = None,
        ragged: bool | None = None,
        batch_shape: Any = None,
        input_tensor: KerasTensor | None = None,
        optional: bool = False,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        # Keras 2 spellings.
        if "input_shape" in kwargs:
            shape = kwargs.pop("input_shape")
        if "batch_input_shape" in kwargs:
            batch_shape = kwargs.pop("batch_input_shape")
        if kwargs:
            raise ValueError(f"Unrecognized keyword arguments passed to InputLayer: {kwargs}")
        super().__init__(name=name)
        if sparse or ragged:
            raise ValueError(
                f"InputLayer '{self.name}': sparse and ragged inputs are not supported by "
                "layerax. Pass dense arrays (pad ragged data and use a mask)."
            )
        if input_tensor is not None:
            if not isinstance(input_tensor, KerasTensor):
                raise ValueError(
                    "Argument `input_tensor` must be a symbolic tensor (from `lx.Input`). "
                    f"Received: {input_tensor!r} of type {type(input_tensor).__name__}"
                )
            batch_shape = input_tensor.shape
            dtype = input_tensor.dtype
        else:
            if shape is not None and batch_shape is not None:
                raise ValueError(
                    "You cannot pass both `shape` and `batch_shape` to Input/InputLayer. "
                    f"Received: shape={shape}, batch_shape={batch_shape}"
                )
            if batch_size is not None and batch_shape is not None:
                raise ValueError(
                    "You cannot pass both `batch_size` and `batch_shape` to Input/InputLayer. "
                    f"Received: batch_size={batch_size}, batch_shape={batch_shape}"
                )
            if shape is None and batch_shape is None:
                raise ValueError(
                    "Input/InputLayer needs a `shape` argument (the shape without the batch "
                    "dimension), e.g. `lx.Input(shape=(28, 28, 1))`."
                )
            if shape is not None:
                batch_shape = (batch_size, *_standardize_shape(shape))
        object.__setattr__(self, "_batch_shape", _standardize_shape(batch_shape))
        object.__setattr__(self, "_input_dtype", _dtype_name(dtype))
        object.__setattr__(self, "optional", bool(optional))
        if input_tensor is None:
            input_tensor = KerasTensor(self._batch_shape, self._input_dtype, name=name)
        node = Node(self, (), {}, [input_tensor], jax.tree_util.tree_structure(0), is_input=True)
        _add_node(self, node)
        object.__setattr__(self, "built", True)

    @property
    def batch_shape(self) -> tuple[Any, ...]:
        """The input shape, batch dimension included."""
        return self._batch_shape

    @property
    def dtype(self) -> str:
        """The dtype of the input."""
        return self._input_dtype

    def call(self, inputs: Any = None) -> Any:
        return inputs

    def get_config(self) -> dict[str, Any]:
        return {
            "batch_shape": self.batch_shape,
            "dtype": self.dtype,
            "sparse": False,
            "ragged": False,
            "name": self.name,
            "optional": self.optional,
        }


def Input(  # noqa: N802 - Keras' name
    shape: Any = None,
    batch_size: int | None = None,
    dtype: Any = None,
    sparse: bool | None = None,
    ragged: bool | None = None,
    batch_shape: Any = None,
    name: str | None = None,
    tensor: KerasTensor | None = None,
    optional: bool = False,
) -> KerasTensor:
    """Creates a symbolic input tensor, the start of a functional model.

    Args:
        shape: Shape without the batch dimension, e.g. `(28, 28, 1)`;
            `None` entries are sizes that may vary.
        batch_size: Optional fixed batch size.
        dtype: Dtype of the input (`lx.config.floatx()` by default).
        sparse: Only `False`/`None`.
        ragged: Only `False`/`None`.
        batch_shape: Full shape including the batch dimension.
        name: Name of the input (unique within a model).
        tensor: An existing symbolic tensor to wrap.
        optional: Kept for Keras compatibility.

    Returns:
        A `KerasTensor` whose batch dimension is `None` (unless fixed).

    Example:
        >>> import layerax as lx
        >>> x = lx.Input(shape=(3,), name="x")
        >>> y = lx.layers.Dense(2)(x)
        >>> x.shape, y.shape, y.dtype
        ((None, 3), (None, 2), 'float32')
    """
    layer = InputLayer(
        shape=shape,
        batch_size=batch_size,
        dtype=dtype,
        sparse=sparse,
        ragged=ragged,
        batch_shape=batch_shape,
        input_tensor=tensor,
        optional=optional,
        name=name,
    )
    return layer.output
