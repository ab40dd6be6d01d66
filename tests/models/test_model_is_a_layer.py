"""A Model is a Layer: pytrees, jax.grad/jit/vmap, lx.function, stateless_call, freezing,
losses for all three kinds of model; a functional model costs no more than its layers."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import layerax as lx
from tests.helpers import assert_close
from tests.models.custom_layers import AddPair

X = np.random.default_rng(1).normal(size=(5, 3)).astype("float32")
Y = np.random.default_rng(2).normal(size=(5, 2)).astype("float32")


class MLP(lx.Model):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.hidden = lx.layers.Dense(4, activation="relu", name="hidden", kernel_regularizer="l2")
        self.out = lx.layers.Dense(2, name="out")

    def call(self, x: Any) -> Any:
        return self.out(self.hidden(x))


def make(kind: str) -> lx.Model:
    hidden = lx.layers.Dense(4, activation="relu", name="hidden", kernel_regularizer="l2")
    out = lx.layers.Dense(2, name="out")
    if kind == "functional":
        x = lx.Input(shape=(3,))
        return lx.Model(x, out(hidden(x)))
    if kind == "sequential":
        return lx.Sequential([lx.Input(shape=(3,)), hidden, out])
    model = MLP()
    model(X)
    return model


# References are jitted: one compilation each instead of one per eager operation.
@jax.jit
def reference(weights: list[Any], x: Any) -> Any:
    k1, b1, k2, b2 = weights
    return jnp.maximum(x @ k1 + b1, 0) @ k2 + b2


@jax.jit
def reference_loss(weights: list[Any], x: Any, y: Any) -> Any:
    return jnp.mean((reference(weights, x) - y) ** 2) + 0.01 * jnp.sum(weights[0] ** 2)


reference_grad = jax.jit(jax.grad(reference_loss))


def model_loss(model: lx.Model, x: Any, y: Any) -> Any:
    return jnp.mean((model(x) - y) ** 2) + sum(model.losses)


KINDS = ["functional", "sequential", "subclassed"]


@pytest.mark.parametrize("kind", KINDS)
def test_weights_pytree_and_eager_call(kind):
    model = make(kind)
    paths = [w.path.split("/", 1)[-1] if kind != "functional" else w.path for w in model.weights]
    assert paths == ["hidden/kernel", "hidden/bias", "out/kernel", "out/bias"]
    weights = [w.value for w in model.weights]
    assert_close(model(X), reference(weights, X), rtol=1e-5, atol=1e-6)
    leaves, treedef = jax.tree_util.tree_flatten(model)
    assert len(leaves) == 4
    clone = jax.tree_util.tree_unflatten(treedef, [2 * leaf for leaf in leaves])
    assert type(clone) is type(model)
    assert_close(clone(X), reference([2 * w for w in weights], X), rtol=1e-5, atol=1e-6)
    assert_close(model(X), reference(weights, X), rtol=1e-5, atol=1e-6)  # original untouched


@pytest.mark.parametrize("kind", KINDS)
def test_grad_and_jit_over_the_model_match_a_hand_written_reference(kind):
    model = make(kind)
    weights = [w.value for w in model.weights]
    grads = jax.jit(jax.grad(model_loss))(model, X, Y)
    assert type(grads) is type(model)
    expected = reference_grad(weights, X, Y)
    assert_close([g.value for g in grads.weights], expected, rtol=1e-5, atol=1e-6)
    loss = jax.jit(model_loss)(model, X, Y)
    assert_close(loss, reference_loss(weights, X, Y), rtol=1e-5, atol=1e-6)
    vmapped = jax.jit(jax.vmap(lambda row: model(row[None])[0]))(X)
    assert_close(vmapped, reference(weights, X), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kind", KINDS)
def test_stateless_call_and_lx_function(kind):
    model = make(kind)
    weights = [w.value for w in model.weights]
    tv = [v.value for v in model.trainable_variables]
    out, ntv = jax.jit(lambda tv, x: model.stateless_call(tv, [], x))([2 * t for t in tv], X)
    assert ntv == []
    assert_close(out, reference([2 * w for w in weights], X), rtol=1e-5, atol=1e-6)
    optimizer = lx.optimizers.SGD(0.1)

    @lx.function
    def step(x: Any, y: Any) -> Any:
        grads = jax.grad(lambda m: model_loss(m, x, y))(model)
        optimizer.apply_gradients(zip([g.value for g in grads.trainable_variables], model.trainable_variables))
        return model_loss(model, x, y)

    step(X, Y)
    count = step.trace_count
    step(X, Y)
    assert step.trace_count == count
    new_weights = weights
    for _ in range(2):
        grads = reference_grad(new_weights, X, Y)
        new_weights = [w - 0.1 * g for w, g in zip(new_weights, grads)]
    assert_close([w.value for w in model.weights], new_weights, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kind", KINDS)
def test_freezing_and_losses(kind):
    model = make(kind)
    model(X)
    assert len(model.losses) == 1
    assert_close(model.losses[0], 0.01 * jnp.sum(model.weights[0].value ** 2), rtol=1e-5)
    model.get_layer("hidden").trainable = False
    assert [w.path.rsplit("/", 2)[-2:] for w in model.trainable_weights] == [["out", "kernel"], ["out", "bias"]]
    assert model.losses == []  # regularizers of frozen weights do not count
    model.trainable = False
    assert model.trainable_weights == [] and len(model.non_trainable_weights) == 4
    grads = jax.jit(jax.grad(model_loss))(model, X, Y)
    assert grads.trainable_weights == []


@pytest.mark.parametrize("kind", ["functional", "sequential"])
def test_a_graph_model_costs_no_more_than_its_layers(kind):
    model = make(kind)
    hidden, out = model.get_layer("hidden"), model.get_layer("out")
    by_hand = jax.make_jaxpr(lambda x: out(hidden(x)))(X)
    through_model = jax.make_jaxpr(lambda x: model(x))(X)
    assert [e.primitive.name for e in through_model.eqns] == [e.primitive.name for e in by_hand.eqns]
    # Traced once per input signature, like the hand-written chain.
    model_fn = lx.function(lambda x: model(x))
    hand_fn = lx.function(lambda x: out(hidden(x)))
    for _ in range(3):
        model_fn(X)
        hand_fn(X)
    assert model_fn.trace_count == hand_fn.trace_count
    assert_close(model_fn(X), hand_fn(X))


def test_pytree_structure_includes_the_wiring():
    def wired(chain: bool) -> lx.Model:
        x = lx.Input(shape=(2,))
        a, b, join = lx.layers.Dense(2, name="a"), lx.layers.Dense(2, name="b"), AddPair(name="join")
        hidden = a(x)
        # Same layers, same weights shapes; b reads either a's output or the input.
        return lx.Model(x, join([hidden, b(hidden if chain else x)]))

    chained, parallel = wired(True), wired(False)
    assert jax.tree_util.tree_structure(chained) != jax.tree_util.tree_structure(parallel)
    assert jax.tree_util.tree_structure(chained) == jax.tree_util.tree_structure(wired(True))
    # One jitted function, two wirings: each gets its own trace, with the right result.
    parallel.set_weights(chained.get_weights())
    run = jax.jit(lambda m, x: m(x))
    data = jnp.ones((1, 2))
    assert not np.allclose(chained(data), parallel(data))
    assert_close(run(chained, data), chained(data), rtol=1e-6)
    assert_close(run(parallel, data), parallel(data), rtol=1e-6)


@pytest.mark.parametrize("kind", KINDS)
def test_the_layer_contract_harness_passes_for_every_kind_of_model(kind):
    from tests.layers.harness import check_layer

    model = check_layer(
        lambda: make(kind),
        (5, 3),
        expected_output_shape=(5, 2),
        expected_num_trainable_weights=4,
        expected_num_non_trainable_weights=0,
    )
    assert isinstance(model, lx.Model)


def test_a_deferred_sequential_passes_the_harness_too():
    from tests.layers.harness import check_layer

    check_layer(
        lambda: lx.Sequential([lx.layers.Dense(4, activation="relu"), lx.layers.Dense(2)]),
        (5, 3),
        expected_output_shape=(5, 2),
        expected_num_trainable_weights=4,
    )
