"""The steps every application of part B shares: argument checks, the input, the
classifier head, the model and its weights (DenseNet, ConvNeXt, Xception,
InceptionV3, InceptionResNetV2, NASNet).
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable

from layerax import config, layers
from layerax.applications import imagenet_utils
from layerax.applications._common import image_input, model_inputs
from layerax.applications._weights import WeightsFile, check_weights_argument, load_application_weights
from layerax.models.functional import Functional

__all__ = ["FamilySpec", "build_application"]

KERAS_APPS = "tensorflow/keras-applications/"
"""Folder of Keras' published application weights, under `_weights.STORAGE_ROOT`."""


@dataclasses.dataclass(frozen=True)
class FamilySpec:
    """What differs between families: sizes, published weight files and pooling names."""

    family: str
    default_size: int
    min_size: int
    top_file: WeightsFile | None
    notop_file: WeightsFile | None
    channels_last_only: bool = False
    pool_names: tuple[str | None, str | None] = (None, None)
    top_pool_name: str | None = "avg_pool"

def default_head(spec: FamilySpec, x: Any, *, include_top: bool, pooling: str | None, classes: int,
                 classifier_activation: Any, weights: Any) -> Any:
    """Global average pooling + `predictions` Dense, or the optional feature pooling."""
    if include_top:
        x = layers.GlobalAveragePooling2D(name=spec.top_pool_name)(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        return layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    if pooling == "avg":
        return layers.GlobalAveragePooling2D(name=spec.pool_names[0])(x)
    if pooling == "max":
        return layers.GlobalMaxPooling2D(name=spec.pool_names[1])(x)
    return x


def build_application(
    spec: FamilySpec,
    body: Callable[[Any], Any],
    *,
    include_top: bool,
    weights: Any,
    input_tensor: Any,
    input_shape: Any,
    pooling: str | None,
    classes: int,
    classifier_activation: Any,
    name: str,
    head: Callable[..., Any] | None = None,
    default_size: int | None = None,
) -> Functional:
    """Checks the arguments, builds `head(body(input))` as a Functional model and loads `weights`."""
    if spec.channels_last_only and config.image_data_format() == "channels_first":
        raise ValueError(
            f"{spec.family} does not support the 'channels_first' image data format. Call "
            "`lx.config.set_image_data_format('channels_last')` first."
        )
    check_weights_argument(weights, include_top, classes, spec.family)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape,
        default_size=default_size or spec.default_size,
        min_size=spec.min_size,
        data_format=config.image_data_format(),
        require_flatten=include_top,
        weights=weights,
    )
    img_input = image_input(input_tensor, input_shape)
    x = body(img_input)
    head = head or (lambda x, **kw: default_head(spec, x, **kw))
    x = head(x, include_top=include_top, pooling=pooling, classes=classes,
             classifier_activation=classifier_activation, weights=weights)
    model = Functional(model_inputs(input_tensor, img_input), x, name=name)
    load_application_weights(model, weights, include_top=include_top, top=spec.top_file,
                             no_top=spec.notop_file)
    return model
