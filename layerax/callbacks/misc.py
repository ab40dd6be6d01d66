"""Small callbacks: `TerminateOnNaN` and `LambdaCallback`."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from layerax.callbacks.callback import Callback


class TerminateOnNaN(Callback):
    """Stops training (sets `model.stop_training`) when the batch loss is NaN or infinite.

    It reads the loss after every batch, which waits for that batch to finish
    on the device.

    Args:
        raise_error: Raise a `RuntimeError` instead of stopping gracefully.

    Example:
        >>> import layerax as lx
        >>> class Model:
        ...     stop_training = False
        >>> cb = lx.callbacks.TerminateOnNaN(); cb.set_model(Model())
        >>> cb.on_batch_end(3, {"loss": float("nan")})
        Batch 3: Invalid loss, terminating training
        >>> cb.model.stop_training
        True
    """

    def __init__(self, raise_error: bool = False) -> None:
        super().__init__()
        self.raise_error = raise_error

    def on_batch_end(self, batch: int, logs: Any = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is None:
            return
        if np.isnan(loss) or np.isinf(loss):
            if self.raise_error:
                raise RuntimeError(
                    f"NaN or Inf loss encountered at batch {batch}. Loss value: {loss}. "
                    "Terminating training immediately."
                )
            sys.stdout.write(f"Batch {batch}: Invalid loss, terminating training\n")
            self.model.stop_training = True


class LambdaCallback(Callback):
    """A callback made of plain functions, e.g. `LambdaCallback(on_epoch_end=lambda epoch, logs: ...)`.

    Args:
        on_epoch_begin: `f(epoch, logs)`.
        on_epoch_end: `f(epoch, logs)`.
        on_train_begin: `f(logs)`.
        on_train_end: `f(logs)`.
        on_train_batch_begin: `f(batch, logs)`.
        on_train_batch_end: `f(batch, logs)`.
        **kwargs: Any other hook by name (e.g. `on_test_end=f`).

    Example:
        >>> import layerax as lx
        >>> seen = []
        >>> cb = lx.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append((epoch, logs["loss"])))
        >>> cb.on_epoch_end(0, {"loss": 1.5}); seen
        [(0, 1.5)]
    """

    def __init__(
        self,
        on_epoch_begin: Callable[..., Any] | None = None,
        on_epoch_end: Callable[..., Any] | None = None,
        on_train_begin: Callable[..., Any] | None = None,
        on_train_end: Callable[..., Any] | None = None,
        on_train_batch_begin: Callable[..., Any] | None = None,
        on_train_batch_end: Callable[..., Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__()
        unknown = [k for k in kwargs if not (k.startswith("on_") and hasattr(Callback, k))]
        if unknown:
            raise ValueError(
                f"LambdaCallback got unknown hooks {unknown}. Hooks are the Callback methods, e.g. "
                "on_test_begin, on_predict_batch_end."
            )
        self.__dict__.update(kwargs)
        hooks = {
            "on_epoch_begin": on_epoch_begin,
            "on_epoch_end": on_epoch_end,
            "on_train_begin": on_train_begin,
            "on_train_end": on_train_end,
            "on_train_batch_begin": on_train_batch_begin,
            "on_train_batch_end": on_train_batch_end,
        }
        for name, fn in hooks.items():
            if fn is not None:
                setattr(self, name, fn)


__all__ = ["LambdaCallback", "TerminateOnNaN"]
