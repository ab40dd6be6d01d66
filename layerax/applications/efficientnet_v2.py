"""EfficientNetV2 B0 to B3, S, M and L (Tan & Le, 2021), as in
`keras.applications.efficientnet_v2`.

The models include their preprocessing (`include_preprocessing=True`), so they take
images with values in [0, 255]; `preprocess_input` is the identity.
"""

from __future__ import annotations

import math
from typing import Any

from layerax import layers
from layerax.applications import imagenet_utils
from layerax.applications._common import channel_axis, image_input, model_inputs
from layerax.applications._weights import WeightsFile, check_weights_argument, load_application_weights
from layerax.config import image_data_format
from layerax.models.functional import Functional

_ROOT = "tensorflow/keras-applications/efficientnet_v2/"
# variant -> (md5 of the top file, of the no-top file)
_HASHES = {
    "b0": ("21ecbf6da12460d5c40bb2f29ceb2188", "893217f2bb855e2983157299931e43ff"),
    "b1": ("069f0534ff22adf035c89e2d9547a9dc", "0e80663031ca32d657f9caa404b6ec37"),
    "b2": ("424e49f28180edbde1e94797771950a7", "1dfe2e7a5d45b6632553a8961ea609eb"),
    "b3": ("1f1fc43bd98a6e4fd8fdfd551e02c7a0", "f6abf7b5849ac99a89b50dd3fd532856"),
    "-s": ("e1d88a8495beba45748fedd0cecbe016", "af0682fb74e8c54910f2d4393339c070"),
    "-m": ("a3bf6aa3276309f4fc6a34aa114c95cd", "1b8dc055df72dde80d614482840fe342"),
    "-l": ("27e6d408b53c7ebc868fefa357689935", "b0b66b5c863aef5b46e8608fe1711615"),
}
_KEYS = ("kernel_size", "num_repeat", "input_filters", "output_filters", "expand_ratio", "se_ratio",
         "strides", "conv_type")
# Rows of `_KEYS`; conv_type 1 is a fused MBConv block, 0 an MBConv block.
_B = ((3, 1, 32, 16, 1, 0, 1, 1), (3, 2, 16, 32, 4, 0, 2, 1), (3, 2, 32, 48, 4, 0, 2, 1),
      (3, 3, 48, 96, 4, 0.25, 2, 0), (3, 5, 96, 112, 6, 0.25, 1, 0), (3, 8, 112, 192, 6, 0.25, 2, 0))
_STAGES = {
    "efficientnetv2-s": ((3, 2, 24, 24, 1, 0, 1, 1), (3, 4, 24, 48, 4, 0, 2, 1), (3, 4, 48, 64, 4, 0, 2, 1),
                         (3, 6, 64, 128, 4, 0.25, 2, 0), (3, 9, 128, 160, 6, 0.25, 1, 0),
                         (3, 15, 160, 256, 6, 0.25, 2, 0)),
    "efficientnetv2-m": ((3, 3, 24, 24, 1, 0, 1, 1), (3, 5, 24, 48, 4, 0, 2, 1), (3, 5, 48, 80, 4, 0, 2, 1),
                         (3, 7, 80, 160, 4, 0.25, 2, 0), (3, 14, 160, 176, 6, 0.25, 1, 0),
                         (3, 18, 176, 304, 6, 0.25, 2, 0), (3, 5, 304, 512, 6, 0.25, 1, 0)),
    "efficientnetv2-l": ((3, 4, 32, 32, 1, 0, 1, 1), (3, 7, 32, 64, 4, 0, 2, 1), (3, 7, 64, 96, 4, 0, 2, 1),
                         (3, 10, 96, 192, 4, 0.25, 2, 0), (3, 19, 192, 224, 6, 0.25, 1, 0),
                         (3, 25, 224, 384, 6, 0.25, 2, 0), (3, 7, 384, 640, 6, 0.25, 1, 0)),
    "efficientnetv2-b0": _B, "efficientnetv2-b1": _B, "efficientnetv2-b2": _B, "efficientnetv2-b3": _B,
}
DEFAULT_BLOCKS_ARGS = {name: [dict(zip(_KEYS, row)) for row in rows] for name, rows in _STAGES.items()}
CONV_KERNEL_INITIALIZER = {
    "class_name": "VarianceScaling",
    "config": {"scale": 2.0, "mode": "fan_out", "distribution": "truncated_normal"},
}
DENSE_KERNEL_INITIALIZER = {
    "class_name": "VarianceScaling",
    "config": {"scale": 1.0 / 3.0, "mode": "fan_out", "distribution": "uniform"},
}


def round_filters(filters: float, width_coefficient: float, min_depth: int | None, depth_divisor: int) -> int:
    """Scales `filters` by `width_coefficient`, rounded to a multiple of `depth_divisor`."""
    filters *= width_coefficient
    return int(max(min_depth or depth_divisor, int(filters + depth_divisor / 2) // depth_divisor * depth_divisor))


def round_repeats(repeats: int, depth_coefficient: float) -> int:
    """Scales a stage's block count by `depth_coefficient`, rounded up."""
    return int(math.ceil(depth_coefficient * repeats))


def _bn(momentum: float, name: str) -> layers.BatchNormalization:
    return layers.BatchNormalization(axis=channel_axis(), momentum=momentum, name=name)


def _conv(filters: int, kernel_size: int, name: str, strides: int = 1, **kwargs: Any) -> layers.Conv2D:
    return layers.Conv2D(filters, kernel_size, strides=strides, padding="same", use_bias=False,
                         kernel_initializer=CONV_KERNEL_INITIALIZER, name=name, **kwargs)


def _squeeze_excite(x: Any, filters: int, input_filters: int, se_ratio: float, activation: Any, name: str) -> Any:
    se = layers.GlobalAveragePooling2D(name=f"{name}se_squeeze")(x)
    se = layers.Reshape((filters, 1, 1) if channel_axis() == 1 else (1, 1, filters), name=f"{name}se_reshape")(se)
    se = layers.Conv2D(max(1, int(input_filters * se_ratio)), 1, padding="same", activation=activation,
                       kernel_initializer=CONV_KERNEL_INITIALIZER, name=f"{name}se_reduce")(se)
    se = layers.Conv2D(filters, 1, padding="same", activation="sigmoid",
                       kernel_initializer=CONV_KERNEL_INITIALIZER, name=f"{name}se_expand")(se)
    return layers.Multiply(name=f"{name}se_excite")([x, se])


def _residual(x: Any, inputs: Any, survival_probability: float, name: str) -> Any:
    if survival_probability:
        # Keras passes the survival probability as the dropout rate; kept for equal graphs.
        x = layers.Dropout(survival_probability, noise_shape=(None, 1, 1, 1), name=f"{name}drop")(x)
    return layers.Add(name=f"{name}add")([x, inputs])


def _block(inputs: Any, *, fused: bool, input_filters: int, output_filters: int, expand_ratio: int,
           kernel_size: int, strides: int, se_ratio: float, bn_momentum: float, activation: Any,
           survival_probability: float, name: str) -> Any:
    """An MBConv block, or (`fused`) its fused variant whose expansion is a full convolution."""
    filters = input_filters * expand_ratio
    x = inputs
    if expand_ratio != 1:
        x = _conv(filters, kernel_size if fused else 1, f"{name}expand_conv", strides if fused else 1)(x)
        x = _bn(bn_momentum, f"{name}expand_bn")(x)
        x = layers.Activation(activation, name=f"{name}expand_activation")(x)
    if not fused:
        x = layers.DepthwiseConv2D(kernel_size, strides=strides, padding="same", use_bias=False,
                                   depthwise_initializer=CONV_KERNEL_INITIALIZER, name=f"{name}dwconv2")(x)
        x = _bn(bn_momentum, f"{name}bn")(x)
        x = layers.Activation(activation, name=f"{name}activation")(x)
    if 0 < se_ratio <= 1:
        x = _squeeze_excite(x, filters, input_filters, se_ratio, activation, name)
    if fused and expand_ratio == 1:
        x = _conv(output_filters, kernel_size, f"{name}project_conv", strides)(x)
    else:
        x = _conv(output_filters, 1, f"{name}project_conv")(x)
    x = _bn(bn_momentum, f"{name}project_bn")(x)
    if fused and expand_ratio == 1:
        x = layers.Activation(activation, name=f"{name}project_activation")(x)
    if strides == 1 and input_filters == output_filters:
        x = _residual(x, inputs, survival_probability, name)
    return x


def EfficientNetV2(  # noqa: N802 - Keras' name
    width_coefficient: float, depth_coefficient: float, default_size: int, dropout_rate: float = 0.2,
    drop_connect_rate: float = 0.2, depth_divisor: int = 8, min_depth: int = 8, bn_momentum: float = 0.9,
    activation: Any = "swish", blocks_args: Any = "default", name: str = "efficientnetv2",
    include_top: bool = True, weights: Any = "imagenet", input_tensor: Any = None, input_shape: Any = None,
    pooling: str | None = None, classes: int = 1000, classifier_activation: Any = "softmax",
    include_preprocessing: bool = True, weights_name: str | None = None,
) -> Functional:
    """Builds an EfficientNetV2 from `blocks_args` scaled by the width and depth coefficients."""
    # The variant picks the stages and the preprocessing, so a custom `name` keeps them.
    variant = f"efficientnetv2-{weights_name.lstrip('-')}" if weights_name in _HASHES else name
    if blocks_args == "default":
        if variant not in DEFAULT_BLOCKS_ARGS:
            raise ValueError(
                f"EfficientNetV2: no default blocks for {variant!r}; pass `blocks_args` or one of "
                f"{sorted(DEFAULT_BLOCKS_ARGS)} as `name`."
            )
        blocks_args = DEFAULT_BLOCKS_ARGS[variant]
    check_weights_argument(weights, include_top, classes, name)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=default_size, min_size=32, data_format=image_data_format(),
        require_flatten=include_top, weights=weights,
    )
    img_input = image_input(input_tensor, input_shape)
    axis = channel_axis()

    def filters_of(n: float) -> int:
        return round_filters(n, width_coefficient, min_depth, depth_divisor)

    x = img_input
    if include_preprocessing:
        if variant.split("-")[-1].startswith("b") and input_shape[axis] == 3:
            x = layers.Rescaling(scale=1.0 / 255)(x)
            x = layers.Normalization(mean=[0.485, 0.456, 0.406], variance=[0.229**2, 0.224**2, 0.225**2],
                                     axis=axis)(x)
        else:
            x = layers.Rescaling(scale=1.0 / 128.0, offset=-1)(x)
    x = _conv(filters_of(blocks_args[0]["input_filters"]), 3, "stem_conv", strides=2)(x)
    x = _bn(bn_momentum, "stem_bn")(x)
    x = layers.Activation(activation, name="stem_activation")(x)
    total = float(sum(args["num_repeat"] for args in blocks_args))
    b = 0
    for i, stage in enumerate(blocks_args):
        if stage["num_repeat"] <= 0:
            raise ValueError(
                f"The number of repeats in `EfficientNetV2` must be > 0. Received: num_repeat={stage['num_repeat']}"
            )
        args = {k: v for k, v in stage.items() if k not in ("num_repeat", "conv_type")}
        args["input_filters"] = filters_of(args["input_filters"])
        args["output_filters"] = filters_of(args["output_filters"])
        for j in range(round_repeats(stage["num_repeat"], depth_coefficient)):
            if j > 0:
                args["strides"] = 1
                args["input_filters"] = args["output_filters"]
            x = _block(x, fused=stage["conv_type"] == 1, bn_momentum=bn_momentum, activation=activation,
                       survival_probability=drop_connect_rate * b / total, name=f"block{i + 1}{chr(j + 97)}_",
                       **args)
            b += 1
    x = _conv(filters_of(1280), 1, "top_conv")(x)
    x = _bn(bn_momentum, "top_bn")(x)
    x = layers.Activation(activation, name="top_activation")(x)
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        if dropout_rate > 0:
            x = layers.Dropout(dropout_rate, name="top_dropout")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation, kernel_initializer=DENSE_KERNEL_INITIALIZER,
                         bias_initializer="zeros", name="predictions")(x)
    elif pooling == "avg":
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    elif pooling == "max":
        x = layers.GlobalMaxPooling2D(name="max_pool")(x)
    model = Functional(model_inputs(input_tensor, img_input), x, name=name)
    top = no_top = None
    if weights_name in _HASHES:
        top = WeightsFile(f"{_ROOT}{variant}.h5", _HASHES[weights_name][0])
        no_top = WeightsFile(f"{_ROOT}{variant}_notop.h5", _HASHES[weights_name][1])
    load_application_weights(model, weights, include_top=include_top, top=top, no_top=no_top)
    return model


# variant -> (width, depth, default size)
_SCALING = {"b0": (1.0, 1.0, 224), "b1": (1.0, 1.1, 240), "b2": (1.1, 1.2, 260), "b3": (1.2, 1.4, 300),
            "-s": (1.0, 1.0, 384), "-m": (1.0, 1.0, 480), "-l": (1.0, 1.0, 480)}


def _example(fn_name: str, build: bool) -> str:
    if not build:  # the larger variants: keep the doctest suite fast
        return (
            "        >>> import inspect, layerax as lx\n"
            f"        >>> inspect.signature(lx.applications.{fn_name}).parameters['include_preprocessing'].default\n"
            "        True\n"
        )
    return (
        "        >>> import layerax as lx\n"
        f"        >>> m = lx.applications.{fn_name}(weights=None, include_top=False, pooling='avg',\n"
        "        ...                              input_shape=(32, 32, 3))\n"
        "        >>> m.name, m.output.shape\n"
        "        ('efficientnetv2-b0', (None, 1280))\n"
    )


def _variant(key: str) -> Any:
    width, depth, size = _SCALING[key]
    fn_name = f"EfficientNetV2{key.lstrip('-').upper()}"
    default_name = f"efficientnetv2-{key.lstrip('-')}"

    def build(
        include_top: bool = True, weights: Any = "imagenet", input_tensor: Any = None,
        input_shape: tuple[int | None, ...] | None = None, pooling: str | None = None,
        classes: int = 1000, classifier_activation: Any = "softmax", include_preprocessing: bool = True,
        name: str = default_name,
    ) -> Functional:
        return EfficientNetV2(width, depth, size, name=name, include_top=include_top, weights=weights,
                              input_tensor=input_tensor, input_shape=input_shape, pooling=pooling,
                              classes=classes, classifier_activation=classifier_activation,
                              include_preprocessing=include_preprocessing, weights_name=key)

    build.__name__ = build.__qualname__ = fn_name
    build.__doc__ = f"""Instantiates {fn_name} (default input {size}x{size}; preprocessing is built in).

    Args:
        include_top: Whether to end with the classifier.
        weights: None (random), "imagenet" (Keras' published weights) or a file path.
        input_tensor: Optional symbolic tensor to use as the image input.
        input_shape: Optional `(height, width, channels)`; at least 32x32.
        pooling: With `include_top=False`: None, "avg" or "max".
        classes: Number of classes, with `include_top=True`.
        classifier_activation: The classifier's activation.
        include_preprocessing: Whether the model starts with its input scaling (images in
            [0, 255]); without it, it takes images in [-1, 1].
        name: The model's name.

    Returns:
        A `Functional` model with Keras' layer names and weight order.

    Example:
{_example(fn_name, key == "b0")}    """
    return build


EfficientNetV2B0 = _variant("b0")
EfficientNetV2B1 = _variant("b1")
EfficientNetV2B2 = _variant("b2")
EfficientNetV2B3 = _variant("b3")
EfficientNetV2S = _variant("-s")
EfficientNetV2M = _variant("-m")
EfficientNetV2L = _variant("-l")


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """Returns `x` unchanged: EfficientNetV2 models preprocess their inputs themselves.

    Example:
        >>> import numpy as np, layerax as lx
        >>> lx.applications.efficientnet_v2.preprocess_input(np.array([0.0, 255.0]))
        array([  0., 255.])
    """
    return x


decode_predictions = imagenet_utils.decode_predictions

__all__ = [
    "EfficientNetV2B0", "EfficientNetV2B1", "EfficientNetV2B2", "EfficientNetV2B3", "EfficientNetV2L",
    "EfficientNetV2M", "EfficientNetV2S", "decode_predictions", "preprocess_input",
]
