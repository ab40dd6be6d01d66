"""lx.utils.plot_model draws the layer graph with matplotlib (the `plot` extra)."""

from __future__ import annotations

import sys
from typing import Any

import pytest

import layerax as lx
from tests.models.custom_layers import AddPair


def two_branch_model() -> lx.Model:
    a, b = lx.Input(shape=(3,), name="a"), lx.Input(shape=(3,), name="b")
    shared = lx.layers.Dense(2, activation="relu", name="shared")
    return lx.Model([a, b], AddPair(name="join")([shared(a), shared(b)]))


def test_plot_model_writes_png_and_svg(tmp_path):
    from layerax.utils.model_visualization import _graph

    model = two_branch_model()
    layers, edges = _graph(model)
    assert [layer.name for layer in layers] == ["a", "b", "shared", "join"]
    assert edges == [(0, 2), (1, 2), (2, 3)]
    png = tmp_path / "model.png"
    lx.utils.plot_model(model, to_file=str(png), show_shapes=True, show_dtype=True,
                        show_layer_activations=True, show_trainable=True, dpi=60)
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 1000
    svg = tmp_path / "sub" / "model.svg"
    seq = lx.Sequential([lx.Input(shape=(3,)), lx.layers.Dense(2), lx.layers.Dense(1)])
    assert lx.utils.plot_model(seq, to_file=str(svg), rankdir="LR") is None
    text = svg.read_text()
    assert text.lstrip().startswith("<?xml") and "<svg" in text


def test_plot_model_errors(tmp_path, monkeypatch):
    class Net(lx.Model):
        def call(self, x: Any) -> Any:
            return x

    with pytest.raises(ValueError, match="subclassed model.*no static graph"):
        lx.utils.plot_model(Net(name="net"), to_file=str(tmp_path / "n.png"))
    with pytest.raises(ValueError, match="rankdir"):
        lx.utils.plot_model(two_branch_model(), to_file=str(tmp_path / "m.png"), rankdir="BT")
    # Without matplotlib: a clear ImportError naming the extra.
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    monkeypatch.setitem(sys.modules, "matplotlib.backends.backend_agg", None)
    with pytest.raises(ImportError, match=r"pip install layerax\[plot\]"):
        lx.utils.plot_model(two_branch_model(), to_file=str(tmp_path / "m.png"))
