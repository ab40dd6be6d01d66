"""timeseries_dataset_from_array (layerax/utils/timeseries_dataset.py) against Keras 3.15's
`format="grain"` path (numpy windows, no TensorFlow) on the same arrays."""

from __future__ import annotations

import numpy as np
import pytest

import layerax as lx
from tests.helpers import keras

DATA = np.arange(40, dtype="float32").reshape(20, 2)
TARGETS = np.arange(100, 120)


def _keras_batches(*args, **kwargs):
    return [tuple(np.asarray(part) for part in b) if isinstance(b, tuple) else np.asarray(b)
            for b in keras().utils.timeseries_dataset_from_array(*args, format="grain", **kwargs)]


@pytest.mark.parametrize("kwargs", [
    dict(sequence_length=4, batch_size=3),
    dict(sequence_length=3, sequence_stride=2, sampling_rate=2, batch_size=4, start_index=2, end_index=18),
])
@pytest.mark.parametrize("targets", [TARGETS, None])
def test_windows_match_keras(kwargs, targets):
    ours = list(lx.utils.timeseries_dataset_from_array(DATA, targets, **kwargs))
    theirs = _keras_batches(DATA, targets, **kwargs)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        if targets is None:
            np.testing.assert_array_equal(a, b)
            assert a.dtype == b.dtype
        else:
            for x, y in zip(a, b):
                np.testing.assert_array_equal(x, y)


def test_shuffle_uses_keras_positions_and_fits():
    # Keras shuffles the start positions with RandomState(seed) (then its pipeline shuffles
    # again): the windows are the same set, ours in the RandomState order.
    ds = lx.utils.timeseries_dataset_from_array(DATA, TARGETS, 5, batch_size=4, shuffle=True, seed=3)
    order = np.arange(16)
    np.random.RandomState(3).shuffle(order)
    np.testing.assert_array_equal(ds.start_positions, order)
    ours = np.concatenate([y for _, y in ds])
    theirs = np.concatenate([y for _, y in _keras_batches(DATA, TARGETS, 5, batch_size=4, shuffle=True, seed=3)])
    assert sorted(ours.tolist()) == sorted(theirs.tolist())
    unbatched = lx.utils.timeseries_dataset_from_array(DATA, None, 5, batch_size=None)
    assert len(unbatched) == 16 and unbatched[1].shape == (5, 2)
    model = lx.Sequential([lx.Input((5, 2)), lx.layers.Flatten(), lx.layers.Dense(1)])
    model.compile("sgd", "mse")
    history = model.fit(lx.utils.timeseries_dataset_from_array(DATA / 40, TARGETS / 120, 5, batch_size=8),
                        epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_argument_errors():
    f = lx.utils.timeseries_dataset_from_array
    for kwargs, match in [(dict(start_index=-1), "start_index"), (dict(start_index=30), "start_index"),
                          (dict(start_index=5, end_index=3), "end_index"), (dict(end_index=25), "end_index"),
                          (dict(sampling_rate=0), "sampling_rate"), (dict(sequence_stride=20), "sequence_stride"),
                          (dict(format="torch"), "format")]:
        with pytest.raises(ValueError, match=match):
            f(DATA, None, 3, **kwargs)
        with pytest.raises(ValueError, match=match):
            keras().utils.timeseries_dataset_from_array(DATA, None, 3, **kwargs)
