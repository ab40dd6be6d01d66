"""Products and related linear algebra of `lx.ops` (Keras' numpy family)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from layerax.ops._common import ArrayLike, strong, tensor


def _int8_accumulator(*operands: jax.Array) -> Any:
    """Keras accumulates products of int8 tensors in int32 (the hardware-accelerated path)."""
    if all(x.dtype == jnp.int8 for x in operands):
        return jnp.int32
    return None


def matmul(x1: ArrayLike, x2: ArrayLike) -> jax.Array:
    """Matrix product, broadcasting over leading axes (numpy's `@`); int8 inputs give int32.

    Args:
        x1: First tensor (rank >= 1).
        x2: Second tensor (rank >= 1).

    Returns:
        The product.

    Example:
        >>> from layerax import ops
        >>> ops.matmul([[1.0, 2.0]], [[3.0], [4.0]])
        Array([[11.]], dtype=float32)
    """
    x1, x2 = strong(x1), strong(x2)
    return jnp.matmul(x1, x2, preferred_element_type=_int8_accumulator(x1, x2))


def dot(x1: ArrayLike, x2: ArrayLike) -> jax.Array:
    """Dot product: matrix product for 2-D, sum over the last/second-to-last axes for N-D.

    Args:
        x1: First tensor.
        x2: Second tensor.

    Returns:
        The product.

    Example:
        >>> from layerax import ops
        >>> ops.dot([1, 2], [3, 4])
        Array(11, dtype=int32)
    """
    return jnp.dot(strong(x1), strong(x2))


def einsum(subscripts: str, *operands: ArrayLike, **kwargs: Any) -> jax.Array:
    """Einstein summation; int8 operands are accumulated in int32.

    Args:
        subscripts: The summation, e.g. `"ij,jk->ik"`.
        *operands: The tensors.
        **kwargs: Passed on to `jnp.einsum` (e.g. `optimize`, `precision`).

    Returns:
        The result of the summation.

    Example:
        >>> from layerax import ops
        >>> ops.einsum("i,i->", [1.0, 2.0], [3.0, 4.0])
        Array(11., dtype=float32)
    """
    operands = tuple(strong(x) for x in operands)
    kwargs.setdefault("preferred_element_type", _int8_accumulator(*operands))
    return jnp.einsum(subscripts, *operands, **kwargs)


def tensordot(x1: ArrayLike, x2: ArrayLike, axes: Any = 2) -> jax.Array:
    """Sums products over the given axes.

    Args:
        x1: First tensor.
        x2: Second tensor.
        axes: Number of trailing/leading axes to contract, or a pair of axis lists.

    Returns:
        The contracted tensor.

    Example:
        >>> from layerax import ops
        >>> ops.tensordot(ops.ones((2, 3)), ops.ones((3, 4)), axes=1).shape
        (2, 4)
    """
    return jnp.tensordot(strong(x1), strong(x2), axes=axes)


def _vector_product(name: str, fn: Callable[..., Any], summary: str, example: str,
                    output: str) -> Callable[..., jax.Array]:
    def op(x1: ArrayLike, x2: ArrayLike) -> jax.Array:
        return fn(strong(x1), strong(x2))

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"""{summary}

    Args:
        x1: First tensor.
        x2: Second tensor.

    Returns:
        The product.

    Example:
        >>> from layerax import ops
        >>> ops.{name}({example})
        {output}
    """
    return op


inner = _vector_product("inner", jnp.inner, "Inner product over the last axes.",
                        "[1, 2], [3, 4]", "Array(11, dtype=int32)")
vdot = _vector_product("vdot", jnp.vdot, "Dot product of the flattened tensors (conjugating "
                       "`x1`).", "[[1, 2]], [[3, 4]]", "Array(11, dtype=int32)")
outer = _vector_product("outer", jnp.outer, "Outer product of the flattened tensors.",
                        "[1, 2], [3, 4]", "Array([[3, 4],\n               [6, 8]], dtype=int32)")
kron = _vector_product("kron", jnp.kron, "Kronecker product.", "[1, 2], [1, 10]",
                       "Array([ 1, 10,  2, 20], dtype=int32)")


def cross(x1: ArrayLike, x2: ArrayLike, axisa: int = -1, axisb: int = -1, axisc: int = -1,
          axis: int | None = None) -> jax.Array:
    """Cross product of vectors of 2 or 3 components.

    Args:
        x1: First vectors.
        x2: Second vectors.
        axisa: Axis of the components of `x1`.
        axisb: Axis of the components of `x2`.
        axisc: Axis of the components of the result.
        axis: If given, overrides `axisa`, `axisb` and `axisc`.

    Returns:
        The cross products.

    Example:
        >>> from layerax import ops
        >>> ops.cross([1, 0, 0], [0, 1, 0])
        Array([0, 0, 1], dtype=int32)
    """
    return jnp.cross(strong(x1), strong(x2), axisa=axisa, axisb=axisb, axisc=axisc, axis=axis)


def correlate(x1: ArrayLike, x2: ArrayLike, mode: str = "valid") -> jax.Array:
    """Cross-correlation of two 1-D tensors.

    Args:
        x1: First 1-D tensor.
        x2: Second 1-D tensor.
        mode: `"valid"`, `"same"` or `"full"`.

    Returns:
        The 1-D correlation.

    Example:
        >>> from layerax import ops
        >>> ops.correlate([1.0, 2.0, 3.0], [0.0, 1.0])
        Array([2., 3.], dtype=float32)
    """
    x1, x2 = strong(x1), strong(x2)
    if x1.ndim != 1 or x2.ndim != 1:
        raise ValueError("correlate expects two 1-D tensors. Received: "
                         f"x1.shape={x1.shape}, x2.shape={x2.shape}.")
    if mode not in ("valid", "same", "full"):
        raise ValueError("correlate: `mode` must be 'valid', 'same' or 'full'. "
                         f"Received: mode={mode!r}.")
    return jnp.correlate(x1, x2, mode)


def slogdet(x: ArrayLike) -> tuple[jax.Array, jax.Array]:
    """Sign and natural log of the absolute determinant of (a batch of) square matrices.

    Args:
        x: Tensor of shape `(..., n, n)`.

    Returns:
        `(sign, logabsdet)`.

    Example:
        >>> from layerax import ops
        >>> sign, logdet = ops.slogdet([[2.0, 0.0], [0.0, 3.0]])
        >>> sign
        Array(1., dtype=float32)
    """
    sign, logabsdet = jnp.linalg.slogdet(strong(x))
    return sign, logabsdet


def vectorize(pyfunc: Callable[..., Any], *, excluded: set[int | str] | None = None,
              signature: str | None = None) -> Callable[..., Any]:
    """Turns a function of scalars (or of core shapes in `signature`) into one of tensors.

    Args:
        pyfunc: The function to vectorise.
        excluded: Positions or names of arguments that are not vectorised.
        signature: Generalised universal function signature, e.g. `"(n),(n)->()"`.

    Returns:
        The vectorised function.

    Example:
        >>> from layerax import ops
        >>> dot = ops.vectorize(lambda a, b: ops.sum(a * b), signature="(n),(n)->()")
        >>> dot(ops.ones((2, 3)), ops.ones((2, 3)))
        Array([3., 3.], dtype=float32)
    """
    return jnp.vectorize(pyfunc, excluded=frozenset(excluded or ()), signature=signature)


__all__ = [
    "correlate", "cross", "dot", "einsum", "inner", "kron", "matmul", "outer", "slogdet",
    "tensordot", "vdot", "vectorize",
]
