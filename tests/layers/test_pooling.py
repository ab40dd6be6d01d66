"""Pooling layers: the Layer contract, Keras 3 parity, padding and masks, bad input."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

import layerax as lx
from tests.helpers import assert_close, keras
from tests.layers.harness import check_layer, keras_parity
from tests.layers.keras_compare import compare_with_keras

PARITY_CASES = [
    ("MaxPooling1D", dict(), (2, 7, 3)),
    ("MaxPooling1D", dict(pool_size=3, strides=1, padding="same", data_format="channels_first"),
     (2, 3, 7)),
    ("MaxPooling2D", dict(pool_size=3, strides=2, padding="same"), (2, 7, 8, 2)),
    ("MaxPooling2D", dict(pool_size=(2, 3), data_format="channels_first"), (2, 2, 5, 7)),
    ("MaxPooling3D", dict(), (1, 4, 5, 4, 2)),
    ("MaxPooling3D", dict(pool_size=2, strides=1, padding="same", data_format="channels_first"),
     (1, 2, 3, 3, 3)),
    ("AveragePooling1D", dict(pool_size=3, strides=2, padding="same"), (2, 8, 3)),
    ("AveragePooling1D", dict(pool_size=2, data_format="channels_first"), (2, 3, 7)),
    ("AveragePooling2D", dict(pool_size=3, strides=2, padding="same"), (2, 7, 8, 2)),
    ("AveragePooling2D", dict(pool_size=(2, 3), strides=(1, 2), data_format="channels_first"),
     (2, 2, 5, 7)),
    ("AveragePooling3D", dict(pool_size=2, padding="same"), (1, 3, 5, 3, 2)),
    ("AveragePooling3D", dict(pool_size=(1, 2, 2), strides=1, data_format="channels_first"),
     (1, 2, 3, 3, 3)),
    ("GlobalMaxPooling1D", dict(), (2, 5, 3)),
    ("GlobalMaxPooling1D", dict(keepdims=True, data_format="channels_first"), (2, 3, 5)),
    ("GlobalMaxPooling2D", dict(keepdims=True), (2, 4, 3, 3)),
    ("GlobalMaxPooling3D", dict(data_format="channels_first"), (1, 2, 3, 3, 3)),
    ("GlobalAveragePooling1D", dict(data_format="channels_first"), (2, 3, 5)),
    ("GlobalAveragePooling2D", dict(keepdims=True, data_format="channels_first"), (2, 3, 4, 4)),
    ("GlobalAveragePooling3D", dict(keepdims=True), (1, 3, 2, 3, 2)),
]


@pytest.mark.parametrize(
    "name,config,shape", PARITY_CASES, ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(PARITY_CASES)]
)
def test_keras_parity(name, config, shape):
    x = np.random.default_rng(2).normal(size=shape).astype("float32")
    ours, _ = compare_with_keras(name, config, x)
    assert ours.weights == []


@pytest.mark.parametrize(
    "data_format,keepdims", [("channels_last", False), ("channels_first", True)]
)
def test_global_average_pooling_1d_mask_keras_parity(data_format, keepdims):
    k = keras()
    shape = (3, 4, 5) if data_format == "channels_last" else (3, 5, 4)
    x = np.random.default_rng(0).normal(size=shape).astype("float32")
    mask = np.array([[1, 1, 0, 0], [0, 1, 1, 1], [1, 0, 0, 0]], dtype=bool)
    keras_parity(
        lx.layers.GlobalAveragePooling1D(data_format=data_format, keepdims=keepdims),
        k.layers.GlobalAveragePooling1D(data_format=data_format, keepdims=keepdims),
        x,
        call_kwargs={"mask": mask},
    )


HARNESS_CASES = [
    (lambda: lx.layers.MaxPooling1D(3, strides=2, padding="same"), (2, 7, 3), (2, 4, 3)),
    (lambda: lx.layers.MaxPooling2D(data_format="channels_first"), (2, 3, 5, 4), (2, 3, 2, 2)),
    (lambda: lx.layers.MaxPooling3D(2, strides=1), (1, 3, 3, 3, 2), (1, 2, 2, 2, 2)),
    (lambda: lx.layers.AveragePooling1D(2, data_format="channels_first"), (2, 3, 6), (2, 3, 3)),
    (lambda: lx.layers.AveragePooling2D(3, strides=2, padding="same"), (2, 5, 5, 2), (2, 3, 3, 2)),
    (lambda: lx.layers.AveragePooling3D((1, 2, 2)), (1, 2, 4, 4, 3), (1, 2, 2, 2, 3)),
    (lambda: lx.layers.GlobalMaxPooling1D(keepdims=True), (2, 5, 3), (2, 1, 3)),
    (lambda: lx.layers.GlobalMaxPooling2D(data_format="channels_first"), (2, 3, 4, 4), (2, 3)),
    (lambda: lx.layers.GlobalMaxPooling3D(), (1, 2, 2, 2, 3), (1, 3)),
    (lambda: lx.layers.GlobalAveragePooling1D(), (2, 5, 3), (2, 3)),
    (lambda: lx.layers.GlobalAveragePooling2D(keepdims=True), (2, 4, 4, 3), (2, 1, 1, 3)),
    (lambda: lx.layers.GlobalAveragePooling3D(data_format="channels_first", keepdims=True),
     (1, 3, 2, 2, 2), (1, 3, 1, 1, 1)),
]


@pytest.mark.parametrize(
    "factory,shape,out_shape", HARNESS_CASES, ids=[str(i) for i in range(len(HARNESS_CASES))]
)
def test_layer_contract(factory, shape, out_shape):
    check_layer(
        factory, shape, expected_output_shape=out_shape, expected_num_trainable_weights=0,
        expected_num_non_trainable_weights=0,
    )


def test_average_pooling_same_excludes_padding():
    x = np.arange(1.0, 6.0, dtype="float32").reshape(1, 5, 1)
    out = lx.layers.AveragePooling1D(2, padding="same")(x)
    # Windows [1, 2], [3, 4] and [5, pad]: the last averages its one real value.
    assert_close(out[0, :, 0], np.array([1.5, 3.5, 5.0]))
    x2 = np.arange(16.0, dtype="float32").reshape(1, 4, 4, 1)
    out2 = lx.layers.AveragePooling2D(3, strides=1, padding="same")(x2)[0, :, :, 0]
    padded = np.pad(x2[0, :, :, 0], 1, constant_values=np.nan)
    expected = [[np.nanmean(padded[i : i + 3, j : j + 3]) for j in range(4)] for i in range(4)]
    assert_close(out2, np.array(expected))


def test_max_pooling_same_ignores_padding_of_negative_inputs():
    x = -np.arange(1.0, 6.0, dtype="float32").reshape(1, 5, 1)
    out = lx.layers.MaxPooling1D(2, padding="same")(x)
    assert_close(out[0, :, 0], np.array([-1.0, -3.0, -5.0]))


def test_max_pooling_integer_inputs():
    x = jnp.asarray([[[3], [-7], [2], [9]]], jnp.int32)
    out = lx.layers.MaxPooling1D(2)(x)
    assert out.dtype == jnp.int32 and out[0, :, 0].tolist() == [3, 9]


def test_strides_default_to_pool_size():
    layer = lx.layers.MaxPooling2D((2, 3))
    assert layer.strides == (2, 3)
    assert layer.get_config()["strides"] == (2, 3)


def test_global_average_pooling_1d_mask_numbers_and_no_output_mask():
    x = np.arange(12.0, dtype="float32").reshape(2, 3, 2)
    mask = np.array([[True, False, True], [False, False, True]])
    layer = lx.layers.GlobalAveragePooling1D()
    out = layer(x, mask=mask)
    assert_close(out, np.array([[(0 + 4) / 2, (1 + 5) / 2], [10.0, 11.0]]))
    assert layer.supports_masking
    assert layer.compute_mask(x, mask) is None
    assert_close(layer(x), x.mean(axis=1))


def test_default_data_format_follows_config():
    lx.config.set_image_data_format("channels_first")
    try:
        layer = lx.layers.GlobalAveragePooling2D()
    finally:
        lx.config.set_image_data_format("channels_last")
    assert layer(jnp.ones((2, 3, 4, 5))).shape == (2, 3)


def test_aliases():
    assert lx.layers.MaxPool2D is lx.layers.MaxPooling2D
    assert lx.layers.AvgPool3D is lx.layers.AveragePooling3D
    assert lx.layers.GlobalAvgPool1D is lx.layers.GlobalAveragePooling1D
    assert lx.layers.GlobalMaxPool3D is lx.layers.GlobalMaxPooling3D


def test_compute_output_shape_with_unknown_sizes():
    assert lx.layers.MaxPooling2D(2).compute_output_shape((None, None, 7, 3)) == (
        None, None, 3, 3,
    )
    assert lx.layers.AveragePooling1D(3, padding="same").compute_output_shape((4, 10, 2)) == (
        4, 4, 2,
    )


# ------------------------------------------------------------------ bad input
def test_wrong_rank_names_layer_and_shapes():
    with pytest.raises(ValueError, match=r"'pool'.*expected ndim=4, found ndim=3.*\(2, 4, 4\)"):
        lx.layers.MaxPooling2D(name="pool")(jnp.ones((2, 4, 4)))
    with pytest.raises(ValueError, match=r"'gap'.*expected ndim=3, found ndim=4"):
        lx.layers.GlobalAveragePooling1D(name="gap")(jnp.ones((2, 4, 4, 1)))


def test_window_larger_than_input():
    with pytest.raises(ValueError, match=r"too small for pool_size=\(3, 3\).*\(1, 2, 2, 1\)"):
        lx.layers.MaxPooling2D(3)(jnp.ones((1, 2, 2, 1)))


@pytest.mark.parametrize(
    "make,match",
    [
        (lambda: lx.layers.MaxPooling1D(2, padding="causal"), r"padding.*'causal'"),
        (lambda: lx.layers.AveragePooling2D((2, 2, 2)), r"pool_size.*tuple of 2"),
        (lambda: lx.layers.MaxPooling3D(2, strides=0), r"strides.*> 0"),
        (lambda: lx.layers.GlobalMaxPooling2D(data_format="NCHW"), r"(?i)data_format.*'NCHW'"),
    ],
)
def test_invalid_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()
