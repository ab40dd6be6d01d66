"""`IntegerLookup`: integers to vocabulary indices (or back); runs under `jax.jit` too."""

from __future__ import annotations

from typing import Any

import jax
import numpy as np

from layerax.layers.preprocessing.lookup.index_lookup import IndexLookup


class IntegerLookup(IndexLookup):
    """Maps integers to contiguous indices from a vocabulary (Keras 3's `IntegerLookup`).

    On numpy inputs it computes on the host and returns numpy arrays; on JAX
    arrays it uses `jax.numpy` (a sorted-vocabulary `searchsorted`), so it
    also runs inside `jax.jit`, `jax.vmap` and a compiled `fit` step. Hashed
    OOV buckets with `oov_method="farmhash"` run on the host only.

    Args:
        max_tokens: The maximum vocabulary size (special tokens included), or
            None for no limit.
        num_oov_indices: The number of out-of-vocabulary indices; with more
            than one, OOV values go to bucket `value % num_oov_indices`
            (`oov_method="floormod"`) or to a FarmHash64 bucket of their
            decimal string (`"farmhash"`).
        mask_token: An integer that maps to index 0 (int mode) or is dropped
            (the other modes), or None for no mask.
        oov_token: The value `invert=True` returns for unknown indices.
        vocabulary: A list/array of integers or the path of a text file with
            one integer a line.
        vocabulary_dtype: Must be `"int64"`, as in Keras.
        idf_weights: IDF weights, one per term (`output_mode="tf_idf"` only).
        invert: If True, maps indices back to vocabulary values.
        output_mode: `"int"`, `"one_hot"`, `"multi_hot"`, `"count"` or `"tf_idf"`.
        sparse: Must be False (sparse outputs need Keras' TensorFlow backend).
        pad_to_max_tokens: If True, the non-int outputs have `max_tokens` columns.
        oov_method: `"floormod"` or `"farmhash"`.
        salt: Not supported (SipHash buckets); must be None.
        name: The layer's name.

    Input shape:
        Any shape of integers.

    Output shape:
        The input shape in `"int"` mode; `(..., depth)` otherwise.

    Example:
        >>> import layerax as lx, numpy as np
        >>> layer = lx.layers.IntegerLookup(vocabulary=[12, 36, 1138, 42])
        >>> layer(np.array([[12, 1138, 42], [42, 1000, 36]])).tolist()
        [[1, 3, 4], [4, 0, 2]]
    """

    def __init__(
        self,
        max_tokens: int | None = None,
        num_oov_indices: int = 1,
        mask_token: int | None = None,
        oov_token: int = -1,
        vocabulary: Any = None,
        vocabulary_dtype: str = "int64",
        idf_weights: Any = None,
        invert: bool = False,
        output_mode: str = "int",
        sparse: bool = False,
        pad_to_max_tokens: bool = False,
        oov_method: str = "floormod",
        salt: Any = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        if vocabulary_dtype != "int64":
            raise ValueError(
                "IntegerLookup: only `vocabulary_dtype='int64'` is supported at this time. "
                f"Received: vocabulary_dtype={vocabulary_dtype}"
            )
        super().__init__(
            max_tokens=max_tokens,
            num_oov_indices=num_oov_indices,
            mask_token=mask_token,
            oov_token=oov_token,
            vocabulary=vocabulary,
            vocabulary_dtype=vocabulary_dtype,
            idf_weights=idf_weights,
            invert=invert,
            output_mode=output_mode,
            sparse=sparse,
            pad_to_max_tokens=pad_to_max_tokens,
            oov_method=oov_method,
            salt=salt,
            name=name,
            **kwargs,
        )

    @property
    def compute_dtype(self) -> str:  # type: ignore[override]
        return "int64"

    @property
    def _lx_runs_on_host(self) -> bool:
        """FarmHash OOV buckets hash decimal strings: then the layer runs on the host (as a
        model's first layer, before `fit`'s compiled step); otherwise it compiles."""
        return self.num_oov_indices > 1 and self.oov_method == "farmhash"

    def _host_tokens(self, values: Any) -> np.ndarray:
        if isinstance(values, jax.Array):
            values = np.asarray(values)
        arr = np.asarray(values)
        if arr.size == 0:
            return arr.astype(np.int64)
        if arr.dtype.kind not in "iub" and not (
            arr.dtype.kind == "f" and np.all(np.equal(np.mod(arr, 1), 0))
        ):
            raise TypeError(
                "IntegerLookup: expected integer inputs (a vocabulary and inputs of integers). "
                f"Received an array of dtype {arr.dtype}. Use StringLookup for strings."
            )
        return arr.astype(np.int64)

    def _parse_line(self, line: str) -> Any:
        return int(line)

    def _special_python(self, token: Any) -> Any:
        return None if token is None else int(token)

    def adapt(self, data: Any, steps: int | None = None) -> None:
        """Learns the vocabulary from integers (see `IndexLookup.adapt`).

        Example:
            >>> import layerax as lx
            >>> layer = lx.layers.IntegerLookup()
            >>> layer.adapt([12, 36, 36, 7])
            >>> layer.get_vocabulary()
            [-1, 36, 12, 7]
        """
        super().adapt(data, steps=steps)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        for key in ("oov_token", "mask_token"):
            if config[key] is not None:
                config[key] = int(config[key])
        if config["vocabulary"] is not None:
            config["vocabulary"] = [int(v) for v in config["vocabulary"]]
        return config
