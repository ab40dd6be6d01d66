"""MobileNetV2 (Sandler et al., 2018), as in `keras.applications.mobilenet_v2`."""

from __future__ import annotations

import warnings
from typing import Any

from layerax import layers
from layerax.applications import imagenet_utils
from layerax.applications._common import channel_axis, image_input, model_inputs, pooled
from layerax.applications._weights import WeightsFile, check_weights_argument, load_application_weights
from layerax.config import image_data_format
from layerax.models.functional import Functional
from layerax.utils import is_keras_tensor

_ROOT = "tensorflow/keras-applications/mobilenet_v2/"
_SIZES = (96, 128, 160, 192, 224)
# (filters, stride, expansion) of the 17 inverted residual blocks.
_BLOCKS = ((16, 1, 1), (24, 2, 6), (24, 1, 6), (32, 2, 6), (32, 1, 6), (32, 1, 6), (64, 2, 6),
           (64, 1, 6), (64, 1, 6), (64, 1, 6), (96, 1, 6), (96, 1, 6), (96, 1, 6), (160, 2, 6),
           (160, 1, 6), (160, 1, 6), (320, 1, 6))


def _make_divisible(v: float, divisor: int, min_value: int | None = None) -> int:
    """Rounds `v` to a multiple of `divisor`, never more than 10% below `v`."""
    min_value = divisor if min_value is None else min_value
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    return new_v + divisor if new_v < 0.9 * v else new_v


def _bn(name: str) -> layers.BatchNormalization:
    return layers.BatchNormalization(axis=channel_axis(), epsilon=1e-3, momentum=0.999, name=name)


def _inverted_res_block(inputs: Any, expansion: int, stride: int, alpha: float, filters: int, block_id: int) -> Any:
    in_channels = inputs.shape[channel_axis()]
    pointwise_filters = _make_divisible(int(filters * alpha), 8)
    x = inputs
    prefix = f"block_{block_id}_"
    if block_id:
        x = layers.Conv2D(expansion * in_channels, kernel_size=1, padding="same", use_bias=False,
                          activation=None, name=f"{prefix}expand")(x)
        x = _bn(f"{prefix}expand_BN")(x)
        x = layers.ReLU(6.0, name=f"{prefix}expand_relu")(x)
    else:
        prefix = "expanded_conv_"
    if stride == 2:
        x = layers.ZeroPadding2D(padding=imagenet_utils.correct_pad(x, 3), name=f"{prefix}pad")(x)
    x = layers.DepthwiseConv2D(kernel_size=3, strides=stride, activation=None, use_bias=False,
                               padding="same" if stride == 1 else "valid", name=f"{prefix}depthwise")(x)
    x = _bn(f"{prefix}depthwise_BN")(x)
    x = layers.ReLU(6.0, name=f"{prefix}depthwise_relu")(x)
    x = layers.Conv2D(pointwise_filters, kernel_size=1, padding="same", use_bias=False, activation=None,
                      name=f"{prefix}project")(x)
    x = _bn(f"{prefix}project_BN")(x)
    if in_channels == pointwise_filters and stride == 1:
        return layers.Add(name=f"{prefix}add")([inputs, x])
    return x


def _spatial(shape: Any, batched: bool) -> tuple[Any, Any]:
    offset = 1 if batched else 0
    if image_data_format() == "channels_first":
        return shape[offset + 1], shape[offset + 2]
    return shape[offset], shape[offset + 1]


def MobileNetV2(  # noqa: N802 - Keras' name
    input_shape: tuple[int | None, ...] | None = None, alpha: float = 1.0, include_top: bool = True,
    weights: Any = "imagenet", input_tensor: Any = None, pooling: str | None = None,
    classes: int = 1000, classifier_activation: Any = "softmax", name: str | None = None,
) -> Functional:
    """Instantiates MobileNetV2 (tf preprocessing: `mobilenet_v2.preprocess_input`).

    Args:
        input_shape: Optional `(height, width, channels)`; at least 32x32. ImageNet
            weights exist for 96, 128, 160, 192 and 224.
        alpha: Width multiplier (0.35, 0.5, 0.75, 1.0, 1.3, 1.4 with ImageNet weights).
        include_top: Whether to end with the classifier.
        weights: None (random), "imagenet" (Keras' published weights) or a file path.
        input_tensor: Optional symbolic tensor to use as the image input.
        pooling: With `include_top=False`: None, "avg" or "max".
        classes: Number of classes, with `include_top=True`.
        classifier_activation: The classifier's activation.
        name: The model's name (default `mobilenetv2_{alpha:0.2f}_{rows}`).

    Returns:
        A `Functional` model with Keras' layer names and weight order.

    Example:
        >>> import layerax as lx
        >>> m = lx.applications.MobileNetV2(weights=None, include_top=False, alpha=0.35,
        ...                                 input_shape=(32, 32, 3))
        >>> m.name, m.output.shape
        ('mobilenetv2_0.35_32', (None, 1, 1, 1280))
    """
    check_weights_argument(weights, include_top, classes, "MobileNetV2")
    if input_shape is not None:
        rows, cols = _spatial(input_shape, batched=False)
    elif input_tensor is not None and is_keras_tensor(input_tensor):
        rows, cols = _spatial(input_tensor.shape, batched=True)
    else:
        rows = cols = None
    default_size = rows if rows == cols and rows in _SIZES else 224
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=default_size, min_size=32, data_format=image_data_format(),
        require_flatten=include_top, weights=weights,
    )
    rows, cols = _spatial(input_shape, batched=False)
    if weights == "imagenet":
        if alpha not in (0.35, 0.50, 0.75, 1.0, 1.3, 1.4):
            raise ValueError(
                "MobileNetV2: if imagenet weights are being loaded, alpha must be one of "
                f"`0.35`, `0.50`, `0.75`, `1.0`, `1.3` or `1.4` only; Received `alpha={alpha}`"
            )
        if rows != cols or rows not in _SIZES:
            rows = 224
            warnings.warn(
                "`input_shape` is undefined or non-square, or `rows` is not in "
                "[96, 128, 160, 192, 224]. Weights for input shape (224, 224) will be loaded "
                "as the default.",
                stacklevel=2,
            )
    img_input = image_input(input_tensor, input_shape)
    x = layers.Conv2D(_make_divisible(32 * alpha, 8), kernel_size=3, strides=(2, 2), padding="same",
                      use_bias=False, name="Conv1")(img_input)
    x = _bn("bn_Conv1")(x)
    x = layers.ReLU(6.0, name="Conv1_relu")(x)
    for block_id, (filters, stride, expansion) in enumerate(_BLOCKS):
        x = _inverted_res_block(x, filters=filters, alpha=alpha, stride=stride, expansion=expansion,
                                block_id=block_id)
    last = _make_divisible(1280 * alpha, 8) if alpha > 1.0 else 1280
    x = layers.Conv2D(last, kernel_size=1, use_bias=False, name="Conv_1")(x)
    x = _bn("Conv_1_bn")(x)
    x = layers.ReLU(6.0, name="out_relu")(x)
    if include_top:
        x = layers.GlobalAveragePooling2D()(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = pooled(x, pooling)
    if name is None:
        name = f"mobilenetv2_{alpha:0.2f}_{rows}"
    model = Functional(model_inputs(input_tensor, img_input), x, name=name)
    top = no_top = None
    if weights == "imagenet":
        stem = f"{_ROOT}mobilenet_v2_weights_tf_dim_ordering_tf_kernels_{float(alpha)}_{rows}"
        top, no_top = WeightsFile(f"{stem}.h5", None), WeightsFile(f"{stem}_no_top.h5", None)
    load_application_weights(model, weights, include_top=include_top, top=top, no_top=no_top)
    return model


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """MobileNetV2's preprocessing: pixels scaled from [0, 255] to [-1, 1] ("tf").

    Example:
        >>> import numpy as np, layerax as lx
        >>> lx.applications.mobilenet_v2.preprocess_input(np.array([0.0, 255.0]))
        array([-1.,  1.])
    """
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


decode_predictions = imagenet_utils.decode_predictions

__all__ = ["MobileNetV2", "decode_predictions", "preprocess_input"]
