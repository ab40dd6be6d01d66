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

_MASK64 = (1 << 64) - 1
_K0 = 0xC3A5C85C97CB3127
_K1 = 0xB492B66FBE98F273
_K2 = 0x9AE16A3B2F90404F


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


def _rot(v: int, s: int) -> int:
    return v if s == 0 else ((v >> s) | (v << (64 - s))) & _MASK64


def _f64(b: bytes, i: int) -> int:
    return int.from_bytes(b[i : i + 8], "little")


def _f32(b: bytes, i: int) -> int:
    return int.from_bytes(b[i : i + 4], "little")


def _shift_mix(v: int) -> int:
    return v ^ (v >> 47)


def _len16(u: int, v: int, mul: int) -> int:
    a = ((u ^ v) * mul) & _MASK64
    a ^= a >> 47
    b = ((v ^ a) * mul) & _MASK64
    b ^= b >> 47
    return (b * mul) & _MASK64


def _len0to16(s: bytes) -> int:
    n = len(s)
    if n >= 8:
        mul = _K2 + n * 2
        a = (_f64(s, 0) + _K2) & _MASK64
        b = _f64(s, n - 8)
        c = (_rot(b, 37) * mul + a) & _MASK64
        d = ((_rot(a, 25) + b) * mul) & _MASK64
        return _len16(c, d, mul)
    if n >= 4:
        mul = _K2 + n * 2
        a = _f32(s, 0)
        return _len16((n + (a << 3)) & _MASK64, _f32(s, n - 4), mul)
    if n > 0:
        y = s[0] + (s[n >> 1] << 8)
        z = n + (s[n - 1] << 2)
        return (_shift_mix(((y * _K2) ^ (z * _K0)) & _MASK64) * _K2) & _MASK64
    return _K2


def _len17to32(s: bytes) -> int:
    n = len(s)
    mul = _K2 + n * 2
    a = (_f64(s, 0) * _K1) & _MASK64
    b = _f64(s, 8)
    c = (_f64(s, n - 8) * mul) & _MASK64
    d = (_f64(s, n - 16) * _K2) & _MASK64
    return _len16(
        (_rot((a + b) & _MASK64, 43) + _rot(c, 30) + d) & _MASK64,
        (a + _rot((b + _K2) & _MASK64, 18) + c) & _MASK64,
        mul,
    )


def _len33to64(s: bytes) -> int:
    n = len(s)
    mul = _K2 + n * 2
    a = (_f64(s, 0) * _K2) & _MASK64
    b = _f64(s, 8)
    c = (_f64(s, n - 8) * mul) & _MASK64
    d = (_f64(s, n - 16) * _K2) & _MASK64
    y = (_rot((a + b) & _MASK64, 43) + _rot(c, 30) + d) & _MASK64
    z = _len16(y, (a + _rot((b + _K2) & _MASK64, 18) + c) & _MASK64, mul)
    e = (_f64(s, 16) * mul) & _MASK64
    f = _f64(s, 24)
    g = ((y + _f64(s, n - 32)) * mul) & _MASK64
    h = ((z + _f64(s, n - 24)) * mul) & _MASK64
    return _len16(
        (_rot((e + f) & _MASK64, 43) + _rot(g, 30) + h) & _MASK64,
        (e + _rot((f + a) & _MASK64, 18) + g) & _MASK64,
        mul,
    )


def _weak32(s: bytes, i: int, a: int, b: int) -> tuple[int, int]:
    w, x, y, z = _f64(s, i), _f64(s, i + 8), _f64(s, i + 16), _f64(s, i + 24)
    a = (a + w) & _MASK64
    b = _rot((b + a + z) & _MASK64, 21)
    c = a
    a = (a + x + y) & _MASK64
    b = (b + _rot(a, 44)) & _MASK64
    return (a + z) & _MASK64, (b + c) & _MASK64


def fingerprint64(s: bytes) -> int:
    """FarmHash `Fingerprint64` of `s` (farmhashna's `Hash64`)."""
    n = len(s)
    if n <= 16:
        return _len0to16(s)
    if n <= 32:
        return _len17to32(s)
    if n <= 64:
        return _len33to64(s)
    seed = 81
    x = seed
    y = (seed * _K1 + 113) & _MASK64
    z = (_shift_mix((y * _K2 + 113) & _MASK64) * _K2) & _MASK64
    v = (0, 0)
    w = (0, 0)
    x = (x * _K2 + _f64(s, 0)) & _MASK64
    end = ((n - 1) // 64) * 64
    last64 = end + ((n - 1) & 63) - 63
    i = 0
    while True:
        x = (_rot((x + y + v[0] + _f64(s, i + 8)) & _MASK64, 37) * _K1) & _MASK64
        y = (_rot((y + v[1] + _f64(s, i + 48)) & _MASK64, 42) * _K1) & _MASK64
        x ^= w[1]
        y = (y + v[0] + _f64(s, i + 40)) & _MASK64
        z = (_rot((z + w[0]) & _MASK64, 33) * _K1) & _MASK64
        v = _weak32(s, i, (v[1] * _K1) & _MASK64, (x + w[0]) & _MASK64)
        w = _weak32(s, i + 32, (z + w[1]) & _MASK64, (y + _f64(s, i + 16)) & _MASK64)
        z, x = x, z
        i += 64
        if i == end:
            break
    mul = _K1 + ((z & 0xFF) << 1)
    i = last64
    w = ((w[0] + ((n - 1) & 63)) & _MASK64, w[1])
    v = ((v[0] + w[0]) & _MASK64, v[1])
    w = ((w[0] + v[0]) & _MASK64, w[1])
    x = (_rot((x + y + v[0] + _f64(s, i + 8)) & _MASK64, 37) * mul) & _MASK64
    y = (_rot((y + v[1] + _f64(s, i + 48)) & _MASK64, 42) * mul) & _MASK64
    x ^= (w[1] * 9) & _MASK64
    y = (y + v[0] * 9 + _f64(s, i + 40)) & _MASK64
    z = (_rot((z + w[0]) & _MASK64, 33) * mul) & _MASK64
    v = _weak32(s, i, (v[1] * mul) & _MASK64, (x + w[0]) & _MASK64)
    w = _weak32(s, i + 32, (z + w[1]) & _MASK64, (y + _f64(s, i + 16)) & _MASK64)
    z, x = x, z
    return _len16(
        (_len16(v[0], w[0], mul) + _shift_mix(y) * _K0 + z) & _MASK64,
        (_len16(v[1], w[1], mul) + x) & _MASK64,
        mul,
    )


def _sip_round(v0: int, v1: int, v2: int, v3: int) -> tuple[int, int, int, int]:
    v0 = (v0 + v1) & _MASK64
    v1 = _rotl(v1, 13) ^ v0
    v0 = _rotl(v0, 32)
    v2 = (v2 + v3) & _MASK64
    v3 = _rotl(v3, 16) ^ v2
    v0 = (v0 + v3) & _MASK64
    v3 = _rotl(v3, 21) ^ v0
    v2 = (v2 + v1) & _MASK64
    v1 = _rotl(v1, 17) ^ v2
    v2 = _rotl(v2, 32)
    return v0, v1, v2, v3


def _rotl(v: int, s: int) -> int:
    return ((v << s) | (v >> (64 - s))) & _MASK64


def siphash64(s: bytes, key: tuple[int, int]) -> int:
    """SipHash-2-4 of `s` with the two 64-bit key halves `key` (TensorFlow's
    `to_hash_bucket_strong`)."""
    k0, k1 = key[0] & _MASK64, key[1] & _MASK64
    v0, v1 = k0 ^ 0x736F6D6570736575, k1 ^ 0x646F72616E646F6D
    v2, v3 = k0 ^ 0x6C7967656E657261, k1 ^ 0x7465646279746573
    n = len(s)
    tail = n - n % 8
    for i in range(0, tail, 8):
        m = _f64(s, i)
        v3 ^= m
        for _ in range(2):
            v0, v1, v2, v3 = _sip_round(v0, v1, v2, v3)
        v0 ^= m
    last = ((n & 0xFF) << 56) | int.from_bytes(s[tail:], "little")
    v3 ^= last
    for _ in range(2):
        v0, v1, v2, v3 = _sip_round(v0, v1, v2, v3)
    v0 ^= last
    v2 ^= 0xFF
    for _ in range(4):
        v0, v1, v2, v3 = _sip_round(v0, v1, v2, v3)
    return v0 ^ v1 ^ v2 ^ v3


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
