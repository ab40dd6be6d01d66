"""The core family of `lx.ops` (Keras 3's `keras.ops.core`): control flow, casting, scatter.

Control flow maps onto `jax.lax` with Keras' calling conventions (e.g. `while_loop` unpacks
its loop variables into `cond` and `body`); the other ops are one `jnp`/`lax` call each.

Example:
    >>> from layerax import ops
    >>> ops.fori_loop(0, 4, lambda i, total: total + i, 0)
    Array(6, dtype=int32, weak_type=True)
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import ml_dtypes
import numpy as np

from layerax.core.variable import Variable
from layerax.ops import _sparse
from layerax.ops._common import ArrayLike, dtype_name, strong, tensor


def _unwrap(tree: Any) -> Any:
    """Replaces every `Variable` in a nested structure by its value."""
    return jax.tree_util.tree_map(lambda v: v.value if isinstance(v, Variable) else v, tree,
                                  is_leaf=lambda v: isinstance(v, Variable))


# ------------------------------------------------------------------------------- tensors
def convert_to_tensor(x: ArrayLike, dtype: Any = None, sparse: bool | None = None,
                      ragged: bool | None = None) -> Any:
    """Converts `x` (array-like, numpy array, `Variable`, sparse BCOO) to a JAX tensor.

    As in Keras' JAX backend, a `jax.experimental.sparse.BCOO` stays sparse (cast to `dtype`
    if given) unless `sparse=False`, which densifies it; dense values stay dense whatever
    `sparse` is.

    Args:
        x: The value to convert.
        dtype: Target dtype; default inferred (a `Variable` keeps its dtype).
        sparse: `False` densifies a sparse `x`; `None` or `True` keep it sparse.
        ragged: JAX has no ragged tensors: only `None`/`False` are accepted.

    Returns:
        A `jax.Array` (or a BCOO for a sparse `x`, unless `sparse=False`).

    Example:
        >>> from layerax import ops
        >>> ops.convert_to_tensor([1, 2], dtype="float32")
        Array([1., 2.], dtype=float32)
        >>> ops.convert_to_tensor(ops.one_hot([1], 2, sparse=True), sparse=False)
        Array([[0., 1.]], dtype=float32)
    """
    if ragged:
        raise ValueError("convert_to_tensor: `ragged=True` is not supported on JAX (it has no "
                         "ragged tensors; Keras' JAX backend raises too). Received: "
                         "ragged=True. Pad the value to a dense tensor and pass ragged=None.")
    dtype = dtype_name(dtype)
    if _sparse.is_sparse(x):
        if sparse is not None and not sparse:
            x = x.todense()
        elif dtype is not None and x.dtype != dtype:
            return x.astype(dtype)
        else:
            return x
    if isinstance(x, Variable):
        x = x.value
    if isinstance(x, jax.Array) and (dtype is None or x.dtype == dtype):
        return x
    if dtype == "bfloat16" and not isinstance(x, jax.Array):
        return jnp.asarray(x).astype(dtype)
    return jnp.asarray(x, dtype=dtype)


def convert_to_numpy(x: ArrayLike) -> np.ndarray:
    """Converts `x` to a numpy array (bfloat16 stays `ml_dtypes.bfloat16`).

    Args:
        x: A tensor, `Variable` or array-like.

    Returns:
        A `numpy.ndarray`.

    Example:
        >>> from layerax import ops
        >>> ops.convert_to_numpy(ops.ones((2,)))
        array([1., 1.], dtype=float32)
    """
    x = x.todense() if _sparse.is_sparse(x) else tensor(x)
    if getattr(x, "dtype", None) == jnp.bfloat16:
        return np.array(x, dtype=ml_dtypes.bfloat16)
    return np.array(x)


def is_tensor(x: Any) -> bool:
    """Whether `x` is a backend (JAX) tensor (an array or a sparse BCOO); numpy arrays and
    `Variable`s are not.

    Args:
        x: Any value.

    Returns:
        A Python bool.

    Example:
        >>> from layerax import ops
        >>> ops.is_tensor(ops.ones(2)), ops.is_tensor([1.0])
        (True, False)
    """
    return isinstance(x, jax.Array) or _sparse.is_sparse(x)


def shape(x: ArrayLike) -> tuple[int, ...]:
    """The shape of `x` as a tuple of ints.

    Args:
        x: A tensor, `Variable` or array-like.

    Returns:
        A tuple.

    Example:
        >>> from layerax import ops
        >>> ops.shape(ops.zeros((2, 3)))
        (2, 3)
    """
    return tuple(x.shape) if _sparse.is_sparse(x) else tuple(jnp.shape(tensor(x)))


def dtype(x: ArrayLike) -> str:
    """The dtype of `x` as a standardised string (e.g. `"float32"`).

    Args:
        x: A tensor or `Variable` (anything with a `dtype`).

    Returns:
        The dtype name.

    Example:
        >>> from layerax import ops
        >>> ops.dtype(ops.ones(2))
        'float32'
    """
    if not hasattr(x, "dtype"):
        x = jnp.asarray(x)
    return dtype_name(x.dtype)


def cast(x: ArrayLike, dtype: Any) -> jax.Array:
    """Casts `x` to `dtype` (floats to integers truncate towards zero).

    Args:
        x: A tensor, `Variable` or array-like.
        dtype: The target dtype.

    Returns:
        The cast tensor.

    Example:
        >>> from layerax import ops
        >>> ops.cast([1.7, -1.7], "int32")
        Array([ 1, -1], dtype=int32)
    """
    return convert_to_tensor(x, dtype=dtype)


def _limits(name: str) -> tuple[Any, Any]:
    if name == "bool":
        return 0, 1
    if "int" in name:
        info = ml_dtypes.iinfo(name)
    else:
        info = ml_dtypes.finfo(name)
    return info.min, info.max


def saturate_cast(x: ArrayLike, dtype: Any) -> jax.Array:
    """Casts `x` to `dtype`, clipping to the range of `dtype` first (no wrap-around).

    Args:
        x: A tensor, `Variable` or array-like.
        dtype: The target dtype.

    Returns:
        The cast tensor.

    Example:
        >>> from layerax import ops
        >>> ops.saturate_cast([-1.0, 300.0], "uint8")
        Array([  0, 255], dtype=uint8)
    """
    x = strong(x)
    target, source = dtype_name(dtype), dtype_name(x.dtype)
    in_min, in_max = _limits(source)
    out_min, out_max = _limits(target)
    np_source = ml_dtypes.bfloat16 if source == "bfloat16" else np.dtype(source)
    low = np.asarray(np.maximum(in_min, out_min)).astype(np_source)
    high = np.asarray(np.minimum(in_max, out_max)).astype(np_source)
    # A limit rounded up (or down) out of the target range would overflow: step inwards.
    if low < out_min:
        low = np.nextafter(low, 0, dtype=np_source)
    if high > out_max:
        high = np.nextafter(high, 0, dtype=np_source)
    return jnp.clip(x, low, high).astype(target)


def stop_gradient(variable: ArrayLike) -> jax.Array:
    """Returns `variable` with no gradient flowing back through it.

    Args:
        variable: A tensor or `Variable`.

    Returns:
        The same values, treated as a constant by differentiation.

    Example:
        >>> import jax
        >>> from layerax import ops
        >>> jax.grad(lambda x: ops.stop_gradient(x) * x)(3.0)
        Array(3., dtype=float32, weak_type=True)
    """
    return jax.lax.stop_gradient(tensor(variable))


def unstack(x: ArrayLike, num: int | None = None, axis: int = 0) -> list[jax.Array]:
    """Splits `x` along `axis` into a list of tensors of one rank less.

    Args:
        x: Input tensor.
        num: Expected length of `axis` (checked if given).
        axis: Axis to unstack along.

    Returns:
        A list of `x.shape[axis]` tensors.

    Example:
        >>> from layerax import ops
        >>> ops.unstack([[1, 2], [3, 4]])
        [Array([1, 2], dtype=int32), Array([3, 4], dtype=int32)]
    """
    x = strong(x)
    length = x.shape[axis]
    if num is not None and num != length:
        raise ValueError(f"unstack: `num` ({num}) must equal the size of axis {axis} "
                         f"({length}) of the input of shape {x.shape}. Drop `num` or fix it.")
    return [jax.lax.index_in_dim(x, i, axis, keepdims=False) for i in builtins.range(length)]


# ------------------------------------------------------------------ slices and scatters
def slice(inputs: ArrayLike, start_indices: Sequence[Any], shape: Sequence[int]) -> jax.Array:
    """A slice of `inputs` of the given `shape` starting at `start_indices`.

    Start indices may be traced values; a size of -1 takes the rest of that axis (the start
    must then be static).

    Args:
        inputs: Input tensor.
        start_indices: One start index per axis.
        shape: Size of the slice per axis.

    Returns:
        A tensor of shape `shape`.

    Example:
        >>> from layerax import ops
        >>> ops.slice([[1, 2, 3], [4, 5, 6]], (0, 1), (2, -1))
        Array([[2, 3],
               [5, 6]], dtype=int32)
    """
    inputs = strong(inputs)
    sizes = tuple(inputs.shape[i] - start_indices[i] if s == -1 else s
                  for i, s in enumerate(shape))
    return jax.lax.dynamic_slice(inputs, tuple(start_indices), sizes)


def slice_update(inputs: ArrayLike, start_indices: Sequence[Any], updates: ArrayLike) -> jax.Array:
    """`inputs` with the block starting at `start_indices` replaced by `updates`.

    Args:
        inputs: Input tensor.
        start_indices: One start index per axis.
        updates: The new block (same rank as `inputs`).

    Returns:
        The updated tensor.

    Example:
        >>> from layerax import ops
        >>> ops.slice_update(ops.zeros((3,)), (1,), ops.ones((2,)))
        Array([0., 1., 1.], dtype=float32)
    """
    return jax.lax.dynamic_update_slice(strong(inputs), strong(updates), tuple(start_indices))


def scatter(indices: ArrayLike, values: ArrayLike, shape: Sequence[int]) -> jax.Array:
    """A zero tensor of `shape` with `values` added at `indices` (duplicates accumulate).

    Args:
        indices: Integer tensor of shape `(N, k)`: N index tuples into the first k axes.
        values: Tensor of shape `(N,) + shape[k:]`.
        shape: Shape of the result.

    Returns:
        A tensor of `shape` and the dtype of `values`.

    Example:
        >>> from layerax import ops
        >>> ops.scatter([[0], [2], [2]], [1.0, 2.0, 3.0], (4,))
        Array([1., 0., 5., 0.], dtype=float32)
    """
    values = strong(values)
    key = tuple(jnp.moveaxis(strong(indices), -1, 0))
    return jnp.zeros(tuple(shape), values.dtype).at[key].add(values)


_REDUCTIONS = ("add", "max", "min", "mul")


def scatter_update(inputs: ArrayLike, indices: ArrayLike, updates: ArrayLike,
                   reduction: str | None = None) -> jax.Array:
    """`inputs` with the entries at `indices` replaced by (or reduced with) `updates`.

    Args:
        inputs: Input tensor.
        indices: Integer tensor of shape `(N, k)`: N index tuples into the first k axes.
        updates: Tensor of shape `(N,) + inputs.shape[k:]`.
        reduction: `None` (replace), `"add"`, `"max"`, `"min"` or `"mul"`.

    Returns:
        The updated tensor.

    Example:
        >>> from layerax import ops
        >>> ops.scatter_update(ops.zeros((3,)), [[1]], [5.0])
        Array([0., 5., 0.], dtype=float32)
    """
    if reduction is not None and reduction not in _REDUCTIONS:
        raise ValueError(f"scatter_update: unsupported reduction {reduction!r}. Expected None or "
                         f"one of {list(_REDUCTIONS)}.")
    key = tuple(jnp.transpose(strong(indices)))
    at = strong(inputs).at[key]
    updates = tensor(updates)
    if reduction is None:
        return at.set(updates)
    if reduction == "add":
        return at.add(updates)
    if reduction == "max":
        return at.max(updates)
    if reduction == "min":
        return at.min(updates)
    return at.multiply(updates)


# ---------------------------------------------------------------------------- control flow
def cond(pred: ArrayLike, true_fn: Callable[[], Any], false_fn: Callable[[], Any]) -> Any:
    """Calls `true_fn()` if `pred` is true, else `false_fn()` (traceable: `jax.lax.cond`).

    Args:
        pred: A scalar boolean.
        true_fn: Function of no arguments.
        false_fn: Function of no arguments returning the same structure and dtypes.

    Returns:
        The result of the chosen branch.

    Example:
        >>> from layerax import ops
        >>> ops.cond(True, lambda: 1.0, lambda: 2.0)
        Array(1., dtype=float32, weak_type=True)
    """
    return jax.lax.cond(tensor(pred), true_fn, false_fn)


def switch(index: ArrayLike, branches: Sequence[Callable[..., Any]], *operands: Any) -> Any:
    """Calls `branches[index](*operands)` (traceable; `index` is clamped to the valid range).

    Args:
        index: Scalar integer.
        branches: List of functions returning the same structure and dtypes.
        *operands: Arguments of the branches.

    Returns:
        The result of the chosen branch.

    Example:
        >>> from layerax import ops
        >>> ops.switch(1, [lambda x: x + 1, lambda x: x * 10], 2)
        Array(20, dtype=int32, weak_type=True)
    """
    return jax.lax.switch(tensor(index), branches, *_unwrap(operands))


def while_loop(cond: Callable[..., Any], body: Callable[..., Any], loop_vars: Any,
               maximum_iterations: int | None = None) -> Any:
    """Repeats `loop_vars = body(*loop_vars)` while `cond(*loop_vars)` (`jax.lax.while_loop`).

    A tuple or list of loop variables is unpacked into `cond` and `body`; a single value is
    passed as it is.

    Args:
        cond: Function of the loop variables returning a scalar boolean.
        body: Function of the loop variables returning new ones of the same structure.
        loop_vars: Initial loop variables (a tuple/list, or one value).
        maximum_iterations: Optional upper bound on the number of iterations.

    Returns:
        The final loop variables (a tuple for a tuple/list, else one value).

    Example:
        >>> from layerax import ops
        >>> ops.while_loop(lambda i, s: i < 4, lambda i, s: (i + 1, s + i), (0, 0))
        (Array(4, dtype=int32, weak_type=True), Array(6, dtype=int32, weak_type=True))
    """
    packed = isinstance(loop_vars, (tuple, list))
    state = tuple(_unwrap(tuple(loop_vars))) if packed else (_unwrap(loop_vars),)

    def step(values: tuple[Any, ...]) -> tuple[Any, ...]:
        out = body(*values)
        return tuple(out) if packed else (out,)

    if maximum_iterations is None:
        result = jax.lax.while_loop(lambda v: cond(*v), step, state)
        return result if packed else result[0]

    def bounded_cond(carry: tuple[Any, Any]) -> Any:
        values, count = carry
        return jnp.logical_and(cond(*values), count < maximum_iterations)

    def bounded_step(carry: tuple[Any, Any]) -> tuple[Any, Any]:
        values, count = carry
        return step(values), count + 1

    result, _ = jax.lax.while_loop(bounded_cond, bounded_step, (state, 0))
    return result if packed else result[0]


def fori_loop(lower: ArrayLike, upper: ArrayLike, body_fun: Callable[[Any, Any], Any],
              init_val: Any) -> Any:
    """Repeats `val = body_fun(i, val)` for `i` in `range(lower, upper)` (`jax.lax.fori_loop`).

    Args:
        lower: First loop index.
        upper: End of the loop index (exclusive).
        body_fun: Function of the index and the value returning a new value.
        init_val: Initial value.

    Returns:
        The final value.

    Example:
        >>> from layerax import ops
        >>> ops.fori_loop(0, 3, lambda i, x: x * 2, 1.0)
        Array(8., dtype=float32, weak_type=True)
    """
    return jax.lax.fori_loop(tensor(lower), tensor(upper), body_fun, _unwrap(init_val))


def scan(f: Callable[[Any, Any], tuple[Any, Any]], init: Any, xs: Any = None,
         length: int | None = None, reverse: bool = False, unroll: int | bool = 1,
         ) -> tuple[Any, Any]:
    """Loops `carry, y = f(carry, x)` over the leading axis of `xs`, stacking the `y`s.

    Args:
        f: Function of the carry and one slice of `xs`.
        init: Initial carry.
        xs: Values to loop over (a nested structure of tensors), or None with `length`.
        length: Number of iterations when `xs` is None.
        reverse: Whether to loop from the end.
        unroll: How many iterations to unroll in each loop step (`True`: all).

    Returns:
        `(final_carry, stacked_ys)`.

    Example:
        >>> from layerax import ops
        >>> carry, ys = ops.scan(lambda c, x: (c + x, c * x), 0.0, ops.array([1.0, 2.0, 3.0]))
        >>> carry, ys
        (Array(6., dtype=float32), Array([0., 2., 9.], dtype=float32))
    """
    return jax.lax.scan(f, _unwrap(init), _unwrap(xs), length=length, reverse=reverse,
                        unroll=unroll)


def associative_scan(f: Callable[[Any, Any], Any], elems: Any, reverse: bool = False,
                     axis: int = 0) -> Any:
    """Parallel prefix scan of an associative `f` along `axis` (e.g. a cumulative sum).

    Args:
        f: Associative function of two (nested) slices.
        elems: Tensor or nested structure of tensors of equal size along `axis`.
        reverse: Whether to scan from the end.
        axis: Axis to scan along.

    Returns:
        The prefix results, of the structure and shapes of `elems`.

    Example:
        >>> from layerax import ops
        >>> ops.associative_scan(lambda a, b: a + b, ops.array([1, 2, 3]))
        Array([1, 3, 6], dtype=int32)
    """
    return jax.lax.associative_scan(f, _unwrap(elems), reverse=reverse, axis=axis)


def map(f: Callable[[Any], Any], xs: Any) -> Any:
    """Applies `f` to each slice of `xs` along its leading axis and stacks the results.

    Args:
        f: Function of one slice.
        xs: Tensor or nested structure of tensors.

    Returns:
        The stacked results.

    Example:
        >>> from layerax import ops
        >>> ops.map(lambda x: x * 2, ops.array([1, 2]))
        Array([2, 4], dtype=int32)
    """
    return jax.lax.map(f, _unwrap(xs))


def vectorized_map(function: Callable[[Any], Any], elements: Any) -> Any:
    """Maps `function` over the leading axis of `elements` in parallel (`jax.vmap`).

    Args:
        function: Function of one slice.
        elements: Tensor or nested structure of tensors.

    Returns:
        The stacked results.

    Example:
        >>> from layerax import ops
        >>> ops.vectorized_map(lambda x: ops.sum(x), ops.ones((2, 3)))
        Array([3., 3.], dtype=float32)
    """
    return jax.vmap(function)(_unwrap(elements))


def custom_gradient(f: Callable[..., tuple[Any, Callable[..., Any]]]) -> Callable[..., Any]:
    """Decorates `f`, returning `(y, grad_fn)`, so that differentiation uses `grad_fn`.

    `grad_fn(upstream)` receives the cotangent of `y` and returns one gradient per positional
    argument of `f` (a tuple for several). `Variable` arguments are passed as their values.

    Args:
        f: Function returning its output and the function that computes its gradients.

    Returns:
        The decorated function.

    Example:
        >>> import jax
        >>> from layerax import ops
        >>> @ops.custom_gradient
        ... def clipped_identity(x):
        ...     return x, lambda g: ops.clip(g, -1.0, 1.0)
        >>> jax.grad(lambda x: 5.0 * clipped_identity(x))(2.0)
        Array(1., dtype=float32, weak_type=True)
    """
    with_custom = jax.custom_gradient(f)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return with_custom(*_unwrap(args), **_unwrap(kwargs))

    wrapper.__name__ = getattr(f, "__name__", "custom_gradient")
    wrapper.__doc__ = f.__doc__
    return wrapper


__all__ = [
    "associative_scan", "cast", "cond", "convert_to_numpy", "convert_to_tensor",
    "custom_gradient", "dtype", "fori_loop", "is_tensor", "map", "saturate_cast", "scan",
    "scatter", "scatter_update", "shape", "slice", "slice_update", "stop_gradient", "switch",
    "unstack", "vectorized_map", "while_loop",
]
