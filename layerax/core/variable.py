"""`lx.Variable`: a named, mutable holder of a JAX array that JAX code can read directly."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from layerax.core import naming, placement
from layerax.core.context import CTX, bump_structure_version, jax_is_tracing

Tracer = jax.core.Tracer

_LEAK_MSG = (
    "Variable '{path}' was assigned a traced value (a JAX tracer) outside of `lx.function`, "
    "`stateless_call` and `GradientTape`. A live variable cannot keep a value that only exists "
    "inside a `jax.jit`/`jax.grad`/`jax.vmap` trace. To fix it, either decorate the training step "
    "with `@lx.function` (it writes variable updates back), call `layer.stateless_call(...)` and "
    "return the new values, or pass the layer to the transformed function as an argument: its "
    "pytree copy may be mutated and returned."
)


_HOST_VALUE_MSG = (
    "numpy needed the value of variable '{path}' as a host array (np.asarray(v), or a numpy "
    "function such as np.mean(v), np.sum(v) or np.add(x, v), which converts its arguments), but "
    "here the variable is traced (inside lx.function, jax.jit or another JAX transformation). "
    "Use jax.numpy or the operators instead: jnp.mean(v), jnp.add(x, v), x + v; they are "
    "compiled and differentiated."
)


def _dtype_name(dtype: Any) -> str:
    return str(np.dtype(dtype)) if not hasattr(dtype, "name") else dtype.name


class Variable:
    """A mutable, named JAX array: the state of layers, optimizers and metrics.

    Reading `variable.value` (or using the variable directly in `jax.numpy`
    code and operators) gives its current array; `assign` replaces it. Inside
    `lx.function` and `stateless_call` (the swap scope), under a
    `GradientTape` or in a mixed-precision call (the read interceptors), reads
    and assignments are routed, so they compile and differentiate like
    ordinary JAX code; `layerax/core/state.py` describes the mechanisms.

    Args:
        initial_value: An array-like, or a callable initializer. A callable is
            called as `initial_value(shape, dtype)` when `shape` is given, else
            with no argument.
        name: Variable name; defaults to `"variable"` (made unique).
        trainable: Whether optimizers train it.
        dtype: dtype to cast the initial value to.
        shape: Shape, required with a Keras-style initializer.
        regularizer: Regularizer whose penalty joins the owning layer's losses.
        constraint: Constraint applied after each optimizer step.
        autocast: Whether a mixed-precision layer reads this (floating)
            variable in its compute dtype (Keras' `autocast`).

    Under an active `lx.distribution` the value is created directly with the
    distribution's sharding for this variable (initializers run on the host,
    each device receives only its shard), and later assignments keep that
    sharding.

    Operators give JAX arrays whatever the other operand (numpy data first
    included: `X @ v`), and `==`/`!=` are element-wise; compare variables with
    `is`. numpy functions (`np.mean(v)`, `np.asarray(v)`) see the current value
    as a host numpy array. See `docs/tape.md`, "numpy data and numpy functions".

    Example:
        >>> import jax, layerax as lx, jax.numpy as jnp, numpy as np
        >>> v = lx.Variable(jnp.ones((2, 2)), name="w")
        >>> float(jnp.sum(v @ jnp.ones((2, 1))))
        4.0
        >>> isinstance(np.ones((1, 2)) @ v, jax.Array)
        True
        >>> _ = v.assign_add(jnp.ones((2, 2)))
        >>> v.numpy().tolist()
        [[2.0, 2.0], [2.0, 2.0]]
    """

    __slots__ = (
        "_value",
        "_name",
        "_path",
        "_trainable",
        "regularizer",
        "constraint",
        "_in_scope",
        "_owns_buffer",
        "_trace_local",
        "_meta",
        "_autocast",
        "_sharding",
        "__weakref__",
        "__dict__",
    )

    def __init__(
        self,
        initial_value: Any = None,
        name: str | None = None,
        trainable: bool = True,
        dtype: Any = None,
        *,
        shape: Any = None,
        regularizer: Any = None,
        constraint: Any = None,
        autocast: bool = True,
    ) -> None:
        if name is not None and not isinstance(name, str):
            raise TypeError(f"Variable name must be a string. Received: name={name!r}")
        if initial_value is None:
            raise ValueError(
                "A Variable needs an initial value. Pass `initial_value=` (an array or an "
                "initializer together with `shape=`)."
            )
        self._name = name or naming.uniquify("variable")
        self._path = naming.current_path(self._name)
        self._trainable = bool(trainable)
        self.regularizer = regularizer
        self.constraint = constraint
        self._in_scope = 0
        self._trace_local = False
        self._meta = None
        self._autocast = bool(autocast)
        self._sharding = None
        distribution = CTX.distribution
        if distribution is None:
            value, owns = _initial_array(initial_value, shape, dtype, self._path)
        else:
            value, owns = distribution._lx_create_variable_value(
                self, lambda: _initial_array(initial_value, shape, dtype, self._path)
            )
        self._value = value
        self._owns_buffer = owns

    # ------------------------------------------------------------------ reads
    @property
    def value(self) -> jax.Array:
        """The current array. Reads are seen by an active tape or lx.function.

        The array handed out may be kept by the caller: the next `lx.function`
        call that updates this variable copies it instead of donating it while
        anything still references it (once dropped, it is donated again).
        """
        if CTX.interceptors:
            value = self._value
            for interceptor in CTX.interceptors:
                value = interceptor.read(self, value)
            return value
        self._owns_buffer = False
        return self._value

    def numpy(self) -> np.ndarray:
        """The current value as a numpy array (a copy)."""
        if CTX.interceptors:
            return np.array(self.value)
        return np.array(self._value)

    @property
    def shape(self) -> tuple[int, ...]:
        """The value's shape, a tuple of ints.

        Example:
            >>> import layerax as lx
            >>> lx.Variable([[1.0, 2.0, 3.0]]).shape
            (1, 3)
        """
        return tuple(self._value.shape)

    @property
    def dtype(self) -> Any:
        """The value's dtype.

        Example:
            >>> import layerax as lx
            >>> str(lx.Variable([1.0, 2.0]).dtype)
            'float32'
        """
        return self._value.dtype

    @property
    def ndim(self) -> int:
        """The value's number of axes (`len(shape)`).

        Example:
            >>> import layerax as lx
            >>> lx.Variable([[1.0], [2.0]]).ndim
            2
        """
        return len(self._value.shape)

    @property
    def size(self) -> int:
        """The value's number of elements.

        Example:
            >>> import layerax as lx
            >>> lx.Variable([[1.0, 2.0], [3.0, 4.0]]).size
            4
        """
        return int(np.prod(self._value.shape))

    @property
    def name(self) -> str:
        """The variable's name (the last part of its `path`).

        Example:
            >>> import layerax as lx
            >>> lx.Variable(0.0, name="step").name
            'step'
        """
        return self._name

    @property
    def path(self) -> str:
        """Scoped name, e.g. `sequential/dense/kernel`."""
        return self._path

    @property
    def trainable(self) -> bool:
        """Whether optimizers and gradients see the variable; settable.

        Example:
            >>> import layerax as lx
            >>> v = lx.Variable(1.0)
            >>> v.trainable = False
            >>> v.trainable
            False
        """
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        value = bool(value)
        if value != self._trainable:
            self._trainable = value
            self._meta = None
            bump_structure_version()

    # ----------------------------------------------------------- assignments
    def assign(self, value: Any) -> Variable:
        """Replaces the value; the shape must match and the dtype must be castable.

        Raises:
            ValueError: when the shape differs or the dtype cannot be cast
                safely (e.g. floats into an integer variable).
        """
        value = self._prepare(value)
        if CTX.interceptors:
            for interceptor in CTX.interceptors:
                value = interceptor.assign(self, value)
        if isinstance(value, Tracer):
            # Only a variable bound by a swap scope, or a pytree clone living inside a trace,
            # may take a tracer (see core/state.py).
            if not (self._in_scope or self._trace_local):
                raise RuntimeError(_LEAK_MSG.format(path=self._path))
        elif self._sharding is not None and not (self._in_scope or CTX.scopes):
            # A sharded variable keeps its layout (e.g. after set_weights with numpy arrays).
            value = placement.put(value, self._sharding)
        self._value = value
        self._owns_buffer = False
        return self

    def assign_add(self, delta: Any) -> Variable:
        """Adds `delta` to the value in place (`assign(value + delta)`) and returns the variable.

        Args:
            delta: An array, number or variable broadcastable to the variable's shape.

        Returns:
            The variable itself.

        Example:
            >>> import layerax as lx, jax.numpy as jnp
            >>> v = lx.Variable([1.0, 2.0])
            >>> v.assign_add(jnp.array([0.5, 0.5])).numpy()
            array([1.5, 2.5], dtype=float32)
        """
        return self.assign(self.value + _unwrap(delta))

    def assign_sub(self, delta: Any) -> Variable:
        """Subtracts `delta` from the value in place (`assign(value - delta)`) and returns the variable.

        Args:
            delta: An array, number or variable broadcastable to the variable's shape.

        Returns:
            The variable itself.

        Example:
            >>> import layerax as lx
            >>> v = lx.Variable([1.0, 2.0])
            >>> v.assign_sub(1.0).numpy()
            array([0., 1.], dtype=float32)
        """
        return self.assign(self.value - _unwrap(delta))

    def _prepare(self, value: Any) -> Any:
        value = _unwrap(value)
        current = self._value
        if not hasattr(value, "shape") or not hasattr(value, "dtype"):
            value = np.asarray(value)
            if value.dtype.kind in "biuf" and np.dtype(current.dtype).kind in "fc":
                value = value.astype(current.dtype)
        if value.dtype != current.dtype:
            if not np.can_cast(value.dtype, current.dtype, casting="same_kind"):
                raise ValueError(
                    f"Cannot assign a value of dtype {_dtype_name(value.dtype)} to variable "
                    f"'{self._path}' of dtype {_dtype_name(current.dtype)}. Cast the value first, "
                    f"e.g. `value.astype('{_dtype_name(current.dtype)}')`."
                )
            value = value.astype(current.dtype)
        if tuple(value.shape) != tuple(current.shape):
            raise ValueError(
                f"Cannot assign a value of shape {tuple(value.shape)} to variable '{self._path}': "
                f"expected shape {tuple(current.shape)}. Reshape the value, or create a new "
                f"variable for the new shape."
            )
        if isinstance(value, np.ndarray) or isinstance(value, np.generic):
            value = jnp.asarray(value)
        elif getattr(value, "weak_type", False):
            # A weakly typed value (from a Python scalar) would make jit retrace.
            value = jax.lax.convert_element_type(value, current.dtype)
        return value

    # ------------------------------------------------------- array protocol
    # Above numpy's arrays (0) and equal to jax.Array's: with a numpy operand first,
    # `x @ v`, `x + v`, `x < v`, `np.float32(2) * v` ... are handed to the variable's
    # reflected operators, so they give JAX arrays (and tape values) as jax.Array does.
    # numpy functions still convert it with `__array__` (see docs/tape.md).
    __array_priority__ = 100

    def __jax_array__(self) -> jax.Array:
        return self.value

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        value = self.value
        try:
            out = np.asarray(value)
        except TypeError as err:
            if not isinstance(value, Tracer):
                raise
            raise TypeError(_HOST_VALUE_MSG.format(path=self._path)) from err
        return out.astype(dtype) if dtype is not None else out

    def __float__(self) -> float:
        return float(self.value)

    def __int__(self) -> int:
        return int(self.value)

    def __bool__(self) -> bool:
        return bool(self.value)

    def __len__(self) -> int:
        return len(self._value)

    def __getitem__(self, idx: Any) -> jax.Array:
        return self.value[idx]

    @property
    def T(self) -> jax.Array:  # noqa: N802 - numpy's name
        """The value transposed (a jax array, as `value.T`).

        Example:
            >>> import layerax as lx
            >>> lx.Variable([[1.0, 2.0]]).T.shape
            (2, 1)
        """
        return self.value.T

    def astype(self, dtype: Any) -> jax.Array:
        """The value cast to `dtype` (a jax array; the variable is unchanged).

        Example:
            >>> import layerax as lx
            >>> str(lx.Variable([1.5]).astype("int32").dtype)
            'int32'
        """
        return self.value.astype(dtype)

    def reshape(self, *shape: Any) -> jax.Array:
        """The value reshaped (a jax array; the variable is unchanged).

        Example:
            >>> import layerax as lx
            >>> lx.Variable([1.0, 2.0, 3.0, 4.0]).reshape(2, 2).shape
            (2, 2)
        """
        return self.value.reshape(*shape)

    def __repr__(self) -> str:
        value = self._value
        shown = "<traced>" if isinstance(value, Tracer) else np.asarray(value)
        return (
            f"<Variable path={self._path}, shape={tuple(value.shape)}, "
            f"dtype={_dtype_name(value.dtype)}, trainable={self._trainable}, value={shown}>"
        )

    def __reduce__(self) -> Any:
        return (
            _rebuild_variable,
            (np.asarray(self._value), self._name, self._path, self._trainable),
        )


def _rebuild_variable(value: np.ndarray, name: str, path: str, trainable: bool) -> Variable:
    var = Variable(value, name=name, trainable=trainable)
    var._path = path
    return var


def _unwrap(value: Any) -> Any:
    return value.value if isinstance(value, Variable) else value


def _binary(op: Any, reflected: bool = False) -> Any:
    if reflected:

        def method(self: Variable, other: Any) -> Any:
            return op(_unwrap(other), self.value)

    else:

        def method(self: Variable, other: Any) -> Any:
            return op(self.value, _unwrap(other))

    return method


def _install_operators() -> None:
    import operator

    binary = {
        "add": operator.add,
        "sub": operator.sub,
        "mul": operator.mul,
        "truediv": operator.truediv,
        "floordiv": operator.floordiv,
        "mod": operator.mod,
        "pow": operator.pow,
        "matmul": operator.matmul,
        "divmod": divmod,
        "and": operator.and_,
        "or": operator.or_,
        "xor": operator.xor,
        "lshift": operator.lshift,
        "rshift": operator.rshift,
    }
    for name, op in binary.items():
        setattr(Variable, f"__{name}__", _binary(op))
        setattr(Variable, f"__r{name}__", _binary(op, reflected=True))
    # Comparisons are element-wise, as on arrays (and TF/Keras variables); Python reflects
    # them itself (`2.0 < v` calls `v.__gt__(2.0)`). Set after the class body, so that
    # variables keep their identity hash: they stay usable as dict keys and in sets.
    comparisons = {
        "lt": operator.lt,
        "le": operator.le,
        "gt": operator.gt,
        "ge": operator.ge,
        "eq": operator.eq,
        "ne": operator.ne,
    }
    for name, op in comparisons.items():
        setattr(Variable, f"__{name}__", _binary(op))
    Variable.__neg__ = lambda self: -self.value  # type: ignore[method-assign]
    Variable.__pos__ = lambda self: +self.value  # type: ignore[method-assign]
    Variable.__abs__ = lambda self: abs(self.value)  # type: ignore[method-assign]
    Variable.__invert__ = lambda self: ~self.value  # type: ignore[method-assign]


_install_operators()


def _initial_array(initial_value: Any, shape: Any, dtype: Any, path: str) -> tuple[Any, bool]:
    """Returns (concrete array, whether the array is ours alone)."""
    owns = False
    if isinstance(initial_value, Variable):
        initial_value = initial_value.value
    if callable(initial_value) and not hasattr(initial_value, "shape"):
        with jax.ensure_compile_time_eval():
            if shape is not None:
                initial_value = initial_value(tuple(shape), dtype)
            else:
                initial_value = initial_value()
        # Not owned yet: an initializer may return an array its caller still holds (a
        # closure over given weights). A fresh one is found unshared, and so donated without
        # a copy, by the first compiled call that updates it (`function._own_buffers`).
    if isinstance(initial_value, Tracer):
        raise ValueError(
            f"Variable '{path}' was created from a traced value. Variables must be created with "
            "concrete values: create them in `__init__` or `build()`, or from an initializer "
            "(which layerax evaluates eagerly even while tracing)."
        )
    if not isinstance(initial_value, jax.Array):
        with jax.ensure_compile_time_eval():
            value = jnp.asarray(initial_value, dtype=dtype)
            if value.weak_type:
                value = jax.lax.convert_element_type(value, value.dtype)
        owns = True
    elif dtype is not None and initial_value.dtype != jnp.dtype(dtype):
        with jax.ensure_compile_time_eval():
            value = initial_value.astype(dtype)
        owns = True
    else:
        value = initial_value
    if shape is not None and tuple(value.shape) != tuple(shape):
        raise ValueError(
            f"Variable '{path}': the initial value has shape {tuple(value.shape)} but "
            f"shape={tuple(shape)} was requested."
        )
    return value, owns


# ------------------------------------------------------------------ pytree
class _VariableMeta:
    """Pytree aux data of a Variable: equal for variables of the same kind."""

    __slots__ = ("template", "key", "_hash")

    def __init__(self, template: Variable) -> None:
        self.template = template
        self.key = (template._trainable,)
        self._hash = hash(self.key)

    def __eq__(self, other: object) -> bool:
        return self is other or (isinstance(other, _VariableMeta) and self.key == other.key)

    def __hash__(self) -> int:
        return self._hash

    def __repr__(self) -> str:
        return f"Variable(trainable={self.key[0]})"


def copy_variable(template: Variable, value: Any, tracing: bool | None = None) -> Variable:
    """A detached copy of `template` holding `value` (used by pytree unflattening).

    What it holds, and where it is made, decide what it is: made with a concrete array
    outside any JAX trace (a model returned by `jax.jit`, or by an eager `jax.tree.map`)
    it is a live variable like any other; made with a tracer, or while JAX traces, it
    lives only inside that trace (`core.state.is_trace_local`), even if it is later
    assigned a concrete value there. `tracing` is `jax_is_tracing()`, when the caller
    already knows it (once per unflattened layer rather than per variable).
    """
    new = object.__new__(Variable)
    new._value = value
    new._name = template._name
    new._path = template._path
    new._trainable = template._trainable
    new.regularizer = template.regularizer
    new.constraint = template.constraint
    new._in_scope = 0
    # The leaf may be shared (jax.tree.map(lambda x: x, ...), or an output jax.jit forwarded
    # from its input): never donate it without a copy.
    new._owns_buffer = False
    if tracing is None:
        tracing = jax_is_tracing()
    new._trace_local = tracing or isinstance(value, Tracer)
    new._meta = None
    new._autocast = template._autocast
    new._sharding = None
    return new


def _flatten_variable(var: Variable) -> tuple[tuple[Any], _VariableMeta]:
    meta = var._meta
    if meta is None:
        meta = var._meta = _VariableMeta(var)
    return (var.value,), meta


def _unflatten_variable(meta: _VariableMeta, children: Any) -> Variable:
    return copy_variable(meta.template, children[0])


jax.tree_util.register_pytree_node(Variable, _flatten_variable, _unflatten_variable)
