"""What `compile` turns losses, loss weights and metrics into (per model output)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp

from layerax.metrics.base import Metric


def _flatten_outputs(tree: Any, names: Sequence[str]) -> list[Any]:
    """Model outputs (or targets) as a list in `names` order."""
    if isinstance(tree, dict):
        missing = [n for n in names if n not in tree]
        if missing:
            raise ValueError(
                f"Expected a dict with keys {list(names)} (the model's output names); "
                f"missing {missing}. Received keys: {list(tree)}"
            )
        return [tree[n] for n in names]
    if isinstance(tree, (list, tuple)):
        if len(tree) != len(names):
            raise ValueError(
                f"The model has {len(names)} outputs ({list(names)}) but {len(tree)} "
                "targets/predictions were given."
            )
        return list(tree)
    if len(names) != 1:
        raise ValueError(
            f"The model has {len(names)} outputs ({list(names)}) but a single array was given. "
            "Pass a list or a dict of targets."
        )
    return [tree]


def _per_output(spec: Any, names: Sequence[str], what: str) -> list[Any]:
    """Spreads a compile argument (single, list or dict) over the outputs."""
    if isinstance(spec, dict):
        unknown = [k for k in spec if k not in names]
        if unknown:
            raise ValueError(
                f"Unknown output name(s) {unknown} in `{what}`. The model's outputs are "
                f"{list(names)}."
            )
        return [spec.get(n) for n in names]
    if isinstance(spec, (list, tuple)) and len(names) > 1:
        if len(spec) != len(names):
            raise ValueError(
                f"`{what}` has {len(spec)} entries but the model has {len(names)} outputs "
                f"({list(names)})."
            )
        return list(spec)
    return [spec] * len(names)


class CompileLoss:
    """The compiled loss: a weighted sum of per-output losses."""

    def __init__(self, loss: Any, loss_weights: Any, output_names: Sequence[str], y_true: Any, y_pred: Any,
                 names_declared: bool = True) -> None:
        from layerax.losses import resolve_loss

        self.output_names = list(output_names)
        preds = _flatten_outputs(y_pred, self.output_names)
        trues = _flatten_outputs(y_true, self.output_names) if y_true is not None else [None] * len(preds)
        if loss is None:
            specs: list[Any] = [None] * len(self.output_names)
        elif isinstance(loss, (list, tuple, dict)):
            specs = _per_output(loss, self.output_names, "loss")
        else:
            # One loss for every output, as Keras does.
            specs = [loss] * len(self.output_names)
        self.losses: list[Any] = [
            resolve_loss(spec, yt, yp) if spec is not None else None
            for spec, yt, yp in zip(specs, trues, preds)
        ]
        if loss_weights is None:
            self.weights = [1.0] * len(self.output_names)
        elif isinstance(loss_weights, (int, float)):
            self.weights = [float(loss_weights)] * len(self.output_names)
        else:
            if isinstance(loss_weights, (list, tuple)):
                from layerax.trainers.arguments import check_loss_weights_length

                check_loss_weights_length(loss_weights, list(self.output_names))
                if len(self.output_names) == 1:
                    loss_weights = loss_weights[0]
            self.weights = [1.0 if w is None else float(w) for w in _per_output(loss_weights, self.output_names, "loss_weights")]
        # As in Keras, several losses are each tracked (unweighted) as `<output>_loss`.
        from layerax.metrics import Mean

        # Outputs without declared names (a subclassed model's list) are named by their loss.
        self._tracked = [
            (name, name if names_declared or isinstance(y_pred, dict) else loss.name)
            for name, loss in zip(self.output_names, self.losses)
            if loss is not None
        ]
        if len(self._tracked) < 2:
            self._tracked = []
        self.metrics: list[Any] = [Mean(name=f"{label}_loss") for _, label in self._tracked]

    @property
    def empty(self) -> bool:
        return all(loss is None for loss in self.losses)

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any) -> tuple[Any, dict[str, Any]]:
        """Total loss and the per-output losses (for multi-output logs)."""
        preds = _flatten_outputs(y_pred, self.output_names)
        if y_true is None:
            if not self.empty:
                raise ValueError(
                    "The model was compiled with a loss but `fit` received no targets `y`. Pass "
                    "`y`, or compile with `loss=None` and add losses with `add_loss`."
                )
            return jnp.zeros((), jnp.float32), {}
        trues = _flatten_outputs(y_true, self.output_names)
        weights = (
            _flatten_outputs(sample_weight, self.output_names)
            if isinstance(sample_weight, (dict, list, tuple))
            else [sample_weight] * len(self.output_names)
        )
        total = jnp.zeros((), jnp.float32)
        per_output = {}
        for name, loss, weight, yt, yp, sw in zip(self.output_names, self.losses, self.weights, trues, preds, weights):
            if loss is None:
                continue
            value = jnp.asarray(loss(yt, yp, sample_weight=sw), jnp.float32)
            per_output[f"{name}_loss"] = value
            total = total + weight * value
        return total, per_output

    def update_metrics(self, per_output: dict[str, Any], batch_size: Any) -> None:
        """Feeds the per-output losses of a step (`__call__`'s second result) to `metrics`.

        Separate from `__call__` because the built-in train step computes the loss
        inside `jax.value_and_grad`, and metric state is updated outside it.
        """
        for metric, (name, _) in zip(self.metrics, self._tracked):
            value = per_output.get(f"{name}_loss")
            if value is not None:
                metric.update_state(value, sample_weight=batch_size)


def default_output_names(y_pred: Any) -> list[str]:
    """Output names of a model without declared ones: dict keys, `output_i`, or `output`."""
    if isinstance(y_pred, dict):
        return list(y_pred)
    if isinstance(y_pred, (list, tuple)):
        return [f"output_{i + 1}" for i in range(len(y_pred))]
    return ["output"]


class CompileMetrics(Metric):
    """The metrics given to `compile`, as one container metric (Keras 3's `compile_metrics`).

    The metric objects are created on the first update, because which accuracy
    `"accuracy"` means depends on the shapes of the targets and predictions.
    `result()` returns a dict of every metric's result, keyed by its log name
    (prefixed with the output name for multi-output models).

    Example:
        >>> import layerax as lx, numpy as np
        >>> m = CompileMetrics(["accuracy"], None, None, "sparse_categorical_crossentropy")
        >>> m.update_state(np.array([1, 0]), np.array([[0.1, 0.9], [0.2, 0.8]]))
        >>> {k: float(v) for k, v in m.result().items()}
        {'accuracy': 0.5}
    """

    def __init__(self, metrics: Any, weighted_metrics: Any, output_names: Sequence[str] | None,
                 loss: Any) -> None:
        super().__init__(name="compile_metrics")
        self.output_names = list(output_names) if output_names else None
        self._specs = (metrics, weighted_metrics)
        self._loss_spec = loss
        self.built = False
        self.entries: list[tuple[int, Any, bool]] = []  # (output index, metric, weighted)

    def build(self, y_true: Any, y_pred: Any) -> None:
        from layerax.metrics import resolve_metric

        if self.output_names is None:
            self.output_names = default_output_names(y_pred)
        names = self.output_names
        trues = _flatten_outputs(y_true, names)
        preds = _flatten_outputs(y_pred, names)
        loss = self._loss_spec
        losses = _per_output(loss, names, "loss") if isinstance(loss, (list, tuple, dict)) else [loss] * len(names)
        multi = len(names) > 1
        for weighted, spec in ((False, self._specs[0]), (True, self._specs[1])):
            if spec is None:
                continue
            if isinstance(spec, dict):
                per_output = [spec.get(n) for n in names]
            elif isinstance(spec, (list, tuple)) and multi and all(
                isinstance(s, (list, tuple)) or s is None for s in spec
            ):
                per_output = list(spec)
            else:
                per_output = [spec] * len(names)
            for index, items in enumerate(per_output):
                if items is None:
                    continue
                for item in items if isinstance(items, (list, tuple)) else [items]:
                    metric = resolve_metric(item, y_true=trues[index], y_pred=preds[index], loss=losses[index])
                    metric._lx_log_name = (f"{names[index]}_" if multi else "") + metric.name
                    self.entries.append((index, metric, weighted))
                    self._metrics.append(metric)
        self.built = True

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        if not self.built:
            self.build(y_true, y_pred)
        if not self.entries:
            return
        names = self.output_names
        trues = _flatten_outputs(y_true, names)
        preds = _flatten_outputs(y_pred, names)
        weights = (
            _flatten_outputs(sample_weight, names)
            if isinstance(sample_weight, (dict, list, tuple))
            else [sample_weight] * len(names)
        )
        for index, metric, weighted in self.entries:
            metric.update_state(trues[index], preds[index], sample_weight=weights[index] if weighted else None)

    def result(self) -> dict[str, Any]:  # type: ignore[override]
        return {metric._lx_log_name: metric.result() for _, metric, _ in self.entries}

    def log_names(self) -> list[str]:
        return [metric._lx_log_name for _, metric, _ in self.entries]

    def reset_state(self) -> None:
        for _, metric, _ in self.entries:
            metric.reset_state()


def tree_concat(batches: list[Any]) -> Any:
    """Concatenates a list of same-structure pytrees of arrays along axis 0 (on the host)."""
    import numpy as np

    return jax.tree.map(lambda *xs: np.concatenate([np.asarray(x) for x in xs], axis=0), *batches)
