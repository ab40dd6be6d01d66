"""Keras-JAX's stateless steps: `train_step(state, data)`, `test_step(state, data)`,
`predict_step(state, data)`, and the pure helpers they are written with.

A step overridden with two arguments receives the values of the variables it
may change, as Keras' JAX trainer passes them:

- train: `(trainable_variables, non_trainable_variables, optimizer_variables,
  metrics_variables)` and returns `(logs, new_state)`;
- test: `(trainable_variables, non_trainable_variables, metrics_variables)` and
  returns `(logs, new_state)`;
- predict: `(trainable_variables, non_trainable_variables)` and returns
  `(outputs, new_non_trainable_variables)`.

`fit`/`evaluate`/`predict` run such a step through `stateful_adapter`: a
stateful function that reads the variables' values, calls the pure step and
assigns the new values. It is compiled with `lx.function` like a stateful
step, so the state is threaded through the same compiled call (and through
`lax.scan` with `steps_per_execution`).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp

from layerax.core.state import StateScope
from layerax.trainers import data_adapters

# The parts of the state of each kind of step, in Keras' order.
STATE_PARTS = {
    "train": ("trainable_variables", "non_trainable_variables", "optimizer_variables", "metrics_variables"),
    "test": ("trainable_variables", "non_trainable_variables", "metrics_variables"),
    "predict": ("trainable_variables", "non_trainable_variables"),
}


def takes_state(step: Callable[..., Any]) -> bool:
    """Whether a (bound) step method has Keras-JAX's `(state, data)` signature."""
    try:
        parameters = inspect.signature(step).parameters.values()
    except (TypeError, ValueError):
        return False
    positional = [
        p for p in parameters
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
    ]
    return len(positional) == 2


class StatelessTrainerMixin:
    """The pure training helpers of Keras' JAX trainer, on `lx.Model`."""

    @property
    def metrics_variables(self) -> list[Any]:
        """The variables of every metric in `self.metrics`, in that order.

        This is the order of the `metrics_variables` part of the state that a
        stateless `train_step(state, data)` or `test_step(state, data)`
        receives.

        Example:
            >>> import layerax as lx
            >>> model = lx.Sequential([lx.Input((2,)), lx.layers.Dense(1)])
            >>> model.compile(optimizer="sgd", loss="mse")
            >>> [v.name for v in model.metrics_variables]  # the loss tracker's
            ['total', 'count']
        """
        found: list[Any] = []
        for metric in self.metrics:  # type: ignore[attr-defined]
            found.extend(metric.variables)
        return found

    def stateless_compute_loss(
        self,
        trainable_variables: Sequence[Any],
        non_trainable_variables: Sequence[Any],
        metrics_variables: Sequence[Any],
        x: Any = None,
        y: Any = None,
        y_pred: Any = None,
        sample_weight: Any = None,
        training: bool = True,
    ) -> tuple[Any, tuple[list[Any], list[Any], list[Any]]]:
        """Pure `compute_loss`: the loss computed with the given variable values.

        Args:
            trainable_variables: Values of `model.trainable_variables`.
            non_trainable_variables: Values of `model.non_trainable_variables`.
            metrics_variables: Values of `model.metrics_variables` (the
                per-output loss trackers of a multi-loss model are updated).
            x: Inputs.
            y: Targets.
            y_pred: Predictions (from `stateless_call`).
            sample_weight: Sample weights.
            training: Whether the loss is computed for training.

        Returns:
            `(loss, (trainable_variables, non_trainable_variables,
            metrics_variables))`, the last three as new values.

        Example:
            >>> import layerax as lx, numpy as np
            >>> model = lx.Sequential([lx.Input((2,)), lx.layers.Dense(1)])
            >>> model.compile(optimizer="sgd", loss="mse")
            >>> x, y = np.ones((4, 2), "float32"), np.zeros((4, 1), "float32")
            >>> tv = [v.value for v in model.trainable_variables]
            >>> mv = [v.value for v in model.metrics_variables]
            >>> y_pred, ntv = model.stateless_call(tv, [], x)
            >>> loss, _ = model.stateless_compute_loss(tv, ntv, mv, x, y, y_pred)
            >>> bool(np.isclose(loss, np.mean(np.asarray(y_pred) ** 2)))
            True
        """
        trainable = self.trainable_variables  # type: ignore[attr-defined]
        non_trainable = self.non_trainable_variables  # type: ignore[attr-defined]
        metric_vars = self.metrics_variables
        values = [*trainable_variables, *non_trainable_variables, *metrics_variables]
        variables = [*trainable, *non_trainable, *metric_vars]
        if len(values) != len(variables):
            raise ValueError(
                f"Model '{self.name}': stateless_compute_loss() expected "  # type: ignore[attr-defined]
                f"{len(trainable)} trainable, {len(non_trainable)} non-trainable and "
                f"{len(metric_vars)} metrics variable values; received {len(trainable_variables)}, "
                f"{len(non_trainable_variables)} and {len(metrics_variables)}. Pass the values of "
                "`model.trainable_variables`, `model.non_trainable_variables` and "
                "`model.metrics_variables`, in order."
            )
        with StateScope(variables, values) as scope:
            loss = self._lx_loss_with_trackers(x, y, y_pred, sample_weight, training)  # type: ignore[attr-defined]
        out = scope.values_out
        n_t, n_nt = len(trainable), len(non_trainable)
        return loss, (list(trainable_variables), out[n_t : n_t + n_nt], out[n_t + n_nt :])

    def compute_loss_and_updates(
        self,
        trainable_variables: Sequence[Any],
        non_trainable_variables: Sequence[Any],
        metrics_variables: Sequence[Any],
        x: Any,
        y: Any,
        sample_weight: Any,
        training: bool = False,
        optimizer_variables: Sequence[Any] | None = None,
    ) -> tuple[Any, tuple[Any, Any, list[Any], list[Any]]]:
        """The pure forward pass and loss of a step, to differentiate with `jax.grad`.

        Args:
            trainable_variables: Values of `model.trainable_variables`.
            non_trainable_variables: Values of `model.non_trainable_variables`.
            metrics_variables: Values of `model.metrics_variables`.
            x: Inputs.
            y: Targets.
            sample_weight: Sample weights (or None).
            training: Whether the forward pass runs in training mode.
            optimizer_variables: Values of `model.optimizer.variables`; with
                `training=True`, the loss is scaled by the optimizer
                (`optimizer.scale_loss`, the scale of a `LossScaleOptimizer`).

        Returns:
            `(loss, (unscaled_loss, y_pred, non_trainable_variables,
            metrics_variables))`: the loss to differentiate first, so that
            `jax.value_and_grad(..., has_aux=True)` applies.

        Example:
            >>> import jax, layerax as lx, numpy as np
            >>> model = lx.Sequential([lx.Input((2,)), lx.layers.Dense(1)])
            >>> model.compile(optimizer="sgd", loss="mse")
            >>> x, y = np.ones((4, 2), "float32"), np.zeros((4, 1), "float32")
            >>> tv = [v.value for v in model.trainable_variables]
            >>> mv = [v.value for v in model.metrics_variables]
            >>> grad_fn = jax.grad(model.compute_loss_and_updates, has_aux=True)
            >>> grads, aux = grad_fn(tv, [], mv, x, y, None, training=True)
            >>> [g.shape for g in grads]
            [(2, 1), (1,)]
        """
        y_pred, non_trainable_variables = self.stateless_call(  # type: ignore[attr-defined]
            trainable_variables, non_trainable_variables, x, training=training
        )
        loss, (_, non_trainable_variables, metrics_variables) = self.stateless_compute_loss(
            trainable_variables, non_trainable_variables, metrics_variables,
            x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, training=training,
        )
        unscaled = loss
        optimizer = self.optimizer  # type: ignore[attr-defined]
        if training and optimizer is not None:
            own = optimizer.variables
            values = list(optimizer_variables) if optimizer_variables is not None else [v.value for v in own]
            with StateScope(own, values):
                loss = optimizer.scale_loss(loss)
        return loss, (unscaled, y_pred, non_trainable_variables, metrics_variables)


# ------------------------------------------------------------------ running
def symbolic_build(model: Any, data: Any, kind: str) -> None:
    """Creates every variable a stateless step's state holds before it is read.

    The model's weights, then (for train and test) the compiled loss and metrics
    from the shapes of the outputs, and (for train) the optimizer's slots, as
    Keras' `_symbolic_build` does: their values are the state's parts.
    """
    from layerax.core.shape_inference import ensure_built

    x, y, _ = data_adapters.unpack(data)
    ensure_built(model, x)
    if kind == "predict":
        return
    state = model._lx_state()
    needs_loss = state.compile_loss is None
    metrics = state.compile_metrics
    needs_metrics = metrics is not None and not metrics.built and y is not None
    if needs_loss or needs_metrics:
        def forward(inputs: Any) -> Any:
            with StateScope([], [], adopt_missing=True):
                return model(inputs, training=False)

        spec = jax.eval_shape(forward, x)
        # Placeholders of the outputs' shapes: nothing of them reaches the compiled step.
        y_pred = jax.tree.map(lambda s: jnp.zeros(s.shape, s.dtype), spec)
        if needs_loss:
            model._ensure_compile_objects(y, y_pred)
        if needs_metrics:
            metrics.build(y, y_pred)
    optimizer = model.optimizer
    if kind == "train" and optimizer is not None and not optimizer.built:
        optimizer.build(model.trainable_variables)


def state_variables(model: Any, kind: str) -> list[list[Any]]:
    """The variables of each part of a `kind` step's state, in Keras' order."""
    parts = {
        "trainable_variables": lambda: model.trainable_variables,
        "non_trainable_variables": lambda: model.non_trainable_variables,
        "optimizer_variables": lambda: model.optimizer.variables if model.optimizer is not None else [],
        "metrics_variables": lambda: model.metrics_variables,
    }
    return [list(parts[name]()) for name in STATE_PARTS[kind]]


def _check_new_state(model: Any, kind: str, variables: list[list[Any]], new_state: Any,
                     given: bool = False) -> None:
    """Checks the parts of a state: returned by a stateless step, or `given` to one."""
    names = STATE_PARTS[kind]
    what = "receive" if given else "return"
    relation = "given to" if given else "returned by"
    if not isinstance(new_state, (tuple, list)) or len(new_state) != len(names):
        raise ValueError(
            f"Model '{model.name}': a stateless `{kind}_step(state, data)` must {what} "
            f"`state` = ({', '.join(names)}). Received a state of type "
            f"{type(new_state).__name__}"
            + (f" with {len(new_state)} parts." if isinstance(new_state, (tuple, list)) else ".")
        )
    for name, part, values in zip(names, variables, new_state):
        if len(values) != len(part):
            raise ValueError(
                f"Model '{model.name}': the `{name}` {relation} `{kind}_step(state, data)` hold "
                f"{len(values)} values; expected {len(part)} (one per variable of "
                f"`model.{name}`, in order)."
            )


def run_as_stateless(model: Any, kind: str, stateful_step: Callable[[Any], Any], state: Any, data: Any) -> Any:
    """Runs a stateful `step(data)` as the pure `step(state, data)`: with the state's values
    bound to the model's variables, returning `(logs, new_state)` (for predict, `(outputs,
    new_non_trainable_variables)`). A stateless override's `super().train_step(state, data)`
    lands here."""
    variables = state_variables(model, kind)
    _check_new_state(model, kind, variables, state, given=True)
    flat_variables = [v for part in variables for v in part]
    flat_values = [value for part in state for value in part]
    with StateScope(flat_variables, flat_values) as scope:
        outputs = stateful_step(data)
    new_values = scope.values_out
    new_state, start = [], 0
    for part in variables:
        new_state.append(new_values[start : start + len(part)])
        start += len(part)
    if kind == "predict":
        return outputs, new_state[1]
    return outputs, tuple(new_state)


def stateful_adapter(model: Any, kind: str, step: Callable[[Any, Any], Any]) -> Callable[[Any], Any]:
    """A stateful `step(data)` that runs the stateless `step(state, data)` of `model`."""

    def run(data: Any) -> Any:
        symbolic_build(model, data, kind)
        variables = state_variables(model, kind)
        state = tuple([v.value for v in part] for part in variables)
        if kind == "predict":
            outputs, new_non_trainable = step(state, data)
            new_state: Any = (state[0], new_non_trainable)
        else:
            outputs, new_state = step(state, data)
        _check_new_state(model, kind, variables, new_state)
        for part, values in zip(variables, new_state):
            for var, value in zip(part, values):
                if value is not var.value:
                    var.assign(value)
        return outputs

    return run


__all__ = [
    "STATE_PARTS",
    "StatelessTrainerMixin",
    "run_as_stateless",
    "state_variables",
    "stateful_adapter",
    "symbolic_build",
    "takes_state",
]
