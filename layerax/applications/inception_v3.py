"""Inception V3 (Szegedy et al., 2016), as in `keras.applications.inception_v3`.

Layer names, layer order and weight order match Keras, so weight files move
between the two libraries.
"""

from __future__ import annotations

from typing import Any

from layerax import config, layers
from layerax.applications import imagenet_utils
from layerax.applications._family import KERAS_APPS, FamilySpec, build_application
from layerax.applications._weights import WeightsFile

__all__ = ["InceptionV3", "decode_predictions", "preprocess_input"]

_BASE = KERAS_APPS + "inception_v3/"
_FILE = "inception_v3_weights_tf_dim_ordering_tf_kernels"
_SPEC = FamilySpec(
    family="InceptionV3", default_size=299, min_size=75,
    top_file=WeightsFile(_BASE + f"{_FILE}.h5", "9a0d58056eeedaa3f26cb7ebd46da564"),
    notop_file=WeightsFile(_BASE + f"{_FILE}_notop.h5", "bcbd6486424b2319ff4ef7d526e38f63"),
)


def _axis() -> int:
    return 1 if config.image_data_format() == "channels_first" else 3


def conv2d_bn(x: Any, filters: int, num_row: int, num_col: int, padding: str = "same",
              strides: tuple[int, int] = (1, 1), name: str | None = None) -> Any:
    """Conv2D (no bias) -> BatchNormalization (no scale) -> ReLU."""
    x = layers.Conv2D(filters, (num_row, num_col), strides=strides, padding=padding, use_bias=False,
                      name=None if name is None else f"{name}_conv")(x)
    x = layers.BatchNormalization(axis=_axis(), scale=False, name=None if name is None else f"{name}_bn")(x)
    return layers.Activation("relu", name=name)(x)


def _avg_branch(x: Any, filters: int) -> Any:
    pooled = layers.AveragePooling2D((3, 3), strides=(1, 1), padding="same")(x)
    return conv2d_bn(pooled, filters, 1, 1)


def _block_a(x: Any, pool_filters: int, name: str) -> Any:
    b1 = conv2d_bn(x, 64, 1, 1)
    b5 = conv2d_bn(conv2d_bn(x, 48, 1, 1), 64, 5, 5)
    b3 = conv2d_bn(conv2d_bn(conv2d_bn(x, 64, 1, 1), 96, 3, 3), 96, 3, 3)
    bp = _avg_branch(x, pool_filters)
    return layers.concatenate([b1, b5, b3, bp], axis=_axis(), name=name)


def _block_c(x: Any, width: int, name: str) -> Any:
    """The 17x17 block with factorized 7x7 convolutions of `width` inner channels."""
    b1 = conv2d_bn(x, 192, 1, 1)
    b7 = conv2d_bn(x, width, 1, 1)
    b7 = conv2d_bn(b7, width, 1, 7)
    b7 = conv2d_bn(b7, 192, 7, 1)
    bd = conv2d_bn(x, width, 1, 1)
    for filters, (r, c) in ((width, (7, 1)), (width, (1, 7)), (width, (7, 1)), (192, (1, 7))):
        bd = conv2d_bn(bd, filters, r, c)
    bp = _avg_branch(x, 192)
    return layers.concatenate([b1, b7, bd, bp], axis=_axis(), name=name)


def _block_e(x: Any, i: int) -> Any:
    b1 = conv2d_bn(x, 320, 1, 1)
    b3 = conv2d_bn(x, 384, 1, 1)
    b3 = layers.concatenate([conv2d_bn(b3, 384, 1, 3), conv2d_bn(b3, 384, 3, 1)],
                            axis=_axis(), name=f"mixed9_{i}")
    bd = conv2d_bn(conv2d_bn(x, 448, 1, 1), 384, 3, 3)
    bd = layers.concatenate([conv2d_bn(bd, 384, 1, 3), conv2d_bn(bd, 384, 3, 1)], axis=_axis())
    bp = _avg_branch(x, 192)
    return layers.concatenate([b1, b3, bd, bp], axis=_axis(), name=f"mixed{9 + i}")


def _body(img_input: Any) -> Any:
    x = conv2d_bn(img_input, 32, 3, 3, strides=(2, 2), padding="valid")
    x = conv2d_bn(x, 32, 3, 3, padding="valid")
    x = conv2d_bn(x, 64, 3, 3)
    x = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = conv2d_bn(x, 80, 1, 1, padding="valid")
    x = conv2d_bn(x, 192, 3, 3, padding="valid")
    x = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = _block_a(x, 32, "mixed0")
    x = _block_a(x, 64, "mixed1")
    x = _block_a(x, 64, "mixed2")
    # mixed3: grid reduction 35 -> 17
    b3 = conv2d_bn(x, 384, 3, 3, strides=(2, 2), padding="valid")
    bd = conv2d_bn(conv2d_bn(x, 64, 1, 1), 96, 3, 3)
    bd = conv2d_bn(bd, 96, 3, 3, strides=(2, 2), padding="valid")
    bp = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = layers.concatenate([b3, bd, bp], axis=_axis(), name="mixed3")
    x = _block_c(x, 128, "mixed4")
    x = _block_c(x, 160, "mixed5")
    x = _block_c(x, 160, "mixed6")
    x = _block_c(x, 192, "mixed7")
    # mixed8: grid reduction 17 -> 8
    b3 = conv2d_bn(conv2d_bn(x, 192, 1, 1), 320, 3, 3, strides=(2, 2), padding="valid")
    b7 = conv2d_bn(x, 192, 1, 1)
    b7 = conv2d_bn(b7, 192, 1, 7)
    b7 = conv2d_bn(b7, 192, 7, 1)
    b7 = conv2d_bn(b7, 192, 3, 3, strides=(2, 2), padding="valid")
    bp = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = layers.concatenate([b3, b7, bp], axis=_axis(), name="mixed8")
    for i in range(2):
        x = _block_e(x, i)
    return x


def InceptionV3(include_top: bool = True, weights: Any = "imagenet", input_tensor: Any = None,  # noqa: N802
                input_shape: Any = None, pooling: str | None = None, classes: int = 1000,
                classifier_activation: Any = "softmax", name: str = "inception_v3") -> Any:
    """Instantiates the Inception V3 architecture (`keras.applications.InceptionV3`).

    Inputs are expected preprocessed with
    `lx.applications.inception_v3.preprocess_input` (scaled to [-1, 1]).

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
        >>> model = lx.applications.InceptionV3(weights=None, include_top=False,
        ...     input_shape=(75, 75, 3), pooling="max")
        >>> model.output_shape
        (None, 2048)
    """
    return build_application(
        _SPEC, _body, include_top=include_top, weights=weights, input_tensor=input_tensor,
        input_shape=input_shape, pooling=pooling, classes=classes,
        classifier_activation=classifier_activation, name=name,
    )


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """Preprocesses images for Inception V3: scales pixels from [0, 255] to [-1, 1] ("tf" mode).

    Args:
        x: Float array or tensor of RGB images with values in [0, 255].
        data_format: `"channels_last"` or `"channels_first"`; defaults to
            `lx.config.image_data_format()`.

    Returns:
        The preprocessed images.

    Example:
        >>> import numpy as np, layerax as lx
        >>> lx.applications.inception_v3.preprocess_input(np.array([0.0, 255.0])).tolist()
        [-1.0, 1.0]
    """
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds: Any, top: int = 5) -> list[list[tuple[str, str, float]]]:
    """Decodes ImageNet predictions of Inception V3 into `(class_id, name, score)` lists.

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
        >>> lx.applications.inception_v3.decode_predictions(p, top=1)[0][0][:2]
        ('n00000042', 'class_42')
        >>> imagenet_utils.CLASS_INDEX = None
    """
    return imagenet_utils.decode_predictions(preds, top=top)
