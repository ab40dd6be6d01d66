"""One process of the two-process data-parallel run in test_multiprocess.py.

Usage: python -m tests.distribution.multiprocess_worker PROCESS_ID PORT OUT_DIR
(with XLA_FLAGS=--xla_force_host_platform_device_count=2: 4 devices in all).
The model, the data and the training settings are shared with the test's
single-process reference through the functions below.
"""

from __future__ import annotations

import sys

import numpy as np

import layerax as lx

GLOBAL_BATCH = 16
N_PROCESSES = 2


class Net(lx.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.hidden = lx.layers.Dense(16, activation="relu")
        self.norm = lx.layers.BatchNormalization()
        self.drop = lx.layers.Dropout(0.2, seed=4)
        self.out = lx.layers.Dense(3)

    def call(self, x, training=None):
        h = self.norm(self.hidden(x), training=training)
        return self.out(self.drop(h, training=training))


def global_data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(42)
    x = rng.standard_normal((64, 5)).astype("float32")
    y = (x[:, 0] > 0).astype("int32") + (x[:, 1] > 0).astype("int32")
    return x, y


def local_rows(process_id: int) -> np.ndarray:
    """This process's rows: its half of every global batch (batch i = process 0's part,
    then process 1's part, as make_array_from_process_local_data assembles it)."""
    per = GLOBAL_BATCH // N_PROCESSES
    n = len(global_data()[0])
    return np.concatenate([
        np.arange(start + process_id * per, start + (process_id + 1) * per)
        for start in range(0, n, GLOBAL_BATCH)
    ])


def build_and_train(x: np.ndarray, y: np.ndarray, batch_size: int) -> Net:
    lx.utils.set_random_seed(0)
    model = Net()
    model.compile(optimizer=lx.optimizers.SGD(0.1, momentum=0.9),
                  loss=lx.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    model.fit(x, y, batch_size=batch_size, epochs=2, shuffle=False, verbose=0)
    return model


def main(process_id: int, port: str, out_dir: str) -> None:
    lx.distribution.initialize(f"127.0.0.1:{port}", num_processes=N_PROCESSES,
                               process_id=process_id)
    import jax

    assert jax.process_count() == N_PROCESSES and jax.device_count() == 4
    lx.distribution.set_distribution(lx.distribution.DataParallel())
    x, y = global_data()
    rows = local_rows(process_id)
    model = build_and_train(x[rows], y[rows], batch_size=GLOBAL_BATCH // N_PROCESSES)
    kernel = model.hidden.kernel.value
    assert len(kernel.sharding.device_set) == 4 and kernel.sharding.is_fully_replicated
    assert len(kernel.addressable_shards) == 2
    predictions = model.predict(x[rows], batch_size=GLOBAL_BATCH // N_PROCESSES, verbose=0)
    evaluation = model.evaluate(x[rows], y[rows], batch_size=GLOBAL_BATCH // N_PROCESSES,
                                verbose=0, return_dict=True)
    weights = {f"w{i}": np.asarray(v.value) for i, v in enumerate(model.variables)}
    np.savez(f"{out_dir}/process_{process_id}.npz", predictions=predictions,
             loss=evaluation["loss"], accuracy=evaluation["accuracy"], **weights)


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2], sys.argv[3])
