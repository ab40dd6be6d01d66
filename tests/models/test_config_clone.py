"""get_config/from_config of whole graphs and clone_model, for Functional and Sequential models."""

from __future__ import annotations

import json
from typing import Any

import jax
import numpy as np
import pytest

import layerax as lx
from layerax.core import serialization
from tests.helpers import assert_close
from tests.models.custom_layers import AddPair, ConcatLast, MaskedMean, TokenEmbedding, TwiceInTraining

CUSTOM = {"AddPair": AddPair, "ConcatLast": ConcatLast, "TwiceInTraining": TwiceInTraining}
A = np.random.default_rng(5).normal(size=(2, 3)).astype("float32")
B = np.random.default_rng(6).normal(size=(2, 3)).astype("float32")


def graph_model() -> lx.Model:
    """Dict inputs and outputs, a shared layer, a nested model and a recorded call argument."""
    inner_in = lx.Input(shape=(4,), name="inner_in")
    inner = lx.Model(inner_in, lx.layers.Dense(4, activation="tanh", name="inner_dense")(inner_in), name="inner")
    a = lx.Input(shape=(3,), name="a")
    b = lx.Input(shape=(3,), name="b")
    shared = lx.layers.Dense(4, name="shared")
    ha, hb = inner(shared(a)), shared(b)
    joined = AddPair(name="join")([ha, hb])
    boosted = TwiceInTraining(name="boost")(joined, training=True)
    both = ConcatLast(name="concat")([boosted, hb])
    return lx.Model(
        {"a": a, "b": b}, {"main": lx.layers.Dense(1, name="main")(both), "aux": hb}, name="graph"
    )


def test_functional_config_round_trip_gives_identical_predictions():
    model = graph_model()
    config = model.get_config()
    assert config["name"] == "graph"
    assert [layer["name"] for layer in config["layers"]] == [layer.name for layer in model.layers]
    shared = next(layer for layer in config["layers"] if layer["name"] == "shared")
    assert len(shared["inbound_nodes"]) == 2
    assert config["input_layers"] == {"a": ["a", 0, 0], "b": ["b", 0, 0]}
    assert config["output_layers"] == {"aux": ["shared", 1, 0], "main": ["main", 0, 0]}
    boost = next(layer for layer in config["layers"] if layer["name"] == "boost")
    assert boost["inbound_nodes"][0]["kwargs"] == {"training": True}
    rebuilt = lx.Model.from_config(config, custom_objects=CUSTOM)
    assert isinstance(rebuilt, lx.models.Functional)
    assert [layer.name for layer in rebuilt.layers] == [layer.name for layer in model.layers]
    rebuilt.set_weights(model.get_weights())
    inputs = {"a": A, "b": B}
    assert_close(rebuilt(inputs), model(inputs), rtol=1e-6)
    assert rebuilt.get_config() == config
    # Through JSON (tuples become lists) it still works.
    from_json = lx.Model.from_config(json.loads(json.dumps(config)), custom_objects=CUSTOM)
    from_json.set_weights(model.get_weights())
    assert_close(from_json(inputs), model(inputs), rtol=1e-6)


def test_config_of_a_sub_model_only_counts_its_own_nodes():
    x = lx.Input(shape=(3,), name="x")
    first = lx.layers.Dense(3, name="first")
    h = first(first(x))  # the same layer twice
    model = lx.Model(x, lx.layers.Dense(2, name="out")(h))
    tail = lx.Model(h, model.get_layer("out").output)  # from an intermediate tensor
    config = tail.get_config()
    assert [layer["name"] for layer in config["layers"]][1:] == ["out"]
    rebuilt = lx.models.Functional.from_config(config)
    rebuilt.set_weights(tail.get_weights())
    hidden = np.ones((2, 3), "float32")
    assert_close(rebuilt(hidden), tail(hidden))
    shared_twice = lx.Model.from_config(model.get_config())
    shared_twice.set_weights(model.get_weights())
    assert_close(shared_twice(A), model(A))


def test_custom_layers_need_custom_objects_or_registration():
    model = graph_model()
    with pytest.raises(ValueError, match="Unknown layer class: 'AddPair'.*custom_objects"):
        lx.Model.from_config(model.get_config())

    @serialization.register_serializable(package="tests_models")
    class Doubler(lx.layers.Layer):
        def call(self, x: Any) -> Any:
            return 2 * x

    x = lx.Input(shape=(2,))
    doubled = lx.Model(x, Doubler()(x))
    rebuilt = lx.Model.from_config(doubled.get_config())
    assert type(rebuilt.layers[1]) is Doubler
    assert_close(rebuilt(np.ones((1, 2))), [[2.0, 2.0]])


def test_sequential_config_round_trip():
    model = lx.Sequential(
        [lx.Input(shape=(None,), dtype="int32", name="tokens"), TokenEmbedding(name="embed"), MaskedMean(name="mean"), lx.layers.Dense(2, name="out")],
        name="classifier",
    )
    config = model.get_config()
    assert [layer["class_name"] for layer in config["layers"]] == ["InputLayer", "TokenEmbedding", "MaskedMean", "Dense"]
    assert config["build_input_shape"] == (None, None)
    custom = {"TokenEmbedding": TokenEmbedding, "MaskedMean": MaskedMean}
    rebuilt = lx.Sequential.from_config(config, custom_objects=custom)
    assert rebuilt.name == "classifier" and rebuilt.built
    rebuilt.set_weights(model.get_weights())
    tokens = np.array([[1, 2, 0]], "int32")
    assert_close(rebuilt(tokens), model(tokens))
    assert rebuilt.get_config() == config
    # Deferred-built models keep their build shape.
    deferred = lx.Sequential([lx.layers.Dense(2, name="d")])
    deferred.build((None, 3))
    again = lx.Sequential.from_config(deferred.get_config())
    assert again.built and again.input_shape == (None, 3) and len(again.weights) == 2
    with pytest.raises(ValueError, match="must be a dict with 'name' and 'layers'"):
        lx.Sequential.from_config({"name": "x"})


def test_clone_functional_model_fresh_weights_same_graph():
    model = graph_model()
    clone = lx.models.clone_model(model)
    assert clone is not model and isinstance(clone, lx.models.Functional)
    assert [layer.name for layer in clone.layers] == [layer.name for layer in model.layers]
    assert all(c is not o for c, o in zip(clone.layers, model.layers))
    assert len(clone.weights) == len(model.weights)  # the shared layer stays shared
    assert not np.allclose(clone.get_layer("shared").kernel.numpy(), model.get_layer("shared").kernel.numpy())
    clone.set_weights(model.get_weights())
    inputs = {"a": A, "b": B}
    assert_close(clone(inputs), model(inputs), rtol=1e-6)


def test_clone_with_clone_function_input_tensors_and_call_function():
    x = lx.Input(shape=(3,), name="x")
    hidden = lx.layers.Dense(4, name="hidden")
    model = lx.Model(x, lx.layers.Dense(2, name="out")(hidden(x)))
    # Keep `hidden` shared between the model and the clone; clone the rest.
    shared_clone = lx.models.clone_model(
        model, clone_function=lambda l: l if l.name == "hidden" else type(l).from_config(l.get_config())
    )
    assert shared_clone.get_layer("hidden") is hidden
    assert shared_clone.get_layer("out") is not model.get_layer("out")
    new_input = lx.Input(shape=(3,), name="new_input")
    on_tensor = lx.models.clone_model(model, input_tensors=new_input)
    assert on_tensor.inputs[0] is new_input
    calls = []

    def call_function(layer: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(layer.name)
        return layer(*args, **kwargs)

    lx.models.clone_model(model, call_function=call_function)
    assert calls == ["hidden", "out"]


def test_clone_sequential_and_nested_recursive():
    inner = lx.Sequential([lx.Input(shape=(3,)), lx.layers.Dense(3, name="inner_dense")], name="inner")
    model = lx.Sequential([lx.Input(shape=(3,), name="x"), inner, lx.layers.Dense(1, name="top")])
    clone = lx.models.clone_model(model)
    assert isinstance(clone, lx.Sequential) and clone.input_shape == (None, 3)
    assert clone.layers[0] is not inner and isinstance(clone.layers[0], lx.Sequential)
    clone.set_weights(model.get_weights())
    assert_close(clone(A), model(A))
    seen = []
    lx.models.clone_model(
        model, clone_function=lambda l: seen.append(l.name) or type(l).from_config(l.get_config()), recursive=True
    )
    assert seen == ["inner_dense", "top"]
    with pytest.raises(ValueError, match="only supported for Functional"):
        lx.models.clone_model(model, call_function=lambda layer, x: layer(x))


def test_flat_weights_follow_config_order_after_rebuild():
    model = graph_model()
    rebuilt = lx.Model.from_config(model.get_config(), custom_objects=CUSTOM)
    assert [w.path for w in rebuilt.weights] == [w.path for w in model.weights]
    assert jax.tree_util.tree_structure(rebuilt) == jax.tree_util.tree_structure(model)


def test_to_json_and_model_from_json_like_keras():
    from tests.helpers import keras

    shapes = {}
    for lib in (lx, keras()):
        inputs = lib.Input((5,), name="x")
        hidden = lib.layers.Dense(4, activation="relu", name="hidden")(inputs)
        model = lib.Model(inputs, lib.layers.Dense(2, name="out")(hidden), name="mlp")
        text = model.to_json(indent=2)
        assert "\n" in text  # json.dumps keyword arguments pass through
        outer = json.loads(text)
        assert {"module", "class_name", "config", "registered_name"} <= set(outer)
        again = lib.models.model_from_json(text)
        shapes[lib.__name__] = (outer["class_name"], again.name, again.output_shape,
                                [(layer.name, type(layer).__name__) for layer in again.layers],
                                [tuple(w.shape) for w in again.weights])
    assert shapes["layerax"] == shapes["keras"]
