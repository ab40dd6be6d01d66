"""Building blocks every application family shares: its input and its head.

A family function does, in order:
`check_weights_argument` (see `_weights`), `validate_activation` and
`obtain_input_shape` (see `imagenet_utils`), `img_input = image_input(input_tensor, shape)`,
its body, `x = classifier_head(...)` or `x = pooled(...)`, then
`model = Model(model_inputs(input_tensor, img_input), x, name=...)` and
`load_application_weights(model, weights, ...)`.
"""

from __future__ import annotations

from typing import Any

from layerax import layers
from layerax.models.input_layer import Input
from layerax.utils import get_source_inputs, is_keras_tensor


def image_input(input_tensor: Any, input_shape: tuple[int | None, ...]) -> Any:
    """The model's symbolic image input: a new `Input`, or `input_tensor` if given."""
    if input_tensor is None:
        return Input(shape=input_shape)
    if not is_keras_tensor(input_tensor):
        return Input(tensor=input_tensor, shape=input_shape)
    return input_tensor


def model_inputs(input_tensor: Any, img_input: Any) -> Any:
    """The `inputs` for `Model(...)`: the sources of `input_tensor` when one was given."""
    if input_tensor is not None:
        return get_source_inputs(input_tensor)
    return img_input


def pooled(x: Any, pooling: str | None, name: str | None = None) -> Any:
    """Applies `pooling` ("avg", "max" or None) for `include_top=False`."""
    if pooling == "avg":
        return layers.GlobalAveragePooling2D(name=name)(x) if name else layers.GlobalAveragePooling2D()(x)
    if pooling == "max":
        return layers.GlobalMaxPooling2D(name=name)(x) if name else layers.GlobalMaxPooling2D()(x)
    return x


def channel_axis() -> int:
    from layerax.config import image_data_format

    return 1 if image_data_format() == "channels_first" else -1


def bn_axis() -> int:
    """The channel axis as a positive index (3 or 1), as the Keras families that write it so.

    ResNet, ResNetV2 and EfficientNet pass `axis=3` to their normalization layers (where
    MobileNet passes -1); the same number keeps their configs equal to Keras' in `.keras` files.
    """
    from layerax.config import image_data_format

    return 1 if image_data_format() == "channels_first" else 3
