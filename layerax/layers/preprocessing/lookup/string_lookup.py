"""`StringLookup`: strings to vocabulary indices (or back, with `invert=True`), on the host."""

from __future__ import annotations

from typing import Any

import numpy as np

from layerax.layers.preprocessing.lookup import _strings
from layerax.layers.preprocessing.lookup.index_lookup import IndexLookup


class StringLookup(IndexLookup):
    """Maps strings to integer indices from a vocabulary (Keras 3's `StringLookup`).

    Strings have no JAX dtype: the layer runs on the host, on numpy `str`,
    `bytes` or object arrays and Python lists of str, and returns numpy arrays
    (int32 indices in `"int"` mode, as Keras on JAX, float32 otherwise; strings with
    `invert=True`). As the first layer of a model it runs before the compiled
    step of `fit`/`evaluate`/`predict` (see docs/models.md).

    Args:
        max_tokens: The maximum vocabulary size (special tokens included), or
            None for no limit.
        num_oov_indices: The number of out-of-vocabulary indices; with more
            than one, OOV strings are hashed (FarmHash64) into them.
        mask_token: A token that maps to index 0 (int mode) or is dropped (the
            other modes), or None for no mask.
        oov_token: The token returned by `invert=True` for unknown indices.
        vocabulary: A list/array of strings or the path of a text file with
            one term a line.
        idf_weights: IDF weights, one per term (`output_mode="tf_idf"` only).
        invert: If True, maps indices back to strings.
        output_mode: `"int"`, `"one_hot"`, `"multi_hot"`, `"count"` or `"tf_idf"`.
        pad_to_max_tokens: If True, the non-int outputs have `max_tokens` columns.
        sparse: Must be False (sparse outputs need Keras' TensorFlow backend).
        encoding: The text encoding of bytes inputs.
        name: The layer's name.
        salt: Not supported (SipHash buckets); must be None.

    Input shape:
        Any shape of strings.

    Output shape:
        The input shape in `"int"` mode; `(..., depth)` otherwise.

    Example:
        >>> import layerax as lx
        >>> layer = lx.layers.StringLookup(vocabulary=["a", "b", "c", "d"])
        >>> layer([["a", "c", "d"], ["d", "z", "b"]]).tolist()
        [[1, 3, 4], [4, 0, 2]]
    """

    _lx_runs_on_host = True

    def __init__(
        self,
        max_tokens: int | None = None,
        num_oov_indices: int = 1,
        mask_token: str | None = None,
        oov_token: str = "[UNK]",
        vocabulary: Any = None,
        idf_weights: Any = None,
        invert: bool = False,
        output_mode: str = "int",
        pad_to_max_tokens: bool = False,
        sparse: bool = False,
        encoding: str = "utf-8",
        name: str | None = None,
        salt: Any = None,
        **kwargs: Any,
    ) -> None:
        self.encoding = encoding
        kwargs.pop("vocabulary_dtype", None)
        super().__init__(
            max_tokens=max_tokens,
            num_oov_indices=num_oov_indices,
            mask_token=mask_token,
            oov_token=oov_token,
            vocabulary=vocabulary,
            idf_weights=idf_weights,
            invert=invert,
            output_mode=output_mode,
            pad_to_max_tokens=pad_to_max_tokens,
            sparse=sparse,
            name=name,
            salt=salt,
            vocabulary_dtype="string",
            **kwargs,
        )

    @property
    def compute_dtype(self) -> str:  # type: ignore[override]
        return "int64" if self.invert else "string"

    def _host_tokens(self, values: Any) -> np.ndarray:
        if (
            self.invert
            and not isinstance(values, (list, tuple))
            and np.asarray(values).dtype.kind in "iu"
        ):
            return np.asarray(values)
        return _strings.as_strings(values, self.__dict__.get("encoding", "utf-8"))

    def _special_python(self, token: Any) -> Any:
        return None if token is None else str(token)

    def adapt(self, data: Any, steps: int | None = None) -> None:
        """Learns the vocabulary from strings (see `IndexLookup.adapt`).

        Example:
            >>> import layerax as lx
            >>> layer = lx.layers.StringLookup()
            >>> layer.adapt([["a", "b"], ["b", "c"]])
            >>> layer.get_vocabulary()
            ['[UNK]', 'b', 'c', 'a']
        """
        super().adapt(data, steps=steps)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["vocabulary_dtype"]  # strings are the only choice, as in Keras
        config["encoding"] = self.encoding
        return config
