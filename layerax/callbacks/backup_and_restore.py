"""`BackupAndRestore`: resume an interrupted `fit` exactly where its last backup was taken."""

from __future__ import annotations

import contextlib
import os
import shutil
from typing import Any

from layerax.callbacks._orbax_backend import OrbaxSaver, check_backend
from layerax.callbacks.callback import Callback, ResumePosition


class BackupAndRestore(Callback):
    """Backs up the training state during `fit` and restores it when `fit` restarts.

    The backup (`<backup_dir>/latest.layerax`, written atomically) holds the
    model's variables (random-seed states included), the optimizer's state and
    the training position: the epoch, the step within it and the seed `fit`
    shuffles the data with. When `fit` starts with a backup present (after a
    crash, a kill or a pre-emption, in the same or a new process), the state is
    restored and training continues at that epoch and step, with the same batch
    order: with fixed seeds, the final weights equal those of an uninterrupted
    run. A successful `fit` deletes the backup (`delete_checkpoint=True`).

    Unlike Keras, which restarts an interrupted epoch from its first batch, a
    mid-epoch backup (`save_freq=<int>`) resumes at the next batch. Metric
    values of the resumed epoch only cover the batches run after the restart.

    It tells `fit` where to continue through the callback protocol: the
    restore happens in `on_train_begin`, and `resume_position()` then returns
    the saved `lx.callbacks.ResumePosition`; the shuffle seed it saves is
    `params["shuffle_seed"]` of the run.

    With `backend="orbax"` the backup is instead an Orbax step directory
    (`<backup_dir>/<n>`, by `lx.saving.CheckpointManager`) written in the
    background: the training step waits only for the device-to-host copy, and
    sharded variables are saved as sharded and restored onto the model's
    current sharding. Orbax renames a checkpoint into place only once it is
    complete, so a kill during a save leaves the previous backup readable;
    `double_checkpoint` keeps the two newest, and the older is restored when
    the newest cannot be read.

    Args:
        backup_dir: Directory for the backup; use it for nothing else.
        save_freq: `"epoch"` (back up at the end of every epoch) or an integer
            (every that many batches).
        double_checkpoint: Keep the previous backup too
            (`latest.layerax.bkp`), used if the latest cannot be read.
        delete_checkpoint: Delete the backup when `fit` completes.
        backend: `"zip"` (the atomic `.layerax` file) or `"orbax"`.

    Example:
        >>> import os, tempfile, numpy as np, layerax as lx
        >>> backup = os.path.join(tempfile.mkdtemp(), "backup")
        >>> class Interrupt(lx.callbacks.Callback):
        ...     def on_epoch_begin(self, epoch, logs=None):
        ...         if epoch == 2:
        ...             raise RuntimeError("interrupted")
        >>> model = lx.Sequential([lx.Input((4,)), lx.layers.Dense(1)])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> x, y = np.ones((8, 4), "float32"), np.zeros((8, 1), "float32")
        >>> callback = lx.callbacks.BackupAndRestore(backup)
        >>> try:
        ...     model.fit(x, y, epochs=4, callbacks=[callback, Interrupt()], verbose=0)
        ... except RuntimeError:
        ...     pass
        >>> history = model.fit(x, y, epochs=4, callbacks=[callback], verbose=0)
        >>> len(history.history["loss"])  # epochs 2 and 3 only
        2
    """

    def __init__(
        self,
        backup_dir: Any,
        save_freq: Any = "epoch",
        double_checkpoint: bool = False,
        delete_checkpoint: bool = True,
        *,
        backend: str = "zip",
    ) -> None:
        super().__init__()
        check_backend(backend, "BackupAndRestore", ("zip", "orbax"))
        if not backup_dir:
            raise ValueError("Empty `backup_dir` argument passed to BackupAndRestore.")
        if save_freq != "epoch" and not (
            isinstance(save_freq, int) and not isinstance(save_freq, bool) and save_freq > 0
        ):
            raise ValueError(
                f"Invalid value for argument `save_freq`. Received: save_freq={save_freq!r}. "
                "Expected either 'epoch' or a positive integer (back up every that many batches)."
            )
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.double_checkpoint = double_checkpoint
        self.delete_checkpoint = delete_checkpoint
        self._path = os.path.join(self.backup_dir, "latest.layerax")
        self._prev_path = self._path + ".bkp"
        self._epoch = 0
        self._last_batch = -1
        self._since_save = 0
        self._position: ResumePosition | None = None
        self.backend = backend
        self._orbax = (
            OrbaxSaver(self.backup_dir, max_to_keep=2 if double_checkpoint else 1)
            if backend == "orbax" else None
        )
        self._next_step = 1

    # ----------------------------------------------------------- restore
    def on_train_begin(self, logs: Any = None) -> None:
        from layerax.saving.archive import read_archive, restore_training_state

        self._epoch, self._last_batch, self._since_save = 0, -1, 0
        self._position = None
        if self._orbax is not None:
            self._restore_orbax()
            return
        candidates = [p for p in (self._path, self._prev_path) if os.path.exists(p)]
        if not candidates:
            return
        self._check_built()
        error: Exception | None = None
        for path in candidates:
            try:
                archive = read_archive(path)
            except ValueError as err:
                error = err
                continue
            restore_training_state(self.model, archive, source=path)
            self._set_position(archive.extra.get("training_position", {}))
            return
        assert error is not None
        raise error

    def _check_built(self) -> None:
        if not self.model.built:
            raise ValueError(
                "To use the BackupAndRestore callback, the model must be built before you call "
                f"`fit()`. Model '{self.model.name}' is not built: start it with `lx.Input(...)` "
                "or call it on a batch of data first."
            )

    def _set_position(self, saved: dict[str, Any]) -> None:
        seed = saved.get("shuffle_seed")
        self._position = ResumePosition(
            epoch=int(saved.get("epoch", 0)),
            step=int(saved.get("step", 0)),
            shuffle_seed=None if seed is None else int(seed),
        )
        self._epoch, self._last_batch = self._position.epoch, self._position.step - 1

    def _restore_orbax(self) -> None:
        assert self._orbax is not None
        self._orbax.wait()  # a save of an interrupted `fit` of this process may be in flight
        steps = self._orbax.steps()
        self._next_step = max(steps, default=0) + 1
        if not steps:
            return
        self._check_built()
        manager = self._orbax.manager
        error: Exception | None = None
        for step in sorted(steps, reverse=True):  # the newest readable backup
            try:
                manager.restore(step, model=self.model)
            except ValueError as err:
                error = err
                continue
            self._set_position(manager.restore_extra(step).get("training_position", {}))
            return
        assert error is not None
        raise error

    def resume_position(self) -> ResumePosition | None:
        """The training position of the backup restored by `on_train_begin` (None if none).

        Example:
            >>> import tempfile, layerax as lx
            >>> lx.callbacks.BackupAndRestore(tempfile.mkdtemp()).resume_position() is None
            True
        """
        return self._position

    # -------------------------------------------------------------- save
    def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
        if epoch != self._epoch:
            self._last_batch = -1
        self._epoch = epoch

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        self._epoch, self._last_batch = epoch + 1, -1
        if self.save_freq == "epoch":
            self._save(epoch + 1, 0)

    def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
        if self.save_freq == "epoch":
            return
        self._since_save += batch - self._last_batch if batch > self._last_batch else batch + 1
        self._last_batch = batch
        if self._since_save >= self.save_freq:
            self._since_save = 0
            self._save(self._epoch, batch + 1)

    def _save(self, epoch: int, step: int) -> None:
        from layerax.saving._atomic import atomic_path
        from layerax.saving.archive import write_archive

        position = {
            "epoch": epoch,
            "step": step,
            "shuffle_seed": (self.params or {}).get("shuffle_seed"),
        }
        if self._orbax is not None:
            # Backups are numbered 1, 2, ... (Orbax steps must grow), whatever the epoch.
            self._orbax.save(self._next_step, self.model, weights_only=False,
                             extra={"training_position": position}, config=False)
            self._next_step += 1
            return
        os.makedirs(self.backup_dir, exist_ok=True)
        if self.double_checkpoint and os.path.exists(self._path):
            with atomic_path(self._prev_path) as tmp:
                shutil.copyfile(self._path, tmp)
        write_archive(
            self._path, self.model, include_config=False, extra={"training_position": position}
        )

    def on_train_end(self, logs: Any = None) -> None:
        if self._orbax is not None:
            if self.delete_checkpoint:
                self._orbax.delete_all()
            else:
                self._orbax.close()  # waits for the last backup
            return
        if not self.delete_checkpoint:
            return
        from layerax.saving._atomic import sweep_stale_temps

        for path in (self._path, self._prev_path):
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)
            # Saves killed before the resume left temporary files, which would keep the
            # directory from being removed.
            sweep_stale_temps(path)
        with contextlib.suppress(OSError):
            os.rmdir(self.backup_dir)


__all__ = ["BackupAndRestore"]
