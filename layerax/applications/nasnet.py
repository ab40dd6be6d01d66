"""NASNet-A Mobile and Large (Zoph et al., 2018), as in `keras.applications.nasnet`.

Layer names, layer order and weight order match Keras, so weight files move
between the two libraries. NASNet supports the 'channels_last' format only.
"""

from __future__ import annotations

from typing import Any

from layerax import layers
from layerax.applications import imagenet_utils
from layerax.applications._family import KERAS_APPS, FamilySpec, build_application
from layerax.applications._weights import WeightsFile

__all__ = ["NASNetLarge", "NASNetMobile", "decode_predictions", "preprocess_input"]

_BASE = KERAS_APPS + "nasnet/"
_AXIS = -1
_BN = {"axis": _AXIS, "momentum": 0.9997, "epsilon": 1e-3}
# default_size -> (top file, no-top file); Keras caches them under other names than the URL's.
_FILES = {
    224: (WeightsFile(_BASE + "NASNet-mobile.h5", "020fb642bf7360b370c678b08e0adf61"),
          WeightsFile(_BASE + "NASNet-mobile-no-top.h5", "1ed92395b5b598bdda52abe5c0dbfd63")),
    331: (WeightsFile(_BASE + "NASNet-large.h5", "11577c9a518f0070763c2b964a382f17"),
          WeightsFile(_BASE + "NASNet-large-no-top.h5", "d81d89dc07e6e56530c4e77faddd61b5")),
}


def _bn(x: Any, name: str) -> Any:
    return layers.BatchNormalization(**_BN, name=name)(x)


def _conv1x1(x: Any, filters: int, name: str) -> Any:
    return layers.Conv2D(filters, (1, 1), strides=(1, 1), padding="same", name=name, use_bias=False,
                         kernel_initializer="he_normal")(x)


def _separable_conv_block(ip: Any, filters: int, kernel_size: tuple[int, int] = (3, 3),
                          strides: tuple[int, int] = (1, 1), block_id: str = "") -> Any:
    """ReLU-SepConv-BN twice; the first convolution carries the stride."""
    x = layers.Activation("relu")(ip)
    if strides == (2, 2):
        x = layers.ZeroPadding2D(padding=imagenet_utils.correct_pad(x, kernel_size),
                                 name=f"separable_conv_1_pad_{block_id}")(x)
        conv_pad = "valid"
    else:
        conv_pad = "same"
    x = layers.SeparableConv2D(filters, kernel_size, strides=strides, name=f"separable_conv_1_{block_id}",
                               padding=conv_pad, use_bias=False)(x)
    x = _bn(x, f"separable_conv_1_bn_{block_id}")
    x = layers.Activation("relu")(x)
    x = layers.SeparableConv2D(filters, kernel_size, name=f"separable_conv_2_{block_id}", padding="same",
                               use_bias=False)(x)
    return _bn(x, f"separable_conv_2_bn_{block_id}")


def _adjust_block(p: Any, ip: Any, filters: int, block_id: str) -> Any:
    """Brings the previous cell's output `p` to the spatial size and width of `ip`."""
    if p is None:
        return ip
    if p.shape[-2] != ip.shape[-2]:
        p = layers.Activation("relu", name=f"adjust_relu_1_{block_id}")(p)
        p1 = layers.AveragePooling2D((1, 1), strides=(2, 2), padding="valid",
                                     name=f"adjust_avg_pool_1_{block_id}")(p)
        p1 = _conv1x1(p1, filters // 2, f"adjust_conv_1_{block_id}")
        p2 = layers.ZeroPadding2D(padding=((0, 1), (0, 1)))(p)
        p2 = layers.Cropping2D(cropping=((1, 0), (1, 0)))(p2)
        p2 = layers.AveragePooling2D((1, 1), strides=(2, 2), padding="valid",
                                     name=f"adjust_avg_pool_2_{block_id}")(p2)
        p2 = _conv1x1(p2, filters // 2, f"adjust_conv_2_{block_id}")
        p = layers.concatenate([p1, p2], axis=_AXIS)
        return _bn(p, f"adjust_bn_{block_id}")
    if p.shape[_AXIS] != filters:
        p = layers.Activation("relu")(p)
        p = _conv1x1(p, filters, f"adjust_conv_projection_{block_id}")
        return _bn(p, f"adjust_bn_{block_id}")
    return p


def _avg3(x: Any, strides: int, padding: str, name: str) -> Any:
    return layers.AveragePooling2D((3, 3), strides=(strides, strides), padding=padding, name=name)(x)


def _normal_a_cell(ip: Any, p: Any, filters: int, block_id: str) -> tuple[Any, Any]:
    p = _adjust_block(p, ip, filters, block_id)
    h = layers.Activation("relu")(ip)
    h = _bn(_conv1x1(h, filters, f"normal_conv_1_{block_id}"), f"normal_bn_1_{block_id}")
    x1 = layers.add([_separable_conv_block(h, filters, (5, 5), block_id=f"normal_left1_{block_id}"),
                     _separable_conv_block(p, filters, block_id=f"normal_right1_{block_id}")],
                    name=f"normal_add_1_{block_id}")
    x2 = layers.add([_separable_conv_block(p, filters, (5, 5), block_id=f"normal_left2_{block_id}"),
                     _separable_conv_block(p, filters, (3, 3), block_id=f"normal_right2_{block_id}")],
                    name=f"normal_add_2_{block_id}")
    x3 = layers.add([_avg3(h, 1, "same", f"normal_left3_{block_id}"), p], name=f"normal_add_3_{block_id}")
    x4 = layers.add([_avg3(p, 1, "same", f"normal_left4_{block_id}"),
                     _avg3(p, 1, "same", f"normal_right4_{block_id}")], name=f"normal_add_4_{block_id}")
    x5 = layers.add([_separable_conv_block(h, filters, block_id=f"normal_left5_{block_id}"), h],
                    name=f"normal_add_5_{block_id}")
    x = layers.concatenate([p, x1, x2, x3, x4, x5], axis=_AXIS, name=f"normal_concat_{block_id}")
    return x, ip


def _reduction_a_cell(ip: Any, p: Any, filters: int, block_id: str) -> tuple[Any, Any]:
    p = _adjust_block(p, ip, filters, block_id)
    h = layers.Activation("relu")(ip)
    h = _bn(_conv1x1(h, filters, f"reduction_conv_1_{block_id}"), f"reduction_bn_1_{block_id}")
    h3 = layers.ZeroPadding2D(padding=imagenet_utils.correct_pad(h, 3), name=f"reduction_pad_1_{block_id}")(h)
    x1 = layers.add([
        _separable_conv_block(h, filters, (5, 5), strides=(2, 2), block_id=f"reduction_left1_{block_id}"),
        _separable_conv_block(p, filters, (7, 7), strides=(2, 2), block_id=f"reduction_right1_{block_id}"),
    ], name=f"reduction_add_1_{block_id}")
    x2 = layers.add([
        layers.MaxPooling2D((3, 3), strides=(2, 2), padding="valid", name=f"reduction_left2_{block_id}")(h3),
        _separable_conv_block(p, filters, (7, 7), strides=(2, 2), block_id=f"reduction_right2_{block_id}"),
    ], name=f"reduction_add_2_{block_id}")
    x3 = layers.add([
        _avg3(h3, 2, "valid", f"reduction_left3_{block_id}"),
        _separable_conv_block(p, filters, (5, 5), strides=(2, 2), block_id=f"reduction_right3_{block_id}"),
    ], name=f"reduction_add3_{block_id}")
    x4 = layers.add([x2, _avg3(x1, 1, "same", f"reduction_left4_{block_id}")])
    x5 = layers.add([
        _separable_conv_block(x1, filters, (3, 3), block_id=f"reduction_left4_{block_id}"),
        layers.MaxPooling2D((3, 3), strides=(2, 2), padding="valid", name=f"reduction_right5_{block_id}")(h3),
    ], name=f"reduction_add4_{block_id}")
    x = layers.concatenate([x2, x3, x4, x5], axis=_AXIS, name=f"reduction_concat_{block_id}")
    return x, ip


def _body(penultimate_filters: int, num_blocks: int, stem_block_filters: int, skip_reduction: bool,
          filter_multiplier: int) -> Any:
    def body(img_input: Any) -> Any:
        filters = penultimate_filters // 24
        x = layers.Conv2D(stem_block_filters, (3, 3), strides=(2, 2), padding="valid", use_bias=False,
                          name="stem_conv1", kernel_initializer="he_normal")(img_input)
        x = _bn(x, "stem_bn1")
        x, p = _reduction_a_cell(x, None, filters // (filter_multiplier**2), block_id="stem_1")
        x, p = _reduction_a_cell(x, p, filters // filter_multiplier, block_id="stem_2")
        for stage in range(3):
            width = filters * filter_multiplier**stage
            if stage:
                x, p0 = _reduction_a_cell(x, p, width, block_id=f"reduce_{stage * num_blocks}")
                p = p if skip_reduction else p0
            for i in range(num_blocks):
                block = i if stage == 0 else stage * num_blocks + i + 1
                x, p = _normal_a_cell(x, p, width, block_id=f"{block}")
        return layers.Activation("relu")(x)

    return body


def NASNet(  # noqa: N802
    input_shape: Any = None,
    penultimate_filters: int = 4032,
    num_blocks: int = 6,
    stem_block_filters: int = 96,
    skip_reduction: bool = True,
    filter_multiplier: int = 2,
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    pooling: str | None = None,
    classes: int = 1000,
    default_size: int | None = None,
    classifier_activation: Any = "softmax",
    name: str = "NASNet",
) -> Any:
    """Builds a NASNet-A model (the generic builder behind `NASNetMobile` and `NASNetLarge`)."""
    if isinstance(input_shape, tuple) and None in input_shape and weights == "imagenet":
        raise ValueError(
            "NASNet: to load ImageNet weights the input shape must be static (no None entries). "
            f"Received: input_shape={input_shape}."
        )
    if penultimate_filters % (24 * filter_multiplier**2) != 0:
        raise ValueError(
            "NASNet: `penultimate_filters` must be a multiple of 24 * filter_multiplier**2 "
            f"(= {24 * filter_multiplier**2}). Received: penultimate_filters={penultimate_filters}."
        )
    default_size = default_size or 331
    top, no_top = _FILES.get(default_size, (None, None))
    if weights == "imagenet" and top is None:
        raise ValueError("ImageNet weights can only be loaded with NASNetLarge or NASNetMobile.")
    spec = FamilySpec(family="NASNet", default_size=default_size, min_size=32, top_file=top,
                      notop_file=no_top, channels_last_only=True, top_pool_name=None)
    return build_application(
        spec, _body(penultimate_filters, num_blocks, stem_block_filters, skip_reduction, filter_multiplier),
        include_top=include_top, weights=weights, input_tensor=input_tensor, input_shape=input_shape,
        pooling=pooling, classes=classes, classifier_activation=classifier_activation, name=name,
    )


_ARGS = """
    Args:
        input_shape: Optional `(height, width, 3)`; at least 32x32.
            With the top and ImageNet weights it must be `({size}, {size}, 3)`.
        include_top: Whether to include the classifier (global average
            pooling and the `predictions` Dense layer).
        weights: `None` (random initialization), `"imagenet"` (Keras'
            published ImageNet weights, downloaded with `lx.utils.get_file`)
            or the path of a weights file.
        input_tensor: Optional symbolic tensor (`lx.Input(...)`) to use as
            the image input.
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


def NASNetMobile(input_shape: Any = None, include_top: bool = True, weights: Any = "imagenet",  # noqa: N802
                 input_tensor: Any = None, pooling: str | None = None, classes: int = 1000,
                 classifier_activation: Any = "softmax", name: str = "nasnet_mobile") -> Any:
    if not include_top and input_shape is None:
        input_shape = (224, 224, 3)
    return NASNet(input_shape, penultimate_filters=1056, num_blocks=4, stem_block_filters=32,
                  skip_reduction=False, filter_multiplier=2, include_top=include_top, weights=weights,
                  input_tensor=input_tensor, pooling=pooling, classes=classes, default_size=224,
                  classifier_activation=classifier_activation, name=name)


def NASNetLarge(input_shape: Any = None, include_top: bool = True, weights: Any = "imagenet",  # noqa: N802
                input_tensor: Any = None, pooling: str | None = None, classes: int = 1000,
                classifier_activation: Any = "softmax", name: str = "nasnet_large") -> Any:
    return NASNet(input_shape, penultimate_filters=4032, num_blocks=6, stem_block_filters=96,
                  skip_reduction=True, filter_multiplier=2, include_top=include_top, weights=weights,
                  input_tensor=input_tensor, pooling=pooling, classes=classes, default_size=331,
                  classifier_activation=classifier_activation, name=name)


NASNetMobile.__doc__ = (
    "Instantiates the NASNet-A Mobile architecture (`keras.applications.NASNetMobile`).\n\n"
    "    Inputs are expected preprocessed with `lx.applications.nasnet.preprocess_input`\n"
    "    (scaled to [-1, 1]).\n" + _ARGS.replace("{size}", "224") + """
    Example:
        >>> import layerax as lx
        >>> model = lx.applications.NASNetMobile(weights=None, include_top=False,
        ...     input_shape=(32, 32, 3), pooling="avg")
        >>> model.output_shape
        (None, 1056)
""")
NASNetLarge.__doc__ = (
    "Instantiates the NASNet-A Large architecture (`keras.applications.NASNetLarge`).\n\n"
    "    Inputs are expected preprocessed with `lx.applications.nasnet.preprocess_input`\n"
    "    (scaled to [-1, 1]).\n" + _ARGS.replace("{size}", "331") + """
    Example:
        >>> import inspect, layerax as lx  # (85M parameters: not built here)
        >>> inspect.signature(lx.applications.NASNetLarge).parameters["name"].default
        'nasnet_large'
""")


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """Preprocesses images for NASNet: scales pixels from [0, 255] to [-1, 1] ("tf" mode).

    Args:
        x: Float array or tensor of RGB images with values in [0, 255].
        data_format: `"channels_last"` or `"channels_first"`; defaults to
            `lx.config.image_data_format()`.

    Returns:
        The preprocessed images.

    Example:
        >>> import numpy as np, layerax as lx
        >>> lx.applications.nasnet.preprocess_input(np.array([0.0, 255.0])).tolist()
        [-1.0, 1.0]
    """
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds: Any, top: int = 5) -> list[list[tuple[str, str, float]]]:
    """Decodes ImageNet predictions of NASNet into `(class_id, name, score)` lists.

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
        >>> lx.applications.nasnet.decode_predictions(p, top=1)[0][0][:2]
        ('n00000042', 'class_42')
        >>> imagenet_utils.CLASS_INDEX = None
    """
    return imagenet_utils.decode_predictions(preds, top=top)
