"""Losses and metrics of a compiled model: `compute_loss`, `metrics`, `compute_metrics`,
`get_metrics_result`, `reset_metrics`, and the trackers the default steps feed."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from layerax.function import function
from layerax.trainers.compile_utils import CompileLoss, CompileMetrics, default_output_names


class LossAndMetrics:
    """Mixin of `lx.Model`: the compiled loss and metrics."""

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
        """The names of `metrics`, in order (`loss` first once compiled)."""
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
                compiled = functions["reset"] = function(_reset_all)
                compiled._lx_before_first_entry = _expect_reset_state(compiled)
            for metric in metrics:
                metric.reset_state()
            return
        compiled(plain)
        for metric in others:
            metric.reset_state()

    def _lx_loss_with_trackers(self, x: Any, y: Any, y_pred: Any, sample_weight: Any, training: bool) -> Any:
        """The loss of a batch (a `compute_loss` override decides), updating the per-output
        loss trackers of the compiled loss."""
        if type(self).compute_loss is not LossAndMetrics.compute_loss:  # a user's override decides
            return self.compute_loss(x, y, y_pred, sample_weight, training=training)
        self._ensure_compile_objects(y, y_pred)
        compile_loss = self._lx_state().compile_loss
        loss, per_output = compile_loss(y, y_pred, sample_weight)
        for extra in self.losses:
            loss = loss + jnp.asarray(extra, jnp.float32)
        compile_loss.update_metrics(per_output, batch_size(x))
        return loss

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


def batch_size(x: Any) -> Any:
    """The number of samples of a batch's inputs (its first leaf's leading size), as float32."""
    leaves = jax.tree_util.tree_leaves(x)
    return jnp.asarray(leaves[0].shape[0] if leaves and np.ndim(leaves[0]) else 1, jnp.float32)


def _reset_all(metrics: tuple[Any, ...]) -> None:
    for metric in metrics:
        metric.reset_state()


def _expect_reset_state(fn: Any) -> Any:
    """Declares, before the compiled reset's first trace, the variables it assigns."""

    def expect(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        fn._lx_expect_state([v for metric in args[0] for v in metric.variables], [])

    return expect
