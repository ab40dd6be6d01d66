"""`compile` / `fit` / `evaluate` / `predict`: the Keras training API, compiled with lx.function.

The train step is ordinary stateful Keras code (`train_step(data)`): it reads
and assigns variables of the model, the optimizer and the metrics. A step
overridden in Keras-JAX's stateless form (`train_step(state, data)`) runs through
an adapter that passes the variables' values and assigns the returned ones
(trainers/stateless.py). `fit` compiles it with `lx.function`, the same bridge a
TF-style custom loop uses, so one call runs forward, losses (including
`add_loss`), gradients, the optimizer update, constraints and metric updates as
a single XLA computation. With `steps_per_execution=K`, K steps run per call:
a `lax.scan` over the state carried as values, or a loop of single steps where
that is faster (trainers/multi_step.py).

The jobs live in files of their own: the training attributes
(trainers/attributes.py), losses and metrics (trainers/loss_and_metrics.py),
the default steps (trainers/default_steps.py), the compiled steps and the
batches fed to them (trainers/steps.py), and the loops with their callbacks
(trainers/loops.py). Logs stay on the device: `fit` never blocks on a step
unless a callback reads the logs (converting them with `float()`).

The bookkeeping (optimizer, compile arguments, compiled steps, `history`,
`stop_training`) is one `TrainingState` outside the model's pytree
(trainers/state.py): training never changes the model's tree structure.
"""

from __future__ import annotations

from typing import Any

from layerax.distribution.data import to_host_local
from layerax.trainers import callback_hooks, data_adapters
from layerax.trainers.arguments import (
    check_loop_arguments,
    check_loss_weights,
    check_numeric,
    debug_caps,
    declared_output_names,
    fit_seed,
    is_plain_config,
    resolve_verbose,
)
from layerax.trainers.attributes import TrainingAttributes
from layerax.trainers.compile_utils import CompileMetrics
from layerax.trainers.default_steps import DefaultSteps
from layerax.trainers.loops import evaluate_adapter, format_logs, predict_adapter, train_epochs
from layerax.trainers.loss_and_metrics import LossAndMetrics
from layerax.trainers.stateless import StatelessTrainerMixin
from layerax.trainers.steps import run_steps


class Trainer(TrainingAttributes, LossAndMetrics, DefaultSteps, StatelessTrainerMixin):
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
            steps_per_execution: Steps run per call: a `lax.scan` or a loop of
                single steps, whichever is faster (see `multi_step_body`).
            jit_compile: `False` is the same as `run_eagerly=True`.
            auto_scale_loss: When the model's dtype policy is `"mixed_float16"`,
                wrap the optimizer in a `LossScaleOptimizer` (dynamic loss
                scaling against float16 underflow), as Keras does.
        """
        from layerax import metrics as metrics_module
        from layerax import optimizers

        check_loss_weights(loss_weights, declared_output_names(self))
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
            "metrics": metrics if is_plain_config(metrics) else None,
            "weighted_metrics": weighted_metrics if is_plain_config(weighted_metrics) else None,
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

    # -------------------------------------------------------------- fit
    def fit(self, x: Any = None, y: Any = None, batch_size: int | None = None, epochs: int = 1,
            verbose: Any = "auto", callbacks: Any = None, validation_split: float = 0.0,
            validation_data: Any = None, shuffle: bool = True,
            class_weight: dict[int, float] | None = None, sample_weight: Any = None,
            initial_epoch: int = 0, steps_per_epoch: int | None = None,
            validation_steps: int | None = None, validation_batch_size: int | None = None,
            validation_freq: int = 1) -> Any:
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
        self._require_compiled("fit")
        check_loop_arguments(
            "fit", x=x, y=y, sample_weight=sample_weight, batch_size=batch_size, epochs=epochs,
            initial_epoch=initial_epoch, verbose=verbose, callbacks=callbacks,
            steps_per_epoch=steps_per_epoch, validation_steps=validation_steps,
            validation_batch_size=validation_batch_size, validation_freq=validation_freq,
        )
        epochs, steps_per_epoch = debug_caps(epochs, steps_per_epoch)
        shuffle_seed = fit_seed()
        adapter, val_adapter = data_adapters.fit_adapters(
            x, y, sample_weight, batch_size=batch_size, shuffle=shuffle, steps=steps_per_epoch,
            class_weight=class_weight, seed=shuffle_seed, validation_split=validation_split,
            validation_data=validation_data, validation_batch_size=validation_batch_size,
            validation_steps=validation_steps,
        )
        verbose = resolve_verbose(verbose)
        # `shuffle_seed` in the params: a callback saving the training position
        # (BackupAndRestore) records it, so that a resumed run shuffles alike.
        callback_list = callback_hooks.callback_list(
            callbacks, add_history=True, add_progbar=verbose != 0, model=self,
            verbose=verbose, epochs=epochs, steps=adapter.num_batches, shuffle_seed=shuffle_seed,
        )
        state = self._lx_state()
        history = state.history = callback_list.history
        state.stop_training = False
        train_epochs(self, adapter, val_adapter, callback_list, initial_epoch, epochs, validation_freq)
        return history

    # ---------------------------------------------------------- evaluate
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
        self._require_compiled("evaluate")
        check_loop_arguments(
            "evaluate", x=x, y=y, sample_weight=sample_weight, batch_size=batch_size,
            verbose=verbose, callbacks=callbacks, steps=steps,
        )
        _, steps = debug_caps(1, steps)
        adapter = data_adapters.get_adapter(x, y, sample_weight, batch_size=batch_size, steps=steps)
        verbose = resolve_verbose(verbose)
        callback_list = callback_hooks.callback_list(
            callbacks, add_history=False, add_progbar=verbose != 0, model=self,
            verbose=verbose, epochs=1, steps=adapter.num_batches,
        )
        callback_list.on_test_begin()
        logs = evaluate_adapter(self, adapter, callback_list)
        callback_list.on_test_end(logs)
        return format_logs(self, logs, return_dict)

    # ----------------------------------------------------------- predict
    def predict(self, x: Any, batch_size: int | None = None, verbose: Any = "auto", steps: int | None = None,
                callbacks: Any = None) -> Any:
        """Outputs for `x`, batched and concatenated into numpy arrays."""
        check_loop_arguments(
            "predict", x=x, batch_size=batch_size, verbose=verbose, callbacks=callbacks, steps=steps
        )
        _, steps = debug_caps(1, steps)
        adapter = data_adapters.get_adapter(x, batch_size=batch_size, steps=steps)
        verbose = resolve_verbose(verbose)
        callback_list = callback_hooks.callback_list(
            callbacks, add_history=False, add_progbar=verbose != 0, model=self,
            verbose=verbose, epochs=1, steps=adapter.num_batches,
        )
        return predict_adapter(self, adapter, callback_list)

    # ----------------------------------------------------- on one batch
    def train_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None, class_weight: Any = None,
                       return_dict: bool = False) -> Any:
        """One training step on one batch; returns the loss (and metrics)."""
        self._require_compiled("train_on_batch")
        check_numeric("train_on_batch", "y", y)
        if class_weight is not None:
            sample_weight = data_adapters.class_weight_to_sample_weight(y, class_weight)
        logs, _ = run_steps(self, "train", [(x, y, sample_weight)])
        return format_logs(self, logs, return_dict)

    def test_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None, return_dict: bool = False) -> Any:
        """Loss (and metrics) on one batch, without training."""
        self._require_compiled("test_on_batch")
        check_numeric("test_on_batch", "y", y)
        self.reset_metrics()
        logs, _ = run_steps(self, "test", [(x, y, sample_weight)])
        return format_logs(self, logs, return_dict)

    def predict_on_batch(self, x: Any) -> Any:
        """The model's outputs on one batch, as numpy arrays."""
        out, _ = run_steps(self, "predict", [(x,)])
        return to_host_local(out)
