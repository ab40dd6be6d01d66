"""`ProgbarLogger`: the progress bar of `fit`, `evaluate` and `predict`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from layerax.callbacks.callback import Callback
from layerax.utils.progbar import Progbar


class ProgbarLogger(Callback):
    """Prints a progress bar with ETA and metric values (an HTML bar in notebooks).

    Batch logs are accepted lazily (a dict of JAX arrays, or a callable
    returning one): values are fetched from the device only when the bar is
    redrawn, at most every 0.05 s in a terminal and once per epoch when the
    output is not a terminal. Settings come from `set_params`: `verbose`
    (0, 1, 2 or "auto"), `epochs` and `steps` (per epoch, or None).

    Args:
        file: Stream to write to (`sys.stdout` by default; layerax extension).

    Example:
        >>> import io, layerax as lx
        >>> out = io.StringIO()
        >>> cb = lx.callbacks.ProgbarLogger(file=out)
        >>> cb.set_params({"verbose": 2, "epochs": 1, "steps": 2})
        >>> cb.on_train_begin(); cb.on_epoch_begin(0)
        >>> cb.on_train_batch_end(0, {"loss": 0.5}); cb.on_train_batch_end(1, {"loss": 0.25})
        >>> cb.on_epoch_end(0, {"loss": 0.375})
        >>> out.getvalue().startswith("2/2 - ") and out.getvalue().endswith("loss: 0.3750\\n")
        True
    """

    # The CallbackList passes batch logs unconverted: conversion happens on redraw.
    _lx_lazy_logs = True

    def __init__(self, file: Any = None) -> None:
        super().__init__()
        self.seen = 0
        self.progbar: Progbar | None = None
        self.target: int | None = None
        self.verbose: int = 1
        self.epochs = 1
        self._called_in_fit = False
        self._file = file

    def set_params(self, params: dict[str, Any]) -> None:
        super().set_params(params)
        verbose = params.get("verbose", 1)
        self.verbose = 1 if verbose == "auto" else int(verbose)
        self.epochs = params.get("epochs", 1) or 1
        self.target = params.get("steps")

    def on_train_begin(self, logs: Any = None) -> None:
        # Inside fit, validation runs silently.
        self._called_in_fit = True

    def on_test_begin(self, logs: Any = None) -> None:
        if not self._called_in_fit:
            self._reset_progbar()
            self._maybe_init_progbar()

    def on_predict_begin(self, logs: Any = None) -> None:
        self._reset_progbar()
        self._maybe_init_progbar()

    def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
        self._reset_progbar()
        self._maybe_init_progbar()
        if self.verbose and self.epochs > 1:
            self.progbar.message(f"Epoch {epoch + 1}/{self.epochs}")  # type: ignore[union-attr]

    def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
        self._update_progbar(batch, logs)

    def on_test_batch_end(self, batch: int, logs: Any = None) -> None:
        if not self._called_in_fit:
            self._update_progbar(batch, logs)

    def on_predict_batch_end(self, batch: int, logs: Any = None) -> None:
        # Prediction outputs are not shown.
        self._update_progbar(batch, None)

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        self._finalize_progbar(logs)

    def on_test_end(self, logs: Any = None) -> None:
        if not self._called_in_fit:
            self._finalize_progbar(logs)

    def on_predict_end(self, logs: Any = None) -> None:
        self._finalize_progbar(logs)

    def on_train_end(self, logs: Any = None) -> None:
        self._called_in_fit = False

    def _reset_progbar(self) -> None:
        self.seen = 0
        self.progbar = None

    def _maybe_init_progbar(self) -> None:
        if self.progbar is None:
            self.progbar = Progbar(
                target=self.target, verbose=self.verbose, unit_name="step", stateless_metrics=set(),
                file=self._file,
            )

    def _update_progbar(self, batch: int, logs: Any) -> None:
        self._maybe_init_progbar()
        self.seen = batch + 1
        if self.verbose == 1:
            self.progbar.update(self.seen, _sorted_lazily(logs), finalize=False)  # type: ignore[union-attr]

    def _finalize_progbar(self, logs: Any) -> None:
        self._maybe_init_progbar()
        if self.target is None:
            self.target = self.seen
            self.progbar.target = self.target  # type: ignore[union-attr]
        self.progbar.update(self.target, _sorted_lazily(logs), finalize=True)  # type: ignore[union-attr]


def _sorted_lazily(logs: Any) -> Any:
    """The logs as `(name, value)` pairs in sorted order, without fetching any value."""
    if logs is None:
        return None
    if callable(logs) and not isinstance(logs, Mapping):
        return lambda: _flatten_sorted(logs())
    return _flatten_sorted(logs)


def _flatten_sorted(logs: Mapping[str, Any] | None) -> list[tuple[str, Any]]:
    items: list[tuple[str, Any]] = []
    for key, value in sorted((logs or {}).items()):
        if isinstance(value, Mapping):
            items.extend(_flatten_sorted(value))
        else:
            items.append((key, value))
    return sorted(items, key=lambda item: item[0])


__all__ = ["ProgbarLogger"]
