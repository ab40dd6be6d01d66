"""Host-side string helpers of the lookup family: numpy string arrays and OOV hashing.

Strings have no JAX dtype, so string tokens live in numpy unicode (`<U`)
arrays; bytes and object arrays are decoded with the layer's `encoding`.
Hashing of OOV strings (`num_oov_indices > 1`) uses FarmHash's
`Fingerprint64` (TensorFlow's `to_hash_bucket_fast`) or, with a `salt`,
SipHash-2-4 (`to_hash_bucket_strong`), the functions Keras uses, so that the
buckets carry over.
"""

from __future__ import annotations

from typing import Any

import jax
import numpy as np

from layerax.layers.preprocessing.numeric import _hash64

# The hash functions are the numeric family's (TensorFlow's FarmHash and SipHash-2-4).
fingerprint64 = _hash64.fingerprint64


def siphash64(s: bytes, key: tuple[int, int]) -> int:
    """SipHash-2-4 of `s` under `key` (`numeric._hash64.siphash24`, arguments in this order)."""
    return _hash64.siphash24(key, s)


def as_strings(values: Any, encoding: str = "utf-8") -> np.ndarray:
    """`values` (str, bytes, nested lists, numpy arrays) as a numpy unicode array."""
    if isinstance(values, jax.Array):
        raise TypeError(
            "String layers take strings (numpy `str`/`bytes`/object arrays or Python lists of "
            f"str), which JAX arrays cannot hold. Received a JAX array of dtype {values.dtype}."
        )
    arr = np.asarray(values)
    if arr.dtype.kind == "U":
        return arr
    if arr.dtype.kind == "S":
        return np.char.decode(arr, encoding) if arr.size else arr.astype(str)
    if arr.dtype.kind == "O":
        flat = [v.decode(encoding) if isinstance(v, bytes) else str(v) for v in arr.reshape(-1)]
        return np.asarray(flat, dtype=str).reshape(arr.shape) if flat else np.zeros(arr.shape, str)
    if arr.size == 0:
        return arr.astype(str)
    raise TypeError(
        f"Expected strings (a numpy array of dtype str, bytes or object, or a list of str). "
        f"Received an array of dtype {arr.dtype}."
    )


def hash_buckets(values: np.ndarray, num_buckets: int, salt: Any = None) -> np.ndarray:
    """The bucket of every string of `values` (int64 array): `Fingerprint64 % num_buckets`,
    or with `salt` (two ints) `SipHash64 % num_buckets`, as TensorFlow's
    `to_hash_bucket_fast` / `to_hash_bucket_strong`."""
    if salt is None:
        flat = [fingerprint64(str(v).encode("utf-8")) % num_buckets for v in values.reshape(-1)]
    else:
        key = (int(salt[0]), int(salt[1]))
        flat = [siphash64(str(v).encode("utf-8"), key) % num_buckets for v in values.reshape(-1)]
    return np.asarray(flat, np.int64).reshape(values.shape)
