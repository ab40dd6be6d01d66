"""Deferred clones (core/pytree.py's `DeferredClone`): what `jax.tree_util.tree_unflatten`
returns outside a trace is built on first use, and behaves as an eager clone would.

Each test compares a deferred clone with a hand-written forward pass, with the template's
own values, or with what an eagerly built clone does.
"""

from __future__ import annotations

import copy
import gc
import weakref

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import layerax as lx
from layerax.core.pytree import DeferredClone, build_deferred
from tests.helpers import assert_close


class Net(lx.Model):
    def __init__(self):
        super().__init__()
        self.d1 = lx.layers.Dense(3, activation="tanh")
        self.d2 = lx.layers.Dense(2)
        self.blocks = [self.d1, {"out": self.d2}]

    def call(self, x):
        return self.d2(self.d1(x))


def forward(params, x):
    k1, b1, k2, b2 = params
    return jnp.tanh(x @ k1 + b1) @ k2 + b2


def is_deferred(layer):
    return type(object.__getattribute__(layer, "__dict__")) is DeferredClone


@pytest.fixture
def x():
    return np.random.default_rng(0).normal(size=(4, 5)).astype(np.float32)


@pytest.fixture
def net(x):
    model = Net()
    model(x)
    return model


def unflatten_doubled(model):
    leaves, treedef = jax.tree_util.tree_flatten(model)
    doubled = [np.asarray(leaf) * 2 for leaf in leaves]
    return jax.tree_util.tree_unflatten(treedef, doubled), doubled


def test_a_clone_is_deferred_until_used_and_then_is_a_full_clone(net, x):
    clone, doubled = unflatten_doubled(net)
    assert type(clone) is Net and is_deferred(clone)
    # Flattening it again (the next step of a jit loop) does not build it.
    leaves, treedef = jax.tree_util.tree_flatten(clone)
    assert is_deferred(clone)
    assert_close(leaves, doubled)
    assert treedef == jax.tree_util.tree_structure(net)
    # Any attribute builds it: the graph and the values are the clone's.
    assert_close(clone(x), forward(doubled, x), rtol=1e-5)
    assert not is_deferred(clone)
    assert clone.blocks[0] is clone.d1 and clone.blocks[1]["out"] is clone.d2
    assert clone.d1 is not net.d1
    assert_close([v.value for v in clone.variables], doubled)
    assert_close([v.value for v in net.variables], [d / 2 for d in doubled])


@pytest.mark.parametrize("use", [
    lambda m: m.__dict__.get("d1"),
    lambda m: "d1" in vars(m),
    lambda m: list(vars(m).keys()),
    lambda m: m.layers,
    lambda m: m.name,
    lambda m: repr(m),
    lambda m: setattr(m, "note", 1),
])
def test_every_kind_of_access_builds_it(net, x, use):
    clone, doubled = unflatten_doubled(net)
    use(clone)
    assert not is_deferred(clone)
    assert_close(clone(x), forward(doubled, x), rtol=1e-5)


def test_a_template_changed_after_the_unflatten_does_not_change_the_clone(net, x):
    clone, doubled = unflatten_doubled(net)
    # A structure change builds every deferred clone first, from the structure it came from.
    net.extra = lx.layers.Dense(2)
    assert not is_deferred(clone)
    assert not hasattr(clone, "extra")
    assert_close(clone(x), forward(doubled, x), rtol=1e-5)


def test_a_jit_loop_over_the_model_and_optax_keeps_its_clones_deferred_and_exact(net, x):
    y = np.ones((4, 2), np.float32)
    tx = optax.sgd(0.1)

    @jax.jit
    def step(model, opt_state):
        grads = jax.grad(lambda m: jnp.mean((m(x) - y) ** 2))(model)
        updates, opt_state = tx.update(grads, opt_state, model)
        return optax.apply_updates(model, updates), opt_state

    def ref_step(params):
        grads = jax.grad(lambda p: jnp.mean((forward(p, x) - y) ** 2))(params)
        return [p - 0.1 * g for p, g in zip(params, grads)]

    params = [np.asarray(v.value) for v in net.trainable_variables]
    model, opt_state = net, tx.init(net)
    for _ in range(3):
        model, opt_state = step(model, opt_state)
        params = ref_step(params)
        assert is_deferred(model)
    assert_close(model(x), forward(params, x), rtol=1e-5)
    assert_close([v.value for v in model.trainable_variables], params, rtol=1e-5)


def test_deferred_clones_are_freed_without_the_garbage_collector(net):
    gc.disable()
    try:
        clone, _ = unflatten_doubled(net)
        ref = weakref.ref(clone)
        jax.tree_util.tree_flatten(clone)
        del clone
        assert ref() is None
    finally:
        gc.enable()


def test_copies_of_a_deferred_clone_hold_its_values(net, x):
    clone, doubled = unflatten_doubled(net)
    copied = copy.deepcopy(clone)
    assert_close(copied(x), forward(doubled, x), rtol=1e-5)
    assert copied.d1 is not clone.d1
    other, doubled = unflatten_doubled(net)
    state = other.__getstate__()  # what copy and pickle read: the built attributes
    assert type(state) is dict and state["d1"] is other.d1
    shallow = copy.copy(other)
    assert shallow.d1 is other.d1
    assert_close(shallow(x), forward(doubled, x), rtol=1e-5)


def test_a_layer_with_its_own_getattr_is_built_at_once(x):
    class Delegating(lx.layers.Layer):
        def __init__(self):
            super().__init__()
            self.inner = lx.layers.Dense(2)

        def __getattr__(self, name):
            if name.startswith("inner_"):
                return getattr(self.inner, name[len("inner_"):])
            return super().__getattr__(name)

        def call(self, inputs):
            return self.inner(inputs)

    layer = Delegating()
    layer(x)
    leaves, treedef = jax.tree_util.tree_flatten(layer)
    clone = jax.tree_util.tree_unflatten(treedef, leaves)
    assert not is_deferred(clone)
    assert clone.inner_units == 2
    assert_close(clone(x), layer(x))


def test_missing_attributes_and_property_errors_keep_their_messages(net):
    clone, _ = unflatten_doubled(net)
    with pytest.raises(AttributeError, match="'Net' object has no attribute 'nothing'") as info:
        clone.nothing  # noqa: B018
    assert info.value.name == "nothing" and info.value.obj is clone
    unbuilt = lx.Sequential([lx.layers.Dense(2)])
    with pytest.raises(AttributeError, match="no defined outputs yet"):
        unbuilt.outputs  # noqa: B018


def test_build_deferred_leaves_other_layers_alone(net):
    before = dict(vars(net))
    build_deferred(net)
    assert vars(net) == before and not is_deferred(net)


def test_a_recording_tape_sees_the_leaves_of_a_deferred_clone(net):
    clone, doubled = unflatten_doubled(net)
    with lx.GradientTape() as tape:
        leaves = jax.tree_util.tree_leaves(clone)  # the tape records these reads
        loss = jnp.sum(leaves[0] ** 2) + jnp.sum(jnp.sin(leaves[3]))
    assert not is_deferred(clone)
    grads = tape.gradient(loss, clone.trainable_variables)
    # The kernel of d1 and the bias of d2 (TF's None for the variables the loss does not use).
    assert grads[1] is None and grads[2] is None
    assert_close([grads[0], grads[3]], [2 * doubled[0], np.cos(doubled[3])], rtol=1e-6)
