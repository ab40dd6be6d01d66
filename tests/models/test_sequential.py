"""lx.Sequential: the seed example, add/pop, deferred and explicit builds, errors (Keras oracle)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import layerax as lx
from tests.helpers import assert_close, keras

X = np.random.default_rng(3).normal(size=(4, 3)).astype("float32")


def seed_stack(api):
    return api.Sequential(
        [
            api.Input(shape=(3,)),
            api.layers.Dense(2, activation="relu", name="layer1"),
            api.layers.Dense(3, activation="relu", name="layer2"),
            api.layers.Dense(4, name="layer3"),
        ]
    )


def test_seed_example_matches_keras():
    k = keras()
    ours, theirs = seed_stack(lx), seed_stack(k)
    assert ours.built and ours.input_shape == (None, 3) and ours.output_shape == (None, 4)
    assert [layer.name for layer in ours.layers] == ["layer1", "layer2", "layer3"]
    assert [w.path for w in ours.weights] == [w.path for w in theirs.weights]
    assert [w.shape for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]
    ours.set_weights(theirs.get_weights())
    assert_close(ours(X), np.asarray(theirs(X)), rtol=1e-5, atol=1e-6)
    # The same stack written as calls on the layers.
    h = X
    for layer in ours.layers:
        h = layer(h)
    assert_close(ours(X), h)
    assert ours.inputs[0].shape == (None, 3) and ours.outputs[0] is ours.layers[-1].output
    assert ours.get_layer("layer2") is ours.layers[1] and ours.get_layer(index=0).name == "layer1"


def test_add_and_pop_keep_the_symbolic_chain():
    model = lx.Sequential(name="stack")
    model.add(lx.Input(shape=(3,)))
    assert not model.built
    model.add(lx.layers.Dense(5, name="a"))
    assert model.built and model.output_shape == (None, 5)
    model.add(lx.layers.Dense(2, name="b"))
    assert model.output_shape == (None, 2) and model(X).shape == (4, 2)
    assert model.weights[-1].path == "stack/b/bias"
    popped = model.pop()
    assert popped.name == "b" and model.output_shape == (None, 5)
    assert [w.path for w in model.weights] == ["stack/a/kernel", "stack/a/bias"]
    assert model(X).shape == (4, 5)
    model.pop()
    assert model.layers == [] and not model.built
    with pytest.raises(ValueError, match="stack.*no layers to pop"):
        model.pop()


def test_first_layer_with_input_shape_builds_at_once():
    model = lx.Sequential([lx.layers.Dense(2, input_shape=(3,), name="first"), lx.layers.Dense(1)])
    assert model.built and model.input_shape == (None, 3) and model.output_shape == (None, 1)
    assert isinstance(model._layers[0], lx.InputLayer) and model.layers[0].name == "first"


def test_deferred_build_on_first_call_and_explicit_build():
    k = keras()
    model = lx.Sequential([lx.layers.Dense(2, name="d")])
    assert not model.built and model.weights == []
    with pytest.raises(AttributeError, match="no defined inputs yet"):
        model.inputs
    out = model(X)
    assert out.shape == (4, 2) and model.built
    theirs = k.Sequential([k.layers.Dense(2, name="d")])
    theirs(X)
    assert model.input_shape == theirs.input_shape == (4, 3)
    assert [w.path for w in model.weights] == ["sequential/d/kernel", "sequential/d/bias"]
    assert [w.path.split("/", 1)[1] for w in theirs.weights] == ["d/kernel", "d/bias"]
    assert model(np.ones((7, 3), "float32")).shape == (7, 2)  # other batch sizes still work
    built = lx.Sequential([lx.layers.Dense(2)])
    built.build((None, 3))
    assert built.built and built.output_shape == (None, 2) and len(built.weights) == 2
    with pytest.raises(ValueError, match="already been configured.*\\(None, 3\\).*\\(None, 4\\)"):
        seed_stack(lx).build((None, 4))
    with pytest.raises(ValueError, match="no layers"):
        lx.Sequential().build((None, 3))


def test_deferred_build_uses_the_dtype_of_the_data():
    class Lookup(lx.layers.Layer):
        def call(self, x):
            return jnp.take(jnp.arange(10.0), x)

    model = lx.Sequential([Lookup()])
    assert_close(model(jnp.array([[1, 2]], "int32")), [[1.0, 2.0]])
    assert model.inputs[0].dtype == "int32"


@pytest.mark.parametrize(
    "make,match",
    [
        (lambda m: m.add("dense"), "Only instances of `lx.Layer`"),
        (lambda m: m.add(lx.layers.Dense(2, name="layer1")), "unique names.*layer1"),
        (lambda m: m.add(lx.Input(shape=(3,))), "already been configured"),
    ],
)
def test_add_errors(make, match):
    model = seed_stack(lx)
    with pytest.raises(ValueError, match=match):
        make(model)


def test_sequential_is_a_pytree_and_grads_match_reference():
    model = seed_stack(lx)
    weights = [w.value for w in model.weights]

    def reference(ws, x):
        k1, b1, k2, b2, k3, b3 = ws
        h = jax.nn.relu(x @ k1 + b1)
        h = jax.nn.relu(h @ k2 + b2)
        return jnp.sum((h @ k3 + b3) ** 2)

    grads = jax.grad(lambda m, x: jnp.sum(m(x) ** 2))(model, X)
    assert_close([g.value for g in grads.weights], jax.grad(reference)(weights, X), rtol=1e-5, atol=1e-6)


def test_sequential_nested_input_structure_runs_without_symbolic_build():
    class First(lx.layers.Layer):
        def call(self, pair):
            return pair[0] * pair[1]

    model = lx.Sequential([First(), lx.layers.Dense(1)])
    out = model([X, X])
    assert out.shape == (4, 1) and model.built
    with pytest.raises(AttributeError, match="not built"):
        model.output_shape
