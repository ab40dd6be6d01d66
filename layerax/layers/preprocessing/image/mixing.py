"""Erasing and mixing layers: RandomErasing, CutMix and MixUp.

CutMix and MixUp mix each image with another image of the same batch (a random
permutation) and mix the `"labels"` of a dict input by the same weights.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from layerax.layers.preprocessing.image import _color_ops as ops
from layerax.layers.preprocessing.image._pixel import PixelLayer, check_rank
from layerax.layers.preprocessing.image.tone import _number_pair


def _crop_bounds(key: jax.Array, length: int, ratio: jax.Array) -> tuple[jax.Array, jax.Array]:
    """A random span of `ratio * length` pixels inside `[0, length]` (per image)."""
    size = ratio * length
    start = jax.random.uniform(key, ratio.shape, ratio.dtype) * (length - size)
    return start, start + size


class RandomErasing(PixelLayer):
    """Erases a random rectangle of each image, at random.

    Per image, the rectangle's width and height are `sqrt(u) * size` with `u` drawn from
    `scale`; it is filled with `fill_value` (None: Gaussian noise times `value_range[1]`,
    clipped). An image is erased with a probability drawn from `factor`.

    Args:
        factor: A number in [0, 1] (meaning `(0, f)`) or a pair of them.
        scale: A number in [0, 1] (meaning `(0, s)`) or a pair: the range of the erased
            fraction of each side, squared.
        fill_value: None, a number or three numbers (one per channel).
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
        >>> layer = lx.layers.RandomErasing(factor=(1.0, 1.0), fill_value=0.0, seed=0)
        >>> out = layer(np.full((2, 8, 8, 3), 9.0, np.float32))
        >>> bool((out == 0).any() and (out == 9).any())
        True
    """

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (0, 1)

    def __init__(self, factor: Any = 1.0, scale: Any = (0.02, 0.33), fill_value: Any = None,
                 value_range: Any = (0, 255), seed: int | None = None,
                 data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        self.scale = _number_pair(scale, "scale", "RandomErasing", self._FACTOR_BOUNDS)
        bad_fill = (isinstance(fill_value, (tuple, list)) and len(fill_value) != 3) or not (
            fill_value is None or isinstance(fill_value, (tuple, list, int, float)))
        if bad_fill or isinstance(fill_value, bool):
            raise ValueError("RandomErasing: the `fill_value` argument should be a number (or "
                             f"a list of three numbers). Received: fill_value={fill_value}")
        self.fill_value = fill_value
        self.value_range = value_range
        self._set_seed(seed)

    def _fill(self, key: jax.Array, shape: tuple[int, ...]) -> jax.Array:
        if self.fill_value is None:
            fill = jax.random.normal(key, shape, self.compute_dtype) * self.value_range[1]
        elif isinstance(self.fill_value, (tuple, list)):
            per_channel = jnp.asarray(self.fill_value, self.compute_dtype)
            if self.data_format == "channels_first":
                per_channel = per_channel[:, None, None]
            fill = jnp.broadcast_to(per_channel, shape)
        else:
            fill = jnp.full(shape, self.fill_value, self.compute_dtype)
        return jnp.clip(fill, self.value_range[0], self.value_range[1])

    def get_random_transformation(self, data: Any, training: bool = True,
                                  seed: Any = None) -> Any:
        if not training:
            return None
        images = self._images_of(data)
        check_rank(images, type(self).__name__)
        shape = tuple(jnp.shape(images))
        n = self._batch_size(images)
        height, width = self._image_size(images)
        k_scale, k_x, k_y, k_p, k_t, k_fill = self._keys(seed, 6)
        sides = jnp.sqrt(self._uniform(k_scale, (n, 2), self.scale[0], self.scale[1],
                                       "float32"))
        x0, x1 = _crop_bounds(k_x, width, sides[:, 0])
        y0, y1 = _crop_bounds(k_y, height, sides[:, 1])
        probability = self._uniform(k_p, (n,), self.factor[0], self.factor[1], "float32")
        return {
            "apply_erasing": jax.random.uniform(k_t, (n,)) < probability,
            "batch_masks": ops.box_mask(shape, (x0, x1, y0, y1), self.data_format),
            "fill_value": self._fill(k_fill, shape),
        }

    def transform_images(self, images: Any, transformation: Any = None,
                         training: bool = True) -> Any:
        images = self._cast(images)
        if not training:
            return images
        return ops.erase(images, jnp.asarray(transformation["batch_masks"]),
                         jnp.asarray(transformation["apply_erasing"]),
                         jnp.asarray(transformation["fill_value"]))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "factor": self.factor, "scale": self.scale,
                "fill_value": self.fill_value, "value_range": self.value_range,
                "seed": self.seed}


class CutMix(PixelLayer):
    """Pastes a random box of another image of the batch into each image (CutMix).

    A mixing weight `λ ~ Beta(α, α)` is drawn per image (`α` drawn from `factor` per call);
    a box covering about `1 - λ` of the image, at a random place, is copied from the image
    at a random permutation of the batch. A dict input's `"labels"` (e.g. one-hot) are mixed
    by the box's actual area: `w * y + (1 - w) * y[perm]`. Segmentation masks are cut like
    the images; bounding boxes are not supported (as in Keras).

    Args:
        factor: A number in [0, 1] (meaning `(0, f)`) or a pair: the range of `α`.
        seed: Integer seed of the layer's `SeedGenerator`.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        **kwargs: Base layer arguments.

    Input shape:
        A batch of images (rank 4), or a dict with `"images"` and `"labels"`.

    Output shape:
        Same as the input.

    Example:
        >>> import layerax as lx, numpy as np
        >>> images = np.stack([np.zeros((8, 8, 1)), np.ones((8, 8, 1))]).astype("float32")
        >>> labels = np.eye(2, dtype="float32")
        >>> out = lx.layers.CutMix(seed=3)({"images": images, "labels": labels})
        >>> bool(np.allclose(out["labels"].sum(axis=1), 1.0))
        True
    """

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (0, 1)

    def __init__(self, factor: Any = 1.0, seed: int | None = None,
                 data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        self._set_seed(seed)

    def get_random_transformation(self, data: Any, training: bool = True,
                                  seed: Any = None) -> Any:
        if not training:
            return None
        images = self._images_of(data)
        if jnp.ndim(images) == 3:
            return None
        shape = tuple(jnp.shape(images))
        n = shape[0]
        height, width = self._image_size(images)
        k_alpha, k_beta, k_x, k_y, k_perm = self._keys(seed, 5)
        alpha = self._uniform(k_alpha, (), self.factor[0], self.factor[1], "float32") + 1e-6
        weight = jax.random.beta(k_beta, alpha, alpha, (n,), jnp.float32)
        ratio = jnp.sqrt(1.0 - weight)
        x0, x1 = _crop_bounds(k_x, width, ratio)
        y0, y1 = _crop_bounds(k_y, height, ratio)
        area = (x1 - x0) * (y1 - y0) / (width * height)
        return {
            "permutation_order": jax.random.permutation(k_perm, n).astype(jnp.int32),
            "batch_masks": ops.box_mask(shape, (x0, x1, y0, y1), self.data_format),
            "mix_weight": (1.0 - area)[:, None, None, None],
        }

    def transform_images(self, images: Any, transformation: Any = None,
                         training: bool = True) -> Any:
        images = self._cast(images)
        if not training or transformation is None:
            return images
        return ops.cut_mix(images, jnp.asarray(transformation["batch_masks"]),
                           jnp.asarray(transformation["permutation_order"]))

    def transform_labels(self, labels: Any, transformation: Any, training: bool = True) -> Any:
        if not training or transformation is None:
            return labels
        return ops.mix_labels(labels, jnp.ravel(transformation["mix_weight"]),
                              jnp.asarray(transformation["permutation_order"]))

    def transform_segmentation_masks(self, segmentation_masks: Any, transformation: Any,
                                     training: bool = True) -> Any:
        return self.transform_images(segmentation_masks, transformation, training)

    def transform_bounding_boxes(self, bounding_boxes: dict[str, Any], transformation: Any,
                                 training: bool = True) -> dict[str, Any]:
        raise NotImplementedError("CutMix does not support the 'bounding_boxes' input "
                                  "(neither does Keras).")

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "factor": self.factor, "seed": self.seed}


class MixUp(PixelLayer):
    """Blends each image with another image of the batch (MixUp).

    Per image, `λ ~ Beta(alpha, alpha)` and the output is `λ x + (1 - λ) x[perm]` for a random
    permutation `perm` of the batch; a dict input's `"labels"` and `"segmentation_masks"`
    are blended by the same weights, and `"bounding_boxes"` get the partner's boxes appended
    (along the boxes axis).

    Args:
        alpha: The Beta distribution's concentration (small values mix little).
        data_format: `"channels_last"` (default) or `"channels_first"`.
        seed: Integer seed of the layer's `SeedGenerator`.
        **kwargs: Base layer arguments.

    Input shape:
        A batch of images (rank 4), one image (rank 3), or a dict with `"images"`.

    Output shape:
        Same as the input (boxes: twice as many per image).

    Example:
        >>> import layerax as lx, numpy as np
        >>> images = np.stack([np.zeros((2, 2, 1)), np.ones((2, 2, 1))]).astype("float32")
        >>> out = lx.layers.MixUp(seed=0)({"images": images, "labels": np.eye(2, dtype="float32")})
        >>> bool(np.allclose(out["images"][:, 0, 0, 0], out["labels"][:, 1]))
        True
    """

    _USE_BASE_FACTOR = False

    def __init__(self, alpha: float = 0.2, data_format: str | None = None,
                 seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(data_format=data_format, **kwargs)
        if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or alpha <= 0:
            raise ValueError(f"MixUp: `alpha` should be a positive number. Received: "
                             f"alpha={alpha}")
        self.alpha = alpha
        self._set_seed(seed)

    def get_random_transformation(self, data: Any, training: bool = True,
                                  seed: Any = None) -> Any:
        if not training:
            return None
        n = self._batch_size(self._images_of(data))
        k_perm, k_beta = self._keys(seed, 2)
        return {
            "mix_weight": jax.random.beta(k_beta, self.alpha, self.alpha, (n,), jnp.float32),
            "permutation_order": jax.random.permutation(k_perm, n).astype(jnp.int32),
        }

    def transform_images(self, images: Any, transformation: Any = None,
                         training: bool = True) -> Any:
        if not training:
            return images
        images = self._cast(images)
        return ops.mix_up(images, jnp.asarray(transformation["mix_weight"]),
                          jnp.asarray(transformation["permutation_order"]))

    def transform_labels(self, labels: Any, transformation: Any, training: bool = True) -> Any:
        if not training:
            return labels
        return ops.mix_labels(labels, jnp.asarray(transformation["mix_weight"]),
                              jnp.asarray(transformation["permutation_order"]))

    def transform_segmentation_masks(self, segmentation_masks: Any, transformation: Any,
                                     training: bool = True) -> Any:
        if not training:
            return segmentation_masks
        masks = jnp.asarray(segmentation_masks)
        return ops.mix_up(masks.astype(jnp.result_type(masks, jnp.float32)),
                          jnp.asarray(transformation["mix_weight"]),
                          jnp.asarray(transformation["permutation_order"]))

    def transform_bounding_boxes(self, bounding_boxes: dict[str, Any], transformation: Any,
                                 training: bool = True) -> dict[str, Any]:
        if not training:
            return bounding_boxes
        perm = jnp.asarray(transformation["permutation_order"])
        out = dict(bounding_boxes)
        for key in ("boxes", "labels"):
            values = jnp.asarray(bounding_boxes[key])
            out[key] = jnp.concatenate([values, jnp.take(values, perm, axis=0)], axis=1)
        return out

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "alpha": self.alpha, "seed": self.seed}
