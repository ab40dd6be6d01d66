"""`lx.utils.model_to_dot`: the layer graph of a model as a `pydot.Dot` (needs pydot)."""

from __future__ import annotations

from typing import Any

__all__ = ["model_to_dot"]

_INSTALL_HINT = (
    "model_to_dot() needs pydot, an optional dependency of layerax. Install it with "
    "`pip install layerax[plot]` (or `pip install pydot`)."
)


def _pydot() -> Any:
    try:
        import pydot
    except ImportError as err:
        raise ImportError(_INSTALL_HINT) from err
    return pydot


def _activation_name(activation: Any) -> str:
    for attr in ("name", "__name__"):
        if isinstance(getattr(activation, attr, None), str):
            return getattr(activation, attr)
    return str(activation)


def _shape_text(structure: Any) -> str:
    if structure is None:
        return "?"
    if isinstance(structure, dict):
        text = ", ".join(f"{k}: {v}" for k, v in structure.items())
    else:
        text = f"{structure}"
    return text.replace("{", "").replace("}", "")


def _tensor_attr(tensors: Any, attr: str) -> Any:
    from layerax import tree

    return tree.map_structure(lambda t: getattr(t, attr), tensors)


def _io(layer: Any, which: str) -> Any:
    """`layer.input` / `layer.output`, or None when it is not defined (e.g. a shared layer)."""
    try:
        return getattr(layer, which)
    except (ValueError, AttributeError, RuntimeError):
        return None


def _cell(text: str, bgcolor: str = "white", color: str | None = None) -> str:
    font_color = f' color="{color}"' if color else ""
    return f'<td bgcolor="{bgcolor}"><font point-size="14"{font_color}>{text}</font></td>'


def _label(layer: Any, show_layer_names: bool, show_layer_activations: bool, show_dtype: bool,
           show_shapes: bool, show_trainable: bool) -> str:
    """An HTML-like graphviz label: a title row, then optional activation and info rows."""
    cls = type(layer).__name__
    width = max(1, int(show_dtype) + int(show_trainable) + (2 if show_shapes else 0))
    title = f"<b>{layer.name}</b> ({cls})" if show_layer_names else f"<b>{cls}</b>"
    rows = [
        f'<tr><td colspan="{width}" bgcolor="black"><font point-size="16" color="white">'
        f"{title}</font></td></tr>"
    ]
    activation = getattr(layer, "activation", None)
    if show_layer_activations and activation is not None:
        rows.append(
            f'<tr><td bgcolor="white" colspan="{width}"><font point-size="14">'
            f"Activation: <b>{_activation_name(activation)}</b></font></td></tr>"
        )
    info = []
    inputs, outputs = _io(layer, "input"), _io(layer, "output")
    if show_shapes:
        # As in Keras: an undefined input (e.g. a layer used twice) hides both shapes.
        in_shape = None if inputs is None else _tensor_attr(inputs, "shape")
        out_shape = None if inputs is None or outputs is None else _tensor_attr(outputs, "shape")
        if cls != "InputLayer":
            info.append(_cell(f"Input shape: <b>{_shape_text(in_shape)}</b>"))
        info.append(_cell(f"Output shape: <b>{_shape_text(out_shape)}</b>"))
    if show_dtype:
        dtype = _tensor_attr(outputs, "dtype") if outputs is not None else None
        info.append(_cell(f"Output dtype: <b>{dtype or '?'}</b>"))
    if show_trainable and layer.weights:
        if layer.trainable:
            info.append(_cell("<b>Trainable</b>", "forestgreen", "white"))
        else:
            info.append(_cell("<b>Non-trainable</b>", "firebrick", "white"))
    if info:
        rows.append(f"<tr>{''.join(info)}</tr>")
    table = '<<table border="0" cellborder="1" bgcolor="black" cellpadding="10">'
    return table + "".join(rows) + "</table>>"


def _add_edge(dot: Any, pydot: Any, source: Any, target: Any) -> None:
    src, dst = str(id(source)), str(id(target))
    if not dot.get_edge(src, dst):
        edge = pydot.Edge(src, dst)
        edge.set("penwidth", "2")
        dot.add_edge(edge)


def _first_layer(model: Any, input_index: int) -> Any:
    """The layer inside nested models that receives a model's `input_index`-th input."""
    from layerax.models.functional import Functional
    from layerax.models.sequential import Sequential

    while isinstance(model, (Functional, Sequential)):
        if isinstance(model, Sequential):
            model = model.layers[0]
        else:
            model = model.inputs[input_index]._lx_history[0]
    return model


def _last_layer(model: Any, output_index: int) -> Any:
    """The layer inside nested models that produces a model's `output_index`-th output."""
    from layerax.models.functional import Functional
    from layerax.models.sequential import Sequential

    while isinstance(model, (Functional, Sequential)):
        model, _, output_index = model.outputs[output_index]._lx_history
    return model


def model_to_dot(
    model: Any,
    show_shapes: bool = False,
    show_dtype: bool = False,
    show_layer_names: bool = True,
    rankdir: str = "TB",
    expand_nested: bool = False,
    dpi: int = 200,
    subgraph: bool = False,
    show_layer_activations: bool = False,
    show_trainable: bool = False,
    splines: str = "ortho",
    **kwargs: Any,
) -> Any:
    """Converts a model's layer graph to a `pydot.Dot` graph, as Keras 3 does.

    Each layer is a node named `str(id(layer))` with an HTML-like table label;
    edges follow the connections between layers. A Sequential model has no
    InputLayer node (as `model.layers`); a subclassed model is one node.
    Needs pydot (`pip install layerax[plot]`); rendering it needs Graphviz.

    Args:
        model: A built model.
        show_shapes: Add the input and output shapes to each node.
        show_dtype: Add the output dtype.
        show_layer_names: Show layer names (else class names only).
        rankdir: Graphviz `rankdir`: `"TB"` (vertical) or `"LR"` (horizontal).
        expand_nested: Draw nested Functional/Sequential models as clusters
            of their layers.
        dpi: Image resolution in dots per inch.
        subgraph: Return a `pydot.Cluster` (used for nested models).
        show_layer_activations: Add the activation of layers that have one.
        show_trainable: Add whether each layer with weights is trainable.
        splines: Graphviz `splines` (`"ortho"`, `"curved"`, `"polyline"`, ...).

    Returns:
        A `pydot.Dot`, or a `pydot.Cluster` when `subgraph=True`.

    Raises:
        ImportError: when pydot is not installed.
        ValueError: for an unbuilt model or unknown keyword arguments.

    Example:
        >>> import layerax as lx
        >>> inputs = lx.Input(shape=(3,))
        >>> model = lx.Model(inputs, lx.layers.Dense(2, name="out")(inputs))
        >>> dot = lx.utils.model_to_dot(model)
        >>> layers = [n for n in dot.get_nodes() if n.get_name() != "node"]  # not the defaults
        >>> len(layers), len(dot.get_edges())
        (2, 1)
    """
    from layerax.models.functional import Functional
    from layerax.models.node import inbound_nodes
    from layerax.models.sequential import Sequential

    if not model.built:
        raise ValueError(
            f"model_to_dot(): model '{model.name}' has not been built yet. Build it first by "
            "calling `model.build(input_shape)` or calling it on a batch of data."
        )
    pydot = _pydot()
    if kwargs.pop("layer_range", None) is not None:
        raise ValueError("model_to_dot(): the argument `layer_range` is no longer supported.")
    if kwargs:
        raise ValueError(f"model_to_dot(): unrecognized keyword arguments: {sorted(kwargs)}")
    if subgraph:
        dot = pydot.Cluster(style="dashed", graph_name=model.name)
        dot.set("label", model.name)
        dot.set("labeljust", "l")
    else:
        dot = pydot.Dot()
        dot.set("rankdir", rankdir)
        dot.set("concentrate", True)
        dot.set("dpi", dpi)
        dot.set("splines", splines)
        dot.set_node_defaults(shape="record")
    label_args = (show_layer_names, show_layer_activations, show_dtype, show_shapes, show_trainable)

    def add_node(layer: Any) -> None:
        node = pydot.Node(str(id(layer)), label=_label(layer, *label_args))
        node.set("fontname", "Helvetica")
        node.set("border", "0")
        node.set("margin", "0")
        dot.add_node(node)

    if isinstance(model, Sequential):
        layers = list(model.layers)
    elif isinstance(model, Functional):
        layers = list(model._layers)
    else:
        add_node(model)
        return dot
    for layer in layers:
        if expand_nested and isinstance(layer, (Functional, Sequential)):
            dot.add_subgraph(model_to_dot(
                layer, show_shapes, show_dtype, show_layer_names, rankdir, expand_nested,
                subgraph=True, show_layer_activations=show_layer_activations,
                show_trainable=show_trainable,
            ))
        else:
            add_node(layer)
    if isinstance(model, Sequential):
        for source, target in zip(layers, layers[1:]):
            if expand_nested:
                source, target = _last_layer(source, 0), _first_layer(target, 0)
            _add_edge(dot, pydot, source, target)
        return dot
    for layer in layers:
        for node in inbound_nodes(layer):
            if id(node) not in model._lx_nodes or node.is_input:
                continue
            for input_index, tensor in enumerate(node.input_tensors):
                tensor = model._lx_aliases.get(id(tensor), tensor)
                source, _, output_index = tensor._lx_history
                target = layer
                if expand_nested:
                    source = _last_layer(source, output_index)
                    target = _first_layer(target, input_index)
                _add_edge(dot, pydot, source, target)
    return dot
