"""EarlyStopping, ModelCheckpoint, LR callbacks, CSVLogger, TerminateOnNaN, LambdaCallback:
effects checked on a fake model driven by a hand-written fit loop, and against Keras 3's
callbacks driven by the same loop."""

from __future__ import annotations

import csv
import os

import jax.numpy as jnp
import numpy as np
import pytest

import layerax as lx
from tests.callbacks.fakes import FakeModel, run_fit
from tests.helpers import keras


def _drive_keras(callback, model, epoch_logs, steps=3):
    """The same hook sequence for a Keras callback (Keras accepts any model object)."""
    callback.set_model(model)
    callback.set_params({"verbose": 0, "epochs": len(epoch_logs), "steps": steps})
    model.stop_training = False
    callback.on_train_begin()
    epochs_run = []
    for epoch, logs in enumerate(epoch_logs):
        callback.on_epoch_begin(epoch)
        for batch in range(steps):
            callback.on_train_batch_begin(batch)
            model.set_weights([np.full_like(w, epoch * 10 + batch) for w in model.get_weights()])
            callback.on_train_batch_end(batch, {"loss": logs.get("loss", 0.0)})
        callback.on_epoch_end(epoch, dict(logs))
        epochs_run.append(epoch)
        if model.stop_training:
            break
    callback.on_train_end()
    return epochs_run


def _val_losses(seed, n=12):
    rng = np.random.default_rng(seed)
    return [{"loss": float(v), "val_loss": float(v + rng.normal(scale=0.05)), "val_accuracy": float(1 - v)}
            for v in np.abs(1.0 / (1 + np.arange(n)) + rng.normal(scale=0.08, size=n))]


# ----------------------------------------------------------- EarlyStopping
EARLY_STOPPING_CASES = [
    {"patience": 0},
    {"patience": 2},
    {"patience": 2, "min_delta": 0.05},
    {"patience": 3, "restore_best_weights": True},
    {"patience": 1, "baseline": 0.3},
    {"patience": 1, "start_from_epoch": 4, "restore_best_weights": True},
    {"monitor": "val_accuracy", "patience": 2, "mode": "max", "restore_best_weights": True},
    {"monitor": "loss", "patience": 1, "mode": "min"},
]


@pytest.mark.parametrize("kwargs", EARLY_STOPPING_CASES, ids=str)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_early_stopping_matches_keras(kwargs, seed):
    k = keras()
    logs = _val_losses(seed)
    ours_model, ref_model = FakeModel(), FakeModel()
    ours = lx.callbacks.EarlyStopping(**kwargs)
    _, ours_epochs = run_fit(ours_model, [ours], logs)
    ref = k.callbacks.EarlyStopping(**kwargs)
    ref_epochs = _drive_keras(ref, ref_model, logs)
    assert ours_epochs == ref_epochs
    assert ours.stopped_epoch == ref.stopped_epoch and ours.best_epoch == ref.best_epoch
    assert ours.best == ref.best and ours.wait == ref.wait
    for a, b in zip(ours_model.get_weights(), ref_model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_early_stopping_stops_and_restores_the_best_weights():
    losses = [1.0, 0.6, 0.5, 0.55, 0.52, 0.51, 0.2]
    model = FakeModel()
    cb = lx.callbacks.EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True)
    cbs, epochs = run_fit(model, [cb], [{"val_loss": v} for v in losses], steps=4)
    assert epochs == [0, 1, 2, 3, 4, 5] and cb.stopped_epoch == 5 and model.stop_training
    assert cb.best == 0.5 and cb.best_epoch == 2
    # Weights at the end of epoch 2 (last batch 3): 2 * 10 + 3.
    assert all(np.all(w == 23) for w in model.get_weights())
    assert cbs.history.history["val_loss"] == losses[:6]
    # Reused for a second fit: the state starts over.
    _, epochs = run_fit(model, [cb], [{"val_loss": v} for v in [3.0, 2.0, 1.0]])
    assert epochs == [0, 1, 2] and cb.stopped_epoch == 0 and cb.best == 1.0


def test_early_stopping_auto_mode_and_missing_monitor():
    assert lx.callbacks.EarlyStopping(monitor="val_accuracy") is not None
    cb = lx.callbacks.EarlyStopping(monitor="val_auc", patience=0)
    _, epochs = run_fit(FakeModel(), [cb], [{"val_auc": 0.5}, {"val_auc": 0.7}, {"val_auc": 0.6}])
    assert epochs == [0, 1, 2] and cb.best == 0.7  # AUC goes up

    class Tracked:
        name = "score"
        _direction = "up"

    model = FakeModel()
    model.metrics = [type("Container", (), {"metrics": [Tracked()]})()]
    cb = lx.callbacks.EarlyStopping(monitor="val_score", patience=0)
    _, epochs = run_fit(model, [cb], [{"val_score": 1.0}, {"val_score": 0.5}])
    assert epochs == [0, 1] and cb.best == 1.0
    with pytest.raises(ValueError, match="cannot tell whether that metric should be maximized"):
        run_fit(FakeModel(), [lx.callbacks.EarlyStopping(monitor="mystery")], [{"mystery": 1.0}])
    with pytest.warns(UserWarning, match="conditioned on metric `val_loss` which is not available"):
        run_fit(FakeModel(), [lx.callbacks.EarlyStopping()], [{"loss": 1.0}])
    with pytest.warns(UserWarning, match="mode 'best' is unknown"):
        lx.callbacks.EarlyStopping(mode="best")


# --------------------------------------------------------- ModelCheckpoint
CHECKPOINT_CASES = [
    {"filepath": "ckpt/model-{epoch:02d}-{val_loss:.2f}.keras"},
    {"filepath": "ckpt/best.keras", "save_best_only": True},
    {"filepath": "ckpt/w-{epoch}.weights.h5", "save_best_only": True, "save_weights_only": True,
     "monitor": "val_accuracy", "mode": "max"},
    {"filepath": "ckpt/w-{epoch}.weights.h5", "save_best_only": True, "save_weights_only": True,
     "monitor": "val_accuracy"},
    {"filepath": "ckpt/b-{epoch}-{batch}.keras", "save_freq": 2},
    {"filepath": "ckpt/t.keras", "save_best_only": True, "initial_value_threshold": 0.3},
]


@pytest.mark.parametrize("kwargs", CHECKPOINT_CASES, ids=str)
def test_model_checkpoint_matches_keras(kwargs, tmp_path):
    k = keras()
    logs = _val_losses(3, n=6)
    kwargs = dict(kwargs, filepath=str(tmp_path / kwargs["filepath"]))
    ours_model, ref_model = FakeModel(), FakeModel()
    run_fit(ours_model, [lx.callbacks.ModelCheckpoint(**kwargs)], logs)
    keras_kwargs = dict(kwargs)
    if kwargs.get("monitor") == "val_accuracy" and "mode" not in kwargs:
        # Keras 3 needs the compiled metric to know accuracy goes up; layerax also
        # knows it from the metric's name (mode="auto" resolves to "max").
        keras_kwargs["mode"] = "max"
    _drive_keras(k.callbacks.ModelCheckpoint(**keras_kwargs), ref_model, logs)
    assert ours_model.saved == ref_model.saved and ours_model.saved
    assert os.path.isdir(tmp_path / "ckpt")


@pytest.mark.parametrize("save_best_only", [True, False])
def test_model_checkpoint_messages_match_keras(save_best_only, tmp_path, capsys):
    logs = [{"val_loss": v} for v in [0.9, 0.95, 0.4]]
    kwargs = {"filepath": str(tmp_path / "m-{epoch}.keras"), "save_best_only": save_best_only, "verbose": 1}
    run_fit(FakeModel(), [lx.callbacks.ModelCheckpoint(**kwargs)], logs)
    ours = capsys.readouterr().out
    _drive_keras(keras().callbacks.ModelCheckpoint(**kwargs), FakeModel(), logs)
    theirs = capsys.readouterr().out
    assert "finished saving model to" in ours
    assert ours.split() == theirs.split()


def test_model_checkpoint_paths_and_best_only(tmp_path):
    model = FakeModel()
    path = str(tmp_path / "run" / "{epoch:02d}-{val_loss:.2f}.weights.h5")
    cb = lx.callbacks.ModelCheckpoint(path, save_best_only=True, save_weights_only=True)
    run_fit(model, [cb], [{"val_loss": v} for v in [0.9, 0.7, 0.8, 0.4]])
    names = [(kind, os.path.basename(p)) for kind, p in model.saved]
    assert names == [("save_weights", "01-0.90.weights.h5"), ("save_weights", "02-0.70.weights.h5"),
                     ("save_weights", "04-0.40.weights.h5")]
    assert cb.best == 0.4
    model = FakeModel()
    run_fit(model, [lx.callbacks.ModelCheckpoint(str(tmp_path / "m-{epoch}.keras"))], [{"loss": 1.0}] * 2)
    assert [kind for kind, _ in model.saved] == ["save", "save"]
    with pytest.raises(KeyError, match="Failed to format this callback filepath"):
        run_fit(FakeModel(), [lx.callbacks.ModelCheckpoint(str(tmp_path / "{nope}.keras"))], [{"loss": 1.0}])
    with pytest.raises(ValueError, match="Unrecognized save_freq"):
        lx.callbacks.ModelCheckpoint("x.keras", save_freq="batch")
    (tmp_path / "adir.keras").mkdir()
    with pytest.raises(OSError, match="non-directory filepath"):
        run_fit(FakeModel(), [lx.callbacks.ModelCheckpoint(str(tmp_path / "adir.keras"))], [{"loss": 1.0}])
    # The suffix decides the format, as in Keras 3: checked when the callback is made.
    # No suffix at all names a directory of Orbax checkpoints (tests/callbacks/test_orbax_*.py).
    with pytest.raises(ValueError, match=r"must end in `\.layerax` or `\.keras`"):
        lx.callbacks.ModelCheckpoint(str(tmp_path / "adir"), backend="zip")
    with pytest.raises(ValueError, match=r"must end in `\.weights\.h5`"):
        lx.callbacks.ModelCheckpoint(str(tmp_path / "w.h5"), save_weights_only=True)


# ------------------------------------------------------- learning rates
def test_learning_rate_scheduler_sets_and_logs_the_rate():
    model = FakeModel(learning_rate=0.1)
    seen = []
    cb = lx.callbacks.LearningRateScheduler(lambda epoch, lr: lr if epoch < 2 else lr * 0.5)
    spy = lx.callbacks.LambdaCallback(on_epoch_begin=lambda e, logs: seen.append(model.optimizer.learning_rate))
    cbs, _ = run_fit(model, [cb, spy], [{"loss": 1.0}] * 4)
    assert seen == pytest.approx([0.1, 0.1, 0.05, 0.025])
    assert cbs.history.history["learning_rate"] == pytest.approx([0.1, 0.1, 0.05, 0.025])
    model = FakeModel()
    run_fit(model, [lx.callbacks.LearningRateScheduler(lambda epoch: 0.5 / (epoch + 1))], [{"loss": 1.0}] * 2)
    assert model.optimizer.learning_rate == 0.25
    with pytest.raises(ValueError, match="should be a float. Got: 1"):
        run_fit(FakeModel(), [lx.callbacks.LearningRateScheduler(lambda epoch, lr: 1)], [{"loss": 1.0}])
    no_optimizer = FakeModel()
    del no_optimizer.optimizer
    no_optimizer.optimizer = None
    with pytest.raises(ValueError, match="has no optimizer"):
        run_fit(no_optimizer, [lx.callbacks.LearningRateScheduler(lambda e, lr: lr)], [{"loss": 1.0}])


def test_learning_rate_changes_reach_a_compiled_lx_step():
    w = lx.Variable(jnp.array(1.0, jnp.float32))  # not weak-typed: its type never changes
    optimizer = lx.optimizers.SGD(learning_rate=0.5)

    @lx.function
    def step():
        optimizer.apply_gradients([(jnp.array(1.0), w)])

    class Model(FakeModel):
        pass

    model = Model()
    model.optimizer = optimizer
    cb = lx.callbacks.LearningRateScheduler(lambda epoch, lr: 0.5 / 10**epoch)
    cb.set_model(model)
    values, traces = [], []
    for epoch in range(3):
        cb.on_epoch_begin(epoch)
        step()
        values.append(float(w.value))
        traces.append(step.trace_count)
    assert values == pytest.approx([0.5, 0.45, 0.445])
    assert traces[1:] == traces[:1] * 2  # the rate is a variable: no retrace when it changes
    assert float(optimizer.learning_rate) == pytest.approx(0.005)


REDUCE_CASES = [
    {"monitor": "val_loss", "factor": 0.5, "patience": 1},
    {"monitor": "val_loss", "factor": 0.2, "patience": 2, "cooldown": 2, "min_lr": 0.01},
    {"monitor": "val_accuracy", "mode": "max", "factor": 0.5, "patience": 1, "min_delta": 0.02},
    {"monitor": "loss", "factor": 0.1, "patience": 0},
]


@pytest.mark.parametrize("kwargs", REDUCE_CASES, ids=str)
@pytest.mark.parametrize("seed", [0, 4])
def test_reduce_lr_on_plateau_matches_keras(kwargs, seed):
    k = keras()
    logs = _val_losses(seed, n=10)
    ours_model, ref_model = FakeModel(0.1), FakeModel(0.1)
    ours_rates, ref_rates = [], []
    ours = lx.callbacks.ReduceLROnPlateau(**kwargs)
    spy = lx.callbacks.LambdaCallback(on_epoch_end=lambda e, l: ours_rates.append(ours_model.optimizer.learning_rate))
    run_fit(ours_model, [ours, spy], logs)
    ref = k.callbacks.ReduceLROnPlateau(**kwargs)
    ref.set_model(ref_model)
    ref.on_train_begin()
    for epoch, log in enumerate(logs):
        ref.on_epoch_end(epoch, dict(log))
        ref_rates.append(ref_model.optimizer.learning_rate)
    assert ours_rates == pytest.approx(ref_rates)
    assert len(set(ours_rates)) > 1


def test_reduce_lr_on_plateau_with_cooldown_and_floor():
    model = FakeModel(1.0)
    cb = lx.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1, cooldown=2, min_lr=0.2)
    rates = []
    spy = lx.callbacks.LambdaCallback(on_epoch_end=lambda e, l: rates.append(model.optimizer.learning_rate))
    cbs, _ = run_fit(model, [cb, spy], [{"val_loss": 1.0}] * 8)
    assert rates == [1.0, 0.5, 0.5, 0.25, 0.25, 0.2, 0.2, 0.2]
    assert cbs.history.history["learning_rate"] == [1.0, 1.0, 0.5, 0.5, 0.25, 0.25, 0.2, 0.2]
    with pytest.raises(ValueError, match="factor >= 1.0"):
        lx.callbacks.ReduceLROnPlateau(factor=1.5)


# ---------------------------------------------------------------- CSVLogger
def test_csv_logger_writes_rows_like_keras(tmp_path):
    k = keras()
    logs = [{"loss": 0.5, "accuracy": 0.25}, {"loss": 0.25, "accuracy": 0.5, "val_loss": 0.75}]
    ours_path, ref_path = tmp_path / "ours.csv", tmp_path / "ref.csv"
    run_fit(FakeModel(), [lx.callbacks.CSVLogger(ours_path)], logs)
    _drive_keras(k.callbacks.CSVLogger(str(ref_path)), FakeModel(), logs)
    ours, ref = ours_path.read_text(), ref_path.read_text()
    assert ours == ref
    rows = list(csv.reader(ours.splitlines()))
    assert rows == [["epoch", "accuracy", "loss", "val_accuracy", "val_loss"],
                    ["0", "0.25", "0.5", "NA", "NA"], ["1", "0.5", "0.25", "NA", "0.75"]]
    # Append mode keeps the header once; another separator.
    run_fit(FakeModel(), [lx.callbacks.CSVLogger(ours_path, append=True)], logs[:1])
    assert ours_path.read_text().count("epoch") == 1 and len(ours_path.read_text().splitlines()) == 4
    semi = tmp_path / "semi.csv"
    run_fit(FakeModel(), [lx.callbacks.CSVLogger(semi, separator=";")], [{"loss": 1.0, "v": np.arange(2)}])
    # Arrays are written as Keras writes them (a quoted list, quoted again by the csv module).
    assert semi.read_text().splitlines() == ["epoch;loss;v;val_loss;val_v", '0;1.0;"""[0, 1]""";NA;NA']


# ------------------------------------------------------ TerminateOnNaN etc.
def test_terminate_on_nan_stops_at_the_bad_batch(capsys):
    model = FakeModel()
    losses = {(0, 0): 1.0, (0, 1): 0.5, (0, 2): 0.4, (1, 0): 0.3, (1, 1): float("nan")}
    cbs, epochs = run_fit(
        model, [lx.callbacks.TerminateOnNaN()], [{"loss": 1.0}] * 5, steps=3,
        batch_logs=lambda e, b: {"loss": jnp.array(losses.get((e, b), 0.1))},
    )
    assert epochs == [0, 1] and model.stop_training
    assert all(np.all(w == 11) for w in model.get_weights())  # epoch 1, batch 1
    assert "Batch 1: Invalid loss, terminating training" in capsys.readouterr().out
    with pytest.raises(RuntimeError, match="NaN or Inf loss encountered at batch 0"):
        run_fit(FakeModel(), [lx.callbacks.TerminateOnNaN(raise_error=True)], [{"loss": 1.0}],
                batch_logs=lambda e, b: {"loss": float("inf")})


def test_lambda_callback_hooks():
    calls = []
    cb = lx.callbacks.LambdaCallback(
        on_train_begin=lambda logs: calls.append("train_begin"),
        on_epoch_begin=lambda epoch, logs: calls.append(f"epoch_begin{epoch}"),
        on_train_batch_end=lambda batch, logs: calls.append(f"batch{batch}:{logs['loss']}"),
        on_epoch_end=lambda epoch, logs: calls.append(f"epoch_end{epoch}"),
        on_train_end=lambda logs: calls.append("train_end"),
        on_test_end=lambda logs: calls.append("test_end"),
    )
    run_fit(FakeModel(), [cb], [{"loss": 2.0, "val_loss": 1.0}], steps=2, val_steps=1)
    assert calls == ["train_begin", "epoch_begin0", "batch0:2.0", "batch1:2.0", "test_end", "epoch_end0", "train_end"]
    with pytest.raises(ValueError, match="unknown hooks \\['on_bogus'\\]"):
        lx.callbacks.LambdaCallback(on_bogus=print)


def test_callbacks_with_a_real_layerax_model():
    class Net(lx.Model):
        def __init__(self):
            super().__init__()
            self.dense = lx.layers.Dense(2)

        def call(self, x):
            return self.dense(x)

    model = Net()
    model(jnp.ones((1, 3)))
    model.stop_training = False
    snapshots = {}
    cb = lx.callbacks.EarlyStopping(monitor="loss", patience=1, restore_best_weights=True)
    cbs = lx.callbacks.CallbackList([cb], add_history=True, model=model, epochs=4)
    cbs.on_train_begin()
    for epoch, loss in enumerate([1.0, 0.5, 0.7, 0.9]):
        cbs.on_epoch_begin(epoch)
        model.set_weights([w + 1.0 for w in model.get_weights()])
        snapshots[epoch] = model.get_weights()
        cbs.on_epoch_end(epoch, {"loss": jnp.array(loss)})
        if model.stop_training:
            break
    cbs.on_train_end()
    assert epoch == 2 and model.history.history["loss"] == pytest.approx([1.0, 0.5, 0.7])
    for a, b in zip(model.get_weights(), snapshots[1]):
        np.testing.assert_array_equal(a, b)
