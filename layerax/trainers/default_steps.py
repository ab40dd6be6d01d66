"""The default `train_step`, `test_step` and `predict_step` of a model, as Keras runs them.

Each public step is called as `step(data)` (stateful: it assigns the variables of
the model, the optimizer and the metrics) or, as a stateless override's
`super().train_step(state, data)` calls it, as `step(state, data)` returning
`(logs, new_state)` (trainers/stateless.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from layerax.core.shape_inference import ensure_built
from layerax.trainers import data_adapters
from layerax.trainers.loss_and_metrics import LossAndMetrics, batch_size
from layerax.trainers.stateless import run_as_stateless


class DefaultSteps:
    """Mixin of `lx.Model`: the built-in train, test and predict steps."""

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
        return dispatch(self, "train", self._lx_train_step, args)

    def _lx_train_step(self, data: Any) -> dict[str, Any]:
        x, y, sample_weight = data_adapters.unpack(data)
        ensure_built(self, x)
        trainable = self.trainable_variables
        non_trainable = self.non_trainable_variables
        non_trainable_values = [v.value for v in non_trainable]

        if type(self).compute_loss is not LossAndMetrics.compute_loss:
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
        self._lx_state().compile_loss.update_metrics(per_output, batch_size(x))
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
        return self._lx_finish_train_step(grads, trainable, loss, added, x, y, y_pred, sample_weight)

    def _lx_finish_train_step(self, grads: list[Any], trainable: list[Any], loss: Any, added: Any,
                              x: Any, y: Any, y_pred: Any, sample_weight: Any) -> dict[str, Any]:
        """The end both train steps share: the optimizer step, the loss tracker, the metrics."""
        if trainable:
            self.optimizer.apply_gradients(zip(grads, trainable))
        self._lx_state().loss_tracker.update_state(loss, sample_weight=batch_size(x))
        self._update_added_metrics(added)
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def test_step(self, *args: Any) -> Any:
        """Loss and metrics on a batch, in inference mode: `test_step(data)` returns the logs,
        `test_step(state, data)` (Keras-JAX's stateless form) returns `(logs, new_state)`."""
        return dispatch(self, "test", self._lx_test_step, args)

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
        return self._lx_finish_train_step(grads, trainable, loss, added, x, y, y_pred, sample_weight)

    def _lx_test_step(self, data: Any) -> dict[str, Any]:
        x, y, sample_weight = data_adapters.unpack(data)
        y_pred = self(x, training=False)
        loss = self._lx_loss_with_trackers(x, y, y_pred, sample_weight, training=False)
        self._lx_state().loss_tracker.update_state(loss, sample_weight=batch_size(x))
        self._update_added_metrics(self.added_metrics)
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def predict_step(self, *args: Any) -> Any:
        """The model's outputs on a batch, in inference mode: `predict_step(data)` returns
        them, `predict_step(state, data)` (Keras-JAX's stateless form) returns
        `(outputs, new_non_trainable_variables)`."""
        return dispatch(self, "predict", self._lx_predict_step, args)

    def _lx_predict_step(self, data: Any) -> Any:
        x, _, _ = data_adapters.unpack(data)
        return self(x, training=False)


def dispatch(model: Any, kind: str, stateful_step: Callable[[Any], Any], args: tuple[Any, ...]) -> Any:
    """Runs a built-in step called as `step(data)` or, stateless, as `step(state, data)`."""
    if len(args) == 1:
        return stateful_step(args[0])
    if len(args) == 2:
        return run_as_stateless(model, kind, stateful_step, *args)
    raise TypeError(
        f"Model '{model.name}': `{kind}_step` takes `(data)` or `(state, data)`. Received "
        f"{len(args)} positional arguments."
    )
