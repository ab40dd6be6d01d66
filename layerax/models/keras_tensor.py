"""`KerasTensor`: the symbolic tensors of the functional API, and operators on them."""

from __future__ import annotations

import operator
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from layerax import config as _config
from layerax.core import naming
from layerax.core.layer import Layer

__all__ = ["KerasTensor", "TensorOperator"]


class KerasTensor:
    """A symbolic tensor: a shape (None for unknown sizes), a dtype and its history.

    `lx.Input` creates them; calling a layer on them returns new ones. They
    hold no values: they describe the graph from which `lx.Model(inputs,
    outputs)` builds a model.

    Args:
        shape: Shape tuple; `None` marks an unknown size (the batch size).
        dtype: Dtype name (`"float32"` by default).
        name: Name of the tensor.

    Example:
        >>> import layerax as lx
        >>> x = lx.Input(shape=(3,))
        >>> x.shape, x.dtype, x.ndim
        ((None, 3), 'float32', 2)
    """

    __slots__ = ("shape", "dtype", "name", "_lx_history", "_lx_mask", "__weakref__")

    def __init__(self, shape: Any, dtype: Any = "float32", name: str | None = None) -> None:
        self.shape = _standardize_shape(shape)
        self.dtype = _dtype_name(dtype)
        self.name = name or naming.uniquify("keras_tensor")
        # (layer, node_index, tensor_index) of the call that produced this tensor.
        self._lx_history: tuple[Any, int, int] | None = None
        # The spec of the tensor's mask (a KerasTensor without history), if any.
        self._lx_mask: KerasTensor | None = None

    @property
    def ndim(self) -> int:
        """The number of axes (batch included).

        Example:
            >>> import layerax as lx
            >>> lx.Input((4, 3)).ndim
            3
        """
        return len(self.shape)

    @property
    def _keras_mask(self) -> KerasTensor | None:
        """The spec of this tensor's mask (None without one), under Keras' attribute name."""
        return self._lx_mask

    def __repr__(self) -> str:
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"

    def __array__(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(
            f"A symbolic tensor ({self!r}) was converted to an array. Symbolic tensors (from "
            "`lx.Input`) hold no values: inside a functional model, compute with layers, e.g. "
            "wrap the computation in a custom `lx.Layer` and call it on the tensor."
        )

    def __bool__(self) -> bool:
        raise TypeError(
            f"A symbolic tensor ({self!r}) has no truth value: it holds no data. Python control "
            "flow on symbolic tensors is not possible; use it inside a layer's `call` instead."
        )

    def __iter__(self) -> Any:
        # Without this, `__getitem__` would make Python iterate forever, adding nodes.
        raise TypeError(
            f"Iterating over a symbolic tensor ({self!r}) is not supported: its size is not a "
            "value. Index it explicitly (`x[:, 0]`) or split it inside a layer."
        )

    def __len__(self) -> int:
        raise TypeError(
            f"len() of a symbolic tensor ({self!r}) is not defined; use `x.shape[0]` (which may "
            "be None)."
        )

    # Python operators record a `TensorOperator` layer in the graph, as Keras 3 records
    # an operation: `x + y`, `2 * x`, `x[:, 0]` work on symbolic tensors.
    __array_ufunc__ = None  # numpy scalars on the left defer to our reflected operators

    def __getitem__(self, key: Any) -> KerasTensor:
        return TensorOperator("get_item")(self, key)

    def __neg__(self) -> KerasTensor:
        return TensorOperator("negative")(self)

    def __abs__(self) -> KerasTensor:
        return TensorOperator("absolute")(self)

    def __invert__(self) -> KerasTensor:
        return TensorOperator("logical_not")(self)


def _binary_operator(op: str, reflected: bool = False) -> Any:
    def method(self: KerasTensor, other: Any) -> Any:
        args = (other, self) if reflected else (self, other)
        return TensorOperator(op)(*args)

    method.__name__ = op
    return method


for _dunder, _op in (
    ("add", "add"), ("sub", "subtract"), ("mul", "multiply"), ("truediv", "divide"),
    ("floordiv", "floor_divide"), ("mod", "mod"), ("pow", "power"), ("matmul", "matmul"),
    ("and", "logical_and"), ("or", "logical_or"), ("xor", "logical_xor"),
):
    setattr(KerasTensor, f"__{_dunder}__", _binary_operator(_op))
    setattr(KerasTensor, f"__r{_dunder}__", _binary_operator(_op, reflected=True))
for _dunder, _op in (("lt", "less"), ("le", "less_equal"), ("gt", "greater"), ("ge", "greater_equal")):
    setattr(KerasTensor, f"__{_dunder}__", _binary_operator(_op))
del _dunder, _op


def _standardize_shape(shape: Any) -> tuple[Any, ...]:
    if isinstance(shape, int):
        shape = (shape,)
    try:
        dims = tuple(shape)
    except TypeError as err:
        raise TypeError(f"A shape must be a tuple of integers or None. Received: {shape!r}") from err
    out = []
    for d in dims:
        if d is None:
            out.append(None)
        elif isinstance(d, int) or (hasattr(d, "__index__") and not isinstance(d, bool)):
            if int(d) < 0:
                raise ValueError(f"Negative dimensions are not allowed. Received shape: {dims}")
            out.append(int(d))
        else:
            raise TypeError(
                f"A shape must be a tuple of integers or None. Received: {dims} (entry {d!r})"
            )
    return tuple(out)


def _dtype_name(dtype: Any) -> str:
    if dtype is None:
        return _config.floatx()
    if dtype in ("string", str, bytes, object, "str", "object") or (
        isinstance(dtype, np.dtype) and dtype.kind in "USO"
    ):
        return "string"  # host-side strings (Keras' `dtype="string"`): no JAX dtype
    return jnp.dtype(dtype).name


def _leafy(x: Any) -> bool:
    """Leaves of call-argument trees: everything but lists, tuples and dicts."""
    return not isinstance(x, (list, tuple, dict))


def flatten_args(tree: Any) -> tuple[list[Any], Any]:
    """Flattens call arguments, keeping every non-container (layers, constants) as a leaf."""
    return jax.tree_util.tree_flatten(tree, is_leaf=_leafy)


def contains_symbolic(x: Any) -> bool:
    if isinstance(x, KerasTensor):
        return True
    if isinstance(x, (list, tuple)):
        return any(contains_symbolic(v) for v in x)
    if isinstance(x, dict):
        return any(contains_symbolic(v) for v in x.values())
    return False


_OPERATORS: dict[str, Any] = {
    "add": operator.add,
    "subtract": operator.sub,
    "multiply": operator.mul,
    "divide": operator.truediv,
    "floor_divide": operator.floordiv,
    "mod": operator.mod,
    "power": operator.pow,
    "matmul": operator.matmul,
    "logical_and": operator.and_,
    "logical_or": operator.or_,
    "logical_xor": operator.xor,
    "less": operator.lt,
    "less_equal": operator.le,
    "greater": operator.gt,
    "greater_equal": operator.ge,
    "negative": operator.neg,
    "absolute": operator.abs,
    "logical_not": operator.invert,
    "get_item": operator.getitem,
}
# Operators whose output has the shape of the (first) input: they pass masks on.
_ELEMENTWISE = frozenset(_OPERATORS) - {"matmul", "get_item"}


class TensorOperator(Layer):
    """A Python operator on symbolic tensors, recorded as a layer of the graph.

    `x + y`, `2.0 * x`, `-x`, `x @ w`, `x[:, 0]` on symbolic tensors create
    one (named after the operation: `add`, `multiply`, `get_item`, ...); when
    the model runs it applies the operator to the arrays.

    Args:
        op: Name of the operation (`"add"`, `"subtract"`, `"multiply"`,
            `"divide"`, `"power"`, `"matmul"`, `"negative"`, `"get_item"`, ...).

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> x = lx.Input(shape=(3,))
        >>> y = 2.0 * x + 1.0
        >>> model = lx.Model(x, y[:, :2])
        >>> [type(layer).__name__ for layer in model.layers][1:]
        ['TensorOperator', 'TensorOperator', 'TensorOperator']
        >>> model(jnp.ones((1, 3))).tolist()
        [[3.0, 3.0]]
    """

    def __init__(self, op: str, **kwargs: Any) -> None:
        if op not in _OPERATORS:
            raise ValueError(
                f"Unknown tensor operator {op!r}. Known operators: {sorted(_OPERATORS)}"
            )
        if kwargs.get("name") is None:
            kwargs["name"] = naming.uniquify(op)
        super().__init__(**kwargs)
        self.op = op
        self.supports_masking = op in _ELEMENTWISE

    def call(self, *args: Any) -> Any:
        return _OPERATORS[self.op](*args)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "op": self.op}
