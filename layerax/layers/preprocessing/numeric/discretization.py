"""`Discretization`: buckets continuous values by bin boundaries, given or learned by `adapt`."""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp
import numpy as np

from layerax import config as _config
from layerax.core.layer import Layer
from layerax.layers.preprocessing.numeric._encoding import (
    check_output_mode,
    check_sparse,
    encode,
    encoded_shape,
)
from layerax.layers.preprocessing.numeric.normalization import iterate_batches


# Keras' approximate quantiles: a summary is a (2, k) array of sorted values and the weight
# (number of data points) each stands for. Batches are summarised, merged, and compressed
# back to about 1/epsilon entries by interpolating the cumulative weights; the boundaries are
# the summary compressed to `num_bins` entries (without the last). The steps below reproduce
# Keras' arithmetic (float32 summaries), so that an adapted layer has Keras' boundaries.
def _summarize(values: np.ndarray, epsilon: float) -> np.ndarray:
    values = np.sort(values.reshape(-1))
    step = max(values.size * epsilon, 1)
    picked = values[int(step - 1)::int(step)]
    return np.stack([picked, np.full_like(picked, step)])


def _compress(summary: np.ndarray, epsilon: float) -> np.ndarray:
    if summary.shape[1] * epsilon < 1:
        return summary
    targets = epsilon + np.arange(0.0, 1.0, epsilon)
    cumulative = summary[1].cumsum()
    fractions = cumulative / cumulative[-1]
    values = np.interp(targets, fractions, summary[0])
    cumulative = np.interp(targets, fractions, cumulative)
    weights = np.diff(cumulative, prepend=0.0)
    return np.stack([values, weights]).astype("float32")


def _merge(first: np.ndarray, second: np.ndarray, epsilon: float) -> np.ndarray:
    merged = np.concatenate([first, second], axis=1)
    merged = merged[:, np.argsort(merged[0])]
    return _compress(merged, epsilon)


class Discretization(Layer):
    """Maps continuous values to the index of the bin they fall in.

    With boundaries `[b0, b1, ..., bn-1]` the bins are `(-inf, b0)`, `[b0, b1)`, ...,
    `[bn-1, inf)`, numbered 0 to n. The boundaries are given, or computed by `adapt` as
    approximate quantiles (Keras' algorithm, with error tolerance `epsilon`).

    Args:
        bin_boundaries: Sorted list of boundaries. Exclusive with `num_bins`.
        num_bins: Number of bins `adapt` computes (it needs `adapt` before use).
        epsilon: Error tolerance of the quantile approximation (smaller: more exact, more
            memory during `adapt`).
        output_mode: `"int"` (the bin index, int32), `"one_hot"`, `"multi_hot"` or
            `"count"` (encoded as by `CategoryEncoding`, in the layer's dtype).
        sparse: Return a `jax.experimental.sparse.BCOO` (not with `"int"`).

    Input shape:
        Any.

    Output shape:
        The input's for `"int"`, else as `CategoryEncoding` gives.

    Example:
        >>> import layerax as lx, numpy as np
        >>> layer = lx.layers.Discretization(bin_boundaries=[0.0, 1.0, 2.0])
        >>> layer(np.array([[-1.5, 1.0, 3.4, 0.5]])).tolist()
        [[0, 2, 3, 1]]
        >>> layer = lx.layers.Discretization(num_bins=4, epsilon=0.01)
        >>> layer.adapt(np.arange(100, dtype="float32"))
        >>> [round(b, 2) for b in layer.bin_boundaries]
        [24.0, 49.0, 74.0]
    """

    def __init__(self, bin_boundaries: Any = None, num_bins: int | None = None,
                 epsilon: float = 0.01, output_mode: str = "int", sparse: bool = False,
                 dtype: Any = None, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(name=name, dtype=dtype, **kwargs)
        check_output_mode("Discretization", output_mode)
        check_sparse("Discretization", sparse, output_mode)
        if num_bins is not None and num_bins < 0:
            raise ValueError(
                f"Discretization: `num_bins` must be >= 0. Received: num_bins={num_bins}"
            )
        if num_bins is not None and bin_boundaries is not None:
            raise ValueError(
                "Discretization: set either `num_bins` or `bin_boundaries`, not both. Received: "
                f"num_bins={num_bins} and bin_boundaries={bin_boundaries}"
            )
        if num_bins is None and bin_boundaries is None:
            raise ValueError(
                "Discretization: you need to set either `num_bins` (and call `adapt`) or "
                "`bin_boundaries`."
            )
        self.bin_boundaries = None if bin_boundaries is None else list(bin_boundaries)
        self.num_bins = num_bins
        self.epsilon = epsilon
        self.output_mode = output_mode
        self.sparse = bool(sparse)
        self.summary = None if bin_boundaries is not None else np.zeros((2, 0), "float32")

    @property
    def output_dtype(self) -> str:
        """The output's dtype: int32 for `output_mode="int"`, else the compute dtype.

        Example:
            >>> import layerax as lx
            >>> lx.layers.Discretization(bin_boundaries=[0.0]).output_dtype
            'int32'
        """
        return "int32" if self.output_mode == "int" else self.compute_dtype

    def adapt(self, data: Any, steps: int | None = None) -> None:
        """Computes `num_bins` boundaries from approximate quantiles of `data`.

        Args:
            data: A numpy or JAX array, a `lx.utils.PyDataset` or an iterable of batches.
            steps: Read at most this many batches.
        """
        if self.num_bins is None:
            raise ValueError(
                "Discretization: `adapt` needs a layer created with `num_bins`. This one has "
                f"fixed bin_boundaries={self.bin_boundaries}."
            )
        self.reset_state()
        for batch in iterate_batches("Discretization", data, None, steps):
            self.update_state(batch)
        self.finalize_state()

    def update_state(self, data: Any) -> None:
        """Merges a batch of `data` into the quantile summary that `adapt` accumulates."""
        summary = _summarize(np.asarray(data).astype("float32"), self.epsilon)
        self.summary = _merge(summary, self.summary, self.epsilon)

    def finalize_state(self) -> None:
        """Sets `bin_boundaries` from the accumulated quantile summary (with `num_bins`)."""
        if self.num_bins is None:
            return
        self.bin_boundaries = _compress(self.summary, 1.0 / self.num_bins)[0, :-1].tolist()

    def reset_state(self) -> None:
        """Empties the quantile summary (with `num_bins`), before a new `adapt`."""
        if self.num_bins is not None:
            self.summary = np.zeros((2, 0), "float32")

    def call(self, inputs: Any) -> Any:
        if self.bin_boundaries is None:
            raise ValueError(
                "Discretization: pass `bin_boundaries` at construction or call "
                "`adapt(data)` before using the layer."
            )
        x = jnp.asarray(inputs)
        if not jnp.issubdtype(x.dtype, jnp.floating):
            x = x.astype(_config.floatx())
        bins = jnp.asarray(self.bin_boundaries, x.dtype)
        indices = jnp.digitize(x, bins).astype("int32")
        return encode(indices, self.output_mode, len(self.bin_boundaries) + 1,
                      self.output_dtype, self.sparse)

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        depth = len(self.bin_boundaries) + 1 if self.bin_boundaries is not None else self.num_bins
        return encoded_shape(input_shape, self.output_mode, depth)

    def get_config(self) -> dict[str, Any]:
        return {
            "bin_boundaries": self.bin_boundaries,
            "num_bins": self.num_bins,
            "epsilon": self.epsilon,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
            "name": self.name,
            "dtype": super().get_config()["dtype"],
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Discretization:
        config = dict(config)
        boundaries = config.get("bin_boundaries")
        if boundaries is not None and config.get("num_bins") is not None:
            # An adapted layer: both are set, which __init__ refuses; restore the boundaries.
            del config["bin_boundaries"]
            layer = cls(**config)
            layer.bin_boundaries = list(boundaries)
            return layer
        return cls(**config)
