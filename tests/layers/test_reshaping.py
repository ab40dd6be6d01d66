"""Reshaping layers: Flatten, Reshape, Permute, RepeatVector, UpSampling, ZeroPadding, Cropping."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

import layerax as lx
from tests.helpers import assert_close, keras
from tests.layers.harness import check_layer, keras_parity

RNG = np.random.default_rng(2)


def _x(*shape):
    return RNG.normal(size=shape).astype("float32")


# (class name, constructor kwargs, input shape, expected output shape)
CASES = [
    ("Flatten", {}, (2, 3, 4), (2, 12)),
    ("Flatten", {"data_format": "channels_first"}, (2, 3, 4, 5), (2, 60)),
    ("Flatten", {}, (2, 3), (2, 3)),
    ("Reshape", {"target_shape": (-1, 2)}, (2, 3, 4), (2, 6, 2)),
    ("Reshape", {"target_shape": (4, 3)}, (2, 12), (2, 4, 3)),
    ("Permute", {"dims": (2, 1)}, (2, 3, 4), (2, 4, 3)),
    ("Permute", {"dims": (3, 1, 2)}, (2, 3, 4, 5), (2, 5, 3, 4)),
    ("RepeatVector", {"n": 3}, (2, 4), (2, 3, 4)),
    ("UpSampling1D", {"size": 3}, (2, 3, 4), (2, 9, 4)),
    ("UpSampling2D", {}, (2, 3, 4, 2), (2, 6, 8, 2)),
    ("UpSampling2D", {"size": (2, 3), "interpolation": "bilinear"}, (2, 3, 4, 2), (2, 6, 12, 2)),
    ("UpSampling2D", {"size": 2, "data_format": "channels_first", "interpolation": "bilinear"},
     (2, 2, 3, 4), (2, 2, 6, 8)),
    ("UpSampling2D", {"size": (3, 2), "interpolation": "bicubic"}, (1, 4, 4, 1), (1, 12, 8, 1)),
    ("UpSampling2D", {"size": (1, 2), "data_format": "channels_first"}, (2, 2, 3, 4),
     (2, 2, 3, 8)),
    ("UpSampling3D", {"size": (1, 2, 3)}, (1, 2, 2, 2, 3), (1, 2, 4, 6, 3)),
    ("UpSampling3D", {"data_format": "channels_first"}, (1, 3, 2, 2, 2), (1, 3, 4, 4, 4)),
    ("ZeroPadding1D", {}, (2, 3, 4), (2, 5, 4)),
    ("ZeroPadding1D", {"padding": (1, 2), "data_format": "channels_first"}, (2, 3, 4),
     (2, 3, 7)),
    ("ZeroPadding2D", {"padding": ((1, 0), (2, 3))}, (2, 3, 4, 2), (2, 4, 9, 2)),
    ("ZeroPadding2D", {"padding": 2, "data_format": "channels_first"}, (2, 2, 3, 4),
     (2, 2, 7, 8)),
    ("ZeroPadding3D", {"padding": (1, 0, 2)}, (1, 2, 3, 4, 2), (1, 4, 3, 8, 2)),
    ("ZeroPadding3D", {"padding": ((0, 1), (1, 0), (1, 1)), "data_format": "channels_first"},
     (1, 2, 2, 3, 4), (1, 2, 3, 4, 6)),
    ("Cropping1D", {}, (2, 5, 3), (2, 3, 3)),
    ("Cropping1D", {"cropping": (0, 2)}, (2, 5, 3), (2, 3, 3)),
    ("Cropping2D", {"cropping": ((1, 0), (0, 2))}, (2, 4, 5, 3), (2, 3, 3, 3)),
    ("Cropping2D", {"cropping": 1, "data_format": "channels_first"}, (2, 3, 4, 5),
     (2, 3, 2, 3)),
    ("Cropping3D", {}, (1, 3, 4, 5, 2), (1, 1, 2, 3, 2)),
    ("Cropping3D", {"cropping": ((0, 1), (1, 0), (0, 0)), "data_format": "channels_first"},
     (1, 2, 3, 4, 5), (1, 2, 2, 3, 5)),
]


def _ids(case):
    return f"{case[0]}-{'-'.join(f'{k}={v}' for k, v in case[1].items())}"


# The harness runs on one representative configuration per layer (the parity test below
# covers every configuration).
HARNESS = [c for i, c in enumerate(CASES) if i in (1, 3, 6, 7, 8, 10, 14, 17, 19, 20, 22, 25, 27)]


@pytest.mark.parametrize("name,kwargs,shape,expected", HARNESS, ids=[_ids(c) for c in HARNESS])
def test_reshaping_harness(name, kwargs, shape, expected):
    layer = check_layer(lambda: getattr(lx.layers, name)(**kwargs), shape,
                        expected_output_shape=expected, expected_num_trainable_weights=0)
    config = layer.get_config()
    assert all(k in config for k in kwargs)


@pytest.mark.parametrize("name,kwargs,shape,expected", CASES, ids=[_ids(c) for c in CASES])
def test_reshaping_keras_parity(name, kwargs, shape, expected):
    k = keras()
    ours, theirs = getattr(lx.layers, name)(**kwargs), getattr(k.layers, name)(**kwargs)
    keras_parity(ours, theirs, _x(*shape))
    assert ours.compute_output_shape((None, *shape[1:]))[1:] == tuple(
        theirs.compute_output_shape((None, *shape[1:]))
    )[1:]
    assert {key: ours.get_config()[key] for key in ours.get_config()
            if key not in ("name", "trainable", "dtype")} == {
        key: (tuple(v) if isinstance(v, list) else v)
        for key, v in theirs.get_config().items()
        if key not in ("name", "trainable", "dtype")
    }


def test_flatten_channels_first_moves_channels_last_first():
    x = _x(2, 3, 4, 5)
    y = lx.layers.Flatten(data_format="channels_first")(x)
    assert_close(y, np.transpose(x, (0, 2, 3, 1)).reshape(2, -1))
    lx.config.set_image_data_format("channels_first")
    try:
        assert lx.layers.Flatten().data_format == "channels_first"
        assert lx.layers.UpSampling2D().data_format == "channels_first"
        assert lx.layers.Cropping3D().data_format == "channels_first"
    finally:
        lx.config.set_image_data_format("channels_last")
    assert lx.layers.ZeroPadding2D().data_format == "channels_last"


def test_bilinear_upsampling_closed_form():
    # Half-pixel centers: output i samples input position (i + 0.5) / 2 - 0.5, clamped.
    x = jnp.array([0.0, 4.0, 8.0]).reshape(1, 1, 3, 1)
    y = lx.layers.UpSampling2D((1, 2), interpolation="bilinear")(x)
    assert_close(y[0, 0, :, 0], np.array([0.0, 1.0, 3.0, 5.0, 7.0, 8.0]))
    nearest = lx.layers.UpSampling2D((1, 2))(x)
    assert_close(nearest[0, 0, :, 0], np.array([0.0, 0.0, 4.0, 4.0, 8.0, 8.0]))


def test_reshape_resolves_minus_one_and_reports_bad_sizes():
    layer = lx.layers.Reshape((-1, 4), name="rs")
    assert layer.compute_output_shape((None, 3, 4)) == (None, 3, 4)
    assert layer.compute_output_shape((None, None, 4)) == (None, None, 4)
    with pytest.raises(ValueError, match=r"'rs'.*\(batch, 3, 3\).*9 is not divisible"):
        layer(jnp.ones((2, 3, 3)))
    with pytest.raises(ValueError, match=r"'rs_1'.*total size must be unchanged"):
        lx.layers.Reshape((5,), name="rs_1")(jnp.ones((2, 3)))
    with pytest.raises(ValueError, match="at most one unknown"):
        lx.layers.Reshape((-1, -1))


def test_reshaping_argument_and_input_errors():
    with pytest.raises(ValueError, match="consecutive and start from 1"):
        lx.layers.Permute((0, 1))
    with pytest.raises(TypeError, match="integer"):
        lx.layers.RepeatVector(2.0)
    with pytest.raises(ValueError, match="positive"):
        lx.layers.UpSampling1D(0)
    with pytest.raises(ValueError, match="interpolation"):
        lx.layers.UpSampling2D(interpolation="cubic-ish")
    with pytest.raises(ValueError, match="size"):
        lx.layers.UpSampling3D((2, 2))
    with pytest.raises(ValueError, match="padding"):
        lx.layers.ZeroPadding2D(((1, 1), (1, 1), (1, 1)))
    with pytest.raises(ValueError, match="cropping"):
        lx.layers.Cropping2D(-1)
    with pytest.raises(ValueError, match="data_format"):
        lx.layers.Flatten(data_format="channels_middle")
    with pytest.raises(ValueError, match=r"'rv'.*expected ndim=2, found ndim=3"):
        lx.layers.RepeatVector(2, name="rv")(jnp.ones((1, 2, 3)))
    with pytest.raises(ValueError, match=r"'crop'.*axis 1 has size 3.*\(2, 3, 4\)"):
        lx.layers.Cropping1D((2, 1), name="crop")(jnp.ones((2, 3, 4)))
    with pytest.raises(ValueError, match=r"cropping.*axis 2 has size 4"):
        lx.layers.Cropping2D(((0, 0), (2, 2))).compute_output_shape((None, 5, 4, 1))
