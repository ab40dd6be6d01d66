"""lx.distribution on one device: the API, its errors, placement and prefetching."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import layerax as lx
from layerax import distribution as dist


@pytest.fixture(autouse=True)
def _no_distribution_left():
    yield
    dist.set_distribution(None)


def test_devices_and_meshes():
    devices = dist.list_devices()
    assert devices == [f"{d.platform}:{d.id}" for d in jax.devices()]
    assert dist.list_devices("CPU") == [f"cpu:{d.id}" for d in jax.devices("cpu")]
    assert dist.get_device_count() == jax.device_count()
    mesh = dist.DeviceMesh((1, 1), ["batch", "model"], devices=devices)
    assert mesh.backend_mesh.axis_names == ("batch", "model")
    assert mesh.backend_mesh.devices.flat[0] == jax.devices()[0]
    assert mesh.devices.tolist() == [[devices[0]]]
    assert dist.DeviceMesh((1,), ["batch"], jax.devices()).backend_mesh.shape == {"batch": 1}


@pytest.mark.parametrize("kwargs,message", [
    ({"shape": (), "axis_names": []}, "cannot be empty"),
    ({"shape": (1,), "axis_names": ["a", "b"]}, "same size"),
    ({"shape": (2,), "axis_names": ["batch"]}, r"shape=\(2,\) \(2 devices\) but 1 devices"),
    ({"shape": (1,), "axis_names": ["batch"], "devices": ["cpu:99"]}, "Unknown device 'cpu:99'"),
])
def test_mesh_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        dist.DeviceMesh(**kwargs)


def test_tensor_layouts():
    mesh = dist.DeviceMesh((1, 1), ["batch", "model"])
    layout = dist.TensorLayout(("batch", None))
    with pytest.raises(ValueError, match="has no device mesh"):
        layout.backend_layout
    layout.device_mesh = mesh
    sharding = layout.backend_layout
    assert isinstance(sharding, jax.sharding.NamedSharding)
    assert tuple(sharding.spec) == ("batch",)  # trailing Nones dropped, as jit outputs have
    with pytest.raises(ValueError, match="Cannot override"):
        layout.device_mesh = mesh
    with pytest.raises(ValueError, match=r"Invalid axis names.*\['data'\].*\['batch', 'model'\]"):
        dist.TensorLayout(("data",), mesh)


def test_layout_map_lookup_follows_keras():
    mesh = dist.DeviceMesh((1, 1), ["batch", "model"])
    layout_map = dist.LayoutMap(mesh)
    layout_map["dense.*/kernel"] = (None, "model")
    layout_map["dense_1/kernel"] = dist.TensorLayout(("model", None))
    assert layout_map["dense_1/kernel"].axes == ("model", None)  # exact key first
    assert layout_map["dense_2/kernel"].axes == (None, "model")  # then a full regex match
    assert layout_map["dense_2/kernel"].device_mesh is mesh
    assert layout_map["model/dense/kernel"] is None  # fullmatch: no partial matches
    assert len(layout_map) == 2 and list(layout_map) == ["dense.*/kernel", "dense_1/kernel"]
    layout_map[".*_1/kernel"] = ("model", None)
    with pytest.raises(ValueError, match="matches several layout specification keys"):
        layout_map["dense_9_1/kernel"]
    with pytest.raises(ValueError, match="already exists"):
        layout_map["dense_1/kernel"] = (None, None)
    with pytest.raises(ValueError, match="TensorLayout or a tuple"):
        layout_map["bias"] = "model"
    del layout_map[".*_1/kernel"]
    assert list(layout_map) == ["dense.*/kernel", "dense_1/kernel"]
    assert layout_map["dense_9_1/kernel"].axes == (None, "model")


def test_data_parallel_on_one_device():
    strategy = dist.DataParallel()
    assert strategy.batch_dim_name == "batch" and strategy.num_model_replicas == 1
    assert strategy.device_mesh.shape == (jax.device_count(),)
    assert strategy.get_data_layout((8, 3)).axes == ("batch", None)
    assert strategy.get_tensor_layout("dense/output") is None
    assert strategy.distribute_dataset([1, 2]) == [1, 2]
    from_devices = dist.DataParallel(devices=dist.list_devices())
    assert from_devices.device_mesh.axis_names == ["batch"]
    with pytest.raises(ValueError, match="Expected `device_mesh` to be a `DeviceMesh`"):
        dist.DataParallel(device_mesh="mesh")
    with pytest.warns(UserWarning, match="expects a 1D mesh"):
        dist.DataParallel(device_mesh=dist.DeviceMesh((1, 1), ["batch", "model"]))


def test_model_parallel_errors():
    mesh = dist.DeviceMesh((1, 1), ["data", "model"])
    layout_map = dist.LayoutMap(mesh)
    assert dist.ModelParallel(layout_map=layout_map).batch_dim_name == "data"
    with pytest.raises(ValueError, match="needs a `layout_map`"):
        dist.ModelParallel()
    with pytest.raises(ValueError, match="must be a `LayoutMap`"):
        dist.ModelParallel(layout_map={"kernel": (None, "model")})
    with pytest.raises(ValueError, match="not an axis of the mesh"):
        dist.ModelParallel(layout_map=layout_map, batch_dim_name="batch")
    with pytest.raises(ValueError, match="Unrecognized keyword arguments"):
        dist.ModelParallel(layout_map=layout_map, devices=["cpu:0"])
    layout_map[".*kernel"] = ("model",)
    with dist.ModelParallel(layout_map=layout_map).scope():
        with pytest.raises(ValueError, match="has 1 axes but the variable has shape"):
            lx.layers.Dense(2).build((None, 3))


def test_set_distribution_and_nested_scopes():
    assert dist.distribution() is None
    outer, inner = dist.DataParallel(), dist.DataParallel()
    with outer.scope():
        assert dist.distribution() is outer
        with inner.scope():
            assert dist.distribution() is inner
        assert dist.distribution() is outer
    assert dist.distribution() is None
    with pytest.raises(TypeError, match="set_distribution expects"):
        dist.set_distribution("data_parallel")


def test_variables_get_their_layout_at_creation_or_first_compiled_use():
    before = lx.layers.Dense(2)
    before.build((None, 3))
    assert before.kernel._sharding is None
    with dist.DataParallel().scope():
        layer = lx.layers.Dense(2)
        layer.build((None, 3))
        assert isinstance(layer.kernel.value.sharding, jax.sharding.NamedSharding)
        assert layer.kernel._sharding == layer.kernel.value.sharding
        out = lx.function(lambda x: before(x) + layer(x))(np.ones((4, 3), "float32"))
        assert isinstance(before.kernel.value.sharding, jax.sharding.NamedSharding)
    np.testing.assert_allclose(
        np.asarray(out),
        np.ones((4, 3)) @ (before.kernel.numpy() + layer.kernel.numpy()), rtol=1e-6)


def test_distribute_tensor_and_data_without_a_distribution():
    mesh = dist.DeviceMesh((1,), ["batch"])
    x = dist.distribute_tensor(np.ones((2, 2)), dist.TensorLayout(("batch", None), mesh))
    assert isinstance(x.sharding, jax.sharding.NamedSharding)
    traced = jax.jit(lambda v: dist.distribute_tensor(v, dist.TensorLayout((None, None), mesh)))
    np.testing.assert_array_equal(np.asarray(traced(x)), np.ones((2, 2)))
    batch = dist.distribute_data({"x": np.zeros((3, 2)), "w": None, "n": 3})
    assert isinstance(batch["x"], jax.Array) and batch["w"] is None and batch["n"] == 3
    host = dist.to_host_local({"y": jnp.arange(4.0)})
    assert isinstance(host["y"], np.ndarray) and host["y"].tolist() == [0, 1, 2, 3]


def test_fit_batches_stay_on_the_host_on_cpu_and_are_split_under_a_distribution():
    from layerax.distribution.data import place_batch_for_step

    batch = (np.ones((4, 2), "float32"), None)
    assert jax.default_backend() == "cpu"
    assert place_batch_for_step(batch) is batch  # the compiled call takes numpy directly
    with dist.DataParallel(devices=jax.devices()[:1]).scope():
        x, w = place_batch_for_step(batch)
    assert isinstance(x, jax.Array) and isinstance(x.sharding, jax.sharding.NamedSharding)
    assert w is None
    np.testing.assert_array_equal(np.asarray(x), batch[0])


def test_fit_batches_go_to_an_accelerator_in_one_transfer(monkeypatch):
    from layerax.distribution import data

    calls = []
    real_put = jax.device_put
    monkeypatch.setattr(data.jax, "default_backend", lambda: "gpu")
    monkeypatch.setattr(data.jax, "device_put", lambda x, *a: calls.append(len(x)) or real_put(x, *a))
    batch = (np.arange(6.0).reshape(3, 2), None, (np.ones(3), jnp.zeros(3)))
    x, none, (w, already) = data.place_batch_for_step(batch)
    assert calls == [2]  # the two host arrays, in one call; the device array is left alone
    assert none is None and already is batch[2][1]
    assert isinstance(x, jax.Array) and isinstance(w, jax.Array)
    np.testing.assert_array_equal(np.asarray(x), batch[0])
    np.testing.assert_array_equal(np.asarray(w), batch[2][0])


def test_prefetch_keeps_the_next_batches_on_the_device_ahead_of_the_consumer():
    placed = []

    def place(batch):
        placed.append(batch)
        return jnp.asarray(batch)

    received = []
    for i, batch in enumerate(dist.prefetch_to_device(range(6), size=2, place=place)):
        # When step i starts, batches i+1 and i+2 are already on their way.
        assert placed[-1] == min(i + 2, 5)
        received.append(int(batch))
    assert received == list(range(6)) and placed == list(range(6))
    assert list(dist.prefetch_to_device([], size=3)) == []
    lazy = dist.prefetch_to_device(iter(range(100)), size=1, place=place)
    placed.clear()
    next(lazy)
    assert placed == [0, 1]  # bounded lookahead: nothing more was read
    with pytest.raises(ValueError, match="at least 1"):
        list(dist.prefetch_to_device(range(3), size=0))


@pytest.mark.parametrize("steps_per_execution", [1, 2])
def test_fit_reads_a_generator_at_most_two_groups_ahead(steps_per_execution):
    # Steps 0..3 ran; at most two more groups (batches 4-5, or 4-7 in pairs) may be
    # prefetched (on a CPU backend without a distribution nothing is read ahead).
    pulled = []

    def batches():
        for i in range(100):
            pulled.append(i)
            yield np.full((4, 2), float(i), "float32"), np.zeros((4, 1), "float32")

    class Linear(lx.Model):
        def __init__(self):
            super().__init__()
            self.dense = lx.layers.Dense(1)

        def call(self, x):
            return self.dense(x)

    class Stop(lx.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            self.seen = (batch, len(pulled))
            if batch == 3:
                self.model.stop_training = True

    model = Linear()
    model.compile(optimizer="sgd", loss="mse", steps_per_execution=steps_per_execution)
    stop = Stop()
    model.fit(batches(), steps_per_epoch=50, epochs=1, verbose=0, callbacks=[stop])
    last_step, pulled_then = stop.seen
    assert last_step == 3
    assert 4 <= pulled_then <= 4 + 2 * steps_per_execution


def test_initialize_passes_the_coordinator_to_jax(monkeypatch):
    calls = []
    monkeypatch.setattr(jax.distributed, "initialize", lambda **kw: calls.append(kw))
    dist.initialize("10.0.0.1:1234,10.0.0.2:2345", num_processes=2, process_id=1)
    monkeypatch.setenv("KERAS_DISTRIBUTION_JOB_ADDRESSES", "10.0.0.9:99")
    monkeypatch.setenv("KERAS_DISTRIBUTION_NUM_PROCESSES", "4")
    monkeypatch.setenv("KERAS_DISTRIBUTION_PROCESS_ID", "3")
    dist.initialize()
    assert calls == [
        {"coordinator_address": "10.0.0.1:1234", "num_processes": 2, "process_id": 1},
        {"coordinator_address": "10.0.0.9:99", "num_processes": 4, "process_id": 3},
    ]
    assert dist.process_id() == 0 and dist.num_processes() == 1
