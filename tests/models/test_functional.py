"""Functional API: DAGs, shared layers, nested models, sub-models, structures, errors (Keras oracle)."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import layerax as lx
from tests.helpers import assert_close, keras
from tests.models.custom_layers import AddPair, ConcatLast, TwiceInTraining

RNG = np.random.default_rng(0)
# Few distinct weight shapes across the tests: each new shape costs an XLA compilation.
TITLE = RNG.normal(size=(4, 3)).astype("float32")
BODY = RNG.normal(size=(4, 4)).astype("float32")


def build_ticket_model(api: Any, concat: Any) -> Any:
    """Two inputs, two outputs, one layer shared by both branches (Keras guide style)."""
    title = api.Input(shape=(3,), name="title")
    body = api.Input(shape=(4,), name="body")
    proj_title = api.layers.Dense(4, name="proj_title")(title)
    proj_body = api.layers.Dense(4, name="proj_body")(body)
    shared = api.layers.Dense(4, activation="tanh", name="shared")
    shared_title, shared_body = shared(proj_title), shared(proj_body)
    merged = concat(name="merge")([shared_title, shared_body])
    priority = api.layers.Dense(2, name="priority")(merged)
    department = api.layers.Dense(3, activation="softmax", name="department")(shared_body)
    return api.Model(
        inputs={"title": title, "body": body},
        outputs={"priority": priority, "department": department},
        name="tickets",
    )


def reference_ticket(model: Any, title: np.ndarray, body: np.ndarray) -> dict[str, Any]:
    def weights(name: str) -> list[np.ndarray]:
        return model.get_layer(name).get_weights()

    (kt, bt), (kb, bb), (ks, bs) = weights("proj_title"), weights("proj_body"), weights("shared")
    (kp, bp), (kd, bd) = weights("priority"), weights("department")
    shared_t = np.tanh((title @ kt + bt) @ ks + bs)
    shared_b = np.tanh((body @ kb + bb) @ ks + bs)
    logits = shared_b @ kd + bd
    soft = np.exp(logits - logits.max(-1, keepdims=True))
    return {
        "priority": np.concatenate([shared_t, shared_b], -1) @ kp + bp,
        "department": soft / soft.sum(-1, keepdims=True),
    }


def test_multi_input_multi_output_shared_layer_matches_keras_and_numpy():
    k = keras()
    ours = build_ticket_model(lx, ConcatLast)
    theirs = build_ticket_model(k, k.layers.Concatenate)
    assert [layer.name for layer in ours.layers] == [layer.name for layer in theirs.layers]
    assert [w.shape for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]
    assert len(ours.weights) == 10  # the shared layer's weights count once
    ours.set_weights(theirs.get_weights())
    inputs = {"title": TITLE, "body": BODY}
    out = ours(inputs)
    assert set(out) == {"priority", "department"}
    assert out["priority"].shape == (4, 2) and out["department"].shape == (4, 3)
    assert_close(out, jax.tree.map(np.asarray, theirs(inputs)), rtol=1e-5, atol=1e-6)
    assert_close(out, reference_ticket(ours, TITLE, BODY), rtol=1e-5, atol=1e-6)
    assert [t.name for t in ours.inputs] == ["body", "title"]  # dict inputs: sorted keys
    assert ours.output_shape == {"department": (None, 3), "priority": (None, 2)}
    # A list in the order of model.inputs, or a dict with extra keys, also works.
    assert_close(ours([BODY, TITLE]), out)
    assert_close(ours({**inputs, "unused": BODY}), out)


def test_shared_layer_uses_one_set_of_weights():
    model = build_ticket_model(lx, ConcatLast)
    shared = model.get_layer("shared")
    assert len(shared._lx_inbound_nodes) == 2
    before = model({"title": TITLE, "body": BODY})
    shared.kernel.assign(jnp.zeros_like(shared.kernel.value))
    after = model({"title": TITLE, "body": BODY})
    # With a zero kernel both branches see tanh(bias): priority no longer depends on inputs.
    assert not np.allclose(before["priority"], after["priority"])
    assert_close(after["priority"], np.broadcast_to(after["priority"][:1], (4, 2)))


def test_diamond_dag_single_and_list_structures():
    x = lx.Input(shape=(3,), name="x")
    left = lx.layers.Dense(2, name="left")(x)
    right = lx.layers.Dense(2, activation="relu", name="right")(x)
    total = AddPair(name="sum")([left, right])
    model = lx.Model(x, [total, left])
    assert [layer.name for layer in model.layers] == ["x", "left", "right", "sum"]
    data = RNG.normal(size=(5, 3)).astype("float32")
    kl, bl, kr, br = model.get_weights()
    left_ref = data @ kl + bl
    out_sum, out_left = model(data)
    assert_close(out_sum, left_ref + np.maximum(data @ kr + br, 0))
    assert_close(out_left, left_ref)
    # A list of one input accepts a bare tensor; a list of one output is unpacked (Keras).
    single = lx.Model([x], [total])
    assert single(data).shape == (5, 2) and single([data]).shape == (5, 2)
    assert isinstance(single.output, list) and single.output_shape == (None, 2)


def test_nested_models_share_weights_and_work_as_layers():
    inner_in = lx.Input(shape=(4,), name="inner_in")
    inner = lx.Model(inner_in, lx.layers.Dense(3, activation="relu", name="inner_dense")(inner_in), name="encoder")
    a, b = lx.Input(shape=(4,), name="a"), lx.Input(shape=(4,), name="b")
    # The same nested model applied twice: a siamese network.
    distance = AddPair(name="diff")([inner(a), lx.layers.Dense(3, name="negate")(inner(b))])
    outer = lx.Model([a, b], distance, name="siamese")
    assert [layer.name for layer in outer.layers] == ["a", "b", "encoder", "negate", "diff"]
    assert len(outer.weights) == 4 and outer.weights[0] is inner.weights[0]
    xa, xb = RNG.normal(size=(2, 2, 4)).astype("float32")
    k, bias, kn, bn = outer.get_weights()
    enc = lambda v: np.maximum(v @ k + bias, 0)  # noqa: E731
    assert_close(outer([xa, xb]), enc(xa) + enc(xb) @ kn + bn)
    # Nested model in a Sequential, and a Sequential inside a functional model.
    seq = lx.Sequential([inner, lx.layers.Dense(1, name="head")])
    assert seq(xa).shape == (2, 1) and seq.weights[0] is inner.weights[0]
    c = lx.Input(shape=(4,), name="c")
    wrapped = lx.Model(c, seq(c))
    assert_close(wrapped(xa), seq(xa))


def test_sub_model_from_intermediate_tensors_shares_weights():
    x = lx.Input(shape=(3,), name="x")
    hidden = lx.layers.Dense(4, activation="relu", name="hidden")(x)
    out = lx.layers.Dense(2, name="out")(hidden)
    model = lx.Model(x, out)
    features = lx.Model(model.inputs, model.get_layer("hidden").output)
    assert features.layers[1] is model.get_layer("hidden")
    data = RNG.normal(size=(3, 3)).astype("float32")
    model.set_weights([np.full(w.shape, 0.5, "float32") for w in model.get_weights()])
    assert_close(features(data), np.maximum(data @ np.full((3, 4), 0.5) + 0.5, 0))
    # From an intermediate input: a fresh InputLayer feeds the tail of the graph.
    tail = lx.Model(hidden, out)
    assert isinstance(tail.layers[0], lx.InputLayer) and tail.layers[1] is model.get_layer("out")
    assert tail.inputs[0].shape == (None, 4) and tail.inputs[0] is not hidden
    h = features(data)
    assert_close(tail(h), model(data))


def test_disconnected_input_names_the_tensor_and_layer():
    a = lx.Input(shape=(2,), name="a")
    b = lx.Input(shape=(2,), name="b")
    total = AddPair(name="join")([a, b])
    with pytest.raises(ValueError, match=r"Graph disconnected.*name=b.*'join'.*\['a'\]"):
        lx.Model(a, total)
    with pytest.raises(ValueError, match=r"Graph disconnected.*name=b.*requested as an output"):
        lx.Model(a, b)


@pytest.mark.parametrize(
    "inputs,outputs,error,match",
    [
        (None, "ok", TypeError, "inputs.*must be symbolic tensors"),
        ("ok", np.ones(2), TypeError, "outputs.*must be symbolic tensors"),
        ([], "ok", ValueError, "`inputs` cannot be empty"),
    ],
)
def test_bad_model_arguments(inputs, outputs, error, match):
    x = lx.Input(shape=(2,))
    y = lx.layers.Dense(1)(x)
    inputs = x if isinstance(inputs, str) else (np.ones(2) if inputs is None else inputs)
    outputs = y if isinstance(outputs, str) else outputs
    with pytest.raises(error, match=match):
        lx.Model(inputs, outputs)


def test_duplicate_layer_names_are_rejected():
    x = lx.Input(shape=(2,))
    y = lx.layers.Dense(2, name="same")(lx.layers.Dense(2, name="same")(x))
    with pytest.raises(ValueError, match='"same" is used 2 times'):
        lx.Model(x, y)


def test_call_time_input_errors_name_the_model():
    model = build_ticket_model(lx, ConcatLast)
    with pytest.raises(ValueError, match=r"tickets.*missing \['title'\]"):
        model({"body": BODY})
    with pytest.raises(ValueError, match=r"Input 1 \('title'\) of model 'tickets'.*\(None, 3\).*\(4, 6\)"):
        model({"body": BODY, "title": np.ones((4, 6), "float32")})
    x = lx.Input(shape=(3,))
    single = lx.Model(x, lx.layers.Dense(1)(x), name="single")
    with pytest.raises(ValueError, match="single.*1 input tensor.*received 2"):
        single([np.ones((1, 3)), np.ones((1, 3))])


def test_inputs_are_converted_to_the_input_dtype_and_rank():
    x = lx.Input(shape=(3, 1), name="x")
    model = lx.Model(x, lx.layers.Dense(2)(x))
    out64 = model(np.ones((2, 3), np.float64))  # float64, missing trailing axis of size 1
    assert out64.dtype == jnp.float32 and out64.shape == (2, 3, 2)
    assert_close(out64, model(jnp.ones((2, 3, 1))))


def test_get_layer_by_name_and_index():
    model = build_ticket_model(lx, ConcatLast)
    assert model.get_layer("shared").name == "shared"
    assert model.get_layer(index=0).name == "body" and model.get_layer(index=-1).name == "priority"
    with pytest.raises(ValueError, match="No such layer: nope"):
        model.get_layer("nope")
    with pytest.raises(ValueError, match="exactly one"):
        model.get_layer()
    with pytest.raises(ValueError, match="index 20"):
        model.get_layer(index=20)


def test_training_flag_propagates_and_graph_kwargs_win():
    x = lx.Input(shape=(2,))
    y = TwiceInTraining(name="free")(x)
    z = TwiceInTraining(name="pinned")(y, training=True)
    model = lx.Model(x, z)
    data = jnp.ones((1, 2))
    assert_close(model(data), 2 * data)
    assert_close(model(data, training=True), 4 * data)


def test_functional_subclass_patterns():
    class Custom(lx.Model):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)

        def describe(self) -> str:
            return f"custom with {len(self.layers)} layers"

    x = lx.Input(shape=(3,))
    model = Custom(x, lx.layers.Dense(2)(x))
    assert isinstance(model, Custom) and isinstance(model, lx.models.Functional)
    assert model.describe() == "custom with 2 layers" and model(jnp.ones((1, 3))).shape == (1, 2)

    class BuildsItsGraph(lx.Model):
        def __init__(self) -> None:
            inputs = lx.Input(shape=(4,))
            outputs = lx.layers.Dense(1, name="score")(inputs)
            super().__init__(inputs, outputs, name="scorer")

    scorer = BuildsItsGraph()
    assert isinstance(scorer, BuildsItsGraph) and isinstance(scorer, lx.models.Functional)
    assert scorer.name == "scorer" and scorer(jnp.ones((2, 4))).shape == (2, 1)
    assert type(scorer).__name__ == "BuildsItsGraph"


def test_freezing_and_losses_inside_a_functional_model():
    x = lx.Input(shape=(3,))
    first = lx.layers.Dense(4, name="first", activity_regularizer="l2")
    second = lx.layers.Dense(2, name="second")
    model = lx.Model(x, second(first(x)))
    data = RNG.normal(size=(2, 3)).astype("float32")
    hidden = data @ first.kernel.numpy() + first.bias.numpy()
    model(data)
    assert len(model.losses) == 1
    assert_close(model.losses[0], 0.01 * np.sum(hidden**2) / 2, rtol=1e-5)
    first.trainable = False
    assert [w.path for w in model.trainable_weights] == ["second/kernel", "second/bias"]
    assert len(model.non_trainable_weights) == 2
    model.trainable = False
    assert model.trainable_weights == [] and len(model.non_trainable_weights) == 4


def test_unused_input_is_kept_as_in_keras():
    k = keras()
    for api in (lx, k):
        a = api.Input(shape=(2,), name="a")
        b = api.Input(shape=(2,), name="b")
        model = api.Model([a, b], api.layers.Dense(1, name="d")(a))
        names = [layer.name for layer in model.layers]
        if api is lx:
            ours = names
        else:
            assert ours == names
    assert ours == ["a", "b", "d"]  # depth first: b is unused, so at depth 0 like d


def test_identity_repeated_outputs_and_mixed_intermediate_inputs():
    x = lx.Input(shape=(3,), name="x")
    data = RNG.normal(size=(2, 3)).astype("float32")
    identity = lx.Model(x, x)
    assert identity.layers == [x._lx_history[0]] and identity(data) is not None
    assert_close(identity(data), data)
    y = lx.layers.Dense(2, name="y")(x)
    twice = lx.Model(x, [y, y])
    first, second = twice(data)
    assert_close(first, second)
    # An intermediate tensor given as an input next to the input it comes from.
    h = lx.layers.Dense(3, name="h")(x)
    out = h + lx.layers.Dense(3, name="k")(x)
    mixed = lx.Model([x, h], out)
    assert [layer.name for layer in mixed.layers][2:] == ["k", "add"]
    k = mixed.get_layer("k")
    given = np.zeros((2, 3), "float32")
    assert_close(mixed([data, given]), data @ k.kernel.numpy() + k.bias.numpy())
    clone = lx.models.clone_model(mixed)
    clone.set_weights(mixed.get_weights())
    assert_close(clone([data, given]), mixed([data, given]))
