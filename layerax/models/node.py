"""`Node`: one call of a layer on symbolic tensors, recorded on the layer."""

from __future__ import annotations

from typing import Any

import jax

from layerax.core.layer import Layer
from layerax.models.keras_tensor import KerasTensor, flatten_args

__all__ = ["Node", "inbound_nodes"]


class Node:
    """One call of a layer on symbolic tensors.

    Attributes:
        layer: The layer called.
        args, kwargs: The call's arguments, symbolic tensors included.
        input_tensors: The symbolic tensors among the arguments, in order.
        outputs: The symbolic outputs, flattened.
        output_tree: Tree structure of the outputs (for unflattening).
        mask_routing: Where the masks of the inputs go (see `mask_routing`).
        is_input: Whether this is the node of an `InputLayer`.

    Example:
        >>> import layerax as lx
        >>> x = lx.Input(shape=(3,))
        >>> dense = lx.layers.Dense(2)
        >>> y = dense(x)
        >>> node = dense._lx_inbound_nodes[0]
        >>> node.input_tensors == [x], node.outputs == [y]
        (True, True)
    """

    __slots__ = (
        "layer", "args", "kwargs", "input_tensors", "outputs", "output_tree", "mask_routing",
        "is_input",
    )

    def __init__(
        self,
        layer: Layer,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        outputs: list[KerasTensor],
        output_tree: Any,
        mask_routing: Any = ((), None),
        is_input: bool = False,
    ) -> None:
        self.layer = layer
        self.args = args
        self.kwargs = kwargs
        leaves, _ = flatten_args((args, kwargs))
        self.input_tensors = [x for x in leaves if isinstance(x, KerasTensor)]
        self.outputs = outputs
        self.output_tree = output_tree
        self.mask_routing = mask_routing
        self.is_input = is_input

    @property
    def output_tensors(self) -> list[KerasTensor]:
        return self.outputs

    @property
    def output_structure(self) -> Any:
        return jax.tree_util.tree_unflatten(self.output_tree, self.outputs)

    def __repr__(self) -> str:
        return f"<Node layer={self.layer.name}, inputs={len(self.input_tensors)}>"


def inbound_nodes(layer: Layer) -> list[Node]:
    """The nodes recorded on `layer` (symbolic calls), oldest first.

    Example:
        >>> import layerax as lx
        >>> from layerax.models.node import inbound_nodes
        >>> dense = lx.layers.Dense(2)
        >>> _ = dense(lx.Input(shape=(3,))), dense(lx.Input(shape=(3,)))
        >>> len(inbound_nodes(dense))
        2
    """
    nodes = layer.__dict__.get("_lx_inbound_nodes")
    if nodes is None:
        nodes = []
        # Bookkeeping lives in `_lx_` attributes, invisible to tracking and pytree keys;
        # object.__setattr__ keeps it from invalidating the global structure caches.
        object.__setattr__(layer, "_lx_inbound_nodes", nodes)
    return nodes


def _add_node(layer: Layer, node: Node) -> int:
    nodes = inbound_nodes(layer)
    nodes.append(node)
    index = len(nodes) - 1
    for i, tensor in enumerate(node.outputs):
        tensor._lx_history = (layer, index, i)
    return index


def node_attribute(layer: Layer, attr: str) -> Any:
    """The `SYMBOLIC["attr"]` hook: `layer.input`, `.output`, `.input_shape`, `.output_shape`."""
    nodes = layer.__dict__.get("_lx_inbound_nodes")
    if not nodes:
        raise AttributeError(
            f"Layer '{layer.name}' has never been called on symbolic tensors and thus has no "
            f"defined {attr}. Call it on `lx.Input(...)` tensors (the functional API) first."
        )
    node = nodes[0]
    if attr in ("input", "input_shape"):
        values: Any = node.input_tensors
        values = values[0] if len(values) == 1 else list(values)
    else:
        values = node.output_structure
    if attr.endswith("_shape"):
        return jax.tree_util.tree_map(lambda t: t.shape, values)
    return values
