"""The training state beyond the weights: compile configuration and optimizer state.

Optimizer state is stored leaf by leaf (`iterations`, `learning_rate`, then
the optax state of each group of variables, `groups/<g>/<i>`); each group
records which model variables it updates by their layout keys
(`layers/dense/vars/0`), so the state restores into a fresh model of the same
architecture, where variable identities differ.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from layerax.core.variable import Variable
from layerax.saving.keras_layout import layout

__all__ = [
    "compile_config",
    "compile_from_config",
    "optimizer_arrays",
    "plan_optimizer_restore",
]


# ------------------------------------------------------------------ compile
def _serialize_losses(value: Any) -> Any:
    from layerax import losses

    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        return [_serialize_losses(v) for v in value]
    if isinstance(value, dict):
        return {k: _serialize_losses(v) for k, v in value.items()}
    return losses.serialize(value)


def _serialize_metrics(value: Any) -> Any:
    from layerax import metrics

    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        return [_serialize_metrics(v) for v in value]
    if isinstance(value, dict):
        return {k: _serialize_metrics(v) for k, v in value.items()}
    return metrics.serialize(value)


def _deserialize_tree(value: Any, fn: Any) -> Any:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, list):
        return [_deserialize_tree(v, fn) for v in value]
    if isinstance(value, dict) and "class_name" not in value:
        return {k: _deserialize_tree(v, fn) for k, v in value.items()}
    return fn(value)


def compile_config(model: Any) -> dict[str, Any] | None:
    """The arguments of the model's `compile()` as JSON-able data (None if not compiled).

    The optimizer is saved as its config; an optimizer wrapping a raw optax
    transformation cannot be, and is recorded as None (with `optimizer_class`).
    """
    if not getattr(model, "compiled", False):
        return None
    from layerax import optimizers

    state = model._lx_state()
    args, base, optimizer = state.compile_args, state.compile_config, state.optimizer
    try:
        opt_config = optimizers.serialize(optimizer) if type(optimizer) is not optimizers.Optimizer else None
    except Exception:  # an optimizer subclass without a usable get_config
        opt_config = None
    return {
        "optimizer": opt_config,
        "optimizer_class": type(optimizer).__name__,
        "loss": _serialize_losses(args["loss"]),
        "loss_weights": args["loss_weights"],
        "metrics": _serialize_metrics(args["metrics"]),
        "weighted_metrics": _serialize_metrics(args["weighted_metrics"]),
        "run_eagerly": base.get("run_eagerly", False),
        "steps_per_execution": base.get("steps_per_execution", 1),
        "jit_compile": base.get("jit_compile", True),
    }


def compile_from_config(model: Any, config: Mapping[str, Any]) -> bool:
    """Calls `model.compile(...)` from `compile_config`'s output; False when the optimizer
    could not be saved (the model is then left uncompiled)."""
    from layerax import losses, metrics, optimizers

    if config.get("optimizer") is None:
        return False
    model.compile(
        optimizer=optimizers.deserialize(config["optimizer"]),
        loss=_deserialize_tree(config.get("loss"), losses.deserialize),
        loss_weights=config.get("loss_weights"),
        metrics=_deserialize_tree(config.get("metrics"), metrics.deserialize),
        weighted_metrics=_deserialize_tree(config.get("weighted_metrics"), metrics.deserialize),
        run_eagerly=config.get("run_eagerly", False),
        steps_per_execution=config.get("steps_per_execution", 1),
        jit_compile=config.get("jit_compile", True),
    )
    return True


# ---------------------------------------------------------------- optimizer
def _variable_keys(model: Any) -> dict[int, str]:
    keys = {}
    for entry in layout(model):
        for i, var in enumerate(entry.variables):
            keys[id(var)] = entry.var_key(i)
    return keys


def optimizer_arrays(model: Any, optimizer: Any = None) -> tuple[dict[str, np.ndarray], dict[str, Any]] | None:
    """`(arrays, metadata)` of the optimizer's state; None without optimizer.

    Groups updating variables outside the model (an optimizer shared with other
    code) cannot be tied to the file's layout and are left out.
    """
    optimizer = optimizer if optimizer is not None else getattr(model, "optimizer", None)
    if optimizer is None:
        return None
    keys = _variable_keys(model)
    arrays = {"iterations": np.asarray(optimizer._iterations.value)}
    if optimizer._learning_rate is not None:
        arrays["learning_rate"] = np.asarray(optimizer._learning_rate.value)
    groups = []
    for group in optimizer._groups.values():
        if not all(id(v) in keys for v in group.variables):
            continue
        g = len(groups)
        groups.append([keys[id(v)] for v in group.variables])
        for i, state in enumerate(group.state_vars):
            arrays[f"groups/{g}/{i}"] = np.asarray(state.value)
    metadata = {"class_name": type(optimizer).__name__, "groups": groups}
    return arrays, metadata


def plan_optimizer_restore(
    model: Any, arrays: Mapping[str, np.ndarray], metadata: Mapping[str, Any], optimizer: Any = None,
) -> list[tuple[Variable, np.ndarray]]:
    """Builds the optimizer's state for the saved groups and pairs its variables with the
    saved arrays; raises ValueError (before anything is assigned) on any mismatch."""
    optimizer = optimizer if optimizer is not None else model.optimizer
    by_key = {}
    for entry in layout(model):
        for i, var in enumerate(entry.variables):
            by_key[entry.var_key(i)] = var
    plan: list[tuple[Variable, np.ndarray]] = []

    def add(var: Variable, key: str) -> None:
        if key not in arrays:
            raise ValueError(f"The saved optimizer state has no entry '{key}' (corrupted file?).")
        value = arrays[key]
        if tuple(value.shape) != tuple(var.shape):
            raise ValueError(
                f"Optimizer state '{key}' has shape {tuple(value.shape)} but optimizer variable "
                f"'{var.path}' has shape {tuple(var.shape)}: the optimizer or the model differs "
                "from the saved one."
            )
        plan.append((var, value))

    saved_class = metadata.get("class_name")
    if saved_class and saved_class != type(optimizer).__name__:
        raise ValueError(
            f"The saved optimizer state is for a {saved_class} optimizer, but the model's "
            f"optimizer is a {type(optimizer).__name__}."
        )
    add(optimizer._iterations, "iterations")
    if "learning_rate" in arrays and optimizer._learning_rate is not None:
        add(optimizer._learning_rate, "learning_rate")
    for g, group_keys in enumerate(metadata.get("groups", [])):
        missing = [k for k in group_keys if k not in by_key]
        if missing:
            raise ValueError(
                f"The saved optimizer state updates variable '{missing[0]}', which the model "
                "does not have."
            )
        group = optimizer._group_for([by_key[k] for k in group_keys])
        saved = sum(1 for k in arrays if k.startswith(f"groups/{g}/"))
        if saved != len(group.state_vars):
            raise ValueError(
                f"The saved optimizer state has {saved} arrays for variable group {g}, but the "
                f"optimizer keeps {len(group.state_vars)}: the optimizer's configuration differs."
            )
        for i, state in enumerate(group.state_vars):
            add(state, f"groups/{g}/{i}")
    return plan
