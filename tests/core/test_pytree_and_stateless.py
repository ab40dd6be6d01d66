"""Layers as pytrees, and stateless_call, against hand-written JAX references."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import layerax as lx
from tests.helpers import assert_close


class MLP(lx.Model):
    def __init__(self, hidden=8, out=3):
        super().__init__()
        self.d1 = lx.layers.Dense(hidden, activation="tanh")
        self.d2 = lx.layers.Dense(out)

    def call(self, x):
        return self.d2(self.d1(x))


def reference_forward(params, x):
    k1, b1, k2, b2 = params
    return jnp.tanh(x @ k1 + b1) @ k2 + b2


def loss_fn(model, x, y):
    return optax.softmax_cross_entropy_with_integer_labels(model(x), y).mean()


def reference_loss(params, x, y):
    return optax.softmax_cross_entropy_with_integer_labels(reference_forward(params, x), y).mean()


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    return jnp.asarray(rng.normal(size=(5, 4)), jnp.float32), jnp.asarray(rng.integers(0, 3, 5))


@pytest.fixture
def model(data):
    m = MLP()
    m(data[0])
    return m


def test_leaves_are_variable_values_in_order(model):
    leaves, treedef = jax.tree_util.tree_flatten(model)
    assert len(leaves) == 4
    for leaf, var in zip(leaves, model.variables):
        assert leaf is var.value
    paths = [jax.tree_util.keystr(p) for p, _ in jax.tree_util.tree_flatten_with_path(model)[0]]
    assert paths == [f"['{v.path}']" for v in model.variables]


def test_unflatten_gives_independent_layer(model, data):
    leaves, treedef = jax.tree_util.tree_flatten(model)
    copy = jax.tree_util.tree_unflatten(treedef, [2 * leaf for leaf in leaves])
    assert type(copy) is MLP and copy is not model and copy.d1 is not model.d1
    assert_close(copy.d1.kernel.numpy(), 2 * model.d1.kernel.numpy())
    copy.d1.kernel.assign(jnp.zeros((4, 8)))
    assert not np.allclose(model.d1.kernel.numpy(), 0)
    assert copy.name == model.name and copy.get_config() == model.get_config()


def test_unflatten_copies_containers_and_follows_changes_to_the_template(model, data):
    model.notes = ["a"]  # a list without state: the clone gets its own copy
    model.pair = (model.d1, 3)  # a tuple holding a layer: cloned with it
    leaves, treedef = jax.tree_util.tree_flatten(model)
    first = jax.tree_util.tree_unflatten(treedef, leaves)
    second = jax.tree_util.tree_unflatten(treedef, leaves)  # the cached clone plan
    for copy in (first, second):
        assert copy.notes == ["a"] and copy.notes is not model.notes
        assert copy.pair[0] is copy.d1 and copy.pair[0] is not model.d1 and copy.pair[1] == 3
        assert copy.d1.kernel is not model.d1.kernel
    first.notes.append("b")
    assert model.notes == ["a"] and second.notes == ["a"]
    assert first.d1 is not second.d1
    # The template changes after the plan was made: the next clone follows it.
    model.extra = lx.layers.Dense(2)
    third = jax.tree_util.tree_unflatten(treedef, leaves)
    assert isinstance(third.extra, lx.layers.Dense) and third.extra is not model.extra
    np.testing.assert_allclose(np.asarray(third(data[0])), np.asarray(model(data[0])), rtol=1e-6)


def test_jit_over_model_argument(model, data):
    x, _ = data
    out = jax.jit(lambda m, x: m(x))(model, x)
    assert_close(out, reference_forward([v.value for v in model.weights], x))


def test_grad_gives_model_shaped_gradients(model, data):
    x, y = data
    grads = jax.grad(loss_fn)(model, x, y)
    assert type(grads) is MLP
    ref = jax.grad(reference_loss)([v.value for v in model.weights], x, y)
    assert_close([v.value for v in grads.weights], ref)
    stepped = jax.tree.map(lambda p, g: p - 0.5 * g, model, grads)
    assert float(loss_fn(stepped, x, y)) < float(loss_fn(model, x, y))


def test_tree_map_and_equal_structures_across_instances(model, data):
    other = MLP()
    other(data[0])
    summed = jax.tree.map(lambda a, b: a + b, model, other)
    assert_close(summed.d2.bias.numpy(), model.d2.bias.numpy() + other.d2.bias.numpy())
    different = MLP(hidden=5)
    different(data[0])
    with pytest.raises(ValueError):
        jax.tree.map(lambda a, b: a + b, model, different)


def test_jit_does_not_retrace_for_new_values_but_does_for_new_config(model, data):
    traces = []

    @jax.jit
    def f(m, x):
        traces.append(1)
        return m(x)

    f(model, data[0])
    f(jax.tree.map(lambda v: v + 1, model), data[0])
    assert len(traces) == 1
    model.d1.activation = lx.activations.relu
    f(model, data[0])
    assert len(traces) == 2


def test_jit_loop_returning_the_model_reuses_its_structure(model, data, monkeypatch):
    # A step that returns the updated model: the clone that comes out has the structure of
    # the treedef it was built from, so flattening it on the next step describes nothing.
    from layerax.core import pytree

    x, y = data
    tx = optax.sgd(0.1)

    @jax.jit
    def step(m, opt_state):
        grads = jax.grad(loss_fn)(m, x, y)
        updates, opt_state = tx.update(grads, opt_state, m)
        return optax.apply_updates(m, updates), opt_state

    params = [jnp.asarray(v.value) for v in model.trainable_variables]
    m, state = step(model, tx.init(model))
    described = []
    real = pytree._describe
    monkeypatch.setattr(pytree, "_describe", lambda *a: described.append(1) or real(*a))
    for _ in range(3):
        m, state = step(m, state)
    assert not described
    # What the shortcut gives is what describing the clone gives.
    assert m._lx_pytree()[1].key == pytree.LayerTreeDef(m, m.variables).key
    assert m._lx_pytree()[1].template is m and m._lx_pytree()[0] == m.variables
    for _ in range(4):
        grads = jax.grad(reference_loss)(params, x, y)
        params = [p - 0.1 * g for p, g in zip(params, grads)]
    assert_close([v.value for v in m.trainable_variables], params, rtol=1e-5, atol=1e-6)
    # A structure change elsewhere (another layer is made) costs one check, not one per step.
    lx.layers.Dense(3)
    m, state = step(m, state)
    described.clear()
    for _ in range(3):
        m, state = step(m, state)
    assert not described
    for _ in range(4):
        grads = jax.grad(reference_loss)(params, x, y)
        params = [p - 0.1 * g for p, g in zip(params, grads)]
    assert_close([v.value for v in m.trainable_variables], params, rtol=1e-5, atol=1e-6)
    # A change to the original invalidates the shortcut; the clone keeps its own structure.
    model.d1.activation = lx.activations.relu
    m2, _ = step(m, state)
    assert described and m2.d1.activation is lx.activations.tanh
    assert_close(m2(x), reference_forward([v.value for v in m2.trainable_variables], x), rtol=1e-5)


def test_vmap_over_stacked_models_ensemble(data):
    x, _ = data
    members = []
    for _ in range(3):
        m = MLP()
        m(x)
        members.append(m)
    stacked = jax.tree.map(lambda *leaves: jnp.stack(leaves), *members)
    outs = jax.vmap(lambda m: m(x))(stacked)
    assert outs.shape == (3, 5, 3)
    for i, m in enumerate(members):
        assert_close(outs[i], m(x))


def test_mutations_inside_transform_stay_on_the_copy():
    layer = lx.layers.Layer()
    layer.total = lx.Variable(jnp.zeros(()), trainable=False)

    def f(l, x):
        l.total.assign_add(x)
        return l

    out = jax.jit(f)(layer, jnp.ones(()))
    assert float(out.total.value) == 1.0
    assert float(layer.total.value) == 0.0


def test_seed_generator_state_is_a_leaf():
    class Noisy(lx.layers.Layer):
        def __init__(self):
            super().__init__()
            self.gen = lx.random.SeedGenerator(3)

        def call(self, x):
            return x + jax.random.normal(self.gen.next(), x.shape)

    layer = Noisy()
    layer(jnp.zeros(2))
    assert layer.weights == [] and len(layer.variables) == 1
    assert len(jax.tree.leaves(layer)) == 1


# ------------------------------------------------------------ stateless_call
def test_stateless_call_is_pure_and_matches_reference(model, data):
    x, y = data
    tv = [v.value for v in model.trainable_variables]
    before = [v.numpy() for v in model.weights]
    new_tv = [t + 1.0 for t in tv]
    out, ntv = model.stateless_call(new_tv, [], x)
    assert ntv == []
    assert_close(out, reference_forward(new_tv, x))
    for v, b in zip(model.weights, before):
        np.testing.assert_array_equal(v.numpy(), b)


def test_stateless_call_under_jit_grad_vmap(model, data):
    x, y = data
    tv = [v.value for v in model.trainable_variables]

    def loss(tv, x, y):
        logits, _ = model.stateless_call(tv, [], x)
        return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()

    assert_close(jax.jit(jax.grad(loss))(tv, x, y), jax.grad(reference_loss)(tv, x, y))
    batched = jax.vmap(lambda xi: model.stateless_call(tv, [], xi[None])[0][0])(x)
    assert_close(batched, reference_forward(tv, x))


def test_stateless_call_returns_non_trainable_updates_and_losses():
    class Counter(lx.layers.Layer):
        def __init__(self):
            super().__init__()
            self.w = self.add_weight(shape=(), initializer="ones")
            self.count = self.add_weight(shape=(), initializer="zeros", trainable=False)

        def call(self, x):
            self.count.assign_add(1.0)
            self.add_loss(jnp.sum(x) * self.w)
            return x * self.w

    layer = Counter()
    layer(jnp.ones(2))
    out, ntv, losses = jax.jit(
        lambda tv, ntv, x: layer.stateless_call(tv, ntv, x, return_losses=True)
    )([jnp.asarray(3.0)], [jnp.asarray(10.0)], jnp.ones(2))
    assert_close(out, [3.0, 3.0])
    assert_close(ntv, [11.0])
    assert_close(losses, [6.0])
    assert float(layer.count.value) == 1.0  # untouched
    assert_close(layer.losses, [2.0])  # the eager call's losses, not the traced ones


def test_stateless_call_checks_counts_and_shapes(model, data):
    tv = [v.value for v in model.trainable_variables]
    with pytest.raises(ValueError, match=r"expected 4 trainable_variables values but received 3"):
        model.stateless_call(tv[:3], [], data[0])
    with pytest.raises(ValueError, match=r"shape \(2,\).*mlp/dense/kernel.*\(4, 8\)"):
        model.stateless_call([jnp.zeros(2)] + tv[1:], [], data[0])
