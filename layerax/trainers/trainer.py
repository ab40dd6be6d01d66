"""`compile` / `fit` / `evaluate` / `predict`: the Keras training API, compiled with lx.function.

The train step is ordinary stateful Keras code (`train_step(data)`): it reads
and assigns variables of the model, the optimizer and the metrics. A step
overridden in Keras-JAX's stateless form (`train_step(state, data)`) runs through
an adapter that passes the variables' values and assigns the returned ones
(trainers/stateless.py). `fit`
compiles it with `lx.function`, the same bridge a TF-style custom loop uses, so
one call runs forward, losses (including `add_loss`), gradients, the optimizer
update, constraints and metric updates as a single XLA computation. With
`steps_per_execution=K`, K steps run inside one call through `lax.scan` over
the state carried as values.

Logs stay on the device: `fit` never blocks on a step unless a callback reads
the logs (converting them with `float()`).

The bookkeeping (optimizer, compile arguments, compiled steps, `history`,
`stop_training`) is one `TrainingState` outside the model's pytree
(trainers/state.py): training never changes the model's tree structure.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from layerax.core.context import CTX
from layerax.core.state import StateScope
from layerax.distribution.data import place_batch_for_step, prefetch_to_device, to_host_local
from layerax.function import Function, function
from layerax.models import host_prefix
from layerax.trainers import data_adapters
from layerax.trainers.arguments import check_loop_arguments, check_loss_weights, check_numeric
from layerax.trainers.compile_utils import (
    CompileLoss,
    CompileMetrics,
    default_output_names,
    tree_concat,
)
from layerax.trainers.state import STATE_ATTRIBUTES, TrainingState
from layerax.trainers.stateless import (
    StatelessTrainerMixin,
    run_as_stateless,
    stateful_adapter,
    takes_state,
)


class Trainer(StatelessTrainerMixin):
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
                several outputs (None for an output without loss). None on a
                model compiled before keeps the earlier loss, as in Keras 3
                (the same holds for `metrics` and `weighted_metrics`).
            loss_weights: Scalar, list or dict weighting the per-output losses.
            metrics: Metrics (names, functions or `lx.metrics.Metric`); lists
                or dicts per output. `"accuracy"` resolves to the right one.
            weighted_metrics: Metrics that also receive the sample weights.
            run_eagerly: Run the steps without compilation (for debugging).
            steps_per_execution: Steps run per compiled call (`lax.scan`).
            jit_compile: `False` is the same as `run_eagerly=True`.
            auto_scale_loss: When the model's dtype policy is `"mixed_float16"`,
                wrap the optimizer in a `LossScaleOptimizer` (dynamic loss
                scaling against float16 underflow), as Keras does.
        """
        from layerax import metrics as metrics_module
        from layerax import optimizers

        check_loss_weights(loss_weights, _declared_output_names(self))
        if int(steps_per_execution) < 1:
            raise ValueError(
                f"`steps_per_execution` must be >= 1. Received: steps_per_execution={steps_per_execution}"
            )
        optimizer = optimizers.get(optimizer)
        if (
            auto_scale_loss
            and self.dtype_policy.name == "mixed_float16"
            and not isinstance(optimizer, optimizers.LossScaleOptimizer)
        ):
            optimizer = optimizers.LossScaleOptimizer(optimizer, name="loss_scale_optimizer")
        state = self._lx_state()
        # Like Keras 3, compiling again without a loss (or without metrics) keeps those of
        # the previous compile().
        kept_metrics = None
        if state.compiled:
            if loss is None and state.compile_args.get("loss") is not None:
                loss, loss_weights = state.compile_args["loss"], state.compile_args["loss_weights"]
            if metrics is None and weighted_metrics is None:
                metrics = state.compile_args.get("metrics")
                weighted_metrics = state.compile_args.get("weighted_metrics")
                kept_metrics = state.compile_metrics
        state.optimizer = optimizer
        state.compile_args = {
            "loss": loss,
            "loss_weights": loss_weights,
            "metrics": metrics,
            "weighted_metrics": weighted_metrics,
        }
        state.compile_config = {
            "optimizer": optimizer if isinstance(optimizer, str) else None,
            "loss": loss if isinstance(loss, (str, list, dict, type(None))) else None,
            "loss_weights": loss_weights,
            "metrics": metrics if _is_plain_config(metrics) else None,
            "weighted_metrics": weighted_metrics if _is_plain_config(weighted_metrics) else None,
            "run_eagerly": run_eagerly,
            "steps_per_execution": steps_per_execution,
            "jit_compile": jit_compile,
        }
        state.run_eagerly = bool(run_eagerly) or jit_compile is False
        state.jit_compile = jit_compile
        state.steps_per_execution = int(steps_per_execution)
        state.loss_tracker = metrics_module.Mean(name="loss")
        state.compile_loss = None
        state.compile_metrics = kept_metrics
        if kept_metrics is None and (metrics is not None or weighted_metrics is not None):
            state.compile_metrics = CompileMetrics(
                metrics, weighted_metrics, getattr(self, "output_names", None) or None, loss
            )
        state.functions = {}
        state.compiled = True
        state.stop_training = False

    # ------------------------------------------------------ training state
    def _lx_state(self) -> TrainingState:
        """This model's training bookkeeping (made on first use; see trainers/state.py)."""
        state = self.__dict__.get("_lx_training")
        if state is not None and state._owner() is self:
            return state
        if state is None:
            state = TrainingState(self)
        else:
            state = state.for_model(self)  # a pytree clone's first use of its original's
        # Not an attribute assignment: the state is no part of the layer's structure.
        self.__dict__["_lx_training"] = state
        return state

    def __setattr__(self, name: str, value: Any) -> None:
        if name in STATE_ATTRIBUTES:
            object.__setattr__(self, name, value)  # the property: no structure change
            return
        super().__setattr__(name, value)

    @property
    def optimizer(self) -> Any:
        """The optimizer given to `compile` (None before)."""
        return self._lx_state().optimizer

    @optimizer.setter
    def optimizer(self, value: Any) -> None:
        self._lx_state().optimizer = value

    @property
    def loss(self) -> Any:
        """The `loss` argument of `compile` (None before)."""
        return self._lx_state().compile_args["loss"]

    @loss.setter
    def loss(self, value: Any) -> None:
        state = self._lx_state()
        state.compile_args = {**state.compile_args, "loss": value}
        state.compile_loss = None  # made again from the new loss at the next step
        state.functions = {}

    @property
    def compiled(self) -> bool:
        """Whether `compile` was called."""
        return self._lx_state().compiled

    @compiled.setter
    def compiled(self, value: bool) -> None:
        self._lx_state().compiled = bool(value)

    @property
    def run_eagerly(self) -> bool:
        """Whether the steps run without compilation (`compile(run_eagerly=True)`)."""
        return self._lx_state().run_eagerly

    @run_eagerly.setter
    def run_eagerly(self, value: bool) -> None:
        state = self._lx_state()
        if bool(value) != state.run_eagerly:
            state.run_eagerly = bool(value)
            state.functions = {}

    @property
    def jit_compile(self) -> Any:
        """The `jit_compile` argument of `compile` (`False` runs the steps eagerly)."""
        return self._lx_state().jit_compile

    @jit_compile.setter
    def jit_compile(self, value: Any) -> None:
        state = self._lx_state()
        state.jit_compile = value
        self.run_eagerly = state.compile_config.get("run_eagerly", False) or value is False

    @property
    def steps_per_execution(self) -> int:
        """Steps run per compiled call (`compile(steps_per_execution=...)`)."""
        return self._lx_state().steps_per_execution

    @steps_per_execution.setter
    def steps_per_execution(self, value: int) -> None:
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(
                "`steps_per_execution` must be an integer >= 1. Received: "
                f"steps_per_execution={value!r}"
            )
        self._lx_state().steps_per_execution = int(value)

    @property
    def stop_training(self) -> bool:
        """Set it to True (from a callback) to end `fit` after the current step."""
        return self._lx_state().stop_training

    @stop_training.setter
    def stop_training(self, value: bool) -> None:
        self._lx_state().stop_training = bool(value)

    @property
    def history(self) -> Any:
        """The `History` callback of the last `fit` (None before)."""
        return self._lx_state().history

    @history.setter
    def history(self, value: Any) -> None:
        self._lx_state().history = value

    def _require_compiled(self, what: str) -> None:
        if not self._lx_state().compiled:
            raise RuntimeError(
                f"You must call `compile()` before calling `{what}()` on model '{self.name}'. "
                "For example: `model.compile(optimizer='adam', loss='mse')`."
            )

    def _output_names(self, y_pred: Any) -> list[str]:
        names = getattr(self, "output_names", None)
        return list(names) if names else default_output_names(y_pred)

    def _ensure_compile_objects(self, y: Any, y_pred: Any) -> None:
        state = self._lx_state()
        if state.compile_loss is None:
            args = state.compile_args
            state.compile_loss = CompileLoss(
                args["loss"], args["loss_weights"], self._output_names(y_pred), y, y_pred,
                names_declared=bool(getattr(self, "output_names", None)),
            )

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
        total, _ = self._lx_state().compile_loss(y, y_pred, sample_weight)
        for extra in self.losses:
            total = total + jnp.asarray(extra, jnp.float32)
        return total

    @property
    def metrics(self) -> list[Any]:
        """The loss tracker, the compiled metrics (one container, as in Keras 3), the per-output
        loss trackers, `add_metric` trackers, then metrics assigned as attributes of the model."""
        from layerax.metrics.base import Metric

        state = self._lx_state()
        found = []
        if state.compiled:
            found.append(state.loss_tracker)
            if state.compile_metrics is not None:
                found.append(state.compile_metrics)
            if state.compile_loss is not None:
                found.extend(state.compile_loss.metrics)  # per-output losses of multi-loss models
        found.extend(state.added_trackers.values())
        for value in self.__dict__.values():
            if isinstance(value, Metric) and not any(value is m for m in found):
                found.append(value)
        return found

    @property
    def metrics_names(self) -> list[str]:
        return [m.name for m in self.metrics]

    def _log_order(self) -> list[str]:
        """Log keys in Keras' order: loss, compiled metrics, then the rest."""
        order = []
        for metric in self.metrics:
            if isinstance(metric, CompileMetrics):
                # Keras lists the compiled metrics by their own names, so the output-prefixed
                # ones of a multi-output model fall to the sorted rest.
                order.extend(m.name for _, m, _ in metric.entries)
            else:
                order.append(metric.name)
        return order

    def compute_metrics(self, x: Any, y: Any, y_pred: Any, sample_weight: Any = None) -> dict[str, Any]:
        """Updates the compiled metrics and returns every metric's current result."""
        compile_metrics = self._lx_state().compile_metrics
        if compile_metrics is not None and y is not None:
            compile_metrics.update_state(y, y_pred, sample_weight)
        return self.get_metrics_result()

    def get_metrics_result(self) -> dict[str, Any]:
        """Every metric's current result, flat (the compiled metrics' dict is merged in)."""
        logs: dict[str, Any] = {}
        for metric in self.metrics:
            result = metric.result()
            if isinstance(result, dict):
                logs.update(result)
            else:
                logs[metric.name] = result
        return logs

    def reset_metrics(self) -> None:
        """Resets the state of every metric (the loss tracker included)."""
        from layerax.metrics.base import Metric

        metrics = self.metrics
        state = self._lx_state()
        functions = state.functions
        if not state.compiled or state.run_eagerly:
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
    def train_step(self, *args: Any) -> Any:
        """One optimisation step on a batch `(x, y, sample_weight)`; returns the logs.

        Override it in a subclass to customise training, in stateful style
        (`train_step(self, data)`: a `GradientTape` and
        `self.optimizer.apply_gradients`) or in Keras-JAX's stateless style
        (`train_step(self, state, data)` returning `(logs, state)`, see
        trainers/stateless.py); `fit` compiles the override. Called with
        `(state, data)`, as a stateless override's `super().train_step` is,
        it returns `(logs, new_state)`.
        """
        return _dispatch(self, "train", self._lx_train_step, args)

    def _lx_train_step(self, data: Any) -> dict[str, Any]:
        x, y, sample_weight = data_adapters.unpack(data)
        _ensure_built(self, x)
        trainable = self.trainable_variables
        non_trainable = self.non_trainable_variables
        non_trainable_values = [v.value for v in non_trainable]

        if type(self).compute_loss is not Trainer.compute_loss:
            return self._lx_train_step_custom_loss(x, y, sample_weight, trainable, non_trainable)

        def loss_fn(values: list[Any]) -> Any:
            y_pred, new_non_trainable, losses, added = self._lx_stateless_forward(
                trainable, non_trainable, values + non_trainable_values, (x,), {"training": True}
            )
            self._ensure_compile_objects(y, y_pred)
            loss, per_output = self._lx_state().compile_loss(y, y_pred, sample_weight)
            for extra in losses:
                loss = loss + jnp.asarray(extra, jnp.float32)
            # Differentiate the scaled loss (LossScaleOptimizer); its apply unscales.
            scaled = self.optimizer.scale_loss(loss) if self.optimizer is not None else loss
            return scaled, (loss, y_pred, new_non_trainable, added, per_output)

        (_, (loss, y_pred, new_non_trainable, added, per_output)), grads = jax.value_and_grad(
            loss_fn, has_aux=True
        )([v.value for v in trainable])
        self._lx_state().compile_loss.update_metrics(per_output, _batch_size(x))
        from layerax import optimizers  # traced once per compilation

        if isinstance(self.optimizer, optimizers.LossScaleOptimizer) and trainable:
            # A step the loss scaling skips (a gradient overflowed) must not keep the forward
            # pass's state either: BatchNorm's moving statistics would stay NaN for good.
            finite = self.optimizer.check_finite(grads)
            new_non_trainable = [
                jnp.where(finite, new, old) for new, old in zip(new_non_trainable, non_trainable_values)
            ]
        for var, value in zip(non_trainable, new_non_trainable):
            var.assign(value)
        if trainable:
            self.optimizer.apply_gradients(zip(grads, trainable))
        self._lx_state().loss_tracker.update_state(loss, sample_weight=_batch_size(x))
        self._update_added_metrics(added)
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def _update_added_metrics(self, added: list[tuple[str, Any, str]]) -> None:
        """Feeds `add_metric` values of the forward pass to per-name trackers."""
        from layerax import metrics as metrics_module

        trackers = self._lx_state().added_trackers
        for name, value, aggregation in added:
            tracker = trackers.get(name)
            if tracker is None:
                cls = metrics_module.Sum if aggregation == "sum" else metrics_module.Mean
                tracker = trackers[name] = cls(name=name)
            tracker.update_state(value)

    def test_step(self, *args: Any) -> Any:
        """Loss and metrics on a batch, in inference mode: `test_step(data)` returns the logs,
        `test_step(state, data)` (Keras-JAX's stateless form) returns `(logs, new_state)`."""
        return _dispatch(self, "test", self._lx_test_step, args)

    def _lx_train_step_custom_loss(self, x: Any, y: Any, sample_weight: Any, trainable: list[Any],
                                   non_trainable: list[Any]) -> dict[str, Any]:
        """The default train step of a model that overrides `compute_loss`, as Keras runs it.

        The forward pass and the override run together under a stateless scope bound to
        the differentiated values, so that everything the override reads (sub-models, the
        forward pass' `self.losses`) is differentiated, and what it assigns (metric
        trackers, moving statistics) is applied after the gradient, outside its trace.
        """
        from layerax.stateless_scope import StatelessScope

        variables = list(trainable) + list(non_trainable)
        non_trainable_values = [v.value for v in non_trainable]
        updated: list[Any] = []  # the variables themselves stay out of the traced aux values

        def loss_fn(values: list[Any]) -> Any:
            with StatelessScope(list(zip(variables, list(values) + non_trainable_values))) as scope:
                y_pred = self(x, training=True)
                loss = self.compute_loss(x, y, y_pred, sample_weight, training=True)
                added = list(self.added_metrics)
            touched = scope.touched_variables()
            trained = {id(v) for v in trainable}
            updates = [(v, scope.get_current_value(v)) for v in touched if id(v) not in trained]
            updated[:] = [u[0] for u in updates]
            scaled = self.optimizer.scale_loss(loss) if self.optimizer is not None else loss
            return scaled, (loss, y_pred, [u[1] for u in updates], added)

        value_and_grad = jax.value_and_grad(loss_fn, has_aux=True)
        (_, (loss, y_pred, new_values, added)), grads = value_and_grad(
            [v.value for v in trainable])
        from layerax import optimizers  # traced once per compilation

        if isinstance(self.optimizer, optimizers.LossScaleOptimizer) and trainable:
            # As in the default step: a skipped (overflowed) step keeps the model's
            # non-trainable state from before it.
            finite = self.optimizer.check_finite(grads)
            model_state = {id(v) for v in non_trainable}
            new_values = [jnp.where(finite, new, var.value) if id(var) in model_state else new
                          for var, new in zip(updated, new_values)]
        for var, value in zip(updated, new_values):
            var.assign(value)
        if trainable:
            self.optimizer.apply_gradients(zip(grads, trainable))
        self._lx_state().loss_tracker.update_state(loss, sample_weight=_batch_size(x))
        self._update_added_metrics(added)
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def _lx_test_step(self, data: Any) -> dict[str, Any]:
        x, y, sample_weight = data_adapters.unpack(data)
        y_pred = self(x, training=False)
        loss = self._lx_loss_with_trackers(x, y, y_pred, sample_weight, training=False)
        self._lx_state().loss_tracker.update_state(loss, sample_weight=_batch_size(x))
        self._update_added_metrics(self.added_metrics)
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def _lx_loss_with_trackers(self, x: Any, y: Any, y_pred: Any, sample_weight: Any, training: bool) -> Any:
        """The loss of a batch (a `compute_loss` override decides), updating the per-output
        loss trackers of the compiled loss."""
        if type(self).compute_loss is not Trainer.compute_loss:  # a user's override decides
            return self.compute_loss(x, y, y_pred, sample_weight, training=training)
        self._ensure_compile_objects(y, y_pred)
        compile_loss = self._lx_state().compile_loss
        loss, per_output = compile_loss(y, y_pred, sample_weight)
        for extra in self.losses:
            loss = loss + jnp.asarray(extra, jnp.float32)
        compile_loss.update_metrics(per_output, _batch_size(x))
        return loss

    def predict_step(self, *args: Any) -> Any:
        """The model's outputs on a batch, in inference mode: `predict_step(data)` returns
        them, `predict_step(state, data)` (Keras-JAX's stateless form) returns
        `(outputs, new_non_trainable_variables)`."""
        return _dispatch(self, "predict", self._lx_predict_step, args)

    def _lx_predict_step(self, data: Any) -> Any:
        x, _, _ = data_adapters.unpack(data)
        return self(x, training=False)

    # ------------------------------------------------- compiled functions
    def _step_function(self, kind: str) -> Callable[[Any], Any]:
        cache = self._lx_state().functions
        if kind in cache:
            return cache[kind]
        step = {"train": self.train_step, "test": self.test_step, "predict": self.predict_step}[kind]
        if takes_state(step):  # Keras-JAX's `step(state, data)`: run it on the variables' values
            step = stateful_adapter(self, kind, step)
        if self.run_eagerly:
            fn: Callable[[Any], Any] = step
        else:
            fn = function(step)
        cache[kind] = fn
        return fn

    def _multi_step_function(self, kind: str, sample_batch: Any) -> Callable[[Any], Any]:
        """K steps in one compiled call: `lax.scan` over the state of the single step."""
        key = f"{kind}_multi"
        cache = self._lx_state().functions
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
        """Runs one batch (or a group of K batches in one compiled call).

        Returns the last step's logs (or outputs) and, for "predict", the outputs of all
        steps as a list of chunks to concatenate (one chunk per call).
        """
        return self._execute_steps(kind, self._prepare_steps(list(self._lx_host_batches(batches))))

    # ------------------------------------------------- host prefix (strings)
    def _lx_host_prefix(self) -> Any:
        """The model's first layers that take strings (`models/host_prefix.py`), found once
        per compiled model and cached with the compiled steps; None for most models."""
        cache = self._lx_state().functions
        if "host_prefix" not in cache:
            cache["host_prefix"] = host_prefix.find(self)
        return cache["host_prefix"]

    def _lx_host_batches(self, batches: Any) -> Any:
        """`batches` with the host prefix applied to each batch's x, on the host (lazily)."""
        prefix = self._lx_host_prefix()
        if prefix is None:
            return batches

        def on_host(batch: Any) -> Any:
            x, rest = (batch[0], batch[1:]) if isinstance(batch, tuple) else (batch, ())
            if not self.built:
                self(x)  # builds the model from the strings, eagerly, once
            return (prefix.apply(x), *rest)

        return map(on_host, batches)

    def _prepare_steps(self, batches: list[Any]) -> tuple[Any, ...]:
        """Puts a group of host batches on the devices (split along the batch axis under
        `lx.distribution`): one by one, or stacked for a multi-step call."""
        # A step receives the batch as Keras passes it: `(x, y)` when there are no sample
        # weights, `(x,)` without targets, so that `x, y = data` works in a custom train_step.
        batches = [_without_trailing_none(batch) for batch in batches]
        if len(batches) == 1 or self.run_eagerly:
            return ("each", [place_batch_for_step(batch) for batch in batches])
        stacked = jax.tree.map(lambda *xs: np.stack([np.asarray(x) for x in xs]), *batches)
        return ("stacked", place_batch_for_step(stacked, batch_axis=1), len(batches), batches[0])

    def _execute_steps(self, kind: str, prepared: tuple[Any, ...]) -> tuple[Any, list[Any]]:
        prefix = self._lx_host_prefix()
        if prefix is None:
            return self._execute_prepared(kind, prepared)
        # The batches went through the host layers: the model's call runs the rest.
        with host_prefix.active(prefix):
            return self._execute_prepared(kind, prepared)

    def _execute_prepared(self, kind: str, prepared: tuple[Any, ...]) -> tuple[Any, list[Any]]:
        if prepared[0] == "one":
            out = self._step_function(kind)(prepared[1])
            return out, [out]
        if prepared[0] == "each":
            fn = self._step_function(kind)
            outs = [fn(batch) for batch in prepared[1]]
            return outs[-1], outs
        _, stacked, _, sample = prepared
        out = self._multi_step_function(kind, sample)(stacked)
        if kind != "predict":
            return out, [out]
        # (K, batch, ...) -> (K * batch, ...): the batches of a group have equal shapes.
        flat = jax.tree.map(lambda v: v.reshape((-1,) + v.shape[2:]), out)
        return jax.tree.map(lambda v: v[-1], out), [flat]

    def _steps_stream(self, batches: Any) -> Any:
        """Groups of `steps_per_execution` batches, prefetched to the devices: group i+1 is
        transferred while group i runs. Yields `(number_of_steps, prepared_group)`."""
        # Without a distribution on a CPU backend, batches stay on the host until the call
        # (which takes numpy arrays in its C++ path): there is no transfer to overlap.
        on_host = CTX.distribution is None and jax.default_backend() == "cpu"
        batches = self._lx_host_batches(batches)
        if self.steps_per_execution == 1:
            if on_host:
                return ((1, ("one", _without_trailing_none(b))) for b in batches)
            groups = batches

            def place(batch: Any) -> tuple[int, tuple[Any, ...]]:
                return 1, ("one", place_batch_for_step(_without_trailing_none(batch)))
        else:
            groups = _grouped(batches, self.steps_per_execution)

            def place(group: Any) -> tuple[int, tuple[Any, ...]]:
                return len(group), self._prepare_steps(group)
        if on_host:
            return map(place, groups)
        return prefetch_to_device(groups, size=2, place=place)

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
                callback whose `resume_position()` returns a position (a
                `BackupAndRestore` that found a backup) overrides it, and sets
                the step within the epoch and the shuffle seed.
            steps_per_epoch: Steps per epoch (required for endless generators).
            validation_steps: Steps of validation per epoch.
            validation_batch_size: Batch size of validation (default batch_size).
            validation_freq: Validate every `validation_freq` epochs.
        """
        from layerax import callbacks as callbacks_module

        self._require_compiled("fit")
        check_loop_arguments(
            "fit", x=x, y=y, sample_weight=sample_weight, batch_size=batch_size, epochs=epochs,
            initial_epoch=initial_epoch, verbose=verbose, callbacks=callbacks,
            steps_per_epoch=steps_per_epoch, validation_steps=validation_steps,
            validation_batch_size=validation_batch_size, validation_freq=validation_freq,
        )
        if validation_split and validation_data is None:
            if not data_adapters._is_array(x) and not isinstance(x, (list, tuple, dict)):
                raise ValueError(
                    "`validation_split` is only supported for array inputs. Pass "
                    "`validation_data` with generators and PyDatasets."
                )
            (x, y, sample_weight), validation_data = data_adapters.train_validation_split(
                x, y, sample_weight, validation_split
            )
        epochs, steps_per_epoch = _debug_caps(epochs, steps_per_epoch)
        shuffle_seed = _fit_seed()
        adapter = data_adapters.get_adapter(
            x, y, sample_weight, batch_size=batch_size, shuffle=shuffle,
            steps=steps_per_epoch, class_weight=class_weight, seed=shuffle_seed,
        )
        val_adapter = None
        if validation_data is not None:
            vx, vy, vsw = data_adapters.unpack(validation_data) if isinstance(validation_data, tuple) else (validation_data, None, None)
            val_adapter = data_adapters.get_adapter(
                vx, vy, vsw, batch_size=validation_batch_size or batch_size, steps=validation_steps
            )
        verbose = _resolve_verbose(verbose)
        # `shuffle_seed` in the params: a callback saving the training position
        # (BackupAndRestore) records it, so that a resumed run shuffles alike.
        callback_list = callbacks_module.CallbackList(
            callbacks, add_history=True, add_progbar=verbose != 0, model=self,
            verbose=verbose, epochs=epochs, steps=adapter.num_batches, shuffle_seed=shuffle_seed,
        )
        state = self._lx_state()
        history = state.history = callback_list.history
        state.stop_training = False
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
            self.reset_metrics()
            callback_list.on_epoch_begin(epoch)
            logs: dict[str, Any] = {}
            step = skip_steps
            batches = adapter.epoch(epoch)
            if skip_steps:
                batches = itertools.islice(batches, skip_steps, None)
            skip_steps = 0
            batch_hooks = _has_train_batch_hooks(callback_list)
            for count, prepared in self._steps_stream(batches):
                if batch_hooks:
                    callback_list.on_train_batch_begin(step)
                last, _ = self._execute_steps("train", prepared)
                step += count
                if batch_hooks:
                    callback_list.on_train_batch_end(step - 1, _flatten_logs(last))
                logs = last
                if state.stop_training:
                    break
            if step == 0:
                raise ValueError(
                    "The training data produced no batch in this epoch. Check that `x` is not "
                    "empty (or that the generator yields data)."
                )
            epoch_logs = {k: _to_float(v) for k, v in _flatten_logs(logs).items()}
            if val_adapter is not None and (epoch + 1) % validation_freq == 0:
                # Validation is an evaluate() with fit's callbacks, as in Keras: the test hooks
                # run (a ProgbarLogger stays quiet during them, it knows it is in fit).
                callback_list.on_test_begin()
                val_logs = self._evaluate_adapter(val_adapter, callback_list=callback_list)
                callback_list.on_test_end(val_logs)
                epoch_logs.update({f"val_{k}": v for k, v in val_logs.items()})
            callback_list.on_epoch_end(epoch, epoch_logs)
            adapter.on_epoch_end()
            if state.stop_training:
                break
        finalize = getattr(state.optimizer, "finalize_variable_values", None)
        if finalize is not None and epochs > initial_epoch:
            # use_ema=True: the trained model keeps the moving averages, as in Keras.
            finalize(self.trainable_weights)
        callback_list.on_train_end(epoch_logs)
        return history

    # ---------------------------------------------------------- evaluate
    def _evaluate_adapter(self, adapter: Any, callback_list: Any) -> dict[str, float]:
        self.reset_metrics()
        logs: dict[str, Any] = {}
        step = 0
        for count, prepared in self._steps_stream(adapter.epoch(0)):
            if callback_list is not None:
                callback_list.on_test_batch_begin(step)
            last, _ = self._execute_steps("test", prepared)
            step += count
            logs = _flatten_logs(last)
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
        check_loop_arguments(
            "evaluate", x=x, y=y, sample_weight=sample_weight, batch_size=batch_size,
            verbose=verbose, callbacks=callbacks, steps=steps,
        )
        _, steps = _debug_caps(1, steps)
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

        check_loop_arguments(
            "predict", x=x, batch_size=batch_size, verbose=verbose, callbacks=callbacks, steps=steps
        )
        _, steps = _debug_caps(1, steps)
        adapter = data_adapters.get_adapter(x, batch_size=batch_size, steps=steps)
        verbose = _resolve_verbose(verbose)
        callback_list = callbacks_module.CallbackList(
            callbacks, add_history=False, add_progbar=verbose != 0, model=self,
            verbose=verbose, epochs=1, steps=adapter.num_batches,
        )
        callback_list.on_predict_begin()
        outputs = []
        step = 0
        inputs_only = ((b[0],) for b in adapter.epoch(0))
        for count, prepared in self._steps_stream(inputs_only):
            callback_list.on_predict_batch_begin(step)
            last, chunks = self._execute_steps("predict", prepared)
            outputs.extend(chunks)
            step += count
            callback_list.on_predict_batch_end(step - 1, {"outputs": last})
        callback_list.on_predict_end()
        if not outputs:
            raise ValueError("predict() received no data.")
        # Fetched once at the end: converting per step would make each step wait for the last.
        return tree_concat([to_host_local(out) for out in outputs])

    def _format_logs(self, logs: dict[str, Any], return_dict: bool) -> Any:
        """Logs as a dict, or as Keras' list: `metrics_names` order (loss first), then the rest."""
        values = {k: _to_float(v) for k, v in _flatten_logs(logs).items()}
        if return_dict:
            return values
        order = [n for n in self._log_order() if n in values]
        order += sorted(k for k in values if k not in order)
        items = [values[k] for k in order]
        return items[0] if len(items) == 1 else items

    # ----------------------------------------------------- on one batch
    def train_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None, class_weight: Any = None,
                       return_dict: bool = False) -> Any:
        """One training step on one batch; returns the loss (and metrics)."""
        self._require_compiled("train_on_batch")
        check_numeric("train_on_batch", "y", y)
        if class_weight is not None:
            sample_weight = data_adapters.class_weight_to_sample_weight(y, class_weight)
        logs, _ = self._run_steps("train", [(x, y, sample_weight)])
        return self._format_logs(logs, return_dict)

    def test_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None, return_dict: bool = False) -> Any:
        """Loss (and metrics) on one batch, without training."""
        self._require_compiled("test_on_batch")
        check_numeric("test_on_batch", "y", y)
        self.reset_metrics()
        logs, _ = self._run_steps("test", [(x, y, sample_weight)])
        return self._format_logs(logs, return_dict)

    def predict_on_batch(self, x: Any) -> Any:
        """The model's outputs on one batch, as numpy arrays."""
        out, _ = self._run_steps("predict", [(x,)])
        return to_host_local(out)


# ------------------------------------------------------------------ helpers
def _dispatch(model: Any, kind: str, stateful_step: Callable[[Any], Any], args: tuple[Any, ...]) -> Any:
    """Runs a built-in step called as `step(data)` or, stateless, as `step(state, data)`."""
    if len(args) == 1:
        return stateful_step(args[0])
    if len(args) == 2:
        return run_as_stateless(model, kind, stateful_step, *args)
    raise TypeError(
        f"Model '{model.name}': `{kind}_step` takes `(data)` or `(state, data)`. Received "
        f"{len(args)} positional arguments."
    )


def _ensure_built(model: Any, x: Any) -> None:
    """Builds the model's weights from a batch, by abstract evaluation (nothing runs)."""
    if model.built:
        return

    def run(inputs: Any) -> Any:
        with StateScope([], [], adopt_missing=True):
            return model(inputs, training=False)

    jax.eval_shape(run, x)


def _without_trailing_none(batch: Any) -> Any:
    if isinstance(batch, tuple):
        while len(batch) > 1 and batch[-1] is None:
            batch = batch[:-1]
    return batch


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
    """Lists of up to `size` consecutive batches of equal shapes, each yielded as soon as it
    is complete (a generator is never read further ahead than the group being formed)."""
    group: list[Any] = []
    shapes = None
    for batch in batches:
        batch_shapes = jax.tree.map(np.shape, batch)
        if group and batch_shapes != shapes:
            yield group
            group = []
        group.append(batch)
        shapes = batch_shapes
        if len(group) == size:
            yield group
            group = []
    if group:
        yield group


def _flatten_logs(logs: Any) -> dict[str, Any]:
    """A step's logs as one flat dict (a custom train_step may return nested dicts)."""
    if not isinstance(logs, dict):
        return {"loss": logs}
    flat: dict[str, Any] = {}
    for key, value in logs.items():
        if isinstance(value, dict):
            flat.update(_flatten_logs(value))
        else:
            flat[key] = value
    return flat


def _to_float(value: Any) -> Any:
    try:
        return float(value)
    except (TypeError, ValueError):
        return np.asarray(value)




def _declared_output_names(model: Any) -> list[str] | None:
    """The output names of a Functional or built Sequential model (None: not known yet)."""
    names = getattr(model, "output_names", None)
    if names:
        return list(names)
    from layerax.models.sequential import Sequential

    if isinstance(model, Sequential):
        try:
            outputs = model.outputs  # known once its input shape is
        except (AttributeError, ValueError):
            return None
        if outputs:
            return [f"output_{i}" for i in range(len(outputs))]
    return None


def _resolve_verbose(verbose: Any) -> int:
    if verbose == "auto":
        return 1
    return int(verbose)


def _debug_caps(epochs: int, steps_per_epoch: int | None) -> tuple[int, int | None]:
    """Applies `lx.config.set_max_epochs` / `set_max_steps_per_epoch`, warning like Keras."""
    from layerax.core.flags import get_flag

    max_epochs = get_flag("max_epochs")
    if max_epochs and max_epochs < epochs:
        warnings.warn(f"Limiting epochs to {max_epochs}", stacklevel=3)
        epochs = max_epochs  # type: ignore[assignment]
    max_steps = get_flag("max_steps_per_epoch")
    if max_steps and (not steps_per_epoch or max_steps < steps_per_epoch):
        warnings.warn(f"Limiting steps_per_epoch to {max_steps}", stacklevel=3)
        steps_per_epoch = max_steps  # type: ignore[assignment]
    return epochs, steps_per_epoch


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

