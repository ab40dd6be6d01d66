"""fit/evaluate on grain `MapDataset` / `IterDataset` / `DataLoader` (grain is a real test
dependency) and on `tf.data.Dataset` when TensorFlow is installed (importorskip), through
layerax/trainers/foreign_adapters.py. Oracles: see tests/trainers/loader_checks.py."""

from __future__ import annotations

import pytest

import layerax as lx
from layerax.trainers import foreign_adapters
from tests.trainers.loader_checks import X, Y, check, make_reference


@pytest.fixture(scope="module")
def reference():
    return make_reference()


def test_grain_datasets_and_loader(reference):
    import grain

    samples = [(X[i], Y[i]) for i in range(len(X))]
    map_ds = grain.MapDataset.source(samples).batch(4)
    assert foreign_adapters.is_grain_dataset(map_ds)
    check(map_ds, reference)
    check(grain.MapDataset.source(samples).to_iter_dataset().batch(4), reference)
    loader = grain.DataLoader(
        data_source=samples,
        sampler=grain.samplers.IndexSampler(len(samples), shuffle=False, num_epochs=1),
        operations=[grain.transforms.Batch(4)], worker_count=0,
    )
    assert foreign_adapters.is_grain_dataset(loader)
    check(loader, reference)


def test_tf_dataset(reference):
    tf = pytest.importorskip("tensorflow")
    ds = tf.data.Dataset.from_tensor_slices((X, Y)).batch(4)
    assert foreign_adapters.is_tf_dataset(ds)
    check(ds, reference)


def test_plain_objects_are_not_foreign():
    for value in (X, [X], iter([X]), lx.utils.timeseries_dataset_from_array(X, None, 2)):
        assert not (foreign_adapters.is_torch_dataloader(value) or foreign_adapters.is_grain_dataset(value)
                    or foreign_adapters.is_tf_dataset(value))
