"""Tone and filter layers: RandomPosterization, Solarization, Equalization, AutoContrast,
RandomSharpness and RandomGaussianBlur.

`Equalization` and `AutoContrast` are deterministic; as in Keras they run when `training`
is true (the default of a direct call) and are the identity with `training=False`.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from layerax.layers.preprocessing.image import _color_ops as ops
from layerax.layers.preprocessing.image._pixel import PixelLayer, check_rank


def _number_pair(value: Any, name: str, layer: str, bounds: tuple[float, float]) -> tuple:
    """A number `f` as `(max(-|f|, low), |f|)`, a pair sorted; both within `bounds`."""
    low, high = bounds
    message = (f"{layer}: the `{name}` argument should be a number (or a list of two numbers) "
               f"in the range [{low}, {high}]. Received: {name}={value}")
    if isinstance(value, (tuple, list)):
        if len(value) != 2 or value[0] > high or value[1] < low:
            raise ValueError(message)
        return tuple(sorted(value))
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise ValueError(message)
    return (max(-abs(value), low), abs(value))


def _float_compute(layer: PixelLayer, images: Any) -> jax.Array:
    return jnp.asarray(images).astype(layer.compute_dtype)


class RandomPosterization(PixelLayer):
    """Reduces each image to a random number of bits per channel value.

    The number of kept bits is drawn per image from `[factor[0], factor[1])` (or is
    `factor[0]` when both are equal); values are mapped to 0-255, their low bits dropped,
    and mapped back to `value_range`.

    Args:
        factor: An integer in [1, 8] (meaning `(1, f)`) or a pair of them.
        value_range: The `(low, high)` range of the pixel values.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        seed: Integer seed of the layer's `SeedGenerator`.
        **kwargs: Base layer arguments.

    Input shape:
        A batch of images (rank 4), one image (rank 3), or a dict with `"images"`.

    Output shape:
        Same as the input.

    Example:
        >>> import layerax as lx, numpy as np
        >>> layer = lx.layers.RandomPosterization((1, 1))
        >>> x = np.arange(256, dtype=np.float32).reshape(1, 16, 16, 1)
        >>> sorted(set(layer(x).ravel().tolist()))
        [0.0, 128.0]
    """

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (1, 8)
    _MAX_FACTOR = 8

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
        n = self._batch_size(images)
        low, high = int(self.factor[0]), int(self.factor[1])
        if low != high:
            bits = jax.random.randint(self._next_key(seed), (n,), low, high, jnp.int32)
        else:
            bits = jnp.full((n,), low, jnp.int32)
        return {"shift_factor": (self._MAX_FACTOR - bits).astype(jnp.uint8)}

    def transform_images(self, images: Any, transformation: Any, training: bool = True) -> Any:
        if not training:
            return images
        images = _float_compute(self, images)
        return ops.posterize(images, jnp.asarray(transformation["shift_factor"]),
                             self.value_range)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range,
                "seed": self.seed}


class Solarization(PixelLayer):
    """Adds a random offset, then inverts the values above a random threshold.

    On the 0-255 scale, per image: `x + a` (clipped) with `a` uniform in
    `[addition_factor[0], 255 * addition_factor[1]]`, then values at or above a threshold
    `t` uniform in `[threshold_factor[0], 255 * threshold_factor[1]]` become `255 - x`.
    As in Keras, only the upper ends are scaled by 255.

    Args:
        addition_factor: A number in [0, 1] (meaning `(0, f)`) or a pair of them.
        threshold_factor: A number in [0, 1] (meaning `(0, f)`) or a pair of them.
        value_range: The `(low, high)` range of the pixel values.
        seed: Integer seed of the layer's `SeedGenerator`.
        **kwargs: Base layer arguments.

    Input shape:
        A batch of images (rank 4), one image (rank 3), or a dict with `"images"`.

    Output shape:
        Same as the input.

    Example:
        >>> import layerax as lx, numpy as np
        >>> layer = lx.layers.Solarization(value_range=(0, 1))
        >>> layer(np.array([[[[0.0], [0.5], [1.0]]]], np.float32)).ravel().tolist()
        [1.0, 0.5, 0.0]
    """

    _USE_BASE_FACTOR = False

    def __init__(self, addition_factor: Any = 0.0, threshold_factor: Any = 0.0,
                 value_range: Any = (0, 255), seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._set_seed(seed)
        self.addition_factor = self._solar_factor(addition_factor, "addition_factor")
        self.threshold_factor = self._solar_factor(threshold_factor, "threshold_factor")
        self._set_value_range(value_range)
        self.value_range = list(self.value_range)

    @staticmethod
    def _solar_factor(value: Any, name: str) -> tuple:
        message = (f"Solarization: the `addition_factor` and `threshold_factor` arguments should "
                   f"be a number (or a list of two numbers) in the range [0, 1]. "
                   f"Received: {name}={value}")
        values = list(value) if isinstance(value, (tuple, list)) else [value]
        if len(values) not in (1, 2) or (isinstance(value, (tuple, list)) and len(values) != 2):
            raise ValueError(message)
        for v in values:
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v <= 1:
                raise ValueError(message)
        return tuple(sorted(values)) if len(values) == 2 else (0, value)

    def get_random_transformation(self, data: Any, training: bool = True,
                                  seed: Any = None) -> Any:
        if not training:
            return None
        images = self._images_of(data)
        shape = (self._batch_size(images), 1, 1, 1)
        a_key, t_key = self._keys(seed, 2)
        return {
            "additions": self._uniform(a_key, shape, self.addition_factor[0],
                                       self.addition_factor[1] * 255),
            "thresholds": self._uniform(t_key, shape, self.threshold_factor[0],
                                        self.threshold_factor[1] * 255),
        }

    def transform_images(self, images: Any, transformation: Any, training: bool = True) -> Any:
        images = _float_compute(self, images)
        if not training or transformation is None:
            return images
        return ops.solarize(images, jnp.asarray(transformation["additions"]),
                            jnp.asarray(transformation["thresholds"]), self.value_range)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "value_range": self.value_range,
                "addition_factor": self.addition_factor,
                "threshold_factor": self.threshold_factor, "seed": self.seed}


class Equalization(PixelLayer):
    """Histogram equalization of each channel.

    The values are mapped to 0-255 and binned into `bins` bins; each value is replaced by
    its bin's normalized cumulative count, and mapped back to `value_range`. A channel
    with a single occupied bin is unchanged. As in Keras (JAX backend), a channel's
    histogram counts the values of the whole batch.

    Args:
        value_range: The `(low, high)` range of the pixel values.
        bins: The number of histogram bins.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        **kwargs: Base layer arguments.

    Input shape:
        A batch of images (rank 4), one image (rank 3), or a dict with `"images"`.

    Output shape:
        Same as the input (in the compute dtype).

    Example:
        >>> import layerax as lx, numpy as np
        >>> x = np.array([[[[10.0], [20.0]], [[20.0], [30.0]]]], np.float32)
        >>> lx.layers.Equalization()(x).ravel().tolist()
        [0.0, 170.0, 170.0, 255.0]
    """

    _USE_BASE_FACTOR = False

    def __init__(self, value_range: Any = (0, 255), bins: int = 256,
                 data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(data_format=data_format, **kwargs)
        if isinstance(bins, bool) or not isinstance(bins, int) or bins < 1:
            raise ValueError(f"Equalization: `bins` should be a positive integer. "
                             f"Received: bins={bins}")
        self.bins = bins
        self._set_value_range(value_range)
        self.value_range = list(self.value_range)

    def transform_images(self, images: Any, transformation: Any, training: bool = True) -> Any:
        if not training:
            return images
        images = _float_compute(self, images)
        return ops.equalize(images, self.value_range, self.bins,
                            self.data_format).astype(self.compute_dtype)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "bins": self.bins, "value_range": self.value_range}


class AutoContrast(PixelLayer):
    """Stretches each channel of each image to span the whole value range.

    Per image and channel, the minimum maps to `value_range[0]` and the maximum to
    `value_range[1]`; a constant channel is unchanged. The output is in the compute dtype.

    Args:
        value_range: The `(low, high)` range of the pixel values.
        **kwargs: Base layer arguments (`data_format`, `name`, ...).

    Input shape:
        A batch of images (rank 4), one image (rank 3), or a dict with `"images"`.

    Output shape:
        Same as the input.

    Example:
        >>> import layerax as lx, numpy as np
        >>> x = np.array([[[[64.0], [128.0]]]], np.float32)
        >>> lx.layers.AutoContrast()(x).ravel().tolist()
        [0.0, 255.0]
    """

    _USE_BASE_FACTOR = False

    def __init__(self, value_range: Any = (0, 255), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._set_value_range(value_range)
        self.value_range = list(self.value_range)

    def transform_images(self, images: Any, transformation: Any = None,
                         training: bool = True) -> Any:
        if not training:
            return images
        images = _float_compute(self, images)
        return ops.auto_contrast(images, self.value_range, self.data_format)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "value_range": self.value_range}


class RandomSharpness(PixelLayer):
    """Randomly sharpens or smooths each image.

    The image is blended with a 3x3 smoothed copy: `x + (1 - 2u) * (smooth - x)` with `u`
    drawn from `factor` per image (0 smooths fully, 0.5 keeps, 1 sharpens), clipped to
    `value_range`.

    Args:
        factor: A number in [0, 1] (meaning `(0, f)`) or a pair of them.
        value_range: The `(low, high)` range of the pixel values.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        seed: Integer seed of the layer's `SeedGenerator`.
        **kwargs: Base layer arguments.

    Input shape:
        A batch of images (rank 4), one image (rank 3), or a dict with `"images"`.

    Output shape:
        Same as the input.

    Example:
        >>> import layerax as lx, numpy as np
        >>> layer = lx.layers.RandomSharpness((0.5, 0.5))
        >>> x = np.random.rand(1, 4, 4, 3).astype("float32") * 255
        >>> bool(np.allclose(layer(x), x, atol=1e-3))
        True
    """

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (0, 1)

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
        return {"factor": self._uniform(self._next_key(seed), (self._batch_size(images),),
                                        self.factor[0], self.factor[1], "float32")}

    def transform_images(self, images: Any, transformation: Any, training: bool = True) -> Any:
        images = _float_compute(self, images)
        if not training:
            return images
        factor = jnp.asarray(transformation["factor"]) * 2
        return ops.sharpen(images, factor, self.value_range, self.data_format)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range,
                "seed": self.seed}


class RandomGaussianBlur(PixelLayer):
    """Blurs images with a Gaussian kernel at random.

    Per image a probability `p` is drawn from `factor` and the image is blurred with
    probability `p`; the two sigmas (width, height) are drawn once per call from `sigma`.

    Args:
        factor: A number in [0, 1] (meaning `(0, f)`) or a pair of them.
        kernel_size: An odd integer or a pair of odd integers.
        sigma: A number (meaning `(0, sigma)`) or a pair: the range of the blur's sigma.
        value_range: The `(low, high)` range of the pixel values.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        seed: Integer seed of the layer's `SeedGenerator`.
        **kwargs: Base layer arguments.

    Input shape:
        A batch of images (rank 4), one image (rank 3), or a dict with `"images"`.

    Output shape:
        Same as the input.

    Example:
        >>> import layerax as lx, numpy as np
        >>> layer = lx.layers.RandomGaussianBlur(factor=(1.0, 1.0), kernel_size=3, seed=0)
        >>> layer(np.ones((2, 5, 5, 3), np.float32)).shape
        (2, 5, 5, 3)
    """

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (0, 1)

    def __init__(self, factor: Any = 1.0, kernel_size: Any = 3, sigma: Any = 1.0,
                 value_range: Any = (0, 255), data_format: str | None = None,
                 seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        self.kernel_size = self._kernel_size(kernel_size)
        self.sigma = _number_pair(sigma, "sigma", "RandomGaussianBlur", self._FACTOR_BOUNDS)
        self.value_range = value_range
        self._set_seed(seed)

    @staticmethod
    def _kernel_size(value: Any) -> tuple[int, int]:
        odd = (f"RandomGaussianBlur: kernel_size must be an odd number. "
               f"Received: kernel_size={value}")
        if isinstance(value, (tuple, list)):
            if len(value) != 2:
                raise ValueError(
                    "RandomGaussianBlur: the `kernel_size` argument should be a number (or a "
                    f"list of two numbers). Received: kernel_size={value}")
            if value[0] % 2 == 0 or value[1] % 2 == 0:
                raise ValueError(odd)
            return (value[0], value[1])
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value % 2 == 0:
            raise ValueError(odd)
        return (value, value)

    def get_random_transformation(self, data: Any, training: bool = True,
                                  seed: Any = None) -> Any:
        if not training:
            return None
        images = self._images_of(data)
        check_rank(images, type(self).__name__)
        n = self._batch_size(images)
        p_key, t_key, s_key = self._keys(seed, 3)
        probability = self._uniform(p_key, (n,), self.factor[0], self.factor[1], "float32")
        apply = jax.random.uniform(t_key, (n,)) < probability
        sigma = self._uniform(s_key, (2,), self.sigma[0], self.sigma[1]) + 1e-6
        return {"should_apply_blur": apply, "blur_factor": sigma}

    def transform_images(self, images: Any, transformation: Any = None,
                         training: bool = True) -> Any:
        images = _float_compute(self, images)
        if not training or transformation is None:
            return images
        return ops.gaussian_blur(images, jnp.asarray(transformation["should_apply_blur"]),
                                 tuple(int(k) for k in self.kernel_size),
                                 jnp.asarray(transformation["blur_factor"]), self.value_range,
                                 self.data_format)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "factor": self.factor, "kernel_size": self.kernel_size,
                "sigma": self.sigma, "value_range": self.value_range, "seed": self.seed}
