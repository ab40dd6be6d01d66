"""Linear-algebra ops of `keras.ops.linalg`: factorizations, solves, norms, `jvp`.

Integer inputs are promoted to the default float. Batched inputs `(..., M, N)` are accepted.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import jax.scipy as jsp

from layerax.ops.nn import _float, _t

__all__ = [
    "cholesky", "cholesky_inverse", "det", "eig", "eigh", "inv", "jvp", "lstsq", "lu_factor",
    "matrix_rank", "norm", "pinv", "qr", "solve", "solve_triangular", "svd",
]


def _matrix(x: Any, op: str) -> jax.Array:
    x = _float(x)
    if x.ndim < 2:
        raise ValueError(f"`{op}` expects (batches of) matrices, of rank >= 2. "
                         f"Received: x.shape={x.shape}")
    return x


def _square(x: Any, op: str) -> jax.Array:
    x = _matrix(x, op)
    if x.shape[-1] != x.shape[-2]:
        raise ValueError(f"`{op}` expects square matrices (..., N, N). Received: x.shape={x.shape}")
    return x


def cholesky(x: Any, upper: bool = False) -> jax.Array:
    """Cholesky factor of positive-definite matrices: `L` with `x = L L^T` (or `U^T U`).

    Raises a ValueError outside of tracing when `x` is not positive definite.

    Example:
        >>> import layerax as lx, numpy as np
        >>> lx.ops.linalg.cholesky(np.array([[4.0, 0.0], [0.0, 9.0]])).tolist()
        [[2.0, 0.0], [0.0, 3.0]]
    """
    out = jnp.linalg.cholesky(_square(x, "cholesky"), upper=upper)
    if not isinstance(out, jax.core.Tracer) and bool(jnp.any(jnp.isnan(out))):
        raise ValueError("`cholesky` failed: the input is not a (numerically) positive-definite "
                         "matrix. Check that it is symmetric with positive eigenvalues.")
    return out


def cholesky_inverse(x: Any, upper: bool = False) -> jax.Array:
    """Inverse of `A` from its Cholesky factor `x` (`A = x x^T`, or `x^T x` when `upper`).

    Example:
        >>> import layerax as lx, numpy as np
        >>> lx.ops.linalg.cholesky_inverse(np.array([[2.0, 0.0], [0.0, 4.0]])).tolist()
        [[0.25, 0.0], [0.0, 0.0625]]
    """
    x = _square(x, "cholesky_inverse")
    eye = jnp.broadcast_to(jnp.eye(x.shape[-1], dtype=x.dtype), x.shape)
    return jsp.linalg.cho_solve((x, not upper), eye)


def det(x: Any) -> jax.Array:
    """Determinant of square matrices.

    Example:
        >>> import layerax as lx, numpy as np
        >>> float(lx.ops.linalg.det(np.diag([2.0, 3.0])))
        6.0
    """
    return jnp.linalg.det(_square(x, "det"))


def eig(x: Any) -> tuple[jax.Array, jax.Array]:
    """Eigenvalues and right eigenvectors of general square matrices (complex; CPU only).

    Example:
        >>> import layerax as lx, numpy as np
        >>> values, _ = lx.ops.linalg.eig(np.diag([2.0, 3.0]))
        >>> values.real.tolist()
        [2.0, 3.0]
    """
    return jnp.linalg.eig(_square(x, "eig"))


def eigh(x: Any) -> tuple[jax.Array, jax.Array]:
    """Eigenvalues (ascending) and eigenvectors of symmetric (Hermitian) matrices.

    Example:
        >>> import layerax as lx, numpy as np
        >>> values, _ = lx.ops.linalg.eigh(np.diag([3.0, 2.0]))
        >>> values.tolist()
        [2.0, 3.0]
    """
    return jnp.linalg.eigh(_square(x, "eigh"))


def inv(x: Any) -> jax.Array:
    """Inverse of square matrices.

    Example:
        >>> import layerax as lx, numpy as np
        >>> lx.ops.linalg.inv(np.diag([2.0, 4.0])).tolist()
        [[0.5, 0.0], [0.0, 0.25]]
    """
    return jnp.linalg.inv(_square(x, "inv"))


def lu_factor(x: Any) -> tuple[jax.Array, jax.Array]:
    """Pivoted LU factorization `(lu, pivots)` as `scipy.linalg.lu_factor`, batched.

    Example:
        >>> import layerax as lx, numpy as np
        >>> lu, pivots = lx.ops.linalg.lu_factor(np.array([[1.0, 2.0], [3.0, 4.0]]))
        >>> pivots.tolist()
        [1, 1]
    """
    x = _square(x, "lu_factor")
    lu, pivots, _ = jax.lax.linalg.lu(x)
    return lu, pivots


def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> jax.Array:
    """Vector or matrix norm (`ord` as in `numpy.linalg.norm`).

    Example:
        >>> import layerax as lx
        >>> float(lx.ops.linalg.norm([3.0, 4.0]))
        5.0
    """
    axis = tuple(axis) if isinstance(axis, list) else axis
    return jnp.linalg.norm(_float(x), ord=ord, axis=axis, keepdims=keepdims)


def qr(x: Any, mode: str = "reduced") -> tuple[jax.Array, jax.Array]:
    """QR decomposition `(q, r)`; `mode` is `"reduced"` or `"complete"`.

    Example:
        >>> import layerax as lx, numpy as np
        >>> q, r = lx.ops.linalg.qr(np.ones((3, 2)))
        >>> q.shape, r.shape
        ((3, 2), (2, 2))
    """
    if mode not in ("reduced", "complete"):
        raise ValueError(f"`qr`: mode must be 'reduced' or 'complete'. Received: mode={mode!r}")
    return jnp.linalg.qr(_matrix(x, "qr"), mode=mode)


def solve(a: Any, b: Any) -> jax.Array:
    """Solves `a @ x = b` for square `a`.

    Example:
        >>> import layerax as lx, numpy as np
        >>> lx.ops.linalg.solve(np.diag([2.0, 4.0]), np.array([2.0, 2.0])).tolist()
        [1.0, 0.5]
    """
    return jnp.linalg.solve(_square(a, "solve"), _float(b))


def solve_triangular(a: Any, b: Any, lower: bool = False) -> jax.Array:
    """Solves `a @ x = b` for triangular `a` (upper unless `lower=True`).

    Example:
        >>> import layerax as lx, numpy as np
        >>> a = np.array([[2.0, 0.0], [1.0, 1.0]])
        >>> lx.ops.linalg.solve_triangular(a, np.array([2.0, 2.0]), lower=True).tolist()
        [1.0, 1.0]
    """
    return jsp.linalg.solve_triangular(_square(a, "solve_triangular"), _float(b), lower=lower)


def svd(x: Any, full_matrices: bool = True, compute_uv: bool = True) -> Any:
    """Singular value decomposition `(u, s, vh)`, or only `s` when `compute_uv=False`.

    Example:
        >>> import layerax as lx, numpy as np
        >>> lx.ops.linalg.svd(np.diag([3.0, 2.0]), compute_uv=False).tolist()
        [3.0, 2.0]
    """
    return jnp.linalg.svd(_matrix(x, "svd"), full_matrices=full_matrices, compute_uv=compute_uv)


def lstsq(a: Any, b: Any, rcond: float | None = None) -> jax.Array:
    """Least-squares solution `x` minimising `||a @ x - b||`.

    Example:
        >>> import layerax as lx, numpy as np
        >>> x = lx.ops.linalg.lstsq(np.array([[1.0], [1.0]]), np.array([1.0, 3.0]))
        >>> round(float(x[0]), 5)
        2.0
    """
    a, b = _matrix(a, "lstsq"), _float(b)
    if b.ndim not in (1, 2) or a.ndim != 2 or a.shape[0] != b.shape[0]:
        raise ValueError("`lstsq` expects a (M, N) and b (M,) or (M, K). Received: "
                         f"a.shape={a.shape}, b.shape={b.shape}")
    return jnp.linalg.lstsq(a, b, rcond=rcond)[0]


def matrix_rank(x: Any, tol: float | None = None) -> jax.Array:
    """Numerical rank (int32): singular values above `tol` (default from the dtype's eps).

    Example:
        >>> import layerax as lx, numpy as np
        >>> int(lx.ops.linalg.matrix_rank(np.ones((3, 3))))
        1
    """
    return jnp.linalg.matrix_rank(_matrix(x, "matrix_rank"), tol=tol).astype("int32")


def pinv(x: Any, rcond: float | None = None) -> jax.Array:
    """Moore-Penrose pseudo-inverse.

    Example:
        >>> import layerax as lx, numpy as np
        >>> lx.ops.linalg.pinv(np.diag([2.0, 0.0])).tolist()
        [[0.5, 0.0], [0.0, 0.0]]
    """
    return jnp.linalg.pinv(_matrix(x, "pinv"), rtol=rcond)


def jvp(fun: Callable[..., Any], primals: Any, tangents: Any, has_aux: bool = False) -> Any:
    """Forward-mode derivative: `(fun(*primals), J @ tangents)` (plus aux with `has_aux`).

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> out, tangent = lx.ops.linalg.jvp(jnp.sin, (0.0,), (1.0,))
        >>> float(out), float(tangent)
        (0.0, 1.0)
    """
    primals = tuple(_t(p) for p in primals)
    tangents = tuple(_t(t) for t in tangents)
    return jax.jvp(fun, primals, tangents, has_aux=has_aux)
