"""The execution plan of a functional model, and the graph walk that derives it.

At construction the graph recorded on the layers (`Node`s) is walked once
from the outputs back to the inputs and turned into an immutable plan: a
tuple of steps `(layer index, argument template, input slots, output slots,
mask routing)` over the model's list of layers. Running the model fills a
list of slots step by step. The plan refers to layers only by their index in
`model._layers`, an attribute of the model itself, never through nodes that
point at the live layers: the pytree clone of a model made by
`jax.grad`/`jax.jit` therefore runs its own (cloned) layers. The plan is
compared by value, so it is part of the pytree structure key: two models
that differ only in wiring never share a compiled function.
"""

from __future__ import annotations

from typing import Any

import jax

from layerax.core.layer import Layer
from layerax.models import masking
from layerax.models.keras_tensor import KerasTensor, flatten_args
from layerax.models.node import Node, inbound_nodes

__all__ = ["execute", "make_plan", "map_graph"]


def _const_key(value: Any) -> Any:
    if isinstance(value, slice):
        return ("slice", value.start, value.stop, value.step)
    try:
        hash(value)
    except TypeError:
        return ("id", id(value))
    return (type(value), value)


class _Step:
    """One layer call of the plan."""

    __slots__ = ("layer", "treedef", "consts", "tensors", "outputs", "routing", "key")

    def __init__(
        self,
        layer: int,
        treedef: Any,
        consts: tuple[Any, ...],
        tensors: tuple[tuple[int, int], ...],
        outputs: tuple[int, ...],
        routing: Any,
    ) -> None:
        self.layer = layer
        self.treedef = treedef
        self.consts = consts
        self.tensors = tensors  # (leaf position, slot) of each tensor argument
        self.outputs = outputs  # slot of each flat output
        self.routing = routing
        self.key = (layer, treedef, tuple(_const_key(c) for c in consts), tensors, outputs, routing)


class _Plan:
    """The execution plan of a functional model; compared by value (it is static pytree data)."""

    _lx_static_eq = True

    def __init__(
        self,
        n_inputs: int,
        n_slots: int,
        steps: tuple[_Step, ...],
        output_slots: tuple[int, ...],
        output_tree: Any,
        input_specs: tuple[tuple[tuple[Any, ...], str], ...],
        emits_mask: bool,
    ) -> None:
        self.n_inputs = n_inputs
        self.n_slots = n_slots
        self.steps = steps
        self.output_slots = output_slots
        self.output_tree = output_tree
        self.input_specs = input_specs
        self.emits_mask = emits_mask
        self._key = (
            n_inputs, n_slots, tuple(s.key for s in steps), output_slots, output_tree,
            input_specs, emits_mask,
        )
        self._hash = hash(self._key)

    def __eq__(self, other: object) -> bool:
        return self is other or (
            isinstance(other, _Plan) and self._hash == other._hash and self._key == other._key
        )

    def __hash__(self) -> int:
        return self._hash

    def __repr__(self) -> str:
        return f"_Plan(<{len(self.steps)} steps>)"


def make_plan(
    inputs: list[KerasTensor],
    model_inputs: list[KerasTensor],
    input_nodes: list[Node],
    nodes: list[Node],
    layers: list[Layer],
    outputs: list[KerasTensor],
    output_tree: Any,
) -> _Plan:
    """The execution plan of the graph: one step per node, tensors as slot numbers.

    `inputs` are the tensors given to the model (slots 0..n-1, in order);
    `model_inputs` the model's own input tensors (fresh ones for
    intermediate tensors); `nodes` come in execution order and `layers` in
    the order of `model.layers`, whose positions the steps refer to.

    Example:
        >>> import layerax as lx
        >>> x = lx.Input(shape=(3,), name="x")
        >>> model = lx.Model(x, lx.layers.Dense(2, name="d")(x))
        >>> plan = model._graph_plan  # made by make_plan
        >>> len(plan.steps), plan.steps[0].layer, plan.output_slots
        (1, 1, (1,))
    """
    layer_pos = {id(layer): i for i, layer in enumerate(layers)}
    slot = {id(x): i for i, x in enumerate(inputs)}
    n_slots = len(inputs)
    steps = []
    for node in nodes:
        if node.is_input or any(node is n for n in input_nodes):
            continue
        leaves, treedef = flatten_args((node.args, node.kwargs))
        tensors = tuple(
            (i, slot[id(x)]) for i, x in enumerate(leaves) if isinstance(x, KerasTensor)
        )
        consts = tuple(None if isinstance(x, KerasTensor) else x for x in leaves)
        outs = []
        for tensor in node.outputs:
            slot[id(tensor)] = n_slots
            outs.append(n_slots)
            n_slots += 1
        steps.append(
            _Step(layer_pos[id(node.layer)], treedef, consts, tensors, tuple(outs), node.mask_routing)
        )
    return _Plan(
        n_inputs=len(inputs),
        n_slots=n_slots,
        steps=tuple(steps),
        output_slots=tuple(slot[id(x)] for x in outputs),
        output_tree=output_tree,
        input_specs=tuple((t.shape, t.dtype) for t in model_inputs),
        emits_mask=any(t._lx_mask is not None for t in outputs),
    )


def execute(layers: list[Layer], plan: _Plan, flat_inputs: list[Any], flat_masks: Any) -> tuple[Any, Any]:
    """Runs the plan; returns `(flat outputs, flat output masks or None)`.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> from layerax.models.graph import execute
        >>> x = lx.Input(shape=(3,), name="x")
        >>> model = lx.Model(x, lx.layers.Dense(2, name="d")(x))
        >>> outputs, masks = execute(model._layers, model._graph_plan, [jnp.ones((1, 3))], None)
        >>> outputs[0].shape, masks
        ((1, 2), None)
    """
    values: list[Any] = [None] * plan.n_slots
    values[: plan.n_inputs] = flat_inputs
    masks: list[Any] | None = None
    if flat_masks is not None and any(m is not None for m in flat_masks):
        masks = [None] * plan.n_slots
        masks[: plan.n_inputs] = flat_masks
    unflatten = jax.tree_util.tree_unflatten
    for step in plan.steps:
        layer = layers[step.layer]
        leaves = list(step.consts)
        for pos, slot in step.tensors:
            leaves[pos] = values[slot]
        args, kwargs = unflatten(step.treedef, leaves)
        if masks is None and not masking.wants_mask(layer, False):
            # The common case (no masks anywhere): a plain layer call.
            outputs = layer(*args, **kwargs)
            out_masks = None
        else:
            mask_leaves: list[Any] = [None] * len(leaves)
            if masks is not None:
                for pos, slot in step.tensors:
                    mask_leaves[pos] = masks[slot]
            margs, mkwargs = unflatten(step.treedef, mask_leaves)
            outputs, out_masks = masking.run_layer(layer, args, kwargs, margs, mkwargs, step.routing)
        flat = jax.tree_util.tree_leaves(outputs)
        if len(flat) != len(step.outputs):
            raise ValueError(
                f"Layer '{layer.name}' returned {len(flat)} tensors when the model ran, but "
                f"{len(step.outputs)} when the model was built on symbolic inputs. A layer "
                "must return the same structure for symbolic and real inputs."
            )
        for slot, value in zip(step.outputs, flat):
            values[slot] = value
        if out_masks is not None:
            flat_masks_out = masking.flatten_masks(out_masks, len(flat))
            if any(m is not None for m in flat_masks_out):
                if masks is None:
                    masks = [None] * plan.n_slots
                for slot, m in zip(step.outputs, flat_masks_out):
                    masks[slot] = m
    outputs = [values[s] for s in plan.output_slots]
    out_masks = None if masks is None else [masks[s] for s in plan.output_slots]
    return outputs, out_masks


# --------------------------------------------------------------- graph walk
def _disconnected_error(tensor: KerasTensor, consumer: Layer | None, inputs: list[KerasTensor]) -> ValueError:
    where = (
        f"needed by layer '{consumer.name}'" if consumer is not None else "requested as an output"
    )
    return ValueError(
        f"Graph disconnected: cannot obtain the value of tensor {tensor!r} ({where}); it is "
        f"not computed from the model's inputs {[t.name for t in inputs]}. Every Input the "
        "outputs depend on must be listed in `inputs=` of the Model."
    )


def map_graph(
    inputs: list[KerasTensor], input_nodes: list[Node], outputs: list[KerasTensor]
) -> tuple[list[Node], list[Layer], dict[int, int]]:
    """Nodes between `inputs` and `outputs` in execution order, and the layers in Keras' order.

    Depths and ordering follow Keras 3 (layers by decreasing depth, ties in
    first-traversal order), so that `model.layers` and `model.weights` come
    in the same order as in Keras.

    Example:
        >>> import layerax as lx
        >>> from layerax.models.graph import map_graph
        >>> from layerax.models.node import inbound_nodes
        >>> x = lx.Input(shape=(3,), name="x")
        >>> y = lx.layers.Dense(2, name="d")(x)
        >>> nodes, layers, _ = map_graph([x], [inbound_nodes(x._lx_history[0])[0]], [y])
        >>> [layer.name for layer in layers], len(nodes)
        (['x', 'd'], 2)
    """
    input_index = {id(t): i for i, t in enumerate(inputs)}
    first_seen: dict[int, int] = {}
    layers_by_id: dict[int, Layer] = {}
    post_order: list[Node] = []
    parents: dict[int, list[Node]] = {}
    done: set[int] = set()

    def register(node: Node) -> None:
        key = id(node.layer)
        if key not in first_seen:
            first_seen[key] = len(first_seen)
            layers_by_id[key] = node.layer

    def resolve(tensor: KerasTensor, consumer: Layer | None) -> Node:
        index = input_index.get(id(tensor))
        if index is not None:
            return input_nodes[index]
        history = tensor._lx_history
        if history is None:
            raise _disconnected_error(tensor, consumer, inputs)
        layer, node_index, _ = history
        node = inbound_nodes(layer)[node_index]
        if node.is_input:
            raise _disconnected_error(tensor, consumer, inputs)
        return node

    def children(node: Node) -> list[KerasTensor]:
        if node.is_input or any(node is n for n in input_nodes):
            return []
        return node.input_tensors

    for out in outputs:
        root = resolve(out, None)
        if id(root) in done:
            continue
        register(root)
        stack = [(root, iter(children(root)))]
        while stack:
            node, pending = stack[-1]
            tensor = next(pending, None)
            if tensor is None:
                stack.pop()
                done.add(id(node))
                post_order.append(node)
                continue
            child = resolve(tensor, node.layer)
            parents.setdefault(id(node), []).append(child)
            if id(child) in done:
                continue
            register(child)
            stack.append((child, iter(children(child))))

    node_depth: dict[int, int] = {}
    layer_depth: dict[int, int] = {}
    for node in reversed(post_order):
        depth = max(node_depth.get(id(node), 0), layer_depth.get(id(node.layer), 0))
        node_depth[id(node)] = depth
        layer_depth[id(node.layer)] = depth
        for parent in parents.get(id(node), ()):
            node_depth[id(parent)] = max(node_depth.get(id(parent), 0), depth + 1)
    # Inputs the outputs do not use are still part of the model (Keras keeps them).
    for node in input_nodes:
        if id(node.layer) not in layer_depth:
            layer_depth[id(node.layer)] = 0
            first_seen[id(node.layer)] = -1
            layers_by_id[id(node.layer)] = node.layer
            node_depth[id(node)] = 0
    layers = sorted(layers_by_id.values(), key=lambda l: (-layer_depth[id(l)], first_seen[id(l)]))
    position = {id(n): i for i, n in enumerate(reversed(post_order))}
    ordered = sorted(post_order, key=lambda n: (-node_depth[id(n)], position[id(n)]))
    return ordered, layers, node_depth
