"""lx.utils.model_to_dot: the pydot graph's nodes, labels and edges, against Keras 3's."""

from __future__ import annotations

import pytest

import layerax as lx
from tests.helpers import keras


def _functional(lib):
    inputs = lib.Input(shape=(6,), name="x")
    a = lib.layers.Dense(4, activation="relu", name="a")(inputs)
    b = lib.layers.Dense(4, name="b")(inputs)
    merged = lib.layers.Concatenate(name="cat")([a, b])
    outputs = lib.layers.Dense(2, activation="softmax", name="out")(merged)
    model = lib.Model(inputs, outputs, name="branchy")
    model.get_layer("b").trainable = False
    return model


def _nested(lib):
    inner = lib.Sequential([lib.Input((3,)), lib.layers.Dense(5, name="i1"),
                            lib.layers.Dense(4, name="i2")], name="inner")
    inputs = lib.Input(shape=(3,), name="x")
    outputs = lib.layers.Dense(1, name="head")(inner(inputs))
    return lib.Model(inputs, outputs, name="outer")


def _sequential(lib):
    return lib.Sequential([lib.Input((5,)), lib.layers.Dense(3, activation="tanh", name="d1"),
                           lib.layers.Dropout(0.1, name="drop"), lib.layers.Dense(1, name="d2")],
                          name="seq")


def _graph(dot):
    """Nodes as {id: label} (from every cluster) and edges as (label, label) pairs."""
    labels, edges, attrs = {}, set(), {}

    def walk(graph):
        for node in graph.get_nodes():
            if node.get_name() not in ("node", "edge", "graph"):
                labels[node.get_name()] = node.get("label")
                attrs[node.get("label")] = (node.get("fontname"), node.get("border"))
        for edge in graph.get_edges():
            edges.add((edge.get_source(), edge.get_destination(), edge.get("penwidth")))
        for sub in graph.get_subgraphs():
            walk(sub)

    walk(dot)
    named = {(labels[s], labels[d], w) for s, d, w in edges}
    return sorted(labels.values()), named, attrs


@pytest.mark.parametrize("build", [_functional, _sequential, _nested], ids=lambda f: f.__name__)
def test_graph_matches_keras(build):
    k = keras()
    ours_model, keras_model = build(lx), build(k)
    options = [
        {},
        {"show_shapes": True, "show_dtype": True, "show_layer_activations": True,
         "show_trainable": True},
        {"show_layer_names": False, "rankdir": "LR", "expand_nested": True, "show_shapes": True},
    ]
    for kwargs in options:
        ours = lx.utils.model_to_dot(ours_model, **kwargs)
        theirs = k.utils.model_to_dot(keras_model, **kwargs)
        assert _graph(ours) == _graph(theirs), kwargs
        for key in ("rankdir", "concentrate", "dpi", "splines"):
            assert ours.get(key) == theirs.get(key), key
        assert len(ours.get_subgraphs()) == len(theirs.get_subgraphs())


def test_subclassed_model_and_subgraph():
    k = keras()

    class Net(lx.Model):
        def __init__(self):
            super().__init__(name="net")
            self.dense = lx.layers.Dense(2)

        def call(self, x):
            return self.dense(x)

    net = Net()
    net(lx.ops.ones((1, 3)))
    dot = lx.utils.model_to_dot(net)
    assert [n.get_name() for n in dot.get_nodes() if n.get_name() != "node"] == [str(id(net))]
    ours = lx.utils.model_to_dot(_sequential(lx), subgraph=True)
    theirs = k.utils.model_to_dot(_sequential(k), subgraph=True)
    assert type(ours).__name__ == type(theirs).__name__ == "Cluster"
    assert ours.get("label") == theirs.get("label") == "seq"


def test_errors(monkeypatch):
    unbuilt = lx.Sequential([lx.layers.Dense(2)])
    with pytest.raises(ValueError, match="has not been built"):
        lx.utils.model_to_dot(unbuilt)
    model = _sequential(lx)
    with pytest.raises(ValueError, match="layer_range"):
        lx.utils.model_to_dot(model, layer_range=["a", "b"])
    with pytest.raises(ValueError, match="unrecognized keyword"):
        lx.utils.model_to_dot(model, colour="red")
    import sys

    monkeypatch.setitem(sys.modules, "pydot", None)
    with pytest.raises(ImportError, match=r"pip install layerax\[plot\]"):
        lx.utils.model_to_dot(model)
