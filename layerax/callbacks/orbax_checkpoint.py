"""`OrbaxCheckpoint`: Keras 3's asynchronous Orbax checkpoint callback."""

from __future__ import annotations

import os
import warnings
from typing import Any

import jax

from layerax.callbacks._orbax_backend import OrbaxSaver
from layerax.callbacks.monitor_callback import MonitorCallback


class OrbaxCheckpoint(MonitorCallback):
    """Saves the model's state with Orbax during training, asynchronously, as Keras 3 does.

    Each checkpoint is a step directory `<directory>/<step>` written by
    `lx.saving.CheckpointManager`: the model's variables (sharded arrays as
    they are sharded), and unless `save_weights_only` the optimizer and metric
    states and the model's config. The step is the epoch index (0-based) for
    `save_freq="epoch"` and the number of batches seen for an integer
    `save_freq`, as in Keras. With `save_on_background=True` the training step
    waits only for the device-to-host copy; the files are written in a
    background thread, and appear atomically (a run killed during a save keeps
    the previous checkpoints readable). `on_train_end` waits for the last save.

    Restore with `lx.saving.CheckpointManager(directory).restore(model=model)`
    (the latest step), onto the model's current sharding. The directory layout
    is layerax's, not that of Keras' `OrbaxCheckpoint`.

    Args:
        directory: Directory of the checkpoints.
        monitor: Log key compared with `save_best_only`.
        verbose: Verbosity mode, 0 or 1 (kept for Keras compatibility).
        save_best_only: Save only when `monitor` improves on its best so far
            (a save without `monitor` in the logs is skipped with a warning).
        mode: `"auto"`, `"min"` or `"max"`.
        save_freq: `"epoch"` or an integer: save every that many batches.
        initial_value_threshold: Initial best value for `save_best_only`.
        max_to_keep: Keep the newest this many checkpoints (None: all).
        save_on_background: Write asynchronously (False: `save` returns
            once the checkpoint is on disk).
        save_weights_only: Save only the model's variables.

    Example:
        >>> import os, tempfile, numpy as np, layerax as lx
        >>> directory = os.path.join(tempfile.mkdtemp(), "ckpt")
        >>> model = lx.Sequential([lx.Input((3,)), lx.layers.Dense(1)])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> x, y = np.ones((8, 3), "float32"), np.zeros((8, 1), "float32")
        >>> callback = lx.callbacks.OrbaxCheckpoint(directory, max_to_keep=2)
        >>> _ = model.fit(x, y, epochs=3, callbacks=[callback], verbose=0)
        >>> sorted(os.listdir(directory))
        ['1', '2']
        >>> fresh = lx.Sequential([lx.Input((3,)), lx.layers.Dense(1)])
        >>> fresh.compile(optimizer="sgd", loss="mse")
        >>> lx.saving.CheckpointManager(directory).restore(model=fresh)
        2
        >>> all(np.array_equal(a, b) for a, b in zip(fresh.get_weights(), model.get_weights()))
        True
    """

    def __init__(
        self,
        directory: Any,
        monitor: str = "val_loss",
        verbose: int = 0,
        save_best_only: bool = False,
        mode: str = "auto",
        save_freq: Any = "epoch",
        initial_value_threshold: float | None = None,
        max_to_keep: int | None = 1,
        save_on_background: bool = True,
        save_weights_only: bool = False,
    ) -> None:
        super().__init__(monitor, mode, initial_value_threshold)
        if save_freq != "epoch" and not (
            isinstance(save_freq, int) and not isinstance(save_freq, bool) and save_freq > 0
        ):
            raise ValueError(
                f"Unrecognized save_freq: {save_freq!r}. Expected save_freq are 'epoch' or "
                "positive integer values (save every that many batches)."
            )
        if max_to_keep is not None and (not isinstance(max_to_keep, int) or max_to_keep < 1):
            raise ValueError(
                f"Invalid `max_to_keep` for OrbaxCheckpoint. Received: max_to_keep={max_to_keep!r}. "
                "Expected a positive integer, or None to keep every checkpoint."
            )
        self.directory = os.fspath(directory)
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.save_freq = save_freq
        self.max_to_keep = max_to_keep
        self.save_on_background = save_on_background
        self.save_weights_only = save_weights_only
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen: int | None = None
        self._total_batches_seen = 0
        self._saver = OrbaxSaver(self.directory, max_to_keep, async_save=save_on_background)
        self._saver.manager  # noqa: B018 (fails now, not mid-fit, without orbax installed)

    def set_model(self, model: Any) -> None:
        super().set_model(model)
        optimizer = getattr(model, "optimizer", None)
        iterations = getattr(optimizer, "iterations", None)
        if iterations is not None:
            # A reloaded model continues the batch count, as in Keras.
            self._total_batches_seen = int(getattr(iterations, "value", iterations))

    # ------------------------------------------------------------ hooks
    def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
        if self._should_save_on_batch(batch) and self._improved(logs, f"batch {batch}"):
            self._saver.save(self._total_batches_seen, self.model,
                             weights_only=self.save_weights_only, extra={})

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        if self.monitor_op is None:
            self._set_monitor_op()
        if self.save_freq == "epoch" and self._improved(logs, f"epoch {epoch}"):
            self._saver.save(epoch, self.model, weights_only=self.save_weights_only, extra={})

    def on_train_end(self, logs: Any = None) -> None:
        # Waits for the last save; the manager reopens if the callback is used again.
        self._saver.close()

    def wait_until_finished(self) -> None:
        """Blocks until the checkpoints being written in the background are on disk.

        Example:
            >>> import os, tempfile, layerax as lx
            >>> lx.callbacks.OrbaxCheckpoint(os.path.join(tempfile.mkdtemp(), "c")).wait_until_finished()
        """
        self._saver.wait()

    def is_multihost_enabled(self) -> bool:
        """Whether JAX runs over several processes (Orbax then coordinates every save).

        Example:
            >>> import os, tempfile, layerax as lx
            >>> lx.callbacks.OrbaxCheckpoint(os.path.join(tempfile.mkdtemp(), "c")).is_multihost_enabled()
            False
        """
        return jax.process_count() > 1

    def is_primary_host(self) -> bool:
        """Whether this is process 0 (always True on one host).

        Example:
            >>> import os, tempfile, layerax as lx
            >>> lx.callbacks.OrbaxCheckpoint(os.path.join(tempfile.mkdtemp(), "c")).is_primary_host()
            True
        """
        return jax.process_index() == 0

    # ---------------------------------------------------------- helpers
    def _should_save_on_batch(self, batch: int) -> bool:
        if self.save_freq == "epoch":
            return False
        if self._last_batch_seen is None or batch <= self._last_batch_seen:
            added = batch + 1  # a new epoch (batches are zero-indexed)
        else:
            added = batch - self._last_batch_seen
        self._batches_seen_since_last_saving += added
        self._last_batch_seen = batch
        self._total_batches_seen += added
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            return True
        return False

    def _improved(self, logs: Any, where: str) -> bool:
        if not self.save_best_only:
            return True
        current = (logs or {}).get(self.monitor)
        if current is None:
            warnings.warn(
                f"Can save best model only with {self.monitor} available, skipping save at {where}.",
                stacklevel=3,
            )
            return False
        if self.monitor_op is None:
            self._set_monitor_op()
        if not self._is_improvement(current, self.best):
            return False
        self.best = current
        return True


__all__ = ["OrbaxCheckpoint"]
