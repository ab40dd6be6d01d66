"""fit/evaluate/predict on a torch `DataLoader` (layerax/trainers/foreign_adapters.py);
torch is a real test dependency (CPU wheel). Oracles: see tests/trainers/loader_checks.py."""

from __future__ import annotations

import numpy as np
import pytest

import layerax as lx
from layerax.trainers import foreign_adapters
from tests.trainers.loader_checks import X, Y, check, make_reference

# torch is not in `[test]`: outside Python 3.11 pip resolves it to a multi-GB CUDA build. CI's
# lowest-jax stage (Python 3.11) installs the CPU wheel and runs this file.
pytest.importorskip("torch", reason="torch is installed by CI's Python 3.11 lowest-jax stage")


@pytest.fixture(scope="module")
def reference():
    return make_reference()


def test_torch_dataloader(reference):
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    loader = DataLoader(TensorDataset(torch.from_numpy(X), torch.from_numpy(Y)), batch_size=4, shuffle=False)
    assert foreign_adapters.is_torch_dataloader(loader)
    batch = foreign_adapters.to_numpy_batch(next(iter(loader)))
    assert isinstance(batch, tuple) and all(isinstance(b, np.ndarray) for b in batch)  # list -> tuple
    check(loader, reference, keras_too=True)
    x_only = DataLoader(TensorDataset(torch.from_numpy(X)), batch_size=3)
    model = reference[3]
    np.testing.assert_allclose(model.predict(x_only, verbose=0), model.predict(X, verbose=0), rtol=1e-6)
    # dict samples are collated to dicts of tensors
    dict_loader = DataLoader([{"a": torch.ones(2)}, {"a": torch.zeros(2)}], batch_size=2)
    assert foreign_adapters.to_numpy_batch(next(iter(dict_loader)))["a"].tolist() == [[1, 1], [0, 0]]
    with pytest.raises(ValueError, match="must not be passed separately"):
        model.fit(loader, Y, shuffle=False, verbose=0)


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


