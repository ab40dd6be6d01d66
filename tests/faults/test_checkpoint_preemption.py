"""A job killed with SIGKILL while writing `CheckpointManager` checkpoints resumes in a new process.

Each child process runs on 8 simulated CPU devices, with the model's variables
sharded over them. It first restores the latest checkpoint left by the previous
(killed) process and checks every value, then writes more checkpoints until it
is killed at a random point. A last process only restores and checks.
"""

from __future__ import annotations

import os
import random
import signal
import time

from tests.faults._children import popen, run

# Every variable's value at step k is a function of k alone, so that any process can check
# a restored checkpoint.
CHILD = r"""
import sys
import jax, numpy as np, layerax as lx
from jax.sharding import Mesh, NamedSharding, PartitionSpec as P

assert len(jax.devices()) == 8, jax.devices()
mesh = Mesh(np.array(jax.devices()), ("d",))
directory, mode = sys.argv[1], sys.argv[2]

def spec(v):
    return P(None, "d") if v.ndim == 2 else P("d")

def model():
    m = lx.Sequential([lx.Input((4,)), lx.layers.Dense(16), lx.layers.Dense(8)])
    m.compile(optimizer="adam", loss="mse")
    for v in m.trainable_variables:
        v.assign(jax.device_put(v.numpy(), NamedSharding(mesh, spec(v))))
    m.optimizer.build(m.trainable_variables)
    return m

def expected(m, step):
    out = []
    for i, v in enumerate(m.trainable_variables):
        rng = np.random.default_rng([step, i])
        out.append(rng.standard_normal(v.shape).astype("float32"))
    return out

def set_step(m, step):
    for v, value in zip(m.trainable_variables, expected(m, step)):
        v.assign(jax.device_put(value, NamedSharding(mesh, spec(v))))
    m.optimizer.iterations.assign(step)

m = model()
manager = lx.saving.CheckpointManager(directory, model=m, max_to_keep=3)
step = 0
if manager.latest_step() is not None:
    step = manager.restore()
    for v, want in zip(m.trainable_variables, expected(m, step)):
        assert np.array_equal(np.asarray(v.value), want), v.path
        assert v.value.sharding.spec == spec(v), (v.path, v.value.sharding)
        assert len(v.value.addressable_shards) == 8
    assert int(m.optimizer.iterations.value) == step
    print("restored", step, flush=True)
if mode == "restore":
    manager.close()
    sys.exit(0)
while True:
    step += 1
    set_step(m, step)
    manager.save(step)
    if step % 2 == 0:
        manager.wait_until_finished()
        print("committed", step, flush=True)
"""

ENV = {"XLA_FLAGS": "--xla_force_host_platform_device_count=8"}


def test_sigkilled_writer_resumes_in_a_new_process_on_8_sharded_devices(tmp_path):
    directory = str(tmp_path / "ckpt")
    rng = random.Random(24)
    committed, restored, kills = 0, [], 0
    for _ in range(3):
        child = popen(CHILD, directory, "write", **ENV)
        try:
            lines = []
            while True:
                line = child.stdout.readline()
                assert line, f"the writer died: {child.stderr.read()[-3000:]}"
                kind, step = line.split()
                if kind == "restored":
                    restored.append(int(step))
                    assert int(step) >= committed, (step, committed)
                    continue
                committed = max(committed, int(step))
                lines.append(line)
                if len(lines) >= 2:
                    break
            time.sleep(rng.uniform(0.0, 0.3))  # a random point of the save loop
            os.kill(child.pid, signal.SIGKILL)
        finally:
            child.wait(timeout=60)
            child.stdout.close()
            child.stderr.close()
        assert child.returncode == -signal.SIGKILL
        kills += 1
    out = run(CHILD, directory, "restore", **ENV)
    assert out.returncode == 0, out.stderr[-3000:]
    final = int(out.stdout.split()[1])
    assert final >= committed
    assert kills == 3 and len(restored) == 2 and restored == sorted(restored)
