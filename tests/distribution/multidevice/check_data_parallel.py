"""DataParallel on 8 devices against the same program on one device."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import layerax as lx
from layerax.core import naming, placement

N_DEVICES = 8


class Net(lx.Model):
    """Dense + BatchNormalization + Dropout: global batch statistics and random masks matter."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.hidden = lx.layers.Dense(32, activation="relu")
        self.norm = lx.layers.BatchNormalization(momentum=0.8)
        self.drop = lx.layers.Dropout(0.25, seed=3)
        self.out = lx.layers.Dense(4)

    def call(self, x, training=None):
        h = self.norm(self.hidden(x), training=training)
        return self.out(self.drop(h, training=training))


def _spec(array):
    """The partition spec, one entry per dimension (JAX may drop trailing Nones)."""
    spec = tuple(array.sharding.spec)
    return spec + (None,) * (array.ndim - len(spec))


def _data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 6)).astype("float32")
    y = rng.integers(0, 4, size=64)
    return x, y


def _train(distribution, steps_per_execution, multi_step_body="auto"):
    x, y = _data()
    naming.reset_uids()
    lx.utils.set_random_seed(7)
    scope = distribution.scope() if distribution is not None else _nullscope()
    with scope:
        model = Net()
        model.compile(optimizer=lx.optimizers.SGD(0.1, momentum=0.9),
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"],
                      steps_per_execution=steps_per_execution)
        model.multi_step_body = multi_step_body
        history = model.fit(x, y, batch_size=16, epochs=2, verbose=0)
        # 68 rows in batches of 16: the last batch has 4 rows, which 8 devices cannot
        # split evenly; it runs replicated.
        predictions = model.predict(np.concatenate([x, x[:4]]), batch_size=16, verbose=0)
        evaluation = model.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    return {"model": model, "history": history.history, "predictions": predictions,
            "evaluation": evaluation}


class _nullscope:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None


@pytest.fixture(scope="module")
def runs():
    single = _train(None, steps_per_execution=1)
    # steps_per_execution=2 as a scan also covers stacked batches split along axis 1.
    parallel = _train(lx.distribution.DataParallel(), steps_per_execution=2, multi_step_body="scan")
    return single, parallel


def test_fit_gives_the_same_weights_as_one_device(runs):
    single, parallel = runs
    names = [v.path for v in single["model"].variables]
    assert names == [v.path for v in parallel["model"].variables]
    for a, b in zip(single["model"].variables, parallel["model"].variables):
        np.testing.assert_allclose(np.asarray(b.value), np.asarray(a.value), rtol=2e-5,
                                   atol=2e-6, err_msg=a.path)
    for key, values in single["history"].items():
        np.testing.assert_allclose(parallel["history"][key], values, rtol=1e-5, atol=1e-6,
                                   err_msg=key)


def test_predict_and_evaluate_match_one_device(runs):
    single, parallel = runs
    assert isinstance(parallel["predictions"], np.ndarray)
    np.testing.assert_allclose(parallel["predictions"], single["predictions"], rtol=1e-5,
                               atol=1e-5)
    for key, value in single["evaluation"].items():
        assert parallel["evaluation"][key] == pytest.approx(value, rel=1e-5, abs=1e-6)


def test_state_is_replicated_on_every_device(runs):
    _, parallel = runs
    model = parallel["model"]
    state = model.variables + model.optimizer.variables + [
        v for m in model.metrics for v in m.variables
    ]
    for var in state:
        sharding = var.value.sharding
        assert isinstance(sharding, jax.sharding.NamedSharding), var.path
        assert len(sharding.device_set) == N_DEVICES, var.path
        assert sharding.is_fully_replicated, var.path
        assert var.dtype == (jnp.uint32 if "seed" in var.path else var.value.dtype)


def test_batches_are_split_along_the_batch_axis():
    x, y = _data()
    with lx.distribution.DataParallel().scope():
        bx, by = lx.distribution.distribute_data((x[:16], y[:16]))
        assert _spec(bx) == ("batch", None)
        assert sorted({s.data.shape for s in bx.addressable_shards}) == [(2, 6)]
        assert {s.data.shape for s in by.addressable_shards} == {(2,)}
        np.testing.assert_array_equal(np.asarray(bx), x[:16])
        stacked = lx.distribution.distribute_data(np.stack([x[:16], x[16:32]]), batch_axis=1)
        assert _spec(stacked) == (None, "batch", None)
        assert {s.data.shape for s in stacked.addressable_shards} == {(2, 2, 6)}
        ragged = lx.distribution.distribute_data(x[:4])
        assert ragged.sharding.is_fully_replicated


def test_compiled_step_splits_inputs_keeps_shardings_and_donates():
    with lx.distribution.DataParallel().scope():
        layer = lx.layers.Dense(8)
        optimizer = lx.optimizers.SGD(0.1)

        @lx.function
        def step(x):
            with lx.GradientTape() as tape:
                out = layer(x)
                loss = jnp.mean(out**2)
            grads = tape.gradient(loss, layer.trainable_variables)
            optimizer.apply_gradients(zip(grads, layer.trainable_variables))
            return out

        x = np.linspace(-1, 1, 16 * 4, dtype="float32").reshape(16, 4)
        out = step(x)
        traces = step.trace_count
        # `_value`: an array obtained through `.value` would be copied, not donated.
        kernel_sharding = layer.kernel._value.sharding
        assert kernel_sharding.is_fully_replicated and len(kernel_sharding.device_set) == 8
        assert _spec(out) == ("batch", None)
        buffer = layer.kernel._value
        step(x)
        # The updated kernel came back with the sharding it went in with, into the
        # donated buffer, and the step did not trace again.
        assert buffer.is_deleted()
        assert layer.kernel.value.sharding == kernel_sharding
        step(x)
        assert step.trace_count == traces
        # An array handed out by `.value` is copied (with its sharding), not donated.
        held = layer.kernel.value
        kept = np.asarray(held)
        step(x)
        assert not held.is_deleted() and held.sharding == kernel_sharding
        np.testing.assert_array_equal(np.asarray(held), kept)
        assert layer.kernel._value.sharding == kernel_sharding and layer.kernel._owns_buffer
        assert not np.array_equal(np.asarray(layer.kernel._value), kept)
        assert step.trace_count == traces


def test_batch_normalization_statistics_cover_the_global_batch():
    # Each device's rows have their own mean (0..7): per-device statistics would differ.
    x = np.repeat(np.arange(8, dtype="float32"), 2)[:, None] * np.ones((1, 3), "float32")
    with lx.distribution.DataParallel().scope():
        norm = lx.layers.BatchNormalization(momentum=0.5)
        out = lx.function(lambda v: norm(v, training=True))(x)
    np.testing.assert_allclose(np.asarray(norm.moving_mean.value), 0.5 * x.mean(0), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(norm.moving_variance.value),
                               0.5 + 0.5 * x.var(0), rtol=1e-5)
    np.testing.assert_allclose(np.asarray(out), (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-3),
                               rtol=1e-4, atol=1e-5)


def test_dropout_masks_differ_per_replica_and_match_one_device():
    x = np.ones((16, 64), "float32")

    def masks(distribution):
        scope = distribution.scope() if distribution is not None else _nullscope()
        with scope:
            drop = lx.layers.Dropout(0.5, seed=11)
            run = lx.function(lambda v: drop(v, training=True))
            return np.asarray(run(x)), np.asarray(run(x))

    single = masks(None)
    parallel = masks(lx.distribution.DataParallel())
    np.testing.assert_array_equal(parallel[0], single[0])
    np.testing.assert_array_equal(parallel[1], single[1])
    assert not np.array_equal(parallel[0], parallel[1])  # the stream advances per step
    first, second = parallel[0][:2], parallel[0][2:4]  # rows of devices 0 and 1
    assert not np.array_equal(first, second)


def test_initial_values_are_drawn_on_the_host_then_sharded(monkeypatch):
    sent = []
    real_put = placement.put

    def spy(value, sharding):
        sent.append((type(value), tuple(np.shape(value)), sharding))
        return real_put(value, sharding)

    monkeypatch.setattr(placement, "put", spy)
    mesh = lx.distribution.DeviceMesh((2, 4), ["batch", "model"])
    layout_map = lx.distribution.LayoutMap(mesh)
    layout_map[".*kernel"] = (None, "model")
    with lx.distribution.ModelParallel(layout_map=layout_map).scope():
        layer = lx.layers.Dense(64, kernel_initializer=lx.initializers.GlorotUniform(seed=5))
        layer.build((None, 32))
    kernel = [s for s in sent if s[1] == (32, 64)]
    assert kernel and all(t is np.ndarray for t, _, _ in kernel)
    assert {s.data.shape for s in layer.kernel.value.addressable_shards} == {(32, 16)}
    reference = lx.initializers.GlorotUniform(seed=5)((32, 64))
    np.testing.assert_array_equal(np.asarray(layer.kernel.value), np.asarray(reference))


def test_assignment_keeps_the_sharding():
    mesh = lx.distribution.DeviceMesh((8,), ["model"])
    layout_map = lx.distribution.LayoutMap(mesh)
    layout_map[".*kernel"] = ("model", None)
    with lx.distribution.ModelParallel(layout_map=layout_map, batch_dim_name="model").scope():
        layer = lx.layers.Dense(3)
        layer.build((None, 16))
    sharding = layer.kernel.value.sharding
    layer.set_weights([np.ones((16, 3), "float32"), np.zeros(3, "float32")])
    assert layer.kernel.value.sharding == sharding
    np.testing.assert_array_equal(np.asarray(layer.kernel.value), np.ones((16, 3)))


def test_mixed_bfloat16_step_keeps_float32_sharded_weights():
    lx.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        with lx.distribution.DataParallel().scope():
            layer = lx.layers.Dense(4)
            optimizer = lx.optimizers.SGD(0.1)

            @lx.function
            def step(x):
                with lx.GradientTape() as tape:
                    out = layer(x)
                    loss = jnp.mean(out.astype("float32") ** 2)
                grads = tape.gradient(loss, layer.trainable_variables)
                optimizer.apply_gradients(zip(grads, layer.trainable_variables))
                return out, grads

            out, grads = step(np.ones((16, 3), "float32"))
    finally:
        lx.mixed_precision.set_global_policy(None)
    assert out.dtype == jnp.bfloat16 and _spec(out) == ("batch", None)
    assert [g.dtype for g in grads] == [jnp.float32, jnp.float32]
    for var in layer.trainable_variables:
        assert var.dtype == jnp.float32
        assert len(var.value.sharding.device_set) == N_DEVICES
