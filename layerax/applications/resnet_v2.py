"""ResNet50V2, ResNet101V2 and ResNet152V2 (pre-activation ResNets), as in Keras."""

from __future__ import annotations

from typing import Any

from layerax.applications import imagenet_utils
from layerax.applications.resnet import ResNet, _doc, stack_residual_blocks_v2
from layerax.models.functional import Functional


def _v2(weights_name: str, depths: tuple[int, int, int, int], **kwargs: Any) -> Functional:
    def stack_fn(x: Any) -> Any:
        x = stack_residual_blocks_v2(x, 64, depths[0], name="conv2")
        x = stack_residual_blocks_v2(x, 128, depths[1], name="conv3")
        x = stack_residual_blocks_v2(x, 256, depths[2], name="conv4")
        return stack_residual_blocks_v2(x, 512, depths[3], stride1=1, name="conv5")

    return ResNet(stack_fn, preact=True, use_bias=True, weights_name=weights_name, **kwargs)


def ResNet50V2(  # noqa: N802 - Keras' name
    include_top: bool = True, weights: Any = "imagenet", input_tensor: Any = None,
    input_shape: tuple[int | None, ...] | None = None, pooling: str | None = None,
    classes: int = 1000, classifier_activation: Any = "softmax", name: str = "resnet50v2",
) -> Functional:
    return _v2("resnet50v2", (3, 4, 6, 3), include_top=include_top, weights=weights,
               input_tensor=input_tensor, input_shape=input_shape, pooling=pooling,
               classes=classes, classifier_activation=classifier_activation, name=name)


def ResNet101V2(  # noqa: N802 - Keras' name
    include_top: bool = True, weights: Any = "imagenet", input_tensor: Any = None,
    input_shape: tuple[int | None, ...] | None = None, pooling: str | None = None,
    classes: int = 1000, classifier_activation: Any = "softmax", name: str = "resnet101v2",
) -> Functional:
    return _v2("resnet101v2", (3, 4, 23, 3), include_top=include_top, weights=weights,
               input_tensor=input_tensor, input_shape=input_shape, pooling=pooling,
               classes=classes, classifier_activation=classifier_activation, name=name)


def ResNet152V2(  # noqa: N802 - Keras' name
    include_top: bool = True, weights: Any = "imagenet", input_tensor: Any = None,
    input_shape: tuple[int | None, ...] | None = None, pooling: str | None = None,
    classes: int = 1000, classifier_activation: Any = "softmax", name: str = "resnet152v2",
) -> Functional:
    return _v2("resnet152v2", (3, 8, 36, 3), include_top=include_top, weights=weights,
               input_tensor=input_tensor, input_shape=input_shape, pooling=pooling,
               classes=classes, classifier_activation=classifier_activation, name=name)


ResNet50V2.__doc__ = _doc("Instantiates ResNet50V2 (tf preprocessing: `resnet_v2.preprocess_input`).",
                          "ResNet50V2", "resnet_v2")
ResNet101V2.__doc__ = _doc("Instantiates ResNet101V2 (tf preprocessing).", "ResNet101V2", "resnet_v2")
ResNet152V2.__doc__ = _doc("Instantiates ResNet152V2 (tf preprocessing).", "ResNet152V2", "resnet_v2")


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """ResNetV2's preprocessing: pixels scaled from [0, 255] to [-1, 1] ("tf").

    Example:
        >>> import numpy as np, layerax as lx
        >>> lx.applications.resnet_v2.preprocess_input(np.array([0.0, 127.5, 255.0]))
        array([-1.,  0.,  1.])
    """
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


decode_predictions = imagenet_utils.decode_predictions

__all__ = ["ResNet101V2", "ResNet152V2", "ResNet50V2", "decode_predictions", "preprocess_input"]
