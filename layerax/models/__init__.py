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
from layerax.models import saving_hooks as _saving_hooks

__all__ = ["Functional", "Model", "Sequential", "clone_model", "load_model", "model_from_json",
           "save_model"]


_FROM_SAVING = ("load_model", "save_model")


def __getattr__(name: str) -> object:
    # `lx.models.load_model` / `save_model` are `lx.saving`'s (installed by it: saving sits
    # above models, so models do not import it).
    if name in _FROM_SAVING:
        return _saving_hooks.saving_function(name)
    raise AttributeError(f"module 'layerax.models' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_FROM_SAVING})
