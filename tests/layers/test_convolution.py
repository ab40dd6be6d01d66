"""Convolution layers: the Layer contract, Keras 3 parity, shapes and bad input."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import layerax as lx
from tests.helpers import assert_close
from tests.layers.harness import check_layer
from tests.layers.keras_compare import compare_with_keras

# (layer, config, input shape): every non-default option appears at least once.
PARITY_CASES = [
    ("Conv1D", dict(filters=4, kernel_size=3, strides=2, padding="same", activation="relu"),
     (2, 9, 2)),
    ("Conv1D", dict(filters=4, kernel_size=3, dilation_rate=2, padding="causal"), (2, 9, 2)),
    ("Conv1D", dict(filters=4, kernel_size=2, groups=2, data_format="channels_first",
                    use_bias=False), (2, 4, 7)),
    ("Conv2D", dict(filters=3, kernel_size=(2, 3), strides=(2, 1), padding="same",
                    data_format="channels_first", activation="tanh"), (2, 2, 7, 6)),
    ("Conv2D", dict(filters=4, kernel_size=3, dilation_rate=2, groups=2), (2, 8, 8, 4)),
    ("Conv3D", dict(filters=2, kernel_size=(1, 2, 2), dilation_rate=(1, 2, 1),
                    data_format="channels_first"), (1, 2, 3, 5, 4)),
    ("Conv1DTranspose", dict(filters=3, kernel_size=4, strides=3, output_padding=1), (2, 5, 2)),
    ("Conv1DTranspose", dict(filters=3, kernel_size=4, strides=2, padding="same",
                             output_padding=1, data_format="channels_first"), (2, 2, 5)),
    ("Conv1DTranspose", dict(filters=2, kernel_size=3, dilation_rate=2, padding="same"), (2, 5, 2)),
    ("Conv2DTranspose", dict(filters=3, kernel_size=2, strides=3), (2, 3, 3, 2)),
    ("Conv2DTranspose", dict(filters=3, kernel_size=3, strides=(2, 3), padding="same",
                             output_padding=(1, 0), data_format="channels_first"), (2, 2, 3, 4)),
    ("Conv2DTranspose", dict(filters=2, kernel_size=3, strides=2, padding="same",
                             activation="relu"), (1, 4, 4, 3)),
    ("Conv2DTranspose", dict(filters=2, kernel_size=3, dilation_rate=2), (1, 4, 4, 3)),
    ("Conv3DTranspose", dict(filters=2, kernel_size=3, strides=2, padding="same",
                             output_padding=1), (1, 3, 3, 2, 2)),
    ("DepthwiseConv1D", dict(kernel_size=2, depth_multiplier=2, dilation_rate=3,
                             data_format="channels_first"), (2, 3, 8)),
    ("DepthwiseConv2D", dict(kernel_size=3, depth_multiplier=3, strides=2, padding="same",
                             use_bias=False), (2, 7, 7, 2)),
    ("SeparableConv1D", dict(filters=5, kernel_size=3, depth_multiplier=2, strides=2,
                             padding="same", data_format="channels_first"), (2, 3, 9)),
    ("SeparableConv2D", dict(filters=4, kernel_size=2, depth_multiplier=2, dilation_rate=2,
                             activation="relu", use_bias=False), (2, 6, 6, 3)),
]


@pytest.mark.parametrize(
    "name,config,shape", PARITY_CASES, ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(PARITY_CASES)]
)
def test_keras_parity(name, config, shape):
    x = np.random.default_rng(1).normal(size=shape).astype("float32")
    compare_with_keras(name, config, x)


# One contract check per layer class, each with non-default options. Constant initializers
# keep them fast (a random one compiles per weight shape); `test_default_initializers`
# covers the defaults.
ONES = dict(kernel_initializer="ones")
DW_ONES = dict(depthwise_initializer="ones")
SEP_ONES = dict(depthwise_initializer="ones", pointwise_initializer="ones")
HARNESS_CASES = [
    (lambda: lx.layers.Conv1D(4, 3, padding="causal", dilation_rate=2, groups=2, **ONES),
     (2, 8, 4), 2),
    (lambda: lx.layers.Conv2D(3, 3, strides=2, padding="same", activation="relu", **ONES),
     (2, 7, 7, 2), 2),
    (lambda: lx.layers.Conv3D(2, 2, data_format="channels_first", use_bias=False, **ONES),
     (1, 2, 3, 3, 3), 1),
    (lambda: lx.layers.Conv1DTranspose(3, 3, strides=2, output_padding=1, **ONES), (2, 4, 2), 2),
    (lambda: lx.layers.Conv2DTranspose(2, 3, strides=2, padding="same",
                                       data_format="channels_first", **ONES), (2, 3, 4, 4), 2),
    (lambda: lx.layers.Conv3DTranspose(2, 2, strides=2, **ONES), (1, 2, 2, 2, 2), 2),
    (lambda: lx.layers.DepthwiseConv1D(3, depth_multiplier=2, padding="same", **DW_ONES),
     (2, 6, 3), 2),
    (lambda: lx.layers.DepthwiseConv2D(3, strides=2, data_format="channels_first", **DW_ONES),
     (2, 2, 7, 7), 2),
    (lambda: lx.layers.SeparableConv1D(4, 3, depth_multiplier=2, **SEP_ONES), (2, 7, 3), 3),
    (lambda: lx.layers.SeparableConv2D(4, 3, padding="same", use_bias=False, **SEP_ONES),
     (2, 5, 5, 3), 2),
]


@pytest.mark.parametrize(
    "factory,shape,n_weights", HARNESS_CASES, ids=[str(i) for i in range(len(HARNESS_CASES))]
)
def test_layer_contract(factory, shape, n_weights):
    check_layer(
        factory, shape, expected_num_trainable_weights=n_weights,
        expected_num_non_trainable_weights=0,
    )


def test_autoencoder_conv_chain_shapes():
    """The source documents' encoder/decoder (Reshape and UpSampling2D done with jnp)."""
    x = jnp.asarray(np.random.default_rng(0).normal(size=(1, 28, 28, 1)), jnp.float32)
    # Shapes do not depend on weight values: a constant initializer avoids compiling a
    # random generator per kernel shape.
    init = dict(kernel_initializer=lx.initializers.Constant(0.01))
    encoder = [
        lx.layers.Conv2D(16, 3, activation="relu", **init),
        lx.layers.Conv2D(32, 3, activation="relu", **init),
        lx.layers.MaxPooling2D(3),
        lx.layers.Conv2D(32, 3, activation="relu", **init),
        lx.layers.Conv2D(16, 3, activation="relu", **init),
        lx.layers.GlobalMaxPooling2D(),
    ]
    decoder = [
        lx.layers.Conv2DTranspose(16, 3, activation="relu", **init),
        lx.layers.Conv2DTranspose(32, 3, activation="relu", **init),
        lx.layers.Conv2DTranspose(16, 3, activation="relu", **init),
        lx.layers.Conv2DTranspose(1, 3, activation="relu", **init),
    ]
    # Static shape inference builds every layer (no forward pass needed).
    shape = (None, 28, 28, 1)
    static_shapes = []
    for i, layer in enumerate(encoder + decoder):
        if i == 6:
            shape = (None, 4, 4, 1)  # Reshape((4, 4, 1))
        if i == 8:
            shape = (None, shape[1] * 3, shape[2] * 3, shape[3])  # UpSampling2D(3)
        layer.build(shape)
        shape = layer.compute_output_shape(shape)
        static_shapes.append(shape)
    assert static_shapes[5] == (None, 16) and static_shapes[-1] == (None, 28, 28, 1)

    shapes = []  # static shapes, recorded while tracing

    # The layers go in as pytrees (their weights are arguments, as in lx.function): one
    # compilation for the chain instead of one per eager op.
    @jax.jit
    def autoencoder(encoder, decoder, x):
        h = x
        for layer in encoder:
            h = layer(h)
            shapes.append(h.shape)
        h = jnp.reshape(h, (-1, 4, 4, 1))
        for i, layer in enumerate(decoder):
            if i == 2:
                h = jnp.repeat(jnp.repeat(h, 3, axis=1), 3, axis=2)
            h = layer(h)
            shapes.append(h.shape)
        return h

    out = autoencoder(encoder, decoder, x)
    assert shapes == [
        (1, 26, 26, 16), (1, 24, 24, 32), (1, 8, 8, 32), (1, 6, 6, 32), (1, 4, 4, 16), (1, 16),
        (1, 6, 6, 16), (1, 8, 8, 32), (1, 26, 26, 16), (1, 28, 28, 1),
    ]
    assert [(None, *s[1:]) for s in shapes] == static_shapes
    assert out.shape == (1, 28, 28, 1) and bool(jnp.all(jnp.isfinite(out)))


def _random_weights(layer, seed=0):
    """Random numpy weights: cheaper than a random initializer (one compile per shape)."""
    rng = np.random.default_rng(seed)
    layer.set_weights([rng.normal(size=w.shape).astype("float32") for w in layer.weights])


def test_causal_output_depends_only_on_the_past():
    layer = lx.layers.Conv1D(2, 3, padding="causal", dilation_rate=2, kernel_initializer="zeros")
    x = jnp.asarray(np.random.default_rng(0).normal(size=(1, 10, 3)), jnp.float32)
    layer(x)
    _random_weights(layer)
    y = layer(x)
    changed = x.at[:, 6:].set(100.0)
    assert_close(layer(changed)[:, :6], y[:, :6])
    assert not np.allclose(layer(changed)[:, 6:], y[:, 6:])


def test_groups_equal_independent_convolutions():
    layer = lx.layers.Conv2D(4, 3, groups=2, use_bias=False, kernel_initializer="zeros")
    x = jnp.asarray(np.random.default_rng(0).normal(size=(2, 6, 6, 4)), jnp.float32)
    layer(x)
    _random_weights(layer)
    y = layer(x)
    kernel = layer.kernel.numpy()  # (3, 3, 2, 4): group g maps channels 2g:2g+2 to filters 2g:2g+2
    for g in range(2):
        single = lx.layers.Conv2D(2, 3, use_bias=False, kernel_initializer="zeros")
        single(x[..., :2])
        single.set_weights([kernel[..., 2 * g : 2 * g + 2]])
        assert_close(single(x[..., 2 * g : 2 * g + 2]), y[..., 2 * g : 2 * g + 2], 1e-5, 1e-5)


def test_depthwise_conv_matches_grouped_conv():
    depthwise = lx.layers.DepthwiseConv2D(
        3, depth_multiplier=2, use_bias=False, depthwise_initializer="zeros"
    )
    x = jnp.asarray(np.random.default_rng(0).normal(size=(1, 5, 5, 3)), jnp.float32)
    depthwise(x)
    _random_weights(depthwise)
    y = depthwise(x)
    grouped = lx.layers.Conv2D(6, 3, groups=3, use_bias=False, kernel_initializer="zeros")
    grouped(x)
    # Depthwise kernel (3, 3, C, M) is the grouped kernel (3, 3, 1, C * M).
    grouped.set_weights([depthwise.kernel.numpy().reshape(3, 3, 1, 6)])
    assert_close(grouped(x), y, 1e-5, 1e-5)


def test_transpose_is_the_gradient_of_convolution():
    conv = lx.layers.Conv2D(3, 3, strides=2, use_bias=False, kernel_initializer="zeros")
    x = jnp.asarray(np.random.default_rng(0).normal(size=(1, 7, 7, 2)), jnp.float32)
    conv(x)
    _random_weights(conv)
    y = conv(x)
    transpose = lx.layers.Conv2DTranspose(2, 3, strides=2, use_bias=False,
                                          kernel_initializer="zeros")
    transpose(y)
    transpose.set_weights([conv.kernel.numpy()])  # (3, 3, in=2, out=3) == (3, 3, filters, in)
    cotangent = jnp.asarray(np.random.default_rng(1).normal(size=y.shape), jnp.float32)
    _, vjp = jax.vjp(lambda v: conv(v), x)
    assert_close(transpose(cotangent), vjp(cotangent)[0], 1e-5, 1e-5)


def test_default_initializers():
    layer = lx.layers.Conv2D(4, 3)
    layer(jnp.ones((1, 5, 5, 2)))
    kernel = layer.kernel.numpy()
    limit = np.sqrt(6.0 / (3 * 3 * 2 + 3 * 3 * 4))  # glorot_uniform over receptive fields
    assert np.all(np.abs(kernel) <= limit) and np.std(kernel) > limit / 4
    assert np.all(layer.bias.numpy() == 0)


def test_compute_output_shape_with_unknown_sizes():
    assert lx.layers.Conv1D(4, 3, strides=2).compute_output_shape((None, None, 2)) == (
        None, None, 4,
    )
    assert lx.layers.Conv2DTranspose(4, 3, strides=2, padding="same").compute_output_shape(
        (None, 3, None, 2)
    ) == (None, 6, None, 4)
    assert lx.layers.SeparableConv2D(
        4, 3, data_format="channels_first"
    ).compute_output_shape((5, 2, 9, 9)) == (5, 4, 7, 7)


def test_default_data_format_follows_config():
    lx.config.set_image_data_format("channels_first")
    try:
        layer = lx.layers.Conv2D(4, 3, kernel_initializer="zeros")
    finally:
        lx.config.set_image_data_format("channels_last")
    assert layer.data_format == "channels_first"
    assert layer(jnp.ones((1, 2, 5, 5))).shape == (1, 4, 3, 3)
    assert lx.layers.Conv2D(4, 3).data_format == "channels_last"


def test_aliases():
    assert lx.layers.Convolution2D is lx.layers.Conv2D
    assert lx.layers.Convolution3DTranspose is lx.layers.Conv3DTranspose
    assert lx.layers.SeparableConvolution1D is lx.layers.SeparableConv1D


def test_regularizers_add_losses():
    layer = lx.layers.Conv1D(
        2, 3, kernel_regularizer=lx.regularizers.L2(0.1), kernel_initializer="ones"
    )
    layer(jnp.ones((1, 5, 2)))
    (loss,) = layer.losses
    assert_close(loss, 0.1 * np.sum(layer.kernel.numpy() ** 2), 1e-6, 1e-6)


# ------------------------------------------------------------------ bad input
def test_wrong_rank_names_layer_and_shapes():
    layer = lx.layers.Conv2D(2, 3, name="conv2d")
    with pytest.raises(ValueError, match=r"conv2d.*expected ndim=4, found ndim=3.*\(2, 5, 5\)"):
        layer(jnp.ones((2, 5, 5)))


def test_channel_change_after_build_is_rejected():
    layer = lx.layers.Conv1D(2, 3, name="c1", kernel_initializer="zeros")
    layer(jnp.ones((1, 5, 3)))
    with pytest.raises(ValueError, match=r"c1.*axis 2.*value 3.*\(1, 5, 4\)"):
        layer(jnp.ones((1, 5, 4)))


def test_filters_not_divisible_by_groups():
    with pytest.raises(ValueError, match=r"filters=5, groups=2"):
        lx.layers.Conv2D(5, 3, groups=2)


def test_input_channels_not_divisible_by_groups():
    layer = lx.layers.Conv2D(4, 3, groups=2)
    with pytest.raises(ValueError, match=r"groups=2, input channels=3"):
        layer(jnp.ones((1, 5, 5, 3)))


def test_input_too_small_for_kernel():
    with pytest.raises(ValueError, match=r"too small.*\(1, 2, 2, 1\).*kernel_size=\(3, 3\)"):
        lx.layers.Conv2D(2, 3)(jnp.ones((1, 2, 2, 1)))


@pytest.mark.parametrize(
    "make,match",
    [
        (lambda: lx.layers.Conv2D(2, 3, padding="causal"), r"padding.*\['valid', 'same'\]"),
        (lambda: lx.layers.Conv1D(2, 3, padding="full"), r"padding.*causal.*'full'"),
        (lambda: lx.layers.Conv1D(0, 3), r"filters.*positive.*filters=0"),
        (lambda: lx.layers.Conv2D(2, (3, 3, 3)), r"kernel_size.*tuple of 2.*\(3, 3, 3\)"),
        (lambda: lx.layers.Conv2D(2, 3, strides=0), r"strides.*> 0"),
        (lambda: lx.layers.Conv1D(2, 3, strides=2, dilation_rate=2), r"strides=\(2,\).*dilation"),
        (lambda: lx.layers.Conv1DTranspose(2, 3, strides=2, output_padding=2),
         r"output_padding=\(2,\), strides=\(2,\)"),
        (lambda: lx.layers.DepthwiseConv2D(3, depth_multiplier=0), r"depth_multiplier=0"),
        (lambda: lx.layers.Conv2D(2, 3, data_format="nhwc"), r"data_format.*'nhwc'"),
    ],
)
def test_invalid_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_mixed_precision_computes_in_bfloat16_with_float32_weights():
    layer = lx.layers.SeparableConv1D(2, 3, dtype="mixed_bfloat16", depthwise_initializer="ones",
                                      pointwise_initializer="ones")
    y = layer(jnp.ones((1, 5, 2)))
    assert y.dtype == jnp.bfloat16
    assert [w.dtype for w in layer.weights] == [jnp.float32] * 3
    assert_close(y.astype(jnp.float32), np.full((1, 3, 2), 6.0))


def test_convolutions_do_not_propagate_masks():
    mask = jnp.ones((1, 5), bool)
    layer = lx.layers.Conv1D(2, 3, kernel_initializer="zeros")
    assert layer.compute_mask(jnp.ones((1, 5, 2)), mask) is None
