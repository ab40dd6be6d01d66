"""The optimizer's state in a `.keras` file: Keras' `optimizer/vars/<i>` group.

Keras 3 saves `optimizer.variables` in order: `iteration`, `learning_rate`,
then the slots its `build()` created, per trainable variable in the model's
order (Adam: the momentum and velocity of the first variable, then of the
second, ...), then slots that are not per variable (Nadam's `u_product`).
A `LossScaleOptimizer` saves its own `iteration` and `learning_rate` (unused),
`step_counter`, `dynamic_scale`, then its inner optimizer's variables, which
also go into the `optimizer/inner_optimizer/vars` group.

`_SLOTS` is the one table between Keras' slot names and the fields of the
layerax optimizer's optax state; optimizers outside it keep their state only
in layerax's own `.layerax` archive.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jax
import numpy as np

__all__ = ["keras_optimizer_arrays", "restore_keras_optimizer"]

# Per optimizer: the blocks of per-variable slots (each block interleaved per trainable
# variable, as Keras' `add_optimizer_variables`) as (Keras name, optax state field), and
# the slots that follow them, not per variable.
_SLOTS: dict[str, tuple[list[list[tuple[str, str]]], list[str]]] = {
    "Adagrad": ([[("accumulator", "sum_of_squares")]], []),
    "Lion": ([[("momentum", "mu")]], []),
    "Adamax": ([[("momentum", "mu"), ("norm", "nu")]], []),
    "Nadam": ([[("momentum", "momentum"), ("velocity", "velocity")]], ["u_product"]),
    "Adadelta": ([[("accumulated_grad", "e_g"), ("accumulated_delta_var", "e_x")]], []),
    "Ftrl": ([[("accumulator", "accumulator"), ("linear", "linear")]], []),
    "Adafactor": ([[("r", "r"), ("c", "c"), ("velocity", "v")]], []),
    "Lamb": ([[("momentum", "mu"), ("velocity", "nu")]], []),
}


def _keras_slots(optimizer: Any) -> tuple[list[list[tuple[str, str]]], list[str]] | None:
    """The slot layout of `optimizer` in Keras' order, or None when there is none."""
    config = optimizer.get_config()
    name = type(optimizer).__name__
    if name in ("Adam", "AdamW"):
        blocks = [[("momentum", "mu"), ("velocity", "nu")]]
        return blocks + ([[("velocity_hat", "nu_max")]] if config.get("amsgrad") else []), []
    if name == "SGD":
        return ([[("momentum", "trace")]] if config.get("momentum") else []), []
    if name == "RMSprop":
        blocks = [[("velocity", "nu")]]
        blocks += [[("momentum", "trace")]] if config.get("momentum") else []
        return blocks + ([[("average_gradient", "mu")]] if config.get("centered") else []), []
    return _SLOTS.get(name)


def _slot_key(path: Any) -> tuple[str, int | None]:
    """`(optax field, parameter index or None)` of one optax state leaf."""
    keys = list(path)
    index = None
    if keys and isinstance(keys[-1], jax.tree_util.SequenceKey):
        index = keys.pop().idx
    names = [k.name for k in keys if isinstance(k, jax.tree_util.GetAttrKey)]
    return (names[-1] if names else ""), index


def _state_slots(optimizer: Any, trainable: list[Any], create: bool) -> dict[tuple[str, Any], Any]:
    """The optax state leaves of `optimizer` over `trainable`, keyed `(field, id(variable))`
    (`(field, None)` for leaves not per variable); Variables when the state exists or
    `create`, else arrays of the initial state (nothing is built)."""
    from layerax.optimizers.base import _concrete

    key = frozenset(id(v) for v in trainable)
    if create or key in optimizer._groups:
        group = optimizer._group_for(trainable)
        variables, holders = group.variables, group.state_vars
        tree = jax.tree_util.tree_unflatten(group.treedef, list(range(len(holders))))
        paths = [p for p, _ in jax.tree_util.tree_flatten_with_path(tree)[0]]
    else:
        variables = trainable
        transform = optimizer._full_transform(list(trainable))
        with jax.ensure_compile_time_eval():
            state = transform.init([_concrete(v) for v in trainable])
        pairs = jax.tree_util.tree_flatten_with_path(state)[0]
        paths, holders = [p for p, _ in pairs], [leaf for _, leaf in pairs]
    found: dict[tuple[str, Any], Any] = {}
    for path, holder in zip(paths, holders):
        field, index = _slot_key(path)
        if index is not None and index < len(variables):
            found.setdefault((field, id(variables[index])), holder)
        elif index is None:
            found.setdefault((field, None), holder)
    return found


def _keras_factor(optimizer: Any, field: str, learning_rate: Any) -> float:
    """Keras' slot over layerax's optax leaf for `field`: 1, or `-learning_rate` for the
    momentum `trace` of SGD and RMSprop, which Keras accumulates with the learning rate and
    the sign of the step (SGD: `m = momentum * m - lr * g`; RMSprop subtracts
    `m = momentum * m + lr * g / rms`) and optax's unit-rate chain without. With a
    learning-rate schedule the current rate is used (exact for a constant rate)."""
    if field != "trace" or type(optimizer).__name__ not in ("SGD", "RMSprop"):
        return 1.0
    return -float(learning_rate)


def _has_learning_rate_variable(optimizer: Any) -> bool:
    # A learning-rate schedule is no variable: Keras then saves no learning rate either.
    return getattr(optimizer, "_learning_rate", None) is not None


def _plain_arrays(optimizer: Any, trainable: list[Any]) -> list[np.ndarray] | None:
    layout = _keras_slots(optimizer)
    if layout is None:
        return None
    blocks, trailing = layout
    state = _state_slots(optimizer, trainable, create=False)
    arrays = [np.asarray(optimizer._iterations.value, "int64")]
    learning_rate = optimizer._current_learning_rate()
    if _has_learning_rate_variable(optimizer):
        arrays.append(np.asarray(optimizer._learning_rate.value, "float32"))
    for block in blocks:
        for var in trainable:
            for _, field in block:
                holder = state.get((field, id(var)))
                if holder is None:
                    return None
                value = np.asarray(getattr(holder, "value", holder))
                arrays.append(value * _keras_factor(optimizer, field, learning_rate))
    for field in trailing:
        holder = state.get((field, None))
        if holder is None:
            return None
        arrays.append(np.asarray(getattr(holder, "value", holder)))
    return arrays


def keras_optimizer_arrays(model: Any) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Keras' optimizer entries of `model.weights.h5` (`{"optimizer/vars/0": ...}`) and
    the optimizer groups' names; both empty when the model's optimizer has no Keras layout.

    Example:
        >>> import layerax as lx, numpy as np
        >>> from layerax.saving.keras_optimizer import keras_optimizer_arrays
        >>> model = lx.Sequential([lx.Input((3,)), lx.layers.Dense(2)])
        >>> model.compile(optimizer=lx.optimizers.Nadam(), loss="mse")
        >>> arrays, names = keras_optimizer_arrays(model)
        >>> len(arrays), names  # iteration, learning rate, 2 x (momentum, velocity), u_product
        (7, {'optimizer': 'nadam'})
    """
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or not getattr(model, "compiled", False):
        return {}, {}
    trainable = list(model.trainable_variables)
    if type(optimizer).__name__ == "LossScaleOptimizer":
        inner = optimizer.inner_optimizer
        inner_arrays = _plain_arrays(inner, trainable)
        if inner_arrays is None:
            return {}, {}
        own = [np.asarray(0, "int64"), np.asarray(0.0, "float32"),
               np.asarray(optimizer.step_counter.value), np.asarray(optimizer.dynamic_scale.value)]
        arrays = {f"optimizer/vars/{i}": a for i, a in enumerate(own + inner_arrays)}
        arrays.update({f"optimizer/inner_optimizer/vars/{i}": a for i, a in enumerate(inner_arrays)})
        return arrays, {"optimizer": optimizer.name, "optimizer/inner_optimizer": inner.name}
    plain = _plain_arrays(optimizer, trainable)
    if plain is None:
        return {}, {}
    return {f"optimizer/vars/{i}": a for i, a in enumerate(plain)}, {"optimizer": optimizer.name}


def _not_restored(path: str, optimizer: Any, found: int, expected: int | None) -> None:
    import warnings

    wanted = f"expected {expected} arrays" if expected is not None else "no known slot layout"
    warnings.warn(
        f"The optimizer state in {path!r} ({found} arrays) was not restored: layerax knows no "
        f"correspondence for a {type(optimizer).__name__} with this configuration ({wanted}). "
        "The model is compiled with a fresh optimizer.",
        stacklevel=4,
    )


def _plain_plan(optimizer: Any, trainable: list[Any], saved: list[np.ndarray],
                path: str) -> list[tuple[Any, np.ndarray]] | None:
    layout = _keras_slots(optimizer)
    # Keras' leading variables: the iteration, then the learning rate unless it is a schedule.
    lead = 1 + _has_learning_rate_variable(optimizer)
    expected = None if layout is None else (
        lead + sum(len(b) for b in layout[0]) * len(trainable) + len(layout[1]))
    if layout is None or len(saved) != expected:
        _not_restored(path, optimizer, len(saved), expected)
        return None
    blocks, trailing = layout
    state = _state_slots(optimizer, trainable, create=True)
    plan = [(optimizer._iterations, saved[0])]
    if lead == 2:
        plan.append((optimizer._learning_rate, saved[1]))
        learning_rate = saved[1]
    else:
        learning_rate = optimizer._schedule(np.asarray(saved[0]))
    plan += [(holder, saved[0]) for (field, var), holder in state.items() if field == "count" and var is None]
    wanted = [(f, id(v), k, v.path) for block in blocks for v in trainable for k, f in block]
    wanted += [(f, None, f, "the optimizer") for f in trailing]
    for i, (field, var_id, keras_name, owner) in enumerate(wanted, start=lead):
        slot, value = state.get((field, var_id)), saved[i]
        if slot is None or tuple(slot.shape) != tuple(np.shape(value)):
            raise ValueError(
                f"The optimizer state in {path!r} does not fit the model: slot {i} "
                f"({keras_name} of '{owner}') has shape {tuple(np.shape(value))}, layerax expects "
                f"{None if slot is None else tuple(slot.shape)}; the optimizer or the model "
                "differs from the saved one. Load with `compile=False` and compile afresh."
            )
        factor = _keras_factor(optimizer, field, learning_rate)
        plan.append((slot, value if factor == 1.0 else (np.asarray(value) / factor).astype(
            np.asarray(value).dtype)))
    return plan


def restore_keras_optimizer(model: Any, arrays: Mapping[str, np.ndarray], path: str) -> None:
    """Keras' `optimizer/vars/<i>` into the layerax optimizer's state, all or nothing; an
    optimizer without a known layout starts afresh, with a warning."""
    from layerax.saving.weights import assign_all

    optimizer = model.optimizer
    trainable = list(model.trainable_variables)
    count = sum(1 for i in range(len(arrays)) if f"optimizer/vars/{i}" in arrays)
    saved = [arrays[f"optimizer/vars/{i}"] for i in range(count)]
    if type(optimizer).__name__ == "LossScaleOptimizer":
        if len(saved) < 4:
            _not_restored(path, optimizer, len(saved), None)
            return
        plan = _plain_plan(optimizer.inner_optimizer, trainable, saved[4:], path)
        if plan is None:
            return
        plan += [(optimizer.step_counter, saved[2]), (optimizer.dynamic_scale, saved[3])]
    else:
        plan = _plain_plan(optimizer, trainable, saved, path)
        if plan is None:
            return
    assign_all(plan)
