"""ModelParallel on a 2 x 4 mesh: an attention-like block and an MLP, sharded by a LayoutMap."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import layerax as lx

DIM, HEADS, HIDDEN = 16, 4, 32


class Block(lx.Model):
    """Self-attention from Dense projections (einsum over heads) plus an MLP, pre-norm free."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.query = lx.layers.Dense(DIM, name="query")
        self.key = lx.layers.Dense(DIM, name="key")
        self.value = lx.layers.Dense(DIM, name="value")
        self.attn_out = lx.layers.Dense(DIM, name="attn_out")
        self.norm = lx.layers.LayerNormalization(name="norm")
        self.up = lx.layers.Dense(HIDDEN, activation="gelu", name="up")
        self.down = lx.layers.Dense(DIM, name="down")

    def call(self, x):
        b, t, _ = x.shape
        split = lambda a: a.reshape(b, t, HEADS, DIM // HEADS)  # noqa: E731
        q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
        scores = jnp.einsum("bthd,bshd->bhts", q, k) / math.sqrt(DIM // HEADS)
        weights = lx.activations.softmax(scores, axis=-1)
        context = jnp.einsum("bhts,bshd->bthd", weights, v).reshape(b, t, DIM)
        h = self.norm(x + self.attn_out(context))
        return h + self.down(self.up(h))


def _layout_map():
    mesh = lx.distribution.DeviceMesh((2, 4), ["batch", "model"])
    layout_map = lx.distribution.LayoutMap(mesh)
    # Megatron-style: column-split projections in, row-split projections out.
    layout_map["block/(query|key|value|up)/kernel"] = (None, "model")
    layout_map["block/(query|key|value|up)/bias"] = ("model",)
    layout_map["block/(attn_out|down)/kernel"] = ("model", None)
    layout_map["wrapper/proj/output"] = ("batch", "model")
    return layout_map


def _spec(array):
    """The partition spec, one entry per dimension (JAX may drop trailing Nones)."""
    spec = tuple(array.sharding.spec)
    return spec + (None,) * (array.ndim - len(spec))


def _inputs():
    rng = np.random.default_rng(1)
    return (rng.standard_normal((8, 6, DIM)).astype("float32"),
            rng.standard_normal((8, 6, DIM)).astype("float32"))


def _grad_step(model):
    @lx.function
    def step(x):
        with lx.GradientTape() as tape:
            out = model(x)
            loss = jnp.mean(out**2)
        return out, tape.gradient(loss, model.trainable_variables)

    return step


@pytest.fixture(scope="module")
def models():
    x, _ = _inputs()
    # Built by abstract evaluation (nothing compiles).
    reference = Block(name="block")
    reference.compute_output_shape(x.shape)
    strategy = lx.distribution.ModelParallel(layout_map=_layout_map())
    with strategy.scope():
        sharded = Block(name="block")
        sharded.compute_output_shape(x.shape)
    sharded.set_weights(reference.get_weights())
    return reference, sharded, strategy


def test_variables_are_sharded_as_the_layout_map_says(models):
    _, model, _ = models
    expected = {
        "block/query/kernel": ((None, "model"), (DIM, DIM // 4)),
        "block/query/bias": (("model",), (DIM // 4,)),
        "block/value/kernel": ((None, "model"), (DIM, DIM // 4)),
        "block/attn_out/kernel": (("model", None), (DIM // 4, DIM)),
        "block/attn_out/bias": ((None,), (DIM,)),
        "block/up/kernel": ((None, "model"), (DIM, HIDDEN // 4)),
        "block/down/kernel": (("model", None), (HIDDEN // 4, DIM)),
        "block/norm/gamma": ((None,), (DIM,)),
    }
    by_path = {v.path: v for v in model.variables}
    for path, (spec, shard_shape) in expected.items():
        value = by_path[path].value
        assert isinstance(value.sharding, jax.sharding.NamedSharding), path
        assert _spec(value) == spec, path
        shards = value.addressable_shards
        assert len(shards) == 8, path
        assert {s.data.shape for s in shards} == {shard_shape}, path
    # A split weight: devices along "model" hold different quarters, "batch" replicas the same.
    kernel = by_path["block/query/kernel"].value
    quarters = {s.index[1].start for s in kernel.addressable_shards}
    assert quarters == {0, 4, 8, 12}


def test_outputs_and_gradients_match_the_unsharded_model(models):
    reference, model, strategy = models
    x, _ = _inputs()
    ref_out, ref_grads = _grad_step(reference)(x)
    with strategy.scope():
        out, grads = _grad_step(model)(x)
    assert _spec(out) == ("batch", None, None)
    np.testing.assert_allclose(np.asarray(out), np.asarray(ref_out), rtol=1e-5, atol=1e-5)
    for var, g, r in zip(model.trainable_variables, grads, ref_grads):
        np.testing.assert_allclose(np.asarray(g), np.asarray(r), rtol=1e-4, atol=1e-6,
                                   err_msg=var.path)


def test_training_keeps_layouts_and_matches_unsharded_training(models):
    reference, model, strategy = models
    x, y = _inputs()
    layouts = {v.path: v.value.sharding for v in model.variables}
    for target, scope in ((reference, None), (model, strategy)):
        # SGD: Adam would turn the float noise of a zero gradient (the key bias cannot
        # change a softmax) into full-size steps of random sign.
        target.compile(optimizer=lx.optimizers.SGD(0.1, momentum=0.9), loss="mse")
        if scope is None:
            target.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
        else:
            with scope.scope():
                target.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    for var, ref in zip(model.variables, reference.variables):
        assert var.value.sharding == layouts[var.path], var.path
        np.testing.assert_allclose(np.asarray(var.value), np.asarray(ref.value), rtol=1e-4,
                                   atol=1e-5, err_msg=var.path)
    # The optimizer's momentum (one slot per parameter, in order) follows the parameter's
    # layout.
    slots = [v for v in model.optimizer.variables if "trace" in v.name]
    assert len(slots) == len(model.trainable_variables)
    for param, slot in zip(model.trainable_variables, slots):
        assert _spec(slot.value) == _spec(param.value), (param.path, slot.path)


def test_layout_map_lays_out_layer_outputs():
    class Wrapper(lx.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.proj = lx.layers.Dense(8, name="proj")

        def call(self, x):
            return self.proj(x)

    with lx.distribution.ModelParallel(layout_map=_layout_map()).scope():
        wrapper = Wrapper(name="wrapper")
        out = lx.function(wrapper)(np.ones((4, 3), "float32"))
    assert _spec(out) == ("batch", "model")
    assert {s.data.shape for s in out.addressable_shards} == {(2, 2)}


def test_a_layout_that_does_not_divide_the_weight_is_a_clear_error():
    mesh = lx.distribution.DeviceMesh((2, 4), ["batch", "model"])
    layout_map = lx.distribution.LayoutMap(mesh)
    layout_map[".*kernel"] = (None, "model")
    with lx.distribution.ModelParallel(layout_map=layout_map).scope():
        layer = lx.layers.Dense(6)
        with pytest.raises(ValueError, match=r"Cannot split dimension 1 \(size 6\).*into 4"):
            layer.build((None, 3))
