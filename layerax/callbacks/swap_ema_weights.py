"""`SwapEMAWeights`: evaluates and predicts with the optimizer's moving-average weights."""

from __future__ import annotations

from typing import Any

import numpy as np

from layerax.callbacks.callback import Callback


def _ema_optimizer(model: Any) -> Any:
    """The optimizer holding the moving averages (inside a LossScaleOptimizer too)."""
    optimizer = getattr(model, "optimizer", None)
    optimizer = getattr(optimizer, "inner_optimizer", optimizer)
    if optimizer is None or not getattr(optimizer, "use_ema", False):
        raise ValueError(
            "SwapEMAWeights must be used with an optimizer that has `use_ema=True`, e.g. "
            "`model.compile(optimizer=lx.optimizers.SGD(use_ema=True), ...)`. Received: "
            f"use_ema={getattr(optimizer, 'use_ema', None)} (optimizer {optimizer!r})"
        )
    return optimizer


class SwapEMAWeights(Callback):
    """Swaps the model's weights with the optimizer's EMA weights around evaluation.

    With an optimizer created with `use_ema=True`, the weights are exchanged
    with their exponential moving averages (Polyak averaging) at the start of
    `evaluate`/`predict` (also the validation inside `fit`) and exchanged
    back at the end, so that the model is evaluated with the averages and
    trains on with its own weights. The swap is in place; other callbacks
    that change the weights or the averages meanwhile give undefined
    results, as in Keras.

    Args:
        swap_on_epoch: Also swap at the end of each epoch (and back at the
            start of the next one), so that epoch-end callbacks such as
            `ModelCheckpoint` see the EMA weights. Defaults to False.

    Example:
        >>> import layerax as lx, numpy as np
        >>> model = lx.Sequential([lx.layers.Dense(1)])
        >>> model.compile(optimizer=lx.optimizers.SGD(0.1, use_ema=True), loss="mse")
        >>> x, y = np.ones((4, 2), "float32"), np.zeros((4, 1), "float32")
        >>> _ = model.fit(x, y, epochs=2, verbose=0, callbacks=[lx.callbacks.SwapEMAWeights()])
        >>> model.evaluate(x, y, verbose=0, callbacks=[lx.callbacks.SwapEMAWeights()]) >= 0
        True
    """

    def __init__(self, swap_on_epoch: bool = False) -> None:
        super().__init__()
        self.swap_on_epoch = bool(swap_on_epoch)
        self._ema_weights_in_model = False

    def _swap_variables(self) -> None:
        optimizer = _ema_optimizer(self.model)
        for var, average in zip(optimizer._trainable_variables,
                                optimizer._model_variables_moving_average):
            current = np.asarray(var.value)
            var.assign(average.value)
            average.assign(current)

    def _finalize_ema_values(self) -> None:
        # The model holds the averages now: put them back into the optimizer, since fit's end
        # (finalize_variable_values) copies the optimizer's averages into the model.
        optimizer = _ema_optimizer(self.model)
        for var, average in zip(optimizer._trainable_variables,
                                optimizer._model_variables_moving_average):
            average.assign(var.value)

    def _to_ema(self) -> None:
        if not self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = True

    def _to_model(self) -> None:
        if self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = False

    def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
        if self.swap_on_epoch:
            self._to_model()

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        if self.swap_on_epoch and not self._ema_weights_in_model:
            self._to_ema()
            if self.params is not None and epoch == self.params.get("epochs", 0) - 1:
                self._finalize_ema_values()

    def on_test_begin(self, logs: Any = None) -> None:
        self._to_ema()

    def on_test_end(self, logs: Any = None) -> None:
        self._to_model()

    def on_predict_begin(self, logs: Any = None) -> None:
        self._to_ema()

    def on_predict_end(self, logs: Any = None) -> None:
        self._to_model()


__all__ = ["SwapEMAWeights"]
