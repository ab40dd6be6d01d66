"""`lx.legacy.saving`: the legacy `{"class_name", "config"}` serialization (see `lx.utils.legacy`)."""

from __future__ import annotations

from layerax.utils.legacy import deserialize_keras_object as deserialize_keras_object
from layerax.utils.legacy import serialize_keras_object as serialize_keras_object

__all__ = ["deserialize_keras_object", "serialize_keras_object"]
