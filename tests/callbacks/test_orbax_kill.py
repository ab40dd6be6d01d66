"""A process killed (SIGKILL) during an asynchronous Orbax save of `ModelCheckpoint` loses nothing.

The child saves through `ModelCheckpoint`'s Orbax backend, step after step,
a ~16 MB model whose values at step k are a function of k. The parent kills
it as soon as a save is in flight (Orbax's temporary directory exists), then
restores the latest checkpoint in this process: it is a committed step, and
every value equals that step's.
"""

from __future__ import annotations

import os
import signal
import time

import numpy as np

import layerax as lx
from tests.faults._children import popen

CHILD = r"""
import sys
import numpy as np, layerax as lx

directory = sys.argv[1]
model = lx.Sequential([lx.Input((1024,)), lx.layers.Dense(2048), lx.layers.Dense(1024)])
model.compile(optimizer="sgd", loss="mse")
callback = lx.callbacks.ModelCheckpoint(directory, save_freq=1, save_weights_only=True,
                                        max_to_keep=2)
callback.set_model(model)
callback.on_train_begin()
step = 0
while True:
    step += 1
    for i, v in enumerate(model.trainable_variables):
        v.assign(np.full(v.shape, step * 10 + i, "float32"))
    model.optimizer.iterations.assign(step)
    callback.on_train_batch_end(step - 1)
    print("started", step, flush=True)
"""


def _model() -> lx.Model:
    model = lx.Sequential([lx.Input((1024,)), lx.layers.Dense(2048), lx.layers.Dense(1024)])
    model.compile(optimizer="sgd", loss="mse")
    return model


def test_kill_during_an_async_save_leaves_the_previous_checkpoint_loadable(tmp_path):
    directory = str(tmp_path / "ckpt")
    child = popen(CHILD, directory)
    in_flight: list[str] = []
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and child.poll() is None:
            names = os.listdir(directory) if os.path.isdir(directory) else []
            committed = [n for n in names if n.isdigit()]
            in_flight = [n for n in names if "tmp" in n]
            if committed and in_flight:
                break
            time.sleep(0.005)
        assert child.poll() is None, child.stderr.read()[-3000:]
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(timeout=60)
        child.stdout.close()
        child.stderr.close()
    assert child.returncode == -signal.SIGKILL
    names = os.listdir(directory)
    committed = sorted(int(n) for n in names if n.isdigit())
    assert committed, names
    # The save killed in flight never became a step directory.
    assert any("tmp" in n for n in names), names
    model = _model()
    manager = lx.saving.CheckpointManager(directory)
    step = manager.restore(model=model)
    manager.close()
    assert step == committed[-1]
    for i, v in enumerate(model.trainable_variables):
        np.testing.assert_array_equal(v.numpy(), np.full(v.shape, step * 10 + i, "float32"))
