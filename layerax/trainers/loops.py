"""The loops of `fit`, `evaluate` and `predict`: epochs, batches, callbacks and logs.

The loops run the prepared batches of trainers/steps.py and call the
callbacks; they never block on a step's logs unless a callback reads them.
"""

from __future__ import annotations

import itertools
from typing import Any

from layerax.distribution.data import to_host_local
from layerax.trainers.compile_utils import tree_concat
from layerax.trainers.steps import direct_steps, execute_steps, steps_stream


# ------------------------------------------------------------------ fit
def train_epochs(model: Any, adapter: Any, val_adapter: Any, callback_list: Any, initial_epoch: int,
                 epochs: int, validation_freq: int) -> None:
    """The epochs of `fit`, from `on_train_begin` to `on_train_end`."""
    state = model._lx_state()
    callback_list.on_train_begin()
    # A callback that restored a backup in on_train_begin says where the interrupted
    # run stopped (Callback.resume_position): fit continues at that epoch and step
    # with that run's shuffle seed, so that it sees the same batches.
    skip_steps = 0
    position = callback_list.resume_position()
    if position is not None:
        initial_epoch, skip_steps = position.epoch, position.step
        if position.shuffle_seed is not None and hasattr(adapter, "seed"):
            adapter.seed = position.shuffle_seed
            callback_list.set_params({**callback_list.params, "shuffle_seed": adapter.seed})
    epoch_logs: dict[str, Any] = {}
    for epoch in range(initial_epoch, epochs):
        model.reset_metrics()
        callback_list.on_epoch_begin(epoch)
        logs = train_epoch(model, adapter, callback_list, epoch, skip_steps)
        skip_steps = 0
        epoch_logs = {k: to_float(v) for k, v in flatten_logs(logs).items()}
        if val_adapter is not None and (epoch + 1) % validation_freq == 0:
            # Validation is an evaluate() with fit's callbacks, as in Keras: the test hooks
            # run (a ProgbarLogger stays quiet during them, it knows it is in fit).
            callback_list.on_test_begin()
            val_logs = evaluate_adapter(model, val_adapter, callback_list=callback_list)
            callback_list.on_test_end(val_logs)
            epoch_logs.update({f"val_{k}": v for k, v in val_logs.items()})
        callback_list.on_epoch_end(epoch, epoch_logs)
        adapter.on_epoch_end()
        if state.stop_training:
            break
    finalize = getattr(state.optimizer, "finalize_variable_values", None)
    if finalize is not None and epochs > initial_epoch:
        # use_ema=True: the trained model keeps the moving averages, as in Keras.
        finalize(model.trainable_weights)
    callback_list.on_train_end(epoch_logs)


def train_epoch(model: Any, adapter: Any, callback_list: Any, epoch: int, skip_steps: int) -> Any:
    """One epoch's steps (after the first `skip_steps` batches); returns the last logs."""
    state = model._lx_state()
    logs: Any = {}
    step = skip_steps
    batch_hooks = callback_list.has_train_batch_hooks()
    direct = None if batch_hooks else direct_steps(model, "train", adapter, epoch, skip_steps)
    if direct is not None:
        # No callback runs between the steps, so nothing can change the step: call it.
        logs, count = direct()
        return _checked(logs, step + count)
    batches = adapter.epoch(epoch)
    if skip_steps:
        batches = itertools.islice(batches, skip_steps, None)
    for count, prepared in steps_stream(model, "train", batches):
        if batch_hooks:
            callback_list.on_train_batch_begin(step)
        logs, _ = execute_steps(model, "train", prepared)
        step += count
        if batch_hooks:
            callback_list.on_train_batch_end(step - 1, flatten_logs(logs))
        if state.stop_training:
            break
    return _checked(logs, step)


def _checked(logs: Any, step: int) -> Any:
    """An epoch's last logs, unless it ran no step."""
    if step == 0:
        raise ValueError(
            "The training data produced no batch in this epoch. Check that `x` is not "
            "empty (or that the generator yields data)."
        )
    return logs


# ------------------------------------------------------------------ evaluate / predict
def evaluate_adapter(model: Any, adapter: Any, callback_list: Any) -> dict[str, Any]:
    """Loss and metrics over one pass of `adapter`, as floats (the test hooks run)."""
    model.reset_metrics()
    logs: dict[str, Any] = {}
    step = 0
    for count, prepared in steps_stream(model, "test", adapter.epoch(0)):
        if callback_list is not None:
            callback_list.on_test_batch_begin(step)
        last, _ = execute_steps(model, "test", prepared)
        step += count
        logs = flatten_logs(last)
        if callback_list is not None:
            callback_list.on_test_batch_end(step - 1, logs)
    return {k: to_float(v) for k, v in logs.items()}


def predict_adapter(model: Any, adapter: Any, callback_list: Any) -> Any:
    """The outputs over one pass of `adapter`, concatenated into numpy arrays."""
    callback_list.on_predict_begin()
    outputs = []
    step = 0
    inputs_only = ((b[0],) for b in adapter.epoch(0))
    for count, prepared in steps_stream(model, "predict", inputs_only):
        callback_list.on_predict_batch_begin(step)
        last, chunks = execute_steps(model, "predict", prepared)
        outputs.extend(chunks)
        step += count
        callback_list.on_predict_batch_end(step - 1, {"outputs": last})
    callback_list.on_predict_end()
    if not outputs:
        raise ValueError("predict() received no data.")
    # Fetched once at the end: converting per step would make each step wait for the last.
    return tree_concat([to_host_local(out) for out in outputs])


# ------------------------------------------------------------------ logs
def format_logs(model: Any, logs: dict[str, Any], return_dict: bool) -> Any:
    """Logs as a dict, or as Keras' list: `metrics_names` order (loss first), then the rest."""
    values = {k: to_float(v) for k, v in flatten_logs(logs).items()}
    if return_dict:
        return values
    order = [n for n in model._log_order() if n in values]
    order += sorted(k for k in values if k not in order)
    items = [values[k] for k in order]
    return items[0] if len(items) == 1 else items


def flatten_logs(logs: Any) -> dict[str, Any]:
    """A step's logs as one flat dict (a custom train_step may return nested dicts)."""
    if not isinstance(logs, dict):
        return {"loss": logs}
    flat: dict[str, Any] = {}
    for key, value in logs.items():
        if isinstance(value, dict):
            flat.update(flatten_logs(value))
        else:
            flat[key] = value
    return flat


def to_float(value: Any) -> Any:
    """A log value as a Python float (an array that is not a scalar stays an array)."""
    import numpy as np

    try:
        return float(value)
    except (TypeError, ValueError):
        return np.asarray(value)
