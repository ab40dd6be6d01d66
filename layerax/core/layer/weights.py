"""Tracking of sub-layers and weights, and `add_weight` (a mixin of `Layer`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import numpy as np

from layerax.core import dtype_policy as dtype_policies
from layerax.core import naming
from layerax.core.context import CTX, bump_structure_version
from layerax.core.layer.call_utils import FORGOT_SUPER
from layerax.core.random import SeedGenerator
from layerax.core.resolvers import resolve
from layerax.core.tracking import TrackedDict, TrackedList, wrap_container
from layerax.core.variable import Variable


class WeightsMixin:
    """Sub-layer and weight tracking, weight lists, freezing, `add_weight` and dtypes."""

    # ------------------------------------------------------------ tracking
    def __setattr__(self, name: str, value: Any) -> None:
        if "_lx_initialized" not in self.__dict__ and _needs_tracking(value):
            raise RuntimeError(FORGOT_SUPER.format(cls=type(self).__name__))
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
        if var.trainable:
            self._trainable_vars.append(var)
            if not self.__dict__.get("_trainable", True):
                # A frozen layer's new weights are frozen too, as the `trainable` setter
                # freezes its existing ones (a layer made with trainable=False, built later).
                var.trainable = False
        else:
            self._non_trainable_vars.append(var)

    def _cache(self) -> dict[str, Any]:
        cache = self.__dict__["_lx_cache"]
        if cache.get("version") != CTX.structure_version:
            cache.clear()
            cache["version"] = CTX.structure_version
        return cache

    def _direct_sublayers(self) -> list[Any]:
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

    def _flatten_layers(self, include_self: bool = True, recursive: bool = True) -> list[Any]:
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
        """The weights that training updates (none while the layer is frozen).

        Example:
            >>> import layerax as lx
            >>> layer = lx.layers.Dense(2)
            >>> layer.build((None, 3))
            >>> [w.name for w in layer.trainable_weights]
            ['kernel', 'bias']
        """
        if not self.trainable:
            return []
        return [v for v in self.weights if v.trainable]

    @property
    def non_trainable_weights(self) -> list[Variable]:
        """The weights training leaves alone (all of them while the layer is frozen).

        Example:
            >>> import layerax as lx
            >>> layer = lx.layers.BatchNormalization()
            >>> layer.build((None, 3))
            >>> [w.name for w in layer.non_trainable_weights]
            ['moving_mean', 'moving_variance']
        """
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
        """The trainable variables of `variables`: what optimizers and `GradientTape` update.

        Example:
            >>> import layerax as lx
            >>> layer = lx.layers.Dense(2)
            >>> layer.build((None, 3))
            >>> [v.path for v in layer.trainable_variables]
            ['dense/kernel', 'dense/bias']
        """
        cache = self._cache()
        found = cache.get("trainable_variables")
        if found is None:
            found = cache["trainable_variables"] = (
                [v for v in self.variables if v.trainable] if self.trainable else []
            )
        return list(found)

    @property
    def non_trainable_variables(self) -> list[Variable]:
        """The other variables of `variables`: non-trainable weights and random-seed states.

        Example:
            >>> import layerax as lx
            >>> layer = lx.layers.Dropout(0.5, seed=1)
            >>> len(layer.non_trainable_variables)
            1
        """
        cache = self._cache()
        found = cache.get("non_trainable_variables")
        if found is None:
            found = cache["non_trainable_variables"] = (
                [v for v in self.variables if not v.trainable] if self.trainable else self.variables
            )
        return list(found)

    @property
    def trainable(self) -> bool:
        """Whether the layer trains; setting it freezes or unfreezes its weights and sub-layers.

        Example:
            >>> import layerax as lx
            >>> layer = lx.layers.Dense(2)
            >>> layer.build((None, 3))
            >>> layer.trainable = False
            >>> len(layer.trainable_weights), len(layer.non_trainable_weights)
            (0, 2)
        """
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
        if isinstance(weights, (str, bytes, dict)) or not hasattr(weights, "__iter__"):
            raise TypeError(
                f"Layer '{self.name}': set_weights() expects `weights`, a list of {len(own)} arrays "
                f"in the order of `layer.weights` (as get_weights() returns). Received: "
                f"weights={weights!r} of type {type(weights).__name__}."
            )
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
            autocast: Whether a mixed-precision call reads the weight in the
                compute dtype (False keeps e.g. normalization statistics in
                float32).
            regularizer: Name or instance; its penalty joins `layer.losses`.
            constraint: Name or instance; applied after each optimizer step.
            aggregation: Kept for Keras compatibility.
            overwrite_with_gradient: Kept for Keras compatibility.
            name: Name of the weight.
        """
        if "_lx_initialized" not in self.__dict__:
            raise RuntimeError(FORGOT_SUPER.format(cls=type(self).__name__))
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
        init = resolve("initializers", initializer)
        with naming.name_scope(self.name):
            var = Variable(
                init,
                name=name,
                trainable=trainable,
                dtype=dtype,
                shape=shape,
                regularizer=resolve("regularizers", regularizer),
                constraint=resolve("constraints", constraint),
                autocast=autocast,
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
        """The layer's `DTypePolicy` (variable and compute dtypes); settable with a name.

        Example:
            >>> import layerax as lx
            >>> lx.layers.Dense(2, dtype="mixed_bfloat16").dtype_policy.name
            'mixed_bfloat16'
        """
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
        """The dtype in which the layer stores its weights.

        Example:
            >>> import layerax as lx
            >>> lx.layers.Dense(2, dtype="mixed_bfloat16").variable_dtype
            'float32'
        """
        return self._dtype_policy.variable_dtype

    @property
    def compute_dtype(self) -> str:
        """The dtype in which the layer computes (inputs and weights are cast to it).

        Example:
            >>> import layerax as lx
            >>> lx.layers.Dense(2, dtype="mixed_bfloat16").compute_dtype
            'bfloat16'
        """
        return self._dtype_policy.compute_dtype

    # -------------------------------------------------------------- build

# ------------------------------------------------------------------ helpers
def _needs_tracking(value: Any) -> bool:
    if isinstance(value, (Variable, SeedGenerator)) or getattr(type(value), "_lx_is_layer", False):
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


def _collect_layers(value: Any, found: list[Any], seen: set[int]) -> None:
    if getattr(type(value), "_lx_is_layer", False):
        if id(value) not in seen:
            seen.add(id(value))
            found.append(value)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _collect_layers(item, found, seen)
    elif isinstance(value, dict):
        for item in value.values():
            _collect_layers(item, found, seen)

