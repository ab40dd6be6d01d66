"""Saving (`lx.saving`): model archives, weights files, checkpoints and object registration.

* `model.save("m.layerax")` / `lx.saving.load_model(...)`: the whole model
  (config, weights, compile arguments, optimizer state) in one zip archive.
* `model.save_weights(path)` / `model.load_weights(path)`: the variables, in
  `.weights.npz`, `.safetensors` or Keras 3's `.weights.h5` layout.
* `lx.saving.CheckpointManager`: Orbax checkpoints of the full training state
  (sharded arrays, asynchronous saves).
* `register_serializable`, `custom_object_scope`, ...: user classes in configs.
* `KerasFileEditor`: inspect and edit the weights of a `.keras` / `.weights.h5` file.

See docs/saving.md.
"""

from __future__ import annotations

from layerax.core.serialization import custom_object_scope as custom_object_scope
from layerax.core.serialization import get_custom_objects as get_custom_objects
from layerax.core.serialization import get_registered_name as get_registered_name
from layerax.core.serialization import get_registered_object as get_registered_object
from layerax.core.serialization import register_serializable as register_serializable
from layerax.saving.archive import load_model as load_model
from layerax.saving.archive import save_model as save_model
from layerax.saving.checkpoint import CheckpointManager as CheckpointManager
from layerax.saving.file_editor import KerasFileEditor as KerasFileEditor
from layerax.core.serialization_lib import deserialize_keras_object as deserialize_keras_object
from layerax.core.serialization_lib import serialize_keras_object as serialize_keras_object
from layerax.saving.weights import load_weights as load_weights
from layerax.saving.weights import save_weights as save_weights

from layerax.saving.training_state import compile_config as _compile_config
from layerax.saving.training_state import compile_from_config as _compile_from_config
from layerax.models.saving_hooks import install_saving as _install_saving

# Models (below this package) reach these through their saving hooks.
_install_saving(
    save_model=save_model, load_model=load_model, save_weights=save_weights,
    load_weights=load_weights, compile_config=_compile_config,
    compile_from_config=_compile_from_config,
)

CustomObjectScope = custom_object_scope
# Keras' name for the same decorator.
register_keras_serializable = register_serializable

__all__ = [
    "CheckpointManager",
    "CustomObjectScope",
    "KerasFileEditor",
    "custom_object_scope",
    "deserialize_keras_object",
    "get_custom_objects",
    "get_registered_name",
    "get_registered_object",
    "load_model",
    "load_weights",
    "register_keras_serializable",
    "register_serializable",
    "save_model",
    "save_weights",
    "serialize_keras_object",
]
