"""The 64-bit string hashes TensorFlow's hashing ops use, in pure Python (private).

Keras' `Hashing` and `HashedCrossing` call TensorFlow: `tf.strings.to_hash_bucket_fast` is
FarmHash's `Fingerprint64` (the `farmhashna::Hash64` variant) of the string's bytes modulo the
number of buckets, `tf.strings.to_hash_bucket_strong` is SipHash-2-4 keyed with two 64-bit
words, and `tf.sparse.cross_hashed` folds the features' fingerprints together with
`FingerprintCat64`, starting from the key `0xDECAFCAFFE`. These are written here from the
algorithms' descriptions so that layerax gives the same bins without TensorFlow. They run on
the host, one Python call per distinct value (callers hash `np.unique` values only).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

_MASK = (1 << 64) - 1

# FarmHash's primes between 2**63 and 2**64.
_K0 = 0xC3A5C85C97CB3127
_K1 = 0xB492B66FBE98F273
_K2 = 0x9AE16A3B2F90404F

# The key tf.sparse.cross_hashed uses when none is given.
CROSS_HASH_KEY = 0xDECAFCAFFE


def _rotr(value: int, shift: int) -> int:
    """Rotates a 64-bit word right by `shift` bits."""
    if shift == 0:
        return value
    return ((value >> shift) | (value << (64 - shift))) & _MASK


def _word64(data: bytes, at: int) -> int:
    return int.from_bytes(data[at:at + 8], "little")


def _word32(data: bytes, at: int) -> int:
    return int.from_bytes(data[at:at + 4], "little")


def _shift_mix(value: int) -> int:
    return value ^ (value >> 47)


def _mix16(u: int, v: int, mul: int) -> int:
    """Murmur-style combination of two words into one (FarmHash's `HashLen16` with `mul`)."""
    a = _shift_mix(((u ^ v) * mul) & _MASK)
    b = _shift_mix(((v ^ a) * mul) & _MASK)
    return (b * mul) & _MASK


def _short(data: bytes) -> int:
    """FarmHash for 0 to 16 bytes."""
    n = len(data)
    if n >= 8:
        mul = _K2 + 2 * n
        a = (_word64(data, 0) + _K2) & _MASK
        b = _word64(data, n - 8)
        c = (_rotr(b, 37) * mul + a) & _MASK
        d = ((_rotr(a, 25) + b) * mul) & _MASK
        return _mix16(c, d, mul)
    if n >= 4:
        mul = _K2 + 2 * n
        return _mix16(n + (_word32(data, 0) << 3), _word32(data, n - 4), mul)
    if n > 0:
        y = (data[0] + (data[n >> 1] << 8)) & 0xFFFFFFFF
        z = (n + (data[n - 1] << 2)) & 0xFFFFFFFF
        return (_shift_mix(((y * _K2) ^ (z * _K0)) & _MASK) * _K2) & _MASK
    return _K2


def _medium(data: bytes) -> int:
    """FarmHash for 17 to 32 bytes."""
    n = len(data)
    mul = _K2 + 2 * n
    a = (_word64(data, 0) * _K1) & _MASK
    b = _word64(data, 8)
    c = (_word64(data, n - 8) * mul) & _MASK
    d = (_word64(data, n - 16) * _K2) & _MASK
    return _mix16((_rotr((a + b) & _MASK, 43) + _rotr(c, 30) + d) & _MASK,
                  (a + _rotr((b + _K2) & _MASK, 18) + c) & _MASK, mul)


def _long(data: bytes) -> int:
    """FarmHash for 33 to 64 bytes."""
    n = len(data)
    mul = _K2 + 2 * n
    a = (_word64(data, 0) * _K2) & _MASK
    b = _word64(data, 8)
    c = (_word64(data, n - 8) * mul) & _MASK
    d = (_word64(data, n - 16) * _K2) & _MASK
    y = (_rotr((a + b) & _MASK, 43) + _rotr(c, 30) + d) & _MASK
    z = _mix16(y, (a + _rotr((b + _K2) & _MASK, 18) + c) & _MASK, mul)
    e = (_word64(data, 16) * mul) & _MASK
    f = _word64(data, 24)
    g = ((y + _word64(data, n - 32)) * mul) & _MASK
    h = ((z + _word64(data, n - 24)) * mul) & _MASK
    return _mix16((_rotr((e + f) & _MASK, 43) + _rotr(g, 30) + h) & _MASK,
                  (e + _rotr((f + a) & _MASK, 18) + g) & _MASK, mul)


def _weak32(data: bytes, at: int, a: int, b: int) -> tuple[int, int]:
    """FarmHash's quick 16-byte hash of 32 bytes at `at` and two seeds."""
    w, x, y, z = (_word64(data, at + 8 * i) for i in range(4))
    a = (a + w) & _MASK
    b = _rotr((b + a + z) & _MASK, 21)
    c = a
    a = (a + x + y) & _MASK
    b = (b + _rotr(a, 44)) & _MASK
    return (a + z) & _MASK, (b + c) & _MASK


def fingerprint64(data: bytes) -> int:
    """FarmHash `Fingerprint64` (`farmhashna::Hash64`) of `data`, as an unsigned 64-bit int."""
    n = len(data)
    if n <= 16:
        return _short(data)
    if n <= 32:
        return _medium(data)
    if n <= 64:
        return _long(data)
    # Longer inputs: 64-byte blocks through a 56-byte state, then the last 64 bytes.
    seed = 81
    x = seed
    y = (seed * _K1 + 113) & _MASK
    z = (_shift_mix((y * _K2 + 113) & _MASK) * _K2) & _MASK
    v = (0, 0)
    w = (0, 0)
    x = (x * _K2 + _word64(data, 0)) & _MASK
    end = ((n - 1) // 64) * 64
    last64 = end + ((n - 1) & 63) - 63
    at = 0
    while True:
        x = (_rotr((x + y + v[0] + _word64(data, at + 8)) & _MASK, 37) * _K1) & _MASK
        y = (_rotr((y + v[1] + _word64(data, at + 48)) & _MASK, 42) * _K1) & _MASK
        x ^= w[1]
        y = (y + v[0] + _word64(data, at + 40)) & _MASK
        z = (_rotr((z + w[0]) & _MASK, 33) * _K1) & _MASK
        v = _weak32(data, at, (v[1] * _K1) & _MASK, (x + w[0]) & _MASK)
        w = _weak32(data, at + 32, (z + w[1]) & _MASK, (y + _word64(data, at + 16)) & _MASK)
        z, x = x, z
        at += 64
        if at == end:
            break
    mul = _K1 + ((z & 0xFF) << 1)
    at = last64
    w0 = (w[0] + ((n - 1) & 63)) & _MASK
    v0 = (v[0] + w0) & _MASK
    w0 = (w0 + v0) & _MASK
    v, w = (v0, v[1]), (w0, w[1])
    x = (_rotr((x + y + v[0] + _word64(data, at + 8)) & _MASK, 37) * mul) & _MASK
    y = (_rotr((y + v[1] + _word64(data, at + 48)) & _MASK, 42) * mul) & _MASK
    x ^= (w[1] * 9) & _MASK
    y = (y + v[0] * 9 + _word64(data, at + 40)) & _MASK
    z = (_rotr((z + w[0]) & _MASK, 33) * mul) & _MASK
    v = _weak32(data, at, (v[1] * mul) & _MASK, (x + w[0]) & _MASK)
    w = _weak32(data, at + 32, (z + w[1]) & _MASK, (y + _word64(data, at + 16)) & _MASK)
    z, x = x, z
    return _mix16((_mix16(v[0], w[0], mul) + _shift_mix(y) * _K0 + z) & _MASK,
                  (_mix16(v[1], w[1], mul) + x) & _MASK, mul)


def _rotl(value: int, shift: int) -> int:
    return ((value << shift) | (value >> (64 - shift))) & _MASK


def _sip_rounds(v: list[int], rounds: int) -> None:
    v0, v1, v2, v3 = v
    for _ in range(rounds):
        v0 = (v0 + v1) & _MASK
        v1 = _rotl(v1, 13) ^ v0
        v0 = _rotl(v0, 32)
        v2 = (v2 + v3) & _MASK
        v3 = _rotl(v3, 16) ^ v2
        v0 = (v0 + v3) & _MASK
        v3 = _rotl(v3, 21) ^ v0
        v2 = (v2 + v1) & _MASK
        v1 = _rotl(v1, 17) ^ v2
        v2 = _rotl(v2, 32)
    v[:] = [v0, v1, v2, v3]


def siphash24(key: tuple[int, int], data: bytes) -> int:
    """SipHash-2-4 of `data` under the 128-bit key `(k0, k1)` (two unsigned 64-bit words)."""
    k0, k1 = (int(k) & _MASK for k in key)
    # The initial state: the key xored with "somepseudorandomlygeneratedbytes".
    v = [k0 ^ 0x736F6D6570736575, k1 ^ 0x646F72616E646F6D,
         k0 ^ 0x6C7967656E657261, k1 ^ 0x7465646279746573]
    n = len(data)
    full = n - n % 8
    for at in range(0, full, 8):
        m = _word64(data, at)
        v[3] ^= m
        _sip_rounds(v, 2)
        v[0] ^= m
    last = ((n & 0xFF) << 56) | int.from_bytes(data[full:], "little")
    v[3] ^= last
    _sip_rounds(v, 2)
    v[0] ^= last
    v[2] ^= 0xFF
    _sip_rounds(v, 4)
    return v[0] ^ v[1] ^ v[2] ^ v[3]


def fingerprint_cat64(fp1: int, fp2: int) -> int:
    """Combines two fingerprints (TensorFlow's `FingerprintCat64`; not commutative)."""
    mul = 0xC6A4A7935BD1E995
    result = fp1 ^ mul
    result ^= (_shift_mix((fp2 * mul) & _MASK) * mul) & _MASK
    result = (result * mul) & _MASK
    result = (_shift_mix(result) * mul) & _MASK
    return _shift_mix(result)


def as_bytes(value: object) -> bytes:
    """The bytes TensorFlow hashes for one value: UTF-8 of a string, decimal of an integer."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, (int, np.integer)):
        return str(int(value)).encode("ascii")
    raise TypeError(
        "Hashing takes strings, bytes or integers. Received a value of type "
        f"{type(value).__name__}: "
        f"{value!r}."
    )


def hash_values(values: Iterable[object], key: tuple[int, int] | None = None) -> np.ndarray:
    """The unsigned 64-bit hashes of `values`: `fingerprint64`, or `siphash24` under `key`."""
    if key is None:
        return np.array([fingerprint64(as_bytes(v)) for v in values], dtype=np.uint64)
    return np.array([siphash24(key, as_bytes(v)) for v in values], dtype=np.uint64)
