"""`History`: records the epoch logs of `fit`."""

from __future__ import annotations

from typing import Any

from layerax.callbacks.callback import Callback


class History(Callback):
    """Records each epoch's logs in `history` (`{"loss": [...], "val_loss": [...], ...}`).

    `fit` adds it automatically and returns it; it is also `model.history`.

    Example:
        >>> import layerax as lx
        >>> class Model: pass
        >>> h = lx.callbacks.History(); h.set_model(Model())
        >>> h.on_train_begin()
        >>> h.on_epoch_end(0, {"loss": 0.5}); h.on_epoch_end(1, {"loss": 0.25})
        >>> h.epoch, h.history
        ([0, 1], {'loss': [0.5, 0.25]})
    """

    def __init__(self) -> None:
        super().__init__()
        self.history: dict[str, list[Any]] = {}
        self.epoch: list[int] = []

    def on_train_begin(self, logs: Any = None) -> None:
        self.epoch = []

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
        if self.model is not None:
            try:
                self.model.history = self
            except AttributeError:
                pass


__all__ = ["History"]
