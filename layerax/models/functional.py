"""Functional models: `lx.Model(inputs, outputs)` over a graph of symbolic layer calls.

The model keeps two ordinary attributes: `_layers` (the layers in Keras'
order, InputLayers included) and `_graph_plan` (the execution plan derived
once from the recorded nodes, see `graph.py`, which reaches the layers only
by their index in `_layers`). Symbolic bookkeeping (inputs, outputs, nodes)
lives in `_lx_` attributes, outside pytree structure and sub-layer tracking.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jax
import jax.numpy as jnp

from layerax.core.layer import Layer
from layerax.core.shape_inference import Spec
from layerax.models import host_prefix, masking
from layerax.models.model import Model
from layerax.models.input_layer import InputLayer
from layerax.models.keras_tensor import KerasTensor, _leafy, flatten_args
from layerax.models.node import Node, inbound_nodes
from layerax.models.functional_config import functional_config, functional_from_config
from layerax.models.graph import execute, make_plan, map_graph

__all__ = ["Functional"]


def _unpack_singleton(x: Any) -> Any:
    if isinstance(x, (list, tuple)) and len(x) == 1:
        return x[0]
    return x


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

    # As in Keras: the graph casts each input to its Input's dtype and each layer casts
    # its own inputs; casting at the model level first (to a mixed policy's bfloat16)
    # would round what a float32 first layer receives.
    _convert_input_args = False

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
        plan = make_plan(list(in_leaves), model_inputs, input_nodes, nodes, layers, out_leaves, out_tree)
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
        """The names of the model's InputLayers, in input order.

        Example:
            >>> import layerax as lx
            >>> x = lx.Input((3,), name="features")
            >>> model = lx.Model(x, lx.layers.Dense(2, name="head")(x))
            >>> model.input_names, model.output_names
            (['features'], ['head'])
        """
        return [t._lx_history[0].name for t in self._lx_inputs]

    @property
    def output_names(self) -> list[str]:
        """The names of the layers producing the model's outputs, in output order."""
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
            if dtype == "string":  # host strings (numpy): the host layers take them as they are
                out.append(x)
                continue
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
        prefix = host_prefix.active_for(self)
        if prefix is not None:  # inside fit's compiled step: the host layers already ran
            return prefix.device_call(inputs, training, mask)
        flat = self._lx_convert_inputs(self._lx_flat_inputs(inputs))
        flat_masks = None if mask is None else self._lx_flat_masks(mask)
        outputs, out_masks = execute(self._layers, self._graph_plan, flat, flat_masks)
        tree = self._graph_plan.output_tree
        if masking.has_mask_request():
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
        return functional_config(self)

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> Functional:
        """Rebuilds the graph from `get_config()`'s output (fresh weights)."""
        return functional_from_config(cls, config, custom_objects)


def _describe_structure(value: Any) -> str:
    if isinstance(value, Mapping):
        return f"a dict with keys {sorted(value)}"
    if isinstance(value, (list, tuple)):
        return f"a {type(value).__name__} of {len(value)} item(s)"
    shape = getattr(value, "shape", None)
    return f"a single {type(value).__name__}" + (f" of shape {tuple(shape)}" if shape is not None else "")
