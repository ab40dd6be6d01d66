"""The numpy family of `lx.ops` (Keras 3's `keras.ops.numpy`): numpy-style operations.

Every op takes arrays, numpy arrays, `lx.Variable`s, lists and Python scalars, follows Keras'
signatures and dtype rules, and traces under `jax.jit`, `jax.grad` and `jax.vmap`.

Example:
    >>> from layerax import ops
    >>> ops.numpy.add([1.0, 2.0], 1.0)
    Array([2., 3.], dtype=float32)
"""

from __future__ import annotations

from layerax.ops.numpy import _creation, _elementwise, _indexing, _linalg, _reductions, _shape
from layerax.ops.numpy._creation import *  # noqa: F403
from layerax.ops.numpy._elementwise import *  # noqa: F403
from layerax.ops.numpy._indexing import *  # noqa: F403
from layerax.ops.numpy._linalg import *  # noqa: F403
from layerax.ops.numpy._reductions import *  # noqa: F403
from layerax.ops.numpy._shape import *  # noqa: F403

__all__ = sorted(
    [*_creation.__all__, *_elementwise.__all__, *_indexing.__all__, *_linalg.__all__,
     *_reductions.__all__, *_shape.__all__]
)
