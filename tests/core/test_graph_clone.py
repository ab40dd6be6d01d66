"""The clone program a layer treedef replays (core/graph_clone.py), and when it is rebuilt.

Each test builds the program once (a first unflatten), then changes the template in a way
that a stale program would miss, and checks the next clone against the template itself or
a hand-written forward pass.
"""

from __future__ import annotations

import gc
import weakref

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import layerax as lx
from layerax.core.context import CTX
from tests.helpers import assert_close


class Net(lx.Model):
    def __init__(self):
        super().__init__()
        self.d1 = lx.layers.Dense(3, activation="tanh")
        self.d2 = lx.layers.Dense(2)
        self.drop = lx.layers.Dropout(0.5, seed=1)
        self.blocks = [self.d1, {"out": self.d2}]  # containers of layers
        self.pair = (self.d1, 7)
        self.notes = ["a"]  # a list without state
        self.spare = lx.layers.Dense(2)  # never called: unbuilt

    def call(self, x, training=False):
        return self.d2(self.drop(self.d1(x), training=training))


def forward(params, x):
    k1, b1, k2, b2 = params
    return jnp.tanh(x @ k1 + b1) @ k2 + b2


@pytest.fixture
def x():
    return np.random.default_rng(0).normal(size=(4, 5)).astype(np.float32)


@pytest.fixture
def net(x):
    model = Net()
    model(x)
    return model


def structure_and_leaves(model):
    leaves, treedef = jax.tree_util.tree_flatten(model)
    return treedef, leaves


def test_replayed_clone_mirrors_the_graph_and_holds_the_leaves(net, x):
    treedef, leaves = structure_and_leaves(net)
    first = jax.tree_util.tree_unflatten(treedef, leaves)
    # numpy leaves: the second clone replays the same program
    doubled = [np.asarray(leaf) * 2 for leaf in leaves]
    second = jax.tree_util.tree_unflatten(treedef, doubled)
    for clone, values in ((first, leaves), (second, doubled)):
        assert type(clone) is Net and clone is not net
        assert clone.blocks[0] is clone.d1 and clone.blocks[1]["out"] is clone.d2
        assert clone.pair == (clone.d1, 7) and clone.d1 is not net.d1
        assert clone.notes == ["a"] and clone.notes is not net.notes
        assert clone.drop.seed_generator is not net.drop.seed_generator
        assert all(a is not b for a, b in zip(clone.variables, net.variables))
        assert_close([v.value for v in clone.variables], values)
    assert first.d1 is not second.d1 and first.notes is not second.notes
    params = [np.asarray(v) for v in doubled[:4]]
    assert_close(second(x), forward(params, x), rtol=1e-5)


def test_building_a_sub_layer_after_the_program_clones_its_new_weights(net, x):
    treedef, leaves = structure_and_leaves(net)
    jax.tree_util.tree_unflatten(treedef, leaves)  # the program is made
    net.spare(x[:, :3])  # builds: kernel and bias are new attributes
    clone = jax.tree_util.tree_unflatten(treedef, leaves)
    assert clone.spare.built
    assert clone.spare.kernel is not net.spare.kernel
    assert_close(clone.spare.kernel.value, net.spare.kernel.value)
    clone.spare.kernel.assign(jnp.zeros((3, 2)))
    assert not np.allclose(net.spare.kernel.numpy(), 0)


def test_freezing_a_layer_after_the_program_reaches_the_clone(net):
    treedef, leaves = structure_and_leaves(net)
    jax.tree_util.tree_unflatten(treedef, leaves)
    net.d1.trainable = False
    clone = jax.tree_util.tree_unflatten(treedef, leaves)
    assert not clone.d1.trainable and not clone.d1.kernel.trainable
    assert [v.path for v in clone.trainable_variables] == [v.path for v in net.trainable_variables]


def test_an_attribute_replaced_without_a_structure_change_is_cloned_as_it_is_now(net):
    treedef, leaves = structure_and_leaves(net)
    jax.tree_util.tree_unflatten(treedef, leaves)
    version = CTX.structure_version
    object.__setattr__(net, "notes", [net.d2, "b"])  # bookkeeping-style: no bump
    assert CTX.structure_version == version
    clone = jax.tree_util.tree_unflatten(treedef, leaves)
    assert clone.notes[0] is clone.d2 and clone.notes[1] == "b"


def test_caches_the_template_gains_after_the_program_are_not_shared(net, x):
    treedef, leaves = structure_and_leaves(net)
    jax.tree_util.tree_unflatten(treedef, leaves)
    version = CTX.structure_version
    sub_leaves, _ = jax.tree_util.tree_flatten(net.d1)  # d1 gains its own treedef and cache
    object.__setattr__(net, "_lx_functions", {"train": object()})  # as a compiled model has
    assert CTX.structure_version == version
    doubled = [2 * leaf for leaf in leaves]
    clone = jax.tree_util.tree_unflatten(treedef, doubled)
    assert clone._lx_functions == {}
    assert "_lx_treedef" not in clone.d1.__dict__
    assert clone.d1._lx_cache is not net.d1._lx_cache
    # The clone's sub-layer flattens to its own values, not to the template's.
    assert_close(jax.tree_util.tree_leaves(clone.d1), [2 * leaf for leaf in sub_leaves])


def test_jit_loop_frees_each_step_model_at_once_and_its_structure_outlives_it(x):
    model = lx.Sequential([lx.layers.Input((5,)), lx.layers.Dense(3, activation="tanh"),
                           lx.layers.Dense(2)])
    y = np.zeros((4, 2), np.float32)
    tx = optax.sgd(0.1)

    @jax.jit
    def step(m, opt_state):
        grads = jax.grad(lambda m: jnp.mean((m(x) - y) ** 2))(m)
        updates, opt_state = tx.update(grads, opt_state, m)
        return optax.apply_updates(m, updates), opt_state

    params = [jnp.asarray(v.value) for v in model.trainable_variables]
    m, state = step(model, tx.init(model))
    m, state = step(m, state)
    gc.disable()
    try:
        previous = weakref.ref(m)
        m, state = step(m, state)
        assert previous() is None  # freed by reference counting: no cycle left behind
    finally:
        gc.enable()
    treedef, leaves = structure_and_leaves(m)
    del m
    gc.collect()
    for _ in range(3):
        grads = jax.grad(lambda p: jnp.mean((forward(p, x) - y) ** 2))(params)
        params = [p - 0.1 * g for p, g in zip(params, grads)]
    # The structure of a model that is gone still unflattens, before and after layers change.
    again = jax.tree_util.tree_unflatten(treedef, leaves)
    assert_close(again(x), forward(params, x), rtol=1e-5)
    lx.layers.Dense(1)
    again = jax.tree_util.tree_unflatten(treedef, leaves)
    assert_close(again(x), forward(params, x), rtol=1e-5)


def test_structure_of_a_live_clone_follows_its_changes(net, x):
    clone = jax.jit(lambda m: m)(net)
    treedef, leaves = structure_and_leaves(clone)
    clone.extra = lx.layers.Dense(2)
    again = jax.tree_util.tree_unflatten(treedef, leaves)
    assert isinstance(again.extra, lx.layers.Dense) and again.extra is not clone.extra
    assert not hasattr(net, "extra")
