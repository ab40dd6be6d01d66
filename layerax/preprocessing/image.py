"""`keras.preprocessing.image` (`lx.preprocessing.image`): PIL conversions and `smart_resize`."""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp
import numpy as np

from layerax.utils.image_utils import array_to_img as array_to_img
from layerax.utils.image_utils import img_to_array as img_to_array
from layerax.utils.image_utils import load_img as load_img
from layerax.utils.image_utils import save_img as save_img

__all__ = ["array_to_img", "img_to_array", "load_img", "save_img", "smart_resize"]


def _centre_window(height: int, width: int, target_h: int, target_w: int) -> tuple[int, ...]:
    """(top, left, crop_h, crop_w) of the largest centred window with the target aspect ratio."""
    crop_h = max(min(height, int(float(width * target_h) / target_w)), 1)
    crop_w = max(min(width, int(float(height * target_w) / target_h)), 1)
    return int((height - crop_h) / 2), int((width - crop_w) / 2), crop_h, crop_w


def smart_resize(x: Any, size: Any, interpolation: str = "bilinear",
                 data_format: str = "channels_last", **kwargs: Any) -> Any:
    """Resizes images to `size` without distorting their aspect ratio.

    The largest centred crop with the aspect ratio of `size` is taken, then
    resized to `size` (so the image is cropped rather than stretched).

    Args:
        x: An image `(height, width, channels)` or a batch of them
            `(batch, height, width, channels)` (channels first with
            `data_format="channels_first"`), numpy or JAX.
        size: `(height, width)` of the output.
        interpolation: `"bilinear"`, `"nearest"`, `"bicubic"`, `"lanczos3"`
            or `"lanczos5"`.
        data_format: `"channels_last"` or `"channels_first"`.

    Returns:
        The resized images: a numpy array when `x` is one, else a JAX array.

    Example:

    >>> import numpy as np
    >>> import layerax as lx
    >>> lx.preprocessing.image.smart_resize(np.ones((30, 40, 3)), (10, 10)).shape
    (10, 10, 3)
    """
    from layerax.ops import image as image_ops

    if kwargs:
        raise TypeError(f"smart_resize() got unexpected keyword arguments: {list(kwargs)}. "
                        "Pass only x, size, interpolation and data_format.")
    if len(size) != 2:
        raise ValueError(f"smart_resize: expected `size` to be a tuple of 2 integers, received "
                         f"size={size!r}.")
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError("smart_resize: `data_format` must be 'channels_last' or "
                         f"'channels_first', received data_format={data_format!r}.")
    img = jnp.asarray(x)
    if img.ndim not in (3, 4):
        raise ValueError("smart_resize: expected an image of shape (height, width, channels) or a "
                         f"batch (batch, height, width, channels), received shape {img.shape}.")
    axis = img.ndim - 3 if data_format == "channels_last" else img.ndim - 2
    height, width = img.shape[axis], img.shape[axis + 1]
    top, left, crop_h, crop_w = _centre_window(height, width, int(size[0]), int(size[1]))
    index = [slice(None)] * img.ndim
    index[axis] = slice(top, top + crop_h)
    index[axis + 1] = slice(left, left + crop_w)
    out = image_ops.resize(img[tuple(index)], tuple(int(s) for s in size),
                           interpolation=interpolation, data_format=data_format)
    return np.asarray(out) if isinstance(x, np.ndarray) else out
