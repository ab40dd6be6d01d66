"""Model export (`lx.export`): serving programs that run without layerax.

`model.export(path, format="jax")` writes StableHLO programs (`jax.export`)
with the weights, loadable with jax alone; `format="tf_saved_model"` writes a
TensorFlow SavedModel (TensorFlow needed). `ExportArchive` builds archives with
several endpoints, as in Keras.
"""

from __future__ import annotations

from layerax.export.export_archive import ExportArchive as ExportArchive
from layerax.export.jax_format import load_jax_export as load_jax_export

__all__ = ["ExportArchive", "load_jax_export"]
