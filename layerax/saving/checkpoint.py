"""`lx.saving.CheckpointManager`: Orbax checkpoints of the full training state.

A thin layer over `orbax.checkpoint.CheckpointManager` (optional extra
`orbax`: `pip install layerax[orbax]`). Each checkpoint step is a directory
with four Orbax items:

* `model`: every model variable as a JAX array, nested by its Keras-layout key
  (`layers/dense/vars/0` -> `{"layers": {"dense": {"vars": {"0": ...}}}}`),
  random-seed states included (`.../seed_generators/0`);
* `optimizer`: `iterations`, `learning_rate` and the optax slots
  (`groups/<g>/<i>`), as JAX arrays;
* `extras`: the metrics' variables (by metric name) and the global seed
  generator's state, as small host arrays;
* `meta`: JSON: which model variables each optimizer group updates, the
  metric names, the layerax version and any user `extra`.

Arrays are written as they are, sharded or not, by Orbax (asynchronously by
default: `save` returns once the data is safe to be changed, the writing goes
on in the background; `wait_until_finished()` waits for it). `restore` reads
straight into arrays shaped, typed and sharded like the model's current
variables (abstract targets, no host copy), then assigns them.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from typing import Any

import jax
import numpy as np

from layerax.saving.keras_layout import layout

__all__ = ["CheckpointManager"]


def _orbax() -> Any:
    try:
        import orbax.checkpoint as ocp
    except ImportError as err:
        raise ImportError(
            "lx.saving.CheckpointManager needs the optional `orbax-checkpoint` package: "
            "`pip install layerax[orbax]` (or `pip install orbax-checkpoint`)."
        ) from err
    return ocp


def _nest(flat: Mapping[str, Any]) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for key, value in flat.items():
        node = tree
        parts = key.split("/")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return tree


def _flatten(tree: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        path = f"{prefix}/{key}" if prefix else str(key)
        if isinstance(value, Mapping):
            flat.update(_flatten(value, path))
        else:
            flat[path] = value
    return flat


_WARNED_HOOKS: set[type] = set()


def _warn_saving_hooks(layer: Any) -> None:
    """Orbax checkpoints hold the arrays themselves: a layer's own saving hooks are not run."""
    from layerax.saving.weights import overrides

    hooks = [h for h in ("save_own_variables", "load_own_variables") if overrides(layer, h)]
    hooks += [h for h in ("save_assets", "load_assets") if callable(getattr(layer, h, None))]
    if hooks and type(layer) not in _WARNED_HOOKS:
        _WARNED_HOOKS.add(type(layer))
        warnings.warn(
            f"CheckpointManager checkpoints the variables of layer '{layer.name}' "
            f"({type(layer).__name__}) by position and does not call its {', '.join(hooks)}: "
            "state kept only through those hooks is not in the checkpoint. Use `model.save()` "
            "to run them.",
            stacklevel=4,
        )


def _model_variables(model: Any) -> dict[str, Any]:
    found = {}
    for entry in layout(model):
        _warn_saving_hooks(entry.layer)
        for i, var in enumerate(entry.variables):
            found[entry.var_key(i)] = var
        for i, var in enumerate(entry.seed_states):
            found[entry.seed_key(i)] = var
    return found


def _optimizer_variables(model: Any, optimizer: Any) -> tuple[dict[str, Any], list[list[str]]]:
    keys = {id(v): k for k, v in _model_variables(model).items()}
    found = {"iterations": optimizer._iterations}
    if optimizer._learning_rate is not None:
        found["learning_rate"] = optimizer._learning_rate
    groups = []
    for group in optimizer._groups.values():
        if not all(id(v) in keys for v in group.variables):
            continue  # state of variables outside the model
        g = len(groups)
        groups.append([keys[id(v)] for v in group.variables])
        for i, state in enumerate(group.state_vars):
            found[f"groups/{g}/{i}"] = state
    return found, groups


def _item_handlers(ocp: Any) -> dict[str, Any]:
    """One handler per item, known up front.

    A manager only learns an item's handler from the save that uses it; without
    them a manager opened by a new process (a restarted job) could not read the
    items' metadata, so a checkpoint was readable only by the manager that wrote it.
    """
    return {
        "model": ocp.StandardCheckpointHandler(),
        "optimizer": ocp.StandardCheckpointHandler(),
        "extras": ocp.StandardCheckpointHandler(),
        "meta": ocp.JsonCheckpointHandler(),
    }


def _abstract(var: Any) -> jax.ShapeDtypeStruct:
    value = var.value
    return jax.ShapeDtypeStruct(tuple(value.shape), value.dtype, sharding=getattr(value, "sharding", None))


class CheckpointManager:
    """Saves and restores the full training state with Orbax, keeping the latest checkpoints.

    Args:
        directory: Root directory of the checkpoints (one sub-directory per step).
        model: Optional model to save and restore by default.
        max_to_keep: Keep at most this many checkpoints (None: all).
        save_interval_steps: `save(step, ...)` only writes when `step` is a
            multiple of this (or `force=True`).
        async_save: Write in a background thread (`wait_until_finished()` waits).
        **options: More `orbax.checkpoint.CheckpointManagerOptions` fields.

    Example:
        >>> import os, tempfile, numpy as np, layerax as lx
        >>> model = lx.Sequential([lx.Input((3,)), lx.layers.Dense(2)])
        >>> model.compile(optimizer="adam", loss="mse")
        >>> _ = model.train_on_batch(np.ones((4, 3), "float32"), np.zeros((4, 2), "float32"))
        >>> manager = lx.saving.CheckpointManager(os.path.join(tempfile.mkdtemp(), "ckpt"),
        ...                                       model=model, max_to_keep=2)
        >>> manager.save(1)
        True
        >>> manager.wait_until_finished()
        >>> saved = model.get_weights()
        >>> _ = model.train_on_batch(np.ones((4, 3), "float32"), np.zeros((4, 2), "float32"))
        >>> manager.restore()
        1
        >>> all(np.array_equal(a, b) for a, b in zip(model.get_weights(), saved))
        True
        >>> int(model.optimizer.iterations.value)
        1
        >>> manager.close()
    """

    def __init__(
        self,
        directory: Any,
        model: Any = None,
        max_to_keep: int | None = None,
        save_interval_steps: int = 1,
        async_save: bool = True,
        **options: Any,
    ) -> None:
        ocp = _orbax()
        self.directory = os.path.abspath(os.fspath(directory))
        self.model = model
        self._ocp = ocp
        manager_options = ocp.CheckpointManagerOptions(
            max_to_keep=max_to_keep,
            save_interval_steps=save_interval_steps,
            enable_async_checkpointing=async_save,
            **options,
        )
        self._manager = ocp.CheckpointManager(
            self.directory,
            options=manager_options,
            item_handlers=_item_handlers(ocp),
        )

    # -------------------------------------------------------------- save
    def save(
        self,
        step: int,
        model: Any = None,
        optimizer: Any = None,
        metrics: Any = None,
        extra: Mapping[str, Any] | None = None,
        force: bool = False,
        include_optimizer: bool = True,
    ) -> bool:
        """Saves the training state of `model` at `step`; returns whether it was written.

        Args:
            step: Step number of the checkpoint (e.g. `optimizer.iterations`).
            model: The model (the manager's model by default).
            optimizer: The optimizer (the model's by default).
            metrics: Metrics whose state to save (the model's `metrics` by default).
            extra: JSON-able data saved alongside (returned by `restore_extra`).
            force: Write even when `step` is not a multiple of `save_interval_steps`.
            include_optimizer: False leaves the optimizer state out (a weights-only
                checkpoint; `restore` then leaves the optimizer as it is).
        """
        ocp = self._ocp
        model = self._model(model)
        optimizer = optimizer if optimizer is not None else getattr(model, "optimizer", None)
        if not include_optimizer:
            optimizer = None
        model_vars = _model_variables(model)
        opt_vars, groups = _optimizer_variables(model, optimizer) if optimizer is not None else ({}, [])
        metric_list = list(metrics if metrics is not None else getattr(model, "metrics", []))
        names = [_metric_name(m) for m in metric_list]
        # Empty sub-trees are left out: Orbax refuses empty items.
        metric_states = {
            str(i): {str(j): np.asarray(v.value) for j, v in enumerate(m.variables)}
            for i, m in enumerate(metric_list) if m.variables
        }
        extras: dict[str, Any] = {"global_seed": {"state": np.asarray(_global_seed_state().value)}}
        if metric_states:
            extras["metrics"] = metric_states
        meta = {
            "format": "layerax.checkpoint",
            "format_version": 1,
            "optimizer_class": type(optimizer).__name__ if optimizer is not None else None,
            "optimizer_groups": groups,
            "metric_names": names,
            "extra": dict(extra or {}),
        }
        items = {
            "model": ocp.args.StandardSave(_nest({k: v.value for k, v in model_vars.items()})),
            "extras": ocp.args.StandardSave(extras),
            "meta": ocp.args.JsonSave(meta),
        }
        if opt_vars:
            items["optimizer"] = ocp.args.StandardSave(_nest({k: v.value for k, v in opt_vars.items()}))
        if not model_vars:
            raise ValueError(f"Model '{model.name}' has no variables to checkpoint: build it first.")
        return bool(self._manager.save(int(step), args=ocp.args.Composite(**items), force=force))

    # ----------------------------------------------------------- restore
    def restore(
        self, step: int | None = None, model: Any = None, optimizer: Any = None, metrics: Any = None,
    ) -> int:
        """Restores the state saved at `step` (the latest by default) into the model.

        The model must have the saved architecture (e.g. a fresh instance,
        compiled with the same optimizer). Everything is read and checked
        before any variable is assigned. Metric states are restored into the
        metrics that exist (matched by name).

        Returns:
            The step restored.

        Raises:
            FileNotFoundError: when there is no checkpoint (at `step`).
            ValueError: when the checkpoint does not match the model.
        """
        ocp = self._ocp
        model = self._model(model)
        step = self._resolve_step(step)
        meta = self._manager.restore(step, args=ocp.args.Composite(meta=ocp.args.JsonRestore()))["meta"]
        optimizer = optimizer if optimizer is not None else getattr(model, "optimizer", None)
        model_vars = _model_variables(model)
        opt_vars: dict[str, Any] = {}
        if optimizer is not None and meta.get("optimizer_class") is not None:
            if meta["optimizer_class"] != type(optimizer).__name__:
                raise ValueError(
                    f"Checkpoint step {step} holds the state of a {meta['optimizer_class']} "
                    f"optimizer, but the model's optimizer is a {type(optimizer).__name__}."
                )
            for group_keys in meta.get("optimizer_groups", []):
                missing = [k for k in group_keys if k not in model_vars]
                if missing:
                    raise ValueError(
                        f"Checkpoint step {step} has optimizer state for variable '{missing[0]}', "
                        "which the model does not have: the architecture differs."
                    )
                optimizer._group_for([model_vars[k] for k in group_keys])
            opt_vars, _ = _optimizer_variables(model, optimizer)
        # Check keys and shapes against the checkpoint's metadata first: Orbax would fail
        # half-way through its reads otherwise.
        for name, variables in (("model", model_vars), ("optimizer", opt_vars)):
            if variables:
                self._check_item(step, name, variables, model)
        targets = {"model": _nest({k: _abstract(v) for k, v in model_vars.items()})}
        if opt_vars:
            targets["optimizer"] = _nest({k: _abstract(v) for k, v in opt_vars.items()})
        try:
            restored = self._manager.restore(step, args=ocp.args.Composite(
                **{name: ocp.args.StandardRestore(tree) for name, tree in targets.items()},
                extras=ocp.args.StandardRestore(),
            ))
        except (ValueError, KeyError, TypeError) as err:
            raise ValueError(
                f"Checkpoint step {step} in {self.directory!r} does not match the model "
                f"'{model.name}' (a different architecture or optimizer?): {err}"
            ) from err
        plan = []
        for name, variables in (("model", model_vars), ("optimizer", opt_vars)):
            if name not in targets:
                continue
            values = _flatten(restored[name])
            for key, var in variables.items():
                value = values.get(key)
                if value is None or tuple(value.shape) != tuple(var.shape):
                    raise ValueError(
                        f"Checkpoint step {step}: entry '{name}/{key}' does not match variable "
                        f"'{var.path}' of shape {var.shape}."
                    )
                plan.append((var, value))
        extras = restored["extras"]
        metric_list = list(metrics if metrics is not None else getattr(model, "metrics", []))
        saved_metrics = extras.get("metrics", {})
        by_name = {n: str(i) for i, n in enumerate(meta.get("metric_names", []))}
        for metric in metric_list:
            index = by_name.get(_metric_name(metric))
            saved = saved_metrics.get(index) if index is not None else None
            if saved is None or len(saved) != len(metric.variables):
                continue
            for j, var in enumerate(metric.variables):
                value = np.asarray(saved[str(j)])
                if value.shape == tuple(var.shape):
                    plan.append((var, value))
        seed = extras.get("global_seed", {}).get("state")
        if seed is not None:
            plan.append((_global_seed_state(), np.asarray(seed)))
        for var, value in plan:
            var.assign(value)
        self._last_extra = meta.get("extra", {})
        return step

    def _check_item(self, step: int, name: str, variables: Mapping[str, Any], model: Any) -> None:
        metadata = self._manager.item_metadata(step).get(name)
        if metadata is None:
            raise ValueError(
                f"Checkpoint step {step} in {self.directory!r} has no readable '{name}' item, "
                f"which model '{model.name}' needs: the checkpoint is incomplete or was not "
                "written by lx.saving.CheckpointManager."
            )
        saved = _flatten(getattr(metadata, "tree", metadata))
        for key, var in variables.items():
            entry = saved.get(key)
            if entry is None or tuple(entry.shape) != tuple(var.shape):
                found = "nothing" if entry is None else f"shape {tuple(entry.shape)}"
                raise ValueError(
                    f"Checkpoint step {step} in {self.directory!r} does not match model "
                    f"'{model.name}': variable '{var.path}' (entry '{name}/{key}') has shape "
                    f"{tuple(var.shape)}, the checkpoint has {found}. Restore into a model of the "
                    "saved architecture, compiled with the saved optimizer."
                )
        extra = sorted(set(saved) - set(variables))
        if extra:
            raise ValueError(
                f"Checkpoint step {step} in {self.directory!r} does not match model "
                f"'{model.name}': it has entry '{name}/{extra[0]}', which the model lacks."
            )

    def restore_extra(self, step: int | None = None) -> dict[str, Any]:
        """The `extra` data saved at `step` (the latest by default)."""
        ocp = self._ocp
        step = self._resolve_step(step)
        meta = self._manager.restore(step, args=ocp.args.Composite(meta=ocp.args.JsonRestore()))["meta"]
        return dict(meta.get("extra", {}))

    # ------------------------------------------------------------- misc
    def latest_step(self) -> int | None:
        """The newest saved step (None when there is none)."""
        return self._manager.latest_step()

    def all_steps(self) -> list[int]:
        """Every saved step, oldest first."""
        return sorted(self._manager.all_steps())

    def reload(self) -> None:
        """Re-reads the saved steps from disk (after another process or manager wrote some)."""
        self._manager.reload()

    def wait_until_finished(self) -> None:
        """Blocks until the asynchronous saves in flight are written."""
        self._manager.wait_until_finished()

    def close(self) -> None:
        """Waits for pending saves and releases Orbax's resources."""
        self._manager.close()

    def __enter__(self) -> CheckpointManager:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _model(self, model: Any) -> Any:
        model = model if model is not None else self.model
        if model is None:
            raise ValueError(
                "No model: pass `model=` to the CheckpointManager or to save()/restore()."
            )
        return model

    def _resolve_step(self, step: int | None) -> int:
        self._manager.reload()
        if step is None:
            step = self._manager.latest_step()
            if step is None:
                raise FileNotFoundError(f"No checkpoint in {self.directory!r}.")
        elif int(step) not in self._manager.all_steps():
            raise FileNotFoundError(
                f"No checkpoint for step {step} in {self.directory!r}. Saved steps: "
                f"{sorted(self._manager.all_steps())}."
            )
        return int(step)


def _metric_name(metric: Any) -> str:
    return getattr(metric, "_lx_log_name", None) or metric.name


def _global_seed_state() -> Any:
    from layerax.core.random import global_seed_generator

    return global_seed_generator().state
