"""MobileNetV3Small and MobileNetV3Large (Howard et al., 2019), as in
`keras.applications.mobilenet_v3`.

The models rescale their inputs themselves (`include_preprocessing=True`), so they
take images with values in [0, 255]; `preprocess_input` is the identity.
"""

from __future__ import annotations

import warnings
from typing import Any, Callable

from layerax import layers
from layerax.applications import imagenet_utils
from layerax.applications._common import channel_axis, image_input, model_inputs
from layerax.applications._weights import WeightsFile, check_weights_argument, load_application_weights
from layerax.config import image_data_format
from layerax.models.functional import Functional

_ROOT = "tensorflow/keras-applications/mobilenet_v3/"
# model key -> (md5 of the top file, of the no-top file)
_HASHES = {
    "large_224_0.75_float": ("765b44a33ad4005b3ac83185abf1d0eb", "40af19a13ebea4e2ee0c676887f69a2e"),
    "large_224_1.0_float": ("59e551e166be033d707958cf9e29a6a7", "07fb09a5933dd0c8eaafa16978110389"),
    "large_minimalistic_224_1.0_float": ("675e7b876c45c57e9e63e6d90a36599c",
                                         "ec5221f64a2f6d1ef965a614bdae7973"),
    "small_224_0.75_float": ("cb65d4e5be93758266aa0a7f2c6708b7", "ebdb5cc8e0b497cd13a7c275d475c819"),
    "small_224_1.0_float": ("8768d4c2e7dee89b9d02b2d03d65d862", "d3e8ec802a04aa4fc771ee12a9a9b836"),
    "small_minimalistic_224_1.0_float": ("99cd97fb2fcdad2bf028eb838de69e37",
                                         "cde8136e733e811080d9fcd8a252f7e4"),
}
# (expansion, filters, kernel ("k": the model's kernel), stride, squeeze-excite, activation
# ("relu" or "act": the model's activation)) of each inverted residual block.
_SMALL = ((1, 16, 3, 2, True, "relu"), (72 / 16, 24, 3, 2, False, "relu"), (88 / 24, 24, 3, 1, False, "relu"),
          (4, 40, "k", 2, True, "act"), (6, 40, "k", 1, True, "act"), (6, 40, "k", 1, True, "act"),
          (3, 48, "k", 1, True, "act"), (3, 48, "k", 1, True, "act"), (6, 96, "k", 2, True, "act"),
          (6, 96, "k", 1, True, "act"), (6, 96, "k", 1, True, "act"))
_LARGE = ((1, 16, 3, 1, False, "relu"), (4, 24, 3, 2, False, "relu"), (3, 24, 3, 1, False, "relu"),
          (3, 40, "k", 2, True, "relu"), (3, 40, "k", 1, True, "relu"), (3, 40, "k", 1, True, "relu"),
          (6, 80, 3, 2, False, "act"), (2.5, 80, 3, 1, False, "act"), (2.3, 80, 3, 1, False, "act"),
          (2.3, 80, 3, 1, False, "act"), (6, 112, 3, 1, True, "act"), (6, 112, 3, 1, True, "act"),
          (6, 160, "k", 2, True, "act"), (6, 160, "k", 1, True, "act"), (6, 160, "k", 1, True, "act"))


def _depth(v: float, divisor: int = 8) -> int:
    """Rounds `v` to a multiple of `divisor`, never more than 10% below `v`."""
    new_v = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return new_v + divisor if new_v < 0.9 * v else new_v


def _relu(x: Any) -> Any:
    return layers.ReLU()(x)


def _hard_swish(x: Any) -> Any:
    return layers.Activation("hard_swish")(x)


def _hard_sigmoid(x: Any) -> Any:
    # Keras' graph: relu6(x + 3) * (1 / 6), two tensor operators around a ReLU layer.
    return layers.ReLU(6.0)(x + 3.0) * (1.0 / 6.0)


def _bn(name: str) -> layers.BatchNormalization:
    return layers.BatchNormalization(axis=channel_axis(), epsilon=1e-3, momentum=0.999, name=name)


def _se_block(inputs: Any, filters: int, se_ratio: float, prefix: str) -> Any:
    x = layers.GlobalAveragePooling2D(keepdims=True, name=f"{prefix}squeeze_excite_avg_pool")(inputs)
    x = layers.Conv2D(_depth(filters * se_ratio), kernel_size=1, padding="same",
                      name=f"{prefix}squeeze_excite_conv")(x)
    x = layers.ReLU(name=f"{prefix}squeeze_excite_relu")(x)
    x = layers.Conv2D(filters, kernel_size=1, padding="same", name=f"{prefix}squeeze_excite_conv_1")(x)
    x = _hard_sigmoid(x)
    return layers.Multiply(name=f"{prefix}squeeze_excite_mul")([inputs, x])


def _inverted_res_block(x: Any, expansion: float, filters: int, kernel_size: int, stride: int,
                        se_ratio: float | None, activation: Callable[[Any], Any], block_id: int) -> Any:
    shortcut = x
    infilters = x.shape[channel_axis()]
    prefix = f"expanded_conv_{block_id}_" if block_id else "expanded_conv_"
    if block_id:
        x = layers.Conv2D(_depth(infilters * expansion), kernel_size=1, padding="same", use_bias=False,
                          name=f"{prefix}expand")(x)
        x = activation(_bn(f"{prefix}expand_bn")(x))
    if stride == 2:
        x = layers.ZeroPadding2D(padding=imagenet_utils.correct_pad(x, kernel_size),
                                 name=f"{prefix}depthwise_pad")(x)
    x = layers.DepthwiseConv2D(kernel_size, strides=stride, padding="same" if stride == 1 else "valid",
                               use_bias=False, name=f"{prefix}depthwise")(x)
    x = activation(_bn(f"{prefix}depthwise_bn")(x))
    if se_ratio:
        x = _se_block(x, _depth(infilters * expansion), se_ratio, prefix)
    x = layers.Conv2D(filters, kernel_size=1, padding="same", use_bias=False, name=f"{prefix}project")(x)
    x = _bn(f"{prefix}project_bn")(x)
    if stride == 1 and infilters == filters:
        x = layers.Add(name=f"{prefix}add")([shortcut, x])
    return x


def _rows_cols(shape: Any) -> tuple[Any, Any]:
    return (shape[1], shape[2]) if image_data_format() == "channels_first" else (shape[0], shape[1])


def MobileNetV3(  # noqa: N802 - Keras' name
    blocks: tuple[tuple[Any, ...], ...], last_point_ch: int, input_shape: Any = None, alpha: float = 1.0,
    model_type: str = "large", minimalistic: bool = False, include_top: bool = True,
    weights: Any = "imagenet", input_tensor: Any = None, classes: int = 1000, pooling: str | None = None,
    dropout_rate: float = 0.2, classifier_activation: Any = "softmax", include_preprocessing: bool = True,
    name: str | None = None,
) -> Functional:
    """Builds a MobileNetV3 from its table of inverted residual `blocks`."""
    family = f"MobileNetV3{model_type.capitalize()}"
    check_weights_argument(weights, include_top, classes, family)
    if input_shape is None and input_tensor is not None:
        shape = tuple(input_tensor.shape)
        input_shape = (3, *shape[2:4]) if image_data_format() == "channels_first" else (*shape[1:3], 3)
    if input_shape is None:
        input_shape = (3, None, None) if image_data_format() == "channels_first" else (None, None, 3)
    input_shape = tuple(input_shape)
    rows, cols = _rows_cols(input_shape)
    if rows and cols and (rows < 32 or cols < 32):
        raise ValueError(f"{family}: input size must be at least 32x32; Received `input_shape={input_shape}`")
    if weights == "imagenet":
        if (not minimalistic and alpha not in (0.75, 1.0)) or (minimalistic and alpha != 1.0):
            raise ValueError(
                f"{family}: if imagenet weights are being loaded, alpha can be one of `0.75`, "
                f"`1.0` for non minimalistic or `1.0` for minimalistic only. Received: alpha={alpha}"
            )
        if rows != cols or rows != 224:
            warnings.warn(
                "`input_shape` is undefined or non-square, or `rows` is not 224. Weights for input "
                "shape (224, 224) will be loaded as the default.",
                stacklevel=3,
            )
    img_input = image_input(input_tensor, input_shape)
    axis = channel_axis()
    kernel, activation, se_ratio = (3, _relu, None) if minimalistic else (5, _hard_swish, 0.25)
    x = img_input
    if include_preprocessing:
        x = layers.Rescaling(scale=1.0 / 127.5, offset=-1.0)(x)
    x = layers.Conv2D(16, kernel_size=3, strides=(2, 2), padding="same", use_bias=False, name="conv")(x)
    x = activation(_bn("conv_bn")(x))
    for block_id, (expansion, filters, k, stride, se, act) in enumerate(blocks):
        x = _inverted_res_block(x, expansion, _depth(filters * alpha), kernel if k == "k" else k, stride,
                                se_ratio if se else None, _relu if act == "relu" else activation, block_id)
    last_conv_ch = _depth(x.shape[axis] * 6)
    if alpha > 1.0:
        last_point_ch = _depth(last_point_ch * alpha)
    x = layers.Conv2D(last_conv_ch, kernel_size=1, padding="same", use_bias=False, name="conv_1")(x)
    x = activation(_bn("conv_1_bn")(x))
    if include_top:
        x = layers.GlobalAveragePooling2D(keepdims=True)(x)
        x = layers.Conv2D(last_point_ch, kernel_size=1, padding="same", use_bias=True, name="conv_2")(x)
        x = activation(x)
        if dropout_rate > 0:
            x = layers.Dropout(dropout_rate)(x)
        x = layers.Conv2D(classes, kernel_size=1, padding="same", name="logits")(x)
        x = layers.Flatten()(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Activation(activation=classifier_activation, name="predictions")(x)
    elif pooling == "avg":
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    elif pooling == "max":
        x = layers.GlobalMaxPooling2D(name="max_pool")(x)
    model = Functional(model_inputs(input_tensor, img_input), x, name=name)
    top = no_top = None
    if weights == "imagenet":
        key = f"{model_type}{'_minimalistic' if minimalistic else ''}_224_{alpha}_float"
        top = WeightsFile(f"{_ROOT}weights_mobilenet_v3_{key}.h5", _HASHES[key][0])
        no_top = WeightsFile(f"{_ROOT}weights_mobilenet_v3_{key}_no_top_v2.h5", _HASHES[key][1])
    load_application_weights(model, weights, include_top=include_top, top=top, no_top=no_top)
    return model


_DOC = """Instantiates {name} (preprocessing is built in: it takes pixels in [0, 255]).

    Args:
        input_shape: Optional `(height, width, channels)`; at least 32x32 (ImageNet
            weights are for 224x224). Taken from `input_tensor` when not given.
        alpha: Width multiplier (0.75 or 1.0 with ImageNet weights; 1.0 if minimalistic).
        minimalistic: Without squeeze-excitation, hard-swish and 5x5 kernels.
        include_top: Whether to end with the classifier.
        weights: None (random), "imagenet" (Keras' published weights) or a file path.
        input_tensor: Optional symbolic tensor to use as the image input.
        classes: Number of classes, with `include_top=True`.
        pooling: With `include_top=False`: None, "avg" or "max".
        dropout_rate: Dropout before the classifier's logits.
        classifier_activation: The classifier's activation.
        include_preprocessing: Whether the model starts with `Rescaling(1 / 127.5, offset=-1)`.
        name: The model's name.

    Returns:
        A `Functional` model with Keras' layer names and weight order.

    Example:
        >>> import layerax as lx
        >>> m = lx.applications.{name}(weights=None, include_top=False, pooling="avg",
        ...                            input_shape=(32, 32, 3), minimalistic=True, alpha=0.75)
        >>> m.name, m.output.shape
        ('{name}', (None, {channels}))
    """


def MobileNetV3Small(  # noqa: N802 - Keras' name
    input_shape: Any = None, alpha: float = 1.0, minimalistic: bool = False, include_top: bool = True,
    weights: Any = "imagenet", input_tensor: Any = None, classes: int = 1000, pooling: str | None = None,
    dropout_rate: float = 0.2, classifier_activation: Any = "softmax", include_preprocessing: bool = True,
    name: str = "MobileNetV3Small",
) -> Functional:
    return MobileNetV3(_SMALL, 1024, input_shape, alpha, "small", minimalistic, include_top, weights,
                       input_tensor, classes, pooling, dropout_rate, classifier_activation,
                       include_preprocessing, name=name)


def MobileNetV3Large(  # noqa: N802 - Keras' name
    input_shape: Any = None, alpha: float = 1.0, minimalistic: bool = False, include_top: bool = True,
    weights: Any = "imagenet", input_tensor: Any = None, classes: int = 1000, pooling: str | None = None,
    dropout_rate: float = 0.2, classifier_activation: Any = "softmax", include_preprocessing: bool = True,
    name: str = "MobileNetV3Large",
) -> Functional:
    return MobileNetV3(_LARGE, 1280, input_shape, alpha, "large", minimalistic, include_top, weights,
                       input_tensor, classes, pooling, dropout_rate, classifier_activation,
                       include_preprocessing, name=name)


MobileNetV3Small.__doc__ = _DOC.format(name="MobileNetV3Small", channels=432)
MobileNetV3Large.__doc__ = _DOC.format(name="MobileNetV3Large", channels=720)


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """Returns `x` unchanged: MobileNetV3 models preprocess their inputs themselves.

    Example:
        >>> import numpy as np, layerax as lx
        >>> lx.applications.mobilenet_v3.preprocess_input(np.array([0.0, 255.0]))
        array([  0., 255.])
    """
    return x


decode_predictions = imagenet_utils.decode_predictions

__all__ = ["MobileNetV3Large", "MobileNetV3Small", "decode_predictions", "preprocess_input"]
