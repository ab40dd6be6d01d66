"""model.summary(): rows, shapes, parameter totals (against counts and Keras), options, HTML."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import layerax as lx
from tests.helpers import keras
from tests.models.custom_layers import AddPair


def capture(model: Any, **kwargs: Any) -> str:
    lines: list[str] = []
    model.summary(print_fn=lines.append, **kwargs)
    assert len(lines) == 1  # print_fn receives the whole text once
    return lines[0]


def stack(api: Any) -> Any:
    return api.Sequential(
        [
            api.Input(shape=(3,)),
            api.layers.Dense(2, activation="relu", name="layer1"),
            api.layers.Dense(3, activation="relu", name="layer2"),
            api.layers.Dense(4, name="layer3"),
        ],
        name="seed",
    )


def test_sequential_summary_rows_and_totals_match_counts_and_keras():
    k = keras()
    model = stack(lx)
    model.get_layer("layer2").trainable = False
    text = capture(model, line_length=70)
    lines = text.splitlines()
    assert lines[0] == 'Model: "seed"'
    assert all(len(line) == 70 for line in lines[1:-3])
    rows = [line for line in lines if line.startswith("│")]
    cells = [[c.strip() for c in row.strip("│").split("│")] for row in rows]
    assert cells == [
        ["layer1 (Dense)", "(None, 2)", "8"],
        ["layer2 (Dense)", "(None, 3)", "9"],
        ["layer3 (Dense)", "(None, 4)", "16"],
    ]
    total = model.count_params()
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    assert total == 33 and trainable == 24
    assert lines[-3:] == [
        " Total params: 33 (132.00 B)",
        " Trainable params: 24 (96.00 B)",
        " Non-trainable params: 9 (36.00 B)",
    ]
    theirs = stack(k)
    theirs.get_layer("layer2").trainable = False
    keras_lines: list[str] = []
    theirs.summary(print_fn=lambda text, line_break=False: keras_lines.append(text))
    keras_footer = [line.rstrip() for line in "".join(keras_lines).splitlines() if "params:" in line]
    assert keras_footer == lines[-3:]


def test_functional_summary_has_connections_and_input_layers():
    a, b = lx.Input(shape=(3,), name="a"), lx.Input(shape=(3,), name="b")
    shared = lx.layers.Dense(2, name="shared")
    out = AddPair(name="join")([shared(a), shared(b)])
    model = lx.Model([a, b], out, name="pair")
    text = capture(model, line_length=120)
    rows = [[c.strip() for c in line.strip("│").split("│")] for line in text.splitlines() if line.startswith("│")]
    header = [c.strip() for c in text.splitlines()[2].strip("┃").split("┃")]
    assert header == ["Layer (type)", "Output Shape", "Param #", "Connected to"]
    assert rows == [
        ["a (InputLayer)", "(None, 3)", "0", "-"],
        ["b (InputLayer)", "(None, 3)", "0", "-"],
        ["shared (Dense)", "[(None, 2), (None, 2)]", "8", "a[0][0], b[0][0]"],
        ["join (AddPair)", "(None, 2)", "0", "shared[0][0], shared[1][0]"],
    ]
    assert text.splitlines()[-3] == " Total params: 8 (32.00 B)"


def test_summary_options_nested_trainable_range_and_wrapping():
    inner = stack(lx)
    x = lx.Input(shape=(3,), name="x")
    model = lx.Model(x, lx.layers.Dense(1, name="head")(inner(x)), name="outer")
    expanded = capture(model, expand_nested=True, show_trainable=True, line_length=110)
    names = [line.strip("│").split("│")[0].strip() for line in expanded.splitlines() if line.startswith("│")]
    assert names == ["x (InputLayer)", "seed (Sequential)", "└ layer1 (Dense)", "└ layer2 (Dense)",
                     "└ layer3 (Dense)", "head (Dense)"]
    header = [c.strip() for c in expanded.splitlines()[2].strip("┃").split("┃")]
    # The 8-character cell cuts the header, as Keras' rich table does.
    assert header == ["Layer (type)", "Output Shape", "Param #", "Trainab…"]
    flags = [line.strip("│").split("│")[-1].strip() for line in expanded.splitlines() if line.startswith("│")]
    assert flags == ["-", "Y", "Y", "Y", "Y", "Y"]
    flat = capture(model, line_length=90)
    assert "layer1" not in flat and " Total params: 38 (152.00 B)" in flat
    ranged = capture(model, layer_range=["seed", "head"], line_length=90)
    assert "x (InputLayer)" not in ranged and "head (Dense)" in ranged
    with pytest.raises(ValueError, match="layer_range entry 'nope'"):
        capture(model, layer_range=["nope", "head"])
    narrow = capture(lx.Sequential([lx.Input(shape=(3,)), lx.layers.Dense(2, name="a_rather_long_layer_name")]), line_length=40)
    assert all(len(line) == 40 for line in narrow.splitlines()[1:-3])
    assert "a_rather" in narrow


def test_subclassed_and_unbuilt_summaries_and_html():
    class Net(lx.Model):
        def __init__(self) -> None:
            super().__init__(name="net")
            self.hidden = lx.layers.Dense(4, name="hidden")
            self.out = lx.layers.Dense(1, name="out")

        def call(self, x: Any) -> Any:
            return self.out(self.hidden(x))

    net = Net()
    unbuilt = capture(net, line_length=80)
    assert "0 (unbuilt)" in unbuilt and " Total params: 0 (0.00 B)" in unbuilt
    net(np.ones((2, 3), "float32"))
    built = capture(net, line_length=80)
    rows = [[c.strip() for c in line.strip("│").split("│")] for line in built.splitlines() if line.startswith("│")]
    assert rows == [["hidden (Dense)", "(None, 4)", "16"], ["out (Dense)", "(None, 1)", "5"]]
    html = net._repr_html_()
    assert html.startswith("<div") and "<table>" in html and "hidden (Dense)" in html
    assert "Total params:</b> 21 (84.00 B)" in html


def branches(api: Any) -> Any:
    x = api.Input(shape=(3,), name="input_with_a_long_name")
    left = api.layers.Dense(2, name="left")(x)
    right = api.layers.Dense(2, name="right")(x)
    return api.Model(x, api.layers.Add(name="join")([left, right]), name="branches")


def keras_text(model: Any, **kwargs: Any) -> str:
    # Keras' console crops at the terminal width (80 without one): keep line_length below.
    parts: list[str] = []
    model.summary(print_fn=lambda text, line_break=False: parts.append(text), **kwargs)
    return "\n".join(line.rstrip() for line in "".join(parts).strip("\n").splitlines())


@pytest.mark.parametrize(
    "build, kwargs",
    [
        (stack, {"line_length": 76}),
        (stack, {"line_length": 60, "show_trainable": True}),
        (branches, {"line_length": 76}),
        (branches, {"line_length": 70, "show_trainable": True}),
    ],
)
def test_summary_table_text_matches_keras(build: Any, kwargs: dict[str, Any]) -> None:
    # Column widths, ellipsis on words longer than a cell, header cut and centred flags.
    ours = "\n".join(line.rstrip() for line in capture(build(lx), **kwargs).splitlines())
    assert ours == keras_text(build(keras()), **kwargs)
