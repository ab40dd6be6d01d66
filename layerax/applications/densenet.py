"""DenseNet 121, 169 and 201 (Huang et al., 2017), as in `keras.applications.densenet`.

Layer names, layer order and weight order match Keras, so weight files move
between the two libraries.
"""

from __future__ import annotations

from typing import Any

from layerax import layers
from layerax.applications import imagenet_utils
from layerax.applications._family import KERAS_APPS, FamilySpec, build_application
from layerax.applications._weights import WeightsFile

__all__ = ["DenseNet121", "DenseNet169", "DenseNet201", "decode_predictions", "preprocess_input"]

_BASE = KERAS_APPS + "densenet/"
_EPS = 1.001e-5
# blocks -> (file stem, top hash, no-top hash)
_WEIGHTS = {
    (6, 12, 24, 16): ("densenet121", "9d60b8095a5708f2dcce2bca79d332c7", "30ee3e1110167f948a6b9946edeeb738"),
    (6, 12, 32, 32): ("densenet169", "d699b8f76981ab1b30698df4c175e90b", "b8c4d4c20dd625c148057b9ff1c1176b"),
    (6, 12, 48, 32): ("densenet201", "1ceb130c1ea1b78c3bf6114dbdfd8807", "c13680b51ded0fb44dff2d8f86ac8bb1"),
}


def _bn(x: Any, name: str) -> Any:
    return layers.BatchNormalization(axis=3, epsilon=_EPS, name=name)(x)


def _conv_block(x: Any, growth_rate: int, name: str) -> Any:
    """BN-ReLU-Conv1x1(4k)-BN-ReLU-Conv3x3(k), concatenated to the input."""
    y = _bn(x, f"{name}_0_bn")
    y = layers.Activation("relu", name=f"{name}_0_relu")(y)
    y = layers.Conv2D(4 * growth_rate, 1, use_bias=False, name=f"{name}_1_conv")(y)
    y = _bn(y, f"{name}_1_bn")
    y = layers.Activation("relu", name=f"{name}_1_relu")(y)
    y = layers.Conv2D(growth_rate, 3, padding="same", use_bias=False, name=f"{name}_2_conv")(y)
    return layers.Concatenate(axis=3, name=f"{name}_concat")([x, y])


def _transition_block(x: Any, reduction: float, name: str) -> Any:
    x = _bn(x, f"{name}_bn")
    x = layers.Activation("relu", name=f"{name}_relu")(x)
    x = layers.Conv2D(int(x.shape[3] * reduction), 1, use_bias=False, name=f"{name}_conv")(x)
    return layers.AveragePooling2D(2, strides=2, name=f"{name}_pool")(x)


def _features(blocks: tuple[int, ...]) -> Any:
    def body(img_input: Any) -> Any:
        x = layers.ZeroPadding2D(padding=((3, 3), (3, 3)))(img_input)
        x = layers.Conv2D(64, 7, strides=2, use_bias=False, name="conv1_conv")(x)
        x = _bn(x, "conv1_bn")
        x = layers.Activation("relu", name="conv1_relu")(x)
        x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)))(x)
        x = layers.MaxPooling2D(3, strides=2, name="pool1")(x)
        for stage, count in enumerate(blocks):
            for i in range(count):
                x = _conv_block(x, 32, name=f"conv{stage + 2}_block{i + 1}")
            if stage < len(blocks) - 1:
                x = _transition_block(x, 0.5, name=f"pool{stage + 2}")
        x = _bn(x, "bn")
        return layers.Activation("relu", name="relu")(x)

    return body


def _densenet(blocks: tuple[int, ...], include_top: bool, weights: Any, input_tensor: Any,
              input_shape: Any, pooling: str | None, classes: int, classifier_activation: Any,
              name: str) -> Any:
    stem, top_hash, notop_hash = _WEIGHTS[blocks]
    file = f"{stem}_weights_tf_dim_ordering_tf_kernels"
    spec = FamilySpec(
        family="DenseNet", default_size=224, min_size=32, channels_last_only=True,
        top_file=WeightsFile(_BASE + f"{file}.h5", top_hash),
        notop_file=WeightsFile(_BASE + f"{file}_notop.h5", notop_hash),
        pool_names=("avg_pool", "max_pool"),
    )
    return build_application(
        spec, _features(blocks), include_top=include_top, weights=weights, input_tensor=input_tensor,
        input_shape=input_shape, pooling=pooling, classes=classes,
        classifier_activation=classifier_activation, name=name,
    )


_ARGS_DOC = """
    Args:
        include_top: Whether to include the classifier (global average
            pooling and the `predictions` Dense layer).
        weights: `None` (random initialization), `"imagenet"` (Keras'
            published ImageNet weights, downloaded with
            `lx.utils.get_file`) or the path of a weights file.
        input_tensor: Optional symbolic tensor (`lx.Input(...)`) to use as
            the image input.
        input_shape: Optional `(height, width, 3)` when `include_top=False`
            (at least 32x32); with the top it must be `(224, 224, 3)`.
        pooling: With `include_top=False`: `None` (4D output), `"avg"` or
            `"max"` (global pooling, 2D output).
        classes: Number of classes when `include_top=True` and no
            pretrained weights are loaded.
        classifier_activation: Activation of the `predictions` layer;
            `None` returns logits.
        name: Name of the model.

    Returns:
        A functional `lx.Model`.
"""


def DenseNet121(include_top: bool = True, weights: Any = "imagenet", input_tensor: Any = None,  # noqa: N802
                input_shape: Any = None, pooling: str | None = None, classes: int = 1000,
                classifier_activation: Any = "softmax", name: str = "densenet121") -> Any:
    return _densenet((6, 12, 24, 16), include_top, weights, input_tensor, input_shape, pooling,
                     classes, classifier_activation, name)


def DenseNet169(include_top: bool = True, weights: Any = "imagenet", input_tensor: Any = None,  # noqa: N802
                input_shape: Any = None, pooling: str | None = None, classes: int = 1000,
                classifier_activation: Any = "softmax", name: str = "densenet169") -> Any:
    return _densenet((6, 12, 32, 32), include_top, weights, input_tensor, input_shape, pooling,
                     classes, classifier_activation, name)


def DenseNet201(include_top: bool = True, weights: Any = "imagenet", input_tensor: Any = None,  # noqa: N802
                input_shape: Any = None, pooling: str | None = None, classes: int = 1000,
                classifier_activation: Any = "softmax", name: str = "densenet201") -> Any:
    return _densenet((6, 12, 48, 32), include_top, weights, input_tensor, input_shape, pooling,
                     classes, classifier_activation, name)


for _fn, _n in ((DenseNet121, 121), (DenseNet169, 169), (DenseNet201, 201)):
    _fn.__doc__ = (
        f"Instantiates the DenseNet{_n} architecture (`keras.applications.DenseNet{_n}`).\n\n"
        "    Inputs are expected preprocessed with\n"
        "    `lx.applications.densenet.preprocess_input` (\"torch\" mode).\n"
        + _ARGS_DOC
        + "\n    Example:\n"
        + (
            "        >>> import layerax as lx\n"
            "        >>> model = lx.applications.DenseNet121(weights=None, include_top=False,\n"
            "        ...     input_shape=(32, 32, 3), pooling=\"avg\")\n"
            "        >>> model.output_shape\n"
            "        (None, 1024)\n"
            if _n == 121 else
            "        >>> import inspect, layerax as lx\n"
            f"        >>> inspect.signature(lx.applications.DenseNet{_n}).parameters[\"name\"].default\n"
            f"        'densenet{_n}'\n"
        )
    )


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """Preprocesses images for DenseNet: scale to [0, 1], then ImageNet mean/std ("torch" mode).

    Args:
        x: Float array or tensor of RGB images with values in [0, 255].
        data_format: `"channels_last"` or `"channels_first"`; defaults to
            `lx.config.image_data_format()`.

    Returns:
        The preprocessed images.

    Example:
        >>> import numpy as np, layerax as lx
        >>> out = lx.applications.densenet.preprocess_input(np.full((1, 2, 2, 3), 255.0))
        >>> out.shape
        (1, 2, 2, 3)
    """
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="torch")


def decode_predictions(preds: Any, top: int = 5) -> list[list[tuple[str, str, float]]]:
    """Decodes ImageNet predictions of a DenseNet into `(class_id, name, score)` lists.

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
        >>> lx.applications.densenet.decode_predictions(p, top=1)[0][0][:2]
        ('n00000042', 'class_42')
        >>> imagenet_utils.CLASS_INDEX = None
    """
    return imagenet_utils.decode_predictions(preds, top=top)
