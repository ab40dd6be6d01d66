"""The STFT initializer (layerax/initializers/stft.py) and the lowercase initializer and
constraint aliases, against Keras 3."""

from __future__ import annotations

import numpy as np
import pytest

import layerax as lx
from tests.helpers import assert_close, keras

ALIASES = ["constant", "glorot_normal", "glorot_uniform", "he_normal", "he_uniform", "identity",
           "lecun_normal", "lecun_uniform", "ones", "orthogonal", "random_normal", "random_uniform",
           "truncated_normal", "variance_scaling", "zeros", "stft", "OrthogonalInitializer",
           "STFTInitializer"]
CONSTRAINT_ALIASES = ["max_norm", "min_max_norm", "non_neg", "unit_norm"]


def test_initializer_aliases_name_the_same_classes_as_keras():
    ki = keras().initializers
    for alias in ALIASES:
        ours, theirs = getattr(lx.initializers, alias), getattr(ki, alias)
        assert ours.__name__ == theirs.__name__, alias
        if alias == "constant":
            continue  # keras.initializers.get("constant") raises KeyError('value') (Keras 3.15)
        assert lx.initializers.get(alias).__class__.__name__ == ki.get(alias).__class__.__name__


def test_constraint_aliases_name_the_same_classes_as_keras():
    kc = keras().constraints
    for alias in CONSTRAINT_ALIASES:
        ours, theirs = getattr(lx.constraints, alias), getattr(kc, alias)
        assert ours.__name__ == theirs.__name__, alias
    w = np.random.default_rng(0).normal(size=(3, 4)).astype("float32")
    assert_close(lx.constraints.max_norm(1.0)(w), kc.max_norm(1.0)(w))
    assert_close(lx.constraints.min_max_norm(0.5, 1.0)(w), kc.min_max_norm(0.5, 1.0)(w))


@pytest.mark.parametrize("shape", [(8, 1, 5), (6, 2, 4)])
def test_stft_values_match_keras(shape):
    ki = keras().initializers
    options = [{}, {"side": "imag"}, {"window": "hamming", "scaling": "spectrum"},
               {"window": None}, {"window": "hann", "periodic": True, "scaling": None},
               {"window": np.linspace(0.5, 1.0, shape[0]).tolist()}]
    for kwargs in options:
        ours = lx.initializers.STFT(**kwargs)
        theirs = ki.STFT(**kwargs)
        assert_close(ours(shape), theirs(shape), rtol=1e-5, atol=1e-6)
        assert ours.get_config() == theirs.get_config()
        assert lx.initializers.deserialize(lx.initializers.serialize(ours)) == ours
    assert isinstance(ours, lx.initializers.Initializer)


def test_stft_errors():
    with pytest.raises(ValueError, match="side"):
        lx.initializers.STFT(side="both")
    with pytest.raises(ValueError, match="scaling"):
        lx.initializers.STFT(scaling="power")
    with pytest.raises(ValueError):
        lx.initializers.STFT(window="no-such-window")
    with pytest.raises(ValueError, match="frame_length"):
        lx.initializers.STFT()((4, 3))
    with pytest.raises(ValueError, match="window must have shape"):
        lx.initializers.STFT(window=[1.0, 2.0])((4, 1, 3))
