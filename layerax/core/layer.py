"""`lx.Layer`: the Keras 3 layer contract on JAX."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from typing import Any

import jax
import numpy as np

from layerax import dtype_policies
from layerax import initializers as _initializers
from layerax import regularizers as _regularizers
from layerax import constraints as _constraints
from layerax.core import naming, pytree
from layerax.core.context import CTX, bump_structure_version
from layerax.core.input_spec import assert_input_compatibility
from layerax.core.random import SeedGenerator
from layerax.core.state import StateScope
from layerax.core.tracking import TrackedDict, TrackedList, wrap_container
from layerax.core.variable import Variable
from layerax.function import register_stateful_type

_ALLOWED_KWARGS = frozenset(
    {"input_dim", "input_shape", "batch_input_shape", "batch_size", "weights", "input_length"}
)

_FORGOT_SUPER = (
    "In layer '{cls}', you forgot to call `super().__init__()` as the first statement in "
    "the `__init__()` method. Go add it!"
)

# Hook for symbolic (functional API) calls, installed by layerax.models.symbolic:
# `check(args, kwargs)` says whether a call is symbolic, `call(layer, args, kwargs)`
# records it, `attr(layer, name)` answers `layer.input`/`output`/`input_shape`/`output_shape`.
SYMBOLIC: dict[str, Callable[..., Any] | None] = {"check": None, "call": None, "attr": None}


def _symbolic_property(attr: str, doc: str) -> property:
    """A read-mostly property answered by the functional API's bookkeeping.

    A value assigned by a subclass (e.g. `self.output = Dense(2)`) is stored in
    the instance and wins, so user attributes of these names keep working.
    """

    def getter(self: Any) -> Any:
        if attr in self.__dict__:
            return self.__dict__[attr]
        hook = SYMBOLIC["attr"]
        if hook is None:
            raise AttributeError(f"Layer '{self.name}' has no attribute '{attr}'.")
        return hook(self, attr)

    def setter(self: Any, value: Any) -> None:
        self.__dict__[attr] = value

    def deleter(self: Any) -> None:
        self.__dict__.pop(attr, None)

    return property(getter, setter, deleter, doc)


class _CallInfo:
    """What a layer class's `call` signature accepts, computed once per class."""

    __slots__ = ("params", "has_var_kwargs", "accepts_training", "accepts_mask", "training_default",
                 "training_index", "first_arg")

    def __init__(self, call: Callable[..., Any]) -> None:
        sig = inspect.signature(call)
        params = [p for p in sig.parameters.values() if p.name != "self"]
        self.params = params
        self.has_var_kwargs = any(p.kind is p.VAR_KEYWORD for p in params)
        names = [p.name for p in params]
        self.accepts_training = "training" in names or self.has_var_kwargs
        self.accepts_mask = "mask" in names
        self.training_default = None
        self.training_index = None
        for i, p in enumerate(params):
            if p.name == "training":
                if p.default is not inspect.Parameter.empty:
                    self.training_default = p.default
                if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
                    self.training_index = i
        self.first_arg = names[0] if names else None


def _shape_tree(x: Any) -> Any:
    """Shapes (tuples) of the arrays in a nested structure."""
    if isinstance(x, list):
        return [_shape_tree(v) for v in x]
    if isinstance(x, tuple):
        return tuple(_shape_tree(v) for v in x)
    if isinstance(x, dict):
        return {k: _shape_tree(v) for k, v in x.items()}
    shape = getattr(x, "shape", None)
    if shape is None:
        if isinstance(x, (int, float, bool)):
            return ()
        return None
    return tuple(shape)


def _dtype_tree(x: Any) -> Any:
    """Dtype names of the arrays in a nested structure (None where there is no array)."""
    if isinstance(x, (list, tuple)):
        return [_dtype_tree(v) for v in x]
    if isinstance(x, dict):
        return {k: _dtype_tree(v) for k, v in x.items()}
    dtype = getattr(x, "dtype", None)
    if dtype is None:
        return None
    try:
        return np.dtype(dtype).name
    except TypeError:
        return str(dtype)


def _is_json_basic(value: Any) -> bool:
    if value is None or isinstance(value, (bool, int, float, str)):
        return True
    if isinstance(value, (list, tuple)):
        return all(_is_json_basic(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_json_basic(v) for k, v in value.items())
    return False


class Layer:
    """The base class of all layers: state (weights) plus computation (`call`).

    Subclasses create weights in `__init__` or, better, in `build(input_shape)`
    with `add_weight`, and define the computation in `call(inputs,
    training=None, mask=None)`. Calling the layer builds it on the first call,
    propagates `training` to nested layers and clears the losses of the
    previous forward pass.

    A layer is a JAX pytree whose leaves are its variable values, so it can be
    passed straight to `jax.jit`, `jax.grad` and `jax.vmap`.

    Args:
        name: Layer name; unique by default (`dense`, `dense_1`, ...).
        trainable: Whether the layer's weights are trained.
        dtype: Dtype policy or dtype of the weights and computations.
        autocast: Whether floating inputs are cast to the compute dtype.
        activity_regularizer: Regularizer applied to the layer's outputs.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> class Linear(lx.layers.Layer):
        ...     def __init__(self, units=4, **kwargs):
        ...         super().__init__(**kwargs)
        ...         self.units = units
        ...     def build(self, input_shape):
        ...         self.w = self.add_weight(shape=(input_shape[-1], self.units),
        ...                                  initializer="random_normal")
        ...         self.b = self.add_weight(shape=(self.units,), initializer="zeros")
        ...     def call(self, inputs):
        ...         return jnp.matmul(inputs, self.w) + self.b
        >>> layer = Linear(4)
        >>> layer(jnp.ones((2, 3))).shape
        (2, 4)
        >>> [w.path for w in layer.weights]
        ['linear/variable', 'linear/variable_1']
    """

    _lx_call_info: _CallInfo | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        pytree.register_layer_class(cls)
        cls._lx_call_info = None
        if "build" in cls.__dict__:
            cls.build = _wrap_build(cls.__dict__["build"])  # type: ignore[method-assign]

    def __new__(cls, *args: Any, **kwargs: Any) -> Layer:
        obj = super().__new__(cls)
        object.__setattr__(obj, "_auto_config", _capture_auto_config(cls, args, kwargs))
        return obj

    def __init__(
        self,
        *,
        activity_regularizer: Any = None,
        trainable: bool = True,
        dtype: Any = None,
        autocast: bool = True,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        unknown = set(kwargs) - _ALLOWED_KWARGS
        if unknown:
            raise ValueError(
                f"Unrecognized keyword arguments passed to {type(self).__name__}: "
                f"{ {k: kwargs[k] for k in sorted(unknown)} }"
            )
        if name is not None and not isinstance(name, str):
            raise TypeError(f"A layer name must be a string. Received: name={name!r}")
        init = object.__setattr__
        init(self, "_lx_initialized", True)
        init(self, "_lx_cache", {})
        init(self, "name", name or naming.auto_name(type(self).__name__))
        init(self, "_trainable", bool(trainable))
        init(self, "built", False)
        init(self, "_dtype_policy", dtype_policies.get(dtype))
        init(self, "autocast", autocast)
        init(self, "_losses", [])
        init(self, "_lx_added_metrics", [])
        init(self, "_trainable_vars", [])
        init(self, "_non_trainable_vars", [])
        init(self, "_seed_generators", [])
        init(self, "supports_masking", False)
        init(self, "input_spec", None)
        init(self, "activity_regularizer", _regularizers.get(activity_regularizer))
        init(self, "_build_shapes", None)
        input_shape = kwargs.get("input_shape")
        if input_shape is None and kwargs.get("input_dim") is not None:
            input_shape = (kwargs["input_dim"],)
        if input_shape is None and kwargs.get("batch_input_shape") is not None:
            input_shape = tuple(kwargs["batch_input_shape"])[1:]
        init(self, "_lx_input_shape_arg", tuple(input_shape) if input_shape is not None else None)
        bump_structure_version()

    # ------------------------------------------------------------ tracking
    def __setattr__(self, name: str, value: Any) -> None:
        if "_lx_initialized" not in self.__dict__ and _needs_tracking(value):
            raise RuntimeError(_FORGOT_SUPER.format(cls=type(self).__name__))
        if type(value) in (list, dict) or (type(value) is tuple and _needs_tracking(value)):
            value = wrap_container(value)
        if _needs_tracking(value):
            self._track(value)
        object.__setattr__(self, name, value)
        bump_structure_version()

    def __delattr__(self, name: str) -> None:
        value = self.__dict__.get(name)
        object.__delattr__(self, name)
        for var in _variables_in(value):
            for own in (self._trainable_vars, self._non_trainable_vars):
                if any(v is var for v in own):
                    own[:] = [v for v in own if v is not var]
        if isinstance(value, SeedGenerator):
            self._seed_generators[:] = [g for g in self._seed_generators if g is not value]
        bump_structure_version()

    def _track(self, value: Any) -> None:
        for var in _variables_in(value):
            self._track_variable(var)
        for gen in _seed_generators_in(value):
            if not any(g is gen for g in self._seed_generators):
                self._seed_generators.append(gen)

    def _track_variable(self, var: Variable) -> None:
        if any(v is var for v in self._trainable_vars) or any(
            v is var for v in self._non_trainable_vars
        ):
            return
        (self._trainable_vars if var.trainable else self._non_trainable_vars).append(var)

    def _cache(self) -> dict[str, Any]:
        cache = self.__dict__["_lx_cache"]
        if cache.get("version") != CTX.structure_version:
            cache.clear()
            cache["version"] = CTX.structure_version
        return cache

    def _direct_sublayers(self) -> list[Layer]:
        cache = self._cache()
        found = cache.get("sublayers")
        if found is None:
            found = []
            seen = {id(self)}
            for attr, value in self.__dict__.items():
                if attr.startswith("_lx_"):
                    continue
                _collect_layers(value, found, seen)
            cache["sublayers"] = found
        return found

    def _flatten_layers(self, include_self: bool = True, recursive: bool = True) -> list[Layer]:
        """This layer and its sub-layers, depth first, each once."""
        cache = self._cache()
        key = ("flat", include_self, recursive)
        found = cache.get(key)
        if found is None:
            found = [self] if include_self else []
            seen = {id(self)}
            stack = list(reversed(self._direct_sublayers()))
            while stack:
                layer = stack.pop()
                if id(layer) in seen:
                    continue
                seen.add(id(layer))
                found.append(layer)
                if recursive:
                    stack.extend(reversed(layer._direct_sublayers()))
            cache[key] = found
        return found

    def _own_weights(self) -> list[Variable]:
        own = list(self._trainable_vars) + list(self._non_trainable_vars)
        # Variables appended to tracked containers after assignment.
        seen = {id(v) for v in own}
        seen.update(id(g.state) for g in self._seed_generators)
        for attr, value in self.__dict__.items():
            if attr.startswith("_lx_") or attr in ("_trainable_vars", "_non_trainable_vars"):
                continue
            if isinstance(value, (TrackedList, TrackedDict, tuple)):
                for var in _variables_in(value):
                    if id(var) not in seen:
                        seen.add(id(var))
                        own.append(var)
        return own

    # ------------------------------------------------------------- weights
    @property
    def weights(self) -> list[Variable]:
        """All weights (trainable, then non-trainable, per layer, depth first), each once."""
        cache = self._cache()
        found = cache.get("weights")
        if found is None:
            found, seen = [], set()
            for var in self._own_weights():
                if id(var) not in seen:
                    seen.add(id(var))
                    found.append(var)
            for layer in self._direct_sublayers():
                for var in layer.weights:
                    if id(var) not in seen:
                        seen.add(id(var))
                        found.append(var)
            cache["weights"] = found
        return list(found)

    @property
    def trainable_weights(self) -> list[Variable]:
        if not self.trainable:
            return []
        return [v for v in self.weights if v.trainable]

    @property
    def non_trainable_weights(self) -> list[Variable]:
        if not self.trainable:
            return self.weights
        return [v for v in self.weights if not v.trainable]

    @property
    def variables(self) -> list[Variable]:
        """Weights plus random-seed states (Keras 3's `variables`)."""
        cache = self._cache()
        found = cache.get("variables")
        if found is None:
            found, seen = [], set()
            for var in self._own_weights():
                if id(var) not in seen:
                    seen.add(id(var))
                    found.append(var)
            for gen in self._seed_generators:
                if id(gen.state) not in seen:
                    seen.add(id(gen.state))
                    found.append(gen.state)
            for layer in self._direct_sublayers():
                for var in layer.variables:
                    if id(var) not in seen:
                        seen.add(id(var))
                        found.append(var)
            cache["variables"] = found
        return list(found)

    @property
    def trainable_variables(self) -> list[Variable]:
        cache = self._cache()
        found = cache.get("trainable_variables")
        if found is None:
            found = cache["trainable_variables"] = (
                [v for v in self.variables if v.trainable] if self.trainable else []
            )
        return list(found)

    @property
    def non_trainable_variables(self) -> list[Variable]:
        cache = self._cache()
        found = cache.get("non_trainable_variables")
        if found is None:
            found = cache["non_trainable_variables"] = (
                [v for v in self.variables if not v.trainable] if self.trainable else self.variables
            )
        return list(found)

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        value = bool(value)
        object.__setattr__(self, "_trainable", value)
        for var in self._trainable_vars:
            var.trainable = value
        for layer in self._direct_sublayers():
            layer.trainable = value
        bump_structure_version()

    def get_weights(self) -> list[np.ndarray]:
        """The weight values as numpy arrays, in `weights` order."""
        return [np.array(v.value) for v in self.weights]

    def set_weights(self, weights: Sequence[Any]) -> None:
        """Sets the weights from a list of arrays in `weights` order.

        Raises:
            ValueError: if the list has the wrong length or an array the wrong
                shape; no weight is changed then.
        """
        own = self.weights
        weights = list(weights)
        if len(weights) != len(own):
            raise ValueError(
                f"Layer '{self.name}' expects {len(own)} weight arrays in set_weights(), but "
                f"received {len(weights)}. Pass a list in the order of `layer.weights`: "
                f"{[v.path for v in own]}"
            )
        prepared = []
        for index, (var, value) in enumerate(zip(own, weights)):
            shape = tuple(np.shape(value))
            if shape != var.shape:
                raise ValueError(
                    f"Layer '{self.name}': weight {index} ('{var.path}') has shape {var.shape}, "
                    f"but set_weights() received an array of shape {shape}. Nothing was changed."
                )
            prepared.append(var._prepare(value))
        for var, value in zip(own, prepared):
            var.assign(value)

    # ---------------------------------------------------------- add_weight
    def add_weight(
        self,
        shape: Any = None,
        initializer: Any = None,
        dtype: Any = None,
        trainable: bool = True,
        autocast: bool = True,
        regularizer: Any = None,
        constraint: Any = None,
        aggregation: str = "none",
        overwrite_with_gradient: bool = False,
        name: str | None = None,
    ) -> Variable:
        """Creates a weight variable owned by this layer.

        A string first argument is read as the name (the TF2-era
        `add_weight(name, shape, dtype)` form).

        Args:
            shape: Shape tuple (`()` by default).
            initializer: Name, instance or callable; `"glorot_uniform"` for
                floats and `"zeros"` otherwise by default.
            dtype: Dtype; the layer's variable dtype by default.
            trainable: Whether optimizers train it.
            autocast: Kept for Keras compatibility.
            regularizer: Name or instance; its penalty joins `layer.losses`.
            constraint: Name or instance; applied after each optimizer step.
            aggregation: Kept for Keras compatibility.
            overwrite_with_gradient: Kept for Keras compatibility.
            name: Name of the weight.
        """
        if "_lx_initialized" not in self.__dict__:
            raise RuntimeError(_FORGOT_SUPER.format(cls=type(self).__name__))
        if isinstance(shape, str):
            # TF2-era positional order: (name, shape, dtype, ...).
            name, shape = shape, initializer
            initializer = None
        shape = () if shape is None else shape
        try:
            shape = tuple(int(d) for d in shape)
        except TypeError as err:
            raise TypeError(
                f"Layer '{self.name}': add_weight() expects `shape` to be a tuple of integers. "
                f"Received: shape={shape!r}"
            ) from err
        if any(d is None or d < 0 for d in shape):
            raise ValueError(
                f"Layer '{self.name}': cannot create a weight with an undefined or negative "
                f"dimension. Received: shape={shape}"
            )
        dtype = dtype or self.variable_dtype
        if initializer is None:
            floating = jax.numpy.issubdtype(jax.numpy.dtype(dtype), jax.numpy.floating)
            initializer = "glorot_uniform" if floating else "zeros"
        init = _initializers.get(initializer)
        with naming.name_scope(self.name):
            var = Variable(
                init,
                name=name,
                trainable=trainable,
                dtype=dtype,
                shape=shape,
                regularizer=_regularizers.get(regularizer),
                constraint=_constraints.get(constraint),
            )
        self._track_variable(var)
        bump_structure_version()
        return var

    def add_variable(self, *args: Any, **kwargs: Any) -> Variable:
        """Alias of `add_weight` (also in the TF2 form `add_variable('w', [2, 3])`)."""
        return self.add_weight(*args, **kwargs)

    # ------------------------------------------------------------- dtypes
    @property
    def dtype_policy(self) -> dtype_policies.DTypePolicy:
        return self._dtype_policy

    @dtype_policy.setter
    def dtype_policy(self, value: Any) -> None:
        object.__setattr__(self, "_dtype_policy", dtype_policies.get(value))
        bump_structure_version()

    @property
    def dtype(self) -> str:
        """The dtype of the layer's variables."""
        return self._dtype_policy.variable_dtype

    @property
    def variable_dtype(self) -> str:
        return self._dtype_policy.variable_dtype

    @property
    def compute_dtype(self) -> str:
        return self._dtype_policy.compute_dtype

    # -------------------------------------------------------------- build
    def build(self, input_shape: Any = None) -> None:
        """Creates the layer's weights from the shape of its first input.

        The default creates nothing. It is called once, by the first call.
        """
        object.__setattr__(self, "built", True)

    def _maybe_build(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        if self.built:
            return
        shapes = _build_shapes(self, args, kwargs)
        object.__setattr__(self, "_build_shapes", shapes)
        # The dtypes of the first input, so that a saved model can be rebuilt from its
        # config with inputs of the same kind (e.g. integer token ids).
        first = args[0] if args else None
        object.__setattr__(self, "_lx_build_dtypes", _dtype_tree(first) if first is not None else None)
        with naming.name_scope(self.name):
            if isinstance(shapes, dict) and _build_takes_named_shapes(self):
                self.build(**shapes)
            else:
                # One input, possibly a dict of arrays: its shapes as one argument.
                self.build(shapes)
        object.__setattr__(self, "built", True)

    # --------------------------------------------------------------- call
    def call(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        """The layer's computation. Subclasses override it."""
        raise NotImplementedError(
            f"Layer '{self.name}' ({type(self).__name__}) does not implement `call()`. "
            "Define `def call(self, inputs):` in your subclass."
        )

    @classmethod
    def _call_info(cls) -> _CallInfo:
        info = cls.__dict__.get("_lx_call_info")
        if info is None:
            info = _CallInfo(cls.call)
            cls._lx_call_info = info
        return info

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if "_lx_initialized" not in self.__dict__:
            raise RuntimeError(_FORGOT_SUPER.format(cls=type(self).__name__))
        check = SYMBOLIC["check"]
        if check is not None and check(args, kwargs):
            return SYMBOLIC["call"](self, args, kwargs)  # type: ignore[misc]
        info = self._call_info()
        training = kwargs.pop("training", None)
        if training is None and info.training_index is not None and len(args) > info.training_index:
            training = args[info.training_index]
            args = args[: info.training_index] + args[info.training_index + 1 :]
        if training is None:
            training = CTX.call_training
        if training is None:
            training = info.training_default
        if "mask" in kwargs and not (info.accepts_mask or info.has_var_kwargs):
            kwargs.pop("mask")
        if self.input_spec is not None and args:
            assert_input_compatibility(self.input_spec, args[0], self.name)
        outer_training = CTX.call_training
        if CTX.call_depth == 0:
            self._clear_losses()
        CTX.call_depth += 1
        CTX.call_training = training
        try:
            with naming.name_scope(self.name):
                if not self.built:
                    self._maybe_build(args, kwargs)
                if training is not None and info.accepts_training:
                    kwargs["training"] = training
                args, kwargs = self._convert_inputs(args, kwargs)
                outputs = self.call(*args, **kwargs)
                if self.activity_regularizer is not None:
                    self._add_activity_loss(outputs)
        finally:
            CTX.call_depth -= 1
            CTX.call_training = outer_training
        return outputs

    def _convert_inputs(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, Any]:
        """Hook for input casting (mixed precision); identity by default."""
        return args, kwargs

    def _add_activity_loss(self, outputs: Any) -> None:
        for out in jax.tree_util.tree_leaves(outputs):
            batch = out.shape[0] if getattr(out, "ndim", 0) else 1
            self.add_loss(self.activity_regularizer(out) / batch)

    # -------------------------------------------------------------- losses
    def add_loss(self, loss: Any) -> None:
        """Adds a loss tensor created in the forward pass (collected by `losses`)."""
        self._set_losses([*self._losses, loss])

    def _set_losses(self, losses: list[Any]) -> None:
        self._set_forward_attr("_losses", losses)

    def _set_forward_attr(self, attr: str, value: list[Any]) -> None:
        if CTX.scopes:
            CTX.scopes[-1].save_attr(self, attr)
        object.__setattr__(self, attr, value)

    def _clear_losses(self) -> None:
        """Clears the forward-pass losses and metrics of this layer and its sub-layers."""
        for layer in self._flatten_layers():
            if layer._losses:
                layer._set_losses([])
            if layer.__dict__.get("_lx_added_metrics"):
                layer._set_forward_attr("_lx_added_metrics", [])

    def add_metric(self, value: Any, name: str | None = None, aggregation: str = "mean") -> None:
        """Reports a metric computed in the forward pass (TF2 Keras' `add_metric`).

        `fit` and `evaluate` show it in their logs and History under `name`,
        averaged (`aggregation="mean"`) or summed (`"sum"`) over the epoch.

        Args:
            value: A scalar or array; arrays are averaged over their elements.
            name: Name in the logs (required).
            aggregation: `"mean"` or `"sum"`.

        Example:
            >>> import layerax as lx, jax.numpy as jnp
            >>> class Probe(lx.layers.Layer):
            ...     def call(self, x):
            ...         self.add_metric(jnp.mean(x), name="mean_activation")
            ...         return x
            >>> layer = Probe()
            >>> _ = layer(jnp.ones((2, 2)))
            >>> [(name, float(v)) for name, v, _ in layer.added_metrics]
            [('mean_activation', 1.0)]
        """
        if not name or not isinstance(name, str):
            raise ValueError(
                f"Layer '{self.name}': add_metric() needs a `name` for the logs, e.g. "
                "`self.add_metric(value, name='mean_activation')`."
            )
        if aggregation not in ("mean", "sum"):
            raise ValueError(
                f"Layer '{self.name}': add_metric() aggregation must be 'mean' or 'sum'. "
                f"Received: aggregation={aggregation!r}"
            )
        current = self.__dict__.get("_lx_added_metrics", [])
        self._set_forward_attr("_lx_added_metrics", [*current, (name, value, aggregation)])

    @property
    def added_metrics(self) -> list[tuple[str, Any, str]]:
        """`(name, value, aggregation)` of `add_metric` calls in the last forward pass."""
        found: list[tuple[str, Any, str]] = []
        for layer in self._flatten_layers():
            found.extend(layer.__dict__.get("_lx_added_metrics", ()))
        return found

    @property
    def losses(self) -> list[Any]:
        """Losses of the last forward pass (this layer and sub-layers) plus weight penalties."""
        found: list[Any] = []
        for layer in self._flatten_layers():
            found.extend(layer._losses)
        for var in self.trainable_weights:
            if var.regularizer is not None:
                found.append(var.regularizer(var))
        return found

    # ---------------------------------------------------------- stateless
    def stateless_call(
        self,
        trainable_variables: Sequence[Any],
        non_trainable_variables: Sequence[Any],
        *args: Any,
        return_losses: bool = False,
        **kwargs: Any,
    ) -> Any:
        """Calls the layer as a pure function of the given variable values.

        Args:
            trainable_variables: Values for `layer.trainable_variables`, in order.
            non_trainable_variables: Values for `layer.non_trainable_variables`.
            *args: Call arguments.
            return_losses: Also return the losses of the call.
            **kwargs: Call keyword arguments (e.g. `training=True`).

        Returns:
            `(outputs, new_non_trainable_values)`, plus the list of losses when
            `return_losses=True`. The layer itself is left untouched, so this
            can be used inside `jax.jit`, `jax.grad` and `jax.vmap`.

        Example:
            >>> import layerax as lx, jax, jax.numpy as jnp
            >>> layer = lx.layers.Dense(2)
            >>> _ = layer(jnp.ones((1, 3)))
            >>> tv = [v.value for v in layer.trainable_variables]
            >>> out, ntv = jax.jit(lambda tv, x: layer.stateless_call(tv, [], x))(tv, jnp.ones((1, 3)))
            >>> out.shape
            (1, 2)
        """
        if not self.built:
            raise ValueError(
                f"To call stateless_call, layer '{self.name}' must be built (its variables must "
                "exist). Build it by calling it once on data of the right shape."
            )
        trainable = self.trainable_variables
        non_trainable = self.non_trainable_variables
        trainable_values = list(trainable_variables)
        non_trainable_values = list(non_trainable_variables)
        for what, variables, values in (
            ("trainable_variables", trainable, trainable_values),
            ("non_trainable_variables", non_trainable, non_trainable_values),
        ):
            if len(values) != len(variables):
                raise ValueError(
                    f"Layer '{self.name}': stateless_call() expected {len(variables)} "
                    f"{what} values but received {len(values)}. Pass the values in the order "
                    f"of `layer.{what}`."
                )
            for var, value in zip(variables, values):
                shape = tuple(np.shape(value))
                if shape != var.shape:
                    raise ValueError(
                        f"Layer '{self.name}': stateless_call() got a value of shape {shape} for "
                        f"variable '{var.path}', which has shape {var.shape}."
                    )
        outputs, new_non_trainable, losses, _ = self._lx_stateless_forward(
            trainable, non_trainable, trainable_values + non_trainable_values, args, kwargs
        )
        if return_losses:
            return outputs, new_non_trainable, losses
        return outputs, new_non_trainable

    def _lx_stateless_forward(
        self, trainable: list[Variable], non_trainable: list[Variable], values: list[Any],
        args: tuple[Any, ...], kwargs: dict[str, Any],
    ) -> tuple[Any, list[Any], list[Any], list[tuple[str, Any, str]]]:
        """The bridge behind stateless_call: outputs, new non-trainable values, losses and
        `add_metric` values of one forward pass."""
        with StateScope(trainable + non_trainable, values) as scope:
            self._clear_losses()
            outputs = self(*args, **kwargs)
            losses = self.losses
            added = self.added_metrics
        return outputs, scope.values_out[len(trainable) :], losses, added

    # ------------------------------------------------------------- shapes
    def compute_output_shape(self, *args: Any, **kwargs: Any) -> Any:
        """Output shape(s) for input shape(s), by tracing `call` abstractly."""
        from layerax.core.shape_inference import infer_output_shape

        return infer_output_shape(self, args, kwargs)

    def compute_output_spec(self, *args: Any, **kwargs: Any) -> Any:
        """Output `jax.ShapeDtypeStruct`(s) for input specs, by tracing `call` abstractly."""
        from layerax.core.shape_inference import infer_output_spec

        return infer_output_spec(self, args, kwargs)

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        """The mask of the outputs: the input mask when the layer supports masking."""
        return previous_mask if self.supports_masking else None

    # ------------------------------------------------------ functional API
    input = _symbolic_property(
        "input", "The symbolic input(s) of the layer's first call on symbolic tensors."
    )
    output = _symbolic_property(
        "output", "The symbolic output(s) of the layer's first call on symbolic tensors."
    )
    input_shape = _symbolic_property(
        "input_shape", "The shape(s) of `input` (raises AttributeError before a symbolic call)."
    )
    output_shape = _symbolic_property(
        "output_shape", "The shape(s) of `output` (raises AttributeError before a symbolic call)."
    )

    # ------------------------------------------------------------- config
    def get_config(self) -> dict[str, Any]:
        """The layer's configuration, from which `from_config` rebuilds it."""
        config: dict[str, Any] = {
            "name": self.name,
            "trainable": self.trainable,
            "dtype": self._dtype_policy.name,
        }
        overridden = type(self).get_config is not Layer.get_config
        if overridden:
            return config
        auto = self.__dict__.get("_auto_config")
        if auto is not None:
            config = {k: v for k, v in config.items() if _init_accepts(type(self), k)}
            config.update(auto)
            return config
        if _init_takes_args(type(self)):
            raise NotImplementedError(
                f"Layer {type(self).__name__} has arguments in `__init__` that cannot be "
                "serialized automatically. Implement `get_config()` returning them, e.g. "
                "`return {**super().get_config(), 'units': self.units}`."
            )
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Layer:
        """Creates a layer from `get_config()`'s output."""
        try:
            return cls(**config)
        except TypeError as err:
            raise TypeError(
                f"Error when deserializing class '{cls.__name__}' using config={config}. "
                f"{err}. Implement `from_config()` (or make `__init__` accept every key of "
                "`get_config()`)."
            ) from err

    # ---------------------------------------------------------- pytree
    def _lx_pytree(self) -> tuple[list[Variable], pytree.LayerTreeDef]:
        cache = self._cache()
        entry = cache.get("pytree")
        if entry is None:
            variables = self.variables
            treedef = pytree.LayerTreeDef(self, variables)
            previous = self.__dict__.get("_lx_treedef")
            if previous is not None and previous == treedef:
                treedef = previous
            object.__setattr__(self, "_lx_treedef", treedef)
            entry = cache["pytree"] = (variables, treedef)
        return entry

    # -------------------------------------------------------------- misc
    def count_params(self) -> int:
        """Total number of scalars in the weights."""
        if not self.built and not self.weights:
            raise ValueError(
                f"You tried to call `count_params` on layer '{self.name}', but the layer isn't "
                "built. Build it first by calling it on data."
            )
        return int(sum(np.prod(v.shape) for v in self.weights))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


# ------------------------------------------------------------------ helpers
def _needs_tracking(value: Any) -> bool:
    if isinstance(value, (Layer, Variable, SeedGenerator)):
        return True
    if isinstance(value, (list, tuple, dict)):
        items = value.values() if isinstance(value, dict) else value
        return isinstance(value, (TrackedList, TrackedDict)) or any(
            _needs_tracking(v) for v in items
        )
    return False


def _variables_in(value: Any) -> list[Variable]:
    if isinstance(value, Variable):
        return [value]
    if isinstance(value, (list, tuple)):
        return [v for item in value for v in _variables_in(item)]
    if isinstance(value, dict):
        return [v for item in value.values() for v in _variables_in(item)]
    return []


def _seed_generators_in(value: Any) -> list[SeedGenerator]:
    if isinstance(value, SeedGenerator):
        return [value]
    if isinstance(value, (list, tuple)):
        return [g for item in value for g in _seed_generators_in(item)]
    if isinstance(value, dict):
        return [g for item in value.values() for g in _seed_generators_in(item)]
    return []


def _collect_layers(value: Any, found: list[Layer], seen: set[int]) -> None:
    if isinstance(value, Layer):
        if id(value) not in seen:
            seen.add(id(value))
            found.append(value)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _collect_layers(item, found, seen)
    elif isinstance(value, dict):
        for item in value.values():
            _collect_layers(item, found, seen)


def _wrap_build(build: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(build)
    def wrapped(self: Layer, *args: Any, **kwargs: Any) -> Any:
        if "_lx_initialized" not in self.__dict__:
            raise RuntimeError(_FORGOT_SUPER.format(cls=type(self).__name__))
        with naming.name_scope(self.name):
            out = build(self, *args, **kwargs)
        object.__setattr__(self, "built", True)
        bump_structure_version()
        return out

    wrapped._lx_wrapped = True  # type: ignore[attr-defined]
    return wrapped


def _build_takes_named_shapes(layer: Layer) -> bool:
    """Whether `build` has the `build(self, query_shape, value_shape)` form."""
    params = [p.name for p in inspect.signature(type(layer).build).parameters.values() if p.name != "self"]
    return len(params) > 1 and all(p.endswith("_shape") for p in params)


def _build_shapes(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """The `input_shape` argument of build: the first input's shape(s), or a dict of
    `<arg>_shape` entries when `build` names several of the call's array arguments."""
    build = type(layer).build
    build_params = [
        p.name for p in inspect.signature(build).parameters.values() if p.name != "self"
    ]
    first = args[0] if args else (next(iter(kwargs.values())) if kwargs else None)
    if len(build_params) > 1 and all(p.endswith("_shape") for p in build_params):
        info = layer._call_info()
        names = [p.name for p in info.params]
        bound = dict(zip(names, args))
        bound.update(kwargs)
        shapes = {}
        for param in build_params:
            arg = bound.get(param[: -len("_shape")])
            shapes[param] = _shape_tree(arg) if arg is not None else None
        return shapes
    return _shape_tree(first)


@functools.lru_cache(maxsize=None)
def _init_signature(cls: type) -> inspect.Signature | None:
    try:
        return inspect.signature(cls.__init__)
    except (TypeError, ValueError):
        return None


def _init_takes_args(cls: type) -> bool:
    sig = _init_signature(cls)
    if sig is None:
        return False
    return any(
        p.name != "self" and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY, p.POSITIONAL_ONLY)
        and p.name not in ("name", "trainable", "dtype")
        for p in sig.parameters.values()
    )


def _capture_auto_config(cls: type, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    if cls.get_config is not Layer.get_config:
        return None
    sig = _init_signature(cls)
    if sig is None:
        return None
    try:
        bound = sig.bind(None, *args, **kwargs)
    except TypeError:
        return None
    config: dict[str, Any] = {}
    for name, value in list(bound.arguments.items())[1:]:
        param = sig.parameters[name]
        if param.kind is param.VAR_KEYWORD:
            config.update(value)
        elif param.kind is param.VAR_POSITIONAL:
            if value:
                return None
        else:
            config[name] = value
    if not _is_json_basic(config):
        return None
    return config


def _init_accepts(cls: type, key: str) -> bool:
    sig = _init_signature(cls)
    if sig is None:
        return True
    return key in sig.parameters or any(
        p.kind is p.VAR_KEYWORD for p in sig.parameters.values()
    )


pytree.register_layer_class(Layer)
register_stateful_type(Layer)
register_stateful_type(SeedGenerator)
