"""fit's loop over in-memory arrays without batch callbacks (`steps.direct_steps`, flat path).

The loop hands the state's buffers from one compiled call to the next and writes them to the
variables when the epoch ends. These tests compare it with the per-batch loop (a batch hook
forces it) and with a hand-written optax loop, and check the buffer protocol around it:
arrays handed out by `variable.value` stay valid, an error mid-epoch leaves the variables
holding the steps that ran, and a step that needs more state on a new shape retraces.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import layerax as lx
from layerax.trainers import data_adapters, steps
from tests.helpers import assert_close

RNG = np.random.default_rng(3)
X = RNG.normal(size=(45, 4)).astype("float32")
Y = (X @ RNG.normal(size=(4, 1)) + 0.1).astype("float32")
W = RNG.uniform(0.5, 2.0, size=(45,)).astype("float32")


class SeedOf(lx.callbacks.Callback):
    """Reads fit's shuffle seed (no batch hook)."""

    def on_train_begin(self, logs=None):
        self.seed = self.params["shuffle_seed"]


class EveryBatch(lx.callbacks.Callback):
    """A batch hook: fit then runs its per-batch loop."""

    def on_train_batch_end(self, batch, logs=None):
        pass


def build(seed=0):
    lx.utils.set_random_seed(seed)
    model = lx.Sequential([lx.Input((4,)), lx.layers.Dense(8, activation="tanh"), lx.layers.Dense(1)])
    model.compile(optimizer=lx.optimizers.Adam(0.01), loss="mse")
    return model


def hand_written(params, batches, lr=0.01):
    """Adam on the same MLP; `batches` are (x, y, sample_weight or None), Keras' weighted mean."""
    tx = optax.adam(lr, eps=1e-7)
    state = tx.init(params)

    def loss_fn(p, x, y, w):
        err = jnp.mean((jnp.tanh(x @ p[0] + p[1]) @ p[2] + p[3] - y) ** 2, axis=-1)
        return jnp.mean(err) if w is None else jnp.sum(err * w) / x.shape[0]

    grad = jax.jit(jax.grad(loss_fn))
    for x, y, w in batches:
        updates, state = tx.update(grad(params, x, y, w), state, params)
        params = optax.apply_updates(params, updates)
    return params


def uses_flat_loop(monkeypatch):
    """Records whether fit took the flat loop (`ArrayAdapter.flat_epoch`) in each epoch."""
    seen = []
    original = data_adapters.ArrayAdapter.flat_epoch

    def flat_epoch(self, epoch):
        out = original(self, epoch)
        seen.append(out is not None)
        return out

    monkeypatch.setattr(data_adapters.ArrayAdapter, "flat_epoch", flat_epoch)
    return seen


@pytest.mark.parametrize("weighted", [False, True])
def test_flat_loop_trains_as_the_per_batch_loop_and_a_hand_written_loop(monkeypatch, weighted):
    seen = uses_flat_loop(monkeypatch)
    kwargs = {"sample_weight": W} if weighted else {}
    params = [jnp.asarray(v.numpy()) for v in build().trainable_variables]
    results, seeds = [], []
    for callbacks in ([SeedOf()], [SeedOf(), EveryBatch()]):
        model = build()
        history = model.fit(X, Y, batch_size=10, epochs=3, shuffle=True, verbose=0,
                            callbacks=callbacks, **kwargs)
        results.append((history.history["loss"], [v.numpy() for v in model.trainable_variables]))
        seeds.append(callbacks[0].seed)
    assert seeds[0] == seeds[1]
    assert seen == [True] * 3  # the per-batch loop never asks for flat batches
    # The same batches (shuffled alike, a partial last one), the same compiled step: equal.
    np.testing.assert_array_equal(results[0][0], results[1][0])
    for ours, theirs in zip(results[0][1], results[1][1]):
        np.testing.assert_array_equal(ours, theirs)
    batches = []
    for epoch in range(3):
        order = np.random.default_rng((seeds[0], epoch)).permutation(45)
        for i in range(0, 45, 10):
            index = order[i:i + 10]
            batches.append((X[index], Y[index], W[index] if weighted else None))
    assert_close(results[0][1], hand_written(params, batches), rtol=1e-4, atol=1e-5)


def test_without_a_runner_each_flat_batch_goes_through_the_step(monkeypatch):
    # Where the entry cannot be run directly, the flat batches still train alike.
    params = [jnp.asarray(v.numpy()) for v in build().trainable_variables]
    monkeypatch.setattr(lx.Function, "_lx_flat_runner", lambda self, args: None)
    model = build()
    model.fit(X, Y, batch_size=10, epochs=2, shuffle=False, verbose=0)
    batches = [(X[i:i + 10], Y[i:i + 10], None) for i in range(0, 45, 10)] * 2
    assert_close([v.numpy() for v in model.trainable_variables], hand_written(params, batches),
                 rtol=1e-4, atol=1e-5)
    assert int(np.asarray(model.optimizer.iterations)) == 10


def test_arrays_handed_out_before_fit_stay_valid(monkeypatch):
    seen = uses_flat_loop(monkeypatch)
    model = build()
    model.fit(X, Y, batch_size=9, epochs=1, shuffle=False, verbose=0)
    held = [v.value for v in model.variables]  # the fit below must not delete these
    copies = [np.array(a) for a in held]
    slot_variable = next(v for v in model.optimizer.variables if tuple(v.shape) == (4, 8))
    state = slot_variable.value  # an Adam slot, donated by each step
    slot = np.array(state)
    model.fit(X, Y, batch_size=9, epochs=2, shuffle=False, verbose=0)
    assert seen == [True] * 3
    for array, copy in zip(held + [state], copies + [slot]):
        assert not array.is_deleted()
        np.testing.assert_array_equal(np.asarray(array), copy)
    changed = [not np.array_equal(v.numpy(), c) for v, c in zip(model.trainable_variables, copies)]
    assert all(changed)
    # The variables own their new buffers again: a third fit donates them, no copy needed.
    assert all(v._owns_buffer for v in model.trainable_variables)


def test_a_value_read_and_dropped_is_donated_and_a_numpy_view_is_kept(monkeypatch):
    import importlib

    function_module = importlib.import_module("layerax.function")
    copied = []
    original = function_module._copy_buffers
    monkeypatch.setattr(function_module, "_copy_buffers",
                        lambda arrays: copied.append(len(arrays)) or original(arrays))
    model = build()
    model.fit(X, Y, batch_size=9, epochs=1, shuffle=False, verbose=0)
    copied.clear()
    norms = [float(jnp.linalg.norm(v.value)) for v in model.trainable_variables]  # read, dropped
    assert all(not v._owns_buffer for v in model.trainable_variables)
    model.fit(X, Y, batch_size=9, epochs=1, shuffle=False, verbose=0)
    assert copied == [] and all(np.isfinite(norms))  # nothing held them: donated, no copy
    view = np.asarray(model.trainable_variables[0].value)  # a numpy view of the buffer
    before = view.copy()
    model.fit(X, Y, batch_size=9, epochs=1, shuffle=False, verbose=0)
    assert copied == [1]  # the viewed kernel only
    np.testing.assert_array_equal(view, before)
    assert not np.array_equal(model.trainable_variables[0].numpy(), before)


def test_an_error_mid_epoch_leaves_the_steps_that_ran_in_the_variables(monkeypatch):
    start = build()
    params = [jnp.asarray(v.numpy()) for v in start.trainable_variables]
    original = data_adapters.ArrayAdapter._flat_batches

    def three_then_fail(self, epoch, arrays):
        for i, batch in enumerate(original(self, epoch, arrays)):
            if i == 3:
                raise RuntimeError("the data source broke")
            yield batch

    monkeypatch.setattr(data_adapters.ArrayAdapter, "_flat_batches", three_then_fail)
    model = build()
    with pytest.raises(RuntimeError, match="the data source broke"):
        model.fit(X, Y, batch_size=10, epochs=1, shuffle=False, verbose=0)
    for v in model.variables:
        assert not v.value.is_deleted()
    expected = hand_written(params, [(X[i:i + 10], Y[i:i + 10], None) for i in range(0, 30, 10)])
    assert_close([v.numpy() for v in model.trainable_variables], expected, rtol=1e-5, atol=1e-6)
    assert int(np.asarray(model.optimizer.iterations)) == 3
    # Training goes on from there.
    monkeypatch.setattr(data_adapters.ArrayAdapter, "_flat_batches", original)
    model.fit(X, Y, batch_size=10, epochs=1, shuffle=False, verbose=0)
    assert int(np.asarray(model.optimizer.iterations)) == 8


class ExtraOnPartialBatch(lx.Model):
    """A train step that reads one more variable for a short batch than for a full one."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense = lx.layers.Dense(1)
        self.short_batches = lx.Variable(0.0, trainable=False)

    def call(self, x):
        return self.dense(x)

    def train_step(self, data):
        x, y = data
        with lx.GradientTape() as tape:
            loss = jnp.mean((self(x, training=True) - y) ** 2)
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        if x.shape[0] < 10:  # a static shape: only the last batch's trace touches it
            self.short_batches.assign(self.short_batches + 1.0)
        return {"loss": loss}


def test_a_step_that_needs_more_state_on_a_new_shape_retraces_inside_the_loop(monkeypatch):
    seen = uses_flat_loop(monkeypatch)
    model = ExtraOnPartialBatch()
    model(X[:1])
    model.compile(optimizer=lx.optimizers.SGD(0.1))
    model.fit(X, Y, batch_size=10, epochs=2, shuffle=False, verbose=0)
    assert seen == [True, True]
    assert float(model.short_batches.numpy()) == 2.0  # once per epoch, from the 5-row batch
    assert int(np.asarray(model.optimizer.iterations)) == 10


def test_flat_runner_runs_each_item_as_a_call_would():
    total = lx.Variable(0.0)
    calls = lx.Variable(0, dtype="int32")

    @lx.function
    def step(batch):
        x, w = batch
        total.assign(total + jnp.sum(x * w))
        calls.assign(calls + 1)
        return jnp.sum(x)

    items = [(np.full((3,), float(i), "float32"), np.float32(2.0) * np.ones((3,), "float32"))
             for i in range(5)]
    first = step(items[0])
    runner = step._lx_flat_runner((items[0],))
    last, count = runner(iter([list(b) for b in items[1:]]))
    assert count == 4 and float(last) == 12.0 and float(first) == 0.0
    assert float(total.numpy()) == sum(2.0 * 3 * i for i in range(5))
    assert int(calls.numpy()) == 5
    assert runner(iter([])) == (None, 0)
    # Where a call would not run the compiled entry, there is no runner.
    with lx.GradientTape():
        assert step._lx_flat_runner((items[0],)) is None
    lx.config.run_functions_eagerly(True)
    try:
        assert step._lx_flat_runner((items[0],)) is None
    finally:
        lx.config.run_functions_eagerly(False)
    assert step._lx_flat_runner(({"x": items[0][0]},)) is None  # not arrays, tuples or lists


def test_non_array_inputs_keep_the_per_batch_call():
    inputs = lx.Input((4,), name="x")
    model = lx.Model({"x": inputs}, lx.layers.Dense(1)(inputs))
    model.compile(optimizer="sgd", loss="mse")
    adapter = data_adapters.get_adapter({"x": X}, Y, batch_size=10)
    assert adapter.flat_epoch(0) is None
    history = model.fit({"x": X}, Y, batch_size=10, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    run = steps.direct_steps(model, "train", adapter, 0)
    logs, count = run()
    assert count == 5 and np.isfinite(float(logs["loss"]))
