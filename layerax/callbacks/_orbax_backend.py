"""The Orbax backend shared by `ModelCheckpoint`, `BackupAndRestore` and `OrbaxCheckpoint`.

Every save goes through `lx.saving.CheckpointManager`: Orbax copies the arrays
to host memory (shard by shard, as they are sharded) before `save` returns,
then writes them in a background thread into a temporary directory that is
renamed into place once complete. A process killed during a save therefore
leaves the previous checkpoints as they were, and the training step is
blocked only for the device-to-host copy (and for the previous save, if it is
still being written when the next one starts).
"""

from __future__ import annotations

import os
import shutil
import warnings
from typing import Any

BACKENDS = ("zip", "orbax")


def check_backend(backend: Any, callback: str, allowed: tuple[Any, ...]) -> None:
    if backend not in allowed:
        raise ValueError(
            f"Invalid `backend` for {callback}. Received: backend={backend!r}. Expected one of "
            f"{', '.join(repr(b) for b in allowed)}."
        )


def is_directory_path(path: str) -> bool:
    """A path without a file extension names an Orbax directory (`ckpt.keras/` stays an error)."""
    return not os.path.splitext(os.path.basename(path.rstrip("/\\")))[1]


def _model_config(model: Any) -> Any:
    from layerax.saving.archive import model_config

    try:
        return model_config(model)
    except (NotImplementedError, TypeError, ValueError):
        return None  # the arrays restore into a model built by code; the config is a bonus


class OrbaxSaver:
    """Asynchronous Orbax checkpoints of one model in one directory (opened on first use)."""

    def __init__(self, directory: str, max_to_keep: int | None, async_save: bool = True) -> None:
        self.directory = os.path.abspath(directory)
        self.max_to_keep = max_to_keep
        self.async_save = async_save
        self._manager: Any = None

    @property
    def manager(self) -> Any:
        if self._manager is None:
            from layerax.saving.checkpoint import CheckpointManager

            self._manager = CheckpointManager(
                self.directory, max_to_keep=self.max_to_keep, async_save=self.async_save
            )
        return self._manager

    def save(self, step: int, model: Any, *, weights_only: bool, extra: dict[str, Any],
             config: bool | None = None) -> bool:
        """Starts writing the checkpoint of `step`; returns once the arrays are on the host."""
        manager = self.manager
        if step in manager.all_steps():
            warnings.warn(
                f"An Orbax checkpoint of step {step} already exists in {self.directory!r}: "
                "this save is skipped (steps are never overwritten). Use a new directory for "
                "a new run.",
                stacklevel=3,
            )
            return False
        extra = dict(extra)
        if not weights_only if config is None else config:
            extra["model_config"] = _model_config(model)
        return manager.save(
            step,
            model=model,
            metrics=[] if weights_only else None,
            extra=extra,
            include_optimizer=not weights_only,
            force=True,
        )

    def wait(self) -> None:
        if self._manager is not None:
            self._manager.wait_until_finished()

    def close(self) -> None:
        if self._manager is not None:
            self._manager.close()
            self._manager = None

    def steps(self) -> list[int]:
        """The committed steps on disk (re-read: another callback or process may have written)."""
        manager = self.manager
        manager.reload()
        return manager.all_steps()

    def delete_all(self) -> None:
        """Waits for the saves in flight, then deletes every checkpoint and the directory if empty."""
        self.close()
        if not os.path.isdir(self.directory):
            return
        for name in os.listdir(self.directory):
            # Step directories, and the temporary ones of saves killed before they committed.
            if name.isdigit() or ".orbax-checkpoint-tmp" in name:
                shutil.rmtree(os.path.join(self.directory, name), ignore_errors=True)
        try:
            os.rmdir(self.directory)
        except OSError:
            pass  # something else is in the directory: leave it
