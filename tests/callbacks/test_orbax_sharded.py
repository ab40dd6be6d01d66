"""Orbax callbacks on 8 simulated CPU devices: sharded saves, restored onto a mesh of another shape.

A child process (8 devices) trains a model whose kernels are split over a
`(8,)` mesh, with `ModelCheckpoint` writing Orbax checkpoints during `fit`.
A fresh model under a `(2, 4)` mesh with other layouts restores the
checkpoint: every value equals the saved one, and every restored array
(weights and Adam moments) has the new sharding, with each device holding
only its shard.
"""

from __future__ import annotations

import json

from tests.faults._children import run

CHILD = r"""
import json, os, sys
import jax, numpy as np, layerax as lx

assert len(jax.devices()) == 8, jax.devices()
directory = sys.argv[1]
x = np.random.default_rng(0).standard_normal((32, 16)).astype("float32")
y = x[:, :8] * 0.5

def build(mesh_shape, names, layouts):
    mesh = lx.distribution.DeviceMesh(mesh_shape, names)
    layout_map = lx.distribution.LayoutMap(mesh)
    for key, axes in layouts.items():
        layout_map[key] = axes
    strategy = lx.distribution.ModelParallel(layout_map=layout_map, batch_dim_name=names[0])
    with strategy.scope():
        model = lx.Sequential([lx.Input((16,)), lx.layers.Dense(32, name="up"),
                               lx.layers.Dense(8, name="down")], name="mlp")
        model.compile(optimizer="adam", loss="mse")
        model.optimizer.build(model.trainable_variables)
    return model, strategy

# Save: kernels split by columns ("up") and rows ("down") over 8 devices.
saved, strategy = build((8,), ["model"], {".*up/kernel": (None, "model"),
                                           ".*down/kernel": ("model", None)})
with strategy.scope():
    callback = lx.callbacks.ModelCheckpoint(directory, save_freq=2)
    saved.fit(x, y, batch_size=8, epochs=1, callbacks=[callback], verbose=0)
kernel = saved.get_layer("up").kernel.value
assert kernel.sharding.spec == jax.sharding.PartitionSpec(None, "model"), kernel.sharding
assert {s.data.shape for s in kernel.addressable_shards} == {(16, 4)}

# Restore onto a (2, 4) mesh, with the kernels split the other way.
fresh, strategy = build((2, 4), ["batch", "model"], {".*up/kernel": ("model", None),
                                                      ".*down/kernel": (None, "model")})
with strategy.scope():
    manager = lx.saving.CheckpointManager(directory)
    step = manager.restore(model=fresh)
    manager.close()
report = {"step": step, "iterations": int(fresh.optimizer.iterations.value), "vars": []}
pairs = list(zip(saved.trainable_variables, fresh.trainable_variables))
pairs += list(zip(saved.optimizer.variables, fresh.optimizer.variables))
for old, new in pairs:
    value = new.value
    assert np.array_equal(np.asarray(value), np.asarray(old.value)), new.path
    report["vars"].append({
        "path": new.path,
        "mesh": dict(value.sharding.mesh.shape) if hasattr(value.sharding, "mesh") else None,
        "spec": [None if a is None else str(a) for a in getattr(value.sharding, "spec", ())],
        "shards": sorted({tuple(s.data.shape) for s in value.addressable_shards}),
        "devices": len(value.addressable_shards),
    })
print(json.dumps(report))
"""

ENV = {"XLA_FLAGS": "--xla_force_host_platform_device_count=8"}


def test_sharded_checkpoint_restores_onto_a_mesh_of_another_shape(tmp_path):
    out = run(CHILD, str(tmp_path / "ckpt"), **ENV)
    assert out.returncode == 0, out.stderr[-3000:]
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["step"] == 4 == report["iterations"]  # 4 batches, saved every 2: the last kept
    by_path = {v["path"]: v for v in report["vars"]}
    up, down = by_path["mlp/up/kernel"], by_path["mlp/down/kernel"]
    assert up["mesh"] == {"batch": 2, "model": 4}
    assert up["spec"][0] == "model" and up["shards"] == [[4, 32]] and up["devices"] == 8
    assert down["spec"][1] == "model" and down["shards"] == [[32, 2]]
    # The Adam moments of the kernels follow their parameters' new layouts.
    moments = [v for v in report["vars"] if v["shards"] in ([[4, 32]], [[32, 2]])]
    assert len(moments) >= 6  # two kernels and their two moments each
