"""`lx.saving.serialize_keras_object` / `deserialize_keras_object` (Keras 3's module name).

They live in `layerax.core.serialization_lib`, next to the registry they read, so
that every family (layers included) can (de)serialize objects without importing
`lx.saving`.
"""

from __future__ import annotations

from layerax.core.serialization_lib import deserialize_keras_object as deserialize_keras_object
from layerax.core.serialization_lib import serialize_keras_object as serialize_keras_object

__all__ = ["deserialize_keras_object", "serialize_keras_object"]
