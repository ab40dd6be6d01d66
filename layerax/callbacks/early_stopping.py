"""`EarlyStopping`: stop training when a monitored quantity stops improving."""

from __future__ import annotations

import sys
import warnings
from typing import Any

from layerax.callbacks.monitor_callback import MonitorCallback


class EarlyStopping(MonitorCallback):
    """Stops training (sets `model.stop_training`) when `monitor` stops improving.

    Args:
        monitor: Log key to watch.
        min_delta: Changes smaller than this do not count as improvements.
        patience: Epochs without improvement before stopping.
        verbose: 1 prints a message when stopping / restoring.
        mode: `"auto"`, `"min"` or `"max"`.
        baseline: Training stops if the value does not beat it within `patience` epochs.
        restore_best_weights: At the end of training, restore the weights of
            the best epoch (`model.get_weights()` / `set_weights()`).
        start_from_epoch: Epochs to wait before monitoring starts.

    Example:
        >>> import layerax as lx
        >>> class Model:
        ...     stop_training = False
        >>> cb = lx.callbacks.EarlyStopping(monitor="loss", patience=1)
        >>> cb.set_model(Model()); cb.on_train_begin()
        >>> for epoch, loss in enumerate([0.5, 0.4, 0.45, 0.42]):
        ...     cb.on_epoch_end(epoch, {"loss": loss})
        ...     if cb.model.stop_training:
        ...         break
        >>> epoch, cb.best, cb.best_epoch
        (2, 0.4, 1)
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        min_delta: float = 0,
        patience: int = 0,
        verbose: int = 0,
        mode: str = "auto",
        baseline: float | None = None,
        restore_best_weights: bool = False,
        start_from_epoch: int = 0,
    ) -> None:
        super().__init__(monitor, mode, min_delta=min_delta)
        self.patience = patience
        self.verbose = verbose
        self.baseline = baseline
        self.wait = 0
        self.stopped_epoch = 0
        self.restore_best_weights = restore_best_weights
        self.best_weights: Any = None
        self.start_from_epoch = start_from_epoch
        self.best_epoch = 0

    def on_train_begin(self, logs: Any = None) -> None:
        # The callback may be reused across fit() calls.
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        if self.monitor_op is None:
            self._set_monitor_op()
        current = self.get_monitor_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            # The patience restarts only when the baseline is beaten too.
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs: Any = None) -> None:
        if self.stopped_epoch > 0 and self.verbose > 0:
            sys.stdout.write(f"Epoch {self.stopped_epoch + 1}: early stopping\n")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                sys.stdout.write(
                    f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.\n"
                )
            self.model.set_weights(self.best_weights)

    def get_monitor_value(self, logs: Any) -> Any:
        """The monitored quantity in `logs`, or None (with a warning naming the available keys).

        Example:
            >>> import layerax as lx
            >>> lx.callbacks.EarlyStopping(monitor="val_loss").get_monitor_value({"val_loss": 0.5})
            0.5
        """
        logs = logs or {}
        value = logs.get(self.monitor)
        if value is None:
            warnings.warn(
                f"Early stopping conditioned on metric `{self.monitor}` which is not available. "
                f"Available metrics are: {','.join(logs)}",
                stacklevel=2,
            )
        return value


__all__ = ["EarlyStopping"]
