"""`lx.utils.plot_model`: draws the layer graph of a model to an image (needs matplotlib)."""

from __future__ import annotations

import os
from typing import Any

__all__ = ["plot_model"]

_INSTALL_HINT = (
    "plot_model() needs matplotlib, an optional dependency of layerax. Install it with "
    "`pip install layerax[plot]` (or `pip install matplotlib`)."
)


def _graph(model: Any) -> tuple[list[Any], list[tuple[int, int]]]:
    """(layers, edges as (source index, target index)) of a Functional or Sequential model."""
    from layerax.models.functional import Functional
    from layerax.models.sequential import Sequential
    from layerax.models.node import inbound_nodes

    if isinstance(model, Sequential):
        layers = list(model._layers)
        return layers, [(i, i + 1) for i in range(len(layers) - 1)]
    if not isinstance(model, Functional):
        raise ValueError(
            f"plot_model() draws the graph of a Functional or Sequential model; model "
            f"'{model.name}' is a subclassed model ({type(model).__name__}), whose computation "
            "is Python code with no static graph."
        )
    layers = list(model._layers)
    index = {id(layer): i for i, layer in enumerate(layers)}
    edges = []
    for layer in layers:
        for node in inbound_nodes(layer):
            if id(node) not in model._lx_nodes or node.is_input:
                continue
            for tensor in node.input_tensors:
                tensor = model._lx_aliases.get(id(tensor), tensor)
                source = tensor._lx_history[0]
                edge = (index[id(source)], index[id(layer)])
                if edge not in edges:
                    edges.append(edge)
    return layers, edges


def _label(
    layer: Any,
    show_shapes: bool,
    show_dtype: bool,
    show_layer_names: bool,
    show_layer_activations: bool,
    show_trainable: bool,
    expand_nested: bool,
) -> str:
    from layerax.models.model import Model
    from layerax.models.summary import _format_shapes
    from layerax.models.node import inbound_nodes

    cls = type(layer).__name__
    lines = [f"{layer.name} ({cls})" if show_layer_names else cls]
    activation = getattr(layer, "activation", None)
    if show_layer_activations and callable(activation):
        lines.append(f"activation: {getattr(activation, '__name__', type(activation).__name__)}")
    nodes = inbound_nodes(layer)
    if show_shapes and nodes:
        node = nodes[0]
        if not node.is_input:
            lines.append(f"input: {_format_shapes(node.input_tensors[0] if len(node.input_tensors) == 1 else node.input_tensors)}")
        lines.append(f"output: {_format_shapes(node.output_structure)}")
    if show_dtype and nodes:
        lines.append(f"dtype: {nodes[0].outputs[0].dtype}")
    if show_trainable and layer.weights:
        lines.append(f"trainable: {layer.trainable}")
    if expand_nested and isinstance(layer, Model):
        inner = [l.name for l in layer.layers]
        lines.append("[" + ", ".join(inner) + "]")
    return "\n".join(lines)


def plot_model(
    model: Any,
    to_file: str = "model.png",
    show_shapes: bool = False,
    show_dtype: bool = False,
    show_layer_names: bool = True,
    rankdir: str = "TB",
    expand_nested: bool = False,
    dpi: int = 200,
    show_layer_activations: bool = False,
    show_trainable: bool = False,
) -> Any:
    """Draws the layer graph of a Functional or Sequential model to an image file.

    Uses matplotlib (`pip install layerax[plot]`); the format follows the
    file's extension (`.png`, `.svg`, `.pdf`, ...). Layers are placed in rows
    by their distance from the inputs.

    Args:
        model: A Functional or Sequential model.
        to_file: Output file name.
        show_shapes: Add input and output shapes to each box.
        show_dtype: Add the output dtype to each box.
        show_layer_names: Show layer names (else class names only).
        rankdir: `"TB"` (top to bottom) or `"LR"` (left to right).
        expand_nested: List the layers of nested models in their box.
        dpi: Resolution of raster images.
        show_layer_activations: Add the activation of layers that have one.
        show_trainable: Add whether each layer with weights is trainable.

    Returns:
        An `IPython.display.Image` of the file when IPython is available and
        the file is a raster image, else None.

    Raises:
        ImportError: when matplotlib is not installed.
        ValueError: for a subclassed model or an unknown `rankdir`.

    Example:
        >>> import pathlib, tempfile, layerax as lx
        >>> model = lx.Sequential([lx.Input(shape=(3,)), lx.layers.Dense(2)])
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "model.png"
        >>> _ = lx.utils.plot_model(model, to_file=str(path), show_shapes=True)
        >>> path.read_bytes()[:4] == b"\\x89PNG"
        True
    """
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as err:
        raise ImportError(_INSTALL_HINT) from err
    if rankdir not in ("TB", "LR"):
        raise ValueError(f"plot_model(): `rankdir` must be 'TB' or 'LR'. Received: {rankdir!r}")
    layers, edges = _graph(model)
    level = [0] * len(layers)
    # Edges go from earlier to later layers (layers are in topological order).
    for source, target in sorted(edges, key=lambda e: e[1]):
        level[target] = max(level[target], level[source] + 1)
    rows: dict[int, list[int]] = {}
    for i, lv in enumerate(level):
        rows.setdefault(lv, []).append(i)
    labels = [
        _label(layer, show_shapes, show_dtype, show_layer_names, show_layer_activations,
               show_trainable, expand_nested)
        for layer in layers
    ]
    positions: dict[int, tuple[float, float]] = {}
    width = max(len(r) for r in rows.values())
    for lv, members in rows.items():
        for k, i in enumerate(members):
            across = (k - (len(members) - 1) / 2) * 3.2
            positions[i] = (across, -lv * 1.6) if rankdir == "TB" else (lv * 3.6, -across * 0.6)
    n_levels = len(rows)
    figsize = (max(3.0, 3.2 * width), max(1.8, 1.6 * n_levels)) if rankdir == "TB" else (
        max(3.0, 3.6 * n_levels), max(1.8, 1.4 * width)
    )
    fig = Figure(figsize=figsize)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    xs = [p[0] for p in positions.values()]
    ys = [p[1] for p in positions.values()]
    ax.set_xlim(min(xs) - 1.8, max(xs) + 1.8)
    ax.set_ylim(min(ys) - 0.8, max(ys) + 0.8)
    boxes = {}
    for i, label in enumerate(labels):
        x, y = positions[i]
        boxes[i] = ax.text(
            x, y, label, ha="center", va="center", fontsize=8,
            bbox={"boxstyle": "round,pad=0.4", "facecolor": "#eef3fb", "edgecolor": "#34558b"},
        )
    for source, target in edges:
        ax.annotate(
            "",
            xy=positions[target],
            xytext=positions[source],
            arrowprops={
                "arrowstyle": "-|>",
                "color": "#34558b",
                # Clip the arrow at the boxes' edges.
                "patchA": boxes[source].get_bbox_patch(),
                "patchB": boxes[target].get_bbox_patch(),
                "shrinkA": 2,
                "shrinkB": 2,
            },
        )
    directory = os.path.dirname(os.path.abspath(to_file))
    os.makedirs(directory, exist_ok=True)
    fig.savefig(to_file, dpi=dpi, bbox_inches="tight")
    if os.path.splitext(to_file)[1].lower() in (".png", ".jpg", ".jpeg"):
        try:
            from IPython.display import Image
        except ImportError:
            return None
        return Image(filename=to_file)
    return None
