"""`lx.utils.image_dataset_from_directory`."""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from layerax.config import standardize_data_format
from layerax.utils import dataset_index
from layerax.utils.file_dataset import FileDataset, build_subsets

ALLOWLIST_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
_INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5", "gaussian", "mitchellcubic")
_CHANNELS = {"rgb": 3, "rgba": 4, "grayscale": 1}


def _load_image(path: str, image_size: tuple[int, int], num_channels: int, interpolation: str,
                data_format: str, crop_to_aspect_ratio: bool, pad_to_aspect_ratio: bool) -> np.ndarray:
    """One image file -> float32 `(h, w, c)` (or `(c, h, w)`), resized like Keras' loader."""
    try:
        from PIL import Image
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError(
            "image_dataset_from_directory reads images with Pillow: `pip install pillow` "
            "(or layerax's `image` extra)."
        ) from err

    with Image.open(path) as img:
        wanted = {1: ("L", "I;16", "I"), 3: ("RGB",), 4: ("RGBA",)}[num_channels]
        if img.mode not in wanted:
            img = img.convert(wanted[0])
        pixels = np.asarray(img, dtype="float32")
    if pixels.ndim == 2:
        pixels = pixels[..., None]
    if data_format == "channels_first":
        pixels = np.transpose(pixels, (2, 0, 1))
    resize = _compiled_resize(tuple(image_size), interpolation, crop_to_aspect_ratio, pad_to_aspect_ratio,
                              data_format)
    return np.asarray(resize(pixels), dtype="float32")


@functools.lru_cache(maxsize=32)
def _compiled_resize(image_size: tuple[int, int], interpolation: str, crop_to_aspect_ratio: bool,
                     pad_to_aspect_ratio: bool, data_format: str) -> Any:
    """One compiled resize per set of options (and, inside jit, per source shape)."""
    import jax

    from layerax.ops import image as image_ops

    return jax.jit(functools.partial(
        image_ops.resize, size=image_size, interpolation=interpolation,
        crop_to_aspect_ratio=crop_to_aspect_ratio, pad_to_aspect_ratio=pad_to_aspect_ratio,
        data_format=data_format,
    ))


def image_dataset_from_directory(
    directory: str | os.PathLike[str],
    labels: Any = "inferred",
    label_mode: str | None = "int",
    class_names: Sequence[str] | None = None,
    color_mode: str = "rgb",
    batch_size: int | None = 32,
    image_size: int | tuple[int, int] = (256, 256),
    shuffle: bool = True,
    seed: int | None = None,
    validation_split: float | None = None,
    subset: str | None = None,
    interpolation: str = "bilinear",
    follow_links: bool = False,
    crop_to_aspect_ratio: bool = False,
    pad_to_aspect_ratio: bool = False,
    data_format: str | None = None,
    format: str = "tf",  # noqa: A002 - Keras' argument name
    verbose: bool = True,
    **kwargs: Any,
) -> FileDataset | list[FileDataset]:
    """A dataset of the images in `directory` (one sub-folder per class), read lazily.

    Files ending in `.bmp`, `.gif`, `.jpeg`, `.jpg` or `.png` are listed, labelled and
    split by Keras' rules (see `layerax.utils.dataset_index`): the class names are the
    sorted sub-folder names, the files are listed in sorted order and shuffled once with
    `seed`, and `validation_split` keeps the last fraction of them for validation. Images
    are read with Pillow when a batch is asked for, converted to `color_mode` and resized
    to `image_size` with `lx.ops.image.resize`: the values of Keras' `format="grain"`
    path, which does the same (Keras' `tf` path decodes and resizes with TensorFlow, whose
    JPEG decoder and resize kernels can differ slightly).

    Args:
        directory: The folder of the data.
        labels: `"inferred"` (from the sub-folder names), a list/tuple of integer labels
            (one per file, in the sorted order of the paths), or None (images only).
        label_mode: `"int"` (int32 labels), `"categorical"` (float32 one-hot), `"binary"`
            (float32 `(batch, 1)`, exactly 2 classes) or None (no labels).
        class_names: With `labels="inferred"`, the sub-folders to use, in this order.
        color_mode: `"grayscale"`, `"rgb"` or `"rgba"` (1, 3 or 4 channels).
        batch_size: Images per batch, or None for single images.
        image_size: `(height, width)` of the images after resizing (or one int).
        shuffle: Shuffle the files once (and the samples after every epoch); if False the
            files are in sorted order.
        seed: Seed of the shuffles; needed with `validation_split` and `shuffle`.
        validation_split: Fraction of the files kept for validation.
        subset: `"training"`, `"validation"` or `"both"` (a list `[train, validation]`).
        interpolation: The resize method (Keras' names).
        follow_links: Whether to walk into symlinked folders.
        crop_to_aspect_ratio: Centre-crop to the target aspect ratio before resizing.
        pad_to_aspect_ratio: Pad to the target aspect ratio before resizing.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        format: Keras' choice of `"tf"` or `"grain"` output; both give this `PyDataset` here.
        verbose: Print how many files and classes were found.
        **kwargs: `workers`, `use_multiprocessing`, `max_queue_size` of the `PyDataset`.

    Returns:
        A `FileDataset` (a `PyDataset` of numpy batches `(images, labels)`, or images alone)
        with `class_names` and `file_paths`; with `subset="both"` a list of two of them.

    Example:
        >>> import layerax as lx, numpy as np, os, tempfile
        >>> from PIL import Image
        >>> root = tempfile.mkdtemp()
        >>> for cls in ("cat", "dog"):
        ...     os.makedirs(os.path.join(root, cls))
        ...     for i in range(2):
        ...         Image.new("RGB", (8, 6)).save(os.path.join(root, cls, f"{i}.png"))
        >>> ds = lx.utils.image_dataset_from_directory(root, image_size=(4, 4), batch_size=3, seed=1, verbose=False)
        >>> ds.class_names, len(ds)
        (['cat', 'dog'], 2)
        >>> x, y = ds[0]
        >>> x.shape, x.dtype, y.dtype
        ((3, 4, 4, 3), dtype('float32'), dtype('int32'))
    """
    dataset_index.check_label_arguments(labels, label_mode, class_names, "image_dataset_from_directory")
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    if color_mode not in _CHANNELS:
        raise ValueError(f'`color_mode` must be one of {{"rgb", "rgba", "grayscale"}}. Received: color_mode={color_mode}')
    num_channels = _CHANNELS[color_mode]
    if isinstance(image_size, int):
        image_size = (image_size, image_size)
    elif not isinstance(image_size, (list, tuple)) or len(image_size) != 2:
        raise ValueError(f"Invalid `image_size` value. Expected a tuple of 2 integers. Received: image_size={image_size}")
    interpolation = interpolation.lower()
    if interpolation not in _INTERPOLATIONS:
        raise ValueError(
            f"Argument `interpolation` should be one of {_INTERPOLATIONS}. Received: interpolation={interpolation}"
        )
    if format not in ("tf", "grain"):
        raise ValueError(f'`format` should be either "tf" or "grain". Received: format={format}')
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError("Only one of `pad_to_aspect_ratio`, `crop_to_aspect_ratio` can be set to `True`.")
    dataset_index.check_validation_split_arg(validation_split, subset, shuffle, seed)
    if seed is None:
        seed = int(np.random.randint(1_000_000))
    paths, found, names = dataset_index.index_directory(
        directory, labels, formats=ALLOWLIST_FORMATS, class_names=class_names, shuffle=shuffle,
        seed=seed, follow_links=follow_links, verbose=verbose,
    )
    if label_mode == "binary" and len(names or []) != 2:
        raise ValueError(
            f'When passing `label_mode="binary"`, there must be exactly 2 class_names. Received: class_names={names}'
        )
    data_format = standardize_data_format(data_format)
    load = functools.partial(
        _load_image, image_size=tuple(int(s) for s in image_size), num_channels=num_channels,
        interpolation=interpolation, data_format=data_format, crop_to_aspect_ratio=crop_to_aspect_ratio,
        pad_to_aspect_ratio=pad_to_aspect_ratio,
    )
    encoded = dataset_index.encode_labels(found, label_mode, len(names) if names else 0)
    return build_subsets(
        paths, encoded, load, "images", directory, ALLOWLIST_FORMATS, names, batch_size=batch_size,
        shuffle=shuffle, seed=seed, validation_split=validation_split, subset=subset, verbose=verbose,
        **kwargs,
    )


__all__ = ["image_dataset_from_directory"]
