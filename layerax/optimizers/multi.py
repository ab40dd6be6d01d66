"""`MultiOptimizer` and `OptimizerMap`: different optimizers for different variables."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, MutableMapping, Sequence
from typing import Any

import optax

from layerax.core import registry
from layerax.core.variable import Variable
from layerax.optimizers.base import Optimizer
from layerax.optimizers.loss_scale import LossScaleOptimizer


def _check_sub_optimizer(optimizer: Any, where: str) -> None:
    if not isinstance(optimizer, Optimizer):
        raise TypeError(
            f"{where}: expected an `lx.optimizers.Optimizer` (e.g. lx.optimizers.Adam()). "
            f"Received: {optimizer!r}"
        )
    if isinstance(optimizer, LossScaleOptimizer):
        raise ValueError(
            f"{where}: a LossScaleOptimizer cannot be used inside a MultiOptimizer; set "
            "`loss_scale_factor` on the MultiOptimizer instead."
        )
    if isinstance(optimizer, MultiOptimizer):
        raise ValueError(f"{where}: a MultiOptimizer cannot be used inside a MultiOptimizer.")


@registry.register("optimizers")
class OptimizerMap(MutableMapping):
    """Maps variable paths (exact, else regexes matched in full) to optimizers.

    Args:
        default_optimizer: The optimizer of every variable no key matches.
        optimizer_map: Optional dict `{path_or_regex: optimizer}`.

    Example:
        >>> import layerax as lx
        >>> opt_map = lx.optimizers.OptimizerMap(lx.optimizers.SGD(), {"encoder/.*": lx.optimizers.Adam()})
        >>> type(opt_map["encoder/dense/kernel"]).__name__, type(opt_map["decoder/kernel"]).__name__
        ('Adam', 'SGD')
    """

    def __init__(self, default_optimizer: Optimizer,
                 optimizer_map: dict[str, Optimizer] | None = None) -> None:
        if not isinstance(default_optimizer, Optimizer):
            raise TypeError(
                "OptimizerMap: `default_optimizer` must be an lx.optimizers.Optimizer. "
                f"Received: {default_optimizer!r}"
            )
        if optimizer_map is not None and not isinstance(optimizer_map, dict):
            raise TypeError(
                f"OptimizerMap: `optimizer_map` must be a dict. Received: {optimizer_map!r}"
            )
        self._default_optimizer = default_optimizer
        self._optimizer_map: dict[str, Optimizer] = {}
        for key, optimizer in (optimizer_map or {}).items():
            self[key] = optimizer

    @property
    def default_optimizer(self) -> Optimizer:
        """The optimizer of unmatched variables."""
        return self._default_optimizer

    def __getitem__(self, key: str) -> Optimizer:
        if key in self._optimizer_map:
            return self._optimizer_map[key]
        matches = [pattern for pattern in self._optimizer_map if re.fullmatch(pattern, key)]
        if len(matches) > 1:
            raise ValueError(
                f"OptimizerMap: variable '{key}' matches several keys {matches}; make the "
                "patterns exclusive."
            )
        return self._optimizer_map[matches[0]] if matches else self._default_optimizer

    def __setitem__(self, key: str, optimizer: Optimizer) -> None:
        if not isinstance(key, str):
            raise ValueError(f"OptimizerMap: keys must be strings. Received: {key!r}")
        if key in self._optimizer_map:
            raise ValueError(
                f"OptimizerMap: '{key}' already maps to {self._optimizer_map[key]!r}; keys "
                "must not repeat."
            )
        _check_sub_optimizer(optimizer, f"OptimizerMap['{key}']")
        self._optimizer_map[key] = optimizer

    def __delitem__(self, key: str) -> None:
        del self._optimizer_map[key]

    def __len__(self) -> int:
        return len(self._optimizer_map)

    def __iter__(self) -> Iterator[str]:
        return iter(self._optimizer_map)

    def __call__(self, variable: Variable) -> Optimizer:
        return self[variable.path]

    def get_config(self) -> dict[str, Any]:
        """The serialized default optimizer and the serialized optimizer of each pattern."""
        from layerax import optimizers

        return {
            "default_optimizer": optimizers.serialize(self._default_optimizer),
            "optimizer_map": {k: optimizers.serialize(v) for k, v in self._optimizer_map.items()},
        }

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> OptimizerMap:
        """Creates the map, its optimizers deserialized, from `get_config()`'s output."""
        from layerax import optimizers

        default = optimizers.deserialize(config["default_optimizer"], custom_objects)
        mapping = {k: optimizers.deserialize(v, custom_objects)
                   for k, v in (config.get("optimizer_map") or {}).items()}
        return cls(default, mapping)


def _pairs_selector(pairs: Sequence[Any]) -> Callable[[Variable], Optimizer]:
    """A selector for `[(optimizer, layers_or_variables), ...]` (looked up when building)."""
    checked = []
    for i, pair in enumerate(pairs):
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise TypeError(
                "MultiOptimizer expects an OptimizerMap, a function `variable -> optimizer`, or "
                "a list of `(optimizer, layers_or_variables)` pairs. Received at position "
                f"{i}: {pair!r}"
            )
        optimizer, targets = pair
        _check_sub_optimizer(optimizer, f"MultiOptimizer pair {i}")
        if not isinstance(targets, (list, tuple)):
            targets = [targets]
        checked.append((optimizer, list(targets)))

    def select(variable: Variable) -> Optimizer:
        for optimizer, targets in checked:
            for target in targets:
                if target is variable:
                    return optimizer
                if not isinstance(target, Variable) and any(
                    v is variable for v in getattr(target, "variables", ())
                ):
                    return optimizer
        raise ValueError(
            f"MultiOptimizer: variable '{variable.path}' belongs to none of the "
            "(optimizer, layers_or_variables) pairs. Add its layer to one of them."
        )

    select.optimizers = [optimizer for optimizer, _ in checked]  # type: ignore[attr-defined]
    return select


def _on_unmasked(tx: optax.GradientTransformation) -> optax.GradientTransformation:
    """`tx` (written for a plain list) on a list in which other groups are `MaskedNode`s."""

    def kept(tree: Any) -> list[int]:
        return [i for i, x in enumerate(tree) if not isinstance(x, optax.MaskedNode)]

    def init(params: Any) -> Any:
        return tx.init([params[i] for i in kept(params)])

    def update(grads: Any, state: Any, params: Any = None) -> Any:
        index = kept(grads)
        sub_params = None if params is None else [params[i] for i in index]
        sub_updates, state = tx.update([grads[i] for i in index], state, sub_params)
        updates = list(grads)
        for i, u in zip(index, sub_updates):
            updates[i] = u
        return updates, state

    return optax.GradientTransformation(init, update)


@registry.register("optimizers", "multioptimizer")
class MultiOptimizer(Optimizer):
    """Delegates each variable to its own optimizer (Keras 3's `MultiOptimizer`).

    Each variable goes to the optimizer chosen for it, which moves it exactly
    as it would alone: its own learning rate (schedules read its own
    `iterations`), clipping (over its own variables), weight decay and
    `gradient_accumulation_steps`. The step is one optax
    `multi_transform` over the optimizers' transformations, so it runs as one
    compiled update, in `compile`/`fit` and with the tape
    (`optimizer.apply_gradients`), and its state is saved with the model.

    Args:
        optimizer_map: Who optimizes what, one of: an `OptimizerMap` (variable
            path or regex -> optimizer, with a default); a function
            `variable -> optimizer`; or a list of
            `(optimizer, layers_or_variables)` pairs, where a layer stands for
            all its variables.
        loss_scale_factor: Fixed loss scale for all the optimizers (the loss
            is multiplied by it, the gradients divided by it).
        name: Optimizer name.

    `learning_rate` is not defined here: read or set it on each of
    `optimizers`. Saved training state holds the update state of every
    group and the MultiOptimizer's `iterations`, not the `iterations` of the
    optimizers inside (their schedules restart counting after loading).

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> model = lx.Sequential([lx.Input((2,)), lx.layers.Dense(2, name="body"),
        ...                        lx.layers.Dense(1, name="head")])
        >>> opt = lx.optimizers.MultiOptimizer([
        ...     (lx.optimizers.SGD(0.0), model.layers[0]),   # frozen by lr 0
        ...     (lx.optimizers.Adam(1e-2), model.layers[1]),
        ... ])
        >>> before = model.layers[0].kernel.numpy().copy()
        >>> model.compile(optimizer=opt, loss="mse")
        >>> _ = model.fit(jnp.ones((4, 2)), jnp.ones((4, 1)), verbose=0)
        >>> bool((model.layers[0].kernel.numpy() == before).all()), int(opt.iterations.value)
        (True, 1)
    """

    def __init__(self, optimizer_map: Any, loss_scale_factor: float | None = None,
                 name: str | None = None) -> None:
        if isinstance(optimizer_map, (list, tuple)):
            selector = _pairs_selector(optimizer_map)
            inner = list(selector.optimizers)  # type: ignore[attr-defined]
        elif callable(optimizer_map):
            selector = optimizer_map
            inner = []
            if isinstance(optimizer_map, OptimizerMap):
                inner = list(optimizer_map.values()) + [optimizer_map.default_optimizer]
        else:
            raise TypeError(
                "MultiOptimizer expects an OptimizerMap, a function `variable -> optimizer`, or "
                f"a list of `(optimizer, layers_or_variables)` pairs. Received: {optimizer_map!r}"
            )
        self._optimizer_map = optimizer_map
        self._select = selector
        self._inner_optimizers: list[Optimizer] = []
        self._assignment: dict[int, int] = {}
        for optimizer in inner:
            self._add_inner(optimizer)
        super().__init__(optax.identity(), loss_scale_factor=loss_scale_factor, name=name)

    def _add_inner(self, optimizer: Optimizer) -> int:
        for i, known in enumerate(self._inner_optimizers):
            if known is optimizer:
                return i
        self._inner_optimizers.append(optimizer)
        return len(self._inner_optimizers) - 1

    @property
    def optimizers(self) -> list[Optimizer]:
        """The optimizers it delegates to."""
        return list(self._inner_optimizers)

    def _optimizer_of(self, variable: Variable) -> int:
        # Asked once per variable, as Keras does at build time (a selector may make a new
        # optimizer on each call).
        index = self._assignment.get(id(variable))
        if index is None:
            optimizer = self._select(variable)
            _check_sub_optimizer(optimizer, f"MultiOptimizer '{self.name}' (variable "
                                            f"'{variable.path}')")
            index = self._assignment[id(variable)] = self._add_inner(optimizer)
        return index

    def _keras_step(self, variables: list[Variable]) -> optax.GradientTransformation:
        labels = [self._optimizer_of(v) for v in variables]
        transforms = {}
        for index in sorted(set(labels)):
            own = [v for v, label in zip(variables, labels) if label == index]
            transforms[index] = _on_unmasked(self._inner_optimizers[index]._full_transform(own))
        return optax.multi_transform(transforms, labels)

    def _update_step(self, group: Any, grads: list[Any]) -> None:
        super()._update_step(group, grads)
        # Each optimizer counts its own steps, as if it had been applied alone.
        for index in sorted({self._optimizer_of(v) for v in group.variables}):
            counter = self._inner_optimizers[index]._iterations
            counter.assign(counter.value + 1)

    @property
    def variables(self) -> list[Variable]:
        """Its own variables (`iterations`, the state), then each optimizer's."""
        found = super().variables
        for optimizer in self._inner_optimizers:
            found.extend(optimizer.variables)
        return found

    @property
    def learning_rate(self) -> Any:
        raise AttributeError(
            f"MultiOptimizer '{self.name}' has no single learning rate. Read it on each of "
            "`optimizer.optimizers` instead."
        )

    @learning_rate.setter
    def learning_rate(self, value: Any) -> None:
        raise AttributeError(
            f"MultiOptimizer '{self.name}' has no single learning rate. Set it on each of "
            "`optimizer.optimizers` instead."
        )

    def get_config(self) -> dict[str, Any]:
        """The configuration, with the serialized `OptimizerMap` (a ValueError for other maps)."""
        if not isinstance(self._optimizer_map, OptimizerMap):
            raise ValueError(
                f"MultiOptimizer '{self.name}': only a MultiOptimizer built from an OptimizerMap "
                "can be serialized (a function or a list of layers cannot). Received: "
                f"{type(self._optimizer_map).__name__}."
            )
        return {
            "optimizer_map": {"class_name": "OptimizerMap",
                              "config": self._optimizer_map.get_config()},
            "loss_scale_factor": self.loss_scale_factor,
            "name": self.name,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> MultiOptimizer:
        """Creates the optimizer, its `OptimizerMap` deserialized, from `get_config()`'s output."""
        config = dict(config)
        optimizer_map = config["optimizer_map"]
        if isinstance(optimizer_map, dict) and "class_name" in optimizer_map:
            optimizer_map = OptimizerMap.from_config(optimizer_map["config"], custom_objects)
        config["optimizer_map"] = optimizer_map
        return cls(**config)
