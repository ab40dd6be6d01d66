"""The Orbax backend of `ModelCheckpoint` and `BackupAndRestore`, and `OrbaxCheckpoint`.

Keras 3 (JAX backend) is the oracle for `OrbaxCheckpoint` (same arguments and
defaults, same steps written for the same hook calls, same warnings) and for
`ModelCheckpoint`'s save decisions; the restored values are compared with
the saved ones.
"""

from __future__ import annotations

import inspect
import os
import warnings

import numpy as np
import pytest

import layerax as lx

keras = pytest.importorskip("keras")

X = np.random.default_rng(0).standard_normal((24, 4)).astype("float32")
Y = X[:, :1] * 2.0 - X[:, 1:2]


def _lx_model(optimizer: str = "adam") -> lx.Model:
    model = lx.Sequential([lx.Input((4,)), lx.layers.Dense(8), lx.layers.Dense(1)])
    model.compile(optimizer=optimizer, loss="mse")
    return model


def _keras_model() -> keras.Model:
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8), keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    return model


def _drive(callback, model, epochs: list[dict], batches: int) -> list[str]:
    """Calls the hooks of `epochs` epochs of `batches` batches; returns the warnings."""
    callback.set_model(model)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        callback.on_train_begin()
        for epoch, logs in enumerate(epochs):
            callback.on_epoch_begin(epoch)
            for batch in range(batches):
                callback.on_train_batch_begin(batch)
                callback.on_train_batch_end(batch, logs)
            callback.on_epoch_end(epoch, logs)
        callback.on_train_end()
    return [str(w.message) for w in caught if "best model" in str(w.message)]


def _steps(directory: str) -> list[str]:
    return sorted(os.listdir(directory), key=lambda s: (len(s), s))


def test_orbax_checkpoint_signature_matches_keras():
    ours = inspect.signature(lx.callbacks.OrbaxCheckpoint).parameters
    theirs = inspect.signature(keras.callbacks.OrbaxCheckpoint).parameters
    assert list(ours) == list(theirs)
    assert {k: v.default for k, v in ours.items()} == {k: v.default for k, v in theirs.items()}


@pytest.mark.parametrize(
    "kwargs, epochs",
    [
        (dict(save_freq=2, max_to_keep=2), [{"loss": 1.0}, {"loss": 0.5}]),
        (
            dict(save_best_only=True, monitor="loss", max_to_keep=None, save_weights_only=True),
            [{"loss": 0.9}, {"loss": 0.5}, {"loss": 0.7}, {}, {"loss": 0.4}],
        ),
    ],
)
def test_orbax_checkpoint_writes_the_steps_keras_writes(kwargs, epochs, tmp_path):
    ours = lx.callbacks.OrbaxCheckpoint(str(tmp_path / "lx"), **kwargs)
    theirs = keras.callbacks.OrbaxCheckpoint(str(tmp_path / "keras"), **kwargs)
    warned = _drive(ours, _lx_model(), epochs, batches=3)
    keras_warned = _drive(theirs, _keras_model(), epochs, batches=3)
    assert _steps(str(tmp_path / "lx")) == _steps(str(tmp_path / "keras"))
    assert warned == keras_warned
    assert ours.is_primary_host() and not ours.is_multihost_enabled()


def test_orbax_checkpoint_restores_weights_and_optimizer(tmp_path):
    directory = str(tmp_path / "ckpt")
    model = _lx_model()
    callback = lx.callbacks.OrbaxCheckpoint(directory, save_freq=2, monitor="loss")
    snapshot = {}

    def keep(batch, logs):
        if batch == 1:  # the state the save after batch 1 holds
            snapshot["weights"] = model.get_weights()
            snapshot["optimizer"] = [np.asarray(v.value) for v in model.optimizer.variables]

    model.fit(X, Y, epochs=1, batch_size=8, verbose=0,
              callbacks=[callback, lx.callbacks.LambdaCallback(on_train_batch_end=keep)])
    assert _steps(directory) == ["2"]  # after 2 of the 3 batches (max_to_keep=1)
    fresh = _lx_model()
    manager = lx.saving.CheckpointManager(directory)
    assert manager.restore(model=fresh) == 2
    manager.close()
    assert int(fresh.optimizer.iterations.value) == 2
    for a, b in zip(fresh.get_weights(), snapshot["weights"]):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(fresh.optimizer.variables, snapshot["optimizer"]):
        np.testing.assert_array_equal(np.asarray(a.value), b)


def test_orbax_checkpoint_rejects_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="save_freq"):
        lx.callbacks.OrbaxCheckpoint(str(tmp_path / "a"), save_freq="batch")
    with pytest.raises(ValueError, match="max_to_keep"):
        lx.callbacks.OrbaxCheckpoint(str(tmp_path / "a"), max_to_keep=0)
    with pytest.raises(ValueError, match="backend"):
        lx.callbacks.ModelCheckpoint(str(tmp_path / "a"), backend="tar")
    with pytest.raises(ValueError, match="format fields"):
        lx.callbacks.ModelCheckpoint(str(tmp_path / "ckpt-{epoch}"))
    with pytest.raises(ValueError, match="backend"):
        lx.callbacks.BackupAndRestore(str(tmp_path / "b"), backend="h5")


def test_model_checkpoint_orbax_saves_when_keras_saves(tmp_path):
    """`save_best_only` decisions as Keras' ModelCheckpoint (which writes files)."""
    losses = [{"loss": 0.9}, {"loss": 0.5}, {"loss": 0.7}, {"loss": 0.4}]
    keras_cb = keras.callbacks.ModelCheckpoint(
        str(tmp_path / "k-{epoch}.weights.h5"), monitor="loss", save_best_only=True,
        save_weights_only=True,
    )
    _drive(keras_cb, _keras_model(), losses, batches=1)
    keras_epochs = sorted(int(n[2:-11]) for n in os.listdir(tmp_path) if n.startswith("k-"))

    model = _lx_model()
    directory = str(tmp_path / "lx")
    ours = lx.callbacks.ModelCheckpoint(directory, monitor="loss", save_best_only=True,
                                        save_weights_only=True, max_to_keep=None)
    ours.set_model(model)
    for epoch, logs in enumerate(losses):
        # Each epoch's step is `optimizer.iterations`; the weights differ per epoch.
        model.optimizer.iterations.assign(epoch + 1)
        model.layers[0].kernel.assign(np.full((4, 8), float(epoch), "float32"))
        ours.on_epoch_begin(epoch)
        ours.on_epoch_end(epoch, logs)
    ours.on_train_end()
    saved_epochs = [int(s) for s in _steps(directory)]
    assert saved_epochs == keras_epochs == [1, 2, 4]
    manager = lx.saving.CheckpointManager(directory)
    for step in saved_epochs:
        fresh = _lx_model()
        manager.restore(step, model=fresh)
        np.testing.assert_array_equal(fresh.layers[0].kernel.numpy(), np.full((4, 8), step - 1.0))
        # Weights only: the optimizer keeps its own state.
        assert int(fresh.optimizer.iterations.value) == 0
    assert manager.restore_extra(4) == {"epoch": 4, "batch": None}
    manager.close()


def test_model_checkpoint_orbax_full_state_and_zip_paths_unchanged(tmp_path):
    model = _lx_model()
    directory = str(tmp_path / "full")
    callbacks = [
        lx.callbacks.ModelCheckpoint(directory, save_freq=3),  # a directory: Orbax
        lx.callbacks.ModelCheckpoint(str(tmp_path / "m.weights.npz"), save_weights_only=True),
    ]
    model.fit(X, Y, epochs=2, batch_size=8, callbacks=callbacks, verbose=0)
    assert _steps(directory) == ["6"]
    assert os.path.isfile(tmp_path / "m.weights.npz")
    fresh = _lx_model()
    manager = lx.saving.CheckpointManager(directory)
    manager.restore(model=fresh)
    extra = manager.restore_extra()
    manager.close()
    assert extra["model_config"]["class_name"] == "Sequential"
    assert int(fresh.optimizer.iterations.value) == 6
    for a, b in zip(fresh.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(fresh.optimizer.variables, model.optimizer.variables):
        np.testing.assert_array_equal(np.asarray(a.value), np.asarray(b.value))


class _Interrupt(lx.callbacks.Callback):
    def __init__(self, epoch: int, batch: int) -> None:
        super().__init__()
        self.at = (epoch, batch)
        self.epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_begin(self, batch, logs=None):
        if (self.epoch, batch) == self.at:
            raise RuntimeError("interrupted")


def _fit(model, callbacks):
    return model.fit(X, Y, epochs=2, batch_size=8, callbacks=callbacks, verbose=0)


def test_backup_and_restore_orbax_resume_equals_an_uninterrupted_run(tmp_path):
    lx.utils.set_random_seed(3)
    reference = _lx_model()
    _fit(reference, [])

    backup = str(tmp_path / "backup")
    lx.utils.set_random_seed(3)
    model = _lx_model()
    callback = lx.callbacks.BackupAndRestore(backup, save_freq=2, backend="orbax",
                                             double_checkpoint=True)
    with pytest.raises(RuntimeError, match="interrupted"):
        _fit(model, [callback, _Interrupt(epoch=1, batch=2)])
    # Batches 0-4 ran, 3 per epoch: backups after batch 1 of epoch 0 and batch 0 of epoch 1,
    # the latter perhaps still being written: the restore waits for it. A freshly built
    # model (global seed changed: the restore brings its state back) resumes at epoch 1, step 1.
    lx.utils.set_random_seed(99)
    resumed = _lx_model()
    history = _fit(resumed, [callback])
    position = callback.resume_position()
    assert (position.epoch, position.step) == (1, 1)
    assert len(history.history["loss"]) == 1  # epoch 1
    for a, b in zip(resumed.get_weights(), reference.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert not os.path.exists(backup)


def test_backup_and_restore_orbax_falls_back_to_the_previous_backup(tmp_path):
    backup = str(tmp_path / "backup")
    model = _lx_model()
    callback = lx.callbacks.BackupAndRestore(backup, backend="orbax", double_checkpoint=True,
                                             delete_checkpoint=False)
    model.fit(X, Y, epochs=2, batch_size=8, callbacks=[callback], verbose=0)
    steps = sorted(int(s) for s in os.listdir(backup) if s.isdigit())
    assert steps == [1, 2]  # one backup per epoch
    # The newest backup loses its model arrays: the previous one (end of epoch 0) is restored.
    newest = os.path.join(backup, "2", "model")
    for name in os.listdir(newest):
        path = os.path.join(newest, name)
        if os.path.isfile(path):
            os.remove(path)
    fresh = _lx_model()
    again = lx.callbacks.BackupAndRestore(backup, backend="orbax", double_checkpoint=True)
    again.set_model(fresh)
    again.on_train_begin()
    position = again.resume_position()
    assert (position.epoch, position.step) == (1, 0)
    assert int(fresh.optimizer.iterations.value) == 3  # 3 batches per epoch
