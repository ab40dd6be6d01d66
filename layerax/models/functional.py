"""Functional models: `lx.Model(inputs, outputs)` over a graph of symbolic layer calls.

Design. At construction the graph recorded on the layers (`Node`s, see
`node.py`) is walked once from the outputs back to the inputs and turned
into an immutable execution plan (`_Plan`): a tuple of steps `(layer index,
argument template, input slots, output slots, mask routing)` over the list of
layers `model._layers`. Running the model fills a list of slots step by step.
The plan refers to layers only by their index in `model._layers`, an attribute
of the model itself, never through nodes that point at the live layers: the
pytree clone of a model made by `jax.grad`/`jax.jit` therefore runs its own
(cloned) layers. The plan is an ordinary attribute compared by value, so it
is part of the pytree structure key: two models differing only in wiring
never share a compiled function.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jax
import jax.numpy as jnp

from layerax.core import serialization
from layerax.core.layer import Layer
from layerax.core.shape_inference import Spec
from layerax.models import masking
from layerax.models.model import Model
from layerax.models.input_layer import InputLayer
from layerax.models.keras_tensor import KerasTensor, _leafy, flatten_args
from layerax.models.node import Node, inbound_nodes

__all__ = ["Functional"]


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


def _unpack_singleton(x: Any) -> Any:
    if isinstance(x, (list, tuple)) and len(x) == 1:
        return x[0]
    return x


def execute(layers: list[Layer], plan: _Plan, flat_inputs: list[Any], flat_masks: Any) -> tuple[Any, Any]:
    """Runs the plan; returns `(flat outputs, flat output masks or None)`."""
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


# ---------------------------------------------------------------- Functional
class Functional(Model):
    """A model defined by a graph of layer calls on symbolic tensors.

    Created by `lx.Model(inputs, outputs)`: inputs and outputs may be single
    symbolic tensors, lists or dicts of them. Any directed acyclic graph of
    layer calls works, including shared layers (one layer called several
    times, one set of weights) and models used as layers.

    Args:
        inputs: Symbolic input tensor(s) from `lx.Input` (or intermediate
            tensors of another graph).
        outputs: Symbolic output tensor(s) computed from `inputs`.
        name: Model name.
        trainable: Whether the model's weights are trainable.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> inputs = lx.Input(shape=(4,), name="features")
        >>> hidden = lx.layers.Dense(8, activation="relu", name="hidden")(inputs)
        >>> outputs = lx.layers.Dense(2, name="head")(hidden)
        >>> model = lx.Model(inputs, outputs)
        >>> model(jnp.ones((3, 4))).shape
        (3, 2)
        >>> [layer.name for layer in model.layers]
        ['features', 'hidden', 'head']
        >>> features = lx.Model(model.inputs, model.get_layer("hidden").output)
        >>> features(jnp.ones((3, 4))).shape
        (3, 8)
    """

    def __init__(self, inputs: Any, outputs: Any, name: str | None = None, **kwargs: Any) -> None:
        trainable = kwargs.pop("trainable", None)
        if kwargs:
            raise TypeError(
                f"Unrecognized keyword arguments passed to Model(inputs, outputs): {sorted(kwargs)}"
            )
        super().__init__(name=name)
        self._lx_init_graph(inputs, outputs)
        if trainable is not None:
            self.trainable = trainable

    # ------------------------------------------------------------ building
    def _lx_init_graph(self, inputs: Any, outputs: Any) -> None:
        in_leaves, _ = flatten_args(inputs)
        out_leaves, out_tree = jax.tree_util.tree_flatten(outputs, is_leaf=_leafy)
        for what, leaves, given in (("inputs", in_leaves, inputs), ("outputs", out_leaves, outputs)):
            if not leaves:
                raise ValueError(
                    f"Model '{self.name}': `{what}` cannot be empty. Received: {what}={given!r}"
                )
            for x in leaves:
                if not isinstance(x, KerasTensor):
                    raise TypeError(
                        f"Model '{self.name}': all `{what}` must be symbolic tensors (from "
                        f"`lx.Input(...)` and layer calls on them). Received {what}={given!r}, "
                        f"which includes {x!r} of type {type(x).__name__}."
                    )
        seen: set[int] = set()
        for x in in_leaves:
            if id(x) in seen:
                raise ValueError(
                    f"Model '{self.name}': the input tensor {x!r} is listed twice in `inputs`."
                )
            seen.add(id(x))
        # Intermediate tensors used as inputs get a fresh InputLayer (as in Keras); the
        # graph walk stops at them.
        model_inputs: list[KerasTensor] = []
        input_nodes: list[Node] = []
        aliases: dict[int, KerasTensor] = {}
        for x in in_leaves:
            history = x._lx_history
            node = inbound_nodes(history[0])[history[1]] if history is not None else None
            if node is not None and node.is_input:
                model_inputs.append(x)
                input_nodes.append(node)
            else:
                layer = InputLayer(batch_shape=x.shape, dtype=x.dtype)
                new = layer.output
                aliases[id(x)] = new
                model_inputs.append(new)
                input_nodes.append(inbound_nodes(layer)[0])
        nodes, layers, _ = map_graph(list(in_leaves), input_nodes, out_leaves)
        names = [layer.name for layer in layers]
        for name in names:
            if names.count(name) > 1:
                raise ValueError(
                    f'The name "{name}" is used {names.count(name)} times in the model. All layer '
                    "names should be unique: pass distinct `name=` arguments."
                )
        layer_pos = {id(layer): i for i, layer in enumerate(layers)}
        slot = {id(x): i for i, x in enumerate(in_leaves)}
        n_slots = len(in_leaves)
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
        plan = _Plan(
            n_inputs=len(in_leaves),
            n_slots=n_slots,
            steps=tuple(steps),
            output_slots=tuple(slot[id(x)] for x in out_leaves),
            output_tree=out_tree,
            input_specs=tuple((t.shape, t.dtype) for t in model_inputs),
            emits_mask=any(t._lx_mask is not None for t in out_leaves),
        )
        # The layers (the only path by which the plan reaches them) and the plan are
        # ordinary attributes: tracked, cloned with the model, part of the pytree key.
        self._layers = list(layers)
        self._graph_plan = plan
        # Symbolic bookkeeping, invisible to tracking and to the pytree key.
        model_struct = jax.tree_util.tree_unflatten(
            jax.tree_util.tree_structure(inputs, is_leaf=_leafy), model_inputs
        )
        for attr, value in (
            ("_lx_inputs_struct", model_struct),
            ("_lx_inputs", model_inputs),
            ("_lx_outputs_struct", outputs),
            ("_lx_outputs", list(out_leaves)),
            ("_lx_nodes", {id(n) for n in nodes} | {id(n) for n in input_nodes}),
            ("_lx_node_list", list(nodes)),
            ("_lx_aliases", aliases),
        ):
            object.__setattr__(self, attr, value)
        object.__setattr__(self, "built", True)

    # ---------------------------------------------------------- properties
    @property
    def layers(self) -> list[Layer]:
        """The layers of the graph in topological order, InputLayers included (as in Keras 3)."""
        return list(self._layers)

    @property
    def inputs(self) -> list[KerasTensor]:
        """The symbolic inputs, flattened (dict inputs in sorted key order)."""
        return list(self._lx_inputs)

    @property
    def outputs(self) -> list[KerasTensor]:
        """The symbolic outputs, flattened."""
        return list(self._lx_outputs)

    @property
    def input(self) -> Any:  # type: ignore[override]
        """The symbolic inputs in the structure given to the constructor."""
        return self._lx_inputs_struct

    @property
    def output(self) -> Any:  # type: ignore[override]
        """The symbolic outputs in the structure given to the constructor."""
        return self._lx_outputs_struct

    @property
    def input_shape(self) -> Any:  # type: ignore[override]
        shapes = jax.tree_util.tree_map(lambda t: t.shape, self._lx_inputs_struct)
        return _unpack_singleton(shapes) if isinstance(shapes, list) else shapes

    @property
    def output_shape(self) -> Any:  # type: ignore[override]
        shapes = jax.tree_util.tree_map(lambda t: t.shape, self._lx_outputs_struct)
        return _unpack_singleton(shapes) if isinstance(shapes, list) else shapes

    @property
    def input_names(self) -> list[str]:
        return [t._lx_history[0].name for t in self._lx_inputs]

    @property
    def output_names(self) -> list[str]:
        return [t._lx_history[0].name for t in self._lx_outputs]

    def build(self, input_shape: Any = None) -> None:
        """Functional models are built when they are created; this is a no-op."""
        object.__setattr__(self, "built", True)

    # ------------------------------------------------------------- calling
    def _lx_flat_inputs(self, inputs: Any, what: str = "inputs") -> list[Any]:
        """The call's inputs in the order of `self.inputs` (dicts matched by key or name)."""
        struct = self._lx_inputs_struct
        refs = self._lx_inputs
        names = [t.name for t in refs]
        if isinstance(inputs, Mapping) and not isinstance(struct, Mapping):
            if all(n in inputs for n in names):
                return [inputs[n] for n in names]
            raise ValueError(
                f"Model '{self.name}' was called with a dict of {what} whose keys "
                f"{sorted(inputs)} do not match the names of its inputs {names}."
            )
        if isinstance(struct, Mapping):
            if isinstance(inputs, Mapping):
                missing = [k for k in struct if k not in inputs]
                if missing:
                    raise ValueError(
                        f"Model '{self.name}' expects {what} with keys {sorted(struct)}; "
                        f"missing {missing}. Received keys: {sorted(inputs)}"
                    )
                inputs = {k: inputs[k] for k in struct}
            elif isinstance(inputs, (list, tuple)) and len(inputs) == len(refs):
                # A list in the order of `model.inputs` (sorted keys), as Keras accepts.
                return list(inputs)
        elif isinstance(struct, (list, tuple)):
            if len(struct) == 1 and not isinstance(inputs, (list, tuple)):
                inputs = [inputs]
            if isinstance(inputs, (list, tuple)):
                inputs = type(struct)(inputs)
        elif isinstance(inputs, (list, tuple)) and len(inputs) == 1:
            inputs = inputs[0]
        elif isinstance(inputs, (list, tuple)) and any(hasattr(v, "shape") for v in inputs):
            raise ValueError(
                f"Model '{self.name}' expects 1 input tensor ('{names[0]}'), but it received "
                f"{len(inputs)} {what} tensors."
            )
        treedef = jax.tree_util.tree_structure(struct, is_leaf=_leafy)
        try:
            return list(treedef.flatten_up_to(inputs))
        except (ValueError, TypeError) as err:
            expected = jax.tree_util.tree_map(lambda t: t.name, struct)
            raise ValueError(
                f"Model '{self.name}' expects {what} structured like its inputs {expected} "
                f"({len(refs)} tensor(s)); received {_describe_structure(inputs)}."
            ) from err

    def _lx_convert_inputs(self, flat: list[Any]) -> list[Any]:
        out = []
        for index, (x, (shape, dtype)) in enumerate(zip(flat, self._graph_plan.input_specs)):
            if not isinstance(x, jax.Array):
                x = jnp.asarray(x, dtype=dtype)
            elif x.dtype != dtype:
                x = x.astype(dtype)
            if x.ndim != len(shape):
                if x.ndim == len(shape) - 1 and shape[-1] == 1:
                    x = jnp.expand_dims(x, -1)
                elif x.ndim == len(shape) + 1 and x.shape[-1] == 1:
                    x = jnp.squeeze(x, -1)
            bad = x.ndim != len(shape) or any(
                ref is not None and got != ref for got, ref in zip(x.shape[1:], shape[1:])
            )
            if bad:
                raise ValueError(
                    f"Input {index} ('{self._lx_inputs[index].name}') of model '{self.name}' is "
                    f"incompatible with the model: expected shape {shape}, received an array of "
                    f"shape {tuple(x.shape)}."
                )
            out.append(x)
        return out

    def call(self, inputs: Any, training: Any = None, mask: Any = None) -> Any:
        flat = self._lx_convert_inputs(self._lx_flat_inputs(inputs))
        flat_masks = None if mask is None else self._lx_flat_masks(mask)
        outputs, out_masks = execute(self._layers, self._graph_plan, flat, flat_masks)
        tree = self._graph_plan.output_tree
        if masking._MASK_REQUESTS:
            masks = None
            if out_masks is not None:
                masks = _unpack_singleton(jax.tree_util.tree_unflatten(tree, out_masks))
            masking.answer_mask_request(self, masks)
        return _unpack_singleton(jax.tree_util.tree_unflatten(tree, outputs))

    def _lx_flat_masks(self, mask: Any) -> list[Any]:
        return self._lx_flat_inputs(mask, what="masks")

    def _lx_wants_mask(self, has_input_mask: bool) -> bool:
        return has_input_mask or self._graph_plan.emits_mask

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        """The masks of the outputs for `inputs` with input masks `previous_mask` (runs the graph)."""
        flat = self._lx_convert_inputs(self._lx_flat_inputs(inputs))
        flat_masks = None if previous_mask is None else self._lx_flat_masks(previous_mask)
        _, out_masks = execute(self._layers, self._graph_plan, flat, flat_masks)
        if out_masks is None:
            return None
        return _unpack_singleton(jax.tree_util.tree_unflatten(self._graph_plan.output_tree, out_masks))

    def compute_output_spec(self, inputs: Any, training: Any = None, mask: Any = None) -> Any:
        """Output specs; the recorded outputs when the input shapes are the model's own."""
        try:
            flat = self._lx_flat_inputs(inputs)
        except ValueError:
            flat = None
        if flat is not None and all(
            tuple(getattr(x, "shape", ())) == ref.shape for x, ref in zip(flat, self._lx_inputs)
        ):
            specs = [Spec(t.shape, jnp.dtype(t.dtype)) for t in self._lx_outputs]
            return _unpack_singleton(
                jax.tree_util.tree_unflatten(self._graph_plan.output_tree, specs)
            )
        return super().compute_output_spec(inputs)

    def compute_output_shape(self, input_shape: Any) -> Any:
        """Output shape(s); the recorded ones when `input_shape` is the model's own."""
        if input_shape == self.input_shape:
            return self.output_shape
        return super().compute_output_shape(input_shape)

    # ------------------------------------------------------------- config
    def get_config(self) -> dict[str, Any]:
        """The whole graph: layer configs with their inbound nodes, input and output layers."""
        from layerax.models.layer_registry import serialize_layer

        own = self._lx_nodes
        aliases = self._lx_aliases
        reindex: dict[tuple[int, int], int] = {}
        for layer in self._layers:
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
            if isinstance(value, (list, tuple)):
                return type(value)(encode(v) for v in value)
            if isinstance(value, dict):
                return {k: encode(v) for k, v in value.items()}
            return value

        layer_configs = []
        for layer in self._layers:
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
            "name": self.name,
            "trainable": self.trainable,
            "layers": layer_configs,
            "input_layers": refs(self._lx_inputs_struct),
            "output_layers": refs(self._lx_outputs_struct),
        }

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> Functional:
        """Rebuilds the graph from `get_config()`'s output (fresh weights)."""
        from layerax.models.layer_registry import deserialize_layer

        if not isinstance(config, Mapping) or not {"layers", "input_layers", "output_layers"} <= set(config):
            raise ValueError(
                "A functional model config must be a dict with 'layers', 'input_layers' and "
                f"'output_layers' (from `model.get_config()`). Received: {config!r}"
            )
        with serialization.custom_object_scope(custom_objects or {}):
            created: dict[str, Layer] = {}
            pending: dict[str, list[Any]] = {}
            order: list[str] = []
            for layer_data in config["layers"]:
                layer = deserialize_layer(layer_data, custom_objects=custom_objects)
                name = layer_data.get("name", layer.name)
                created[name] = layer
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
    return isinstance(config, Mapping) and {"layers", "input_layers", "output_layers"} <= set(config)


def _describe_structure(value: Any) -> str:
    if isinstance(value, Mapping):
        return f"a dict with keys {sorted(value)}"
    if isinstance(value, (list, tuple)):
        return f"a {type(value).__name__} of {len(value)} item(s)"
    shape = getattr(value, "shape", None)
    return f"a single {type(value).__name__}" + (f" of shape {tuple(shape)}" if shape is not None else "")
