"""MobileNet (Howard et al., 2017), as in `keras.applications.mobilenet`."""

from __future__ import annotations

import warnings
from typing import Any

from layerax import layers
from layerax.applications import imagenet_utils
from layerax.applications._common import channel_axis, image_input, model_inputs, pooled
from layerax.applications._weights import WeightsFile, check_weights_argument, load_application_weights
from layerax.config import image_data_format
from layerax.models.functional import Functional

_ROOT = "tensorflow/keras-applications/mobilenet/"
_ALPHA_TEXT = {1.0: "1_0", 0.75: "7_5", 0.5: "5_0", 0.25: "2_5"}


def _conv_block(inputs: Any, filters: int, alpha: float, kernel: Any = (3, 3), strides: Any = (1, 1)) -> Any:
    x = layers.Conv2D(int(filters * alpha), kernel, padding="same", use_bias=False, strides=strides,
                      name="conv1")(inputs)
    x = layers.BatchNormalization(axis=channel_axis(), name="conv1_bn")(x)
    return layers.ReLU(6.0, name="conv1_relu")(x)


def _depthwise_conv_block(
    inputs: Any, pointwise_filters: int, alpha: float, depth_multiplier: int = 1,
    strides: tuple[int, int] = (1, 1), block_id: int = 1,
) -> Any:
    if strides == (1, 1):
        x = inputs
    else:
        x = layers.ZeroPadding2D(((0, 1), (0, 1)), name=f"conv_pad_{block_id}")(inputs)
    x = layers.DepthwiseConv2D((3, 3), padding="same" if strides == (1, 1) else "valid",
                               depth_multiplier=depth_multiplier, strides=strides, use_bias=False,
                               name=f"conv_dw_{block_id}")(x)
    x = layers.BatchNormalization(axis=channel_axis(), name=f"conv_dw_{block_id}_bn")(x)
    x = layers.ReLU(6.0, name=f"conv_dw_{block_id}_relu")(x)
    x = layers.Conv2D(int(pointwise_filters * alpha), (1, 1), padding="same", use_bias=False,
                      strides=(1, 1), name=f"conv_pw_{block_id}")(x)
    x = layers.BatchNormalization(axis=channel_axis(), name=f"conv_pw_{block_id}_bn")(x)
    return layers.ReLU(6.0, name=f"conv_pw_{block_id}_relu")(x)


# (pointwise filters, stride) of the 13 depthwise blocks.
_BLOCKS = ((64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1), (512, 1),
           (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1))


def _rows_cols(input_shape: Any) -> tuple[Any, Any]:
    if image_data_format() == "channels_first":
        return input_shape[1], input_shape[2]
    return input_shape[0], input_shape[1]


def MobileNet(  # noqa: N802 - Keras' name
    input_shape: tuple[int | None, ...] | None = None, alpha: float = 1.0, depth_multiplier: int = 1,
    dropout: float = 1e-3, include_top: bool = True, weights: Any = "imagenet",
    input_tensor: Any = None, pooling: str | None = None, classes: int = 1000,
    classifier_activation: Any = "softmax", name: str | None = None,
) -> Functional:
    """Instantiates MobileNet (tf preprocessing: `mobilenet.preprocess_input`).

    Args:
        input_shape: Optional `(height, width, channels)`; at least 32x32. ImageNet
            weights exist for 128, 160, 192 and 224.
        alpha: Width multiplier of every layer (0.25, 0.5, 0.75, 1.0 with ImageNet weights).
        depth_multiplier: Depth multiplier of the depthwise convolutions.
        dropout: Dropout rate before the classifier.
        include_top: Whether to end with the classifier.
        weights: None (random), "imagenet" (Keras' published weights) or a file path.
        input_tensor: Optional symbolic tensor to use as the image input.
        pooling: With `include_top=False`: None, "avg" or "max".
        classes: Number of classes, with `include_top=True`.
        classifier_activation: The classifier's activation.
        name: The model's name (default `mobilenet_{alpha:0.2f}_{rows}`).

    Returns:
        A `Functional` model with Keras' layer names and weight order.

    Example:
        >>> import layerax as lx
        >>> m = lx.applications.MobileNet(weights=None, include_top=False, alpha=0.25,
        ...                               input_shape=(32, 32, 3))
        >>> m.name, m.output.shape
        ('mobilenet_0.25_32', (None, 1, 1, 256))
    """
    check_weights_argument(weights, include_top, classes, "MobileNet")
    default_size = 224
    if input_shape is not None:
        rows, cols = _rows_cols(input_shape)
        if rows == cols and rows in (128, 160, 192, 224):
            default_size = rows
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=default_size, min_size=32, data_format=image_data_format(),
        require_flatten=include_top, weights=weights,
    )
    rows, cols = _rows_cols(input_shape)
    if weights == "imagenet":
        if depth_multiplier != 1:
            raise ValueError(
                "MobileNet: if imagenet weights are being loaded, depth multiplier must be 1. "
                f"Received depth_multiplier={depth_multiplier}"
            )
        if alpha not in _ALPHA_TEXT:
            raise ValueError(
                "MobileNet: if imagenet weights are being loaded, alpha can be one of `0.25`, "
                f"`0.50`, `0.75` or `1.0` only. Received alpha={alpha}"
            )
        if rows != cols or rows not in (128, 160, 192, 224):
            rows = 224
            warnings.warn(
                "`input_shape` is undefined or non-square, or `rows` is not in "
                "[128, 160, 192, 224]. Weights for input shape (224, 224) will be loaded as "
                "the default.",
                stacklevel=2,
            )
    img_input = image_input(input_tensor, input_shape)
    x = _conv_block(img_input, 32, alpha, strides=(2, 2))
    for block_id, (filters, stride) in enumerate(_BLOCKS, start=1):
        x = _depthwise_conv_block(x, filters, alpha, depth_multiplier, strides=(stride, stride),
                                  block_id=block_id)
    if include_top:
        x = layers.GlobalAveragePooling2D(keepdims=True)(x)
        x = layers.Dropout(dropout, name="dropout")(x)
        x = layers.Conv2D(classes, (1, 1), padding="same", name="conv_preds")(x)
        x = layers.Reshape((classes,), name="reshape_2")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Activation(activation=classifier_activation, name="predictions")(x)
    else:
        x = pooled(x, pooling)
    if name is None:
        name = f"mobilenet_{alpha:0.2f}_{rows}"
    model = Functional(model_inputs(input_tensor, img_input), x, name=name)
    top = no_top = None
    if weights == "imagenet":
        stem = f"{_ROOT}mobilenet_{_ALPHA_TEXT[alpha]}_{rows}_tf"
        top, no_top = WeightsFile(f"{stem}.h5", None), WeightsFile(f"{stem}_no_top.h5", None)
    load_application_weights(model, weights, include_top=include_top, top=top, no_top=no_top)
    return model


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """MobileNet's preprocessing: pixels scaled from [0, 255] to [-1, 1] ("tf").

    Example:
        >>> import numpy as np, layerax as lx
        >>> lx.applications.mobilenet.preprocess_input(np.array([0.0, 255.0]))
        array([-1.,  1.])
    """
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


decode_predictions = imagenet_utils.decode_predictions

__all__ = ["MobileNet", "decode_predictions", "preprocess_input"]
