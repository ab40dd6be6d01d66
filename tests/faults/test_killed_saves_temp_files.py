"""Saves killed with SIGKILL leave temporary files; the next save of the same target removes them.

The writer is a small child process that loads only `layerax/saving/_atomic.py`
(no JAX: it starts in milliseconds, so many kills fit in a second or two) and
rewrites the target atomically in a loop until it is killed at a random point.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

import numpy as np

import layerax as lx
from tests.faults._children import REPO

ATOMIC = os.path.join(REPO, "layerax", "saving", "_atomic.py")

WRITER = r"""
import importlib.util, sys, time
spec = importlib.util.spec_from_file_location("_atomic_under_test", sys.argv[1])
atomic = importlib.util.module_from_spec(spec)
spec.loader.exec_module(atomic)
target, source = sys.argv[2], sys.argv[3]
with open(source, "rb") as f:
    data = f.read()
chunk = max(1, len(data) // 64)
first = True
while True:
    with atomic.atomic_path(target) as tmp:  # first removes what killed writers left
        if first:
            print("ready", flush=True)  # the sweep has run, this writer's temp file exists
            first = False
        with open(tmp, "wb") as f:
            for i in range(0, len(data), chunk):
                f.write(data[i : i + chunk])
                f.flush()
                time.sleep(0.002)  # a slow disk: most kills land inside a write
"""


def _kill_writers(target: str, source: str, kills: int, rng: random.Random) -> None:
    for _ in range(kills):
        child = subprocess.Popen([sys.executable, "-c", WRITER, ATOMIC, target, source],
                                 stdout=subprocess.PIPE, text=True)
        assert child.stdout.readline() == "ready\n"
        time.sleep(rng.uniform(0.02, 0.15))
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
        child.stdout.close()
        assert child.returncode == -signal.SIGKILL


def _temps(directory: str, name: str) -> list[str]:
    return [n for n in os.listdir(directory) if n.startswith(f".{name}.") and n.endswith(".tmp")]


def _model():
    return lx.Sequential([lx.Input((64,)), lx.layers.Dense(256), lx.layers.Dense(4)])


def test_repeated_kills_leave_no_temp_files_after_the_next_save(tmp_path):
    rng = random.Random(24)
    source = str(tmp_path / "source.bin")
    with open(source, "wb") as f:
        f.write(np.random.default_rng(0).bytes(1 << 20))
    target = str(tmp_path / "model.weights.h5")
    left = 0
    for _ in range(12):
        _kill_writers(target, source, 1, rng)
        # Each writer removed what the killed ones before it left: only its own file remains.
        found = len(_temps(str(tmp_path), "model.weights.h5"))
        assert found <= 1, found
        left += found
    assert left > 0  # the kills did land during writes
    model = _model()
    model.save_weights(target)
    assert _temps(str(tmp_path), "model.weights.h5") == []
    again = _model()
    again.load_weights(target)
    for a, b in zip(again.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_a_save_in_progress_in_a_live_process_keeps_its_temp_file(tmp_path):
    target = str(tmp_path / "m.weights.npz")
    live = tmp_path / f".m.weights.npz.{lx.saving._atomic._HOST}.{os.getppid()}.abcdefgh.tmp"
    live.write_bytes(b"partial")
    other_host = tmp_path / f".m.weights.npz.elsewhere.{os.getppid()}.abcdefgh.tmp"
    other_host.write_bytes(b"partial")
    _model().save_weights(target)
    assert live.exists() and other_host.exists()


class _Interrupt(lx.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        if epoch == 1:
            raise KeyboardInterrupt


def test_backup_dir_is_removed_after_a_resume_that_follows_killed_saves(tmp_path):
    x = np.random.default_rng(0).standard_normal((8, 64)).astype("float32")
    y = np.random.default_rng(1).standard_normal((8, 4)).astype("float32")
    backup = str(tmp_path / "backup")
    model = _model()
    model.compile(optimizer="sgd", loss="mse")
    try:
        model.fit(x, y, epochs=2, callbacks=[lx.callbacks.BackupAndRestore(backup), _Interrupt()],
                  verbose=0)
    except KeyboardInterrupt:
        pass
    latest = os.path.join(backup, "latest.layerax")
    copy = str(tmp_path / "copy.layerax")
    with open(latest, "rb") as src, open(copy, "wb") as dst:
        dst.write(src.read())
    # Backups killed while being rewritten (with the same content: the file stays valid).
    _kill_writers(latest, copy, 4, random.Random(7))
    assert _temps(backup, "latest.layerax")
    resumed = _model()
    resumed.compile(optimizer="sgd", loss="mse")
    # No backup is written by the resumed run: on_train_end itself must clear the directory.
    callback = lx.callbacks.BackupAndRestore(backup, save_freq=10**6)
    history = resumed.fit(x, y, epochs=2, callbacks=[callback], verbose=0)
    assert len(history.history["loss"]) == 1  # resumed at epoch 1
    assert not os.path.exists(backup), os.listdir(backup)
