"""`MonitorCallback`: the shared logic of callbacks that watch a logged quantity."""

from __future__ import annotations

import operator
import warnings
from typing import Any

from layerax.callbacks.callback import Callback


def _find_metric(metrics: Any, name: str, depth: int = 0) -> Any:
    for metric in metrics or ():
        if getattr(metric, "name", None) == name and hasattr(metric, "_direction"):
            return metric
        inner = getattr(metric, "metrics", None)
        if isinstance(inner, (list, tuple)) and depth < 4:
            found = _find_metric(inner, name, depth + 1)
            if found is not None:
                return found
    return None


def metric_direction(model: Any, monitor: str) -> str | None:
    """`"up"` or `"down"` for a monitored name (`loss`, `val_auc`, ...), else None.

    The loss goes down; a metric's direction comes from the model's metrics
    (their `_direction`), or else from the built-in metric of that name.

    Example:
        >>> from layerax.callbacks.monitor_callback import metric_direction
        >>> metric_direction(None, "val_loss"), metric_direction(None, "val_auc"), metric_direction(None, "mae")
        ('down', 'up', 'down')
    """
    name = monitor[4:] if monitor.startswith("val_") else monitor
    if name == "loss" or name.endswith("_loss"):
        return "down"
    found = _find_metric(getattr(model, "metrics", None), name) if model is not None else None
    if found is not None:
        return found._direction
    from layerax import metrics

    try:
        metric = metrics.get(name)
    except (ValueError, TypeError):
        return None
    return getattr(metric, "_direction", None)


class MonitorCallback(Callback):
    """Base of callbacks that compare a monitored log value with its best so far.

    Args:
        monitor: The log key to watch (e.g. `"val_loss"`).
        mode: `"min"`, `"max"` or `"auto"` (the loss is minimized; a metric's
            direction comes from the model's metrics or the built-in metric of
            that name).
        baseline: Initial best value (None: the first value seen).
        min_delta: The smallest change that counts as an improvement.

    Example:
        >>> import layerax as lx
        >>> class Watch(lx.callbacks.MonitorCallback):
        ...     def on_epoch_end(self, epoch, logs=None):
        ...         if self.monitor_op is None:
        ...             self._set_monitor_op()
        ...         if self._is_improvement(logs[self.monitor], self.best):
        ...             self.best = logs[self.monitor]
        >>> w = Watch(monitor="accuracy")
        >>> for epoch, acc in enumerate([0.5, 0.7, 0.6]):
        ...     w.on_epoch_end(epoch, {"accuracy": acc})
        >>> w.best
        0.7
    """

    def __init__(self, monitor: str = "val_loss", mode: str = "auto", baseline: float | None = None, min_delta: float = 0) -> None:
        super().__init__()
        if mode not in ("auto", "min", "max"):
            warnings.warn(
                f"{type(self).__name__} mode '{mode}' is unknown, fallback to auto mode.", stacklevel=2
            )
            mode = "auto"
        self.monitor = monitor
        self.mode = mode
        self.best = baseline
        self.min_delta = abs(min_delta)
        self.monitor_op: Any = None

    def _set_monitor_op(self) -> None:
        if self.mode == "min":
            self.monitor_op = operator.lt
        elif self.mode == "max":
            self.monitor_op = operator.gt
        else:
            direction = metric_direction(self.model, self.monitor)
            if direction is None:
                raise ValueError(
                    f"{type(self).__name__} callback received monitor={self.monitor!r}, but layerax "
                    "cannot tell whether that metric should be maximized or minimized. Pass "
                    "`mode='max'` to monitor the highest value, or `mode='min'` for the lowest."
                )
            self.monitor_op = operator.gt if direction == "up" else operator.lt
        if self.monitor_op is operator.lt:
            self.min_delta *= -1

    def _is_improvement(self, monitor_value: Any, reference_value: Any) -> bool:
        if reference_value is None:
            return True
        return bool(self.monitor_op(monitor_value - self.min_delta, reference_value))


__all__ = ["MonitorCallback", "metric_direction"]
