"""Initializers: Keras 3 formulas and configs (Keras as oracle for statistics and configs)."""

from __future__ import annotations

import numpy as np
import pytest

import layerax as lx
from tests.helpers import keras


@pytest.mark.parametrize(
    "name,shape",
    [("glorot_uniform", (40, 60)), ("glorot_normal", (40, 60)), ("he_normal", (3, 3, 16, 32)),
     ("he_uniform", (50, 20)), ("lecun_normal", (64, 8)), ("lecun_uniform", (64, 8)),
     ("random_normal", (100, 10)), ("random_uniform", (100, 10)), ("truncated_normal", (100, 10)),
     ("orthogonal", (20, 30)), ("identity", (4, 6)), ("zeros", (3,)), ("ones", (3,))],
)
def test_statistics_match_keras(name, shape):
    k = keras()
    ours = np.asarray(lx.initializers.get(name)(shape))
    theirs = np.asarray(k.initializers.get(name)(shape))
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    np.testing.assert_allclose(ours.std(), theirs.std(), rtol=0.15, atol=1e-6)
    np.testing.assert_allclose(np.abs(ours).max(), np.abs(theirs).max(), rtol=0.35, atol=1e-6)
    np.testing.assert_allclose(ours.mean(), theirs.mean(), atol=0.05)


def test_keras_configs_load():
    k = keras()
    for init in [k.initializers.VarianceScaling(2.0, "fan_out", "uniform", seed=3, input_axes=[0], output_axes=[1]),
                 k.initializers.GlorotUniform(seed=1), k.initializers.Constant(2.0),
                 k.initializers.RandomNormal(0.5, 2.0, seed=4), k.initializers.Orthogonal(gain=2.0)]:
        config = k.initializers.serialize(init)
        ours = lx.initializers.deserialize({"class_name": config["class_name"], "config": config["config"]})
        assert ours.get_config() == {key: v for key, v in init.get_config().items()}


def test_seeded_is_deterministic_unseeded_differs():
    a = lx.initializers.RandomNormal(seed=7)((5,))
    b = lx.initializers.RandomNormal(seed=7)((5,))
    np.testing.assert_array_equal(a, b)
    init = lx.initializers.RandomNormal()
    assert not np.array_equal(init((5,)), init((5,)))


def test_orthogonal_and_identity_properties_and_errors():
    q = np.asarray(lx.initializers.Orthogonal(gain=2.0, seed=0)((6, 4)))
    np.testing.assert_allclose(q.T @ q, 4.0 * np.eye(4), atol=1e-5)
    with pytest.raises(ValueError, match="rank >= 2"):
        lx.initializers.Orthogonal()((3,))
    with pytest.raises(ValueError, match="2-D"):
        lx.initializers.Identity()((2, 2, 2))
    with pytest.raises(ValueError, match="scale"):
        lx.initializers.VarianceScaling(scale=-1.0)
