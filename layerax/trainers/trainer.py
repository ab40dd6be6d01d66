"""`compile` / `fit` / `evaluate` / `predict`: the Keras training API, compiled with lx.function.

The train step is ordinary stateful Keras code (`train_step(data)`): it reads
and assigns variables of the model, the optimizer and the metrics. `fit`
compiles it with `lx.function`, the same bridge a TF-style custom loop uses, so
one call runs forward, losses (including `add_loss`), gradients, the optimizer
update, constraints and metric updates as a single XLA computation. With
`steps_per_execution=K`, K steps run inside one call through `lax.scan` over
the state carried as values.

Logs stay on the device: `fit` never blocks on a step unless a callback reads
the logs (converting them with `float()`).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from layerax.core.state import StateScope
from layerax.function import Function, function
from layerax.trainers import data_adapters
from layerax.trainers.compile_utils import CompileLoss, CompileMetrics, tree_concat


class Trainer:
    """Mixin of `lx.Model` with the training API."""

    # ----------------------------------------------------------- compile
    def compile(
        self,
        optimizer: Any = "rmsprop",
        loss: Any = None,
        loss_weights: Any = None,
        metrics: Any = None,
        weighted_metrics: Any = None,
        run_eagerly: bool = False,
        steps_per_execution: int = 1,
        jit_compile: Any = True,
        auto_scale_loss: bool = True,
    ) -> None:
        """Configures the model for training.

        Args:
            optimizer: Name, `lx.optimizers.Optimizer` or optax transformation.
            loss: Loss name, function or `lx.losses.Loss`; a list or dict for
                several outputs (None for an output without loss).
            loss_weights: Scalar, list or dict weighting the per-output losses.
            metrics: Metrics (names, functions or `lx.metrics.Metric`); lists
                or dicts per output. `"accuracy"` resolves to the right one.
            weighted_metrics: Metrics that also receive the sample weights.
            run_eagerly: Run the steps without compilation (for debugging).
            steps_per_execution: Steps run per compiled call (`lax.scan`).
            jit_compile: `False` is the same as `run_eagerly=True`.
            auto_scale_loss: Kept for Keras compatibility.
        """
        from layerax import metrics as metrics_module
        from layerax import optimizers

        if int(steps_per_execution) < 1:
            raise ValueError(
                f"`steps_per_execution` must be >= 1. Received: steps_per_execution={steps_per_execution}"
            )
        object.__setattr__(self, "optimizer", optimizers.get(optimizer))
        object.__setattr__(self, "_lx_compile_args", {
            "loss": loss,
            "loss_weights": loss_weights,
            "metrics": metrics,
            "weighted_metrics": weighted_metrics,
        })
        object.__setattr__(self, "_lx_compile_config", {
            "optimizer": optimizer if isinstance(optimizer, str) else None,
            "loss": loss if isinstance(loss, (str, list, dict, type(None))) else None,
            "loss_weights": loss_weights,
            "metrics": metrics if _is_plain_config(metrics) else None,
            "weighted_metrics": weighted_metrics if _is_plain_config(weighted_metrics) else None,
            "run_eagerly": run_eagerly,
            "steps_per_execution": steps_per_execution,
            "jit_compile": jit_compile,
        })
        object.__setattr__(self, "run_eagerly", bool(run_eagerly) or jit_compile is False)
        object.__setattr__(self, "steps_per_execution", int(steps_per_execution))
        object.__setattr__(self, "_lx_loss_tracker", metrics_module.Mean(name="loss"))
        object.__setattr__(self, "_lx_compile_loss", None)
        object.__setattr__(self, "_lx_compile_metrics", None)
        object.__setattr__(self, "_lx_functions", {})
        object.__setattr__(self, "compiled", True)
        object.__setattr__(self, "stop_training", False)

    def _require_compiled(self, what: str) -> None:
        if not getattr(self, "compiled", False):
            raise RuntimeError(
                f"You must call `compile()` before calling `{what}()` on model '{self.name}'. "
                "For example: `model.compile(optimizer='adam', loss='mse')`."
            )

    def _output_names(self, y_pred: Any) -> list[str]:
        names = getattr(self, "output_names", None)
        if names:
            return list(names)
        if isinstance(y_pred, dict):
            return list(y_pred)
        if isinstance(y_pred, (list, tuple)):
            return [f"output_{i + 1}" for i in range(len(y_pred))]
        return ["output"]

    def _ensure_compile_objects(self, y: Any, y_pred: Any) -> None:
        if self._lx_compile_loss is None:
            names = self._output_names(y_pred)
            args = self._lx_compile_args
            compile_loss = CompileLoss(args["loss"], args["loss_weights"], names, y, y_pred)
            object.__setattr__(self, "_lx_compile_loss", compile_loss)
            object.__setattr__(self, "_lx_compile_metrics", CompileMetrics(
                args["metrics"], args["weighted_metrics"], names, compile_loss.losses
            ))

    # ----------------------------------------------------------- losses
    def compute_loss(
        self,
        x: Any = None,
        y: Any = None,
        y_pred: Any = None,
        sample_weight: Any = None,
        training: bool = True,
    ) -> Any:
        """The compiled loss plus the model's own losses (`add_loss`, regularizers)."""
        self._ensure_compile_objects(y, y_pred)
        total, _ = self._lx_compile_loss(y, y_pred, sample_weight)
        for extra in self.losses:
            total = total + jnp.asarray(extra, jnp.float32)
        return total

    @property
    def metrics(self) -> list[Any]:
        """The loss tracker, then the compiled metrics (once built)."""
        if not getattr(self, "compiled", False):
            return []
        found = [self._lx_loss_tracker]
        if self._lx_compile_metrics is not None:
            found.extend(m for _, m, _ in self._lx_compile_metrics.metrics)
        found.extend(self.__dict__.get("_lx_added_trackers", {}).values())
        return found

    @property
    def metrics_names(self) -> list[str]:
        return [getattr(m, "_lx_log_name", m.name) for m in self.metrics]

    def compute_metrics(self, x: Any, y: Any, y_pred: Any, sample_weight: Any = None) -> dict[str, Any]:
        """Updates the compiled metrics and returns every metric's current result."""
        self._ensure_compile_objects(y, y_pred)
        if y is not None:
            self._lx_compile_metrics.update_state(y, y_pred, sample_weight)
        return self.get_metrics_result()

    def get_metrics_result(self) -> dict[str, Any]:
        logs = {"loss": self._lx_loss_tracker.result()}
        if self._lx_compile_metrics is not None:
            logs.update(self._lx_compile_metrics.results())
        for name, tracker in self.__dict__.get("_lx_added_trackers", {}).items():
            logs[name] = tracker.result()
        return logs

    def reset_metrics(self) -> None:
        """Resets the state of every metric (the loss tracker included)."""
        from layerax.metrics.base import Metric

        metrics = self.metrics
        functions = self.__dict__.get("_lx_functions")
        if functions is None or self.run_eagerly:
            for metric in metrics:
                metric.reset_state()
            return
        # Metrics that reset with the base implementation (zeros) are reset together in one
        # compiled call: eagerly, each variable would cost an op dispatch now and a copy on the
        # next step (its new buffer is not known to be unshared, so it cannot be donated).
        # The first reset runs eagerly, so nothing extra compiles before the first step.
        plain = tuple(m for m in metrics if type(m).reset_state is Metric.reset_state)
        others = [m for m in metrics if type(m).reset_state is not Metric.reset_state]
        compiled = functions.get("reset")
        if compiled is None or not plain:
            if compiled is None:
                functions["reset"] = function(_reset_all)
            for metric in metrics:
                metric.reset_state()
            return
        compiled(plain)
        for metric in others:
            metric.reset_state()

    # ------------------------------------------------------------ steps
    def train_step(self, data: Any) -> dict[str, Any]:
        """One optimisation step on a batch `(x, y, sample_weight)`; returns the logs.

        Override it in a subclass to customise training, in stateful style (a
        `GradientTape` and `self.optimizer.apply_gradients`); `fit` compiles
        the override.
        """
        x, y, sample_weight = data_adapters.unpack(data)
        _ensure_built(self, x)
        trainable = self.trainable_variables
        non_trainable = self.non_trainable_variables
        non_trainable_values = [v.value for v in non_trainable]

        def loss_fn(values: list[Any]) -> Any:
            y_pred, new_non_trainable, losses, added = self._lx_stateless_forward(
                trainable, non_trainable, values + non_trainable_values, (x,), {"training": True}
            )
            self._ensure_compile_objects(y, y_pred)
            loss, _ = self._lx_compile_loss(y, y_pred, sample_weight)
            for extra in losses:
                loss = loss + jnp.asarray(extra, jnp.float32)
            return loss, (y_pred, new_non_trainable, added)

        (loss, (y_pred, new_non_trainable, added)), grads = jax.value_and_grad(
            loss_fn, has_aux=True
        )([v.value for v in trainable])
        for var, value in zip(non_trainable, new_non_trainable):
            var.assign(value)
        if trainable:
            self.optimizer.apply_gradients(zip(grads, trainable))
        self._lx_loss_tracker.update_state(loss, sample_weight=_batch_size(x))
        self._update_added_metrics(added)
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def _update_added_metrics(self, added: list[tuple[str, Any, str]]) -> None:
        """Feeds `add_metric` values of the forward pass to per-name trackers."""
        from layerax import metrics as metrics_module

        trackers = self.__dict__.setdefault("_lx_added_trackers", {})
        for name, value, aggregation in added:
            tracker = trackers.get(name)
            if tracker is None:
                cls = metrics_module.Sum if aggregation == "sum" else metrics_module.Mean
                tracker = trackers[name] = cls(name=name)
            tracker.update_state(value)

    def test_step(self, data: Any) -> dict[str, Any]:
        """Loss and metrics on a batch, in inference mode."""
        x, y, sample_weight = data_adapters.unpack(data)
        y_pred = self(x, training=False)
        loss = self.compute_loss(x, y, y_pred, sample_weight, training=False)
        self._lx_loss_tracker.update_state(loss, sample_weight=_batch_size(x))
        self._update_added_metrics(self.added_metrics)
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def predict_step(self, data: Any) -> Any:
        """The model's outputs on a batch, in inference mode."""
        x, _, _ = data_adapters.unpack(data)
        return self(x, training=False)

    # ------------------------------------------------- compiled functions
    def _step_function(self, kind: str) -> Callable[[Any], Any]:
        cache = self._lx_functions
        if kind in cache:
            return cache[kind]
        step = {"train": self.train_step, "test": self.test_step, "predict": self.predict_step}[kind]
        if self.run_eagerly:
            fn: Callable[[Any], Any] = step
        else:
            fn = function(step)
        cache[kind] = fn
        return fn

    def _multi_step_function(self, kind: str, sample_batch: Any) -> Callable[[Any], Any]:
        """K steps in one compiled call: `lax.scan` over the state of the single step."""
        key = f"{kind}_multi"
        cache = self._lx_functions
        if key in cache:
            return cache[key]
        single = self._step_function(kind)
        assert isinstance(single, Function)
        assigned, _ = single.state_variables(sample_batch)
        step = single._fn

        def run_many(batches: Any) -> Any:
            def body(carry: list[Any], batch: Any) -> tuple[list[Any], Any]:
                with StateScope(assigned, carry) as scope:
                    logs = step(batch)
                return scope.values_out, logs

            final, logs = jax.lax.scan(body, [v.value for v in assigned], batches)
            for var, value in zip(assigned, final):
                var.assign(value)
            if kind == "predict":
                return logs  # every step's outputs, stacked
            # Only the last step's logs are reported: select them in the compiled program
            # rather than slicing K results on the host afterwards.
            return jax.tree.map(lambda v: v[-1], logs)

        fn = cache[key] = function(run_many)
        return fn

    def _run_steps(self, kind: str, batches: list[Any]) -> tuple[Any, list[Any]]:
        """Runs a group of batches (K > 1 in one compiled call).

        Returns the last step's logs (or outputs) and, for "predict", the outputs of all
        steps as a list of chunks to concatenate (one chunk per call).
        """
        if len(batches) == 1 or self.run_eagerly:
            fn = self._step_function(kind)
            outs = [fn(batch) for batch in batches]
            return outs[-1], outs
        stacked = jax.tree.map(lambda *xs: np.stack([np.asarray(x) for x in xs]), *batches)
        fn = self._multi_step_function(kind, batches[0])
        out = fn(stacked)
        if kind != "predict":
            return out, [out]
        # (K, batch, ...) -> (K * batch, ...): the batches of a group have equal shapes.
        flat = jax.tree.map(lambda v: v.reshape((-1,) + v.shape[2:]), out)
        return jax.tree.map(lambda v: v[-1], out), [flat]

    # -------------------------------------------------------------- fit
    def fit(
        self,
        x: Any = None,
        y: Any = None,
        batch_size: int | None = None,
        epochs: int = 1,
        verbose: Any = "auto",
        callbacks: Any = None,
        validation_split: float = 0.0,
        validation_data: Any = None,
        shuffle: bool = True,
        class_weight: dict[int, float] | None = None,
        sample_weight: Any = None,
        initial_epoch: int = 0,
        steps_per_epoch: int | None = None,
        validation_steps: int | None = None,
        validation_batch_size: int | None = None,
        validation_freq: int = 1,
    ) -> Any:
        """Trains the model for `epochs` epochs; returns a `History`.

        Args:
            x: Inputs: arrays (lists/dicts for several inputs), a generator or
                iterator of `(x, y[, sample_weight])`, or a `PyDataset`.
            y: Targets (arrays only).
            batch_size: Samples per step for array inputs (32).
            epochs: Index of the last epoch.
            verbose: "auto" or 1 (progress bar), 2 (a line per epoch), 0 (silent).
            callbacks: List of `lx.callbacks.Callback`.
            validation_split: Fraction of the array data held out (the last samples).
            validation_data: `(x_val, y_val[, sw_val])` or any input `x` accepts.
            shuffle: Shuffle array data (and PyDataset batch order) every epoch.
            class_weight: `{class: weight}` turned into sample weights.
            sample_weight: Per-sample weights for array inputs.
            initial_epoch: Epoch at which to start (to resume training). A
                `BackupAndRestore` callback with a backup overrides it (and the
                step within the epoch, and the shuffle seed) in `on_train_begin`.
            steps_per_epoch: Steps per epoch (required for endless generators).
            validation_steps: Steps of validation per epoch.
            validation_batch_size: Batch size of validation (default batch_size).
            validation_freq: Validate every `validation_freq` epochs.
        """
        from layerax import callbacks as callbacks_module

        self._require_compiled("fit")
        if validation_split and validation_data is None:
            if not data_adapters._is_array(x) and not isinstance(x, (list, tuple, dict)):
                raise ValueError(
                    "`validation_split` is only supported for array inputs. Pass "
                    "`validation_data` with generators and PyDatasets."
                )
            (x, y, sample_weight), validation_data = data_adapters.train_validation_split(
                x, y, sample_weight, validation_split
            )
        shuffle_seed = _fit_seed()
        adapter = data_adapters.get_adapter(
            x, y, sample_weight, batch_size=batch_size, shuffle=shuffle,
            steps=steps_per_epoch, class_weight=class_weight, seed=shuffle_seed,
        )
        # Read by BackupAndRestore, which saves it so that a resumed run shuffles alike.
        object.__setattr__(self, "_lx_fit_seed", shuffle_seed)
        val_adapter = None
        if validation_data is not None:
            vx, vy, vsw = data_adapters.unpack(validation_data) if isinstance(validation_data, tuple) else (validation_data, None, None)
            val_adapter = data_adapters.get_adapter(
                vx, vy, vsw, batch_size=validation_batch_size or batch_size, steps=validation_steps
            )
        verbose = _resolve_verbose(verbose)
        callback_list = callbacks_module.CallbackList(
            callbacks, add_history=True, add_progbar=verbose != 0, model=self,
            verbose=verbose, epochs=epochs, steps=adapter.num_batches,
        )
        history = callback_list.history
        object.__setattr__(self, "history", history)
        object.__setattr__(self, "stop_training", False)
        callback_list.on_train_begin()
        # A callback restoring a backup (BackupAndRestore) sets `_lx_resume` in
        # on_train_begin: the epoch and step to continue from and the shuffle seed of
        # the interrupted run, so that the resumed run sees the same batches.
        resume = self.__dict__.pop("_lx_resume", None) or {}
        initial_epoch = int(resume.get("epoch", initial_epoch))
        skip_steps = int(resume.get("step", 0))
        if resume.get("shuffle_seed") is not None and hasattr(adapter, "seed"):
            adapter.seed = resume["shuffle_seed"]
            object.__setattr__(self, "_lx_fit_seed", resume["shuffle_seed"])
        epoch_logs: dict[str, Any] = {}
        for epoch in range(initial_epoch, epochs):
            self.reset_metrics()
            callback_list.on_epoch_begin(epoch)
            logs: dict[str, Any] = {}
            step = skip_steps
            batches = adapter.epoch(epoch)
            if skip_steps:
                batches = itertools.islice(batches, skip_steps, None)
            skip_steps = 0
            batch_hooks = _has_train_batch_hooks(callback_list)
            for group in _grouped(batches, self.steps_per_execution):
                if batch_hooks:
                    callback_list.on_train_batch_begin(step)
                logs, _ = self._run_steps("train", group)
                step += len(group)
                if batch_hooks:
                    callback_list.on_train_batch_end(step - 1, logs)
                if self.stop_training:
                    break
            if step == 0:
                raise ValueError(
                    "The training data produced no batch in this epoch. Check that `x` is not "
                    "empty (or that the generator yields data)."
                )
            epoch_logs = {k: _to_float(v) for k, v in logs.items()}
            if val_adapter is not None and (epoch + 1) % validation_freq == 0:
                val_logs = self._evaluate_adapter(val_adapter, callback_list=None)
                epoch_logs.update({f"val_{k}": v for k, v in val_logs.items()})
            callback_list.on_epoch_end(epoch, epoch_logs)
            adapter.on_epoch_end()
            if self.stop_training:
                break
        callback_list.on_train_end(epoch_logs)
        return history

    # ---------------------------------------------------------- evaluate
    def _evaluate_adapter(self, adapter: Any, callback_list: Any) -> dict[str, float]:
        self.reset_metrics()
        logs: dict[str, Any] = {}
        step = 0
        for group in _grouped(adapter.epoch(0), self.steps_per_execution):
            if callback_list is not None:
                callback_list.on_test_batch_begin(step)
            logs, _ = self._run_steps("test", group)
            step += len(group)
            if callback_list is not None:
                callback_list.on_test_batch_end(step - 1, logs)
        return {k: _to_float(v) for k, v in logs.items()}

    def evaluate(
        self,
        x: Any = None,
        y: Any = None,
        batch_size: int | None = None,
        verbose: Any = "auto",
        sample_weight: Any = None,
        steps: int | None = None,
        callbacks: Any = None,
        return_dict: bool = False,
    ) -> Any:
        """Loss and metrics on data; a scalar, a list `[loss, *metrics]` or a dict."""
        from layerax import callbacks as callbacks_module

        self._require_compiled("evaluate")
        adapter = data_adapters.get_adapter(x, y, sample_weight, batch_size=batch_size, steps=steps)
        verbose = _resolve_verbose(verbose)
        callback_list = callbacks_module.CallbackList(
            callbacks, add_history=False, add_progbar=verbose != 0, model=self,
            verbose=verbose, epochs=1, steps=adapter.num_batches,
        )
        callback_list.on_test_begin()
        logs = self._evaluate_adapter(adapter, callback_list)
        callback_list.on_test_end(logs)
        return self._format_logs(logs, return_dict)

    # ----------------------------------------------------------- predict
    def predict(self, x: Any, batch_size: int | None = None, verbose: Any = "auto", steps: int | None = None,
                callbacks: Any = None) -> Any:
        """Outputs for `x`, batched and concatenated into numpy arrays."""
        from layerax import callbacks as callbacks_module

        adapter = data_adapters.get_adapter(x, batch_size=batch_size, steps=steps)
        verbose = _resolve_verbose(verbose)
        callback_list = callbacks_module.CallbackList(
            callbacks, add_history=False, add_progbar=verbose != 0, model=self,
            verbose=verbose, epochs=1, steps=adapter.num_batches,
        )
        if not hasattr(self, "_lx_functions"):
            object.__setattr__(self, "_lx_functions", {})
            object.__setattr__(self, "run_eagerly", False)
            object.__setattr__(self, "steps_per_execution", 1)
        callback_list.on_predict_begin()
        outputs = []
        step = 0
        for group in _grouped(adapter.epoch(0), self.steps_per_execution):
            callback_list.on_predict_batch_begin(step)
            last, chunks = self._run_steps("predict", [(b[0],) for b in group])
            outputs.extend(chunks)
            step += len(group)
            callback_list.on_predict_batch_end(step - 1, {"outputs": last})
        callback_list.on_predict_end()
        if not outputs:
            raise ValueError("predict() received no data.")
        return tree_concat(outputs)

    def _format_logs(self, logs: dict[str, Any], return_dict: bool) -> Any:
        """Logs as a dict, or as Keras' list: `metrics_names` order (loss first), then the rest."""
        values = {k: _to_float(v) for k, v in logs.items()}
        if return_dict:
            return values
        order = [n for n in self.metrics_names if n in values]
        order += [k for k in values if k not in order]
        items = [values[k] for k in order]
        return items[0] if len(items) == 1 else items

    # ----------------------------------------------------- on one batch
    def train_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None, class_weight: Any = None,
                       return_dict: bool = False) -> Any:
        """One training step on one batch; returns the loss (and metrics)."""
        self._require_compiled("train_on_batch")
        if class_weight is not None:
            sample_weight = data_adapters.class_weight_to_sample_weight(y, class_weight)
        logs, _ = self._run_steps("train", [(x, y, sample_weight)])
        return self._format_logs(logs, return_dict)

    def test_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None, return_dict: bool = False) -> Any:
        """Loss (and metrics) on one batch, without training."""
        self._require_compiled("test_on_batch")
        self.reset_metrics()
        logs, _ = self._run_steps("test", [(x, y, sample_weight)])
        return self._format_logs(logs, return_dict)

    def predict_on_batch(self, x: Any) -> Any:
        """The model's outputs on one batch, as numpy arrays."""
        if not hasattr(self, "_lx_functions"):
            object.__setattr__(self, "_lx_functions", {})
            object.__setattr__(self, "run_eagerly", False)
            object.__setattr__(self, "steps_per_execution", 1)
        out, _ = self._run_steps("predict", [(x,)])
        return jax.tree.map(np.asarray, out)


# ------------------------------------------------------------------ helpers
def _ensure_built(model: Any, x: Any) -> None:
    """Builds the model's weights from a batch, by abstract evaluation (nothing runs)."""
    if model.built:
        return

    def run(inputs: Any) -> Any:
        with StateScope([], [], adopt_missing=True):
            return model(inputs, training=False)

    jax.eval_shape(run, x)


def _has_train_batch_hooks(callback_list: Any) -> bool:
    """Whether any callback does something per training batch (else fit skips the calls)."""
    from layerax.callbacks.callback import is_default
    from layerax.callbacks.callback_list import CallbackList

    kind = type(callback_list)
    if kind.on_train_batch_begin is not CallbackList.on_train_batch_begin or (
        kind.on_train_batch_end is not CallbackList.on_train_batch_end
    ):
        return True
    hooks = ("on_train_batch_begin", "on_train_batch_end", "on_batch_begin", "on_batch_end")
    return any(not is_default(getattr(cb, hook, None)) for cb in callback_list.callbacks for hook in hooks)


def _reset_all(metrics: tuple[Any, ...]) -> None:
    for metric in metrics:
        metric.reset_state()


def _batch_size(x: Any) -> Any:
    leaves = jax.tree_util.tree_leaves(x)
    return jnp.asarray(leaves[0].shape[0] if leaves and np.ndim(leaves[0]) else 1, jnp.float32)


def _grouped(batches: Any, size: int) -> Any:
    if size == 1:  # no stacking, so no shapes to compare
        for batch in batches:
            yield [batch]
        return
    group: list[Any] = []
    shapes = None
    for batch in batches:
        batch_shapes = jax.tree.map(np.shape, batch)
        if group and (len(group) == size or batch_shapes != shapes):
            yield group
            group = []
        group.append(batch)
        shapes = batch_shapes
    if group:
        yield group


def _to_float(value: Any) -> Any:
    try:
        return float(value)
    except (TypeError, ValueError):
        return np.asarray(value)




def _resolve_verbose(verbose: Any) -> int:
    if verbose == "auto":
        return 1
    return int(verbose)


def _fit_seed() -> int:
    from layerax.core.random import make_default_seed

    return make_default_seed()


def _is_plain_config(value: Any) -> bool:
    if value is None or isinstance(value, str):
        return True
    if isinstance(value, (list, tuple)):
        return all(_is_plain_config(v) for v in value)
    if isinstance(value, dict):
        return all(_is_plain_config(v) for v in value.values())
    return False

