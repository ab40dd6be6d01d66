"""compile/fit/evaluate/predict against hand-written JAX + optax references."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import layerax as lx
from tests.helpers import assert_close, keras

RNG = np.random.default_rng(0)
X = RNG.normal(size=(50, 4)).astype("float32")
Y = (X @ RNG.normal(size=(4, 1)) + 0.1).astype("float32")
LABELS = (X[:, 0] > 0).astype("int32") + (X[:, 1] > 0).astype("int32")


class MLP(lx.Model):
    def __init__(self, out=1, **kwargs):
        super().__init__(**kwargs)
        self.hidden = lx.layers.Dense(8, activation="tanh")
        self.out = lx.layers.Dense(out)

    def call(self, x):
        return self.out(self.hidden(x))


def build(out=1):
    model = MLP(out)
    model(X[:1])
    return model


def reference_train(params, batches, epochs, lr):
    tx = optax.adam(lr, eps=1e-7)
    state = tx.init(params)

    def loss_fn(p, x, y):
        pred = jnp.tanh(x @ p[0] + p[1]) @ p[2] + p[3]
        return jnp.mean((pred - y) ** 2)

    step = jax.jit(jax.value_and_grad(loss_fn))
    for _ in range(epochs):
        for x, y in batches:
            _, grads = step(params, x, y)
            updates, state = tx.update(grads, state, params)
            params = optax.apply_updates(params, updates)
    return params


def test_fit_matches_hand_written_optax_loop_with_partial_batch():
    model = build()
    params = [jnp.asarray(v.numpy()) for v in model.trainable_variables]
    model.compile(optimizer=lx.optimizers.Adam(0.01), loss="mse")
    history = model.fit(X, Y, batch_size=16, epochs=3, shuffle=False, verbose=0)
    batches = [(X[i : i + 16], Y[i : i + 16]) for i in range(0, 50, 16)]
    expected = reference_train(params, batches, 3, 0.01)
    assert_close([v.value for v in model.trainable_variables], expected, rtol=1e-4, atol=1e-5)
    assert sorted(history.history) == ["loss"] and len(history.history["loss"]) == 3
    assert model.history is history
    # One discovery trace, then one compiled shape for full batches and one for the last batch.
    assert model._lx_state().functions["train"].trace_count <= 3


def test_steps_per_execution_gives_the_same_weights():
    a, b = build(), build()
    b.set_weights(a.get_weights())
    a.compile(optimizer=lx.optimizers.SGD(0.05), loss="mse")
    b.compile(optimizer=lx.optimizers.SGD(0.05), loss="mse", steps_per_execution=4)
    ha = a.fit(X, Y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    hb = b.fit(X, Y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    assert_close([v.value for v in b.weights], [v.value for v in a.weights], rtol=1e-5, atol=1e-6)
    assert_close(hb.history["loss"], ha.history["loss"], rtol=1e-5)
    assert int(b.optimizer.iterations.value) == 14


def test_steps_per_execution_in_evaluate_and_predict():
    # 50 samples in batches of 7: groups of 3 compiled steps, then the remaining full batch
    # and the partial one; every output row comes back, in order.
    model = build(out=3)
    model.compile(optimizer="sgd", loss=lx.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"], steps_per_execution=3)
    logits = np.asarray(model(X))
    preds = model.predict(X, batch_size=7, verbose=0)
    assert preds.shape == (50, 3)
    assert_close(preds, logits, rtol=1e-5, atol=1e-6)
    probs = np.exp(logits - logits.max(1, keepdims=True))
    probs /= probs.sum(1, keepdims=True)
    ce = -np.log(probs[np.arange(50), LABELS]).mean()
    acc = (logits.argmax(1) == LABELS).mean()
    assert_close(model.evaluate(X, LABELS, batch_size=7, verbose=0), [ce, acc], rtol=1e-5)
    seen = []

    class LastOutputs(lx.callbacks.Callback):
        def on_predict_batch_end(self, batch, logs=None):
            seen.append((batch, np.asarray(logs["outputs"])))

    model.predict(X[:21], batch_size=7, verbose=0, callbacks=[LastOutputs()])
    assert [b for b, _ in seen] == [2]  # one call of three steps: the last step's outputs
    assert_close(seen[0][1], logits[14:21], rtol=1e-5, atol=1e-6)


def test_evaluate_and_predict_match_numpy():
    model = build(out=3)
    model.compile(optimizer="sgd", loss=lx.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    logits = np.asarray(model(X))
    probs = np.exp(logits - logits.max(1, keepdims=True))
    probs /= probs.sum(1, keepdims=True)
    ce = -np.log(probs[np.arange(50), LABELS]).mean()
    acc = (logits.argmax(1) == LABELS).mean()
    loss, accuracy = model.evaluate(X, LABELS, batch_size=7, verbose=0)
    assert_close([loss, accuracy], [ce, acc], rtol=1e-5)
    logs = model.evaluate(X, LABELS, batch_size=50, verbose=0, return_dict=True)
    assert sorted(logs) == ["accuracy", "loss"]
    preds = model.predict(X, batch_size=16, verbose=0)
    assert isinstance(preds, np.ndarray) and preds.shape == (50, 3)
    assert_close(preds, logits, rtol=1e-5, atol=1e-6)


def test_validation_split_and_validation_data():
    model = build()
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    history = model.fit(X, Y, batch_size=10, epochs=2, validation_split=0.2, verbose=0)
    assert sorted(history.history) == ["loss", "mae", "val_loss", "val_mae"]
    val_loss = model.evaluate(X[40:], Y[40:], verbose=0)[0]
    assert_close(history.history["val_loss"][-1], val_loss, rtol=1e-5)
    history = model.fit(X[:40], Y[:40], epochs=1, validation_data=(X[40:], Y[40:]), verbose=0)
    assert "val_loss" in history.history
    with pytest.raises(ValueError, match="validation_split"):
        model.fit(X, Y, validation_split=1.5, verbose=0)


def test_add_loss_and_regularizers_join_the_training_loss():
    class Penalised(MLP):
        def call(self, x):
            out = super().call(x)
            self.add_loss(0.5 * jnp.mean(out**2))
            return out

    model = Penalised()
    model(X[:1])
    model.compile(optimizer="sgd", loss="mse")
    pred = np.asarray(model(X))
    expected = np.mean((pred - Y) ** 2) + 0.5 * np.mean(pred**2)
    assert_close(model.evaluate(X, Y, batch_size=50, verbose=0), expected, rtol=1e-5)


def test_sample_weight_and_class_weight():
    model = build(out=3)
    model.compile(optimizer="sgd", loss=lx.losses.SparseCategoricalCrossentropy(from_logits=True))
    weights = np.where(LABELS == 0, 2.0, 0.5).astype("float32")
    unweighted = lx.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="none")(LABELS, model(X))
    expected = float(np.sum(np.asarray(unweighted) * weights) / 50)
    assert_close(model.evaluate(X, LABELS, sample_weight=weights, batch_size=50, verbose=0), expected, rtol=1e-5)
    a, b = build(out=3), build(out=3)
    b.set_weights(a.get_weights())
    for m in (a, b):
        m.compile(optimizer=lx.optimizers.SGD(0.1), loss=lx.losses.SparseCategoricalCrossentropy(from_logits=True))
    a.fit(X, LABELS, class_weight={0: 2.0, 1: 0.5, 2: 0.5}, shuffle=False, epochs=1, verbose=0)
    b.fit(X, LABELS, sample_weight=weights, shuffle=False, epochs=1, verbose=0)
    assert_close([v.value for v in a.weights], [v.value for v in b.weights], rtol=1e-6)


def test_generator_and_pydataset_inputs():
    def gen():
        while True:
            for i in range(0, 50, 10):
                yield X[i : i + 10], Y[i : i + 10]

    a, b, c = build(), build(), build()
    b.set_weights(a.get_weights())
    c.set_weights(a.get_weights())
    for m in (a, b, c):
        m.compile(optimizer=lx.optimizers.SGD(0.05), loss="mse")
    a.fit(X, Y, batch_size=10, epochs=2, shuffle=False, verbose=0)
    b.fit(gen(), steps_per_epoch=5, epochs=2, verbose=0)

    class Batches(lx.utils.PyDataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return X[10 * i : 10 * i + 10], Y[10 * i : 10 * i + 10]

    c.fit(Batches(workers=2), epochs=2, shuffle=False, verbose=0)
    assert_close([v.value for v in b.weights], [v.value for v in a.weights], rtol=1e-6)
    assert_close([v.value for v in c.weights], [v.value for v in a.weights], rtol=1e-6)
    with pytest.raises(ValueError, match="ran out of data"):
        b.fit(iter([(X[:10], Y[:10])]), steps_per_epoch=3, verbose=0)


def test_callbacks_see_current_weights_and_can_stop_training():
    model = build()
    model.compile(optimizer=lx.optimizers.SGD(0.01), loss="mse")
    seen = []

    class Recorder(lx.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append(self.model.get_weights()[0].copy())
            if epoch == 1:
                self.model.stop_training = True

    history = model.fit(X, Y, epochs=10, verbose=0, callbacks=[Recorder()])
    assert len(history.history["loss"]) == 2 and len(seen) == 2
    np.testing.assert_array_equal(seen[-1], model.get_weights()[0])
    early = lx.callbacks.EarlyStopping(monitor="loss", patience=0, min_delta=1e9)
    # As in Keras: the first epoch always improves on the initial best, the second cannot.
    assert len(model.fit(X, Y, epochs=10, verbose=0, callbacks=[early]).history["loss"]) == 2


def test_on_batch_methods_and_run_eagerly():
    a, b = build(), build()
    b.set_weights(a.get_weights())
    a.compile(optimizer=lx.optimizers.SGD(0.1), loss="mse")
    b.compile(optimizer=lx.optimizers.SGD(0.1), loss="mse", run_eagerly=True)
    la = a.train_on_batch(X[:10], Y[:10])
    lb = b.train_on_batch(X[:10], Y[:10])
    assert_close(la, lb, rtol=1e-6)
    assert_close([v.value for v in a.weights], [v.value for v in b.weights], rtol=1e-6)
    assert_close(a.test_on_batch(X[:10], Y[:10]), np.mean((np.asarray(a(X[:10])) - Y[:10]) ** 2), rtol=1e-5)
    assert_close(a.predict_on_batch(X[:3]), a(X[:3]), rtol=1e-6)


def test_custom_train_step_with_gradient_tape_is_compiled():
    class TapeModel(MLP):
        def train_step(self, data):
            x, y = data[0], data[1]
            with lx.GradientTape() as tape:
                loss = jnp.mean((self(x, training=True) - y) ** 2)
            grads = tape.gradient(loss, self.trainable_variables)
            self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
            return {"loss": loss}

    model = TapeModel()
    model(X[:1])
    params = [jnp.asarray(v.numpy()) for v in model.trainable_variables]
    model.compile(optimizer=lx.optimizers.Adam(0.01))
    model.fit(X, Y, batch_size=25, epochs=2, shuffle=False, verbose=0)
    expected = reference_train(params, [(X[:25], Y[:25]), (X[25:], Y[25:])], 2, 0.01)
    assert_close([v.value for v in model.trainable_variables], expected, rtol=1e-4, atol=1e-5)
    assert model._lx_state().functions["train"].trace_count == 2


def test_multi_output_losses_and_weights():
    class TwoHeads(lx.Model):
        def __init__(self):
            super().__init__()
            self.a = lx.layers.Dense(1)
            self.b = lx.layers.Dense(2)

        def call(self, x):
            return [self.a(x), self.b(x)]

    model = TwoHeads()
    model(X[:1])
    y2 = np.stack([Y[:, 0], -Y[:, 0]], 1)
    model.compile(optimizer="sgd", loss=["mse", "mae"], loss_weights=[1.0, 0.5])
    pa, pb = (np.asarray(p) for p in model(X))
    mse, mae = np.mean((pa - Y) ** 2), np.mean(np.abs(pb - y2))
    # The total, then each output's unweighted loss (Keras' `<output>_loss` trackers).
    assert_close(model.evaluate(X, [Y, y2], batch_size=50, verbose=0), [mse + 0.5 * mae, mse, mae], rtol=1e-5)
    with pytest.raises(ValueError, match="2 outputs"):
        model.evaluate(X, Y, verbose=0)
    # Undeclared output names: Keras names each tracked loss after the loss itself.
    k = keras()

    class KerasHeads(k.Model):
        def __init__(self):
            super().__init__()
            self.a, self.b = k.layers.Dense(1), k.layers.Dense(2)

        def call(self, x):
            return [self.a(x), self.b(x)]

    theirs = KerasHeads()
    theirs(X[:1])
    theirs.compile(optimizer="sgd", loss=["mse", "mae"], loss_weights=[1.0, 0.5])
    ours_logs = model.evaluate(X, [Y, y2], verbose=0, return_dict=True)
    assert sorted(ours_logs) == sorted(theirs.evaluate(X, [Y, y2], verbose=0, return_dict=True))


def test_errors():
    model = build()
    with pytest.raises(RuntimeError, match="compile"):
        model.fit(X, Y, verbose=0)
    model.compile(loss="mse")
    with pytest.raises(ValueError, match="cardinality"):
        model.fit(X, Y[:10], verbose=0)
    with pytest.raises(ValueError, match="steps_per_execution"):
        model.compile(steps_per_execution=0)


def test_metrics_reset_between_evaluations_and_epochs():
    # From the second reset on, metrics with the base reset_state are reset in one compiled
    # call; a metric with its own reset_state is still reset by it.
    class CountingMAE(lx.metrics.MeanAbsoluteError):
        resets = 0

        def reset_state(self):
            CountingMAE.resets += 1
            super().reset_state()

    model = build()
    model.compile(optimizer="sgd", loss="mse", metrics=["mae", CountingMAE(name="counted")])
    pred = np.asarray(model(X))
    for part in [slice(0, 20), slice(20, 50), slice(0, 20)]:
        mse, mae = np.mean((pred[part] - Y[part]) ** 2), np.mean(np.abs(pred[part] - Y[part]))
        logs = model.evaluate(X[part], Y[part], batch_size=7, verbose=0)
        assert_close(logs, [mse, mae, mae], rtol=1e-5)
    # The compiled metrics exist from the first step on: the two later evaluations reset them.
    assert model._lx_state().functions["reset"].trace_count >= 1 and CountingMAE.resets == 2
    history = model.fit(X, Y, batch_size=10, epochs=3, shuffle=False, verbose=0)
    assert CountingMAE.resets == 5
    # Each epoch's logs average that epoch only: a carried-over state would differ from "mae".
    assert_close(history.history["counted"], history.history["mae"], rtol=1e-6)
    last = model.evaluate(X, Y, batch_size=50, verbose=0)
    pred = np.asarray(model(X))
    assert_close(last, [np.mean((pred - Y) ** 2)] + [np.mean(np.abs(pred - Y))] * 2, rtol=1e-5)


def test_batch_hooks_run_only_when_a_callback_has_them():
    from layerax.callbacks import CallbackList

    calls = []

    class Legacy(lx.callbacks.Callback):
        def on_batch_begin(self, batch, logs=None):
            calls.append(("begin", batch))

        def on_train_batch_end(self, batch, logs=None):
            calls.append(("end", batch, round(float(logs["loss"]), 6)))

    for spe, expected in [(1, [0, 1, 2, 3, 4]), (3, [2, 4])]:
        calls.clear()
        model = build()
        model.compile(optimizer="sgd", loss="mse", steps_per_execution=spe)
        history = model.fit(X, Y, batch_size=10, epochs=1, shuffle=False, verbose=0, callbacks=[Legacy()])
        assert [c[1] for c in calls if c[0] == "end"] == expected
        assert [c[1] for c in calls if c[0] == "begin"] == [0] + [b + 1 for b in expected[:-1]]
        assert calls[-1][2] == round(history.history["loss"][-1], 6)
    # History, EarlyStopping: nothing per batch, so fit skips the calls; a progress bar has some.
    assert not CallbackList([lx.callbacks.EarlyStopping()], add_history=True).has_train_batch_hooks()
    assert CallbackList([Legacy()], add_history=True).has_train_batch_hooks()
    assert CallbackList(None, add_progbar=True, verbose=1, epochs=1, steps=1).has_train_batch_hooks()


def two_heads(api, seed_weights=None):
    inputs = api.Input(shape=(4,), name="features")
    hidden = api.layers.Dense(3, activation="tanh", name="hidden")(inputs)
    model = api.Model(
        inputs,
        [api.layers.Dense(1, name="priority")(hidden), api.layers.Dense(3, name="department")(hidden)],
    )
    if seed_weights is not None:
        model.set_weights(seed_weights)
    model.compile(
        optimizer=api.optimizers.SGD(0.1),
        loss={"priority": "mse", "department": api.losses.CategoricalCrossentropy(from_logits=True)},
        loss_weights={"priority": 1.0, "department": 0.2},
        metrics={"department": ["accuracy"]},
    )
    return model


def test_multi_output_logs_track_each_loss_like_keras():
    k = keras()
    theirs = two_heads(k)
    ours = two_heads(lx, theirs.get_weights())
    rng = np.random.default_rng(3)
    x = rng.normal(size=(24, 4)).astype("float32")
    y = {"priority": rng.normal(size=(24, 1)).astype("float32"),
         "department": np.eye(3, dtype="float32")[rng.integers(0, 3, 24)]}
    fit = dict(batch_size=8, epochs=2, shuffle=False, verbose=0)
    h_ours, h_theirs = ours.fit(x, y, **fit).history, theirs.fit(x, y, **fit).history
    assert sorted(h_ours) == sorted(h_theirs) == ["department_accuracy", "department_loss", "loss", "priority_loss"]
    for key in h_theirs:
        assert_close(h_ours[key], h_theirs[key], rtol=1e-4, atol=1e-6)
    assert ours.metrics_names == theirs.metrics_names
    # evaluate's list: loss, the per-output losses, then the prefixed metrics (Keras' order).
    assert_close(ours.evaluate(x, y, verbose=0), theirs.evaluate(x, y, verbose=0), rtol=1e-4, atol=1e-6)


def test_multi_output_logs_each_loss_like_keras():
    from tests.helpers import keras

    rng = np.random.default_rng(3)
    x = [rng.normal(size=(24, 4)).astype("float32"), rng.normal(size=(24, 3)).astype("float32")]
    y = [rng.normal(size=(24, 1)).astype("float32"), rng.random(size=(24, 5)).astype("float32")]
    weights = None
    results = {}
    for lib in (lx, keras()):
        a, b = lib.Input((4,), name="a"), lib.Input((3,), name="b")
        joined = lib.layers.Concatenate()([a, b])
        model = lib.Model([a, b], [lib.layers.Dense(1, name="score")(joined),
                                   lib.layers.Dense(5, activation="softmax", name="label")(joined)])
        weights = weights or model.get_weights()
        model.set_weights(weights)
        model.compile(optimizer=lib.optimizers.SGD(0.1), loss=["mse", "categorical_crossentropy"],
                      loss_weights=[2.0, 1.0], metrics=[["mae"], []])
        history = model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
        logs = model.evaluate(x, y, batch_size=8, verbose=0, return_dict=True)
        results[lib.__name__] = (model.metrics_names, history.history, logs)
        # A single loss (the other output has None) logs no per-output loss.
        model.compile(optimizer="sgd", loss=[None, "categorical_crossentropy"])
        assert "label_loss" not in model.fit(x, y, epochs=1, verbose=0).history, lib.__name__
    ours, theirs = results["layerax"], results["keras"]
    assert ours[0] == theirs[0] == ["loss", "compile_metrics", "score_loss", "label_loss"]
    assert sorted(ours[1]) == sorted(theirs[1])
    assert_close([ours[1][k] for k in sorted(theirs[1])], [theirs[1][k] for k in sorted(theirs[1])], rtol=1e-4)
    assert_close({k: ours[2][k] for k in theirs[2]}, theirs[2], rtol=1e-4)


def test_compiling_again_without_loss_or_metrics_keeps_them_like_keras():
    from tests.helpers import keras

    rng = np.random.default_rng(4)
    x, y = rng.normal(size=(16, 3)).astype("float32"), rng.normal(size=(16, 2)).astype("float32")
    weights, results = None, {}
    for lib in (lx, keras()):
        inputs = lib.Input((3,))
        model = lib.Model(inputs, lib.layers.Dense(2)(inputs))
        weights = weights or model.get_weights()
        model.set_weights(weights)
        model.compile(optimizer=lib.optimizers.SGD(0.1), loss="mse", metrics=["mae"])
        first = model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0).history
        model.compile(optimizer=lib.optimizers.SGD(0.1))  # no loss, no metrics
        second = model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0).history
        results[lib.__name__] = (first, second)
    for ours, theirs in zip(results["layerax"], results["keras"]):
        assert sorted(ours) == sorted(theirs) == ["loss", "mae"]
        assert_close([ours[k] for k in sorted(ours)], [theirs[k] for k in sorted(theirs)], rtol=1e-5)


@pytest.mark.parametrize("spe, body", [(1, "auto"), (4, "loop")])
def test_fit_without_batch_hooks_calls_the_step_directly_and_trains_alike(monkeypatch, spe, body):
    from layerax.trainers import loops

    class EveryBatch(lx.callbacks.Callback):  # a batch hook: the loop with the per-step calls
        def on_train_batch_end(self, batch, logs=None):
            pass

    start = build()
    params = [jnp.asarray(v.numpy()) for v in start.trainable_variables]
    histories, trained = [], []
    for callbacks in ([], [EveryBatch()]):
        calls = []
        original = loops.execute_steps
        monkeypatch.setattr(loops, "execute_steps", lambda *a, o=original: calls.append(1) or o(*a))
        model = build()
        model.set_weights(start.get_weights())
        model.compile(optimizer=lx.optimizers.Adam(0.01), loss="mse", steps_per_execution=spe)
        model.multi_step_body = body
        history = model.fit(X, Y, batch_size=10, epochs=2, shuffle=False, verbose=0,
                            callbacks=callbacks)
        monkeypatch.setattr(loops, "execute_steps", original)
        histories.append(history.history["loss"])
        trained.append([v.value for v in model.trainable_variables])
        # Direct calls without batch hooks; the group machinery with them.
        assert (len(calls) == 0) == (not callbacks)
    assert_close(histories[0], histories[1], rtol=1e-6)
    batches = [(X[i : i + 10], Y[i : i + 10]) for i in range(0, 50, 10)]
    expected = reference_train(params, batches, 2, 0.01)
    for weights in trained:
        assert_close(weights, expected, rtol=1e-4, atol=1e-5)
