"""fit/evaluate/predict on a torch DataLoader, grain datasets/loaders and tf.data
(layerax/trainers/foreign_adapters.py).

Oracles: the same model fitted on the same batches given as numpy arrays (the steps must
be identical), and Keras 3 (JAX backend) fitting the same loader from the same weights.
torch and grain are real test dependencies; TensorFlow is optional (importorskip).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import layerax as lx
from layerax.trainers import foreign_adapters
from tests.helpers import keras

X = np.random.default_rng(0).normal(size=(10, 3)).astype("float32")
Y = (X @ np.array([[1.0], [-2.0], [0.5]], "float32") + 0.1).astype("float32")
W = [np.array([[0.1], [0.2], [-0.3]], "float32"), np.zeros(1, "float32")]


def _model(lib):
    model = lib.Sequential([lib.Input((3,)), lib.layers.Dense(1)])
    model.set_weights(W)
    model.compile(lib.optimizers.SGD(0.1), "mse")
    return model


@pytest.fixture(scope="module")
def reference():
    """History, weights and evaluation of fitting numpy arrays, 2 epochs of batches of 4, no
    shuffle; and the model, reused (its compiled steps too) by every check from `W` again."""
    model = _model(lx)
    history = model.fit(X, Y, batch_size=4, epochs=2, shuffle=False, verbose=0).history["loss"]
    return history, model.get_weights(), model.evaluate(X, Y, verbose=0), model


def _check(source, reference, keras_too=False):
    history, weights, evaluation, model = reference
    model.set_weights(W)
    got = model.fit(source, epochs=2, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(got, history, rtol=1e-6)
    for a, b in zip(model.get_weights(), weights):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    np.testing.assert_allclose(model.evaluate(source, verbose=0), evaluation, rtol=1e-6)
    if keras_too:
        k_model = _model(keras())
        # Keras 3.15 warns "Your input ran out of data" at the end of a grain epoch (and
        # does not restart a MapDataset for a second one): compare its one epoch.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            k_hist = k_model.fit(source, epochs=1, shuffle=False, verbose=0).history["loss"]
        np.testing.assert_allclose(got[:1], k_hist, rtol=1e-5)


def test_torch_dataloader(reference):
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    loader = DataLoader(TensorDataset(torch.from_numpy(X), torch.from_numpy(Y)), batch_size=4, shuffle=False)
    assert foreign_adapters.is_torch_dataloader(loader)
    batch = foreign_adapters.to_numpy_batch(next(iter(loader)))
    assert isinstance(batch, tuple) and all(isinstance(b, np.ndarray) for b in batch)  # list -> tuple
    _check(loader, reference, keras_too=True)
    x_only = DataLoader(TensorDataset(torch.from_numpy(X)), batch_size=3)
    model = reference[3]
    np.testing.assert_allclose(model.predict(x_only, verbose=0), model.predict(X, verbose=0), rtol=1e-6)
    # dict samples are collated to dicts of tensors
    dict_loader = DataLoader([{"a": torch.ones(2)}, {"a": torch.zeros(2)}], batch_size=2)
    assert foreign_adapters.to_numpy_batch(next(iter(dict_loader)))["a"].tolist() == [[1, 1], [0, 0]]
    with pytest.raises(ValueError, match="must not be passed separately"):
        model.fit(loader, Y, shuffle=False, verbose=0)


def test_grain_datasets_and_loader(reference):
    import grain

    samples = [(X[i], Y[i]) for i in range(len(X))]
    map_ds = grain.MapDataset.source(samples).batch(4)
    assert foreign_adapters.is_grain_dataset(map_ds)
    _check(map_ds, reference)
    _check(grain.MapDataset.source(samples).to_iter_dataset().batch(4), reference)
    loader = grain.DataLoader(
        data_source=samples,
        sampler=grain.samplers.IndexSampler(len(samples), shuffle=False, num_epochs=1),
        operations=[grain.transforms.Batch(4)], worker_count=0,
    )
    assert foreign_adapters.is_grain_dataset(loader)
    _check(loader, reference)


def test_steps_per_epoch_continues_the_pass(reference):
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    loader = DataLoader(TensorDataset(torch.from_numpy(X), torch.from_numpy(Y)), batch_size=4)
    seen = []

    class Record(lx.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            seen.append(batch)

    model = reference[3]
    model.fit(loader, epochs=3, steps_per_epoch=2, shuffle=False, verbose=0, callbacks=[Record()])
    with pytest.warns(UserWarning, match="torch DataLoader is expected to already be shuffled"):
        model.fit(loader, epochs=1, verbose=0)  # fit's default shuffle=True, as Keras warns
    # 3 batches per pass, 2 per epoch: 6 steps in all, the pass restarting when it ends
    assert len(seen) == 6
    adapter = foreign_adapters.IterableLoaderAdapter(loader, steps=2)
    sizes = [[len(x) for x, _, _ in adapter.epoch(e)] for e in range(3)]
    assert sizes == [[4, 4], [2, 4], [4, 2]]


def test_tf_dataset(reference):
    tf = pytest.importorskip("tensorflow")
    ds = tf.data.Dataset.from_tensor_slices((X, Y)).batch(4)
    assert foreign_adapters.is_tf_dataset(ds)
    _check(ds, reference)


def test_plain_objects_are_not_foreign():
    for value in (X, [X], iter([X]), lx.utils.timeseries_dataset_from_array(X, None, 2)):
        assert not (foreign_adapters.is_torch_dataloader(value) or foreign_adapters.is_grain_dataset(value)
                    or foreign_adapters.is_tf_dataset(value))
