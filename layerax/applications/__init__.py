"""Keras' model zoo (`keras.applications`) on layerax: same constructors, layer names and weights.

Every family module (`lx.applications.resnet`, `.mobilenet_v2`, ...) has its model
functions, `preprocess_input` and `decode_predictions`; `imagenet_utils` holds the
shared ImageNet helpers. `weights="imagenet"` downloads Keras' published files.
"""

from __future__ import annotations

from layerax.applications import imagenet_utils as imagenet_utils

__all__ = ["imagenet_utils"]
