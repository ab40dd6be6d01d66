"""A fake model/optimizer and a hand-written fit loop that drives callbacks like Keras' fit."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import layerax as lx


class FakeOptimizer:
    def __init__(self, learning_rate: float = 0.1, name: str = "fake_optimizer") -> None:
        self.learning_rate = learning_rate
        self.iterations = 0
        self.name = name


class FakeModel:
    """Weights are a list of arrays; `save`/`save_weights` record their calls."""

    def __init__(self, learning_rate: float = 0.1) -> None:
        self.stop_training = False
        self.optimizer = FakeOptimizer(learning_rate)
        self._weights = [np.zeros((2, 2), "float32"), np.zeros((2,), "float32")]
        self.saved: list[tuple[str, str]] = []

    def get_weights(self) -> list[np.ndarray]:
        return [w.copy() for w in self._weights]

    def set_weights(self, weights: Sequence[Any]) -> None:
        self._weights = [np.array(w) for w in weights]

    def save(self, filepath: str, overwrite: bool = True) -> None:
        self.saved.append(("save", filepath))

    def save_weights(self, filepath: str, overwrite: bool = True) -> None:
        self.saved.append(("save_weights", filepath))


def run_fit(
    model: Any,
    callbacks: Sequence[Any],
    epoch_logs: Sequence[dict[str, Any]],
    steps: int = 3,
    batch_logs: Callable[[int, int], Any] | None = None,
    val_steps: int = 0,
    verbose: int = 0,
    add_progbar: bool = False,
) -> tuple[lx.callbacks.CallbackList, list[int]]:
    """Runs the hooks of `fit` for `len(epoch_logs)` epochs; returns the list and epochs run.

    After each training batch the model's weights become `epoch * 10 + batch`,
    so restored weights tell which epoch they came from.
    """
    cbs = lx.callbacks.CallbackList(
        list(callbacks), add_history=True, add_progbar=add_progbar, model=model,
        verbose=verbose, epochs=len(epoch_logs), steps=steps,
    )
    epochs_run = []
    model.stop_training = False
    cbs.on_train_begin()
    for epoch, logs in enumerate(epoch_logs):
        cbs.on_epoch_begin(epoch)
        for batch in range(steps):
            cbs.on_train_batch_begin(batch)
            model.set_weights([np.full_like(w, epoch * 10 + batch) for w in model.get_weights()])
            if hasattr(model, "optimizer") and hasattr(model.optimizer, "iterations"):
                model.optimizer.iterations += 1
            step_logs = batch_logs(epoch, batch) if batch_logs else {"loss": logs.get("loss", 0.0)}
            cbs.on_train_batch_end(batch, step_logs)
            if model.stop_training:
                break
        if val_steps:
            cbs.on_test_begin()
            for batch in range(val_steps):
                cbs.on_test_batch_begin(batch)
                cbs.on_test_batch_end(batch, {"loss": logs.get("val_loss", 0.0)})
            cbs.on_test_end({"loss": logs.get("val_loss", 0.0)})
        cbs.on_epoch_end(epoch, dict(logs))
        epochs_run.append(epoch)
        if model.stop_training:
            break
    cbs.on_train_end()
    return cbs, epochs_run
