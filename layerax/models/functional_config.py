"""The config of a functional model: every layer with its inbound nodes (Keras 3's format).

`get_config()` lists the layers in `model.layers` order, each with its
serialized config, its name and the calls (`inbound_nodes`) that belong to
the model; tensors in the calls' arguments are written as
`{"class_name": "__keras_tensor__", "config": {"keras_history": [layer name,
node index, tensor index]}}`, node indices counting only the model's own
nodes. `from_config` recreates the layers and replays the calls, deferring a
call until the tensors it needs exist (a layer shared at several depths).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jax
import numpy as np

from layerax.core import serialization
from layerax.core.keras_configs import is_keras_config, keras_call_kwargs
from layerax.core.layer import Layer
from layerax.models.keras_tensor import KerasTensor
from layerax.core.serialization_lib import deserialize_layer, serialize_layer
from layerax.models.node import inbound_nodes

__all__ = ["functional_config", "functional_from_config", "is_functional_config"]


def functional_config(model: Any) -> dict[str, Any]:
    """The config of a functional model (see the module docstring).

    Example:
        >>> import layerax as lx
        >>> from layerax.models.functional_config import functional_config
        >>> x = lx.Input(shape=(3,), name="x")
        >>> model = lx.Model(x, lx.layers.Dense(2, name="d")(x))
        >>> config = functional_config(model)
        >>> [layer["name"] for layer in config["layers"]], config["output_layers"]
        (['x', 'd'], ['d', 0, 0])
    """
    own = model._lx_nodes
    aliases = model._lx_aliases
    reindex: dict[tuple[int, int], int] = {}
    for layer in model._layers:
        kept = 0
        for i, node in enumerate(inbound_nodes(layer)):
            if id(node) in own:
                reindex[(id(layer), i)] = kept
                kept += 1

    def tensor_ref(t: KerasTensor) -> list[Any]:
        t = aliases.get(id(t), t)
        layer, node_index, tensor_index = t._lx_history
        return [layer.name, reindex[(id(layer), node_index)], tensor_index]

    def encode(value: Any) -> Any:
        if isinstance(value, KerasTensor):
            return {
                "class_name": "__keras_tensor__",
                "config": {
                    "shape": value.shape,
                    "dtype": value.dtype,
                    "keras_history": tensor_ref(value),
                },
            }
        if isinstance(value, np.ndarray):  # a constant of an operator (`x + np.ones(3)`)
            return {"class_name": "__numpy__",
                    "config": {"value": value.tolist(), "dtype": value.dtype.name}}
        if isinstance(value, (list, tuple)):
            return type(value)(encode(v) for v in value)
        if isinstance(value, dict):
            return {k: encode(v) for k, v in value.items()}
        return value

    layer_configs = []
    for layer in model._layers:
        nodes = [
            {"args": encode(node.args), "kwargs": encode(node.kwargs)}
            for node in inbound_nodes(layer)
            if id(node) in own and not node.is_input
        ]
        config = serialize_layer(layer)
        config["name"] = layer.name
        config["inbound_nodes"] = nodes
        layer_configs.append(config)

    def refs(struct: Any) -> Any:
        return jax.tree_util.tree_map(tensor_ref, struct, is_leaf=lambda x: isinstance(x, KerasTensor))

    return {
        "name": model.name,
        "trainable": model.trainable,
        "layers": layer_configs,
        "input_layers": refs(model._lx_inputs_struct),
        "output_layers": refs(model._lx_outputs_struct),
    }


def functional_from_config(cls: type, config: Mapping[str, Any], custom_objects: Any = None) -> Any:
    """Rebuilds a functional model of class `cls` from `functional_config`'s output.

    Example:
        >>> import layerax as lx
        >>> from layerax.models.functional_config import functional_config, functional_from_config
        >>> x = lx.Input(shape=(3,), name="x")
        >>> model = lx.Model(x, lx.layers.Dense(2, name="d")(x))
        >>> again = functional_from_config(lx.models.Functional, functional_config(model))
        >>> [layer.name for layer in again.layers], again.output_shape
        (['x', 'd'], (None, 2))
    """
    if not isinstance(config, Mapping) or not {"layers", "input_layers", "output_layers"} <= set(config):
        raise ValueError(
            "A functional model config must be a dict with 'layers', 'input_layers' and "
            f"'output_layers' (from `model.get_config()`). Received: {config!r}"
        )
    with serialization.custom_object_scope(custom_objects or {}):
        created: dict[str, Layer] = {}
        pending: dict[str, list[Any]] = {}
        order: list[str] = []
        from_keras: set[str] = set()
        for layer_data in config["layers"]:
            layer = deserialize_layer(layer_data, custom_objects=custom_objects)
            name = layer_data.get("name", layer.name)
            created[name] = layer
            if is_keras_config(layer_data):
                from_keras.add(name)
            order.append(name)
            pending[name] = list(layer_data.get("inbound_nodes") or [])

        def lookup(history: list[Any]) -> KerasTensor:
            name, node_index, tensor_index = history
            if name not in created:
                raise ValueError(f"Invalid functional config: unknown layer '{name}'.")
            nodes = inbound_nodes(created[name])
            if node_index >= len(nodes):
                raise LookupError(name)
            return nodes[node_index].outputs[tensor_index]

        def decode(value: Any) -> Any:
            if isinstance(value, Mapping) and value.get("class_name") == "__keras_tensor__":
                return lookup(value["config"]["keras_history"])
            if isinstance(value, Mapping) and value.get("class_name") == "__numpy__":
                return np.asarray(value["config"]["value"], value["config"]["dtype"])
            if isinstance(value, (list, tuple)):
                return type(value)(decode(v) for v in value)
            if isinstance(value, Mapping):
                return {k: decode(v) for k, v in value.items()}
            return value

        while any(pending.values()):
            progressed = False
            for name in order:
                queue = pending[name]
                while queue:
                    try:
                        args = decode(queue[0]["args"])
                        kwargs = decode(queue[0]["kwargs"])
                        if name in from_keras:
                            kwargs = keras_call_kwargs(created[name], kwargs)
                    except LookupError:
                        break
                    created[name](*args, **kwargs)
                    queue.pop(0)
                    progressed = True
            if not progressed:
                stuck = {k: len(v) for k, v in pending.items() if v}
                raise ValueError(
                    "Invalid functional model config: these layers' calls reference tensors "
                    f"that are never produced (a loop or a disconnected node): {stuck}"
                )

        def tensors(struct: Any) -> Any:
            if isinstance(struct, list) and len(struct) == 3 and isinstance(struct[0], str):
                return lookup(struct)
            if isinstance(struct, Mapping):
                return {k: tensors(v) for k, v in struct.items()}
            if isinstance(struct, tuple):
                return tuple(tensors(v) for v in struct)
            return [tensors(v) for v in struct]

        inputs = tensors(config["input_layers"])
        outputs = tensors(config["output_layers"])
    kwargs = {}
    if config.get("trainable") is not None:
        kwargs["trainable"] = config["trainable"]
    return cls(inputs=inputs, outputs=outputs, name=config.get("name"), **kwargs)


def is_functional_config(config: Any) -> bool:
    """Whether `config` describes a functional graph.

    Example:
        >>> from layerax.models.functional_config import is_functional_config
        >>> is_functional_config({"layers": [], "input_layers": [], "output_layers": []})
        True
    """
    return isinstance(config, Mapping) and {"layers", "input_layers", "output_layers"} <= set(config)
