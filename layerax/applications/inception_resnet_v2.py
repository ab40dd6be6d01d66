"""Inception-ResNet V2 (Szegedy et al., 2017), as in `keras.applications.inception_resnet_v2`.

Layer names, layer order and weight order match Keras, so weight files move
between the two libraries.
"""

from __future__ import annotations

from typing import Any

from layerax import config, layers
from layerax.applications import imagenet_utils
from layerax.applications._family import KERAS_APPS, FamilySpec, build_application
from layerax.applications._weights import WeightsFile
from layerax.core.layer import Layer

__all__ = ["CustomScaleLayer", "InceptionResNetV2", "decode_predictions", "preprocess_input"]

_BASE = KERAS_APPS + "inception_resnet_v2/"
_FILE = "inception_resnet_v2_weights_tf_dim_ordering_tf_kernels"
_SPEC = FamilySpec(
    family="InceptionResNetV2", default_size=299, min_size=75,
    top_file=WeightsFile(_BASE + f"{_FILE}.h5", "e693bd0210a403b3192acc6073ad2e96"),
    notop_file=WeightsFile(_BASE + f"{_FILE}_notop.h5", "d19885ff4a710c122648d3b5c3b684e4"),
)


class CustomScaleLayer(Layer):
    """Residual sum with a scaled branch: `inputs[0] + inputs[1] * scale`.

    Args:
        scale: The factor of the residual branch.
        **kwargs: Base layer arguments (`name`, `dtype`, ...).

    Example:
        >>> import numpy as np
        >>> from layerax.applications.inception_resnet_v2 import CustomScaleLayer
        >>> CustomScaleLayer(0.5)([np.ones(2), np.full(2, 4.0)]).tolist()
        [3.0, 3.0]
    """

    def __init__(self, scale: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scale = scale

    def call(self, inputs: Any) -> Any:
        return inputs[0] + inputs[1] * self.scale

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape[0]

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "scale": self.scale}


def _axis() -> int:
    return 1 if config.image_data_format() == "channels_first" else 3


def conv2d_bn(x: Any, filters: int, kernel_size: Any, strides: int = 1, padding: str = "same",
              activation: str | None = "relu", use_bias: bool = False, name: str | None = None) -> Any:
    """Conv2D, then (without bias) BatchNormalization without scale, then the activation."""
    x = layers.Conv2D(filters, kernel_size, strides=strides, padding=padding, use_bias=use_bias, name=name)(x)
    if not use_bias:
        x = layers.BatchNormalization(axis=_axis(), scale=False, name=None if name is None else f"{name}_bn")(x)
    if activation is not None:
        x = layers.Activation(activation, name=None if name is None else f"{name}_ac")(x)
    return x


def _chain(x: Any, convs: list[tuple[int, Any]]) -> Any:
    for filters, kernel in convs:
        x = conv2d_bn(x, filters, kernel)
    return x


_BRANCHES = {
    "block35": [[(32, 1)], [(32, 1), (32, 3)], [(32, 1), (48, 3), (64, 3)]],
    "block17": [[(192, 1)], [(128, 1), (160, [1, 7]), (192, [7, 1])]],
    "block8": [[(192, 1)], [(192, 1), (224, [1, 3]), (256, [3, 1])]],
}


def inception_resnet_block(x: Any, scale: float, block_type: str, block_idx: int,
                           activation: str | None = "relu") -> Any:
    """One Inception-ResNet block: parallel branches, a 1x1 projection, a scaled residual sum."""
    if block_type not in _BRANCHES:
        raise ValueError(
            "Unknown Inception-ResNet block type: expected 'block35', 'block17' or 'block8'. "
            f"Received: block_type={block_type!r}."
        )
    branches = [_chain(x, convs) for convs in _BRANCHES[block_type]]
    block_name = f"{block_type}_{block_idx}"
    mixed = layers.Concatenate(axis=_axis(), name=f"{block_name}_mixed")(branches)
    up = conv2d_bn(mixed, x.shape[_axis()], 1, activation=None, use_bias=True, name=f"{block_name}_conv")
    x = CustomScaleLayer(scale)([x, up])
    if activation is not None:
        x = layers.Activation(activation, name=f"{block_name}_ac")(x)
    return x


def _body(img_input: Any) -> Any:
    x = conv2d_bn(img_input, 32, 3, strides=2, padding="valid")
    x = conv2d_bn(x, 32, 3, padding="valid")
    x = conv2d_bn(x, 64, 3)
    x = layers.MaxPooling2D(3, strides=2)(x)
    x = conv2d_bn(x, 80, 1, padding="valid")
    x = conv2d_bn(x, 192, 3, padding="valid")
    x = layers.MaxPooling2D(3, strides=2)(x)
    # mixed_5b (Inception-A)
    b0 = conv2d_bn(x, 96, 1)
    b1 = _chain(x, [(48, 1), (64, 5)])
    b2 = _chain(x, [(64, 1), (96, 3), (96, 3)])
    bp = conv2d_bn(layers.AveragePooling2D(3, strides=1, padding="same")(x), 64, 1)
    x = layers.Concatenate(axis=_axis(), name="mixed_5b")([b0, b1, b2, bp])
    for idx in range(1, 11):
        x = inception_resnet_block(x, scale=0.17, block_type="block35", block_idx=idx)
    # mixed_6a (Reduction-A)
    b0 = conv2d_bn(x, 384, 3, strides=2, padding="valid")
    b1 = conv2d_bn(_chain(x, [(256, 1), (256, 3)]), 384, 3, strides=2, padding="valid")
    bp = layers.MaxPooling2D(3, strides=2, padding="valid")(x)
    x = layers.Concatenate(axis=_axis(), name="mixed_6a")([b0, b1, bp])
    for idx in range(1, 21):
        x = inception_resnet_block(x, scale=0.1, block_type="block17", block_idx=idx)
    # mixed_7a (Reduction-B)
    b0 = conv2d_bn(conv2d_bn(x, 256, 1), 384, 3, strides=2, padding="valid")
    b1 = conv2d_bn(conv2d_bn(x, 256, 1), 288, 3, strides=2, padding="valid")
    b2 = conv2d_bn(_chain(x, [(256, 1), (288, 3)]), 320, 3, strides=2, padding="valid")
    bp = layers.MaxPooling2D(3, strides=2, padding="valid")(x)
    x = layers.Concatenate(axis=_axis(), name="mixed_7a")([b0, b1, b2, bp])
    for idx in range(1, 10):
        x = inception_resnet_block(x, scale=0.2, block_type="block8", block_idx=idx)
    x = inception_resnet_block(x, scale=1.0, activation=None, block_type="block8", block_idx=10)
    return conv2d_bn(x, 1536, 1, name="conv_7b")


def InceptionResNetV2(include_top: bool = True, weights: Any = "imagenet", input_tensor: Any = None,  # noqa: N802
                      input_shape: Any = None, pooling: str | None = None, classes: int = 1000,
                      classifier_activation: Any = "softmax", name: str = "inception_resnet_v2") -> Any:
    """Instantiates the Inception-ResNet V2 architecture (`keras.applications.InceptionResNetV2`).

    Inputs are expected preprocessed with
    `lx.applications.inception_resnet_v2.preprocess_input` (scaled to [-1, 1]).

    Args:
        include_top: Whether to include the classifier (global average
            pooling and the `predictions` Dense layer).
        weights: `None` (random initialization), `"imagenet"` (Keras'
            published ImageNet weights, downloaded with `lx.utils.get_file`)
            or the path of a weights file.
        input_tensor: Optional symbolic tensor (`lx.Input(...)`) to use as
            the image input.
        input_shape: Optional `(height, width, 3)` when `include_top=False`
            (at least 75x75); with the top it must be `(299, 299, 3)`.
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
        >>> model = lx.applications.InceptionResNetV2(weights=None, include_top=False,
        ...     input_shape=(75, 75, 3), pooling="avg")
        >>> model.output_shape
        (None, 1536)
    """
    return build_application(
        _SPEC, _body, include_top=include_top, weights=weights, input_tensor=input_tensor,
        input_shape=input_shape, pooling=pooling, classes=classes,
        classifier_activation=classifier_activation, name=name,
    )


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """Preprocesses images for Inception-ResNet V2: scales [0, 255] to [-1, 1] ("tf" mode).

    Args:
        x: Float array or tensor of RGB images with values in [0, 255].
        data_format: `"channels_last"` or `"channels_first"`; defaults to
            `lx.config.image_data_format()`.

    Returns:
        The preprocessed images.

    Example:
        >>> import numpy as np, layerax as lx
        >>> lx.applications.inception_resnet_v2.preprocess_input(np.array([0.0, 255.0])).tolist()
        [-1.0, 1.0]
    """
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds: Any, top: int = 5) -> list[list[tuple[str, str, float]]]:
    """Decodes ImageNet predictions of Inception-ResNet V2 into `(class_id, name, score)` lists.

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
        >>> lx.applications.inception_resnet_v2.decode_predictions(p, top=1)[0][0][:2]
        ('n00000042', 'class_42')
        >>> imagenet_utils.CLASS_INDEX = None
    """
    return imagenet_utils.decode_predictions(preds, top=top)
