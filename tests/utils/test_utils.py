"""lx.utils: to_categorical, normalize, pad_sequences (against Keras), plot_history,
PyDataset and its prefetching iterator."""

from __future__ import annotations

import os
import sys
import threading
import time

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import layerax as lx
from tests.helpers import assert_close, keras

RNG = np.random.default_rng(7)


# ------------------------------------------------------------ numerical
def test_to_categorical_matches_keras():
    k = keras()
    for labels, num_classes in (([0, 3, 1, 1], None), (np.array([[1], [0], [2]]), 4), (RNG.integers(0, 5, (2, 3)), 5)):
        ours = lx.utils.to_categorical(labels, num_classes)
        ref = k.utils.to_categorical(labels, num_classes)
        assert isinstance(ours, np.ndarray) and ours.dtype == ref.dtype and ours.shape == ref.shape
        np.testing.assert_array_equal(ours, ref)
    as_jax = lx.utils.to_categorical(jnp.array([[2], [0]]), 3)
    assert isinstance(as_jax, jax.Array) and as_jax.dtype == jnp.float32
    np.testing.assert_array_equal(np.asarray(as_jax), [[0, 0, 1], [1, 0, 0]])
    with pytest.raises(ValueError, match="labels must be in \\[0, 3\\)"):
        lx.utils.to_categorical([0, 3], num_classes=3)


def test_normalize_matches_keras_and_numpy():
    k = keras()
    x = RNG.normal(size=(4, 3))
    x[1] = 0.0
    for axis, order in ((-1, 2), (0, 2), (-1, 1), (1, 3)):
        ours = lx.utils.normalize(x, axis=axis, order=order)
        if axis != 0:  # Keras' NumPy path cannot normalize along axis 0 (`axis or -1`)
            np.testing.assert_allclose(ours, k.utils.normalize(x, axis=axis, order=order))
        norm = np.linalg.norm(x, ord=order, axis=axis, keepdims=True)
        np.testing.assert_allclose(ours, x / np.where(norm == 0, 1, norm))
    xj = jnp.asarray(x, jnp.float32)
    for order in (2, 1):
        assert_close(lx.utils.normalize(xj, order=order), np.asarray(k.utils.normalize(xj, order=order)), rtol=1e-6)
    with pytest.raises(ValueError, match="`order` must be an int >= 1"):
        lx.utils.normalize(xj, order=0)


PAD_CASES = [
    {},
    {"maxlen": 2},
    {"maxlen": 5, "padding": "post"},
    {"maxlen": 2, "truncating": "post"},
    {"maxlen": 3, "padding": "post", "truncating": "post", "value": -1},
    {"dtype": "float32", "value": 0.5},
]


@pytest.mark.parametrize("kwargs", PAD_CASES, ids=str)
def test_pad_sequences_matches_keras(kwargs):
    k = keras()
    sequences = [[1, 2, 3], [], [4], [5, 6, 7, 8]]
    ours = lx.utils.pad_sequences(sequences, **kwargs)
    ref = k.utils.pad_sequences(sequences, **kwargs)
    assert ours.dtype == ref.dtype
    np.testing.assert_array_equal(ours, ref)


def test_pad_sequences_vectors_strings_and_errors():
    k = keras()
    vectors = [np.ones((2, 3)), np.zeros((4, 3))]
    np.testing.assert_array_equal(lx.utils.pad_sequences(vectors, dtype="float32"),
                                  k.utils.pad_sequences(vectors, dtype="float32"))
    words = [["a", "bb"], ["ccc"]]
    assert lx.utils.pad_sequences(words, dtype=object, value="<pad>").tolist() == [["a", "bb"], ["<pad>", "ccc"]]
    with pytest.raises(ValueError, match="not compatible with `value`'s type"):
        lx.utils.pad_sequences(words, value="<pad>")
    with pytest.raises(ValueError, match="Padding type \"middle\" not understood"):
        lx.utils.pad_sequences([[1]], padding="middle")
    with pytest.raises(ValueError, match="Found non-iterable: 3"):
        lx.utils.pad_sequences([[1], 3])
    with pytest.raises(ValueError, match="different from expected shape"):
        lx.utils.pad_sequences([np.ones((2, 3)), np.ones((2, 2))])


# ------------------------------------------------------------- plotting
def test_plot_history_returns_a_figure_and_writes_a_png(tmp_path):
    history = lx.callbacks.History()
    history.history = {"accuracy": [0.5, 0.7, 0.8], "loss": [1.0, 0.6, 0.4], "val_loss": [1.1, 0.8, 0.7]}
    path = tmp_path / "history.png"
    fig = lx.utils.plot_history(history, filename=path)
    assert [ax.get_title() for ax in fig.axes] == ["loss", "accuracy"]
    loss_ax = fig.axes[0]
    lines = {line.get_label(): line for line in loss_ax.get_lines()}
    assert set(lines) == {"train", "validation"}
    assert lines["validation"].get_ydata().tolist() == [1.1, 0.8, 0.7]
    assert lines["train"].get_xdata().tolist() == [1, 2, 3]
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    fig = lx.utils.plot_history({"loss": [1.0, 0.5], "mae": [2.0, 1.0]}, metrics=["mae"], figsize=(3, 2))
    assert [ax.get_title() for ax in fig.axes] == ["mae"] and tuple(fig.get_size_inches()) == (3.0, 2.0)
    with pytest.raises(ValueError, match="no logged values for \\['auc'\\]"):
        lx.utils.plot_history({"loss": [1.0]}, metrics=["auc"])
    with pytest.raises(TypeError, match="expects a History"):
        lx.utils.plot_history([1.0, 2.0])


def test_plot_history_names_the_extra_when_matplotlib_is_missing(monkeypatch):
    for name in list(sys.modules):
        if name == "matplotlib" or name.startswith("matplotlib."):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"pip install layerax\[plot\]"):
        lx.utils.plot_history({"loss": [1.0]})


# ------------------------------------------------------------ PyDataset
class Batches(lx.utils.PyDataset):
    def __init__(self, n=6, delay=0.0, fail_at=None, **kwargs):
        super().__init__(**kwargs)
        self.n, self.delay, self.fail_at = n, delay, fail_at
        self.threads = set()
        self.events = []
        self.lock = threading.Lock()
        self.active = 0
        self.max_active = 0

    def __len__(self):
        return self.n

    def __getitem__(self, index):
        with self.lock:
            self.active += 1
            self.max_active = max(self.max_active, self.active)
            self.threads.add(threading.get_ident())
        time.sleep(self.delay)
        with self.lock:
            self.active -= 1
        if index == self.fail_at:
            raise KeyError(f"batch {index} is broken")
        return np.full((2,), index, "float32"), np.array([index])

    def on_epoch_begin(self):
        self.events.append("begin")

    def on_epoch_end(self):
        self.events.append("end")


def test_pydataset_defaults_and_iteration_like_keras():
    data = Batches(n=3)
    assert (data.workers, data.use_multiprocessing, data.max_queue_size) == (1, False, 10)
    assert data.num_batches == 3 and [int(y[0]) for _, y in data] == [0, 1, 2]
    assert lx.utils.Sequence is lx.utils.PyDataset

    class NoSuper(lx.utils.PyDataset):
        def __init__(self):
            pass

        def __getitem__(self, index):
            return index

    with pytest.warns(UserWarning, match="should call `super\\(\\).__init__\\(\\*\\*kwargs\\)`"):
        assert NoSuper().workers == 1
    assert NoSuper().num_batches is None


@pytest.mark.parametrize("workers", [1, 3])
def test_iterator_yields_batches_in_order_with_epoch_hooks(workers):
    data = Batches(n=7, delay=0.002, workers=workers, max_queue_size=2)
    it = lx.utils.PyDatasetIterator(data)
    for _ in range(2):
        assert [int(y[0]) for _, y in it.epoch()] == list(range(7))
    assert data.events == ["begin", "end", "begin", "end"] and it.epochs_done == 2
    if workers == 1:
        assert data.threads == {threading.get_ident()}
    else:
        assert threading.get_ident() not in data.threads and 1 < data.max_active <= 3


def test_iterator_prefetches_ahead_while_the_consumer_works():
    data = Batches(n=6, delay=0.08, workers=3, max_queue_size=3)
    start = time.perf_counter()
    seen = []
    for _, y in lx.utils.PyDatasetIterator(data).epoch():
        time.sleep(0.08)  # the "training step"
        seen.append(int(y[0]))
    elapsed = time.perf_counter() - start
    assert seen == list(range(6))
    # Serial loading would take 6 * (0.08 + 0.08) = 0.96 s; overlapped about 0.56 s.
    assert elapsed < 0.85 and data.max_active >= 2


def test_iterator_shuffles_each_epoch_and_limits_steps():
    data = Batches(n=8, workers=2)
    it = lx.utils.PyDatasetIterator(data, shuffle=True, seed=3)
    first = [int(y[0]) for _, y in it.epoch()]
    second = [int(y[0]) for _, y in it.epoch()]
    assert sorted(first) == sorted(second) == list(range(8)) and first != second
    assert len(list(it.epoch(steps=3))) == 3


def test_iterator_propagates_errors_and_closes_early():
    data = Batches(n=5, fail_at=3, workers=2)
    got = []
    with pytest.raises(KeyError, match="batch 3 is broken"):
        for _, y in lx.utils.PyDatasetIterator(data).epoch():
            got.append(int(y[0]))
    assert got == [0, 1, 2] and data.events == ["begin", "end"]
    data = Batches(n=50, workers=2, max_queue_size=4)
    gen = lx.utils.PyDatasetIterator(data).epoch()
    assert int(next(gen)[1][0]) == 0
    gen.close()  # training stopped: pending loads are cancelled, the epoch ends
    assert data.events == ["begin", "end"]


def test_endless_dataset_needs_steps_and_resumes():
    class Endless(lx.utils.PyDataset):
        def __getitem__(self, index):
            return index

    it = lx.utils.PyDatasetIterator(Endless(workers=2))
    assert list(it.epoch(steps=3)) == [0, 1, 2] and list(it.epoch(steps=2)) == [3, 4]
    with pytest.raises(ValueError, match="endless.*steps_per_epoch"):
        list(it.epoch())
    with pytest.raises(TypeError, match="expects an lx.utils.PyDataset"):
        lx.utils.PyDatasetIterator([1, 2])


def test_worker_processes():
    from tests.utils.datasets import PidDataset

    data = PidDataset(workers=1, use_multiprocessing=True)  # one process: starting one costs seconds
    batches = list(lx.utils.PyDatasetIterator(data).epoch())
    assert [int(x[0]) for x, _ in batches] == [0, 1, 2, 3]
    assert all(pid != os.getpid() for _, pid in batches)

    class Local(lx.utils.PyDataset):
        def __len__(self):
            return 1

        def __getitem__(self, index):
            return index

    with pytest.raises(ValueError, match="cannot be pickled"):
        list(lx.utils.PyDatasetIterator(Local(workers=1, use_multiprocessing=True)).epoch())


def test_doctests():
    import doctest
    import importlib
    import pkgutil

    names = [f"layerax.utils.{m.name}" for m in pkgutil.iter_modules(lx.utils.__path__)]
    for name in names:
        result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
        assert result.failed == 0 and result.attempted > 0, name


def test_plot_history_figure_renders_as_png_in_a_fresh_notebook():
    # Jupyter calls `_repr_png_` when no inline formatter is registered yet.
    fig = lx.utils.plot_history({"loss": [1.0, 0.5]})
    png = fig._repr_png_()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 1000
