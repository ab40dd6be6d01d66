"""`pad_sequences`: pad (or truncate) variable-length sequences to one length."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def pad_sequences(
    sequences: Sequence[Any],
    maxlen: int | None = None,
    dtype: Any = "int32",
    padding: str = "pre",
    truncating: str = "pre",
    value: Any = 0.0,
) -> np.ndarray:
    """Pads sequences to a common length, returning a `(num_samples, maxlen, ...)` NumPy array.

    Args:
        sequences: A list of sequences (lists or arrays; items may be vectors).
        maxlen: Output length; the longest sequence's length when None.
        dtype: Output dtype (use `object` for strings of any length).
        padding: `"pre"` or `"post"`: pad before or after each sequence.
        truncating: `"pre"` or `"post"`: drop values from the start or the end
            of sequences longer than `maxlen`.
        value: The padding value.

    Example:
        >>> import layerax as lx
        >>> lx.utils.pad_sequences([[1, 2, 3], [4], [5, 6]], maxlen=2).tolist()
        [[2, 3], [0, 4], [5, 6]]
        >>> lx.utils.pad_sequences([[1, 2, 3], [4]], padding="post", value=-1).tolist()
        [[1, 2, 3], [4, -1, -1]]
    """
    if not hasattr(sequences, "__len__"):
        raise ValueError("`sequences` must be iterable (a list of sequences).")
    if padding not in ("pre", "post"):
        raise ValueError(f'Padding type "{padding}" not understood: use "pre" or "post".')
    if truncating not in ("pre", "post"):
        raise ValueError(f'Truncating type "{truncating}" not understood: use "pre" or "post".')
    lengths = []
    sample_shape: tuple[int, ...] = ()
    found_sample = False
    for seq in sequences:
        try:
            lengths.append(len(seq))
        except TypeError as err:
            raise ValueError(
                f"`sequences` must be a list of iterables. Found non-iterable: {seq!r}"
            ) from err
        if not found_sample and len(seq):
            sample_shape = np.asarray(seq).shape[1:]
            found_sample = True
    if maxlen is None:
        maxlen = int(np.max(lengths)) if lengths else 0
    is_text = np.issubdtype(dtype, np.str_) or np.issubdtype(dtype, np.bytes_)
    if isinstance(value, str) and dtype is not object and not is_text:
        raise ValueError(
            f"`dtype` {dtype} is not compatible with `value`'s type: {type(value)}. Set "
            "`dtype=object` for variable length strings."
        )
    out = np.full((len(sequences), maxlen) + tuple(sample_shape), value, dtype=dtype)
    if maxlen == 0:
        return out
    for index, seq in enumerate(sequences):
        if not len(seq):
            continue
        kept = seq[-maxlen:] if truncating == "pre" else seq[:maxlen]
        kept = np.asarray(kept, dtype=dtype)
        if kept.shape[1:] != tuple(sample_shape):
            raise ValueError(
                f"Shape of sample {kept.shape[1:]} of sequence at position {index} is different "
                f"from expected shape {tuple(sample_shape)}."
            )
        if padding == "post":
            out[index, : len(kept)] = kept
        else:
            out[index, -len(kept) :] = kept
    return out


__all__ = ["pad_sequences"]
