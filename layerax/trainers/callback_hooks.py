"""How the training loops reach `lx.callbacks`, which sits above them.

`fit`, `evaluate` and `predict` drive a `CallbackList`, but `layerax.callbacks`
uses models and saving (`ModelCheckpoint`, `BackupAndRestore`), which use the
trainer, so the trainer does not import it. Instead `layerax.callbacks` installs
its `Callback` base class and its `CallbackList` here when it is imported
(`import layerax` imports it). The loops then call only the list's hooks
(`on_epoch_begin`, ...) and `has_train_batch_hooks()`. The layering is
described in `docs/architecture.md`.
"""

from __future__ import annotations

from typing import Any

__all__ = ["callback_list", "callback_type", "install_callbacks"]

_INSTALLED: dict[str, type] = {}


def install_callbacks(callback: type, callback_list_type: type) -> None:
    """Makes `callback` the base class `fit(callbacks=...)` accepts and
    `callback_list_type` the list the loops drive (`layerax.callbacks` calls it).

    Example:
        >>> import layerax as lx
        >>> from layerax.trainers import callback_hooks
        >>> callback_hooks.install_callbacks(lx.callbacks.Callback, lx.callbacks.CallbackList)
        >>> callback_hooks.callback_type() is lx.callbacks.Callback
        True
    """
    if not (isinstance(callback, type) and isinstance(callback_list_type, type)):
        raise TypeError(
            "install_callbacks() takes two classes (the Callback base class and the "
            f"CallbackList class). Received: {callback!r}, {callback_list_type!r}"
        )
    if not issubclass(callback_list_type, callback):
        raise TypeError(
            f"The callback list class {callback_list_type.__name__} must subclass the "
            f"callback base class {callback.__name__}."
        )
    _INSTALLED["callback"] = callback
    _INSTALLED["callback_list"] = callback_list_type


def _installed(key: str) -> type:
    try:
        return _INSTALLED[key]
    except KeyError:
        raise RuntimeError(
            "No callbacks are installed for the training loops: `import layerax` (or "
            "`layerax.callbacks`) installs them."
        ) from None


def callback_type() -> type:
    """The base class of callbacks (`lx.callbacks.Callback`).

    Example:
        >>> import layerax as lx
        >>> from layerax.trainers.callback_hooks import callback_type
        >>> isinstance(lx.callbacks.History(), callback_type())
        True
    """
    return _installed("callback")


def callback_list(callbacks: Any, **kwargs: Any) -> Any:
    """A `CallbackList(callbacks, **kwargs)` of the installed callbacks package.

    Example:
        >>> import layerax as lx
        >>> from layerax.trainers.callback_hooks import callback_list
        >>> cbs = callback_list(None, add_history=True, model=None, epochs=1, steps=1, verbose=0)
        >>> type(cbs.history).__name__
        'History'
    """
    return _installed("callback_list")(callbacks, **kwargs)
