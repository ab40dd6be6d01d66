"""`CategoryEncoding`: integer ids to one-hot, multi-hot or count vectors."""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp

from layerax.core.layer import Layer
from layerax.layers.preprocessing.numeric._encoding import check_output_mode, encode, encoded_shape


class CategoryEncoding(Layer):
    """Encodes integer features as dense (or sparse) one-hot, multi-hot or count vectors.

    Ids are expected in `[0, num_tokens)`; an id outside that range contributes nothing.

    Args:
        num_tokens: The number of classes (the length of the encoded axis).
        output_mode: `"one_hot"` (one vector per element; a trailing axis of size 1 is
            replaced), `"multi_hot"` (default: one vector per sample, 1 for every id the
            sample contains) or `"count"` (as `"multi_hot"`, with the number of times each
            id appears, or the sum of `count_weights`). `"binary"` is an alias of
            `"multi_hot"`.
        sparse: Return a `jax.experimental.sparse.BCOO` instead of a dense array.

    Call arguments:
        inputs: 0-D, 1-D or 2-D integer ids (a 1-D input is one sample for `multi_hot` and
            `count`).
        count_weights: Weights of the shape of `inputs`, summed by `output_mode="count"`.

    Input shape:
        `()`, `(samples,)` or `(batch, samples)`.

    Output shape:
        `(..., num_tokens)` (see `output_mode`).

    Example:
        >>> import layerax as lx, numpy as np
        >>> layer = lx.layers.CategoryEncoding(num_tokens=4, output_mode="count")
        >>> layer(np.array([[0, 1, 1], [3, 3, 2]])).tolist()
        [[1.0, 2.0, 0.0, 0.0], [0.0, 0.0, 1.0, 2.0]]
    """

    _convert_input_args = False

    def __init__(self, num_tokens: int | None = None, output_mode: str = "multi_hot",
                 sparse: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if output_mode == "binary":
            output_mode = "multi_hot"
        check_output_mode("CategoryEncoding", output_mode, ("count", "one_hot", "multi_hot"))
        if num_tokens is None:
            raise ValueError(
                "CategoryEncoding: `num_tokens` must be set. If the number of tokens is not "
                "known beforehand, use the `IntegerLookup` layer instead."
            )
        if num_tokens < 1:
            raise ValueError(
                f"CategoryEncoding: `num_tokens` must be >= 1. Received: num_tokens={num_tokens}."
            )
        self.num_tokens = num_tokens
        self.output_mode = output_mode
        self.sparse = bool(sparse)

    def call(self, inputs: Any, count_weights: Any = None) -> Any:
        if count_weights is not None:
            if self.output_mode != "count":
                raise ValueError(
                    "CategoryEncoding: `count_weights` is only used with output_mode='count'. "
                    f"Received: count_weights with output_mode={self.output_mode!r}."
                )
            count_weights = jnp.asarray(count_weights, self.compute_dtype)
        ids = jnp.asarray(inputs)
        if not jnp.issubdtype(ids.dtype, jnp.integer):
            ids = ids.astype("int32")
        return encode(ids, self.output_mode, self.num_tokens, self.dtype, self.sparse,
                      count_weights)

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        return encoded_shape(input_shape, self.output_mode, self.num_tokens)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "num_tokens": self.num_tokens,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
        }

