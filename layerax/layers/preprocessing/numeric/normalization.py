"""`Normalization`: feature-wise standardization, with statistics from `adapt` or given."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from layerax import config as _config
from layerax.core.layer import Layer


def _first_of_batch(batch: Any) -> Any:
    """The inputs of a batch: `x` of `(x, y)` / `(x, y, w)` tuples, else the batch itself."""
    if isinstance(batch, tuple) and batch:
        return batch[0]
    return batch


def _is_array(data: Any) -> bool:
    return isinstance(data, (np.ndarray, jax.Array))


def _is_py_dataset(data: Any) -> bool:
    # `lx.utils.PyDataset`'s protocol (Keras' PyDataset has it too): indexed batches and
    # their count. Checked by shape, so the layers do not depend on lx.utils.
    return hasattr(type(data), "num_batches") and hasattr(data, "__getitem__")


def iterate_batches(layer: str, data: Any, batch_size: int | None,
                    steps: int | None) -> Iterator[np.ndarray]:
    """The batches `adapt` reads from `data` (an array, a `PyDataset` or an iterable of batches),
    as numpy arrays; at most `steps` of them."""
    if _is_array(data):
        array = np.asarray(data)
        if batch_size is None:
            batches: Any = iter([array])
        else:
            batches = (array[i:i + batch_size] for i in range(0, max(len(array), 1), batch_size))
    elif _is_py_dataset(data):
        count = data.num_batches
        indices = range(count) if count is not None else itertools.count()
        batches = (_first_of_batch(data[i]) for i in indices)
    elif hasattr(data, "__iter__") and not isinstance(data, (str, bytes, dict)):
        batches = (_first_of_batch(b) for b in data)
    else:
        raise TypeError(
            f"{layer}.adapt() takes a numpy or JAX array, a `lx.utils.PyDataset` or an iterable "
            f"of batches (a list of arrays, a generator). Received: {type(data).__name__}."
        )
    if steps is not None:
        batches = itertools.islice(batches, steps)
    return (np.asarray(b) for b in batches)


class _MomentsAccumulator:
    """Count, mean and sum of squared deviations over batches (Chan et al.'s pairwise
    update, in float64), so that the final mean and variance equal numpy's over all data."""

    def __init__(self, reduce_axes: tuple[int, ...]) -> None:
        self.reduce_axes = reduce_axes
        self.count = 0
        self.mean: np.ndarray | None = None
        self.m2: np.ndarray | None = None

    def update(self, batch: np.ndarray) -> None:
        batch = batch.astype(np.float64)
        n = math.prod(batch.shape[a] for a in self.reduce_axes) if self.reduce_axes else 1
        if n == 0:
            return
        mean = batch.mean(axis=self.reduce_axes)
        m2 = ((batch - np.expand_dims(mean, self.reduce_axes)) ** 2).sum(axis=self.reduce_axes)
        if self.mean is None:
            self.count, self.mean, self.m2 = n, mean, m2
            return
        total = self.count + n
        delta = mean - self.mean
        self.mean = self.mean + delta * (n / total)
        self.m2 = self.m2 + m2 + delta**2 * (self.count * n / total)
        self.count = total

    def variance(self) -> np.ndarray:
        assert self.m2 is not None
        return self.m2 / self.count


class Normalization(Layer):
    """Shifts and scales inputs to zero mean and unit variance, feature by feature.

    The layer computes `(inputs - mean) / sqrt(variance)` (the square root floored at
    `lx.config.epsilon()`); with `invert=True`, `mean + inputs * sqrt(variance)`. The
    statistics are either given (`mean`, `variance`, broadcast to the kept axes) or
    computed from data with `adapt(data)`. Adapted statistics are non-trainable
    variables `mean`, `variance` and `count` of the layer, so `model.save` keeps them.

    Args:
        axis: The axis or axes that keep their own statistics (features), e.g. `-1` for
            one mean per last-axis feature; the other axes are reduced. `None`: one mean
            and variance for all entries.
        mean: The mean to use instead of `adapt` (a scalar or an array broadcast to the
            kept axes).
        variance: The variance to go with `mean`.
        invert: Apply the inverse transformation (undo a normalization).

    Input shape:
        Any, with known sizes along `axis`.

    Output shape:
        Same as the input.

    Example:
        >>> import layerax as lx, numpy as np
        >>> layer = lx.layers.Normalization()
        >>> layer.adapt(np.array([[0.0, 2.0], [2.0, 6.0]]))
        >>> layer(np.array([[1.0, 4.0]])).tolist()
        [[0.0, 0.0]]
        >>> lx.layers.Normalization(mean=2.0, variance=4.0)(np.array([4.0])).tolist()
        [1.0]
    """

    def __init__(self, axis: Any = -1, mean: Any = None, variance: Any = None,
                 invert: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if axis is None:
            axis = ()
        elif isinstance(axis, int):
            axis = (axis,)
        else:
            axis = tuple(axis)
        self.axis = axis
        self.input_mean = mean
        self.input_variance = variance
        self.invert = invert
        self.supports_masking = True
        if (mean is None) != (variance is None):
            raise ValueError(
                "Normalization: when setting the statistics directly, both `mean` and "
                f"`variance` must be set. Received: mean={mean} and variance={variance}"
            )
        if mean is not None:
            if np.shape(mean) != np.shape(variance):
                raise ValueError(
                    "Normalization: `mean` and `variance` must have the same shape. Received: "
                    f"mean shape {np.shape(mean)} and variance shape {np.shape(variance)}"
                )
            if np.ndim(mean) > len(self.axis):
                raise ValueError(
                    "Normalization: the rank of `mean` must be at most the number of axes "
                    f"({len(self.axis)}). Received: mean shape {np.shape(mean)} for "
                    f"axis={self.axis}"
                )
        self._keep_axis: tuple[int, ...] = ()
        self._reduce_axis: tuple[int, ...] = ()
        self._broadcast_shape: tuple[int, ...] = ()
        self._fixed: tuple[np.ndarray, np.ndarray] | None = None
        self._input_shape: tuple[Any, ...] | None = None

    def build(self, input_shape: Any) -> None:
        shape = tuple(input_shape)
        ndim = len(shape)
        if any(a < -ndim or a >= ndim for a in self.axis):
            raise ValueError(
                "Normalization: all `axis` values must be in the range [-ndim, ndim). Received "
                f"inputs with ndim={ndim}, while axis={self.axis}"
            )
        keep = tuple(sorted(a % ndim for a in self.axis))
        for d in keep:
            if shape[d] is None:
                raise ValueError(
                    "Normalization: the axes in `axis` must have a known size. Received "
                    f"axis={self.axis}, inputs.shape={shape}, with an unknown size at index {d}"
                )
        self._input_shape = shape
        self._keep_axis = keep
        self._reduce_axis = tuple(d for d in range(ndim) if d not in keep)
        self._broadcast_shape = tuple(shape[d] if d in keep else 1 for d in range(ndim))
        stats_shape = tuple(shape[d] for d in keep)
        if self.input_mean is None:
            self.adapt_mean = self.add_weight(name="mean", shape=stats_shape,
                                              initializer="zeros", trainable=False)
            self.adapt_variance = self.add_weight(name="variance", shape=stats_shape,
                                                  initializer="ones", trainable=False)
            self.count = self.add_weight(name="count", shape=(), dtype="int32",
                                         initializer="zeros", trainable=False)
        else:
            self._fixed = (self._broadcast_given(self.input_mean),
                           self._broadcast_given(self.input_variance))

    def _broadcast_given(self, value: Any) -> np.ndarray:
        """A given statistic, aligned with the trailing kept axes, broadcast to the input rank."""
        value = np.asarray(value, dtype=np.float64)
        ndim = len(self._broadcast_shape)
        expanded = [1] * ndim
        for i in range(1, value.ndim + 1):
            expanded[self._keep_axis[-i]] = value.shape[-i]
        return np.broadcast_to(value.reshape(expanded), self._broadcast_shape).astype(
            self.compute_dtype)

    def adapt(self, data: Any, batch_size: int | None = None, steps: int | None = None) -> None:
        """Computes the mean and variance of `data` along the reduced axes.

        The statistics are exact (a streaming float64 update over the batches, equal to
        `np.mean`/`np.var` over all of the data) and are stored in the layer's `mean`,
        `variance` and `count` variables.

        Args:
            data: A numpy or JAX array, a `lx.utils.PyDataset`, or an iterable (list,
                generator) of batches. Tuples `(x, y, ...)` contribute their `x`.
            batch_size: For an array: read it in batches of this size (the result is the
                same; this bounds the float64 copy).
            steps: Read at most this many batches.
        """
        batches = iterate_batches("Normalization", data, batch_size, steps)
        first = next(batches, None)
        if first is None:
            raise ValueError(
                "Normalization.adapt() received no data (an empty iterable). Pass an array or "
                "at least one batch, e.g. `layer.adapt(x)`."
            )
        if self.input_mean is not None:
            raise ValueError(
                "Normalization: `adapt` cannot be used with a layer created with `mean` and "
                "`variance`. Create it without them to compute the statistics from data."
            )
        if not self.built:
            self.build(tuple(first.shape))
            object.__setattr__(self, "_build_shapes", tuple(first.shape))
        stats = _MomentsAccumulator(self._reduce_axis)
        for batch in itertools.chain([first], batches):
            self._check_batch(batch)
            stats.update(batch)
        self.adapt_mean.assign(jnp.asarray(stats.mean, self.adapt_mean.dtype))
        self.adapt_variance.assign(jnp.asarray(stats.variance(), self.adapt_variance.dtype))
        self.count.assign(jnp.asarray(stats.count, "int32"))

    def _check_batch(self, batch: np.ndarray) -> None:
        assert self._input_shape is not None
        if batch.ndim != len(self._input_shape) or any(
            batch.shape[d] != self._input_shape[d] for d in self._keep_axis
        ):
            raise ValueError(
                f"Normalization '{self.name}' was built for inputs of shape {self._input_shape} "
                f"(sizes along axis={self.axis} fixed), but adapt() read a batch of shape "
                f"{tuple(batch.shape)}."
            )

    def _statistics(self) -> tuple[Any, Any]:
        if self._fixed is not None:
            return self._fixed
        mean = jnp.reshape(self.adapt_mean.value, self._broadcast_shape)
        variance = jnp.reshape(self.adapt_variance.value, self._broadcast_shape)
        return mean.astype(self.compute_dtype), variance.astype(self.compute_dtype)

    def call(self, inputs: Any) -> jax.Array:
        inputs = jnp.asarray(inputs, dtype=self.compute_dtype)
        mean, variance = self._statistics()
        scale = jnp.maximum(jnp.sqrt(variance), _config.epsilon())
        if self.invert:
            return mean + inputs * scale
        return (inputs - mean) / scale

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "axis": self.axis,
            "invert": self.invert,
            "mean": np.array(self.input_mean).tolist(),
            "variance": np.array(self.input_variance).tolist(),
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Normalization:
        config = dict(config)
        # Keras writes an unset mean/variance as `np.array(None).tolist()`, i.e. None.
        return cls(**config)
