"""Xception (Chollet, 2017), as in `keras.applications.xception`.

Layer names, layer order and weight order match Keras, so weight files move
between the two libraries.
"""

from __future__ import annotations

from typing import Any

from layerax import config, layers
from layerax.applications import imagenet_utils
from layerax.applications._family import KERAS_APPS, FamilySpec, build_application
from layerax.applications._weights import WeightsFile

__all__ = ["Xception", "decode_predictions", "preprocess_input"]

_BASE = KERAS_APPS + "xception/"
_FILE = "xception_weights_tf_dim_ordering_tf_kernels"
_SPEC = FamilySpec(
    family="Xception", default_size=299, min_size=71,
    top_file=WeightsFile(_BASE + f"{_FILE}.h5", "0a58e3b7378bc2990ea3b43d5981f1f6"),
    notop_file=WeightsFile(_BASE + f"{_FILE}_notop.h5", "b0042744bf5b25fce3cb969f33bebb97"),
)


def _sep_bn(x: Any, filters: int, name: str, axis: int) -> Any:
    x = layers.SeparableConv2D(filters, (3, 3), padding="same", use_bias=False, name=name)(x)
    return layers.BatchNormalization(axis=axis, name=f"{name}_bn")(x)


def _shortcut(x: Any, filters: int, axis: int) -> Any:
    # Keras leaves these layers unnamed; their auto-names follow the same counters.
    r = layers.Conv2D(filters, (1, 1), strides=(2, 2), padding="same", use_bias=False)(x)
    return layers.BatchNormalization(axis=axis)(r)


def _entry_block(x: Any, filters: tuple[int, int], block: int, axis: int, first_relu: bool) -> Any:
    residual = _shortcut(x, filters[1], axis)
    if first_relu:
        x = layers.Activation("relu", name=f"block{block}_sepconv1_act")(x)
    x = _sep_bn(x, filters[0], f"block{block}_sepconv1", axis)
    x = layers.Activation("relu", name=f"block{block}_sepconv2_act")(x)
    x = _sep_bn(x, filters[1], f"block{block}_sepconv2", axis)
    x = layers.MaxPooling2D((3, 3), strides=(2, 2), padding="same", name=f"block{block}_pool")(x)
    return layers.add([x, residual])


def _body(img_input: Any) -> Any:
    axis = 1 if config.image_data_format() == "channels_first" else -1
    x = layers.Conv2D(32, (3, 3), strides=(2, 2), use_bias=False, name="block1_conv1")(img_input)
    x = layers.BatchNormalization(axis=axis, name="block1_conv1_bn")(x)
    x = layers.Activation("relu", name="block1_conv1_act")(x)
    x = layers.Conv2D(64, (3, 3), use_bias=False, name="block1_conv2")(x)
    x = layers.BatchNormalization(axis=axis, name="block1_conv2_bn")(x)
    x = layers.Activation("relu", name="block1_conv2_act")(x)
    x = _entry_block(x, (128, 128), 2, axis, first_relu=False)
    x = _entry_block(x, (256, 256), 3, axis, first_relu=True)
    x = _entry_block(x, (728, 728), 4, axis, first_relu=True)
    for block in range(5, 13):
        residual = x
        for j in (1, 2, 3):
            x = layers.Activation("relu", name=f"block{block}_sepconv{j}_act")(x)
            x = _sep_bn(x, 728, f"block{block}_sepconv{j}", axis)
        x = layers.add([x, residual])
    x = _entry_block(x, (728, 1024), 13, axis, first_relu=True)
    x = _sep_bn(x, 1536, "block14_sepconv1", axis)
    x = layers.Activation("relu", name="block14_sepconv1_act")(x)
    x = _sep_bn(x, 2048, "block14_sepconv2", axis)
    return layers.Activation("relu", name="block14_sepconv2_act")(x)


def Xception(include_top: bool = True, weights: Any = "imagenet", input_tensor: Any = None,  # noqa: N802
             input_shape: Any = None, pooling: str | None = None, classes: int = 1000,
             classifier_activation: Any = "softmax", name: str = "xception") -> Any:
    """Instantiates the Xception architecture (`keras.applications.Xception`).

    Inputs are expected preprocessed with `lx.applications.xception.preprocess_input`
    (scaled to [-1, 1]).

    Args:
        include_top: Whether to include the classifier (global average
            pooling and the `predictions` Dense layer).
        weights: `None` (random initialization), `"imagenet"` (Keras'
            published ImageNet weights, downloaded with `lx.utils.get_file`)
            or the path of a weights file.
        input_tensor: Optional symbolic tensor (`lx.Input(...)`) to use as
            the image input.
        input_shape: Optional `(height, width, 3)` when `include_top=False`
            (at least 71x71); with the top it must be `(299, 299, 3)`.
        pooling: With `include_top=False`: `None` (4D output), `"avg"` or
            `"max"` (global pooling, 2D output).
        classes: Number of classes when `include_top=True` and no
            pretrained weights are loaded.
        classifier_activation: Activation of the `predictions` layer;
            `None` returns logits.
        name: Name of the model.

    Returns:
        A functional `lx.Model`.

    Example:
        >>> import layerax as lx
        >>> model = lx.applications.Xception(weights=None, include_top=False,
        ...     input_shape=(71, 71, 3), pooling="avg")
        >>> model.output_shape
        (None, 2048)
    """
    return build_application(
        _SPEC, _body, include_top=include_top, weights=weights, input_tensor=input_tensor,
        input_shape=input_shape, pooling=pooling, classes=classes,
        classifier_activation=classifier_activation, name=name,
    )


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """Preprocesses images for Xception: scales pixels from [0, 255] to [-1, 1] ("tf" mode).

    Args:
        x: Float array or tensor of RGB images with values in [0, 255].
        data_format: `"channels_last"` or `"channels_first"`; defaults to
            `lx.config.image_data_format()`.

    Returns:
        The preprocessed images.

    Example:
        >>> import numpy as np, layerax as lx
        >>> lx.applications.xception.preprocess_input(np.array([0.0, 127.5, 255.0])).tolist()
        [-1.0, 0.0, 1.0]
    """
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds: Any, top: int = 5) -> list[list[tuple[str, str, float]]]:
    """Decodes ImageNet predictions of Xception into `(class_id, name, score)` lists.

    Args:
        preds: Array of shape `(batch, 1000)`.
        top: How many top classes to return per sample.

    Returns:
        One list of `(class_id, class_name, score)` tuples per sample.

    Example:
        >>> import numpy as np, layerax as lx
        >>> from layerax.applications import imagenet_utils
        >>> imagenet_utils.CLASS_INDEX = {str(i): [f"n{i:08d}", f"class_{i}"] for i in range(1000)}
        >>> p = np.zeros((1, 1000)); p[0, 42] = 1.0
        >>> lx.applications.xception.decode_predictions(p, top=1)[0][0][:2]
        ('n00000042', 'class_42')
        >>> imagenet_utils.CLASS_INDEX = None
    """
    return imagenet_utils.decode_predictions(preds, top=top)
