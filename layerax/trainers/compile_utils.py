"""What `compile` turns losses, loss weights and metrics into (per model output)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp


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

    def __init__(self, loss: Any, loss_weights: Any, output_names: Sequence[str], y_true: Any, y_pred: Any) -> None:
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
            self.weights = [1.0 if w is None else float(w) for w in _per_output(loss_weights, self.output_names, "loss_weights")]

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


class CompileMetrics:
    """Metric objects per output, created on the first batch (their kind may depend on shapes)."""

    def __init__(self, metrics: Any, weighted_metrics: Any, output_names: Sequence[str], losses: Sequence[Any]) -> None:
        self.output_names = list(output_names)
        self._specs = (metrics, weighted_metrics)
        self._losses = list(losses)
        self.built = False
        self.metrics: list[tuple[int, Any, bool]] = []  # (output index, metric, weighted)

    def build(self, y_true: Any, y_pred: Any) -> None:
        from layerax.metrics import resolve_metric

        trues = _flatten_outputs(y_true, self.output_names)
        preds = _flatten_outputs(y_pred, self.output_names)
        multi = len(self.output_names) > 1
        for weighted, spec in ((False, self._specs[0]), (True, self._specs[1])):
            if spec is None:
                continue
            if isinstance(spec, dict):
                per_output = [spec.get(n) for n in self.output_names]
            elif isinstance(spec, (list, tuple)) and multi and all(
                isinstance(s, (list, tuple)) or s is None for s in spec
            ):
                per_output = list(spec)
            else:
                per_output = [spec] * len(self.output_names)
            for index, items in enumerate(per_output):
                if items is None:
                    continue
                if not isinstance(items, (list, tuple)):
                    items = [items]
                for item in items:
                    metric = resolve_metric(
                        item, y_true=trues[index], y_pred=preds[index], loss=self._losses[index]
                    )
                    prefix = f"{self.output_names[index]}_" if multi else ""
                    metric._lx_log_name = prefix + metric.name
                    self.metrics.append((index, metric, weighted))
        self.built = True

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any) -> None:
        if not self.built:
            self.build(y_true, y_pred)
        if not self.metrics:
            return
        trues = _flatten_outputs(y_true, self.output_names)
        preds = _flatten_outputs(y_pred, self.output_names)
        weights = (
            _flatten_outputs(sample_weight, self.output_names)
            if isinstance(sample_weight, (dict, list, tuple))
            else [sample_weight] * len(self.output_names)
        )
        for index, metric, weighted in self.metrics:
            metric.update_state(trues[index], preds[index], sample_weight=weights[index] if weighted else None)

    def results(self) -> dict[str, Any]:
        return {metric._lx_log_name: metric.result() for _, metric, _ in self.metrics}

    def reset_state(self) -> None:
        for _, metric, _ in self.metrics:
            metric.reset_state()

    @property
    def variables(self) -> list[Any]:
        return [v for _, metric, _ in self.metrics for v in metric.variables]


def tree_concat(batches: list[Any]) -> Any:
    """Concatenates a list of same-structure pytrees of arrays along axis 0 (on the host)."""
    import numpy as np

    return jax.tree.map(lambda *xs: np.concatenate([np.asarray(x) for x in xs], axis=0), *batches)
