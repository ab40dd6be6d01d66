"""`lx.Layer`: the Keras 3 layer contract on JAX."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import numpy as np

from layerax.core import autocast, naming, pytree, registry
from layerax.core import dtype_policy as dtype_policies
from layerax.core.context import CTX, bump_structure_version
from layerax.core.input_spec import assert_input_compatibility
from layerax.core.layer import eager_masks
from layerax.core.layer.auto_config import _capture_auto_config, _init_accepts, _init_takes_args
from layerax.core.layer.call_utils import (
    FORGOT_SUPER,
    _build_shapes,
    _build_takes_named_shapes,
    _CallInfo,
    _cast_floats,
    _dtype_tree,
    _relayout,
    _symbolic_property,
    _wrap_build,
    remat_call,
)
from layerax.core.layer.forward_state import ForwardStateMixin
from layerax.core.layer.saving_hooks import SavingHooksMixin
from layerax.core.layer.weights import WeightsMixin
from layerax.core.random import SeedGenerator
from layerax.core.resolvers import resolve
from layerax.core.state import StateScope, register_stateful_type
from layerax.core.variable import Variable

_ALLOWED_KWARGS = frozenset(
    {"input_dim", "input_shape", "batch_input_shape", "batch_size", "weights", "input_length"}
)


class Layer(WeightsMixin, ForwardStateMixin, SavingHooksMixin):
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
    # The lx.RematScope setting in force when the layer was created (None: no remat).
    _remat_mode: Any = None
    _lx_is_layer = True
    # Keras' switch: False leaves the call arguments uncast (layers taking strings, models).
    _convert_input_args: bool = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        pytree.register_layer_class(cls)
        registry.register_layer_class(cls)
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
        init(self, "activity_regularizer", resolve("regularizers", activity_regularizer))
        init(self, "_build_shapes", None)
        input_shape = kwargs.get("input_shape")
        if input_shape is None and kwargs.get("input_dim") is not None:
            input_shape = (kwargs["input_dim"],)
        if input_shape is None and kwargs.get("batch_input_shape") is not None:
            input_shape = tuple(kwargs["batch_input_shape"])[1:]
        init(self, "_lx_input_shape_arg", tuple(input_shape) if input_shape is not None else None)
        if CTX.remat_modes and CTX.remat_modes[-1].mode is not None:
            init(self, "_remat_mode", CTX.remat_modes[-1])
        bump_structure_version()

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

    def __getattr__(self, name: str) -> Any:
        # Only for names the instance and its class lack. A deferred clone (a layer
        # jax.jit returned, core/pytree.py's DeferredClone) builds itself first.
        if type(object.__getattribute__(self, "__dict__")) is pytree.DeferredClone:
            pytree.build_deferred(self)
            return getattr(self, name)
        descriptor = getattr(type(self), name, None)
        if descriptor is not None and hasattr(type(descriptor), "__get__"):
            # A property whose getter raised AttributeError: raise its own message again.
            return descriptor.__get__(self, type(self))
        raise AttributeError(
            f"'{type(self).__name__}' object has no attribute '{name}'", name=name, obj=self
        )

    __getattr__._lx_builds_deferred = True  # type: ignore[attr-defined]

    def __getstate__(self) -> Any:
        # pickle and copy read the attributes of a deferred clone once it is built.
        pytree.build_deferred(self)
        return self.__dict__

    @classmethod
    def _call_info(cls) -> _CallInfo:
        info = cls.__dict__.get("_lx_call_info")
        if info is None:
            info = _CallInfo(cls.call)
            cls._lx_call_info = info
        return info

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if "_lx_initialized" not in self.__dict__:
            raise RuntimeError(FORGOT_SUPER.format(cls=type(self).__name__))
        process = CTX.process
        check = process.symbolic_check
        if check is not None and check(args, kwargs):
            return process.symbolic_call(self, args, kwargs)
        info = self._call_info()
        training = kwargs.pop("training", None)
        if training is None and info.training_index is not None and len(args) > info.training_index:
            training = args[info.training_index]
            if np.ndim(training) > 0:
                raise TypeError(
                    f"Layer '{self.name}' ({type(self).__name__}) received an array as its "
                    f"positional argument `training` (shape {np.shape(training)}). `training` is a "
                    "Python bool; pass further inputs inside the first argument (a list or dict) "
                    "and `training=` as a keyword."
                )
            args = args[: info.training_index] + args[info.training_index + 1 :]
        if training is None:
            training = CTX.call_training
        if training is None:
            training = info.training_default
        if "mask" in kwargs and not (info.accepts_mask or info.has_var_kwargs):
            kwargs.pop("mask")
        previous_mask = eager_masks.fill_mask_argument(info.accepts_mask, args, kwargs)
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
                policy = self._dtype_policy
                scope = autocast.scope_for(policy.compute_dtype, policy.variable_dtype,
                                           self.autocast)
                call = self.call if self._remat_mode is None else remat_call(self, args, kwargs)
                if scope is None:
                    outputs = call(*args, **kwargs)
                else:
                    with scope:
                        outputs = call(*args, **kwargs)
                if self.activity_regularizer is not None:
                    self._add_activity_loss(outputs)
                if CTX.distribution is not None:
                    outputs = _relayout(outputs, CTX.distribution)
                self._attach_output_masks(args, outputs, previous_mask)
        finally:
            CTX.call_depth -= 1
            CTX.call_training = outer_training
        return outputs

    def _attach_output_masks(self, args: tuple[Any, ...], outputs: Any, previous_mask: Any) -> None:
        """Eager calls: attaches the output mask to concrete outputs, as Keras does."""
        if getattr(self, "_lx_wants_mask", None) is not None:
            return  # a model: its graph routes the masks
        produces = type(self).compute_mask is not Layer.compute_mask
        if not (produces or (self.supports_masking and previous_mask is not None)):
            return
        if not any(eager_masks.is_concrete(out) for out in jax.tree_util.tree_leaves(outputs)):
            return
        eager_masks.attach_masks(outputs, self.compute_mask(args[0] if args else None, previous_mask))

    def _convert_inputs(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, Any]:
        """Casts floating array arguments to the compute dtype (Keras' input autocasting).

        Skipped when `autocast=False` or when the class sets
        `_convert_input_args = False`; integer and boolean arrays are left alone.
        """
        if not self.autocast or not self._convert_input_args:
            return args, kwargs
        dtype = self._dtype_policy.compute_dtype
        if not autocast.is_float_dtype(dtype):
            return args, kwargs
        if len(args) == 1 and getattr(args[0], "dtype", None) == dtype and all(
            not hasattr(v, "dtype") and not isinstance(v, (list, tuple, dict))
            for v in kwargs.values()
        ):
            return args, kwargs  # the common case: one input already in the compute dtype
        target = np.dtype(dtype)
        args = _cast_floats(args, target)
        kwargs = {k: _cast_floats(v, target) for k, v in kwargs.items()}
        return args, kwargs

    def _add_activity_loss(self, outputs: Any) -> None:
        for out in jax.tree_util.tree_leaves(outputs):
            batch = out.shape[0] if getattr(out, "ndim", 0) else 1
            self.add_loss(self.activity_regularizer(out) / batch)

    # -------------------------------------------------------------- losses

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



pytree.register_layer_class(Layer)
registry.register_layer_class(Layer)
register_stateful_type(Layer)
register_stateful_type(SeedGenerator)
