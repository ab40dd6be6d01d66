"""`PixelLayer`: the shared behaviour of the colour layers (private).

A colour layer changes pixel values only: bounding boxes and segmentation
masks pass through unchanged, as in Keras. It is a thin subclass of
`BaseImagePreprocessingLayer` (the protocol lives there); it adds the
identity transforms and the small helpers the colour layers share.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from layerax.layers.preprocessing.image.base import BaseImagePreprocessingLayer


class PixelLayer(BaseImagePreprocessingLayer):
    """An image layer that changes pixel values only (boxes and masks pass through)."""

    def transform_bounding_boxes(self, bounding_boxes: dict[str, Any], transformation: Any,
                                 training: bool = True) -> dict[str, Any]:
        return bounding_boxes

    def transform_segmentation_masks(self, segmentation_masks: Any, transformation: Any,
                                     training: bool = True) -> Any:
        return segmentation_masks

    def _cast(self, images: Any) -> jax.Array:
        return jnp.asarray(images).astype(self.compute_dtype)

    def _keys(self, seed: Any, count: int) -> jax.Array:
        """`count` independent keys for the draws of one transformation."""
        return jax.random.split(self._next_key(seed), count)

    def _uniform(self, key: jax.Array, shape: tuple[int, ...], low: float, high: float,
                 dtype: Any = None) -> jax.Array:
        return jax.random.uniform(key, shape, dtype or self.compute_dtype, low, high)


def check_rank(images: Any, layer: str) -> None:
    """Raises the Keras error for images that are neither rank 3 nor rank 4."""
    if jnp.ndim(images) not in (3, 4):
        raise ValueError(
            f"{layer}: expected the input image to be rank 3 or 4. Received "
            f"inputs.shape={tuple(jnp.shape(images))}"
        )
