"""`CallbackList`: dispatches the training loop's hooks to a list of callbacks.

Batch-level logs stay lazy: the loop may pass a dict of JAX arrays or a
zero-argument callable returning one. They are converted to Python floats
(a device sync) only for callbacks that override the batch hook and do not
declare `_lx_lazy_logs = True`; with only the default callbacks (History,
ProgbarLogger) a training step never waits for the device because of logging.
Epoch-, train-, test- and predict-level logs are converted once per hook
and the same dict is passed to every callback (as in Keras, a callback may
add entries, e.g. `learning_rate`, that later callbacks see).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from layerax.callbacks.callback import Callback, ResumePosition, is_default
from layerax.callbacks.history import History
from layerax.callbacks.progbar_logger import ProgbarLogger


def pythonify_logs(logs: Any) -> dict[str, Any]:
    """Flattens nested dicts and converts values to Python floats where possible.

    `logs` may be a dict or a callable returning one. Keys come out sorted,
    as in Keras 3.

    Example:
        >>> import jax.numpy as jnp
        >>> from layerax.callbacks.callback_list import pythonify_logs
        >>> pythonify_logs({"loss": jnp.array(0.5), "val": {"val_loss": 1}})
        {'loss': 0.5, 'val_loss': 1.0}
    """
    if callable(logs) and not isinstance(logs, Mapping):
        logs = logs()
    result: dict[str, Any] = {}
    for key, value in sorted((logs or {}).items()):
        if isinstance(value, Mapping):
            result.update(pythonify_logs(value))
            continue
        if isinstance(value, (bool, int, float, np.generic)):
            value = float(value)
        elif not isinstance(value, str):
            try:
                array = np.asarray(value)  # fetches a device value
            except Exception:  # noqa: BLE001 - keep values numpy cannot hold
                array = None
            if array is not None and array.dtype != object:
                value = float(array) if array.ndim == 0 and array.dtype.kind in "biuf" else array
        result[key] = value
    return result


def _flatten(callbacks: Any) -> list[Any]:
    if callbacks is None:
        return []
    if isinstance(callbacks, Callback):
        return [callbacks]
    out: list[Any] = []
    for item in callbacks:
        out.extend(_flatten(item) if isinstance(item, (list, tuple)) else [item])
    return out


class CallbackList(Callback):
    """Holds callbacks and calls each hook on all of them, in order.

    Args:
        callbacks: A callback or a (nested) list of callbacks.
        add_history: Append a `History` callback when none is given.
        add_progbar: Append a `ProgbarLogger` when none is given.
        model: The model, passed to every callback's `set_model`.
        **params: The loop's settings (`verbose`, `epochs`, `steps`), passed
            to every callback's `set_params`.

    Example:
        >>> import layerax as lx
        >>> class Model:
        ...     stop_training = False
        >>> model = Model()
        >>> cbs = lx.callbacks.CallbackList(add_history=True, model=model, epochs=2, steps=1, verbose=0)
        >>> cbs.on_train_begin()
        >>> for epoch in range(2):
        ...     cbs.on_epoch_begin(epoch)
        ...     cbs.on_epoch_end(epoch, {"loss": 1.0 / (epoch + 1)})
        >>> cbs.on_train_end()
        >>> model.history.history
        {'loss': [1.0, 0.5]}
    """

    def __init__(
        self,
        callbacks: Iterable[Any] | Callback | None = None,
        add_history: bool = False,
        add_progbar: bool = False,
        model: Any = None,
        **params: Any,
    ) -> None:
        super().__init__()
        self.callbacks = _flatten(callbacks)
        for cb in self.callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(
                    "Callbacks must be instances of lx.callbacks.Callback. Received: "
                    f"{cb!r} of type {type(cb).__name__}. Subclass lx.callbacks.Callback or use "
                    "lx.callbacks.LambdaCallback(on_epoch_end=...)."
                )
        self._add_default_callbacks(add_history, add_progbar)
        self.set_model(model)
        self.set_params(params)

    def _add_default_callbacks(self, add_history: bool, add_progbar: bool) -> None:
        self._history = next((cb for cb in self.callbacks if isinstance(cb, History)), None)
        self._progbar = next((cb for cb in self.callbacks if isinstance(cb, ProgbarLogger)), None)
        if self._history is None and add_history:
            self._history = History()
            self.callbacks.append(self._history)
        if self._progbar is None and add_progbar:
            self._progbar = ProgbarLogger()
            self.callbacks.append(self._progbar)

    @property
    def history(self) -> History | None:
        """The `History` callback in the list, if any."""
        return self._history

    def append(self, callback: Callback) -> None:
        """Adds a callback at the end (it gets the list's model and params)."""
        self.callbacks.append(callback)
        if self._model is not None:
            callback.set_model(self._model)
        if self.params:
            callback.set_params(self.params)

    def set_params(self, params: dict[str, Any]) -> None:
        self.params = params
        if params:
            for cb in self.callbacks:
                cb.set_params(params)

    def set_model(self, model: Any) -> None:
        if model is None:
            return
        super().set_model(model)
        if self._history is not None:
            try:
                model.history = self._history
            except AttributeError:
                pass
        for cb in self.callbacks:
            cb.set_model(model)

    # ---------------------------------------------------------- dispatch
    def _call_all(self, hook: str, *args: Any, logs: Any) -> None:
        logs = pythonify_logs(logs)
        for cb in self.callbacks:
            getattr(cb, hook)(*args, logs)

    def _call_batch(self, hook: str, legacy: str | None, batch: int, logs: Any) -> None:
        converted: dict[str, Any] | None = None
        for cb in self.callbacks:
            method: Callable[..., Any] = getattr(cb, hook)
            if is_default(method) and (legacy is None or is_default(getattr(cb, legacy))):
                continue  # nothing to run: no conversion either
            if getattr(cb, "_lx_lazy_logs", False):
                method(batch, logs)
                continue
            if converted is None:
                converted = pythonify_logs(logs)
            method(batch, converted)

    def on_train_begin(self, logs: Any = None) -> None:
        self._call_all("on_train_begin", logs=logs)

    def resume_position(self) -> ResumePosition | None:
        """The position one of the callbacks asks `fit` to resume from (None if none does).

        Raises:
            TypeError: when a callback returns something other than a `ResumePosition`.
            ValueError: when two callbacks return a position.
        """
        found: tuple[Any, ResumePosition] | None = None
        for cb in self.callbacks:
            method = getattr(cb, "resume_position", None)
            if method is None or is_default(method):
                continue
            position = method()
            if position is None:
                continue
            if not isinstance(position, ResumePosition):
                raise TypeError(
                    f"{type(cb).__name__}.resume_position() must return an "
                    "lx.callbacks.ResumePosition or None. Received: "
                    f"{position!r} of type {type(position).__name__}."
                )
            if found is not None:
                raise ValueError(
                    f"Two callbacks ask fit to resume: {type(found[0]).__name__} "
                    f"({found[1]}) and {type(cb).__name__} ({position}). fit can resume from "
                    "one position only: pass a single BackupAndRestore (or a single callback "
                    "returning a position from resume_position())."
                )
            found = (cb, position)
        return None if found is None else found[1]

    def on_train_end(self, logs: Any = None) -> None:
        self._call_all("on_train_end", logs=logs)

    def on_test_begin(self, logs: Any = None) -> None:
        self._call_all("on_test_begin", logs=logs)

    def on_test_end(self, logs: Any = None) -> None:
        self._call_all("on_test_end", logs=logs)

    def on_predict_begin(self, logs: Any = None) -> None:
        self._call_all("on_predict_begin", logs=logs)

    def on_predict_end(self, logs: Any = None) -> None:
        self._call_all("on_predict_end", logs=logs)

    def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
        self._call_all("on_epoch_begin", epoch, logs=logs)

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        self._call_all("on_epoch_end", epoch, logs=logs)

    def on_batch_begin(self, batch: int, logs: Any = None) -> None:
        self._call_batch("on_batch_begin", None, batch, logs)

    def on_batch_end(self, batch: int, logs: Any = None) -> None:
        self._call_batch("on_batch_end", None, batch, logs)

    def on_train_batch_begin(self, batch: int, logs: Any = None) -> None:
        self._call_batch("on_train_batch_begin", "on_batch_begin", batch, logs)

    def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
        self._call_batch("on_train_batch_end", "on_batch_end", batch, logs)

    def on_test_batch_begin(self, batch: int, logs: Any = None) -> None:
        self._call_batch("on_test_batch_begin", None, batch, logs)

    def on_test_batch_end(self, batch: int, logs: Any = None) -> None:
        self._call_batch("on_test_batch_end", None, batch, logs)

    def on_predict_batch_begin(self, batch: int, logs: Any = None) -> None:
        self._call_batch("on_predict_batch_begin", None, batch, logs)

    def on_predict_batch_end(self, batch: int, logs: Any = None) -> None:
        self._call_batch("on_predict_batch_end", None, batch, logs)

    def has_train_batch_hooks(self) -> bool:
        """Whether any callback does something per training batch (else `fit` skips the
        batch hooks, and never waits for a step's logs).

        Example:
            >>> import layerax as lx
            >>> lx.callbacks.CallbackList(add_history=True, add_progbar=False).has_train_batch_hooks()
            False
            >>> lx.callbacks.CallbackList([lx.callbacks.TerminateOnNaN()]).has_train_batch_hooks()
            True
        """
        kind = type(self)
        if kind.on_train_batch_begin is not CallbackList.on_train_batch_begin or (
            kind.on_train_batch_end is not CallbackList.on_train_batch_end
        ):
            return True
        hooks = ("on_train_batch_begin", "on_train_batch_end", "on_batch_begin", "on_batch_end")
        return any(not is_default(getattr(cb, hook, None)) for cb in self.callbacks for hook in hooks)

    def __iter__(self) -> Any:
        return iter(self.callbacks)

    def __len__(self) -> int:
        return len(self.callbacks)


__all__ = ["CallbackList", "pythonify_logs"]
