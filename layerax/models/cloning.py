"""`lx.models.clone_model`: the same architecture with fresh weights."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax

from layerax.core.layer import Layer
from layerax.models.functional import Functional
from layerax.models.model import Model
from layerax.models.sequential import Sequential
from layerax.models.input_layer import InputLayer
from layerax.models.keras_tensor import KerasTensor, _leafy, flatten_args

__all__ = ["clone_model"]


def _clone_layer(layer: Layer) -> Layer:
    return type(layer).from_config(layer.get_config())


def clone_model(
    model: Model,
    input_tensors: Any = None,
    clone_function: Callable[[Layer], Layer] | None = None,
    call_function: Callable[..., Any] | None = None,
    recursive: bool = False,
) -> Model:
    """Creates a new model with the same architecture and newly initialized weights.

    Functional and Sequential models are rebuilt layer by layer (shared layers
    stay shared); a subclassed model is recreated with
    `from_config(get_config())`. Copy the weights with
    `clone.set_weights(model.get_weights())` when needed.

    Args:
        model: The model to clone.
        input_tensors: Optional symbolic tensors to build the clone on
            (instead of new `Input`s), in the structure of `model.input`.
        clone_function: `layer -> new layer` (default:
            `type(layer).from_config(layer.get_config())`); return the layer
            itself to share it.
        call_function: `(layer, *args, **kwargs) -> outputs`, to change how
            each layer is called while rebuilding a Functional model.
        recursive: Clone nested models layer by layer too (with the same
            functions) instead of through `clone_function`.

    Returns:
        The new model, of the same kind.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> model = lx.Sequential([lx.Input(shape=(3,)), lx.layers.Dense(2, name="d")])
        >>> clone = lx.models.clone_model(model)
        >>> clone.get_layer("d") is model.get_layer("d")
        False
        >>> clone.set_weights(model.get_weights())
        >>> bool(jnp.allclose(clone(jnp.ones((1, 3))), model(jnp.ones((1, 3)))))
        True
    """
    clone_function = clone_function or _clone_layer

    def clone(layer: Layer) -> Layer:
        if recursive and isinstance(layer, (Functional, Sequential)):
            return clone_model(
                layer, clone_function=clone_function, call_function=call_function, recursive=True
            )
        new = clone_function(layer)
        if not isinstance(new, Layer):
            raise TypeError(
                f"clone_function must return a Layer; for layer '{layer.name}' it returned "
                f"{new!r} (of type {type(new).__name__})."
            )
        return new

    if isinstance(model, Sequential):
        if call_function is not None:
            raise ValueError(
                "`call_function` is only supported for Functional models; model "
                f"'{model.name}' is Sequential."
            )
        return _clone_sequential(model, input_tensors, clone)
    if isinstance(model, Functional):
        return _clone_functional(model, input_tensors, clone, call_function)
    if not isinstance(model, Model):
        raise TypeError(
            f"clone_model expects an lx.Model. Received: {model!r} (of type {type(model).__name__})"
        )
    if input_tensors is not None or call_function is not None:
        raise ValueError(
            f"Model '{model.name}' is a subclassed model: clone_model can only recreate it with "
            "`from_config(get_config())`; `input_tensors` and `call_function` are not supported."
        )
    return type(model).from_config(model.get_config())


def _clone_sequential(model: Sequential, input_tensors: Any, clone: Callable[[Layer], Layer]) -> Sequential:
    layers: list[Any] = [clone(layer) for layer in model.layers]
    first = model._layers[0] if model._layers else None
    if input_tensors is not None:
        leaves, _ = flatten_args(input_tensors)
        if len(leaves) != 1 or not isinstance(leaves[0], KerasTensor):
            raise ValueError(
                "A Sequential model takes a single input: `input_tensors` must be one symbolic "
                f"tensor. Received: {input_tensors!r}"
            )
        layers.insert(0, InputLayer(input_tensor=leaves[0]))
    elif isinstance(first, InputLayer):
        layers.insert(0, InputLayer.from_config(first.get_config()))
    new = Sequential(layers, trainable=model.trainable, name=model.name)
    if new._lx_chain is None and model._lx_chain is not None:
        new.build(model._lx_chain[0].shape)
    return new


def _clone_functional(
    model: Functional,
    input_tensors: Any,
    clone: Callable[[Layer], Layer],
    call_function: Callable[..., Any] | None,
) -> Functional:
    old_inputs = model._lx_inputs
    if input_tensors is not None:
        new_inputs = model._lx_flat_inputs(input_tensors, what="input_tensors")
        for t in new_inputs:
            if not isinstance(t, KerasTensor):
                raise ValueError(
                    f"`input_tensors` must be symbolic tensors (from lx.Input). Received {t!r}."
                )
    else:
        new_inputs = [
            InputLayer.from_config(t._lx_history[0].get_config()).output for t in old_inputs
        ]
    tensor_map: dict[int, KerasTensor] = {id(o): n for o, n in zip(old_inputs, new_inputs)}
    by_input = {id(t): i for i, t in enumerate(old_inputs)}
    for original, alias in model._lx_aliases.items():
        tensor_map[original] = new_inputs[by_input[id(alias)]]
    clones: dict[int, Layer] = {}

    def swap(x: Any) -> Any:
        return tensor_map[id(x)] if isinstance(x, KerasTensor) else x

    for node in model._lx_node_list:
        if node.is_input:
            continue
        layer = node.layer
        new_layer = clones.get(id(layer))
        if new_layer is None:
            new_layer = clones[id(layer)] = clone(layer)
        args, kwargs = jax.tree_util.tree_map(swap, (node.args, node.kwargs), is_leaf=_leafy)
        if call_function is not None:
            outputs = call_function(new_layer, *args, **kwargs)
        else:
            outputs = new_layer(*args, **kwargs)
        flat = jax.tree_util.tree_leaves(outputs)
        for old, new in zip(node.outputs, flat):
            tensor_map[id(old)] = new
    inputs = jax.tree_util.tree_map(swap, model._lx_inputs_struct, is_leaf=_leafy)
    outputs = jax.tree_util.tree_map(swap, model._lx_outputs_struct, is_leaf=_leafy)
    return Functional(inputs, outputs, name=model.name, trainable=model.trainable)
