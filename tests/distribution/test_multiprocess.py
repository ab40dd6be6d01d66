"""Two processes joined through jax.distributed on localhost train data-parallel.

Each process runs tests/distribution/multiprocess_worker.py with 2 CPU devices
(4 in all), feeds its own half of every global batch, and must end with the
weights of one process training on the whole batches.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.distribution import multiprocess_worker as worker

ROOT = Path(__file__).parent.parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    out = tmp_path_factory.mktemp("multiprocess")
    port = _free_port()
    env = dict(os.environ)
    env.update(XLA_FLAGS="--xla_force_host_platform_device_count=2", JAX_PLATFORMS="cpu",
               PYTHONPATH=os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]))
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.distribution.multiprocess_worker", str(i), str(port),
             str(out)],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        for i in range(worker.N_PROCESSES)
    ]
    logs = []
    for proc in procs:
        try:
            logs.append(proc.communicate(timeout=300)[0])
        except subprocess.TimeoutExpired:
            for p in procs:
                p.kill()
            pytest.fail("The two-process run did not finish in 300 s.")
    for i, proc in enumerate(procs):
        assert proc.returncode == 0, f"process {i} failed:\n{logs[i][-6000:]}"
    return [dict(np.load(out / f"process_{i}.npz")) for i in range(worker.N_PROCESSES)]


@pytest.fixture(scope="module")
def reference():
    x, y = worker.global_data()
    model = worker.build_and_train(x, y, batch_size=worker.GLOBAL_BATCH)
    return model, x, y


def test_both_processes_end_with_the_weights_of_one_process_on_the_global_batches(
    runs, reference
):
    model, _, _ = reference
    assert len(model.variables) == 9  # 2 kernels, 2 biases, 4 BN weights, the dropout seed
    for i, var in enumerate(model.variables):
        for run in runs:
            np.testing.assert_allclose(run[f"w{i}"], np.asarray(var.value), rtol=1e-5,
                                       atol=1e-6, err_msg=var.path)


def test_each_process_predicts_its_own_rows(runs, reference):
    model, x, y = reference
    for process_id, run in enumerate(runs):
        rows = worker.local_rows(process_id)
        expected = model.predict(x[rows], batch_size=8, verbose=0)
        assert run["predictions"].shape == (len(rows), 3)
        np.testing.assert_allclose(run["predictions"], expected, rtol=1e-5, atol=1e-5)
    # evaluate() reduces over the global batches: both processes report the same numbers.
    assert float(runs[0]["loss"]) == pytest.approx(float(runs[1]["loss"]), rel=1e-6)
    full = model.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    assert float(runs[0]["loss"]) == pytest.approx(full["loss"], rel=1e-5)
    assert float(runs[0]["accuracy"]) == pytest.approx(full["accuracy"], rel=1e-6)
