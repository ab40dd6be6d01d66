"""lx.saving.CheckpointManager (Orbax): full training state, async saves, sharded arrays."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

import layerax as lx

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
X = np.random.default_rng(0).normal(size=(16, 3)).astype("float32")
Y = np.random.default_rng(1).normal(size=(16, 2)).astype("float32")


def _model(metrics=("mae",)):
    model = lx.Sequential([lx.Input((3,)), lx.layers.Dense(4), lx.layers.Dropout(0.3), lx.layers.Dense(2)])
    model.compile(optimizer=lx.optimizers.Adam(0.01), loss="mse", metrics=list(metrics))
    return model


def _state(model):
    return [np.asarray(v.value) for v in model.variables + model.optimizer.variables]


def test_async_save_then_training_then_restore_gives_the_saved_state(tmp_path):
    model = _model()
    model.fit(X, Y, batch_size=4, epochs=1, verbose=0, shuffle=False)
    manager = lx.saving.CheckpointManager(str(tmp_path / "ckpt"), model=model, max_to_keep=2)
    saved = _state(model)
    metric_results = [float(m.result()) for m in model.metrics]
    assert manager.save(4, extra={"epoch": 1})
    # Keep training while the asynchronous write may still run: the step donates and
    # replaces the arrays the save was given.
    model.fit(X, Y, batch_size=4, epochs=1, verbose=0, shuffle=False)
    manager.wait_until_finished()
    assert any(not np.array_equal(a, b) for a, b in zip(_state(model), saved))

    assert manager.restore() == 4
    for a, b in zip(_state(model), saved):
        np.testing.assert_array_equal(a, b)
    assert [float(m.result()) for m in model.metrics] == metric_results
    assert int(model.optimizer.iterations.value) == 4
    assert manager.restore_extra() == {"epoch": 1}

    # A fresh model restored from the checkpoint continues exactly like the original
    # (its metrics are not built yet: only the loss tracker is restored).
    fresh = _model(metrics=())
    manager.restore(model=fresh)
    for a, b in zip(_state(fresh), saved):
        np.testing.assert_array_equal(a, b)
    model.fit(X, Y, batch_size=4, epochs=1, verbose=0, shuffle=False)
    fresh.fit(X, Y, batch_size=4, epochs=1, verbose=0, shuffle=False)
    for a, b in zip(fresh.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    manager.close()


def test_global_seed_generator_state_is_restored(tmp_path):
    model = _model()
    model(X)
    with lx.saving.CheckpointManager(str(tmp_path / "ckpt"), model=model, async_save=False) as manager:
        manager.save(1)
        expected = np.asarray(lx.random.normal((3,)))
        manager.restore()
        np.testing.assert_array_equal(np.asarray(lx.random.normal((3,))), expected)


def test_keeps_max_to_keep_and_honours_save_interval(tmp_path):
    model = _model()
    model(X)
    with lx.saving.CheckpointManager(str(tmp_path / "ckpt"), model=model, max_to_keep=2,
                                     save_interval_steps=2) as manager:
        written = [manager.save(step) for step in range(1, 7)]
        manager.wait_until_finished()
        assert written == [True, True, False, True, False, True]  # Orbax also keeps the first
        assert manager.all_steps() == [4, 6] and manager.latest_step() == 6
        assert manager.save(7, force=True)
        manager.wait_until_finished()
        assert manager.all_steps() == [6, 7]
        with pytest.raises(FileNotFoundError, match=r"No checkpoint for step 2 .*Saved steps: \[6, 7\]"):
            manager.restore(2)


def test_mismatching_model_and_missing_checkpoint(tmp_path):
    model = _model()
    model.fit(X, Y, batch_size=8, epochs=1, verbose=0)
    with lx.saving.CheckpointManager(str(tmp_path / "empty")) as manager:
        with pytest.raises(FileNotFoundError, match="No checkpoint in"):
            manager.restore(model=model)
        with pytest.raises(ValueError, match="No model"):
            manager.save(1)
    with lx.saving.CheckpointManager(str(tmp_path / "ckpt"), model=model, async_save=False) as manager:
        manager.save(1)
        wider = lx.Sequential([lx.Input((3,)), lx.layers.Dense(5), lx.layers.Dropout(0.3), lx.layers.Dense(2)])
        wider.compile(optimizer=lx.optimizers.Adam(0.01), loss="mse")
        before = [v.numpy() for v in wider.variables]
        with pytest.raises(ValueError, match="does not match"):
            manager.restore(model=wider)
        for a, v in zip(before, wider.variables):
            np.testing.assert_array_equal(a, v.numpy())
        other = _model()
        other.compile(optimizer="sgd", loss="mse")
        with pytest.raises(ValueError, match="state of a Adam optimizer, but the model's optimizer is a SGD"):
            manager.restore(model=other)


SHARDED = r"""
import os, sys
os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=2"
import jax, numpy as np, layerax as lx
from jax.sharding import Mesh, NamedSharding, PartitionSpec as P
mesh = Mesh(np.array(jax.devices()), ("d",))
def model():
    m = lx.Sequential([lx.Input((4,)), lx.layers.Dense(6)])
    m.compile(optimizer="adam", loss="mse")
    for v in m.trainable_variables:
        spec = P(None, "d") if v.ndim == 2 else P("d")
        v.assign(jax.device_put(v.numpy(), NamedSharding(mesh, spec)))
    m.optimizer.build(m.trainable_variables)
    return m
src = model()
kernel = np.arange(24.0, dtype="float32").reshape(4, 6)
src.layers[0].kernel.assign(jax.device_put(kernel, NamedSharding(mesh, P(None, "d"))))
with lx.saving.CheckpointManager(sys.argv[1], model=src) as manager:
    manager.save(1)
    manager.wait_until_finished()
    dst = model()
    manager.restore(model=dst)
value = dst.layers[0].kernel.value
assert np.array_equal(np.asarray(value), kernel)
assert value.sharding.spec == P(None, "d"), value.sharding
assert [s.data.shape for s in value.addressable_shards] == [(4, 3), (4, 3)]
print("sharded ok")
"""


def test_sharded_arrays_restore_with_their_sharding(tmp_path):
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = subprocess.run([sys.executable, "-c", SHARDED, str(tmp_path / "ckpt")], env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "sharded ok" in out.stdout
