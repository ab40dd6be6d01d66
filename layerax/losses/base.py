"""`Loss`, the base class of losses, and Keras 3's reduction and sample-weight rules."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from layerax import config as _config
from layerax import dtype_policies
from layerax.core import naming, registry
from layerax.core.variable import Variable

REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)


def standardize_reduction(reduction: Any) -> Any:
    """Checks `reduction` against Keras 3's choices and returns it.

    Example:
        >>> import layerax as lx
        >>> lx.losses.base.standardize_reduction("sum")
        'sum'
    """
    if reduction not in REDUCTIONS:
        raise ValueError(
            "Invalid value for argument `reduction`. Expected one of "
            f"{list(REDUCTIONS)}. Received: reduction={reduction!r}"
        )
    return reduction


def to_array(x: Any, dtype: Any = None) -> jax.Array:
    """`x` as a JAX array (variables read through their value), optionally cast."""
    if isinstance(x, Variable):
        x = x.value
    if dtype is None:
        return jnp.asarray(x)
    return jnp.asarray(x).astype(dtype) if hasattr(x, "dtype") else jnp.asarray(x, dtype=dtype)


def squeeze_or_expand_to_same_rank(
    x1: jax.Array, x2: jax.Array, expand_rank_1: bool = True
) -> tuple[jax.Array, jax.Array]:
    """Keras' rank matching: when the ranks differ by one and the longer has a
    trailing axis of size 1, squeeze it (or expand a rank-1 partner).

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> a, b = lx.losses.base.squeeze_or_expand_to_same_rank(jnp.ones((3, 1)), jnp.ones((3,)))
        >>> a.shape, b.shape
        ((3, 1), (3, 1))
    """
    r1, r2 = x1.ndim, x2.ndim
    if r1 == r2:
        return x1, x2
    if r1 == r2 + 1 and x1.shape[-1] == 1:
        if r2 == 1 and expand_rank_1:
            x2 = jnp.expand_dims(x2, -1)
        else:
            x1 = jnp.squeeze(x1, -1)
    if r2 == r1 + 1 and x2.shape[-1] == 1:
        if r1 == 1 and expand_rank_1:
            x1 = jnp.expand_dims(x1, -1)
        else:
            x2 = jnp.squeeze(x2, -1)
    return x1, x2


def check_same_shape(fn: str, y_true: jax.Array, y_pred: jax.Array) -> None:
    """Raises unless `y_true` and `y_pred` have the same shape (a scalar `y_true` is a constant target).

    Losses never broadcast labels against predictions: labels of shape `(8, 1)` against
    predictions of shape `(8, 3)` are a mistake, not three copies. The `Loss` classes first
    apply Keras' rank rule (`squeeze_or_expand_to_same_rank`: `(8,)` against `(8, 1)` is fine).

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> lx.losses.base.check_same_shape("mean_squared_error", jnp.ones((8, 3)), jnp.ones((8, 3)))
        >>> try:
        ...     lx.losses.base.check_same_shape("mean_squared_error", jnp.ones((8, 1)), jnp.ones((8, 3)))
        ... except ValueError as e:
        ...     print(str(e)[:100])
        In mean_squared_error, `y_true` and `y_pred` must have the same shape. Received: y_true.shape=(8, 1)
    """
    if y_true.shape != y_pred.shape and y_true.ndim != 0:
        raise ValueError(
            f"In {fn}, `y_true` and `y_pred` must have the same shape. Received: "
            f"y_true.shape={tuple(y_true.shape)}, y_pred.shape={tuple(y_pred.shape)}. The loss does "
            "not broadcast labels against predictions: reshape the labels to the predictions' "
            "shape (a trailing axis of size 1 is squeezed or added, as in Keras)."
        )


def _divide_no_nan(a: jax.Array, b: jax.Array) -> jax.Array:
    safe = jnp.where(b == 0, jnp.ones_like(b), b)
    return jnp.where(b == 0, jnp.zeros_like(a), a / safe)


def apply_mask(sample_weight: Any, mask: Any, dtype: Any, reduction: Any) -> Any:
    """Folds a boolean `mask` into `sample_weight` (Keras 3's rule).

    With the averaging reductions, valid entries weigh `total / valid` so that
    the average runs over the valid entries only.
    """
    if mask is None:
        return sample_weight
    mask = jnp.asarray(mask)
    if reduction in ("mean", "sum_over_batch_size"):
        total = jnp.asarray(np.prod(mask.shape), dtype)
        valid = jnp.sum(mask.astype(dtype))
        float_mask = jnp.where(mask.astype(bool), _divide_no_nan(total, valid), 0).astype(dtype)
    else:
        float_mask = mask.astype(dtype)
    if sample_weight is None:
        return float_mask
    sample_weight = jnp.asarray(sample_weight).astype(dtype)
    float_mask, sample_weight = squeeze_or_expand_to_same_rank(float_mask, sample_weight)
    return sample_weight * float_mask


def reduce_values(values: jax.Array, sample_weight: Any = None, reduction: Any = "sum_over_batch_size") -> jax.Array:
    """Sums `values` and, for the averaging reductions, divides by their count
    (or by the summed sample weight for `"mean_with_sample_weight"`)."""
    if reduction is None or reduction == "none" or values.shape == () or values.shape == (0,):
        return values
    loss = jnp.sum(values)
    if reduction in ("sum_over_batch_size", "mean", "mean_with_sample_weight"):
        if reduction == "mean_with_sample_weight" and sample_weight is not None:
            divisor = jnp.sum(sample_weight).astype(loss.dtype)
        else:
            divisor = jnp.asarray(np.prod(values.shape), loss.dtype)
        loss = _divide_no_nan(loss, divisor)
    return loss


def reduce_weighted_values(
    values: Any,
    sample_weight: Any = None,
    mask: Any = None,
    reduction: Any = "sum_over_batch_size",
    dtype: Any = None,
    name: str = "loss",
) -> jax.Array:
    """Weights per-sample `values` by `sample_weight` and `mask`, then reduces them.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> float(lx.losses.base.reduce_weighted_values(jnp.array([1.0, 3.0]), jnp.array([1.0, 0.0])))
        0.5
    """
    reduction = standardize_reduction(reduction)
    values = to_array(values, dtype)
    if sample_weight is not None:
        sample_weight = to_array(sample_weight, values.dtype)
    sample_weight = apply_mask(sample_weight, mask, values.dtype, reduction)
    if sample_weight is not None:
        sample_weight = jnp.asarray(sample_weight).astype(values.dtype)
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        try:
            np.broadcast_shapes(values.shape, sample_weight.shape)
        except ValueError as err:
            raise ValueError(
                f"Loss '{name}': `sample_weight` of shape {tuple(sample_weight.shape)} cannot be "
                f"applied to per-sample losses of shape {tuple(values.shape)}. Pass one weight per "
                "sample (shape `(batch_size,)`) or a weight array that broadcasts to the losses."
            ) from err
        values = values * sample_weight
    return reduce_values(values, sample_weight, reduction)


@registry.register("losses")
class Loss:
    """Base class of losses: subclass it and implement `call(y_true, y_pred)`.

    `call` returns one loss value per sample (or per element); `__call__`
    converts the inputs to the loss dtype, applies `sample_weight` and the
    `reduction`.

    Args:
        name: Name of the loss (the snake-case class name by default).
        reduction: `"sum_over_batch_size"` (default; sum divided by the number
            of loss values), `"sum"`, `"mean"` (same as the default),
            `"mean_with_sample_weight"` (sum divided by the summed weights),
            or `"none"`/`None` (no reduction).
        dtype: Computation dtype (`lx.config.floatx()` by default).

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> class MeanCubed(lx.losses.Loss):
        ...     def call(self, y_true, y_pred):
        ...         return jnp.mean((y_pred - y_true) ** 3, axis=-1)
        >>> float(MeanCubed()(jnp.zeros((2, 2)), jnp.full((2, 2), 2.0)))
        8.0
    """

    def __init__(self, name: str | None = None, reduction: Any = "sum_over_batch_size", dtype: Any = None) -> None:
        self.name = name or naming.auto_name(type(self).__name__)
        self.reduction = standardize_reduction(reduction)
        self._dtype_policy = dtype_policies.get(dtype or _config.floatx())
        self._dtype = self._dtype_policy.compute_dtype

    @property
    def dtype(self) -> str:
        """The dtype the loss computes in."""
        return self._dtype

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None, *, mask: Any = None) -> jax.Array:
        """Computes the reduced, weighted loss.

        Args:
            y_true: Targets.
            y_pred: Predictions.
            sample_weight: Optional weights, one per sample (or broadcastable
                to the per-sample losses).
            mask: Optional boolean mask of valid entries (layerax passes the
                output mask here; Keras reads it from the tensor).
        """
        y_pred = _convert_structure(y_pred, self.dtype)
        y_true = _convert_structure(y_true, self.dtype)
        values, out_mask = self._call_with_mask(y_true, y_pred)
        if mask is not None and out_mask is not None:
            mask = jnp.logical_and(jnp.asarray(mask, bool), jnp.asarray(out_mask, bool))
        elif out_mask is not None:
            mask = out_mask
        return reduce_weighted_values(
            values, sample_weight=sample_weight, mask=mask, reduction=self.reduction,
            dtype=self.dtype, name=self.name,
        )

    def _call_with_mask(self, y_true: Any, y_pred: Any) -> tuple[jax.Array, Any]:
        """`call`'s values and the mask of valid entries it produced (None: all valid)."""
        return self.call(y_true, y_pred), None

    def call(self, y_true: Any, y_pred: Any) -> jax.Array:
        """The per-sample loss values, before reduction (subclasses implement it).

        Args:
            y_true: Targets.
            y_pred: Predictions.

        Returns:
            The unreduced losses, e.g. of shape `(batch,)`.

        Example:
            >>> import layerax as lx, jax.numpy as jnp
            >>> lx.losses.MeanSquaredError().call(jnp.zeros((2, 2)), jnp.ones((2, 2))).tolist()
            [1.0, 1.0]
        """
        raise NotImplementedError(
            f"Loss '{self.name}' ({type(self).__name__}) does not implement `call(y_true, y_pred)`. "
            "Subclass lx.losses.Loss and return the per-sample loss values from `call`."
        )

    def get_config(self) -> dict[str, Any]:
        """The loss's constructor arguments, from which `from_config` rebuilds it.

        Example:
            >>> import layerax as lx
            >>> config = lx.losses.Huber(delta=2.0).get_config()
            >>> config["name"], config["reduction"], config["delta"]
            ('huber_loss', 'sum_over_batch_size', 2.0)
        """
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Loss:
        """Creates a loss from `get_config()`'s output.

        Example:
            >>> import layerax as lx
            >>> loss = lx.losses.Huber(delta=2.0)
            >>> type(loss).from_config(loss.get_config()).get_config() == loss.get_config()
            True
        """
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"


@registry.register("losses")
class LossFunctionWrapper(Loss):
    """A `Loss` around a function `fn(y_true, y_pred, **kwargs)` of per-sample values.

    Args:
        fn: The loss function.
        reduction: See `Loss`.
        name: Loss name.
        dtype: Computation dtype.
        **kwargs: Extra keyword arguments passed to `fn`.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> loss = lx.losses.LossFunctionWrapper(lx.losses.mean_absolute_error, name="mae")
        >>> float(loss(jnp.zeros((2, 3)), jnp.ones((2, 3))))
        1.0
    """

    def __init__(
        self,
        fn: Callable[..., Any],
        reduction: Any = "sum_over_batch_size",
        name: str | None = None,
        dtype: Any = None,
        **kwargs: Any,
    ) -> None:
        if not callable(fn):
            raise TypeError(f"LossFunctionWrapper expects a callable `fn`. Received: fn={fn!r}")
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true: Any, y_pred: Any) -> jax.Array:
        y_true, y_pred = _match_ranks(y_true, y_pred)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def _call_with_mask(self, y_true: Any, y_pred: Any) -> tuple[jax.Array, Any]:
        fn_with_mask = getattr(self.fn, "_lx_with_mask", None)
        if fn_with_mask is None:
            return self.call(y_true, y_pred), None
        y_true, y_pred = _match_ranks(y_true, y_pred)
        return fn_with_mask(y_true, y_pred, **self._fn_kwargs)

    def get_config(self) -> dict[str, Any]:
        from layerax.losses import serialize  # the package's table of functions

        config = super().get_config()
        config["fn"] = serialize(self.fn)
        config.update(self._fn_kwargs)
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Loss:
        config = dict(config)
        if "fn" in config and isinstance(config["fn"], (str, dict)):
            from layerax.losses import deserialize

            config["fn"] = deserialize(config["fn"])
        return cls(**config)

    def __repr__(self) -> str:
        return f"<LossFunctionWrapper({getattr(self.fn, '__name__', self.fn)}, kwargs={self._fn_kwargs})>"


class _ConfiguredWrapper(LossFunctionWrapper):
    """A built-in wrapper whose config lists its own arguments (not `fn`)."""

    _config_keys: tuple[str, ...] = ()

    def get_config(self) -> dict[str, Any]:
        config = Loss.get_config(self)
        config.update({key: getattr(self, key) for key in self._config_keys})
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Loss:
        return cls(**config)


def _convert_structure(x: Any, dtype: Any) -> Any:
    """Arrays stay arrays; dicts and sequences of arrays are converted leaf by leaf.

    A list of numbers (or of lists) is one array, as users write labels that way.
    """
    if isinstance(x, dict):
        return {k: _convert_structure(v, dtype) for k, v in x.items()}
    if isinstance(x, (list, tuple)) and x and all(hasattr(e, "shape") or isinstance(e, dict) for e in x):
        return type(x)(_convert_structure(e, dtype) for e in x)
    return to_array(x, dtype)


def _match_ranks(y_true: Any, y_pred: Any) -> tuple[Any, Any]:
    if isinstance(y_true, jax.Array) and isinstance(y_pred, jax.Array):
        return squeeze_or_expand_to_same_rank(y_true, y_pred)
    pairs = jax.tree.map(squeeze_or_expand_to_same_rank, y_true, y_pred)
    is_pair = lambda x: isinstance(x, tuple) and len(x) == 2 and all(isinstance(a, jax.Array) for a in x)
    return (
        jax.tree.map(lambda p: p[0], pairs, is_leaf=is_pair),
        jax.tree.map(lambda p: p[1], pairs, is_leaf=is_pair),
    )


__all__ = [
    "Loss",
    "LossFunctionWrapper",
    "apply_mask",
    "check_same_shape",
    "reduce_values",
    "reduce_weighted_values",
    "squeeze_or_expand_to_same_rank",
    "standardize_reduction",
]
