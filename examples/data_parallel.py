"""Data-parallel training on a device mesh with `lx.distribution.DataParallel`.

The same model and the same `fit` call run on one device or on all of them:
under `DataParallel()` the weights are replicated on every device, each batch
is split along its first axis, and XLA inserts the all-reduce of the gradients.
BatchNormalization statistics and Dropout masks cover the global batch, so the
result is the one-device result. The script checks that: it trains the same
model from the same initial weights on the same batches twice, on every
device and on one, and compares the weights.

Without accelerators the script asks XLA for 4 CPU devices (the flag must be
set before JAX starts), so it shows the mechanics on any laptop. On a TPU VM
or a multi-GPU machine it uses the real devices.

Run: python examples/data_parallel.py
"""

from __future__ import annotations

import os

# 4 simulated CPU devices; real accelerators are used as they are.
if "xla_force_host_platform_device_count" not in os.environ.get("XLA_FLAGS", ""):
    os.environ["XLA_FLAGS"] = (
        os.environ.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=4"
    ).strip()

import numpy as np  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402

import layerax as lx  # noqa: E402
from layerax import layers  # noqa: E402


def make_model() -> lx.Model:
    return lx.Sequential([
        lx.Input(shape=(64,)),
        # No bias before BatchNormalization: its gradient is zero, and Adam would turn
        # rounding noise into updates.
        layers.Dense(64, use_bias=False),
        layers.BatchNormalization(),
        layers.Activation("relu"),
        layers.Dropout(0.1, seed=1),
        layers.Dense(10, activation="softmax"),
    ])


def train(model: lx.Model, initial_weights, x, y, batch_size: int) -> list[float]:
    model.set_weights(initial_weights)
    model.compile(optimizer=lx.optimizers.Adam(1e-2), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x, y, batch_size=batch_size, epochs=6, shuffle=False, verbose=2)
    return history.history["accuracy"]


def main() -> dict[str, float]:
    digits = load_digits()
    perm = np.random.default_rng(0).permutation(len(digits.data))
    x = (digits.data[perm] / 16.0).astype("float32")[:1536]
    y = digits.target[perm].astype("int32")[:1536]

    devices = lx.distribution.list_devices()
    n = len(devices)
    print(f"{n} devices: {devices}")
    per_device_batch = 32
    global_batch = per_device_batch * n  # the batch of one step, split over the devices

    lx.utils.set_random_seed(0)
    initial_weights = make_model().get_weights()

    # --- On every device ---------------------------------------------------------------
    strategy = lx.distribution.DataParallel()  # a 1-D mesh over all devices, axis "batch"
    with strategy.scope():
        lx.utils.set_random_seed(1)
        parallel = make_model()
        accuracy = train(parallel, initial_weights, x, y, global_batch)
        kernel = parallel.layers[0].kernel.value
        print("mesh:", dict(strategy.device_mesh.backend_mesh.shape))
        print(f"kernel sharding: {kernel.sharding.spec} (replicated), "
              f"on {len(kernel.sharding.device_set)} devices")
        batch = lx.distribution.distribute_data(x[:global_batch])
        shard_shapes = sorted({tuple(s.data.shape) for s in batch.addressable_shards})
        print(f"a batch of {global_batch} rows is split into shards of shape {shard_shapes}")
        parallel_weights = parallel.get_weights()

    # --- On one device, for comparison ----------------------------------------------------
    lx.utils.set_random_seed(1)
    single = make_model()
    single_accuracy = train(single, initial_weights, x, y, global_batch)
    difference = max(
        float(np.max(np.abs(a - b))) for a, b in zip(parallel_weights, single.get_weights())
    )
    print(f"final accuracy: {accuracy[-1]:.4f} on {n} devices, {single_accuracy[-1]:.4f} on one")
    print(f"max weight difference between the {n}-device and the 1-device run: {difference:.1e}")
    return {"devices": float(n), "accuracy": accuracy[-1], "difference": difference}


if __name__ == "__main__":
    main()
