"""Models (`lx.models`): subclassed, Functional and Sequential models."""

from __future__ import annotations

# Importing `symbolic` installs the functional API's hooks into the core Layer.
from layerax.models import symbolic as _symbolic  # noqa: F401
# Importing `operation` lets `lx.ops` take symbolic tensors (records OpLayer nodes).
from layerax.models import operation as _operation  # noqa: F401
from layerax.models.model import Model as Model
from layerax.models.model import model_from_json as model_from_json
from layerax.models.functional import Functional as Functional
from layerax.models.sequential import Sequential as Sequential
from layerax.models.cloning import clone_model as clone_model
from layerax.saving.archive import load_model as load_model
from layerax.saving.archive import save_model as save_model

__all__ = ["Functional", "Model", "Sequential", "clone_model", "load_model", "model_from_json",
           "save_model"]
