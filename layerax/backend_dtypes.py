"""Dtype helpers of `keras.backend` (`lx.backend.standardize_dtype`, `result_type`, ...).

Promotion follows JAX's lattice (which Keras 3 adopted), 64-bit results canonicalized to
32 bits as JAX does by default, and weak Python scalars resolved at `floatx()`'s precision.
"""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp
import numpy as np

from layerax.config import floatx

ALLOWED_DTYPES = (
    "float16", "float32", "float64", "bfloat16",
    "uint8", "uint16", "uint32", "uint64",
    "int8", "int16", "int32", "int64",
    "bool", "string", "float8_e4m3fn", "float8_e5m2", "complex64", "complex128",
)
_FLOAT8 = ("float8_e4m3fn", "float8_e5m2")
_PYTHON_TYPES = {bool: "bool", int: "int32", float: "float32", str: "string", complex: "complex64", "int": "int32"}
_TO_32_BITS = {"int64": "int32", "uint64": "uint32", "float64": "float32", "complex128": "complex64"}


def standardize_dtype(dtype: Any = None) -> str:
    """The canonical name of a dtype: `None` is `floatx()`, Python `int` is `"int32"`, ...

    Args:
        dtype: A dtype name, a NumPy/JAX dtype or scalar type, a Python type, or None.

    Returns:
        The dtype's name, one of Keras' allowed dtypes.

    Example:
        >>> import layerax as lx, numpy as np
        >>> lx.backend.standardize_dtype(None), lx.backend.standardize_dtype(int)
        ('float32', 'int32')
        >>> lx.backend.standardize_dtype(np.float16)
        'float16'
    """
    if dtype is None:
        return floatx()
    if dtype in _PYTHON_TYPES:
        return _PYTHON_TYPES[dtype]
    name = None
    if isinstance(dtype, str):
        name = dtype
    elif hasattr(dtype, "name") and isinstance(dtype.name, str):
        name = dtype.name
    elif isinstance(dtype, type):
        try:
            name = np.dtype(dtype).name
        except TypeError:
            name = None
    if name not in ALLOWED_DTYPES:
        raise ValueError(
            f"Invalid dtype: {dtype!r}. Expected a dtype name such as 'float32', a NumPy/JAX "
            f"dtype or a Python type; allowed names: {list(ALLOWED_DTYPES)}."
        )
    return name


def is_float_dtype(dtype: Any) -> bool:
    """Whether `dtype` is a floating-point dtype (bfloat16 and float8 included).

    Example:
        >>> import layerax as lx
        >>> lx.backend.is_float_dtype("bfloat16"), lx.backend.is_float_dtype("int8")
        (True, False)
    """
    name = standardize_dtype(dtype)
    return name.startswith("float") or name.startswith("bfloat")


def is_int_dtype(dtype: Any) -> bool:
    """Whether `dtype` is a signed or unsigned integer dtype (not bool).

    Example:
        >>> import layerax as lx
        >>> lx.backend.is_int_dtype("uint8"), lx.backend.is_int_dtype("bool")
        (True, False)
    """
    name = standardize_dtype(dtype)
    return name.startswith("int") or name.startswith("uint")


_WEAK_RANK = {int: 1, float: 2, complex: 3}
_KIND_RANK = {"b": 0, "i": 1, "u": 1, "f": 2, "V": 2, "c": 3}  # "V": bfloat16 / float8


def _weak_resolution(rank: int) -> str:
    """The dtype a weak Python scalar takes when nothing typed outranks it."""
    precision = floatx()[-2:]
    return {1: f"int{precision}", 2: f"float{precision}", 3: "complex64"}[rank]


def _kind_rank(name: str) -> int:
    return 2 if name.startswith(("float", "bfloat")) else _KIND_RANK[np.dtype(name).kind]


def result_type(*dtypes: Any) -> str:
    """The dtype of an operation on inputs of `dtypes`, by Keras 3's promotion rules.

    Python `int`/`float`/`complex` are weak: they do not widen a typed input
    (`result_type("bfloat16", float)` is bfloat16). With no argument, `floatx()`.

    Example:
        >>> import layerax as lx
        >>> lx.backend.result_type("int32", "float16"), lx.backend.result_type("int8", "uint8")
        ('float16', 'int16')
        >>> lx.backend.result_type("bfloat16", float)
        'bfloat16'
    """
    if not dtypes:
        return floatx()
    for dtype in dtypes:
        if isinstance(dtype, str) and dtype in _FLOAT8:
            raise ValueError(
                f"There is no implicit conversion from float8 dtypes to others; cast explicitly "
                f"first. Received: dtypes={dtypes}"
            )
    args = [floatx() if d is None else d for d in dtypes]
    weak_rank = max((_WEAK_RANK[a] for a in args if a in _WEAK_RANK), default=0)
    strong = [standardize_dtype(a) for a in args if a not in _WEAK_RANK]
    if not strong:
        return _weak_resolution(weak_rank)
    out = strong[0]
    for name in strong[1:]:
        out = np.dtype(jnp.promote_types(out, name)).name
    if weak_rank > _kind_rank(out):
        out = _weak_resolution(weak_rank)
    return _TO_32_BITS.get(out, out)


__all__ = ["is_float_dtype", "is_int_dtype", "result_type", "standardize_dtype"]
