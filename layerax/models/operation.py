"""`lx.ops` on symbolic tensors: each op call records an `OpLayer` node of the graph.

`lx.ops.<name>(...)` with a `KerasTensor` anywhere in its arguments (positional,
keyword, inside lists) returns KerasTensors of the inferred shape and dtype, as
`keras.ops` does on Keras' symbolic tensors. The call becomes an `OpLayer`: the
layer keeps the op's name and its constant arguments (axes, dtypes, numbers,
numpy arrays, Variables) and receives the symbolic tensors as its inputs, so
`lx.Model(inputs, outputs)` runs the op on real arrays. The ops package reaches
this module only through its `SYMBOLIC_OPS` hook, installed below.
"""

from __future__ import annotations

import abc
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from layerax.core import naming
from layerax.core.layer import Layer
from layerax.core.variable import Variable
from layerax.models.keras_tensor import KerasTensor, contains_symbolic
from layerax.ops import _symbolic

__all__ = ["OpLayer"]

# Ops whose output has the shape of their (first) input: they pass its mask on, as
# TensorOperator does for `x + y`. Other ops drop masks, as Keras' operations do.
_ACTIVATIONS = (
    "celu", "elu", "gelu", "hard_shrink", "hard_sigmoid", "hard_silu", "hard_swish", "hard_tanh",
    "leaky_relu", "log_sigmoid", "log_softmax", "relu", "relu6", "selu", "sigmoid", "silu",
    "soft_shrink", "softmax", "softplus", "softsign", "sparse_plus", "sparse_sigmoid",
    "sparsemax", "squareplus", "swish", "tanh_shrink",
)
_SHAPE_KEEPING = frozenset(
    [f"nn.{n}" for n in _ACTIVATIONS]
    + [f"math.{n}" for n in ("erf", "erfc", "erfinv", "rsqrt")]
    + [f"core.{n}" for n in ("cast", "convert_to_tensor", "saturate_cast", "stop_gradient")]
)

# Ops answered from the KerasTensor itself, as Keras does (no node is recorded).
_PURE_PYTHON = {
    "core.shape": lambda x: x.shape,
    "core.dtype": lambda x: x.dtype,
    "core.is_tensor": lambda x: False,
    "numpy.ndim": lambda x: x.ndim,
}


def _is_elementwise(op: str) -> bool:
    from layerax.ops.numpy import _elementwise

    family, _, name = op.partition(".")
    return op in _SHAPE_KEEPING or (family == "numpy" and name in _elementwise.__all__)


class _Slot:
    """Where the `index`-th symbolic input goes in an op's arguments."""

    __slots__ = ("index",)

    def __init__(self, index: int) -> None:
        self.index = index

    def __repr__(self) -> str:
        return f"<input {self.index}>"


def _template(tree: Any, tensors: list[KerasTensor]) -> Any:
    """`tree` with each KerasTensor replaced by a `_Slot` (the tensors are appended)."""
    if isinstance(tree, KerasTensor):
        tensors.append(tree)
        return _Slot(len(tensors) - 1)
    if type(tree) in (list, tuple):
        return type(tree)(_template(v, tensors) for v in tree)
    if type(tree) is dict:
        return {k: _template(v, tensors) for k, v in tree.items()}
    return tree


def _fill(tree: Any, values: tuple[Any, ...]) -> Any:
    """The inverse of `_template`: slots replaced by `values`."""
    if isinstance(tree, _Slot):
        return values[tree.index]
    if type(tree) in (list, tuple):
        return type(tree)(_fill(v, values) for v in tree)
    if type(tree) is dict:
        return {k: _fill(v, values) for k, v in tree.items()}
    return tree


def _leaves(tree: Any) -> list[Any]:
    if type(tree) in (list, tuple):
        return [leaf for v in tree for leaf in _leaves(v)]
    if type(tree) is dict:
        return [leaf for v in tree.values() for leaf in _leaves(v)]
    return [tree]


def _encode(value: Any) -> Any:
    """A config-friendly form of a constant argument (see `_decode`)."""
    if isinstance(value, _Slot):
        return {"class_name": "__op_input__", "config": {"index": value.index}}
    if isinstance(value, Variable):
        return {"class_name": "__variable__", "config": {
            "value": np.asarray(value.value).tolist(), "dtype": np.dtype(value.dtype).name,
            "trainable": value.trainable, "name": value.name}}
    if isinstance(value, (np.ndarray, np.generic, jax.Array)):
        array = np.asarray(value)
        return {"class_name": "__numpy__", "config": {
            "value": array.tolist(), "dtype": array.dtype.name}}
    if isinstance(value, np.dtype) or (isinstance(value, type) and hasattr(value, "dtype")):
        # np.float32, jnp.float16 (types) and np.dtype objects.
        return {"class_name": "__dtype__", "config": {"name": np.dtype(value).name}}
    if type(value) is tuple:
        return {"class_name": "__tuple__", "config": {"items": [_encode(v) for v in value]}}
    if type(value) is slice:  # Keras' tag for the slices of `x[1:, 0]`
        return {"class_name": "__slice__", "config": {
            "start": value.start, "stop": value.stop, "step": value.step}}
    if type(value) is list:
        return [_encode(v) for v in value]
    if type(value) is dict:
        return {k: _encode(v) for k, v in value.items()}
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        kind, config = value.get("class_name"), value.get("config")
        if kind == "__op_input__":
            return _Slot(config["index"])
        if kind == "__variable__":
            return Variable(np.asarray(config["value"], config["dtype"]), name=config["name"],
                            trainable=config["trainable"], dtype=config["dtype"])
        if kind == "__numpy__":
            return np.asarray(config["value"], config["dtype"])
        if kind == "__dtype__":
            return np.dtype(config["name"])
        if kind == "__tuple__":
            return tuple(_decode(v) for v in config["items"])
        if kind == "__slice__":
            return slice(config["start"], config["stop"], config["step"])
        return {k: _decode(v) for k, v in value.items()}
    if type(value) in (list, tuple):
        return type(value)(_decode(v) for v in value)
    return value


def _resolve(op: str) -> Any:
    """The function of the op named `op` (`"numpy.add"`), without its symbolic wrapper."""
    from layerax import ops

    family, _, name = op.partition(".")
    fn = getattr(getattr(ops, family, None), name, None) if name else None
    if fn is None or not callable(fn):
        raise ValueError(
            f"Unknown op {op!r}: expected '<family>.<name>' naming a function of `lx.ops` "
            "(e.g. 'numpy.add', 'nn.relu')."
        )
    return getattr(fn, "__wrapped__", fn)


class OpLayer(Layer):
    """One call of an `lx.ops` function on symbolic tensors, as a layer of the graph.

    Calling an op on `KerasTensor`s (the functional API) creates one, named
    after the op (`matmul`, `mean`, ...). It keeps the constant arguments of the
    call and takes the symbolic tensors, in order, as its inputs; when the
    model runs it applies the op to the arrays. Element-wise ops pass the mask
    of their first input on; other ops drop masks, as in Keras.

    Args:
        op: The op, as `"<family>.<name>"` (`"numpy.matmul"`, `"nn.relu"`).
        args: The op's positional arguments, its inputs marked by
            `{"class_name": "__op_input__", "config": {"index": i}}`.
        kwargs: Its keyword arguments, marked the same way.
        **layer_kwargs: `name`, `dtype`, ... of `lx.Layer`.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> from layerax import ops
        >>> x = lx.Input(shape=(3,))
        >>> y = ops.mean(ops.square(x), axis=-1, keepdims=True)
        >>> y.shape
        (None, 1)
        >>> model = lx.Model(x, y)
        >>> [layer.op for layer in model.layers[1:]]
        ['numpy.square', 'numpy.mean']
        >>> model(jnp.array([[1.0, 2.0, 4.0]])).tolist()
        [[7.0]]
    """

    _convert_input_args = False

    def __init__(self, op: str, args: Any = (), kwargs: Any = None, **layer_kwargs: Any) -> None:
        self._fn = _resolve(op)
        if layer_kwargs.get("name") is None:
            layer_kwargs["name"] = naming.uniquify(op.partition(".")[2])
        layer_kwargs.setdefault("autocast", False)
        super().__init__(**layer_kwargs)
        self.op = op
        object.__setattr__(self, "_op_args", tuple(_decode(list(args))))
        object.__setattr__(self, "_op_kwargs", _decode(dict(kwargs or {})))
        # Variables among the constants are weights of the layer, so a compiled model
        # reads their current values.
        self._op_variables = [v for v in _leaves((self._op_args, self._op_kwargs))
                              if isinstance(v, Variable)]
        self.supports_masking = _is_elementwise(op)
        self._lx_drops_masks_silently = True

    def call(self, *tensors: Any) -> Any:
        out = self._fn(*_fill(self._op_args, tensors), **_fill(self._op_kwargs, tensors))
        # A Python number (`ops.size`) becomes a 0-d array, as the symbolic spec says.
        return jnp.asarray(out) if isinstance(out, (bool, int, float)) else out

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "op": self.op, "args": _encode(list(self._op_args)),
                "kwargs": _encode(self._op_kwargs)}


def _describe(tensors: list[KerasTensor]) -> str:
    return ", ".join(f"shape={t.shape} dtype={t.dtype}" for t in tensors)


def symbolic_op(op: str, fn: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """The `SYMBOLIC_OPS["call"]` hook: records `op(*args, **kwargs)` as an `OpLayer` node."""
    if _symbolic.called_inside_an_op():
        # Fail the outer op's array attempt: it records one node, named after itself.
        raise TypeError(f"`ops.{op.partition('.')[2]}` was called on a symbolic tensor "
                        "inside another op")
    pure = _PURE_PYTHON.get(op)
    if pure is not None and args and isinstance(args[0], KerasTensor):
        return pure(args[0])
    tensors: list[KerasTensor] = []
    template_args = _template(list(args), tensors)
    template_kwargs = _template(dict(kwargs), tensors)
    layer = OpLayer(op, args=template_args, kwargs=template_kwargs)
    try:
        return layer(*tensors)
    except Exception as err:
        raise ValueError(
            f"`ops.{op.partition('.')[2]}` ({op}) cannot be applied to the symbolic inputs "
            f"[{_describe(tensors)}]: {type(err).__name__}: {str(err).rstrip('.')}. Check the "
            "shapes and dtypes of the inputs and the op's other arguments."
        ) from err


def is_symbolic_op_call(args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    """The `SYMBOLIC_OPS["check"]` hook: whether any argument holds a KerasTensor."""
    return contains_symbolic(args) or contains_symbolic(kwargs)


def install() -> None:
    """Installs the symbolic handler of `lx.ops` (called when `layerax.models` is imported)."""
    _symbolic.SYMBOLIC_OPS["check"] = is_symbolic_op_call
    _symbolic.SYMBOLIC_OPS["call"] = symbolic_op


install()


class Operation(metaclass=abc.ABCMeta):
    """Keras 3's base of ops: a callable object whose `call` computes on arrays.

    Subclass it and write `call(*args, **kwargs)`. Called on arrays (numpy,
    jax, tracers) it runs `call`; called on `KerasTensor`s (the functional
    API) it records one node of the graph, an `OperationLayer` that runs this
    operation when the model runs. Every `lx.layers.Layer` is also an
    `Operation` (`isinstance(layer, lx.Operation)` is True), as in Keras.

    Args:
        name: The operation's name (a unique snake-case name of the class by default).

    Example:
        >>> import layerax as lx, numpy as np
        >>> class Cube(lx.Operation):
        ...     def call(self, x):
        ...         return x ** 3
        >>> float(Cube()(np.float32(2.0)))
        8.0
        >>> x = lx.Input((2,))
        >>> model = lx.Model(x, Cube()(x))
        >>> model(np.array([[1.0, 2.0]], "float32")).tolist()
        [[1.0, 8.0]]
    """

    def __init__(self, name: str | None = None) -> None:
        if name is not None and (not isinstance(name, str) or "/" in name):
            raise ValueError(
                f"Argument `name` of {type(self).__name__} must be a string without '/'. "
                f"Received: name={name!r}"
            )
        self.name = name or naming.uniquify(naming.to_snake_case(type(self).__name__))

    def call(self, *args: Any, **kwargs: Any) -> Any:
        """The computation on arrays; subclasses implement it."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement `call(self, *args, **kwargs)`."
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if is_symbolic_op_call(args, kwargs):
            tensors: list[KerasTensor] = []
            template_args = _template(list(args), tensors)
            template_kwargs = _template(dict(kwargs), tensors)
            return OperationLayer(self, template_args, template_kwargs)(*tensors)
        return self.call(*args, **kwargs)

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (`name`); subclasses with arguments extend it."""
        return {"name": self.name}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Operation:
        """Creates the operation from `get_config()`'s output."""
        return cls(**config)


Operation.register(Layer)


class OperationLayer(Layer):
    """The graph node that a custom `lx.Operation` called on KerasTensors records.

    Args:
        operation: The operation (an `lx.Operation`, or its serialized dict).
        args: Its positional arguments, the symbolic inputs marked as in `OpLayer`.
        kwargs: Its keyword arguments, marked the same way.
        **layer_kwargs: `name`, ... of `lx.Layer`.

    Example:
        >>> import layerax as lx
        >>> class Twice(lx.Operation):
        ...     def call(self, x):
        ...         return 2 * x
        >>> y = Twice(name="twice")(lx.Input((3,)))
        >>> y.shape
        (None, 3)
    """

    _convert_input_args = False

    def __init__(self, operation: Any, args: Any = (), kwargs: Any = None, **layer_kwargs: Any) -> None:
        if isinstance(operation, dict):
            from layerax.core.serialization_lib import deserialize_keras_object

            operation = deserialize_keras_object(operation)
        if not isinstance(operation, Operation) or isinstance(operation, Layer):
            raise TypeError(
                "OperationLayer expects an lx.Operation instance (not a layer). Received: "
                f"{operation!r}"
            )
        if layer_kwargs.get("name") is None:
            layer_kwargs["name"] = operation.name
        layer_kwargs.setdefault("autocast", False)
        super().__init__(**layer_kwargs)
        object.__setattr__(self, "operation", operation)
        object.__setattr__(self, "_op_args", tuple(_decode(list(args))))
        object.__setattr__(self, "_op_kwargs", _decode(dict(kwargs or {})))
        self._lx_drops_masks_silently = True

    def call(self, *tensors: Any) -> Any:
        return self.operation.call(*_fill(self._op_args, tensors), **_fill(self._op_kwargs, tensors))

    def get_config(self) -> dict[str, Any]:
        from layerax.core.serialization_lib import serialize_keras_object

        return {**super().get_config(), "operation": serialize_keras_object(self.operation),
                "args": _encode(list(self._op_args)), "kwargs": _encode(self._op_kwargs)}
