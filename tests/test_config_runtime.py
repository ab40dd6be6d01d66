"""lx.config's runtime switches (layerax/runtime_config.py) against Keras 3, and their effect
on fit and on the progress bar."""

from __future__ import annotations

import io
import logging
import warnings

import numpy as np
import pytest

import layerax as lx
from tests.helpers import keras

SWITCHES = [
    ("interactive_logging", "enable_interactive_logging", "disable_interactive_logging",
     "is_interactive_logging_enabled"),
    ("traceback_filtering", "enable_traceback_filtering", "disable_traceback_filtering",
     "is_traceback_filtering_enabled"),
    ("flash_attention", "enable_flash_attention", "disable_flash_attention",
     "is_flash_attention_enabled"),
]


@pytest.mark.parametrize("flag,enable,disable,query", SWITCHES, ids=[s[0] for s in SWITCHES])
def test_switches_read_like_keras(flag, enable, disable, query):
    kc = keras().config
    try:
        assert getattr(lx.config, query)() == getattr(kc, query)()  # defaults
        for setter in (disable, enable, disable):
            getattr(lx.config, setter)()
            getattr(kc, setter)()
            assert getattr(lx.config, query)() == getattr(kc, query)(), setter
    finally:
        getattr(lx.config, enable)()
        getattr(kc, enable)()
    if "interactive" in flag:
        assert lx.utils.is_interactive_logging_enabled is lx.config.is_interactive_logging_enabled


def test_max_epochs_and_steps_setters_read_like_keras():
    kc = keras().config
    assert lx.config.max_epochs() == kc.max_epochs() is None
    assert lx.config.max_steps_per_epoch() == kc.max_steps_per_epoch() is None
    lx.config.set_max_epochs(3)
    lx.config.set_max_steps_per_epoch(2)
    try:
        assert (lx.config.max_epochs(), lx.config.max_steps_per_epoch()) == (3, 2)
    finally:
        lx.config.set_max_epochs(None)
        lx.config.set_max_steps_per_epoch(None)
    assert lx.config.max_epochs() is None and lx.config.max_steps_per_epoch() is None


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2", True])
def test_max_epochs_rejects_non_positive_ints(bad):
    with pytest.raises(ValueError, match="max_epochs"):
        lx.config.set_max_epochs(bad)
    with pytest.raises(ValueError, match="max_steps_per_epoch"):
        lx.config.set_max_steps_per_epoch(bad)


def _fit_counts(module, x, y, **fit_kwargs):
    """Epochs and train batches one fit runs, counted by a callback."""
    counts = {"epochs": 0, "batches": 0}

    class Count(module.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            counts["epochs"] += 1

        def on_train_batch_end(self, batch, logs=None):
            counts["batches"] += 1

    model = module.Sequential([module.Input((2,)), module.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, y, verbose=0, callbacks=[Count()], **fit_kwargs)
    return counts


def test_fit_honours_max_epochs_and_max_steps_like_keras():
    k = keras()
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(20, 2)).astype("float32"), rng.normal(size=(20, 1)).astype("float32")
    lx.config.set_max_epochs(2)
    lx.config.set_max_steps_per_epoch(3)
    k.config.set_max_epochs(2)
    k.config.set_max_steps_per_epoch(3)
    try:
        with pytest.warns(UserWarning, match="Limiting") as ours_warned:
            ours = _fit_counts(lx, x, y, epochs=5, batch_size=4)
        with warnings.catch_warnings(record=True) as theirs_warned:
            warnings.simplefilter("always")
            # 24 samples: 6 batches, so that Keras' iterator (not restarted per epoch when
            # steps_per_epoch is set) does not run dry in epoch 2.
            theirs = _fit_counts(k, np.concatenate([x, x[:4]]), np.concatenate([y, y[:4]]),
                                 epochs=5, batch_size=4)
        limits = {str(w.message) for w in ours_warned if "Limiting" in str(w.message)}
        assert limits == {"Limiting epochs to 2", "Limiting steps_per_epoch to 3"}
        assert limits <= {str(w.message) for w in theirs_warned}
        assert ours == theirs == {"epochs": 2, "batches": 6}
    finally:
        lx.config.set_max_epochs(None)
        lx.config.set_max_steps_per_epoch(None)
        k.config.set_max_epochs(None)
        k.config.set_max_steps_per_epoch(None)


def test_progbar_writes_to_logging_when_interactive_logging_is_off(caplog):
    lx.config.disable_interactive_logging()
    try:
        with caplog.at_level(logging.INFO, logger="layerax"):
            bar = lx.utils.Progbar(3, verbose=1)
            for i in range(1, 4):
                bar.update(i, values=[("loss", 0.5)])
    finally:
        lx.config.enable_interactive_logging()
    lines = [r.getMessage() for r in caplog.records if r.name == "layerax"]
    assert lines and lines[-1].startswith("3/3") and "loss: 0.5" in lines[-1]
    assert all("\r" not in line for line in lines)
    # With logging on again, an explicit stream still receives the bar.
    out = io.StringIO()
    bar = lx.utils.Progbar(1, verbose=1, file=out)
    bar.update(1)
    assert out.getvalue().strip().startswith("1/1")


def test_evaluate_and_predict_honour_max_steps_per_epoch_like_keras():
    k = keras()
    x = np.random.default_rng(1).normal(size=(20, 2)).astype("float32")
    lx.config.set_max_steps_per_epoch(2)
    k.config.set_max_steps_per_epoch(2)
    try:
        shapes = []
        for module in (lx, k):
            model = module.Sequential([module.Input((2,)), module.layers.Dense(1)])
            model.compile(optimizer="sgd", loss="mse")
            with pytest.warns(UserWarning, match="Limiting steps_per_epoch to 2"):
                shapes.append(model.predict(x, batch_size=4, verbose=0).shape)
        assert shapes[0] == shapes[1] == (8, 1)
    finally:
        lx.config.set_max_steps_per_epoch(None)
        k.config.set_max_steps_per_epoch(None)
