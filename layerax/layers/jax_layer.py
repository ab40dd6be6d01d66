"""`JaxLayer` and `FlaxLayer`: a pure JAX function or a Flax module as a layer.

The wrapped model's parameters become layerax Variables (trainable for
`params`, non-trainable for `state`), kept in the structure the model uses, so
that `fit`, `lx.function`, the tape and `stateless_call` treat them like any
other weights. The random keys of the call come from a `SeedGenerator` owned
by the layer; `training` and `rng` are passed only to functions that take them.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from layerax.core.context import bump_structure_version
from layerax.core.layer import Layer
from layerax.core.random import SeedGenerator, global_seed_generator
from layerax.core.variable import Variable

_CALL_ARGS = ("params", "state", "rng", "inputs", "training")
_INIT_ARGS = ("rng", "inputs", "training")
_FLAX_MISSING = (
    "FlaxLayer requires the `flax` package, which is not installed. Install it with "
    "`pip install layerax[flax]` (or `pip install flax`)."
)


def _is_variable(value: Any) -> bool:
    return isinstance(value, Variable)


def _is_key(value: Any) -> bool:
    dtype = getattr(value, "dtype", None)
    return dtype is not None and jax.dtypes.issubdtype(dtype, jax.dtypes.prng_key)


def _argument_names(fn: Callable[..., Any], fn_name: str, allowed: Iterable[str],
                    layer: str) -> list[str]:
    """The argument names of `fn`, checked against those `JaxLayer` knows how to pass."""
    try:
        parameters = inspect.signature(fn).parameters
    except (TypeError, ValueError) as err:
        raise TypeError(
            f"{layer}: `{fn_name}` must be a Python callable with an inspectable signature. "
            f"Received: {fn_name}={fn!r}"
        ) from err
    allowed = tuple(allowed)
    if "inputs" not in parameters:
        raise ValueError(
            f"{layer}: missing required argument in `{fn_name}`: `inputs`. Expected a function "
            f"whose arguments are named among {allowed}. Received the arguments "
            f"{tuple(parameters)}."
        )
    for name in parameters:
        if name not in allowed:
            raise ValueError(
                f"{layer}: unsupported argument in `{fn_name}`: `{name}`. The supported "
                f"argument names are {allowed}; wrap the function to rename its arguments."
            )
    return list(parameters)


class JaxLayer(Layer):
    """A layer that wraps a pure JAX model function.

    `call_fn` takes arguments with these exact names, in any order: `params`
    (trainable parameters), `state` (optional, non-trainable state), `rng`
    (optional, a random key, or `None` outside training), `inputs` (required,
    an array or a pytree of arrays) and `training` (optional, a Python bool).
    With a `state` argument it returns `(outputs, new_state)` and the new state
    is assigned to the layer's non-trainable variables; otherwise it returns
    the outputs only.

    The parameters are either given (`params`, `state`) or created at build
    time by `init_fn(rng, inputs[, training])`, which receives placeholder
    inputs of the first input's shape (unknown dimensions set to 1) and
    returns the params, or `(params, state)` when `call_fn` takes `state`.

    Array leaves (and Python scalars) of `params` and `state` become Variables,
    floating ones in the layer's variable dtype; other leaves are kept as they
    are (configuration of the model). The structure is kept: `layer.params` and
    `layer.state` are the same pytrees with Variables as leaves.

    Args:
        call_fn: The model function (see above).
        init_fn: Function creating the params (and state) at build time; needed
            when `params` and `state` are both `None` and `call_fn` takes them.
        params: Pytree of the trainable parameters.
        state: Pytree of the non-trainable state.
        seed: Integer seed of the `SeedGenerator` drawing the call's `rng`.
        native_serialization_platforms: Kept for Keras compatibility (Keras uses
            it with its TensorFlow backend only); stored in the config.
        **kwargs: Base layer arguments (`name`, `dtype`, `trainable`).

    Call arguments:
        inputs: Array or pytree of arrays passed as `inputs` to `call_fn`.
        training: Python bool passed as `training` (and deciding whether an
            `rng` is drawn).

    Example:
        >>> import layerax as lx, jax, jax.numpy as jnp
        >>> def call_fn(params, inputs):
        ...     return inputs @ params["w"] + params["b"]
        >>> def init_fn(rng, inputs):
        ...     return {"w": jax.random.normal(rng, (inputs.shape[-1], 2)), "b": jnp.zeros(2)}
        >>> layer = lx.layers.JaxLayer(call_fn, init_fn)
        >>> layer(jnp.ones((4, 3))).shape
        (4, 2)
        >>> sorted(layer.params), len(layer.trainable_weights)
        (['b', 'w'], 2)
    """

    def __init__(
        self,
        call_fn: Callable[..., Any],
        init_fn: Callable[..., Any] | None = None,
        params: Any = None,
        state: Any = None,
        seed: int | None = None,
        native_serialization_platforms: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        layer = f"{type(self).__name__} '{self.name}'"
        if not callable(call_fn):
            raise TypeError(f"{layer}: `call_fn` must be callable. Received: call_fn={call_fn!r}")
        if init_fn is not None and not callable(init_fn):
            raise TypeError(
                f"{layer}: `init_fn` must be callable or None. Received: init_fn={init_fn!r}"
            )
        self.call_fn = call_fn
        self.init_fn = init_fn
        self.seed = seed
        self.native_serialization_platforms = native_serialization_platforms
        self.call_fn_arguments = _argument_names(call_fn, "call_fn", _CALL_ARGS, layer)
        self.call_fn_has_params = "params" in self.call_fn_arguments
        self.call_fn_has_state = "state" in self.call_fn_arguments
        if init_fn is not None:
            self.init_fn_arguments = _argument_names(init_fn, "init_fn", _INIT_ARGS, layer)
        if (init_fn is None and params is None and state is None
                and (self.call_fn_has_params or self.call_fn_has_state)):
            raise ValueError(
                f"{layer}: `init_fn`, `params` and `state` cannot all be None when `call_fn` "
                "takes a `params` or a `state` argument. Pass the initial `params` (and "
                "`state`), or an `init_fn(rng, inputs)` that creates them."
            )
        if "rng" in self.call_fn_arguments:
            self.seed_generator = SeedGenerator(seed)
        self._set_variables(params, state)
        if params is not None or state is not None:
            self.built = True

    # ----------------------------------------------------------- variables
    # Each of `params` and `state` is kept as a treedef plus a plain list of leaves
    # (Variables, or configuration values) and a list of the PRNG key implementations of
    # the leaves that hold keys (stored as key data): plain lists, so that a pytree copy
    # of the layer (under `jax.jit`) copies the Variables of the structure with the rest.
    def _set_variables(self, params: Any, state: Any) -> None:
        for which, values, trainable in (("params", params, True), ("state", state, False)):
            treedef, leaves, impls = self._create_variables(values, trainable)
            object.__setattr__(self, f"_lx_{which}_treedef", treedef)
            object.__setattr__(self, f"_lx_{which}_leaves", leaves)
            object.__setattr__(self, f"_lx_{which}_keys", impls)

    def _tree(self, which: str) -> Any:
        treedef = self.__dict__[f"_lx_{which}_treedef"]
        if treedef is None:
            return None
        return jax.tree_util.tree_unflatten(treedef, self.__dict__[f"_lx_{which}_leaves"])

    @property
    def params(self) -> Any:
        """The trainable parameters: the model's pytree with Variables as leaves."""
        return self._tree("params")

    @property
    def state(self) -> Any:
        """The non-trainable state: the model's pytree with Variables as leaves."""
        return self._tree("state")

    @property
    def tracked_params(self) -> list[Variable]:
        """The Variables of `params`, flat."""
        return [v for v in self._lx_params_leaves if _is_variable(v)]

    @property
    def tracked_state(self) -> list[Variable]:
        """The Variables of `state`, flat."""
        return [v for v in self._lx_state_leaves if _is_variable(v)]

    def _create_variables(self, values: Any,
                          trainable: bool) -> tuple[Any, list[Any], list[Any]]:
        """Treedef, leaves (arrays and Python scalars as Variables) and key impls of `values`."""
        if values is None:
            return None, [], []
        path_leaves, treedef = jax.tree_util.tree_flatten_with_path(values)
        leaves, impls = [], []
        for path, value in path_leaves:
            impl = jax.random.key_impl(value) if _is_key(value) else None
            leaves.append(self._leaf_variable(path, value, trainable))
            impls.append(impl)
        bump_structure_version()
        return treedef, leaves, impls

    def _leaf_variable(self, path: Any, value: Any, trainable: bool) -> Any:
        name = "_".join(_key_name(k) for k in path) or "variable"
        if _is_key(value):
            value = jax.random.key_data(value)
        if not isinstance(value, (bool, int, float, jax.Array, np.ndarray, np.generic)):
            return value  # configuration of the model, not a weight
        initial = jnp.asarray(value)  # in JAX's canonical dtypes (int64 -> int32 without x64)
        floating = jnp.issubdtype(initial.dtype, jnp.floating)
        return self.add_weight(
            shape=tuple(initial.shape),
            initializer=lambda shape, dtype=None: jnp.asarray(initial, dtype=dtype),
            dtype=None if floating else initial.dtype,
            trainable=trainable,
            name=name,
        )

    def _read(self, which: str) -> Any:
        """`params` or `state` with the current values of the Variables."""
        treedef = self.__dict__[f"_lx_{which}_treedef"]
        if treedef is None:
            return None
        values = []
        for leaf, impl in zip(self.__dict__[f"_lx_{which}_leaves"],
                              self.__dict__[f"_lx_{which}_keys"]):
            if _is_variable(leaf):
                leaf = leaf.value if impl is None else jax.random.wrap_key_data(leaf.value,
                                                                                 impl=impl)
            values.append(leaf)
        return jax.tree_util.tree_unflatten(treedef, values)

    def _assign_state(self, new_state: Any) -> None:
        treedef = self._lx_state_treedef
        if treedef is None and not jax.tree_util.tree_leaves(new_state):
            return
        try:
            if treedef is None:
                raise ValueError("no initial state")
            values = treedef.flatten_up_to(new_state)
        except (ValueError, TypeError) as err:
            raise ValueError(
                f"{type(self).__name__} '{self.name}': structure mismatch: the state returned "
                f"by `call_fn` must have the structure of the initial state ({treedef}). "
                f"Received: {jax.tree_util.tree_structure(new_state)}."
            ) from err
        for var, impl, value in zip(self._lx_state_leaves, self._lx_state_keys, values):
            if _is_variable(var):
                var.assign(value if impl is None else jax.random.key_data(value))

    # ---------------------------------------------------------------- rngs
    def _get_init_seed(self) -> jax.Array:
        """A fresh raw key (`uint32[2]`) for `init_fn`, from the global seed generator."""
        with jax.ensure_compile_time_eval():
            return jax.random.key_data(global_seed_generator().next())

    def _get_init_rng(self) -> Any:
        """The `rng` argument of `init_fn`: one key. Override for another structure."""
        return self._get_init_seed()

    def _get_call_seed(self) -> jax.Array:
        """A fresh raw key (`uint32[2]`) for `call_fn`, from the layer's SeedGenerator."""
        return jax.random.key_data(self.seed_generator.next())

    def _get_call_rng(self, training: bool) -> Any:
        """The `rng` argument of `call_fn`: a key in training, `None` otherwise."""
        return self._get_call_seed() if training else None

    # --------------------------------------------------------------- build
    def build(self, input_shape: Any) -> None:
        needs_init = self._lx_params_treedef is None and self._lx_state_treedef is None and (
            self.call_fn_has_params or self.call_fn_has_state)
        if needs_init:
            self._initialize_weights(input_shape)
        self.built = True

    def _initialize_weights(self, input_shape: Any) -> None:
        def placeholder(shape: Any) -> jax.Array:
            return jnp.ones([1 if d is None else int(d) for d in shape])

        with jax.ensure_compile_time_eval():
            inputs = _map_shapes(placeholder, input_shape)
            args = []
            for name in self.init_fn_arguments:
                if name == "rng":
                    args.append(self._get_init_rng())
                elif name == "inputs":
                    args.append(inputs)
                else:
                    args.append(True)
            result = self.init_fn(*args)
        if self.call_fn_has_state:
            if not (isinstance(result, tuple) and len(result) == 2):
                raise ValueError(
                    f"{type(self).__name__} '{self.name}': `call_fn` takes a `state`, so "
                    "`init_fn` must return a tuple `(params, state)`. Received: "
                    f"{type(result).__name__}."
                )
            params, state = result
        else:
            params, state = result, None
        self._set_variables(params, state)

    # ---------------------------------------------------------------- call
    def call(self, inputs: Any, training: bool = False) -> Any:
        training = bool(training)
        args = []
        for name in self.call_fn_arguments:
            if name == "params":
                args.append(self._read("params"))
            elif name == "state":
                args.append(self._read("state"))
            elif name == "rng":
                args.append(self._get_call_rng(training))
            elif name == "inputs":
                args.append(inputs)
            else:
                args.append(training)
        result = self.call_fn(*args)
        if not self.call_fn_has_state:
            return result
        outputs, new_state = result
        self._assign_state(new_state)
        return outputs

    # -------------------------------------------------------------- config
    def get_config(self) -> dict[str, Any]:
        from layerax.core.serialization_lib import serialize_keras_object

        return {
            **super().get_config(),
            "call_fn": serialize_keras_object(self.call_fn),
            "init_fn": serialize_keras_object(self.init_fn),
            "seed": self.seed,
            "native_serialization_platforms": self.native_serialization_platforms,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> JaxLayer:
        from layerax.core.serialization_lib import deserialize_keras_object

        config = dict(config)
        config["call_fn"] = deserialize_keras_object(config["call_fn"])
        config["init_fn"] = deserialize_keras_object(config["init_fn"])
        return cls(**config)


def _key_name(key: Any) -> str:
    for attr in ("key", "name", "idx"):
        if hasattr(key, attr):
            return str(getattr(key, attr))
    return str(key)


def _map_shapes(fn: Callable[[Any], Any], shapes: Any) -> Any:
    """Applies `fn` to each shape (a tuple of ints or None) of a structure of shapes."""
    if isinstance(shapes, (tuple, list)) and all(d is None or isinstance(d, int) for d in shapes):
        return fn(shapes)
    if isinstance(shapes, dict):
        return {k: _map_shapes(fn, v) for k, v in shapes.items()}
    if isinstance(shapes, (tuple, list)):
        return type(shapes)(_map_shapes(fn, s) for s in shapes)
    raise TypeError(f"JaxLayer: cannot read an input shape from {shapes!r}.")


def _import_flax() -> Any:
    try:
        import flax
    except ImportError as err:
        raise ImportError(_FLAX_MISSING) from err
    return flax


class FlaxLayer(JaxLayer):
    """A layer that wraps a Flax module (linen or NNX).

    A `flax.linen.Module` runs through `module.init` / `module.apply`: the
    `"params"` collection becomes the trainable variables and every other
    collection (e.g. `batch_stats`) the non-trainable state, updated by each
    call (`apply` runs with every collection but `"params"` mutable). The
    `"dropout"` rng comes from the layer's `SeedGenerator` in training; `init`
    gets `"params"` and `"dropout"` keys from the global seed generator.

    A `flax.nnx.Module` is split with `nnx.split(module, nnx.Param, ...)`: its
    `nnx.Param`s become the trainable variables and the rest of its state
    (batch statistics, rng stream counters and keys) the non-trainable state;
    each call merges them back (`nnx.merge`), runs the module and stores the
    state it leaves. Its randomness comes from its own `nnx.Rngs` streams,
    whose state is carried by the layer, or, when the method takes an `rngs`
    argument, from an `nnx.Rngs` made of a key of the layer's `SeedGenerator`
    in training (`rngs=None` otherwise). Without a `training` argument the
    module is switched with `module.train()` / `module.eval()`.

    The method that runs the module (default `__call__`) takes `inputs` and,
    optionally, `training`; `method` can also name a method of the module, or
    be a function taking the module first.

    Args:
        module: A `flax.linen.Module` or a `flax.nnx.Module` instance.
        method: Method (or method name, or function of the module) to call;
            `__call__` by default.
        variables: For a linen module, the dict returned by `module.init`
            (`{"params": ..., "batch_stats": ...}`); `None` initializes the
            module at build time. Not used for NNX modules, which hold their
            variables.
        **kwargs: Base layer arguments (`name`, `dtype`, `trainable`, `seed`).

    Call arguments:
        inputs: Array or pytree of arrays passed to the module's method.
        training: Python bool, passed as `training` when the method takes it.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> import flax.linen as nn
        >>> layer = lx.layers.FlaxLayer(nn.Dense(2))
        >>> layer(jnp.ones((4, 3))).shape
        (4, 2)
        >>> [w.shape for w in layer.trainable_weights]
        [(2,), (3, 2)]
    """

    def __init__(self, module: Any, method: Any = None, variables: Any = None,
                 **kwargs: Any) -> None:
        _import_flax()
        from flax import linen, nnx

        is_nnx = isinstance(module, nnx.Module)
        if not (is_nnx or isinstance(module, linen.Module)):
            raise TypeError(
                "FlaxLayer expects a `flax.linen.Module` or a `flax.nnx.Module` instance. "
                f"Received: module={module!r} of type {type(module).__name__}"
            )
        if is_nnx and variables is not None:
            raise ValueError(
                "FlaxLayer: `variables` is only used with flax.linen modules; an NNX module "
                "holds its own variables. Received an nnx.Module and variables="
                f"{type(variables).__name__}. Drop the `variables` argument."
            )
        fn = getattr(module, method) if isinstance(method, str) else (method or module.__call__)
        takes_training = "training" in inspect.signature(fn).parameters
        if is_nnx:
            call_fn, init_fn, params, state = self._nnx_functions(module, method, takes_training)
        else:
            call_fn, init_fn = self._linen_functions(takes_training)
            params, state = _split_collections(variables)
        self.module = module
        self.method = method
        super().__init__(call_fn=call_fn, init_fn=init_fn, params=params, state=state, **kwargs)

    # ----------------------------------------------------------- linen
    def _linen_functions(self, takes_training: bool) -> tuple[Callable[..., Any], ...]:
        from flax.linen import DenyList

        mutable = DenyList(["params"])

        def apply(params: Any, state: Any, rng: Any, inputs: Any, training: bool) -> Any:
            extra = {"training": training} if takes_training else {}
            return self.module.apply({**(params or {}), **(state or {})}, inputs, rngs=rng,
                                     method=self.method, mutable=mutable, **extra)

        def init(rng: Any, inputs: Any, training: bool) -> Any:
            extra = {"training": training} if takes_training else {}
            return _split_collections(self.module.init(rng, inputs, method=self.method, **extra))

        return apply, init

    # ------------------------------------------------------------- nnx
    def _nnx_functions(self, module: Any, method: Any,
                       takes_training: bool) -> tuple[Any, ...]:
        from flax import nnx

        graphdef, params, state = nnx.split(module, nnx.Param, ...)
        fn = getattr(module, method) if isinstance(method, str) else (method or module.__call__)
        takes_rngs = "rngs" in inspect.signature(fn).parameters

        def run_with_rngs(params: Any, state: Any, rng: Any, inputs: Any, training: bool) -> Any:
            model = nnx.merge(graphdef, params, state)
            extra = {"rngs": nnx.Rngs(rng["dropout"]) if rng else None}
            return _run_nnx(model, method, inputs, training, takes_training, extra)

        def run(params: Any, state: Any, inputs: Any, training: bool) -> Any:
            model = nnx.merge(graphdef, params, state)
            return _run_nnx(model, method, inputs, training, takes_training, {})

        return (run_with_rngs if takes_rngs else run), None, params, state

    def _get_init_rng(self) -> Any:
        return {"params": self._get_init_seed(), "dropout": self._get_init_seed()}

    def _get_call_rng(self, training: bool) -> Any:
        return {"dropout": self._get_call_seed()} if training else {}

    # ----------------------------------------------------------- config
    def get_config(self) -> dict[str, Any]:
        """The config, with the module serialized through its own `get_config()`.

        Raises:
            TypeError: when the module's class has no `get_config()` (as in Keras,
                a Flax module is only serializable when it defines one and is
                registered with `lx.saving.register_serializable`).
        """
        from layerax.core.serialization_lib import serialize_keras_object

        if not callable(getattr(self.module, "get_config", None)):
            raise TypeError(
                f"FlaxLayer '{self.name}': cannot serialize the module "
                f"{type(self.module).__name__}, whose class has no `get_config()` method. To "
                "save this layer's config, give the module class `get_config()` (and "
                "`from_config()` if needed) and register it with "
                "`@lx.saving.register_serializable()`."
            )
        method = self.method
        if getattr(method, "__self__", None) is self.module:
            method = method.__name__
        config = JaxLayer.get_config(self)
        del config["call_fn"], config["init_fn"]
        config.update({
            "module": serialize_keras_object(self.module),
            "method": serialize_keras_object(method),
        })
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> FlaxLayer:
        from layerax.core.serialization_lib import deserialize_keras_object

        config = dict(config)
        config["module"] = deserialize_keras_object(config["module"])
        if not isinstance(config["method"], str):
            config["method"] = deserialize_keras_object(config["method"])
        return cls(**config)


def _run_nnx(model: Any, method: Any, inputs: Any, training: bool, takes_training: bool,
             extra: dict[str, Any]) -> tuple[Any, Any]:
    """Runs a merged NNX module; returns its outputs and the non-Param state it leaves."""
    from flax import nnx

    if takes_training:
        extra["training"] = training
    elif training:
        model.train()
    else:
        model.eval()
    if method is None:
        outputs = model(inputs, **extra)
    elif isinstance(method, str):
        outputs = getattr(model, method)(inputs, **extra)
    else:
        outputs = method(model, inputs, **extra)
    _, _, new_state = nnx.split(model, nnx.Param, ...)
    return outputs, new_state


def _split_collections(variables: Any) -> tuple[Any, Any]:
    """Linen variables as `(params, state)`: the "params" collection and the others."""
    if variables is None:
        return None, None
    if "params" not in variables:
        return {}, dict(variables)
    params = {"params": variables["params"]}
    return params, {k: v for k, v in variables.items() if k != "params"}
