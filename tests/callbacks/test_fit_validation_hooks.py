"""`fit(validation_data=...)` runs the validation as Keras does: an evaluate() with fit's
callbacks, so `on_test_begin`, `on_test_batch_begin/end` and `on_test_end` are called."""

from __future__ import annotations

import numpy as np

import layerax as lx
from tests.helpers import assert_close, keras


HOOKS = (
    "on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end",
    "on_train_batch_begin", "on_train_batch_end", "on_test_begin", "on_test_end",
    "on_test_batch_begin", "on_test_batch_end",
)


def recorder(base):
    """A callback (a subclass of `base`) recording each hook call: name, batch or epoch, logs."""

    class Recorder(base):
        def __init__(self):
            super().__init__()
            self.calls = []

    def make(hook):
        indexed = hook.startswith(("on_epoch", "on_train_batch", "on_test_batch"))

        def record(self, *args, logs=None):
            index = args[0] if indexed else None
            logs = args[1 if indexed else 0] if len(args) > (1 if indexed else 0) else logs
            self.calls.append((hook, index, {k: float(np.asarray(v)) for k, v in (logs or {}).items()}))

        return record

    for hook in HOOKS:
        setattr(Recorder, hook, make(hook))
    return Recorder()


def test_validation_hooks_match_keras():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(32, 3)).astype("float32")
    y = (x @ rng.normal(size=(3, 1))).astype("float32")
    runs = []
    for K in (keras(), lx):
        model = K.Sequential([K.Input((3,)), K.layers.Dense(1)])
        if runs:
            model.set_weights(runs[0][0])
        else:
            initial = model.get_weights()
        model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
        callback = recorder(K.callbacks.Callback)
        model.fit(x, y, batch_size=16, epochs=2, verbose=0, shuffle=False, callbacks=[callback],
                  validation_data=(x[:24], y[:24]), validation_batch_size=8, validation_freq=2)
        runs.append((initial, callback.calls))
    (_, k_calls), (_, l_calls) = runs
    assert [c[:2] for c in l_calls] == [c[:2] for c in k_calls]
    # The epoch-2 validation: three test batches, then on_test_end before on_epoch_end.
    assert [c[0] for c in l_calls[-10:]] == [
        "on_test_begin", "on_test_batch_begin", "on_test_batch_end", "on_test_batch_begin",
        "on_test_batch_end", "on_test_batch_begin", "on_test_batch_end", "on_test_end",
        "on_epoch_end", "on_train_end",
    ]
    assert "on_test_begin" not in [c[0] for c in l_calls[: l_calls.index(("on_epoch_begin", 1, {}))]]
    for (hook, _, k_logs), (_, _, l_logs) in zip(k_calls, l_calls):
        assert sorted(l_logs) == sorted(k_logs), hook
        assert_close([l_logs[k] for k in k_logs], list(k_logs.values()), rtol=1e-4, atol=1e-5)
