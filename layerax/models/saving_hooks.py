"""How models reach `lx.saving`, which sits above them.

`layerax.saving` rebuilds models from their configs, so it imports `layerax.models`;
the models therefore do not import it. `Model.save`, `save_weights`,
`load_weights`, `get_compile_config` and `compile_from_config`, and
`lx.models.load_model` / `lx.models.save_model`, call the functions that
`layerax.saving` installs here when it is imported (`import layerax` imports it).
The layering is described in `docs/architecture.md`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["install_saving", "saving_function"]

NAMES = ("save_model", "load_model", "save_weights", "load_weights", "compile_config",
         "compile_from_config")
_INSTALLED: dict[str, Callable[..., Any]] = {}


def install_saving(**functions: Callable[..., Any]) -> None:
    """Installs the saving functions models call, by name (`layerax.saving` calls it with
    all six: `save_model`, `load_model`, `save_weights`, `load_weights`, `compile_config`
    and `compile_from_config`).

    Example:
        >>> import layerax as lx
        >>> from layerax.models import saving_hooks
        >>> saving_hooks.install_saving(load_model=lx.saving.load_model)
        >>> saving_hooks.saving_function("load_model") is lx.saving.load_model
        True
    """
    unknown = sorted(set(functions) - set(NAMES))
    if unknown:
        raise ValueError(f"Unknown saving functions: {unknown}. Expected names among {list(NAMES)}.")
    for name, function in functions.items():
        if not callable(function):
            raise TypeError(f"The saving function {name!r} must be callable. Received: {function!r}")
    _INSTALLED.update(functions)


def saving_function(name: str) -> Callable[..., Any]:
    """The installed saving function `name` (one of `NAMES`).

    Example:
        >>> import layerax as lx
        >>> from layerax.models.saving_hooks import saving_function
        >>> saving_function("save_model") is lx.saving.save_model
        True
    """
    try:
        return _INSTALLED[name]
    except KeyError:
        if name not in NAMES:
            raise ValueError(f"Unknown saving function {name!r}. Expected one of {list(NAMES)}.") from None
        raise RuntimeError(
            f"`{name}` is not installed: `import layerax` (or `layerax.saving`) installs the "
            "saving functions models use."
        ) from None
