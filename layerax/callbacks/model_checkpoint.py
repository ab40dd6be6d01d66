"""`ModelCheckpoint`: save the model or its weights during training."""

from __future__ import annotations

import os
import sys
import warnings
from typing import Any

import numpy as np

from layerax.callbacks._orbax_backend import OrbaxSaver, check_backend, is_directory_path
from layerax.callbacks.monitor_callback import MonitorCallback


_WEIGHTS_SUFFIXES = (".weights.h5", ".weights.npz", ".safetensors")
_MODEL_SUFFIXES = (".layerax", ".keras")


class ModelCheckpoint(MonitorCallback):
    """Saves the model (`model.save(path)`) or its weights (`model.save_weights(path)`).

    As in Keras 3, the suffix picks the format: `.layerax`/`.keras` for the
    whole model (layerax's archive), and with `save_weights_only=True`
    `.weights.h5` (Keras 3's layout), `.weights.npz` or `.safetensors`. Every
    save is atomic: a run killed while saving leaves the previous file intact.

    A `filepath` without a file extension (or `backend="orbax"`) selects the
    Orbax backend: `filepath` is then a directory of step checkpoints
    (`<filepath>/<optimizer.iterations>`) written asynchronously by
    `lx.saving.CheckpointManager`, so the training step waits only for the
    device-to-host copy. Sharded arrays are saved as they are sharded; restore
    with `lx.saving.CheckpointManager(filepath).restore(model=model)`, which
    reads them onto the model's current sharding (any mesh shape). The
    weights, plus the optimizer and metric states and the model's config
    unless `save_weights_only`, are saved; the newest `max_to_keep`
    checkpoints are kept, and saves are atomic as well. `on_train_end` waits
    for the last one.

    Args:
        filepath: Where to save. May hold `str.format` fields filled from the
            epoch (1-based), the batch (with an integer `save_freq`) and the
            logs, e.g. `"ckpt/{epoch:02d}-{val_loss:.2f}.weights.h5"`.
        monitor: Log key compared with `save_best_only`.
        verbose: 1 prints a message when saving.
        save_best_only: Save only when `monitor` improves on its best so far.
        save_weights_only: Call `save_weights` instead of `save`.
        mode: `"auto"`, `"min"` or `"max"` (see `EarlyStopping`).
        save_freq: `"epoch"`, or an integer: save every that many batches.
        initial_value_threshold: Initial best value for `save_best_only`.
        backend: `None` (by the path: Orbax for a directory, else a file),
            `"zip"` (the file formats above) or `"orbax"`.
        max_to_keep: Orbax backend: keep the newest this many checkpoints
            (None: all).

    Example:
        >>> import layerax as lx
        >>> class Model:
        ...     saved = []
        ...     def save_weights(self, path, overwrite=True):
        ...         self.saved.append(path)
        >>> cb = lx.callbacks.ModelCheckpoint("w-{epoch:02d}-{loss:.1f}.weights.h5", monitor="loss",
        ...                                   save_best_only=True, save_weights_only=True)
        >>> cb.set_model(Model())
        >>> for epoch, loss in enumerate([0.9, 0.5, 0.7]):
        ...     cb.on_epoch_begin(epoch); cb.on_epoch_end(epoch, {"loss": loss})
        >>> cb.model.saved
        ['w-01-0.9.weights.h5', 'w-02-0.5.weights.h5']
    """

    def __init__(
        self,
        filepath: Any,
        monitor: str = "val_loss",
        verbose: int = 0,
        save_best_only: bool = False,
        save_weights_only: bool = False,
        mode: str = "auto",
        save_freq: Any = "epoch",
        initial_value_threshold: float | None = None,
        *,
        backend: str | None = None,
        max_to_keep: int | None = 1,
    ) -> None:
        super().__init__(monitor, mode, initial_value_threshold)
        check_backend(backend, "ModelCheckpoint", (None, "zip", "orbax"))
        self.verbose = verbose
        self.filepath = os.fspath(filepath)
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.save_freq = save_freq
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen: int | None = None
        self._current_epoch = 0
        if save_freq != "epoch" and not (isinstance(save_freq, int) and save_freq > 0):
            raise ValueError(
                f"Unrecognized save_freq: {save_freq!r}. Expected 'epoch' or a positive integer "
                "(save every that many batches)."
            )
        self._orbax: OrbaxSaver | None = None
        if backend == "orbax" or (backend is None and is_directory_path(self.filepath)):
            if "{" in self.filepath:
                raise ValueError(
                    "The Orbax backend of `ModelCheckpoint` saves every checkpoint as a step of "
                    "one directory, so its filepath cannot hold format fields. Received: "
                    f"filepath={self.filepath}. Pass a plain directory path."
                )
            self._orbax = OrbaxSaver(self.filepath, max_to_keep)
            self._orbax.manager  # noqa: B018 (fails now, not mid-fit, without orbax installed)
            return
        # The file's suffix decides its format (as in Keras 3), so check it now rather
        # than at the end of the first epoch.
        if save_weights_only:
            if not self.filepath.endswith(_WEIGHTS_SUFFIXES):
                raise ValueError(
                    "When using `save_weights_only=True` in `ModelCheckpoint`, the filepath "
                    "must end in `.weights.h5` (Keras 3's format), `.weights.npz` or "
                    f"`.safetensors`. Received: filepath={self.filepath}"
                )
        elif not self.filepath.endswith(_MODEL_SUFFIXES):
            raise ValueError(
                "The filepath provided to `ModelCheckpoint` must end in `.layerax` or `.keras` "
                "(both write layerax's model archive), or pass `save_weights_only=True` with a "
                f"weights suffix. Received: filepath={self.filepath}"
            )

    def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
        if self._should_save_on_batch(batch):
            self._save_model(epoch=self._current_epoch, batch=batch, logs=logs)

    def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
        self._current_epoch = epoch

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        if self.monitor_op is None:
            self._set_monitor_op()
        if self.save_freq == "epoch":
            self._save_model(epoch=epoch, batch=None, logs=logs)

    def _should_save_on_batch(self, batch: int) -> bool:
        if self.save_freq == "epoch":
            return False
        if self._last_batch_seen is None or batch <= self._last_batch_seen:
            added = batch + 1  # a new epoch started (batches are zero-indexed)
        else:
            added = batch - self._last_batch_seen
        self._batches_seen_since_last_saving += added
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            return True
        return False

    def _print(self, text: str) -> None:
        if self.verbose > 0:
            sys.stdout.write(text + "\n")

    def _should_save_model(self, epoch: int, logs: Any, filepath: str) -> bool:
        if not self.save_best_only:
            self._print(f"\nEpoch {epoch + 1}: saving model to {filepath}")
            return True
        logs = logs or {}
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(f"Can save best model only with {self.monitor} available.", stacklevel=2)
            return True
        if isinstance(current, np.ndarray) and current.ndim > 0:
            warnings.warn(
                f"Can save best model only when `monitor` is a scalar value. Received: {current}. "
                "Falling back to `save_best_only=False`.",
                stacklevel=2,
            )
            return True
        if self.monitor_op is None:
            self._set_monitor_op()
        best = "None" if self.best is None else f"{self.best:.5f}"
        if self._is_improvement(current, self.best):
            self._print(
                f"\nEpoch {epoch + 1}: {self.monitor} improved from {best} to {current:.5f}, "
                f"saving model to {filepath}"
            )
            self.best = current
            return True
        self._print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best}")
        return False

    def on_train_end(self, logs: Any = None) -> None:
        if self._orbax is not None:
            self._orbax.close()  # waits for the last save; reopened by the next one

    def _save_orbax(self, epoch: int, batch: int | None, logs: dict[str, Any]) -> None:
        assert self._orbax is not None
        if not self._should_save_model(epoch, logs, self.filepath):
            return
        iterations = getattr(getattr(self.model, "optimizer", None), "iterations", None)
        if iterations is not None:
            step = int(getattr(iterations, "value", iterations))
        else:
            step = max(self._orbax.steps(), default=-1) + 1
        position = {"epoch": epoch + 1, "batch": None if batch is None else batch + 1}
        if self._orbax.save(step, self.model, weights_only=self.save_weights_only, extra=position):
            self._print(f"\nEpoch {epoch + 1}: started saving step {step} to {self.filepath}")

    def _save_model(self, epoch: int, batch: int | None, logs: Any) -> None:
        logs = dict(logs or {})
        if self._orbax is not None:
            self._save_orbax(epoch, batch, logs)
            return
        filepath = self._get_file_path(epoch, batch, logs)
        if os.path.isdir(filepath):
            raise OSError(
                "Please specify a non-directory filepath for ModelCheckpoint. Filepath used is an "
                f"existing directory: {filepath}"
            )
        if not self._should_save_model(epoch, logs, filepath):
            return
        dirname = os.path.dirname(filepath)
        if dirname and not os.path.exists(dirname):
            os.makedirs(dirname, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(filepath, overwrite=True)
        else:
            self.model.save(filepath, overwrite=True)
        self._print(f"\nEpoch {epoch + 1}: finished saving model to {filepath}")

    def _get_file_path(self, epoch: int, batch: int | None, logs: dict[str, Any]) -> str:
        try:
            if batch is None or "batch" in logs:
                return self.filepath.format(epoch=epoch + 1, **logs)
            return self.filepath.format(epoch=epoch + 1, batch=batch + 1, **logs)
        except KeyError as err:
            raise KeyError(
                f'Failed to format this callback filepath: "{self.filepath}". Reason: {err}. The '
                f"available fields are epoch, batch and the logs: {sorted(logs)}."
            ) from err


__all__ = ["ModelCheckpoint"]
