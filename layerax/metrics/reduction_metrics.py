"""Reduction metrics: `Sum`, `Mean` and `MeanMetricWrapper` (the mean of a function's values)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from layerax.core import registry
from layerax.losses.base import apply_mask, squeeze_or_expand_to_same_rank, to_array
from layerax.metrics.base import Metric


def reduce_to_samplewise_values(
    values: Any, sample_weight: Any, reduce_fn: Callable[..., jax.Array], dtype: Any, mask: Any = None
) -> tuple[jax.Array, Any]:
    """Weights `values` and reduces them to one value per sample (Keras 3's rule).

    Values with more axes than the weights are first reduced over the extra
    axes with `reduce_fn`; the weights are broadcast to the values and, when
    they have more than one axis, reduced to one weight per sample.
    """
    values = to_array(values, dtype)
    if mask is not None:
        sample_weight = apply_mask(sample_weight, mask, dtype, reduction="sum")
    if sample_weight is not None:
        sample_weight = to_array(sample_weight, dtype)
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        weight_ndim, values_ndim = sample_weight.ndim, values.ndim
        if values_ndim > weight_ndim:
            values = reduce_fn(values, axis=tuple(range(weight_ndim, values_ndim)))
        try:
            sample_weight = jnp.broadcast_to(sample_weight, values.shape)
        except ValueError as err:
            raise ValueError(
                f"`sample_weight` of shape {tuple(sample_weight.shape)} cannot be broadcast to "
                f"the metric values of shape {tuple(values.shape)}. Pass one weight per sample."
            ) from err
        values = values * sample_weight
        if weight_ndim > 1:
            sample_weight = reduce_fn(sample_weight, axis=tuple(range(1, weight_ndim)))
    if values.ndim > 1:
        values = reduce_fn(values, axis=tuple(range(1, values.ndim)))
    return values, sample_weight


def _divide_no_nan(a: jax.Array, b: jax.Array) -> jax.Array:
    safe = jnp.where(b == 0, jnp.ones_like(b), b)
    return jnp.where(b == 0, jnp.zeros_like(a), a / safe)


@registry.register("metrics", "sum")
class Sum(Metric):
    """The (weighted) sum of the values seen.

    Example:
        >>> import layerax as lx
        >>> m = lx.metrics.Sum()
        >>> m.update_state([1.0, 3.0, 5.0, 7.0])
        >>> float(m.result())
        16.0
    """

    def __init__(self, name: str = "sum", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), initializer="zeros", dtype=self.dtype, name="total")

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        values, _ = reduce_to_samplewise_values(values, sample_weight, jnp.sum, self.dtype)
        self.total.assign(self.total.value + jnp.sum(values))

    def result(self) -> jax.Array:
        return self.total.value.astype(self.dtype)


@registry.register("metrics", "mean")
class Mean(Metric):
    """The (weighted) mean of the values seen: `total / count`.

    Example:
        >>> import layerax as lx
        >>> m = lx.metrics.Mean()
        >>> m.update_state([1.0, 3.0, 5.0, 7.0], sample_weight=[1, 1, 0, 0])
        >>> float(m.result())
        2.0
    """

    def __init__(self, name: str = "mean", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), initializer="zeros", dtype=self.dtype, name="total")
        self.count = self.add_variable(shape=(), initializer="zeros", dtype=self.dtype, name="count")

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        values, sample_weight = reduce_to_samplewise_values(values, sample_weight, jnp.mean, self.dtype)
        self._accumulate(values, sample_weight)

    def _accumulate(self, values: jax.Array, sample_weight: Any) -> None:
        self.total.assign(self.total.value + jnp.sum(values))
        if sample_weight is not None:
            num_samples = jnp.sum(sample_weight)
        elif values.ndim >= 1:
            num_samples = values.shape[0]
        else:
            num_samples = 1
        self.count.assign(self.count.value + jnp.asarray(num_samples, self.dtype))

    def result(self) -> jax.Array:
        return _divide_no_nan(self.total.value, self.count.value.astype(self.dtype))


@registry.register("metrics", "mean_metric_wrapper")
class MeanMetricWrapper(Mean):
    """The mean of `fn(y_true, y_pred, **kwargs)` over every sample seen.

    Args:
        fn: A function of `(y_true, y_pred)` returning one value per sample.
        name: Metric name.
        dtype: Computation dtype.
        **kwargs: Extra keyword arguments of `fn`.

    Example:
        >>> import layerax as lx
        >>> m = lx.metrics.MeanMetricWrapper(lx.losses.mean_absolute_error, name="mae")
        >>> m.update_state([[0.0, 1.0]], [[1.0, 1.0]])
        >>> m.update_state([[0.0, 0.0]], [[2.0, 2.0]])
        >>> float(m.result())
        1.25
    """

    def __init__(self, fn: Callable[..., Any], name: str | None = None, dtype: Any = None, **kwargs: Any) -> None:
        if not callable(fn):
            raise TypeError(f"MeanMetricWrapper expects a callable `fn`. Received: fn={fn!r}")
        super().__init__(name=name, dtype=dtype)  # type: ignore[arg-type]
        self._fn = fn
        self._fn_kwargs = kwargs
        if registry.name_in("losses", fn) is not None or registry.name_in("losses", type(fn)):
            # A wrapped loss is minimized (used by callbacks' mode="auto").
            self._direction = "down"

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None, *, mask: Any = None) -> None:
        """Adds a batch; `mask` (layerax extension) marks the valid entries of `y_pred`."""
        with_mask = getattr(self._fn, "_lx_with_mask", None)
        if with_mask is not None:
            values, out_mask = with_mask(y_true, y_pred, **self._fn_kwargs)
            if out_mask is not None:
                mask = out_mask if mask is None else jnp.logical_and(jnp.asarray(mask, bool), out_mask)
        else:
            values = self._fn(y_true, y_pred, **self._fn_kwargs)
        values, sample_weight = reduce_to_samplewise_values(
            values, sample_weight, jnp.mean, self.dtype, mask=mask
        )
        self._accumulate(values, sample_weight)

    def get_config(self) -> dict[str, Any]:
        from layerax.metrics import serialize_function

        config = super().get_config()
        config["fn"] = serialize_function(self._fn)
        config.update(self._fn_kwargs)
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Metric:
        config = dict(config)
        if isinstance(config.get("fn"), (str, dict)):
            from layerax.metrics import deserialize_function

            config["fn"] = deserialize_function(config["fn"])
        return cls(**config)


class _SimpleWrapper(MeanMetricWrapper):
    """A built-in wrapper whose config holds its own arguments rather than `fn`."""

    _config_keys: tuple[str, ...] = ()

    def get_config(self) -> dict[str, Any]:
        config = Metric.get_config(self)
        config.update({key: getattr(self, key) for key in self._config_keys})
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Metric:
        return cls(**config)


__all__ = ["Mean", "MeanMetricWrapper", "Sum", "reduce_to_samplewise_values"]
