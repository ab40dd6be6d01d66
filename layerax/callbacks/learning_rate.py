"""Learning-rate callbacks: `LearningRateScheduler` and `ReduceLROnPlateau`."""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from layerax.callbacks.callback import Callback
from layerax.callbacks.monitor_callback import MonitorCallback


def _optimizers(model: Any) -> list[tuple[str, Any]]:
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        raise ValueError(
            "This callback changes the learning rate of `model.optimizer`, but the model has no "
            "optimizer. Compile the model with an optimizer first."
        )
    inner = getattr(optimizer, "optimizers", None)
    if inner:
        return [(getattr(opt, "name", str(i)), opt) for i, opt in enumerate(inner)]
    return [("", optimizer)]


def _read_lr(optimizer: Any) -> float:
    if not hasattr(optimizer, "learning_rate"):
        raise ValueError('Optimizer must have a "learning_rate" attribute.')
    return float(np.asarray(optimizer.learning_rate))


class LearningRateScheduler(Callback):
    """Sets the optimizer's learning rate at the start of each epoch from `schedule`.

    Args:
        schedule: `schedule(epoch, lr) -> new_lr` (0-based epoch, current rate
            as a float); a one-argument `schedule(epoch)` also works.
        verbose: 1 prints the new rate.

    The rate is also logged as `learning_rate` at the end of each epoch.

    Example:
        >>> import layerax as lx
        >>> class Opt: learning_rate = 0.1
        >>> class Model: optimizer = Opt()
        >>> cb = lx.callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.5 if epoch else lr)
        >>> cb.set_model(Model())
        >>> for epoch in range(3):
        ...     cb.on_epoch_begin(epoch)
        >>> cb.model.optimizer.learning_rate
        0.025
    """

    def __init__(self, schedule: Callable[..., Any], verbose: int = 0) -> None:
        super().__init__()
        self.schedule = schedule
        self.verbose = verbose

    def _update(self, optimizer: Any, epoch: int) -> float:
        current = _read_lr(optimizer)
        try:
            lr = self.schedule(epoch, current)
        except TypeError:  # the older one-argument form
            lr = self.schedule(epoch)
        if not isinstance(lr, (float, np.float32, np.float64)):
            raise ValueError(f"The output of the `schedule` function should be a float. Got: {lr!r}")
        optimizer.learning_rate = lr
        return float(lr)

    def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
        for name, optimizer in _optimizers(self.model):
            lr = self._update(optimizer, epoch)
            if self.verbose > 0:
                which = f"{name} learning rate" if name else "learning rate"
                sys.stdout.write(f"\nEpoch {epoch + 1}: LearningRateScheduler setting {which} to {lr}.\n")

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        if logs is None:
            return
        for name, optimizer in _optimizers(self.model):
            logs[f"learning_rate_{name}" if name else "learning_rate"] = _read_lr(optimizer)


class ReduceLROnPlateau(MonitorCallback):
    """Multiplies the learning rate by `factor` when `monitor` stops improving.

    Args:
        monitor: Log key to watch.
        factor: Multiplier of the rate (< 1).
        patience: Epochs without improvement before reducing.
        verbose: 1 prints a message when reducing.
        mode: `"auto"`, `"min"` or `"max"`.
        min_delta: Smallest change that counts as an improvement.
        cooldown: Epochs to wait after a reduction before counting again.
        min_lr: Lower bound of the rate.

    Example:
        >>> import layerax as lx
        >>> class Opt: learning_rate = 1.0
        >>> class Model: optimizer = Opt()
        >>> cb = lx.callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1)
        >>> cb.set_model(Model()); cb.on_train_begin()
        >>> for epoch, loss in enumerate([1.0, 1.0, 1.0]):
        ...     cb.on_epoch_end(epoch, {"loss": loss})
        >>> cb.model.optimizer.learning_rate
        0.25
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        factor: float = 0.1,
        patience: int = 10,
        verbose: int = 0,
        mode: str = "auto",
        min_delta: float = 1e-4,
        cooldown: int = 0,
        min_lr: float = 0.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(monitor, mode, min_delta=min_delta)
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau does not support a factor >= 1.0. Received factor={factor}")
        self.factor = factor
        self.min_lr = min_lr
        self.patience = patience
        self.verbose = verbose
        self.cooldown = cooldown
        self.cooldown_counter = 0
        self.wait = 0

    def _reset(self) -> None:
        self.best = None
        self.cooldown_counter = 0
        self.wait = 0

    def on_train_begin(self, logs: Any = None) -> None:
        self._reset()

    def in_cooldown(self) -> bool:
        """Whether the callback waits out its cooldown after a reduction (no new reduction yet).

        Example:
            >>> import layerax as lx
            >>> lx.callbacks.ReduceLROnPlateau(cooldown=2).in_cooldown()
            False
        """
        return self.cooldown_counter > 0

    def _reduce(self, optimizer: Any, epoch: int, name: str) -> bool:
        old = _read_lr(optimizer)
        if old > np.float32(self.min_lr):
            new = max(old * self.factor, self.min_lr)
            optimizer.learning_rate = new
            if self.verbose > 0:
                which = f" {name}" if name else ""
                sys.stdout.write(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing{which} learning rate to {new}.\n")
            return True
        return False

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        if self.monitor_op is None:
            self._set_monitor_op()
        logs = logs if logs is not None else {}
        optimizers = _optimizers(self.model)
        for name, optimizer in optimizers:
            logs[f"learning_rate_{name}" if name else "learning_rate"] = _read_lr(optimizer)
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(
                f"Learning rate reduction is conditioned on metric `{self.monitor}` which is not "
                f"available. Available metrics are: {','.join(logs)}.",
                stacklevel=2,
            )
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience:
                reduced = False
                for name, optimizer in optimizers:
                    reduced = self._reduce(optimizer, epoch, name) or reduced
                if reduced:
                    self.cooldown_counter = self.cooldown
                    self.wait = 0


__all__ = ["LearningRateScheduler", "ReduceLROnPlateau"]
