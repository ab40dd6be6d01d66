"""`ContrastLimitedAdaptiveHistogramEqualization` against Keras 3.15 (JAX backend)."""

from __future__ import annotations

import jax
import numpy as np
import pytest

import layerax as lx
from tests.helpers import assert_close, keras
from tests.layers.harness import check_layer

NAME = "ContrastLimitedAdaptiveHistogramEqualization"
RNG = np.random.default_rng(0)


def _pair(**kwargs):
    return getattr(lx.layers, NAME)(**kwargs), getattr(keras().layers, NAME)(**kwargs)


def test_harness():
    images = RNG.uniform(0, 255, (2, 8, 10, 3)).astype("float32")
    layer = check_layer(lambda: lx.layers.ContrastLimitedAdaptiveHistogramEqualization(
        tile_grid_size=(2, 3)), images.shape, inputs=images, run_grad=False)
    assert not layer.weights
    assert layer.get_config()["tile_grid_size"] == (2, 3)


CASES = [
    ((2, 16, 16, 3), {}),
    ((13, 19, 2), {"tile_grid_size": (3, 4), "clip_limit": 2.0, "value_range": (0, 1)}),
]


def test_values_match_keras():
    """All cases in one compiled program (eagerly, each Keras op compiles on its own)."""
    inputs, pairs = [], []
    for shape, kwargs in CASES:
        high = kwargs.get("value_range", (0, 255))[1]
        inputs.append(RNG.uniform(0, high, shape).astype("float32"))
        pairs.append(_pair(**kwargs))
        ours, theirs = pairs[-1]
        assert ours.get_config() == {**theirs.get_config(), "dtype": ours.get_config()["dtype"]}
    results = jax.jit(lambda xs: [(o(x), t(x), o(x, training=False))
                                  for x, (o, t) in zip(xs, pairs)])(inputs)
    for mine, ref, inference in results:
        assert_close(mine, ref, rtol=1e-5, atol=1e-4)
        assert_close(inference, ref, rtol=1e-5, atol=1e-4)


def test_integer_images_channels_first_and_jit():
    images = RNG.integers(0, 256, (2, 12, 12, 3)).astype("uint8")
    ours, theirs = _pair(tile_grid_size=(3, 3), clip_limit=0)
    first = np.moveaxis(images, -1, 1).astype("float32")
    ours_cf, theirs_cf = _pair(tile_grid_size=(2, 2), data_format="channels_first")
    out, ref, out_cf, ref_cf = jax.jit(lambda a, b: (ours(a), theirs(a), ours_cf(b),
                                                     theirs_cf(b)))(images, first)
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(np.asarray(out), np.asarray(ref))
    assert_close(out_cf, ref_cf, atol=1e-4)
    ours = ours_cf
    again = lx.layers.ContrastLimitedAdaptiveHistogramEqualization.from_config(ours.get_config())
    assert_close(again(first), ours(first))


def test_bad_arguments():
    layer = lx.layers.ContrastLimitedAdaptiveHistogramEqualization
    with pytest.raises(ValueError, match="tile_grid_size"):
        layer(tile_grid_size=(0, 2))
    with pytest.raises(ValueError, match="value_range"):
        layer(value_range=(0, 1, 2))
    with pytest.raises(TypeError, match="clip_limit"):
        layer(clip_limit="high")
    with pytest.raises(ValueError, match="rank 3"):
        layer()(np.zeros((4, 4)))
