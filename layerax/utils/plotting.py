"""`plot_history`: loss and metric curves of a training run (needs matplotlib)."""

from __future__ import annotations

import functools
import io
import os
from collections.abc import Mapping, Sequence
from typing import Any

_INSTALL_HINT = (
    "plot_history draws with matplotlib, which is not installed. Install it with "
    "`pip install layerax[plot]` (or `pip install matplotlib`)."
)


def _history_dict(history: Any) -> dict[str, list[float]]:
    if isinstance(history, Mapping):
        data = history
    elif isinstance(getattr(history, "history", None), Mapping):
        data = history.history
    else:
        raise TypeError(
            "plot_history expects a History (the value returned by `model.fit`) or a dict of "
            f"lists such as {{'loss': [...], 'val_loss': [...]}}. Received: {type(history).__name__}"
        )
    out = {}
    for key, values in data.items():
        try:
            out[str(key)] = [float(v) for v in values]
        except (TypeError, ValueError) as err:
            raise TypeError(
                f"plot_history: the values of {key!r} must be a sequence of numbers. Received: {values!r}"
            ) from err
    return out


@functools.lru_cache(maxsize=None)
def _figure_class(figure_cls: Any) -> Any:
    """A Figure subclass that Jupyter renders as a PNG even before pyplot was ever used.

    IPython shows a matplotlib Figure as an image only once the inline backend has
    registered its formatter (the first pyplot figure does that); `_repr_png_` makes the
    returned figure display in a fresh kernel too.
    """

    class HistoryFigure(figure_cls):
        def _repr_png_(self) -> bytes:
            buffer = io.BytesIO()
            self.savefig(buffer, format="png", bbox_inches="tight")
            return buffer.getvalue()

    return HistoryFigure


def plot_history(
    history: Any,
    metrics: Sequence[str] | None = None,
    figsize: tuple[float, float] | None = None,
    filename: Any = None,
    dpi: int = 100,
) -> Any:
    """Draws one panel per metric, with the training and `val_` curves per epoch.

    Args:
        history: The `History` returned by `fit`, or a dict of lists.
        metrics: Names to draw (without `val_`); every logged name by
            default, `loss` first.
        figsize: Figure size in inches (default: 4.5 per panel by 3.5).
        filename: If given, also save the figure there (PNG, SVG, PDF, ...).
        dpi: Resolution when saving.

    Returns:
        The `matplotlib.figure.Figure` (Jupyter shows it when it is the
        last expression of a cell).

    Raises:
        ImportError: when matplotlib is missing (`pip install layerax[plot]`).

    Example:
        >>> import layerax as lx
        >>> fig = lx.utils.plot_history({"loss": [1.0, 0.5], "val_loss": [1.2, 0.8], "accuracy": [0.5, 0.75]})
        >>> [ax.get_title() for ax in fig.axes]
        ['loss', 'accuracy']
    """
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as err:
        raise ImportError(_INSTALL_HINT) from err
    data = _history_dict(history)
    names = [k for k in data if not k.startswith("val_")]
    names += [k[4:] for k in data if k.startswith("val_") and k[4:] not in data]
    if metrics is not None:
        missing = [m for m in metrics if m not in names]
        if missing:
            raise ValueError(
                f"plot_history: no logged values for {missing}. Logged names: {sorted(names)}."
            )
        names = list(metrics)
    elif "loss" in names:
        names.remove("loss")
        names.insert(0, "loss")
    if not names:
        raise ValueError("plot_history: the history is empty; nothing to plot.")
    figure = _figure_class(Figure)(figsize=figsize or (4.5 * len(names), 3.5))
    FigureCanvasAgg(figure)  # lets the figure render and save without pyplot
    for index, name in enumerate(names):
        ax = figure.add_subplot(1, len(names), index + 1)
        for key, label in ((name, "train"), (f"val_{name}", "validation")):
            if key in data:
                values = data[key]
                ax.plot(range(1, len(values) + 1), values, marker="o", markersize=3, label=label)
        ax.set_title(name)
        ax.set_xlabel("epoch")
        ax.grid(True, alpha=0.3)
        ax.legend()
    figure.tight_layout()
    if filename is not None:
        figure.savefig(os.fspath(filename), dpi=dpi)
    return figure


__all__ = ["plot_history"]
