"""A process killed with SIGKILL in the middle of a save leaves the previous file loadable."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import layerax as lx

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# The child saves a ~16 MB model over and over, each time with every weight set to
# the save's index, and prints the index after each completed save.
CHILD = r"""
import sys
import numpy as np
import layerax as lx
path = sys.argv[1]
model = lx.Sequential([lx.Input((1024,)), lx.layers.Dense(1024), lx.layers.Dense(1024), lx.layers.Dense(1024),
                       lx.layers.Dense(1024)])
for i in range(1, 10_000):
    model.set_weights([np.full(w.shape, float(i), "float32") for w in model.get_weights()])
    print("start", i, flush=True)
    if path.endswith(".layerax"):
        model.save(path)
    else:
        model.save_weights(path)
    print("done", i, flush=True)
"""


def _model():
    return lx.Sequential([lx.Input((1024,)), lx.layers.Dense(1024), lx.layers.Dense(1024), lx.layers.Dense(1024),
                          lx.layers.Dense(1024)])


@pytest.mark.parametrize("name", ["model.layerax", "model.weights.h5"])
def test_sigkill_mid_save_leaves_the_previous_file_loadable(name, tmp_path):
    path = str(tmp_path / name)
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
    child = subprocess.Popen([sys.executable, "-c", CHILD, path], stdout=subprocess.PIPE, env=env, text=True)
    try:
        completed, started, durations = 0, 0.0, []
        while True:
            line = child.stdout.readline()
            assert line, "the saving process died"
            kind, index = line.split()
            if kind == "done":
                completed = int(index)
                durations.append(time.perf_counter() - started)
                continue
            started = time.perf_counter()
            if completed >= 3:
                break
        # Kill halfway through the save that has just started.
        time.sleep(0.5 * min(durations[1:]))
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(timeout=60)
        child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    if name.endswith(".layerax"):
        model = lx.models.load_model(path)
    else:
        model = _model()
        model.load_weights(path)
    values = {float(np.unique(w)[0]) for w in model.get_weights()}
    # Every weight holds the index of one complete save, at least the last one reported.
    assert len(values) == 1 and values.pop() >= completed
    # Temporary files of the interrupted save may remain; the target is never partial.
    assert os.path.exists(path)
