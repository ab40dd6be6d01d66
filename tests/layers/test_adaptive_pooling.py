"""Adaptive pooling layers: the Layer contract, Keras 3 parity, bad arguments."""

from __future__ import annotations

import numpy as np
import pytest

import layerax as lx
from tests.layers.harness import check_layer
from tests.layers.keras_compare import compare_with_keras

CASES = [
    ("AdaptiveAveragePooling1D", dict(output_size=3), (2, 7, 3)),
    ("AdaptiveMaxPooling1D", dict(output_size=4, data_format="channels_first"), (2, 3, 9)),
    ("AdaptiveAveragePooling2D", dict(output_size=(2, 3), data_format="channels_first"),
     (2, 2, 5, 7)),
    ("AdaptiveMaxPooling2D", dict(output_size=3), (2, 7, 5, 2)),
    ("AdaptiveAveragePooling3D", dict(output_size=2), (1, 4, 5, 3, 2)),
    ("AdaptiveMaxPooling3D", dict(output_size=(1, 2, 3), data_format="channels_first"),
     (1, 2, 3, 5, 4)),
]


@pytest.mark.parametrize("name,config,shape", CASES, ids=[c[0] for c in CASES])
def test_adaptive_pooling_matches_keras(name, config, shape):
    x = np.random.default_rng(0).normal(size=shape).astype("float32")
    compare_with_keras(name, config, x)


def test_adaptive_pooling_layer_contract():
    check_layer(lambda: lx.layers.AdaptiveAveragePooling2D((2, 3)), (2, 5, 7, 3),
                expected_output_shape=(2, 2, 3, 3), expected_num_trainable_weights=0)
    check_layer(lambda: lx.layers.AdaptiveMaxPooling1D(3, data_format="channels_first"),
                (2, 3, 8), expected_output_shape=(2, 3, 3))


def test_adaptive_pooling_bad_arguments():
    with pytest.raises(TypeError, match="output_size"):
        lx.layers.AdaptiveAveragePooling2D((2, 3, 4))
    with pytest.raises(TypeError, match="output_size"):
        lx.layers.AdaptiveMaxPooling1D("3")
    with pytest.raises(ValueError, match=">= 1"):
        lx.layers.AdaptiveMaxPooling3D(0)
    with pytest.raises(ValueError, match="data_format"):
        lx.layers.AdaptiveMaxPooling2D(2, data_format="channels_middle")
