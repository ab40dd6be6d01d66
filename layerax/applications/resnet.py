"""ResNet50, ResNet101 and ResNet152 (He et al., 2015), as in `keras.applications.resnet`."""

from __future__ import annotations

from typing import Any, Callable

from layerax import layers
from layerax.applications import imagenet_utils
from layerax.applications._common import bn_axis, image_input, model_inputs
from layerax.applications._weights import WeightsFile, check_weights_argument, load_application_weights
from layerax.config import image_data_format
from layerax.models.functional import Functional

_ROOT = "tensorflow/keras-applications/resnet/"
_HASHES = {
    "resnet50": ("2cb95161c43110f7111970584f804107", "4d473c1dd8becc155b73f8504c6f6626"),
    "resnet101": ("f1aeb4b969a6efcfb50fad2f0c20cfc5", "88cf7a10940856eca736dc7b7e228a21"),
    "resnet152": ("100835be76be38e30d865e96f2aaae62", "ee4c566cf9a93f14d82f913c2dc6dd0c"),
    "resnet50v2": ("3ef43a0b657b3be2300d5770ece849e0", "fac2f116257151a9d068a22e544a4917"),
    "resnet101v2": ("6343647c601c52e1368623803854d971", "c0ed64b8031c3730f411d2eb4eea35b5"),
    "resnet152v2": ("a49b44d1979771252814e80f8ec446f9", "ed17cf2e0169df9d443503ef94b23b33"),
}
_EPS = 1.001e-5


def weight_files(weights_name: str) -> tuple[WeightsFile, WeightsFile]:
    """The published (top, no-top) ImageNet files of a ResNet variant."""
    top, no_top = _HASHES[weights_name]
    stem = f"{_ROOT}{weights_name}_weights_tf_dim_ordering_tf_kernels"
    return WeightsFile(f"{stem}.h5", top), WeightsFile(f"{stem}_notop.h5", no_top)


def _bn(name: str) -> layers.BatchNormalization:
    return layers.BatchNormalization(axis=bn_axis(), epsilon=_EPS, name=name)


def ResNet(  # noqa: N802 - Keras' name
    stack_fn: Callable[[Any], Any],
    preact: bool,
    use_bias: bool,
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    input_shape: tuple[int | None, ...] | None = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "resnet",
    weights_name: str | None = None,
) -> Functional:
    """Builds a ResNet (v1, or v2 with `preact=True`) around `stack_fn`, the residual stages."""
    check_weights_argument(weights, include_top, classes, name)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=224, min_size=32, data_format=image_data_format(),
        require_flatten=include_top, weights=weights,
    )
    img_input = image_input(input_tensor, input_shape)
    x = layers.ZeroPadding2D(padding=((3, 3), (3, 3)), name="conv1_pad")(img_input)
    x = layers.Conv2D(64, 7, strides=2, use_bias=use_bias, name="conv1_conv")(x)
    if not preact:
        x = _bn("conv1_bn")(x)
        x = layers.Activation("relu", name="conv1_relu")(x)
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)), name="pool1_pad")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1_pool")(x)
    x = stack_fn(x)
    if preact:
        x = _bn("post_bn")(x)
        x = layers.Activation("relu", name="post_relu")(x)
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    elif pooling == "avg":
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    elif pooling == "max":
        x = layers.GlobalMaxPooling2D(name="max_pool")(x)
    model = Functional(model_inputs(input_tensor, img_input), x, name=name)
    if weights_name in _HASHES:
        top, no_top = weight_files(weights_name)
        load_application_weights(model, weights, include_top=include_top, top=top, no_top=no_top)
    elif weights is not None:
        load_application_weights(model, weights, include_top=include_top)
    return model


def residual_block_v1(
    x: Any, filters: int, kernel_size: int = 3, stride: int = 1, conv_shortcut: bool = True,
    name: str | None = None,
) -> Any:
    """A bottleneck block of ResNet v1: 1x1, kxk, 1x1 convolutions plus a shortcut."""
    if conv_shortcut:
        shortcut = layers.Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(x)
        shortcut = _bn(f"{name}_0_bn")(shortcut)
    else:
        shortcut = x
    x = layers.Conv2D(filters, 1, strides=stride, name=f"{name}_1_conv")(x)
    x = _bn(f"{name}_1_bn")(x)
    x = layers.Activation("relu", name=f"{name}_1_relu")(x)
    x = layers.Conv2D(filters, kernel_size, padding="same", name=f"{name}_2_conv")(x)
    x = _bn(f"{name}_2_bn")(x)
    x = layers.Activation("relu", name=f"{name}_2_relu")(x)
    x = layers.Conv2D(4 * filters, 1, name=f"{name}_3_conv")(x)
    x = _bn(f"{name}_3_bn")(x)
    x = layers.Add(name=f"{name}_add")([shortcut, x])
    return layers.Activation("relu", name=f"{name}_out")(x)


def stack_residual_blocks_v1(x: Any, filters: int, blocks: int, stride1: int = 2, name: str | None = None) -> Any:
    """`blocks` v1 residual blocks; the first one strides by `stride1` and projects."""
    x = residual_block_v1(x, filters, stride=stride1, name=f"{name}_block1")
    for i in range(2, blocks + 1):
        x = residual_block_v1(x, filters, conv_shortcut=False, name=f"{name}_block{i}")
    return x


def residual_block_v2(
    x: Any, filters: int, kernel_size: int = 3, stride: int = 1, conv_shortcut: bool = False,
    name: str | None = None,
) -> Any:
    """A pre-activation bottleneck block of ResNet v2."""
    preact = _bn(f"{name}_preact_bn")(x)
    preact = layers.Activation("relu", name=f"{name}_preact_relu")(preact)
    if conv_shortcut:
        shortcut = layers.Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(preact)
    else:
        shortcut = layers.MaxPooling2D(1, strides=stride)(x) if stride > 1 else x
    x = layers.Conv2D(filters, 1, strides=1, use_bias=False, name=f"{name}_1_conv")(preact)
    x = _bn(f"{name}_1_bn")(x)
    x = layers.Activation("relu", name=f"{name}_1_relu")(x)
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)), name=f"{name}_2_pad")(x)
    x = layers.Conv2D(filters, kernel_size, strides=stride, use_bias=False, name=f"{name}_2_conv")(x)
    x = _bn(f"{name}_2_bn")(x)
    x = layers.Activation("relu", name=f"{name}_2_relu")(x)
    x = layers.Conv2D(4 * filters, 1, name=f"{name}_3_conv")(x)
    return layers.Add(name=f"{name}_out")([shortcut, x])


def stack_residual_blocks_v2(x: Any, filters: int, blocks: int, stride1: int = 2, name: str | None = None) -> Any:
    """`blocks` v2 residual blocks; the last one strides by `stride1`."""
    x = residual_block_v2(x, filters, conv_shortcut=True, name=f"{name}_block1")
    for i in range(2, blocks):
        x = residual_block_v2(x, filters, name=f"{name}_block{i}")
    return residual_block_v2(x, filters, stride=stride1, name=f"{name}_block{blocks}")


def _v1(weights_name: str, depths: tuple[int, int, int, int], **kwargs: Any) -> Functional:
    def stack_fn(x: Any) -> Any:
        x = stack_residual_blocks_v1(x, 64, depths[0], stride1=1, name="conv2")
        x = stack_residual_blocks_v1(x, 128, depths[1], name="conv3")
        x = stack_residual_blocks_v1(x, 256, depths[2], name="conv4")
        return stack_residual_blocks_v1(x, 512, depths[3], name="conv5")

    return ResNet(stack_fn, preact=False, use_bias=True, weights_name=weights_name, **kwargs)


_ARGS_DOC = """
    Args:
        include_top: Whether to end with the 1000-way (or `classes`-way) classifier.
        weights: None (random), "imagenet" (Keras' published weights, downloaded
            through `lx.utils.get_file`) or the path of a weights file.
        input_tensor: Optional symbolic tensor to use as the image input.
        input_shape: Optional `(height, width, channels)`; at least 32x32.
        pooling: With `include_top=False`: None (4D features), "avg" or "max".
        classes: Number of classes, with `include_top=True`.
        classifier_activation: Activation of the classifier ("softmax" or None with
            pretrained weights).
        name: The model's name.

    Returns:
        A `Functional` model with Keras' layer names and weight order.
"""


def ResNet50(  # noqa: N802 - Keras' name
    include_top: bool = True, weights: Any = "imagenet", input_tensor: Any = None,
    input_shape: tuple[int | None, ...] | None = None, pooling: str | None = None,
    classes: int = 1000, classifier_activation: Any = "softmax", name: str = "resnet50",
) -> Functional:
    return _v1("resnet50", (3, 4, 6, 3), include_top=include_top, weights=weights,
               input_tensor=input_tensor, input_shape=input_shape, pooling=pooling,
               classes=classes, classifier_activation=classifier_activation, name=name)


def ResNet101(  # noqa: N802 - Keras' name
    include_top: bool = True, weights: Any = "imagenet", input_tensor: Any = None,
    input_shape: tuple[int | None, ...] | None = None, pooling: str | None = None,
    classes: int = 1000, classifier_activation: Any = "softmax", name: str = "resnet101",
) -> Functional:
    return _v1("resnet101", (3, 4, 23, 3), include_top=include_top, weights=weights,
               input_tensor=input_tensor, input_shape=input_shape, pooling=pooling,
               classes=classes, classifier_activation=classifier_activation, name=name)


def ResNet152(  # noqa: N802 - Keras' name
    include_top: bool = True, weights: Any = "imagenet", input_tensor: Any = None,
    input_shape: tuple[int | None, ...] | None = None, pooling: str | None = None,
    classes: int = 1000, classifier_activation: Any = "softmax", name: str = "resnet152",
) -> Functional:
    return _v1("resnet152", (3, 8, 36, 3), include_top=include_top, weights=weights,
               input_tensor=input_tensor, input_shape=input_shape, pooling=pooling,
               classes=classes, classifier_activation=classifier_activation, name=name)


def _doc(title: str, fn_name: str, module: str, build: bool = True) -> str:
    if not build:  # the deeper variants: keep the doctest suite fast
        example = (
            "        >>> import inspect, layerax as lx\n"
            f"        >>> inspect.signature(lx.applications.{module}.{fn_name}).parameters['weights'].default\n"
            "        'imagenet'\n"
        )
    else:
        example = (
            "        >>> import layerax as lx\n"
            f"        >>> m = lx.applications.{module}.{fn_name}(weights=None, include_top=False,"
            " pooling='avg', input_shape=(32, 32, 3))\n"
            "        >>> m.output.shape\n"
            "        (None, 2048)\n"
        )
    return f"{title}\n{_ARGS_DOC}\n    Example:\n{example}"


ResNet50.__doc__ = _doc("Instantiates ResNet50 (caffe preprocessing: `resnet.preprocess_input`).", "ResNet50", "resnet")
ResNet101.__doc__ = _doc("Instantiates ResNet101 (caffe preprocessing).", "ResNet101", "resnet", build=False)
ResNet152.__doc__ = _doc("Instantiates ResNet152 (caffe preprocessing).", "ResNet152", "resnet", build=False)


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """ResNet's preprocessing: RGB to BGR, then the ImageNet mean is subtracted ("caffe").

    Example:
        >>> import numpy as np, layerax as lx
        >>> lx.applications.resnet.preprocess_input(np.zeros((1, 1, 1, 3)))[0, 0, 0]
        array([-103.939, -116.779, -123.68 ])
    """
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="caffe")


decode_predictions = imagenet_utils.decode_predictions

__all__ = ["ResNet101", "ResNet152", "ResNet50", "decode_predictions", "preprocess_input"]
