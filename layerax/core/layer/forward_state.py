"""Losses and metrics created in the forward pass (a mixin of `Layer`)."""

from __future__ import annotations

from typing import Any

from layerax.core.context import CTX


class ForwardStateMixin:
    """`add_loss`, `add_metric`, `losses`: values produced by a forward pass, cleared by the
    next top-level call and never outliving a pure-bridge scope."""

    def add_loss(self, loss: Any) -> None:
        """Adds a loss tensor created in the forward pass (collected by `losses`)."""
        self._set_losses([*self._losses, loss])

    def _set_losses(self, losses: list[Any]) -> None:
        self._set_forward_attr("_losses", losses)

    def _set_forward_attr(self, attr: str, value: list[Any]) -> None:
        if CTX.scopes:
            CTX.scopes[-1].save_attr(self, attr)
        object.__setattr__(self, attr, value)

    def _clear_losses(self) -> None:
        """Clears the forward-pass losses and metrics of this layer and its sub-layers."""
        for layer in self._flatten_layers():
            if layer._losses:
                layer._set_losses([])
            if layer.__dict__.get("_lx_added_metrics"):
                layer._set_forward_attr("_lx_added_metrics", [])

    def add_metric(self, value: Any, name: str | None = None, aggregation: str = "mean") -> None:
        """Reports a metric computed in the forward pass (TF2 Keras' `add_metric`).

        `fit` and `evaluate` show it in their logs and History under `name`,
        averaged (`aggregation="mean"`) or summed (`"sum"`) over the epoch.

        Args:
            value: A scalar or array; arrays are averaged over their elements.
            name: Name in the logs (required).
            aggregation: `"mean"` or `"sum"`.

        Example:
            >>> import layerax as lx, jax.numpy as jnp
            >>> class Probe(lx.layers.Layer):
            ...     def call(self, x):
            ...         self.add_metric(jnp.mean(x), name="mean_activation")
            ...         return x
            >>> layer = Probe()
            >>> _ = layer(jnp.ones((2, 2)))
            >>> [(name, float(v)) for name, v, _ in layer.added_metrics]
            [('mean_activation', 1.0)]
        """
        if not name or not isinstance(name, str):
            raise ValueError(
                f"Layer '{self.name}': add_metric() needs a `name` for the logs, e.g. "
                "`self.add_metric(value, name='mean_activation')`."
            )
        if aggregation not in ("mean", "sum"):
            raise ValueError(
                f"Layer '{self.name}': add_metric() aggregation must be 'mean' or 'sum'. "
                f"Received: aggregation={aggregation!r}"
            )
        current = self.__dict__.get("_lx_added_metrics", [])
        self._set_forward_attr("_lx_added_metrics", [*current, (name, value, aggregation)])

    @property
    def added_metrics(self) -> list[tuple[str, Any, str]]:
        """`(name, value, aggregation)` of `add_metric` calls in the last forward pass."""
        found: list[tuple[str, Any, str]] = []
        for layer in self._flatten_layers():
            found.extend(layer.__dict__.get("_lx_added_metrics", ()))
        return found

    @property
    def losses(self) -> list[Any]:
        """Losses of the last forward pass (this layer and sub-layers) plus weight penalties."""
        found: list[Any] = []
        for layer in self._flatten_layers():
            found.extend(layer._losses)
        for var in self.trainable_weights:
            if var.regularizer is not None:
                found.append(var.regularizer(var))
        return found

    # ---------------------------------------------------------- stateless
