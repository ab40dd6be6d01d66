"""BackupAndRestore: an interrupted fit, restarted, ends with the uninterrupted run's weights."""

from __future__ import annotations

import os

import numpy as np
import pytest

import layerax as lx
from layerax.core import naming

X = np.random.default_rng(0).normal(size=(24, 3)).astype("float32")
Y = np.random.default_rng(1).normal(size=(24, 2)).astype("float32")


def _new_model(dropout=True):
    layers = [lx.Input((3,)), lx.layers.Dense(8, activation="relu")]
    layers += [lx.layers.Dropout(0.3)] if dropout else []
    model = lx.Sequential(layers + [lx.layers.Dense(2)])
    model.compile(optimizer=lx.optimizers.Adam(0.01), loss="mse")
    return model


class Interrupt(lx.callbacks.Callback):
    """Raises after `after` training batches (a simulated crash)."""

    def __init__(self, after):
        super().__init__()
        self.after, self.seen = after, 0

    def on_train_batch_end(self, batch, logs=None):
        self.seen += 1
        if self.seen == self.after:
            raise RuntimeError("simulated crash")


def _fit(model, callbacks, epochs=3):
    return model.fit(X, Y, batch_size=8, epochs=epochs, verbose=0, callbacks=callbacks)


@pytest.fixture(scope="module")
def uninterrupted():
    """Final weights of the run without interruption (fixed seeds, shuffling on)."""
    naming.reset_uids()
    lx.utils.set_random_seed(42)
    model = _new_model()
    _fit(model, [])
    return model.get_weights()


@pytest.mark.parametrize("save_freq,crash_after", [(2, 5), ("epoch", 7)])
def test_resumed_fit_ends_with_the_uninterrupted_weights(save_freq, crash_after, uninterrupted, tmp_path):
    backup = str(tmp_path / "backup")
    naming.reset_uids()
    lx.utils.set_random_seed(42)
    model = _new_model()
    with pytest.raises(RuntimeError, match="simulated crash"):
        _fit(model, [lx.callbacks.BackupAndRestore(backup, save_freq=save_freq), Interrupt(crash_after)])
    assert os.path.exists(os.path.join(backup, "latest.layerax"))

    # "Restart the process": another model with other initial weights and another global
    # seed; the backup restores weights, optimizer slots, dropout seeds and batch order.
    lx.utils.set_random_seed(7)
    restarted = _new_model()
    history = _fit(restarted, [lx.callbacks.BackupAndRestore(backup, save_freq=save_freq)])
    # 3 batches per epoch: saved after batch 4 (epoch 1, step 1), or after epoch 1.
    expected_first_epoch = {2: 1, "epoch": 2}[save_freq]
    assert history.epoch[0] == expected_first_epoch
    for a, b in zip(restarted.get_weights(), uninterrupted):
        np.testing.assert_array_equal(a, b)
    assert not os.path.exists(backup)  # delete_checkpoint=True after a completed fit


def test_double_checkpoint_falls_back_to_the_previous_backup(tmp_path):
    backup = str(tmp_path / "backup")
    model = _new_model(dropout=False)
    callback = lx.callbacks.BackupAndRestore(backup, double_checkpoint=True, delete_checkpoint=False)
    _fit(model, [callback], epochs=2)
    latest, previous = os.path.join(backup, "latest.layerax"), os.path.join(backup, "latest.layerax.bkp")
    assert os.path.exists(latest) and os.path.exists(previous)
    with open(latest, "wb") as f:
        f.write(b"garbage")
    restarted = _new_model(dropout=False)
    history = _fit(restarted, [lx.callbacks.BackupAndRestore(backup)], epochs=3)
    assert history.epoch == [1, 2]  # the previous backup was taken after epoch 0


def test_arguments_and_unbuilt_model(tmp_path):
    with pytest.raises(ValueError, match="Empty `backup_dir`"):
        lx.callbacks.BackupAndRestore("")
    with pytest.raises(ValueError, match="save_freq=0"):
        lx.callbacks.BackupAndRestore(str(tmp_path), save_freq=0)
    model = _new_model(dropout=False)
    _fit(model, [lx.callbacks.BackupAndRestore(str(tmp_path / "b"), delete_checkpoint=False)], epochs=1)
    unbuilt = lx.Sequential([lx.layers.Dense(2)])
    unbuilt.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match="the model must be built before you call `fit\\(\\)`"):
        unbuilt.fit(X, Y, epochs=1, verbose=0, callbacks=[lx.callbacks.BackupAndRestore(str(tmp_path / "b"))])
