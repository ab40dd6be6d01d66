"""`model.summary()`: a table of layers, output shapes and parameter counts (text and HTML)."""

from __future__ import annotations

import html
import shutil
import textwrap
from typing import Any

import jax.numpy as jnp
import numpy as np

from layerax.core.layer import Layer
from layerax.models.keras_tensor import KerasTensor
from layerax.models.node import inbound_nodes

__all__ = ["readable_size", "summary_html", "summary_text"]


# ------------------------------------------------------------------ numbers
def _param_count(weights: list[Any]) -> int:
    return int(sum(int(np.prod(v.shape)) for v in weights))


def _memory_bytes(weights: list[Any]) -> int:
    return int(sum(int(np.prod(v.shape)) * jnp.dtype(v.dtype).itemsize for v in weights))


def readable_size(n_bytes: float) -> str:
    """A byte count for humans (powers of 1024, two decimals).

    Example:
        >>> from layerax.models.summary import readable_size
        >>> readable_size(32), readable_size(1536)
        ('32.00 B', '1.50 KB')
    """
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n_bytes < 1024 or unit == "TB":
            return f"{n_bytes:.2f} {unit}"
        n_bytes /= 1024
    return f"{n_bytes:.2f} TB"  # pragma: no cover - loop always returns


# ------------------------------------------------------------------- shapes
def _format_shapes(value: Any) -> str:
    if isinstance(value, KerasTensor):
        return str(value.shape)
    if isinstance(value, tuple) and all(d is None or isinstance(d, int) for d in value):
        return str(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {_format_shapes(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_format_shapes(v) for v in value) + "]"
    return "?"


def _relevant_nodes(layer: Layer, relevant: set[int] | None) -> list[Any]:
    nodes = inbound_nodes(layer)
    if relevant is None:
        return nodes[:1]
    return [n for n in nodes if id(n) in relevant]


def _output_shape(layer: Layer, relevant: set[int] | None) -> str:
    nodes = _relevant_nodes(layer, relevant)
    if nodes:
        outs = [n.output_structure for n in nodes]
        return _format_shapes(outs[0] if len(outs) == 1 else outs)
    shapes = getattr(layer, "_build_shapes", None)
    if layer.built and shapes is not None and not isinstance(shapes, dict):
        # A subclassed model's sub-layer: infer from the shape it was built with.
        try:
            batchless = (None, *tuple(shapes)[1:]) if isinstance(shapes, tuple) else shapes
            return _format_shapes(layer.compute_output_shape(batchless))
        except Exception:  # noqa: BLE001 - a summary never fails on shape inference
            return "?"
    return "?"


# ---------------------------------------------------------------- structure
def _describe(model: Any) -> tuple[list[Layer], set[int] | None, bool, dict[int, Any]]:
    """(layers to list, ids of the model's nodes or None, sequential-like, input aliases)."""
    from layerax.models.functional import Functional
    from layerax.models.sequential import Sequential

    if isinstance(model, Sequential):
        return model.layers, model._lx_nodes_in_model(), True, {}
    if isinstance(model, Functional):
        return model.layers, model._lx_nodes, _sequential_like(model), model._lx_aliases
    return list(model.layers), None, True, {}


def _sequential_like(model: Any) -> bool:
    if len(model._lx_inputs) != 1 or len(model._lx_outputs) != 1:
        return False
    previous = model._lx_inputs[0]
    aliases = model._lx_aliases
    seen: set[int] = set()
    for node in model._lx_node_list:
        if node.is_input:
            continue
        if id(node.layer) in seen or len(node.input_tensors) != 1 or len(node.outputs) != 1:
            return False
        seen.add(id(node.layer))
        given = node.input_tensors[0]
        if given is not previous and aliases.get(id(given)) is not previous:
            return False
        previous = node.outputs[0]
    return True


def _connections(layer: Layer, relevant: set[int] | None, aliases: dict[int, Any]) -> str:
    parts = []
    for node in _relevant_nodes(layer, relevant):
        for tensor in node.input_tensors:
            tensor = aliases.get(id(tensor), tensor)
            if tensor._lx_history is None:
                continue
            source, node_index, tensor_index = tensor._lx_history
            parts.append(f"{source.name}[{node_index}][{tensor_index}]")
    return ", ".join(parts) or "-"


def _rows(
    model: Any, expand_nested: bool, show_trainable: bool, level: int = 0
) -> tuple[list[list[str]], bool]:
    from layerax.models.model import Model

    layers, relevant, sequential_like, aliases = _describe(model)
    rows = []
    for layer in layers:
        prefix = ("   " * level + "└ ") if level else ""
        if not layer.built:
            params = "0 (unbuilt)"
        else:
            params = f"{_param_count(layer.weights):,}"
        row = [
            f"{prefix}{layer.name} ({type(layer).__name__})",
            _output_shape(layer, relevant),
            params,
        ]
        if not sequential_like:
            row.append(_connections(layer, relevant, aliases))
        if show_trainable:
            row.append(("Y" if layer.trainable else "N") if layer.weights else "-")
        rows.append(row)
        if expand_nested and isinstance(layer, Model):
            inner, inner_seq = _rows(layer, expand_nested, show_trainable, level + 1)
            if not sequential_like and inner_seq:
                inner = [r[:3] + ["-"] + r[3:] for r in inner]
            elif sequential_like and not inner_seq:
                inner = [r[:3] + r[4:] for r in inner]
            rows.extend(inner)
    return rows, sequential_like


def _table(
    model: Any,
    line_length: int | None,
    positions: list[float] | None,
    expand_nested: bool,
    show_trainable: bool,
    layer_range: Any,
) -> tuple[list[str], list[list[str]], list[int]]:
    rows, sequential_like = _rows(model, expand_nested, show_trainable)
    if layer_range is not None:
        rows = _select_range(model, rows, layer_range)
    header = ["Layer (type)", "Output Shape", "Param #"]
    if sequential_like:
        default_length, default_positions = 88, [0.45, 0.80, 1.0]
    else:
        default_length, default_positions = 108, [0.3, 0.56, 0.74, 1.0]
        header.append("Connected to")
    if show_trainable:
        header.append("Trainable")
        default_length += 12
        default_positions = [p * 0.90 for p in default_positions] + [1.0]
    if line_length is None:
        line_length = min(default_length, max(shutil.get_terminal_size().columns - 4, 60))
    positions = list(positions or default_positions)
    if len(positions) != len(header):
        raise ValueError(
            f"summary(): `positions` needs {len(header)} entries (one per column {header}). "
            f"Received: {positions}"
        )
    if positions[-1] <= 1:
        positions = [int(p * line_length) for p in positions]
    widths, start = [], 0
    for end in positions:
        widths.append(max(int(end) - start, 5))
        start = int(end)
    return header, rows, widths


def _select_range(model: Any, rows: list[list[str]], layer_range: Any) -> list[list[str]]:
    if not isinstance(layer_range, (list, tuple)) or len(layer_range) != 2:
        raise ValueError(
            "summary(): `layer_range` must be a list of two layer names [first, last]. "
            f"Received: {layer_range!r}"
        )
    names = [r[0].split(" (")[0].lstrip(" └") for r in rows]
    bounds = []
    for name in layer_range:
        if name not in names:
            raise ValueError(
                f"summary(): layer_range entry {name!r} is not a layer of model '{model.name}'. "
                f"Layers: {names}"
            )
        bounds.append(names.index(name))
    return rows[bounds[0] : bounds[1] + 1]


def _totals(model: Any) -> list[tuple[str, int, int]]:
    trainable = model.trainable_weights
    non_trainable = model.non_trainable_weights
    every = trainable + non_trainable
    return [
        ("Total params", _param_count(every), _memory_bytes(every)),
        ("Trainable params", _param_count(trainable), _memory_bytes(trainable)),
        ("Non-trainable params", _param_count(non_trainable), _memory_bytes(non_trainable)),
    ]


def _cell_widths(widths: list[int]) -> list[int]:
    """Cell widths (padding included, borders excluded) so that the table spans the line.

    Each column asks for its share of the line plus one space of padding on each side; the
    surplus (that padding and the `len(widths) + 1` borders) is taken from the columns in
    equal parts, earlier columns rounding first, as Keras' rich table does.
    """
    cells = [w + 2 for w in widths]
    surplus = 3 * len(widths) + 1
    remaining, out = len(cells), []
    for cell in cells:
        cut = min(cell, round(surplus / remaining))
        out.append(cell - cut)
        surplus -= cut
        remaining -= 1
    return out


def _cell_lines(text: str, width: int) -> list[str]:
    """Wraps at spaces; a word longer than the cell is cut with an ellipsis, as in Keras."""
    width = max(width, 1)
    lines = textwrap.wrap(text, width=width, break_long_words=False, break_on_hyphens=False)
    return [line if len(line) <= width else line[: width - 1] + "…" for line in lines] or [""]


def summary_text(
    model: Any,
    line_length: int | None = None,
    positions: list[float] | None = None,
    expand_nested: bool = False,
    show_trainable: bool = False,
    layer_range: Any = None,
) -> str:
    """The text of `model.summary()` (see `lx.Model.summary` for the arguments).

    Example:
        >>> import layerax as lx
        >>> from layerax.models.summary import summary_text
        >>> model = lx.Sequential([lx.Input(shape=(3,)), lx.layers.Dense(2, name="d")])
        >>> print(summary_text(model).splitlines()[-3])
         Total params: 8 (32.00 B)
    """
    header, rows, widths = _table(
        model, line_length, positions, expand_nested, show_trainable, layer_range
    )
    inner = _cell_widths(widths)
    content = [max(w - 2, 1) for w in inner]
    right = {header.index("Param #")}
    center = {header.index("Trainable")} if "Trainable" in header else set()

    def line(left: str, fill: str, mid: str, end: str) -> str:
        return left + mid.join(fill * w for w in inner) + end

    def render(cells: list[str], border: str) -> list[str]:
        wrapped = [_cell_lines(c, w) for c, w in zip(cells, content)]
        height = max(len(w) for w in wrapped)
        out = []
        for i in range(height):
            parts = []
            for col, (lines, w) in enumerate(zip(wrapped, content)):
                text = lines[i] if i < len(lines) else ""
                aligned = text.rjust(w) if col in right else text.center(w) if col in center else text.ljust(w)
                parts.append(" " + aligned + " ")
            out.append(border + border.join(parts) + border)
        return out

    out = [f'Model: "{model.name}"', line("┏", "━", "┳", "┓")]
    out += render(header, "┃")
    out.append(line("┡", "━", "╇", "┩"))
    for i, row in enumerate(rows):
        if i:
            out.append(line("├", "─", "┼", "┤"))
        out += render(row, "│")
    out.append(line("└", "─", "┴", "┘"))
    for label, count, size in _totals(model):
        out.append(f" {label}: {count:,} ({readable_size(size)})")
    return "\n".join(out)


def summary_html(model: Any) -> str:
    """An HTML table with the content of `model.summary()` (for notebooks).

    Example:
        >>> import layerax as lx
        >>> from layerax.models.summary import summary_html
        >>> model = lx.Sequential([lx.Input(shape=(3,)), lx.layers.Dense(2, name="d")])
        >>> html = summary_html(model)
        >>> html.startswith("<div"), "d (Dense)" in html, "Total params" in html
        (True, True, True)
    """
    header, rows, _ = _table(model, 120, None, False, False, None)
    esc = html.escape
    head = "".join(f"<th style='text-align:left'>{esc(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(
            f"<td style='text-align:{'right' if j == 2 else 'left'}'>{esc(c)}</td>"
            for j, c in enumerate(row)
        ) + "</tr>"
        for row in rows
    )
    totals = "<br>".join(
        f"<b>{esc(label)}:</b> {count:,} ({esc(readable_size(size))})"
        for label, count, size in _totals(model)
    )
    return (
        f"<div class='layerax-model-summary'><p><b>Model: &quot;{esc(model.name)}&quot;</b></p>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        f"<p>{totals}</p></div>"
    )
