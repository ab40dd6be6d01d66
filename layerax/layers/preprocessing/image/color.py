"""Colour augmentation layers: RandomContrast, RandomBrightness, RandomHue, RandomSaturation,
RandomColorJitter, RandomGrayscale, RandomColorDegeneration and RandomInvert.

Each draws one transformation per call from its `SeedGenerator` (per image of the batch) and
applies it with the pure functions of `_color_ops`; `training=False` is the identity. The
transformation dicts have Keras 3's keys, so `transform_images(images, transformation)` takes
a transformation that Keras drew.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from layerax.layers.preprocessing.image import _color_ops as ops
from layerax.layers.preprocessing.image._pixel import PixelLayer, check_rank


class RandomContrast(PixelLayer):
    """Randomly scales each image's contrast about its per-channel mean.

    The contrast factor of each image is drawn uniformly from
    `[1 - factor[0], 1 + factor[1]]`; the result is clipped to `value_range`.
    As in Keras, a number `factor=f` means the pair `(0, f)`.

    Args:
        factor: A number in [0, 1] or a pair of them.
        value_range: The `(low, high)` range of the pixel values.
        seed: Integer seed of the layer's `SeedGenerator`.
        **kwargs: Base layer arguments (`data_format`, `name`, `dtype`, ...).

    Input shape:
        `(batch, height, width, channels)` or a single image (rank 3); a dict with
        `"images"` (and `"labels"`, `"bounding_boxes"`, `"segmentation_masks"`, unchanged).

    Output shape:
        Same as the input.

    Example:
        >>> import layerax as lx, numpy as np
        >>> layer = lx.layers.RandomContrast(0.5, seed=0)
        >>> layer(np.full((2, 4, 4, 3), 100.0, np.float32)).shape
        (2, 4, 4, 3)
    """

    _FACTOR_BOUNDS = (0, 1)

    def __init__(self, factor: Any, value_range: Any = (0, 255), seed: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._set_factor(factor)
        self.value_range = value_range
        self._set_seed(seed)

    def get_random_transformation(self, data: Any, training: bool = True,
                                  seed: Any = None) -> Any:
        images = self._images_of(data)
        check_rank(images, type(self).__name__)
        if not training:
            return None
        shape = (self._batch_size(images), 1, 1, 1)
        factor = self._uniform(self._next_key(seed), shape, 1.0 - self.factor[0],
                               1.0 + self.factor[1])
        return {"contrast_factor": factor}

    def transform_images(self, images: Any, transformation: Any, training: bool = True) -> Any:
        if not training:
            return images
        images = self._cast(images)
        factor = jnp.asarray(transformation["contrast_factor"], images.dtype)
        return ops.adjust_contrast(images, factor, self.value_range, self.data_format)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range,
                "seed": self.seed}


class RandomBrightness(PixelLayer):
    """Randomly adds a per-image offset to the pixel values.

    The offset is drawn uniformly from `factor` (a fraction of the value range's width,
    negative darkens) and the result is clipped to `value_range`.

    Args:
        factor: A number in [-1, 1] (meaning `(-|f|, |f|)`) or a pair of them.
        value_range: The `(low, high)` range of the pixel values.
        seed: Integer seed of the layer's `SeedGenerator`.
        **kwargs: Base layer arguments.

    Input shape:
        A batch of images (rank 4), one image (rank 3), or a dict with `"images"`.

    Output shape:
        Same as the input.

    Example:
        >>> import layerax as lx, numpy as np
        >>> layer = lx.layers.RandomBrightness((0.1, 0.1), value_range=(0, 1))
        >>> round(float(layer(np.zeros((1, 2, 2, 3), np.float32)).max()), 4)
        0.1
    """

    def __init__(self, factor: Any, value_range: Any = (0, 255), seed: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(factor=factor, **kwargs)
        self._set_value_range(value_range)
        self.value_range = list(self.value_range)
        self._set_seed(seed)

    def get_random_transformation(self, data: Any, training: bool = True,
                                  seed: Any = None) -> Any:
        images = self._images_of(data)
        check_rank(images, type(self).__name__)
        if not training:
            return None
        shape = (self._batch_size(images), 1, 1, 1)
        delta = self._uniform(self._next_key(seed), shape, self.factor[0], self.factor[1],
                              "float32")
        return {"rgb_delta": delta * (self.value_range[1] - self.value_range[0])}

    def transform_images(self, images: Any, transformation: Any, training: bool = True) -> Any:
        if not training:
            return images
        images = self._cast(images)
        return ops.adjust_brightness(images, jnp.asarray(transformation["rgb_delta"]),
                                     self.value_range)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range,
                "seed": self.seed}


class RandomHue(PixelLayer):
    """Randomly rotates the hue of each image.

    The hue shift is `±u / 2` turns with `u` drawn from `factor` and a random sign; the
    images are converted to [0, 1], shifted in HSV space and converted back.

    Args:
        factor: A number in [0, 1] (meaning `(0, f)`) or a pair of them.
        value_range: The `(low, high)` range of the pixel values.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        seed: Integer seed of the layer's `SeedGenerator`.
        **kwargs: Base layer arguments.

    Input shape:
        RGB images: a batch (rank 4), one image (rank 3), or a dict with `"images"`.

    Output shape:
        Same as the input.

    Example:
        >>> import layerax as lx, numpy as np
        >>> layer = lx.layers.RandomHue(0.5, value_range=(0, 1), seed=1)
        >>> layer(np.random.rand(2, 3, 3, 3).astype("float32")).shape
        (2, 3, 3, 3)
    """

    _FACTOR_BOUNDS = (0, 1)

    def __init__(self, factor: Any, value_range: Any = (0, 255), data_format: str | None = None,
                 seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        self.value_range = value_range
        self._set_seed(seed)

    def get_random_transformation(self, data: Any, training: bool = True,
                                  seed: Any = None) -> Any:
        images = self._images_of(data)
        check_rank(images, type(self).__name__)
        if not training:
            return None
        n = self._batch_size(images)
        sign_key, size_key = self._keys(seed, 2)
        sign = jnp.where(jax.random.uniform(sign_key, (n,)) > 0.5, -1.0, 1.0)
        size = self._uniform(size_key, (n,), self.factor[0], self.factor[1], "float32")
        return {"factor": sign * size * 0.5}

    def transform_images(self, images: Any, transformation: Any, training: bool = True) -> Any:
        if not training:
            return images
        images = self._cast(images)
        return ops.shift_hue(images, jnp.asarray(transformation["factor"]), self.value_range,
                             self.data_format).astype(self.compute_dtype)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range,
                "seed": self.seed}


class RandomSaturation(PixelLayer):
    """Randomly scales the saturation of each image.

    A value `u` is drawn from `factor` per image and the HSV saturation is multiplied by
    `u / (1 - u)`: `u = 0.5` keeps the image, 0 makes it gray, 1 fully saturates it.
    As in Keras, the HSV conversion works on the values as given (use images in [0, 1]).

    Args:
        factor: A number in [-1, 1] (meaning `(-|f|, |f|)`) or a pair of them.
        value_range: The `(low, high)` range of the pixel values.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        seed: Integer seed of the layer's `SeedGenerator`.
        **kwargs: Base layer arguments.

    Input shape:
        RGB images: a batch (rank 4), one image (rank 3), or a dict with `"images"`.

    Output shape:
        Same as the input.

    Example:
        >>> import layerax as lx, numpy as np
        >>> layer = lx.layers.RandomSaturation((0.0, 0.0), value_range=(0, 1))
        >>> out = layer(np.random.rand(1, 2, 2, 3).astype("float32"))
        >>> bool(np.allclose(out[..., 0], out[..., 1]))
        True
    """

    def __init__(self, factor: Any, value_range: Any = (0, 255), data_format: str | None = None,
                 seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        self._set_value_range(value_range)
        self.value_range = list(self.value_range)
        self._set_seed(seed)

    def get_random_transformation(self, data: Any, training: bool = True,
                                  seed: Any = None) -> Any:
        images = self._images_of(data)
        check_rank(images, type(self).__name__)
        if not training:
            return None
        u = self._uniform(self._next_key(seed), (self._batch_size(images),), self.factor[0],
                          self.factor[1], "float32")
        return {"factor": u / (1.0 - u + 1e-7)}

    def transform_images(self, images: Any, transformation: Any, training: bool = True) -> Any:
        if not training:
            return images
        images = self._cast(images)
        return ops.scale_saturation(images, jnp.asarray(transformation["factor"]),
                                    self.value_range, self.data_format)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range,
                "seed": self.seed}


class RandomColorJitter(PixelLayer):
    """Random brightness, contrast, saturation and hue, applied in that order.

    Each factor that is not None adds the matching layer (`RandomBrightness`,
    `RandomContrast`, `RandomSaturation`, `RandomHue`, with this layer's `value_range`);
    every call draws each one's transformation from this layer's `SeedGenerator`.

    Args:
        value_range: The `(low, high)` range of the pixel values.
        brightness_factor: `factor` of the brightness step, or None to skip it.
        contrast_factor: `factor` of the contrast step, or None.
        saturation_factor: `factor` of the saturation step, or None.
        hue_factor: `factor` of the hue step, or None.
        seed: Integer seed of the layer's `SeedGenerator`.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        **kwargs: Base layer arguments.

    Input shape:
        RGB images: a batch (rank 4), one image (rank 3), or a dict with `"images"`.

    Output shape:
        Same as the input.

    Example:
        >>> import layerax as lx, numpy as np
        >>> layer = lx.layers.RandomColorJitter(brightness_factor=0.2, contrast_factor=0.2)
        >>> layer(np.full((2, 4, 4, 3), 100.0, np.float32)).shape
        (2, 4, 4, 3)
    """

    _USE_BASE_FACTOR = False

    def __init__(self, value_range: Any = (0, 255), brightness_factor: Any = None,
                 contrast_factor: Any = None, saturation_factor: Any = None,
                 hue_factor: Any = None, seed: int | None = None,
                 data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self.value_range = value_range
        self.brightness_factor = brightness_factor
        self.contrast_factor = contrast_factor
        self.saturation_factor = saturation_factor
        self.hue_factor = hue_factor
        self._set_seed(seed)
        common = {"value_range": value_range, "seed": seed}
        self.random_brightness = (None if brightness_factor is None
                                  else RandomBrightness(brightness_factor, **common))
        self.random_contrast = (None if contrast_factor is None
                                else RandomContrast(contrast_factor, **common))
        self.random_saturation = (None if saturation_factor is None else RandomSaturation(
            saturation_factor, data_format=data_format, **common))
        self.random_hue = (None if hue_factor is None
                           else RandomHue(hue_factor, data_format=data_format, **common))

    def _steps(self) -> list[tuple[str, PixelLayer]]:
        names = ("random_brightness", "random_contrast", "random_saturation", "random_hue")
        return [(n, getattr(self, n)) for n in names if getattr(self, n) is not None]

    def get_random_transformation(self, data: Any, training: bool = True,
                                  seed: Any = None) -> Any:
        images = self._images_of(data)
        check_rank(images, type(self).__name__)
        if not training:
            return None
        steps = self._steps()
        keys = self._keys(seed, max(len(steps), 1))
        return {name: layer.get_random_transformation(images, seed=key)
                for (name, layer), key in zip(steps, keys)}

    def transform_images(self, images: Any, transformation: Any, training: bool = True) -> Any:
        if not training:
            return images
        images = self._cast(images)
        for name, layer in self._steps():
            images = layer.transform_images(images, transformation[name])
        return images.astype(self.compute_dtype)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "value_range": self.value_range,
                "brightness_factor": self.brightness_factor,
                "contrast_factor": self.contrast_factor,
                "saturation_factor": self.saturation_factor, "hue_factor": self.hue_factor,
                "seed": self.seed}


class RandomGrayscale(PixelLayer):
    """Turns each image to grayscale (kept in 3 channels) with probability `factor`.

    The transformation is a boolean array of shape `(batch, 1, 1, 1)`: which images turn gray.

    Args:
        factor: The probability, in [0, 1].
        data_format: `"channels_last"` (default) or `"channels_first"`.
        seed: Integer seed of the layer's `SeedGenerator`.
        **kwargs: Base layer arguments.

    Input shape:
        RGB images: a batch (rank 4), one image (rank 3), or a dict with `"images"`.

    Output shape:
        Same as the input.

    Example:
        >>> import layerax as lx, numpy as np
        >>> out = lx.layers.RandomGrayscale(1.0)(np.random.rand(1, 2, 2, 3).astype("float32"))
        >>> bool(np.allclose(out[..., 0], out[..., 2]))
        True
    """

    _USE_BASE_FACTOR = False

    def __init__(self, factor: float = 0.5, data_format: str | None = None,
                 seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(data_format=data_format, **kwargs)
        if isinstance(factor, bool) or not isinstance(factor, (int, float)) or not (
                0 <= factor <= 1):
            raise ValueError(
                f"RandomGrayscale: `factor` should be between 0 and 1. Received: factor={factor}"
            )
        self.factor = factor
        self._set_seed(seed)

    def get_random_transformation(self, data: Any, training: bool = True,
                                  seed: Any = None) -> Any:
        images = self._images_of(data)
        if not training:
            return None
        draws = jax.random.uniform(self._next_key(seed), (self._batch_size(images),))
        return (draws < self.factor)[:, None, None, None]

    def transform_images(self, images: Any, transformation: Any, training: bool = True) -> Any:
        if not training:
            return images
        images = self._cast(images)
        if transformation is None:
            transformation = self.get_random_transformation(images)
        return ops.to_grayscale(images, jnp.asarray(transformation), self.data_format)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "factor": self.factor}


class RandomColorDegeneration(PixelLayer):
    """Randomly blends each image towards its grayscale version.

    The blend weight `w` is drawn from `factor` per image: `x + w * (gray - x)`, clipped to
    `value_range` (0 keeps the image, 1 makes it gray).

    Args:
        factor: A number in [-1, 1] (meaning `(-|f|, |f|)`) or a pair of them.
        value_range: The `(low, high)` range of the pixel values.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        seed: Integer seed of the layer's `SeedGenerator`.
        **kwargs: Base layer arguments.

    Input shape:
        RGB images (3 channels): a batch, one image, or a dict with `"images"`.

    Output shape:
        Same as the input.

    Example:
        >>> import layerax as lx, numpy as np
        >>> layer = lx.layers.RandomColorDegeneration((1.0, 1.0))
        >>> out = layer(np.random.rand(1, 2, 2, 3).astype("float32") * 255)
        >>> bool(np.allclose(out[..., 0], out[..., 1]))
        True
    """

    def __init__(self, factor: Any, value_range: Any = (0, 255), data_format: str | None = None,
                 seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        self._set_value_range(value_range)
        self.value_range = list(self.value_range)
        self._set_seed(seed)

    def get_random_transformation(self, data: Any, training: bool = True,
                                  seed: Any = None) -> Any:
        images = self._images_of(data)
        check_rank(images, type(self).__name__)
        if not training:
            return None
        shape = (self._batch_size(images), 1, 1, 1)
        return {"factor": self._uniform(self._next_key(seed), shape, self.factor[0],
                                        self.factor[1], "float32")}

    def transform_images(self, images: Any, transformation: Any, training: bool = True) -> Any:
        if not training:
            return images
        images = self._cast(images)
        return ops.degenerate_color(images, jnp.asarray(transformation["factor"]),
                                    self.value_range, self.data_format)

    def compute_output_shape(self, input_shape: Any) -> Any:
        if len(input_shape) not in (3, 4):
            raise ValueError(
                "RandomColorDegeneration: invalid images rank: expected rank 3 (single image) "
                f"or rank 4 (batch of images). Received: input_shape={input_shape}"
            )
        channels = input_shape[-1 if self.data_format == "channels_last" else -3]
        if channels is not None and channels != 3:
            raise ValueError(
                "RandomColorDegeneration: input images must have 3 channels, but received "
                f"images with {channels} channels."
            )
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range,
                "seed": self.seed}


class RandomInvert(PixelLayer):
    """Inverts images (`value_range[1] - x`) at random.

    For each image a probability `p` is drawn from `factor` and the image is inverted
    with probability `p` (so the default `factor=1.0`, i.e. `(0, 1)`, inverts half of them).

    Args:
        factor: A number in [0, 1] (meaning `(0, f)`) or a pair of them.
        value_range: The `(low, high)` range of the pixel values.
        seed: Integer seed of the layer's `SeedGenerator`.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        **kwargs: Base layer arguments.

    Input shape:
        A batch of images (rank 4), one image (rank 3), or a dict with `"images"`.

    Output shape:
        Same as the input.

    Example:
        >>> import layerax as lx, numpy as np
        >>> layer = lx.layers.RandomInvert(value_range=(0, 1))
        >>> sorted(set(layer(np.zeros((64, 1, 1, 1), np.float32)).ravel().tolist()))
        [0.0, 1.0]
    """

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (0, 1)

    def __init__(self, factor: Any = 1.0, value_range: Any = (0, 255), seed: int | None = None,
                 data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        self.value_range = value_range
        self._set_seed(seed)

    def get_random_transformation(self, data: Any, training: bool = True,
                                  seed: Any = None) -> Any:
        if not training:
            return None
        images = self._images_of(data)
        check_rank(images, type(self).__name__)
        n = self._batch_size(images)
        p_key, t_key = self._keys(seed, 2)
        probability = self._uniform(p_key, (n,), self.factor[0], self.factor[1], "float32")
        return {"apply_inversion": jax.random.uniform(t_key, (n,)) < probability}

    def transform_images(self, images: Any, transformation: Any, training: bool = True) -> Any:
        if not training:
            return images
        images = self._cast(images)
        return ops.invert(images, jnp.asarray(transformation["apply_inversion"]),
                          self.value_range)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range,
                "seed": self.seed}
