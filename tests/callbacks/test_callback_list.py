"""Callback base, CallbackList dispatch and lazy logs, History, ProgbarLogger and Progbar."""

from __future__ import annotations

import io
import sys
import types

import jax.numpy as jnp
import numpy as np
import pytest

import layerax as lx
from tests.callbacks.fakes import FakeModel, run_fit

HOOKS_WITH_INDEX = [
    "on_epoch_begin", "on_epoch_end", "on_train_batch_begin", "on_train_batch_end",
    "on_test_batch_begin", "on_test_batch_end", "on_predict_batch_begin", "on_predict_batch_end",
    "on_batch_begin", "on_batch_end",
]
HOOKS = ["on_train_begin", "on_train_end", "on_test_begin", "on_test_end", "on_predict_begin", "on_predict_end"]


class Recorder(lx.callbacks.Callback):
    """Overrides every hook and records (hook, index, logs)."""

    def __init__(self):
        super().__init__()
        self.calls = []


def _recording_hook(name, with_index):
    if with_index:
        def hook(self, index, logs=None):
            self.calls.append((name, index, logs))
    else:
        def hook(self, logs=None):
            self.calls.append((name, None, logs))
    return hook


for _name in HOOKS_WITH_INDEX:
    setattr(Recorder, _name, _recording_hook(_name, True))
for _name in HOOKS:
    setattr(Recorder, _name, _recording_hook(_name, False))


class CountingValue:
    """A log value that counts how often it is converted to a host number."""

    conversions = 0

    def __init__(self, value):
        self.value = value

    def __array__(self, dtype=None, copy=None):
        CountingValue.conversions += 1
        return np.asarray(self.value, dtype=dtype)

    def __float__(self):
        CountingValue.conversions += 1
        return float(self.value)


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def time(self):
        return self.now


class TtyStream(io.StringIO):
    def isatty(self):
        return True


def test_callback_base_has_every_hook_and_the_legacy_batch_hooks():
    cb = lx.callbacks.Callback()
    for name in HOOKS_WITH_INDEX:
        assert getattr(cb, name)(0, {}) is None
    for name in HOOKS:
        assert getattr(cb, name)({}) is None
    model = FakeModel()
    cb.set_model(model)
    cb.set_params({"epochs": 3})
    assert cb.model is model and cb.params == {"epochs": 3}

    class Legacy(lx.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.seen = []

        def on_batch_begin(self, batch, logs=None):
            self.seen.append(("begin", batch))

        def on_batch_end(self, batch, logs=None):
            self.seen.append(("end", batch, logs["loss"]))

    legacy = Legacy()
    cbs = lx.callbacks.CallbackList([legacy], model=model)
    cbs.on_train_batch_begin(4)
    cbs.on_train_batch_end(4, {"loss": jnp.array(2.0)})
    assert legacy.seen == [("begin", 4), ("end", 4, 2.0)]


def test_callback_list_dispatches_every_hook_in_order_with_converted_logs():
    first, second = Recorder(), Recorder()
    model = FakeModel()
    cbs = lx.callbacks.CallbackList([first, [second]], model=model, verbose=0, epochs=2, steps=5)
    assert first.model is model and second.params == {"verbose": 0, "epochs": 2, "steps": 5}
    for name in HOOKS_WITH_INDEX:
        getattr(cbs, name)(7, {"b": jnp.array(2), "a": {"nested": np.float32(1.5)}})
    for name in HOOKS:
        getattr(cbs, name)({"loss": jnp.array(0.25)})
    expected = [(n, 7, {"a": None, "b": 2.0}) for n in HOOKS_WITH_INDEX] + [(n, None, {"loss": 0.25}) for n in HOOKS]
    for rec in (first, second):
        assert [(c[0], c[1]) for c in rec.calls] == [(e[0], e[1]) for e in expected]
        batch_logs = rec.calls[0][2]
        assert batch_logs == {"nested": 1.5, "b": 2.0} and list(batch_logs) == ["nested", "b"]
        assert all(type(v) is float for call in rec.calls for v in call[2].values())
    assert len(cbs) == 2 and list(cbs) == [first, second]


def test_callback_list_adds_history_and_progbar_and_sets_model_history():
    model = FakeModel()
    cbs = lx.callbacks.CallbackList(add_history=True, add_progbar=True, model=model, verbose=0, epochs=1, steps=1)
    kinds = [type(cb).__name__ for cb in cbs]
    assert kinds == ["History", "ProgbarLogger"]
    assert model.history is cbs.history
    own_history = lx.callbacks.History()
    cbs = lx.callbacks.CallbackList([own_history], add_history=True, model=model)
    assert list(cbs) == [own_history] and model.history is own_history
    extra = Recorder()
    cbs.append(extra)
    assert extra.model is model
    with pytest.raises(TypeError, match="instances of lx.callbacks.Callback. Received: 3"):
        lx.callbacks.CallbackList([3])


def test_batch_logs_stay_lazy_for_default_callbacks():
    CountingValue.conversions = 0
    produced = []

    def lazy_logs():
        produced.append(1)
        return {"loss": CountingValue(0.5)}

    model = FakeModel()
    # History and a silent progress bar: no batch hook needs the values.
    cbs = lx.callbacks.CallbackList(add_history=True, add_progbar=True, model=model, verbose=0, epochs=1, steps=50)
    cbs.on_train_begin()
    cbs.on_epoch_begin(0)
    for step in range(50):
        cbs.on_train_batch_begin(step)
        cbs.on_train_batch_end(step, lazy_logs)
        cbs.on_train_batch_end(step, {"loss": CountingValue(0.5)})
    assert produced == [] and CountingValue.conversions == 0
    cbs.on_epoch_end(0, {"loss": CountingValue(0.5)})
    assert CountingValue.conversions == 1 and model.history.history == {"loss": [0.5]}


def test_batch_logs_are_converted_once_for_all_callbacks_that_need_them():
    CountingValue.conversions = 0
    a, b = Recorder(), Recorder()
    cbs = lx.callbacks.CallbackList([a, b, lx.callbacks.History()], model=FakeModel())
    cbs.on_train_batch_end(0, {"loss": CountingValue(2.0)})
    assert CountingValue.conversions == 1
    assert a.calls[0][2] == {"loss": 2.0} and a.calls[0][2] is b.calls[0][2]
    calls = []
    cbs.on_train_batch_end(1, lambda: calls.append(1) or {"loss": 3.0})
    assert calls == [1] and b.calls[-1][2] == {"loss": 3.0}


def test_pythonify_logs_like_keras():
    logs = lx.callbacks.pythonify_logs({
        "z": jnp.array(1, jnp.int32), "a": np.float64(0.5), "vec": jnp.arange(3.0), "name": "x",
        "sub": {"val_loss": jnp.array(2.0)},
    })
    assert list(logs) == ["a", "name", "val_loss", "vec", "z"]
    assert logs["a"] == 0.5 and logs["z"] == 1.0 and logs["val_loss"] == 2.0 and logs["name"] == "x"
    assert isinstance(logs["vec"], np.ndarray) and logs["vec"].tolist() == [0.0, 1.0, 2.0]
    assert lx.callbacks.pythonify_logs(None) == {}
    assert lx.callbacks.pythonify_logs(lambda: {"loss": jnp.array(1.5)}) == {"loss": 1.5}


def test_history_records_epochs_and_is_reset_per_fit():
    model = FakeModel()
    logs = [{"loss": 1.0, "val_loss": 2.0}, {"loss": 0.5, "val_loss": 1.0}]
    cbs, _ = run_fit(model, [], logs)
    history = cbs.history
    assert model.history is history
    assert history.epoch == [0, 1]
    assert history.history == {"loss": [1.0, 0.5], "val_loss": [2.0, 1.0]}
    history.on_train_begin()
    assert history.epoch == []


# ------------------------------------------------------------------ progbar
def _fit_with_progbar(stream, verbose, steps, epochs=2, batch_logs=None, clock=None, monkeypatch=None):
    if clock is not None:
        monkeypatch.setattr(lx.utils.progbar.time, "time", clock.time)
    progbar = lx.callbacks.ProgbarLogger(file=stream)
    model = FakeModel()
    cbs = lx.callbacks.CallbackList([progbar], add_history=True, model=model, verbose=verbose, epochs=epochs, steps=steps)
    cbs.on_train_begin()
    for epoch in range(epochs):
        cbs.on_epoch_begin(epoch)
        for step in range(3):
            cbs.on_train_batch_begin(step)
            if clock is not None:
                clock.now += 0.5
            cbs.on_train_batch_end(step, batch_logs(step) if batch_logs else {"loss": jnp.array(1.0 / (step + 1))})
        cbs.on_test_begin()
        cbs.on_test_batch_end(0, {"loss": jnp.array(9.0)})
        cbs.on_test_end({"loss": 9.0})
        cbs.on_epoch_end(epoch, {"loss": 0.25, "accuracy": jnp.array(0.5), "val_loss": 9.0})
    cbs.on_train_end()
    return progbar


def test_progbar_terminal_output_with_eta_and_sorted_metrics(monkeypatch):
    stream = TtyStream()
    progbar = _fit_with_progbar(stream, 1, steps=3, clock=FakeClock(), monkeypatch=monkeypatch)
    out = stream.getvalue()
    assert out.count("Epoch 1/2\n") == 1 and out.count("Epoch 2/2\n") == 1
    assert "\r" in out and "\x1b[1m1/3\x1b[0m" in out and "━" in out
    # Step 2 of 3: the first step is excluded from the timing, 0.5 s per step remains.
    assert " \x1b[1m0s\x1b[0m 500ms/step - loss: 0.5000" in out
    final = out.split("Epoch 2/2\n")[1]
    # Names keep their order of first appearance (the batch logs), as in Keras.
    assert final.rstrip().endswith("loss: 0.2500 - accuracy: 0.5000 - val_loss: 9.0000")
    assert final.endswith("\n") and "9.0000" not in out.split("Epoch 2/2")[0].split("\r")[1]
    assert progbar.progbar.renders == 4  # three batches and the end of the epoch


def test_progbar_redraws_and_fetches_at_most_once_per_interval(monkeypatch):
    CountingValue.conversions = 0
    clock = FakeClock()
    monkeypatch.setattr(lx.utils.progbar.time, "time", clock.time)
    stream = TtyStream()
    bar = lx.callbacks.ProgbarLogger(file=stream)
    cbs = lx.callbacks.CallbackList([bar], model=FakeModel(), verbose=1, epochs=1, steps=100)
    cbs.on_train_begin()
    cbs.on_epoch_begin(0)
    for step in range(100):
        clock.now += 0.001  # 1 ms per step: a redraw every 50 steps at most
        cbs.on_train_batch_end(step, {"loss": CountingValue(1.0)})
    assert bar.progbar.renders == 2 and CountingValue.conversions == 2
    cbs.on_epoch_end(0, {"loss": 1.0})
    assert bar.progbar.renders == 3


def test_progbar_to_a_file_prints_one_line_per_epoch_and_never_calls_lazy_logs():
    stream = io.StringIO()
    calls = []

    def lazy(step):
        return lambda: calls.append(step) or {"loss": 1.0}

    _fit_with_progbar(stream, 1, steps=3, batch_logs=lazy)
    lines = stream.getvalue().splitlines()
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2" and len(lines) == 4
    assert lines[1].startswith("3/3 [====================] ") and "s/step - " in lines[1]
    # The lazy batch logs were never produced: the names come sorted from the epoch logs.
    assert lines[1].endswith("accuracy: 0.5000 - loss: 0.2500 - val_loss: 9.0000")
    assert calls == []


def test_progbar_verbose_2_and_0():
    stream = io.StringIO()
    _fit_with_progbar(stream, 2, steps=3)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 4 and lines[1].startswith("3/3 - ") and lines[1].endswith("val_loss: 9.0000")
    stream = io.StringIO()
    _fit_with_progbar(stream, 0, steps=3)
    assert stream.getvalue() == ""


def test_progbar_evaluate_predict_and_unknown_steps():
    stream = io.StringIO()
    bar = lx.callbacks.ProgbarLogger(file=stream)
    cbs = lx.callbacks.CallbackList([bar], model=FakeModel(), verbose=1, epochs=1, steps=None)
    cbs.on_test_begin()
    for step in range(4):
        cbs.on_test_batch_end(step, {"loss": jnp.array(2.0)})
    cbs.on_test_end({"loss": 2.0})
    assert stream.getvalue().startswith("4/4 [") and stream.getvalue().endswith("loss: 2.0000\n")
    stream = io.StringIO()
    cbs = lx.callbacks.CallbackList([lx.callbacks.ProgbarLogger(file=stream)], verbose=1, epochs=1, steps=2)
    cbs.on_predict_begin()
    for step in range(2):
        cbs.on_predict_batch_end(step, {"outputs": jnp.ones((2, 2))})
    cbs.on_predict_end()
    assert stream.getvalue().startswith("2/2 [") and "outputs" not in stream.getvalue()
    tty = TtyStream()
    bar = lx.utils.Progbar(None, file=tty, interval=0)
    bar.update(3, [("loss", 1.0)])
    assert "      3/Unknown" in tty.getvalue()


def test_progbar_in_a_notebook_updates_one_html_display(monkeypatch):
    shown = []

    class Handle:
        def update(self, obj):
            shown.append(("update", obj.data))

    display_module = types.ModuleType("IPython.display")
    display_module.HTML = type("HTML", (), {"__init__": lambda self, data: setattr(self, "data", data)})

    def display(obj, display_id=None):
        shown.append(("display", obj.data))
        return Handle() if display_id else None

    display_module.display = display
    ipython = types.ModuleType("IPython")
    ipython.display = display_module
    ipython.get_ipython = lambda: type("ZMQInteractiveShell", (), {})()
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    monkeypatch.setitem(sys.modules, "IPython.display", display_module)
    assert lx.utils.progbar.in_notebook()
    stream = io.StringIO()
    _fit_with_progbar(stream, 1, steps=3, epochs=2)
    assert stream.getvalue() == ""
    kinds = [k for k, _ in shown]
    assert kinds.count("display") == 4  # per epoch: the header and one bar display
    assert shown[0] == ("display", "<b>Epoch 1/2</b>")
    assert '<progress value="3" max="3"' in shown[kinds.index("display", 2) - 1][1]
    assert "loss: 0.2500" in shown[kinds.index("display", 2) - 1][1]
    assert all("\x1b" not in data for _, data in shown)


def test_progbar_stateless_values_are_averaged_like_keras():
    stream = io.StringIO()
    bar = lx.utils.Progbar(4, verbose=1, file=stream, stateful_metrics=["acc"], interval=100)
    bar.update(2, [("loss", 1.0), ("acc", 0.1)])
    bar.update(4, [("loss", jnp.array(2.0)), ("acc", 0.3)], finalize=False)
    bar.update(4, finalize=True)
    assert stream.getvalue().endswith("loss: 1.5000 - acc: 0.3000\n")
    bar.add(0)
    with pytest.raises(ValueError, match="Only one of `stateful_metrics` or `stateless_metrics`"):
        lx.utils.Progbar(3, stateful_metrics=["a"], stateless_metrics=["b"])


def test_doctests():
    import doctest
    import importlib
    import pkgutil

    names = ["layerax.utils.progbar"] + [
        f"layerax.callbacks.{m.name}" for m in pkgutil.iter_modules(lx.callbacks.__path__)
        if not m.name.startswith("_")  # private helpers (the Orbax backend) have no examples
    ]
    for name in names:
        module = importlib.import_module(name)
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert result.failed == 0 and result.attempted > 0, name
