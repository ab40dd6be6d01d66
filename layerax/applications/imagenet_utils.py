"""ImageNet helpers shared by the `lx.applications` families.

`preprocess_input` (the "caffe", "tf" and "torch" conventions), `decode_predictions`
(the 1000 ImageNet class names, fetched once through `lx.utils.get_file` from the
file Keras uses), and the argument checks every family runs before it builds:
`obtain_input_shape`, `validate_activation`, `correct_pad`.
"""

from __future__ import annotations

import json
import warnings
from typing import Any

import numpy as np

from layerax import activations
from layerax import ops
from layerax.config import floatx, image_data_format

CLASS_INDEX: dict[str, list[str]] | None = None
CLASS_INDEX_PATH = (
    "https://storage.googleapis.com/download.tensorflow.org/data/imagenet_class_index.json"
)
CLASS_INDEX_HASH = "c2c37ea517e94d9795004a39431a14cb"

_MODES = ("caffe", "tf", "torch")
_CAFFE_MEAN = (103.939, 116.779, 123.68)
_TORCH_MEAN = (0.485, 0.456, 0.406)
_TORCH_STD = (0.229, 0.224, 0.225)


def _check_data_format(data_format: str | None) -> str:
    if data_format is None:
        return image_data_format()
    if data_format not in ("channels_first", "channels_last"):
        raise ValueError(
            "preprocess_input expects data_format to be 'channels_first' or 'channels_last' "
            f"(or None for lx.config.image_data_format()). Received: data_format={data_format!r}"
        )
    return data_format


def _channel_shape(ndim: int, data_format: str) -> tuple[int, ...]:
    """Shape that broadcasts a per-channel vector of 3 against an image (batch) of rank `ndim`."""
    if data_format == "channels_first":
        return (3, 1, 1) if ndim == 3 else (1, 3) + (1,) * (ndim - 2)
    return (1,) * (ndim - 1) + (3,)


def _bgr(x: Any, data_format: str, xp: Any) -> Any:
    axis = (0 if x.ndim == 3 else 1) if data_format == "channels_first" else -1
    return xp.flip(x, axis=axis)


def preprocess_input(x: Any, data_format: str | None = None, mode: str = "caffe") -> Any:
    """Preprocesses a batch of images (values in [0, 255]) the way an ImageNet model expects.

    Args:
        x: A 3D or 4D numpy array or JAX array with 3 colour channels. A floating numpy
            array is changed in place, as in Keras (pass `np.copy(x)` to keep it).
        data_format: "channels_last", "channels_first" or None (the global
            `lx.config.image_data_format()`).
        mode: "caffe" (RGB to BGR, then subtract the ImageNet mean of each channel),
            "tf" (scale to [-1, 1]) or "torch" (scale to [0, 1], then normalise each
            channel with the ImageNet mean and standard deviation).

    Returns:
        The preprocessed images (numpy in, numpy out; a JAX array otherwise).

    Raises:
        ValueError: for an unknown `mode` or `data_format`.

    Example:
        >>> import numpy as np, layerax as lx
        >>> x = np.full((1, 2, 2, 3), 255.0)
        >>> lx.applications.imagenet_utils.preprocess_input(x, mode="tf")[0, 0, 0]
        array([1., 1., 1.])
    """
    if mode not in _MODES:
        raise ValueError(
            f"preprocess_input expects mode to be one of {list(_MODES)}. Received: mode={mode!r}"
        )
    data_format = _check_data_format(data_format)
    if isinstance(x, np.ndarray):
        if not np.issubdtype(x.dtype, np.floating):
            x = x.astype(floatx())
        return _preprocess(x, data_format, mode, np)
    import jax.numpy as jnp

    x = ops.convert_to_tensor(x)

    if not jnp.issubdtype(x.dtype, jnp.floating):
        x = x.astype(floatx())
    return _preprocess(x, data_format, mode, jnp)


def _preprocess(x: Any, data_format: str, mode: str, xp: Any) -> Any:
    in_place = xp is np
    if mode == "tf":
        if in_place:
            x /= 127.5
            x -= 1.0
            return x
        return x / 127.5 - 1.0
    if mode == "torch":
        mean, std = _TORCH_MEAN, _TORCH_STD
        if in_place:
            x /= 255.0
        else:
            x = x / 255.0
    else:
        mean, std = _CAFFE_MEAN, None
        x = _bgr(x, data_format, xp)
    shape = _channel_shape(x.ndim, data_format)
    mean_arr = xp.asarray(mean, dtype=x.dtype).reshape(shape)
    if in_place and mode == "torch":
        x -= mean_arr
        x /= np.asarray(std, dtype=x.dtype).reshape(shape)
        return x
    x = x - mean_arr
    if std is not None:
        x = x / xp.asarray(std, dtype=x.dtype).reshape(shape)
    return x


def _class_index() -> dict[str, list[str]]:
    global CLASS_INDEX
    if CLASS_INDEX is None:
        from layerax.utils.file_utils import get_file

        path = get_file(
            "imagenet_class_index.json", CLASS_INDEX_PATH, cache_subdir="models",
            file_hash=CLASS_INDEX_HASH,
        )
        with open(path, encoding="utf-8") as f:
            CLASS_INDEX = json.load(f)
    return CLASS_INDEX


def decode_predictions(preds: Any, top: int = 5) -> list[list[tuple[str, str, float]]]:
    """Turns a batch of ImageNet predictions into `(class_id, class_name, score)` tuples.

    The class names come from Keras' `imagenet_class_index.json`, downloaded once
    through `lx.utils.get_file` into `~/.keras/models` (its hash is checked).

    Args:
        preds: An array of shape `(samples, 1000)`.
        top: How many of the best guesses to return per sample.

    Returns:
        One list per sample of `top` tuples `(class_id, class_name, score)`, best first.

    Raises:
        ValueError: if `preds` is not of shape `(samples, 1000)`.

    Example:
        >>> import numpy as np, layerax as lx
        >>> from layerax.applications import imagenet_utils
        >>> imagenet_utils.CLASS_INDEX = {str(i): [f"n{i:08d}", f"class_{i}"] for i in range(1000)}
        >>> p = np.zeros((1, 1000)); p[0, 7] = 0.9; p[0, 3] = 0.1
        >>> [name for _, name, _ in imagenet_utils.decode_predictions(p, top=2)[0]]
        ['class_7', 'class_3']
        >>> imagenet_utils.CLASS_INDEX = None
    """
    shape = tuple(np.shape(preds))
    if len(shape) != 2 or shape[1] != 1000:
        raise ValueError(
            "decode_predictions expects a batch of ImageNet predictions, an array of shape "
            f"(samples, 1000). Received an array of shape {shape}."
        )
    index = _class_index()
    values = np.asarray(preds)
    results = []
    for pred in values:
        best = np.argsort(pred)[-top:][::-1]
        row = [(*index[str(i)], pred[i]) for i in best]
        row.sort(key=lambda item: item[2], reverse=True)
        results.append([tuple(r) for r in row])
    return results


def obtain_input_shape(
    input_shape: tuple[int | None, ...] | None,
    default_size: int,
    min_size: int,
    data_format: str,
    require_flatten: bool,
    weights: str | None = None,
) -> tuple[int | None, ...]:
    """Checks a family's `input_shape` argument, or gives its default (as Keras does).

    Args:
        input_shape: None (the default shape) or the user's 3-tuple.
        default_size: The family's default height and width.
        min_size: The smallest height and width the family accepts.
        data_format: "channels_last" or "channels_first".
        require_flatten: Whether the model ends in a classifier needing static sizes
            (i.e. `include_top=True`).
        weights: "imagenet", None, or a path; "imagenet" requires 3 channels (and the
            default shape when `require_flatten`).

    Returns:
        The input shape, possibly with None height and width.

    Raises:
        ValueError: for a shape that is not 3 integers, too small, without 3 channels
            for ImageNet weights, or not static when `require_flatten`.

    Example:
        >>> from layerax.applications.imagenet_utils import obtain_input_shape
        >>> obtain_input_shape(None, 224, 32, "channels_last", require_flatten=False)
        (None, None, 3)
        >>> obtain_input_shape((64, 64, 3), 224, 32, "channels_last", require_flatten=True)
        (64, 64, 3)
    """
    first = data_format == "channels_first"
    if weights != "imagenet" and input_shape and len(input_shape) == 3:
        channels = input_shape[0] if first else input_shape[-1]
        if channels not in (1, 3):
            warnings.warn(
                "This model usually expects 1 or 3 input channels. However, it was passed an "
                f"input_shape with {channels} input channels.",
                stacklevel=2,
            )
        default_shape = (
            (input_shape[0], default_size, default_size) if first
            else (default_size, default_size, input_shape[-1])
        )
    else:
        default_shape = (3, default_size, default_size) if first else (default_size, default_size, 3)
    if weights == "imagenet" and require_flatten:
        if input_shape is not None and tuple(input_shape) != default_shape:
            raise ValueError(
                "When setting `include_top=True` and loading `imagenet` weights, `input_shape` "
                f"should be {default_shape}. Received: input_shape={input_shape}"
            )
        return default_shape
    if input_shape:
        input_shape = tuple(input_shape)
        if len(input_shape) != 3:
            raise ValueError(
                f"`input_shape` must be a tuple of three integers. Received: input_shape={input_shape}"
            )
        channels = input_shape[0] if first else input_shape[-1]
        if channels != 3 and weights == "imagenet":
            raise ValueError(
                f"The input must have 3 channels for ImageNet weights; Received: input_shape={input_shape}"
            )
        spatial = input_shape[1:] if first else input_shape[:2]
        if any(s is not None and s < min_size for s in spatial):
            raise ValueError(
                f"Input size must be at least {min_size}x{min_size}; Received: "
                f"input_shape={input_shape}"
            )
    elif require_flatten:
        input_shape = default_shape
    else:
        input_shape = (3, None, None) if first else (None, None, 3)
    if require_flatten and None in input_shape:
        raise ValueError(
            "If `include_top` is True, you should specify a static `input_shape`. "
            f"Received: input_shape={input_shape}"
        )
    return input_shape


def correct_pad(inputs: Any, kernel_size: int | tuple[int, int]) -> tuple[tuple[int, int], tuple[int, int]]:
    """Zero-padding for a strided 2D convolution that matches TensorFlow's "same" padding.

    Args:
        inputs: A symbolic image tensor.
        kernel_size: The convolution's kernel size, an int or a pair.

    Returns:
        `((top, bottom), (left, right))` for `ZeroPadding2D`.

    Example:
        >>> import layerax as lx
        >>> from layerax.applications.imagenet_utils import correct_pad
        >>> correct_pad(lx.Input((32, 32, 3)), 3)
        ((0, 1), (0, 1))
    """
    axis = 2 if image_data_format() == "channels_first" else 1
    size = tuple(inputs.shape[axis: axis + 2])
    if isinstance(kernel_size, int):
        kernel_size = (kernel_size, kernel_size)
    adjust = (1, 1) if size[0] is None else (1 - size[0] % 2, 1 - size[1] % 2)
    half = (kernel_size[0] // 2, kernel_size[1] // 2)
    return ((half[0] - adjust[0], half[0]), (half[1] - adjust[1], half[1]))


def validate_activation(classifier_activation: Any, weights: str | None) -> None:
    """Raises unless `classifier_activation` is None or softmax when pretrained weights load.

    Example:
        >>> from layerax.applications.imagenet_utils import validate_activation
        >>> validate_activation("softmax", "imagenet")
        >>> validate_activation("relu", None)
    """
    if weights is None:
        return
    fn = activations.get(classifier_activation)
    if fn not in (activations.get("softmax"), activations.get(None)):
        raise ValueError(
            "Only `None` and `softmax` activations are allowed for the `classifier_activation` "
            "argument when using pretrained weights, with `include_top=True`; Received: "
            f"classifier_activation={classifier_activation!r}"
        )


__all__ = ["decode_predictions", "preprocess_input"]
