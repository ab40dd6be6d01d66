"""VGG16 and VGG19 (Simonyan & Zisserman, 2014), as in `keras.applications.vgg16` / `vgg19`."""

from __future__ import annotations

from typing import Any

from layerax import layers
from layerax.applications import imagenet_utils
from layerax.applications._common import image_input, model_inputs, pooled
from layerax.applications._weights import WeightsFile, check_weights_argument, load_application_weights
from layerax.config import image_data_format
from layerax.models.functional import Functional

_FILES = {
    "vgg16": (
        WeightsFile("tensorflow/keras-applications/vgg16/vgg16_weights_tf_dim_ordering_tf_kernels.h5",
                    "64373286793e3c8b2b4e3219cbf3544b"),
        WeightsFile("tensorflow/keras-applications/vgg16/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
                    "6d6bbae143d832006294945121d1f1fc"),
    ),
    "vgg19": (
        WeightsFile("tensorflow/keras-applications/vgg19/vgg19_weights_tf_dim_ordering_tf_kernels.h5",
                    "cbe5617147190e668d6c5d5026f83318"),
        WeightsFile("tensorflow/keras-applications/vgg19/vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5",
                    "253f8cb515780f3b799900260a226db6"),
    ),
}


def build_vgg(
    convs_per_block: tuple[int, ...], family: str, include_top: bool, weights: Any,
    input_tensor: Any, input_shape: Any, pooling: str | None, classes: int,
    classifier_activation: Any, name: str,
) -> Functional:
    """Five blocks of 3x3 convolutions and max-pooling, then (optionally) 3 dense layers."""
    check_weights_argument(weights, include_top, classes, name)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=224, min_size=32, data_format=image_data_format(),
        require_flatten=include_top, weights=weights,
    )
    img_input = image_input(input_tensor, input_shape)
    x = img_input
    for block, (filters, convs) in enumerate(zip((64, 128, 256, 512, 512), convs_per_block), start=1):
        for i in range(1, convs + 1):
            x = layers.Conv2D(filters, (3, 3), activation="relu", padding="same",
                              name=f"block{block}_conv{i}")(x)
        x = layers.MaxPooling2D((2, 2), strides=(2, 2), name=f"block{block}_pool")(x)
    if include_top:
        x = layers.Flatten(name="flatten")(x)
        x = layers.Dense(4096, activation="relu", name="fc1")(x)
        x = layers.Dense(4096, activation="relu", name="fc2")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = pooled(x, pooling)
    model = Functional(model_inputs(input_tensor, img_input), x, name=name)
    top, no_top = _FILES[family]
    load_application_weights(model, weights, include_top=include_top, top=top, no_top=no_top)
    return model


def VGG16(  # noqa: N802 - Keras' name
    include_top: bool = True, weights: Any = "imagenet", input_tensor: Any = None,
    input_shape: tuple[int | None, ...] | None = None, pooling: str | None = None,
    classes: int = 1000, classifier_activation: Any = "softmax", name: str = "vgg16",
) -> Functional:
    """Instantiates VGG16 (caffe preprocessing: `vgg16.preprocess_input`).

    Args:
        include_top: Whether to end with the 3 fully connected layers.
        weights: None (random), "imagenet" (Keras' published weights) or a file path.
        input_tensor: Optional symbolic tensor to use as the image input.
        input_shape: Optional `(height, width, channels)`; at least 32x32.
        pooling: With `include_top=False`: None, "avg" or "max".
        classes: Number of classes, with `include_top=True`.
        classifier_activation: The classifier's activation ("softmax" or None with
            pretrained weights).
        name: The model's name.

    Returns:
        A `Functional` model with Keras' layer names and weight order.

    Example:
        >>> import layerax as lx
        >>> m = lx.applications.VGG16(weights=None, include_top=False, input_shape=(32, 32, 3))
        >>> m.output.shape
        (None, 1, 1, 512)
    """
    return build_vgg((2, 2, 3, 3, 3), "vgg16", include_top, weights, input_tensor, input_shape,
                     pooling, classes, classifier_activation, name)


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """VGG's preprocessing: RGB to BGR, then the ImageNet mean is subtracted ("caffe").

    Example:
        >>> import numpy as np, layerax as lx
        >>> lx.applications.vgg16.preprocess_input(np.zeros((1, 1, 3)))[0, 0]
        array([-103.939, -116.779, -123.68 ])
    """
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="caffe")


decode_predictions = imagenet_utils.decode_predictions

__all__ = ["VGG16", "decode_predictions", "preprocess_input"]
