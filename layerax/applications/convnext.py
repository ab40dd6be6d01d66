"""ConvNeXt Tiny, Small, Base, Large and XLarge (Liu et al., 2022), as in
`keras.applications.convnext`.

Layer names, layer order and weight order match Keras, so weight files move
between the two libraries. The ImageNet normalization is part of the model
(`include_preprocessing=True`), so `preprocess_input` is the identity.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from layerax import config, initializers, layers
from layerax.applications import imagenet_utils
from layerax.applications._family import KERAS_APPS, FamilySpec, build_application
from layerax.applications._weights import WeightsFile
from layerax.core.layer import Layer
from layerax.core.random import SeedGenerator
from layerax.models.sequential import Sequential

__all__ = [
    "ConvNeXtBase", "ConvNeXtLarge", "ConvNeXtSmall", "ConvNeXtTiny", "ConvNeXtXLarge",
    "LayerScale", "StochasticDepth", "decode_predictions", "preprocess_input",
]

_BASE = KERAS_APPS + "convnext/"
# variant -> (depths, projection dims, sha256 of the top file, of the no-top file)
_CONFIGS = {
    "tiny": ((3, 3, 9, 3), (96, 192, 384, 768),
             "8ae6e78ce2933352b1ef4008e6dd2f17bc40771563877d156bc6426c7cf503ff",
             "d547c096cabd03329d7be5562c5e14798aa39ed24b474157cef5e85ab9e49ef1"),
    "small": ((3, 3, 27, 3), (96, 192, 384, 768),
              "ce1277d8f1ee5a0ef0e171469089c18f5233860ceaf9b168049cb9263fd7483c",
              "6fc8009faa2f00c1c1dfce59feea9b0745eb260a7dd11bee65c8e20843da6eab"),
    "base": ((3, 3, 27, 3), (128, 256, 512, 1024),
             "52cbb006d3dadd03f6e095a8ca1aca47aecdd75acb4bc74bce1f5c695d0086e6",
             "40a20c5548a5e9202f69735ecc06c990e6b7c9d2de39f0361e27baeb24cb7c45"),
    "large": ((3, 3, 27, 3), (192, 384, 768, 1536),
              "070c5ed9ed289581e477741d3b34beffa920db8cf590899d6d2c67fba2a198a6",
              "96f02b6f0753d4f543261bc9d09bed650f24dd6bc02ddde3066135b63d23a1cd"),
    "xlarge": ((3, 3, 27, 3), (256, 512, 1024, 2048),
               "c1f5ccab661354fc3a79a10fa99af82f0fbf10ec65cb894a3ae0815f17a889ee",
               "de3f8a54174130e0cecdc71583354753d557fcf1f4487331558e2a16ba0cfe05"),
}


class StochasticDepth(Layer):
    """Drops the whole residual branch of a sample with probability `drop_path_rate` in training.

    Args:
        drop_path_rate: Probability of dropping a sample's branch.
        **kwargs: Base layer arguments (`name`, `dtype`, ...).

    Example:
        >>> import numpy as np
        >>> from layerax.applications.convnext import StochasticDepth
        >>> StochasticDepth(0.5)(np.ones((2, 3)), training=False).tolist()
        [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]
    """

    def __init__(self, drop_path_rate: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.drop_path_rate = drop_path_rate
        self.seed_generator = SeedGenerator(None)

    def call(self, x: Any, training: bool | None = None) -> Any:
        if not training:
            return x
        keep_prob = 1.0 - self.drop_path_rate
        shape = (x.shape[0],) + (1,) * (x.ndim - 1)
        mask = jnp.floor(keep_prob + jax.random.uniform(self.seed_generator.next(), shape, dtype=x.dtype))
        return (x / keep_prob) * mask

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "drop_path_rate": self.drop_path_rate}


class LayerScale(Layer):
    """Multiplies the channels by a learned vector `gamma`, initialized to `init_values`.

    Args:
        init_values: Initial value of every entry of `gamma`.
        projection_dim: Number of channels (length of `gamma`).
        **kwargs: Base layer arguments (`name`, `dtype`, ...).

    Example:
        >>> import numpy as np
        >>> from layerax.applications.convnext import LayerScale
        >>> LayerScale(0.5, 2)(np.ones((1, 2))).tolist()
        [[0.5, 0.5]]
    """

    def __init__(self, init_values: float, projection_dim: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.init_values = init_values
        self.projection_dim = projection_dim

    def build(self, input_shape: Any) -> None:
        self.gamma = self.add_weight(shape=(self.projection_dim,),
                                     initializer=initializers.Constant(self.init_values), trainable=True)

    def call(self, x: Any) -> Any:
        return x * self.gamma

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "init_values": self.init_values,
                "projection_dim": self.projection_dim}


def _block(x: Any, dim: int, drop_path_rate: float, layer_scale_init_value: float | None, name: str) -> Any:
    inputs = x
    x = layers.Conv2D(dim, kernel_size=7, padding="same", groups=dim, name=f"{name}_depthwise_conv")(x)
    x = layers.LayerNormalization(epsilon=1e-6, name=f"{name}_layernorm")(x)
    x = layers.Dense(4 * dim, name=f"{name}_pointwise_conv_1")(x)
    x = layers.Activation("gelu", name=f"{name}_gelu")(x)
    x = layers.Dense(dim, name=f"{name}_pointwise_conv_2")(x)
    if layer_scale_init_value is not None:
        x = LayerScale(layer_scale_init_value, dim, name=f"{name}_layer_scale")(x)
    if drop_path_rate:
        last: Layer = StochasticDepth(drop_path_rate, name=f"{name}_stochastic_depth")
    else:
        last = layers.Activation("linear", name=f"{name}_identity")
    return inputs + last(x)


def _downsamplers(dims: tuple[int, ...], name: str) -> list[Sequential]:
    stem = Sequential([
        layers.Conv2D(dims[0], kernel_size=4, strides=4, name=f"{name}_stem_conv"),
        layers.LayerNormalization(epsilon=1e-6, name=f"{name}_stem_layernorm"),
    ], name=f"{name}_stem")
    out = [stem]
    for i in range(3):
        out.append(Sequential([
            layers.LayerNormalization(epsilon=1e-6, name=f"{name}_downsampling_layernorm_{i}"),
            layers.Conv2D(dims[i + 1], kernel_size=2, strides=2, name=f"{name}_downsampling_conv_{i}"),
        ], name=f"{name}_downsampling_block_{i}"))
    return out


def _body(depths: tuple[int, ...], dims: tuple[int, ...], drop_path_rate: float,
          layer_scale_init_value: float | None, include_preprocessing: bool, name: str) -> Any:
    def body(x: Any) -> Any:
        if include_preprocessing and x.shape[-1] == 3:
            x = layers.Normalization(
                mean=[0.485 * 255, 0.456 * 255, 0.406 * 255],
                variance=[(0.229 * 255) ** 2, (0.224 * 255) ** 2, (0.225 * 255) ** 2],
                name=f"{name}_prestem_normalization",
            )(x)
        rates = [float(r) for r in np.linspace(0.0, drop_path_rate, sum(depths))]
        cur = 0
        for i, down in enumerate(_downsamplers(dims, name)):
            x = down(x)
            for j in range(depths[i]):
                x = _block(x, dims[i], rates[cur + j], layer_scale_init_value, f"{name}_stage_{i}_block_{j}")
            cur += depths[i]
        return x

    return body


def _head(name: str) -> Any:
    def head(x: Any, *, include_top: bool, pooling: str | None, classes: int,
             classifier_activation: Any, weights: Any) -> Any:
        if include_top:
            imagenet_utils.validate_activation(classifier_activation, weights)
            x = layers.GlobalAveragePooling2D(name=f"{name}_head_gap")(x)
            x = layers.LayerNormalization(epsilon=1e-6, name=f"{name}_head_layernorm")(x)
            return layers.Dense(classes, activation=classifier_activation, name=f"{name}_head_dense")(x)
        if pooling == "avg":
            x = layers.GlobalAveragePooling2D()(x)
        elif pooling == "max":
            x = layers.GlobalMaxPooling2D()(x)
        return layers.LayerNormalization(epsilon=1e-6)(x)

    return head


def _convnext(variant: str, *, include_top: bool, include_preprocessing: bool, weights: Any,
              input_tensor: Any, input_shape: Any, pooling: str | None, classes: int,
              classifier_activation: Any, name: str) -> Any:
    depths, dims, top_hash, notop_hash = _CONFIGS[variant]
    if config.image_data_format() == "channels_first":
        raise ValueError(
            "ConvNeXt does not support the 'channels_first' image data format. Call "
            "`lx.config.set_image_data_format('channels_last')` first."
        )
    if weights == "imagenet" and f"convnext_{variant}" not in name:
        raise ValueError(
            f"ConvNeXt: with `weights='imagenet'` the model name must contain the weights variant "
            f"'convnext_{variant}'. Received: name={name!r}."
        )
    spec = FamilySpec(
        family="ConvNeXt", default_size=224, min_size=32,
        top_file=WeightsFile(f"{_BASE}{name}.h5", top_hash),
        notop_file=WeightsFile(f"{_BASE}{name}_notop.h5", notop_hash),
    )
    return build_application(
        spec, _body(depths, dims, 0.0, 1e-6, include_preprocessing, name), head=_head(name),
        include_top=include_top, weights=weights, input_tensor=input_tensor, input_shape=input_shape,
        pooling=pooling, classes=classes, classifier_activation=classifier_activation, name=name,
    )


_DOC = """Instantiates the ConvNeXt{Variant} architecture (`keras.applications.ConvNeXt{Variant}`).

    The model normalizes its inputs itself (`include_preprocessing=True`):
    feed it RGB images with values in [0, 255].

    Args:
        include_top: Whether to include the classifier head (global average
            pooling, LayerNormalization and the `head_dense` layer).
        include_preprocessing: Whether the model starts with the ImageNet
            normalization layer.
        weights: `None` (random initialization), `"imagenet"` (Keras'
            published ImageNet weights, downloaded with `lx.utils.get_file`)
            or the path of a weights file.
        input_tensor: Optional symbolic tensor (`lx.Input(...)`) to use as
            the image input.
        input_shape: Optional `(height, width, 3)` when `include_top=False`
            (at least 32x32); with the top it must be `(224, 224, 3)`.
        pooling: With `include_top=False`: `None` (4D output), `"avg"` or
            `"max"` (global pooling, 2D output).
        classes: Number of classes when `include_top=True` and no
            pretrained weights are loaded.
        classifier_activation: Activation of the last Dense layer; `None`
            returns logits.
        name: Name of the model.

    Returns:
        A functional `lx.Model`.

    Example:
{example}
"""

_BUILD_EXAMPLE = """        >>> import layerax as lx
        >>> model = lx.applications.ConvNeXt{Variant}(weights=None, include_top=False,
        ...     input_shape=(32, 32, 3), pooling="avg")
        >>> model.output_shape
        (None, {width})"""
# The larger variants have 50M-350M parameters: their examples do not build one.
_SIGNATURE_EXAMPLE = """        >>> import inspect, layerax as lx
        >>> inspect.signature(lx.applications.ConvNeXt{Variant}).parameters["name"].default
        '{default_name}'"""


def _variant(variant: str) -> Any:
    def constructor(include_top: bool = True, include_preprocessing: bool = True, weights: Any = "imagenet",
                    input_tensor: Any = None, input_shape: Any = None, pooling: str | None = None,
                    classes: int = 1000, classifier_activation: Any = "softmax",
                    name: str = f"convnext_{variant}") -> Any:
        return _convnext(variant, include_top=include_top, include_preprocessing=include_preprocessing,
                         weights=weights, input_tensor=input_tensor, input_shape=input_shape,
                         pooling=pooling, classes=classes, classifier_activation=classifier_activation,
                         name=name)

    pretty = "XLarge" if variant == "xlarge" else variant.capitalize()
    constructor.__name__ = constructor.__qualname__ = f"ConvNeXt{pretty}"
    constructor.__module__ = __name__
    example = _BUILD_EXAMPLE if variant == "tiny" else _SIGNATURE_EXAMPLE
    constructor.__doc__ = (_DOC.replace("{example}", example).replace("{Variant}", pretty)
                           .replace("{width}", str(_CONFIGS[variant][1][-1]))
                           .replace("{default_name}", f"convnext_{variant}"))
    return constructor


ConvNeXtTiny = _variant("tiny")
ConvNeXtSmall = _variant("small")
ConvNeXtBase = _variant("base")
ConvNeXtLarge = _variant("large")
ConvNeXtXLarge = _variant("xlarge")


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """Returns `x` unchanged: ConvNeXt models normalize their inputs themselves.

    Kept so that every application module has the same API.

    Args:
        x: Float array or tensor of images.
        data_format: Unused; accepted for API compatibility.

    Returns:
        `x`.

    Example:
        >>> import numpy as np, layerax as lx
        >>> lx.applications.convnext.preprocess_input(np.array([255.0])).tolist()
        [255.0]
    """
    return x


def decode_predictions(preds: Any, top: int = 5) -> list[list[tuple[str, str, float]]]:
    """Decodes ImageNet predictions of ConvNeXt into `(class_id, name, score)` lists.

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
        >>> lx.applications.convnext.decode_predictions(p, top=1)[0][0][:2]
        ('n00000042', 'class_42')
        >>> imagenet_utils.CLASS_INDEX = None
    """
    return imagenet_utils.decode_predictions(preds, top=top)
