"""Image file helpers of `keras.utils` (`array_to_img`, `img_to_array`, `load_img`,
`save_img`). They need Pillow: `pip install layerax[image]`."""

from __future__ import annotations

import io
import os
import pathlib
import warnings
from typing import Any

import numpy as np

from layerax.config import floatx, standardize_data_format

_RESAMPLE_NAMES = ("nearest", "bilinear", "bicubic", "hamming", "box", "lanczos")


def _pil(function: str) -> Any:
    try:
        from PIL import Image
    except ImportError as e:
        raise ImportError(
            f"lx.utils.{function} needs Pillow, which is not installed. Install it with "
            "`pip install layerax[image]` (or `pip install Pillow`)."
        ) from e
    return Image


def array_to_img(x: Any, data_format: str | None = None, scale: bool = True, dtype: Any = None) -> Any:
    """A PIL image from a rank-3 array (height, width, channels) with 1, 3 or 4 channels.

    Args:
        x: The image array (channels last, or first with `data_format="channels_first"`).
        data_format: "channels_last" or "channels_first" (default: `lx.config`'s).
        scale: Rescale the values to [0, 255] (min to 0, max to 255) first.
        dtype: Dtype the array is read as (default `floatx()`).

    Returns:
        A PIL image: mode "RGB", "RGBA", "L", or "I" for 1 channel above 255.

    Example:
        >>> import layerax as lx, numpy as np
        >>> lx.utils.array_to_img(np.random.rand(4, 5, 3)).size
        (5, 4)
    """
    image = _pil("array_to_img")
    data_format = standardize_data_format(data_format)
    x = np.asarray(x, dtype=floatx() if dtype is None else dtype)
    if x.ndim != 3:
        raise ValueError(
            f"array_to_img expects a single image of rank 3; received an array of shape {x.shape}."
        )
    if data_format == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x = x - np.min(x)
        peak = np.max(x)
        if peak != 0:
            x = x / peak
        x = x * 255
    channels = x.shape[2]
    if channels in (3, 4):
        return image.fromarray(x.astype("uint8"), "RGB" if channels == 3 else "RGBA")
    if channels == 1:
        if np.max(x) > 255:
            return image.fromarray(x[:, :, 0].astype("int32"), "I")
        return image.fromarray(x[:, :, 0].astype("uint8"), "L")
    raise ValueError(f"array_to_img supports 1, 3 or 4 channels; received {channels} (shape {x.shape}).")


def img_to_array(img: Any, data_format: str | None = None, dtype: Any = None) -> np.ndarray:
    """A rank-3 NumPy array from a PIL image (grayscale images get a channel axis).

    Example:
        >>> import layerax as lx, numpy as np
        >>> img = lx.utils.array_to_img(np.random.rand(4, 5, 3))
        >>> lx.utils.img_to_array(img).shape
        (4, 5, 3)
    """
    data_format = standardize_data_format(data_format)
    x = np.asarray(img, dtype=floatx() if dtype is None else dtype)
    if x.ndim == 3:
        return x.transpose(2, 0, 1) if data_format == "channels_first" else x
    if x.ndim == 2:
        return x[None] if data_format == "channels_first" else x[:, :, None]
    raise ValueError(f"img_to_array expects a 2D or 3D image; received shape {x.shape}.")


def save_img(
    path: Any, x: Any, data_format: str | None = None, file_format: str | None = None,
    scale: bool = True, **kwargs: Any,
) -> None:
    """Saves an image array to a file (format from the suffix unless `file_format` is given).

    Example:
        >>> import layerax as lx, numpy as np, os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "img.png")
        >>> lx.utils.save_img(path, np.random.rand(4, 5, 3)); lx.utils.load_img(path).size
        (5, 4)
    """
    _pil("save_img")
    data_format = standardize_data_format(data_format)
    if file_format is None and isinstance(path, (str, pathlib.Path)):
        file_format = pathlib.Path(path).suffix[1:].lower()
    if file_format and file_format.lower() == "jpg":
        file_format = "jpeg"
    img = array_to_img(x, data_format=data_format, scale=scale)
    if img.mode == "RGBA" and file_format == "jpeg":
        warnings.warn("JPEG has no alpha channel: saving the RGBA image as RGB.", stacklevel=2)
        img = img.convert("RGB")
    img.save(path, format=file_format or None, **kwargs)


def _crop_box(size: tuple[int, int], target: tuple[int, int]) -> list[int]:
    """The centred box of `size` (w, h) with the aspect ratio of `target` (w, h)."""
    width, height = size
    target_w, target_h = target
    crop_h = min(height, (width * target_h) // target_w)
    crop_w = min(width, (height * target_w) // target_h)
    top, left = (height - crop_h) // 2, (width - crop_w) // 2
    return [left, top, left + crop_w, top + crop_h]


def load_img(
    path: Any, color_mode: str = "rgb", target_size: tuple[int, int] | None = None,
    interpolation: str = "nearest", keep_aspect_ratio: bool = False,
) -> Any:
    """Loads an image file as a PIL image.

    Args:
        path: A path (str, bytes or `pathlib.Path`) or an `io.BytesIO`.
        color_mode: "rgb", "rgba" or "grayscale".
        target_size: `(height, width)` to resize to, or None.
        interpolation: Resampling: "nearest", "bilinear", "bicubic", "hamming", "box", "lanczos".
        keep_aspect_ratio: Crop the centre to the target's aspect ratio before resizing.

    Example:
        >>> import layerax as lx, numpy as np, os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "img.png")
        >>> lx.utils.save_img(path, np.random.rand(4, 6, 3))
        >>> lx.utils.load_img(path, target_size=(2, 3)).size
        (3, 2)
    """
    image = _pil("load_img")
    if isinstance(path, io.BytesIO):
        img = image.open(path)
    elif isinstance(path, (str, bytes, os.PathLike)):
        with open(path, "rb") as f:
            img = image.open(io.BytesIO(f.read()))
    else:
        raise TypeError(f"load_img expects a path or an io.BytesIO; received {type(path).__name__}.")
    modes = {"grayscale": ("L", "I;16", "I"), "rgba": ("RGBA",), "rgb": ("RGB",)}
    if color_mode not in modes:
        raise ValueError(f"color_mode must be 'grayscale', 'rgb' or 'rgba'. Received: color_mode={color_mode!r}")
    if img.mode not in modes[color_mode]:
        img = img.convert(modes[color_mode][0])
    if target_size is not None:
        size = (target_size[1], target_size[0])
        if img.size != size:
            if interpolation not in _RESAMPLE_NAMES:
                raise ValueError(
                    f"Unknown interpolation {interpolation!r}; expected one of {list(_RESAMPLE_NAMES)}."
                )
            resample = getattr(image.Resampling, interpolation.upper())
            box = _crop_box(img.size, size) if keep_aspect_ratio else None
            img = img.resize(size, resample, box=box)
    return img


__all__ = ["array_to_img", "img_to_array", "load_img", "save_img"]
