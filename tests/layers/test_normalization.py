"""Normalization layers: the Layer contract, Keras 3 parity (BatchNormalization in both modes,
with its moving statistics), state updates under lx.function / stateless_call, bad input."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import layerax as lx
from tests.helpers import assert_close, keras
from tests.layers.harness import check_layer, keras_parity
from tests.layers.keras_compare import compare_with_keras, randomize_weights

MASK = np.array([[1, 1, 0, 1, 0], [1, 0, 0, 1, 1], [0, 1, 1, 1, 1], [1, 1, 1, 0, 0]], bool)

BN_CASES = [
    (dict(), (4, 5, 3), {}),
    (dict(), (4, 5, 3), {"training": True}),
    (dict(axis=1, momentum=0.9, epsilon=1e-2), (4, 3, 2, 2), {"training": True}),
    (dict(axis=1), (4, 3, 2, 2), {"training": False}),
    (dict(center=False, scale=False), (6, 4), {"training": True}),
    (dict(center=False, scale=False), (6, 4), {}),
    (dict(scale=False), (4, 5, 3), {"training": True, "mask": MASK}),
    (dict(renorm=True, renorm_clipping={"rmax": 1.5, "rmin": 0.8, "dmax": 0.3},
          renorm_momentum=0.9), (8, 3), {"training": True}),
]


@pytest.mark.parametrize(
    "config,shape,call_kwargs", BN_CASES, ids=[str(i) for i in range(len(BN_CASES))]
)
def test_batch_normalization_keras_parity(config, shape, call_kwargs):
    x = np.random.default_rng(3).normal(2.0, 3.0, size=shape).astype("float32")
    compare_with_keras("BatchNormalization", config, x, call_kwargs=call_kwargs)


@pytest.mark.parametrize(
    "config,shape,call_kwargs",
    [
        (dict(momentum=0.8), (6, 3), {}),
        (dict(axis=1, center=False), (4, 3, 2, 2), {}),
        (dict(), (4, 5, 3), {"mask": MASK}),
        (dict(renorm=True, renorm_clipping={"rmax": 1.2, "dmax": 0.5}, momentum=0.7), (8, 3), {}),
    ],
    ids=["default", "axis1", "mask", "renorm"],
)
def test_batch_normalization_moving_statistics_match_keras(config, shape, call_kwargs):
    """Two training steps from the same (random) state leave the same weights as in Keras."""
    k = keras()
    rng = np.random.default_rng(4)
    xs = [rng.normal(1.0, 2.0, size=shape).astype("float32") for _ in range(2)]
    theirs = k.layers.BatchNormalization(**config)
    theirs(xs[0])
    randomize_weights(theirs, positive=("moving_variance", "moving_stddev", "renorm_stddev"))
    ours = lx.layers.BatchNormalization(**config)
    ours(xs[0])
    ours.set_weights(theirs.get_weights())
    for x in xs:
        expected = theirs(x, training=True, **call_kwargs)
        assert_close(ours(x, training=True, **call_kwargs), np.asarray(expected), 1e-4, 1e-5)
    assert_close(ours.get_weights(), theirs.get_weights(), 1e-5, 1e-6)


def test_frozen_batch_normalization_runs_in_inference_mode_like_keras():
    k = keras()
    x = np.random.default_rng(5).normal(size=(6, 3)).astype("float32")
    theirs = k.layers.BatchNormalization()
    theirs(x)
    randomize_weights(theirs, positive=("moving_variance",))
    theirs.trainable = False
    ours = lx.layers.BatchNormalization()
    ours(x)
    ours.trainable = False
    keras_parity(ours, theirs, x, call_kwargs={"training": True})
    before = ours.get_weights()
    assert_close(ours(x, training=True), ours(x, training=False))
    assert_close(ours.get_weights(), before)
    assert ours.trainable_weights == [] and len(ours.non_trainable_weights) == 4


def test_batch_normalization_update_closed_form():
    bn = lx.layers.BatchNormalization(momentum=0.75, epsilon=0.0)
    x = np.random.default_rng(6).normal(3.0, 2.0, size=(16, 2)).astype("float32")
    y = bn(x, training=True)
    mean, var = x.mean(axis=0), x.var(axis=0)
    assert_close(y, (x - mean) / np.sqrt(var), 1e-4, 1e-4)
    assert_close(bn.moving_mean.numpy(), 0.25 * mean, 1e-5, 1e-5)
    assert_close(bn.moving_variance.numpy(), 0.75 + 0.25 * var, 1e-5, 1e-5)
    # Inference uses the moving statistics and leaves them alone.
    assert_close(bn(x), (x - 0.25 * mean) / np.sqrt(0.75 + 0.25 * var), 1e-4, 1e-4)
    assert_close(bn.moving_mean.numpy(), 0.25 * mean, 1e-5, 1e-5)


def test_batch_normalization_updates_under_lx_function():
    rng = np.random.default_rng(7)
    xs = [rng.normal(size=(8, 3)).astype("float32") for _ in range(3)]
    compiled, eager = lx.layers.BatchNormalization(), lx.layers.BatchNormalization()
    compiled(xs[0]), eager(xs[0])
    step = lx.function(lambda x: compiled(x, training=True))
    for x in xs:
        assert_close(step(x), eager(x, training=True), 1e-5, 1e-5)
    assert_close(compiled.get_weights(), eager.get_weights(), 1e-6, 1e-6)
    assert not np.allclose(compiled.moving_mean.numpy(), 0.0)


def test_batch_normalization_stateless_call_returns_new_statistics():
    bn = lx.layers.BatchNormalization(momentum=0.5)
    x = np.random.default_rng(8).normal(1.0, 1.0, size=(8, 3)).astype("float32")
    bn(x)
    tv = [v.value for v in bn.trainable_variables]
    ntv = [v.value for v in bn.non_trainable_variables]
    out, new_ntv = jax.jit(lambda tv, ntv, x: bn.stateless_call(tv, ntv, x, training=True))(
        tv, ntv, x
    )
    assert_close(new_ntv[0], 0.5 * x.mean(axis=0), 1e-5, 1e-5)
    assert_close(new_ntv[1], 0.5 + 0.5 * x.var(axis=0), 1e-5, 1e-5)
    assert_close(bn.moving_mean.numpy(), np.zeros(3))  # the live layer is untouched
    assert_close(out, bn(x, training=True), 1e-5, 1e-5)


def test_batch_normalization_pytree_copy_carries_the_update():
    bn = lx.layers.BatchNormalization(momentum=0.5)
    x = np.random.default_rng(9).normal(2.0, 1.0, size=(8, 2)).astype("float32")
    bn(x)

    @jax.jit
    def train(layer, x):
        y = layer(x, training=True)
        return y, layer

    _, updated = train(bn, x)
    assert_close(updated.moving_mean.numpy(), 0.5 * x.mean(axis=0), 1e-5, 1e-5)
    assert_close(bn.moving_mean.numpy(), np.zeros(2))


@pytest.mark.parametrize("training", [None, True])
def test_batch_normalization_contract(training):
    check_layer(
        lambda: lx.layers.BatchNormalization(axis=1, momentum=0.9),
        (4, 3, 5),
        call_kwargs={} if training is None else {"training": training},
        expected_num_trainable_weights=2,
        expected_num_non_trainable_weights=2,
    )


OTHER_CASES = [
    ("LayerNormalization", dict(), (3, 4, 5)),
    ("LayerNormalization", dict(axis=[1, 2], center=False, epsilon=1e-5), (3, 4, 5)),
    ("LayerNormalization", dict(axis=[-1, 1], scale=False), (3, 4, 5)),
    ("GroupNormalization", dict(groups=2), (3, 4, 6)),
    ("GroupNormalization", dict(groups=-1, center=False), (3, 4, 6)),
    ("GroupNormalization", dict(groups=3, axis=1, epsilon=1e-5, scale=False), (2, 6, 3, 3)),
    ("RMSNormalization", dict(), (3, 4, 5)),
    ("RMSNormalization", dict(axis=[-2, -1], epsilon=1e-3), (3, 4, 5)),
    ("UnitNormalization", dict(axis=[1, 2]), (3, 4, 5)),
]


@pytest.mark.parametrize(
    "name,config,shape", OTHER_CASES, ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(OTHER_CASES)]
)
def test_keras_parity(name, config, shape):
    x = np.random.default_rng(10).normal(1.0, 2.0, size=shape).astype("float32")
    compare_with_keras(name, config, x)


@pytest.mark.filterwarnings("ignore:You passed `rms_scaling=True`:UserWarning")
def test_layer_normalization_rms_scaling_keras_parity():
    x = np.random.default_rng(11).normal(1.0, 2.0, size=(3, 4)).astype("float32")
    ours, _ = compare_with_keras("LayerNormalization", dict(rms_scaling=True), x)
    assert [w.name for w in ours.weights] == ["gamma"]


def test_layer_normalization_rms_scaling_is_deprecated():
    with pytest.warns(UserWarning, match="rms_scaling.*RMSNormalization"):
        lx.layers.LayerNormalization(rms_scaling=True)


OTHER_CONTRACT = [
    (lambda: lx.layers.LayerNormalization(axis=[1, 2]), (2, 3, 4), 2),
    (lambda: lx.layers.GroupNormalization(groups=2, axis=1), (2, 4, 3), 2),
    (lambda: lx.layers.RMSNormalization(), (2, 3, 4), 1),
    (lambda: lx.layers.UnitNormalization(axis=[1, 2]), (2, 3, 4), 0),
]


@pytest.mark.parametrize("factory,shape,n", OTHER_CONTRACT, ids=["ln", "gn", "rms", "unit"])
def test_layer_contract(factory, shape, n):
    check_layer(
        factory, shape, expected_num_trainable_weights=n, expected_num_non_trainable_weights=0
    )


def test_closed_forms():
    x = np.random.default_rng(12).normal(size=(2, 3, 4)).astype("float32")
    ln = lx.layers.LayerNormalization(epsilon=0.0)
    mean, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
    assert_close(ln(x), (x - mean) / np.sqrt(var), 1e-5, 1e-5)
    rms = lx.layers.RMSNormalization(epsilon=0.0)
    assert_close(rms(x), x / np.sqrt((x**2).mean(-1, keepdims=True)), 1e-5, 1e-5)
    unit = lx.layers.UnitNormalization()
    assert_close(unit(x), x / np.linalg.norm(x, axis=-1, keepdims=True), 1e-5, 1e-5)
    assert_close(unit(np.zeros((1, 3), "float32")), np.zeros((1, 3)))
    gn = lx.layers.GroupNormalization(groups=2, epsilon=0.0)
    g = x.reshape(2, 3, 2, 2)
    gm, gv = g.mean(axis=(1, 3), keepdims=True), g.var(axis=(1, 3), keepdims=True)
    assert_close(gn(x), ((g - gm) / np.sqrt(gv)).reshape(x.shape), 1e-4, 1e-5)


def test_masks_pass_through():
    mask = jnp.ones((2, 3), bool)
    for layer in (
        lx.layers.LayerNormalization(),
        lx.layers.GroupNormalization(groups=1),
        lx.layers.UnitNormalization(),
        lx.layers.BatchNormalization(),
    ):
        assert layer.compute_mask(jnp.ones((2, 3, 4)), mask) is mask


def test_group_normalization_groups_minus_one_becomes_channels():
    layer = lx.layers.GroupNormalization(groups=-1)
    layer(jnp.ones((1, 2, 5)))
    assert layer.groups == 5 and layer.get_config()["groups"] == 5


# ------------------------------------------------------------------ bad input
def test_batch_normalization_rank_change_after_build():
    bn = lx.layers.BatchNormalization(name="bn")
    bn(jnp.ones((2, 3)))
    with pytest.raises(ValueError, match=r"'bn'.*expected ndim=2, found ndim=3.*\(2, 4, 3\)"):
        bn(jnp.ones((2, 4, 3)))
    with pytest.raises(ValueError, match=r"'bn'.*axis -1.*value 3.*\(2, 5\)"):
        bn(jnp.ones((2, 5)))


def test_batch_normalization_bad_mask_rank():
    bn = lx.layers.BatchNormalization(name="bn")
    with pytest.raises(ValueError, match=r"'bn'.*mask.*\(2, 3, 4\).*inputs.shape=\(2, 3, 4\)"):
        bn(jnp.ones((2, 3, 4)), training=True, mask=jnp.ones((2, 3, 4), bool))


@pytest.mark.parametrize(
    "make,shape,match",
    [
        (lambda: lx.layers.BatchNormalization(axis=3, name="bn"), (2, 3),
         r"'bn'.*axis 3 is out of bounds.*rank 2"),
        (lambda: lx.layers.LayerNormalization(axis=[1, 4], name="ln"), (2, 3, 4),
         r"'ln'.*axis 4 is out of bounds"),
        (lambda: lx.layers.GroupNormalization(groups=4, name="gn"), (2, 6),
         r"'gn'.*channels \(6\) must be a multiple of the number of groups \(4\)"),
        (lambda: lx.layers.GroupNormalization(groups=8, name="gn"), (2, 6),
         r"'gn'.*groups \(8\) cannot be more than the number of channels \(6\)"),
    ],
)
def test_bad_input_shapes(make, shape, match):
    with pytest.raises(ValueError, match=match):
        make()(jnp.ones(shape))


@pytest.mark.parametrize(
    "make,error,match",
    [
        (lambda: lx.layers.BatchNormalization(synchronized=True), ValueError, "synchronized"),
        (lambda: lx.layers.BatchNormalization(renorm=True, renorm_clipping={"rmx": 1.0}),
         ValueError, r"'rmx'"),
        (lambda: lx.layers.BatchNormalization(renorm=True, renorm_clipping={"rmax": 1, "rmin": 2}),
         ValueError, r"rmax=1, rmin=2"),
        (lambda: lx.layers.BatchNormalization(axis=[1, 2]), TypeError, r"axis=\[1, 2\]"),
        (lambda: lx.layers.LayerNormalization(axis="last"), TypeError, r"axis='last'"),
        (lambda: lx.layers.GroupNormalization(groups=0), ValueError, r"groups=0"),
    ],
)
def test_invalid_arguments(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_half_precision_inputs_use_float32_statistics():
    bn = lx.layers.BatchNormalization(dtype="mixed_bfloat16", momentum=0.0)
    x = np.random.default_rng(13).normal(5.0, 2.0, size=(16, 3)).astype("float32")
    y = bn(jnp.asarray(x, jnp.bfloat16), training=True)
    assert y.dtype == jnp.bfloat16 and bn.moving_mean.dtype == jnp.float32
    x16 = np.asarray(jnp.asarray(x, jnp.bfloat16).astype(jnp.float32))
    assert_close(bn.moving_mean.numpy(), x16.mean(axis=0), 1e-5, 1e-5)
    ln = lx.layers.LayerNormalization(dtype="mixed_bfloat16")
    out = ln(jnp.asarray(x, jnp.bfloat16))
    assert out.dtype == jnp.bfloat16 and ln.gamma.dtype == jnp.float32
