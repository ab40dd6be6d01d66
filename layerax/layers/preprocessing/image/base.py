"""`BaseImagePreprocessingLayer`: the protocol every image preprocessing layer follows.

A layer of this family splits its work in two steps, as Keras 3 does:

1. `get_random_transformation(data, training=True, seed=None)` draws the
   random parameters of one call (a dict of arrays, one entry per image of the
   batch), or returns `None` when there is nothing to draw (`training=False`,
   or a deterministic layer);
2. `transform_images`, `transform_labels`, `transform_bounding_boxes` and
   `transform_segmentation_masks` apply one transformation to each part of the
   input. They take `(values, transformation, training=True)` and are the
   identity when `training` is falsy (`transform_images` still casts to the
   compute dtype). The defaults: `transform_images` casts and calls
   `_transform_images(images, transformation, self.interpolation)`;
   `transform_segmentation_masks` calls it with `"nearest"`; labels pass
   unchanged; bounding boxes raise NotImplementedError.

`call(data, training=True)` ties them together. `data` is a batch of images
(rank 4), a single image (rank 3), or a dict with the key `"images"` and
optionally `"labels"`, `"bounding_boxes"` (a dict `{"boxes": (batch, N, 4),
"labels": (batch, N)}` in `bounding_box_format`; ragged Python lists are
padded with label -1) and `"segmentation_masks"`. Single images are given a
batch axis of 1 before `get_random_transformation` (which therefore always
sees batched data from `call`) and lose it after the transforms. The same
transformation is applied to every part of a dict, so images, masks and boxes
stay aligned.

The random draws come from the layer's `SeedGenerator` (`self.generator`,
made by `_set_seed(seed)`): its state is a non-trainable variable, so a
compiled `fit` step draws new parameters at every step and a fixed `seed`
makes the sequence reproducible. `self._next_key(seed)` returns the key to
draw with: from the generator when `seed` is None, else from `seed` (an int,
a `SeedGenerator` or a JAX key).

Helpers for subclasses: `_set_factor` (the `factor` argument: a number `f`
means `(-f, f)` clipped to `_FACTOR_BOUNDS`, a pair means that range),
`_set_value_range`, `_transform_value_range`, `_batch_size`,
`_spatial_axes`/`_image_size` (which honour `data_format`), and
`_compute_affine_matrix` (Keras' 8-parameter projective transform).
"""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp

from layerax import config as _config
from layerax.core.layer import Layer
from layerax.core.random import SeedGenerator, draw_key
from layerax.layers.preprocessing.image import boxes as _boxes

_DATA_KEYS = ("images", "labels", "bounding_boxes", "segmentation_masks")


class BaseImagePreprocessingLayer(Layer):
    """Base class of the image preprocessing and augmentation layers.

    Subclasses override `get_random_transformation` (random layers) and the
    `transform_*` methods of the inputs they support; see the module's
    docstring for the protocol. Class attributes: `_USE_BASE_FACTOR` (whether
    `factor` is an argument; default True) and `_FACTOR_BOUNDS` (the allowed
    range of `factor`; default `(-1, 1)`).

    Args:
        factor: The strength of the augmentation (see `_set_factor`); only for
            layers with `_USE_BASE_FACTOR`.
        bounding_box_format: Format of the `"bounding_boxes"` input, e.g.
            `"xyxy"`; needed only when boxes are passed.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        **kwargs: Base layer arguments (`name`, `dtype`, ...).

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> from layerax.layers.preprocessing.image.base import BaseImagePreprocessingLayer
        >>> class Negate(BaseImagePreprocessingLayer):
        ...     _USE_BASE_FACTOR = False
        ...     def transform_images(self, images, transformation, training=True):
        ...         images = jnp.asarray(images, self.compute_dtype)
        ...         return -images if training else images
        >>> Negate()(jnp.ones((2, 2, 1))).ravel().tolist()
        [-1.0, -1.0, -1.0, -1.0]
        >>> Negate()(jnp.ones((1, 1, 1)), training=False).ravel().tolist()
        [1.0]
    """

    _USE_BASE_FACTOR = True
    _FACTOR_BOUNDS: tuple[float, float] = (-1, 1)

    def __init__(self, factor: Any = None, bounding_box_format: str | None = None,
                 data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        _boxes.check_format(bounding_box_format, type(self).__name__)
        self.bounding_box_format = bounding_box_format
        self.data_format = _config.standardize_data_format(data_format)
        if self._USE_BASE_FACTOR:
            self._set_factor(factor or 0.0)
        elif factor is not None:
            raise ValueError(
                f"Layer {type(self).__name__} does not take a `factor` argument. "
                f"Received: factor={factor}"
            )
        self.built = True

    # ------------------------------------------------------------ arguments
    def _set_factor(self, factor: Any) -> None:
        """Sets `self.factor = (lower, upper)` from a number or a pair within `_FACTOR_BOUNDS`."""
        low, high = self._FACTOR_BOUNDS
        message = (
            f"{type(self).__name__}: the `factor` argument should be a number (or a list of two "
            f"numbers) in the range [{low}, {high}]. Received: factor={factor}"
        )
        if isinstance(factor, (tuple, list)):
            if len(factor) != 2 or not all(_is_number(f) for f in factor):
                raise ValueError(message)
            if factor[0] > high or factor[1] < low:
                raise ValueError(message)
            lower, upper = sorted(factor)
        elif _is_number(factor):
            if factor < low or factor > high:
                raise ValueError(message)
            factor = abs(factor)
            lower, upper = max(-factor, low), factor
        else:
            raise ValueError(message)
        self.factor = (lower, upper)

    def _set_value_range(self, value_range: Any) -> None:
        """Sets `self.value_range = (low, high)`: the range of the input's pixel values."""
        if not isinstance(value_range, (tuple, list)) or len(value_range) != 2 or not all(
            _is_number(v) for v in value_range
        ):
            raise ValueError(
                f"{type(self).__name__}: the `value_range` argument should be a list of two "
                f"numbers. Received: value_range={value_range}"
            )
        self.value_range = tuple(sorted(value_range))

    def _set_seed(self, seed: int | None) -> None:
        """Keeps `seed` (for `get_config`) and makes the layer's `SeedGenerator`."""
        self.seed = seed
        self.generator = SeedGenerator(seed)

    def _next_key(self, seed: Any = None) -> jax.Array:
        """The key of one draw: from `self.generator`, or from `seed` when given."""
        if seed is None:
            return self.generator.next()
        return draw_key(seed)

    # ------------------------------------------------------------- geometry
    def _batch_size(self, images: Any) -> int:
        """The batch size of `images` (1 for a single rank-3 image)."""
        return 1 if jnp.ndim(images) == 3 else int(jnp.shape(images)[0])

    def _spatial_axes(self, rank: int = 4) -> tuple[int, int]:
        """The (height, width) axes of images of rank `rank` in `self.data_format`."""
        if self.data_format == "channels_last":
            return rank - 3, rank - 2
        return rank - 2, rank - 1

    def _image_size(self, images: Any) -> tuple[int, int]:
        """The (height, width) of `images`."""
        h, w = self._spatial_axes(jnp.ndim(images))
        shape = jnp.shape(images)
        return int(shape[h]), int(shape[w])

    def _images_of(self, data: Any) -> Any:
        return data["images"] if isinstance(data, dict) else data

    # ----------------------------------------------------------- protocol
    def get_random_transformation(self, data: Any, training: bool = True,
                                  seed: Any = None) -> Any:
        """The random parameters of one call on `data` (None: nothing to draw)."""
        return None

    def transform_images(self, images: Any, transformation: Any, training: bool = True) -> Any:
        """Applies `transformation` to a batch of images (rank 4).

        The default casts to the compute dtype and, when `training` and
        `transformation` is not None, calls `self._transform_images(images,
        transformation, self.interpolation)`; layers override either.
        """
        images = jnp.asarray(images, self.compute_dtype)
        if training and transformation is not None:
            images = self._transform_images(images, transformation,
                                            getattr(self, "interpolation", "bilinear"))
        return images

    def _transform_images(self, images: Any, transformation: Any, interpolation: str) -> Any:
        """The transform of `transform_images` and `transform_segmentation_masks` (nearest)."""
        raise NotImplementedError(
            f"Layer {type(self).__name__} does not implement `transform_images`."
        )

    def transform_labels(self, labels: Any, transformation: Any, training: bool = True) -> Any:
        """Applies `transformation` to a batch of labels (default: unchanged)."""
        return labels

    def transform_bounding_boxes(self, bounding_boxes: dict[str, Any], transformation: Any,
                                 training: bool = True) -> dict[str, Any]:
        """Applies `transformation` to batched boxes `{"boxes": (B, N, 4), "labels": (B, N)}`."""
        raise NotImplementedError(
            f"Layer {type(self).__name__} does not support the 'bounding_boxes' input."
        )

    def transform_segmentation_masks(self, segmentation_masks: Any, transformation: Any,
                                     training: bool = True) -> Any:
        """Applies `transformation` to a batch of segmentation masks (rank 4).

        The default runs `self._transform_images` with `"nearest"` interpolation.
        """
        if training and transformation is not None:
            return self._transform_images(jnp.asarray(segmentation_masks), transformation,
                                          "nearest")
        return segmentation_masks

    def _is_batched(self, images: Any) -> bool:
        rank = jnp.ndim(images)
        if rank == 3:
            return False
        if rank == 4:
            return True
        raise ValueError(
            f"{type(self).__name__}: expected an image tensor of rank 3 (single image) or 4 "
            f"(batch of images). Received: images.shape={tuple(jnp.shape(images))}"
        )

    def call(self, data: Any, training: bool = True) -> Any:
        if isinstance(data, dict):
            return self._call_dict(data, training)
        images = jnp.asarray(data)
        batched = self._is_batched(images)
        if not batched:
            images = images[None]
        transformation = self.get_random_transformation(images, training=training)
        out = self.transform_images(images, transformation, training=training)
        return out if batched else out[0]

    def _call_dict(self, data: dict[str, Any], training: bool) -> dict[str, Any]:
        if "images" not in data:
            raise ValueError(
                f"{type(self).__name__}: a dict input needs the key 'images' (and optionally "
                f"{list(_DATA_KEYS[1:])}). Received keys: {list(data)}"
            )
        images = jnp.asarray(data["images"])
        batched = self._is_batched(images)

        def add(x: Any) -> Any:
            return x if batched else jnp.asarray(x)[None]

        def drop(x: Any) -> Any:
            return x if batched else x[0]

        batch: dict[str, Any] = dict(data)
        batch["images"] = add(images)
        if "labels" in data:
            batch["labels"] = add(jnp.asarray(data["labels"]))
        if "segmentation_masks" in data:
            batch["segmentation_masks"] = add(jnp.asarray(data["segmentation_masks"]))
        if "bounding_boxes" in data:
            if not self.bounding_box_format:
                raise ValueError(
                    "You passed an input with a 'bounding_boxes' key, but you didn't specify a "
                    f"bounding box format. Pass a `bounding_box_format` argument to your "
                    f"{type(self).__name__} layer, e.g. `bounding_box_format='xyxy'`."
                )
            dense = _boxes.densify(data["bounding_boxes"], type(self).__name__)
            batch["bounding_boxes"] = {k: add(v) for k, v in dense.items()}
        transformation = self.get_random_transformation(batch, training=training)
        out = dict(data)
        out["images"] = drop(self.transform_images(batch["images"], transformation,
                                                   training=training))
        if "labels" in data:
            out["labels"] = drop(self.transform_labels(batch["labels"], transformation,
                                                       training=training))
        if "bounding_boxes" in data:
            result = self.transform_bounding_boxes(batch["bounding_boxes"], transformation,
                                                   training=training)
            out["bounding_boxes"] = {k: drop(v) for k, v in result.items()}
        if "segmentation_masks" in data:
            out["segmentation_masks"] = drop(self.transform_segmentation_masks(
                batch["segmentation_masks"], transformation, training=training))
        return out

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        config = {**super().get_config(), "data_format": self.data_format}
        if self.bounding_box_format is not None:
            config["bounding_box_format"] = self.bounding_box_format
        return config

    # --------------------------------------------------------- value range
    def _transform_value_range(self, images: Any, original_range: Any, target_range: Any,
                               dtype: Any = "float32") -> Any:
        """Maps pixel values linearly from `original_range` to `target_range`."""
        if tuple(original_range) == tuple(target_range):
            return images
        images = jnp.asarray(images, dtype)
        lo, hi = (jnp.asarray(v, dtype) for v in original_range)
        new_lo, new_hi = (jnp.asarray(v, dtype) for v in target_range)
        return (images - lo) / (hi - lo) * (new_hi - new_lo) + new_lo

    def _compute_affine_matrix(self, center_x: Any, center_y: Any, angle: Any, translate_x: Any,
                               translate_y: Any, scale: Any, shear_x: Any, shear_y: Any,
                               height: Any, width: Any) -> jax.Array:
        """Per-image transforms `(B, 8)` mapping output pixels to input pixels.

        Scale, then shear, then rotation (`angle`, `shear_x`, `shear_y` in
        degrees) about the center `(center_x, center_y)` (fractions of the
        image), then the translation (pixels). The rows are
        `[a0, a1, a2, b0, b1, b2, 0, 0]`, `ops.image.affine_transform`'s form.
        """
        radians = math.pi / 180.0
        angle = jnp.asarray(angle) * radians
        dtype = angle.dtype
        cx = center_x * (jnp.asarray(width, dtype) - 1)
        cy = center_y * (jnp.asarray(height, dtype) - 1)
        cos, sin = jnp.cos(angle), jnp.sin(angle)
        shx = jnp.tan(jnp.asarray(shear_x) * radians)
        shy = jnp.tan(jnp.asarray(shear_y) * radians)
        a0 = scale * (cos + shx * sin)
        a1 = scale * (-sin + shx * cos)
        b0 = scale * (shy * cos + sin)
        b1 = scale * (-shy * sin + cos)
        a2 = translate_x + cx - cx * a0 - cy * a1
        b2 = translate_y + cy - cx * b0 - cy * b1
        zeros = jnp.zeros_like(a0)
        return jnp.stack([a0, a1, a2, b0, b1, b2, zeros, zeros], axis=1)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
