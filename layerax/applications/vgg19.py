"""VGG19, as in `keras.applications.vgg19`."""

from __future__ import annotations

from typing import Any

from layerax.applications.vgg16 import build_vgg, decode_predictions, preprocess_input
from layerax.models.functional import Functional


def VGG19(  # noqa: N802 - Keras' name
    include_top: bool = True, weights: Any = "imagenet", input_tensor: Any = None,
    input_shape: tuple[int | None, ...] | None = None, pooling: str | None = None,
    classes: int = 1000, classifier_activation: Any = "softmax", name: str = "vgg19",
) -> Functional:
    """Instantiates VGG19 (caffe preprocessing: `vgg19.preprocess_input`).

    Args:
        include_top: Whether to end with the 3 fully connected layers.
        weights: None (random), "imagenet" (Keras' published weights) or a file path.
        input_tensor: Optional symbolic tensor to use as the image input.
        input_shape: Optional `(height, width, channels)`; at least 32x32.
        pooling: With `include_top=False`: None, "avg" or "max".
        classes: Number of classes, with `include_top=True`.
        classifier_activation: The classifier's activation.
        name: The model's name.

    Returns:
        A `Functional` model with Keras' layer names and weight order.

    Example:
        >>> import layerax as lx
        >>> m = lx.applications.VGG19(weights=None, include_top=False, pooling="avg",
        ...                           input_shape=(32, 32, 3))
        >>> m.output.shape
        (None, 512)
    """
    return build_vgg((2, 2, 4, 4, 4), "vgg19", include_top, weights, input_tensor, input_shape,
                     pooling, classes, classifier_activation, name)


__all__ = ["VGG19", "decode_predictions", "preprocess_input"]
