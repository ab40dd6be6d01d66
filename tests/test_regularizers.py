"""`lx.regularizers` against `keras.regularizers` (test-only oracle)."""

from __future__ import annotations

import numpy as np
import pytest

import layerax as lx
from tests.helpers import assert_close, keras

WEIGHT = np.array([[0.5, -1.5], [2.0, 0.25]], np.float32)


def test_every_keras_name_exists():
    wanted = {n for n in dir(keras().regularizers) if not n.startswith("_")}
    assert wanted <= set(lx.regularizers.__all__), wanted - set(lx.regularizers.__all__)


@pytest.mark.parametrize("name,kwargs", [
    ("l1", {}), ("l2", {"l2": 1e-3}), ("l1_l2", {}), ("l1_l2", {"l1": 0.1}),
    ("orthogonal_regularizer", {"factor": 0.2}),
])
def test_lower_case_names_match_keras(name, kwargs):
    ours = getattr(lx.regularizers, name)(**kwargs)
    theirs = getattr(keras().regularizers, name)(**kwargs)
    assert type(ours).__name__ == type(theirs).__name__
    expected = theirs.get_config()
    assert set(ours.get_config()) == set(expected)
    for key, value in expected.items():
        assert ours.get_config()[key] == (value if isinstance(value, str) else pytest.approx(float(value)))
    assert_close(ours(WEIGHT), np.asarray(theirs(WEIGHT)), rtol=1e-6)
