"""TensorBoard: event files written with Keras' tags, histograms, batch logging, profiling,
and the install hint when tensorboardX is missing."""

from __future__ import annotations

import os
import struct
import sys

import jax.numpy as jnp
import pytest

import layerax as lx
from tests.callbacks.fakes import FakeModel, run_fit


def read_events(directory):
    """(tag, step, value-or-histogram) for every summary in the event files of `directory`."""
    from tensorboardX.proto import event_pb2

    found = []
    for name in sorted(os.listdir(directory)):
        if "tfevents" not in name:
            continue
        with open(os.path.join(directory, name), "rb") as f:
            data = f.read()
        pos = 0
        while pos < len(data):
            (length,) = struct.unpack("<Q", data[pos : pos + 8])
            event = event_pb2.Event.FromString(data[pos + 12 : pos + 12 + length])
            pos += 12 + length + 4
            for value in event.summary.value:
                if value.HasField("histo"):
                    found.append((value.tag, event.step, value.histo))
                elif value.HasField("image"):
                    found.append((value.tag, event.step, value.image))
                else:
                    found.append((value.tag, event.step, value.simple_value))
    return found


class WeightedModel(FakeModel):
    def __init__(self):
        super().__init__(learning_rate=0.01)
        self.weights = [lx.Variable(jnp.arange(6.0).reshape(2, 3), name="kernel"), lx.Variable(jnp.ones(3), name="bias")]


def test_epoch_logs_go_to_train_and_validation_runs(tmp_path):
    model = WeightedModel()
    logs = [{"loss": 1.0, "accuracy": 0.5, "val_loss": 2.0, "val_accuracy": 0.25},
            {"loss": 0.5, "accuracy": 0.75, "val_loss": 1.5, "val_accuracy": 0.5}]
    run_fit(model, [lx.callbacks.TensorBoard(log_dir=tmp_path, histogram_freq=1, write_images=True)], logs)
    train = read_events(tmp_path / "train")
    scalars = {(t, s): v for t, s, v in train if isinstance(v, float)}
    assert scalars == pytest.approx({
        ("epoch_loss", 0): 1.0, ("epoch_accuracy", 0): 0.5, ("epoch_learning_rate", 0): 0.01,
        ("epoch_loss", 1): 0.5, ("epoch_accuracy", 1): 0.75, ("epoch_learning_rate", 1): 0.01,
    })
    histos = {(t, s): h for t, s, h in train if hasattr(h, "bucket")}
    assert set(histos) == {("kernel/histogram", 0), ("kernel/histogram", 1), ("bias/histogram", 0), ("bias/histogram", 1)}
    kernel = histos[("kernel/histogram", 0)]
    assert kernel.num == 6 and kernel.min == 0.0 and kernel.max == 5.0 and kernel.sum == 15.0
    images = [(t, s) for t, s, v in train if hasattr(v, "encoded_image_string")]
    assert ("kernel/image", 0) in images and ("bias/image", 1) in images
    val = {(t, s): v for t, s, v in read_events(tmp_path / "validation")}
    assert val == pytest.approx({("epoch_loss", 0): 2.0, ("epoch_accuracy", 0): 0.25,
                                 ("epoch_loss", 1): 1.5, ("epoch_accuracy", 1): 0.5})


def test_batch_logging_every_n_steps_and_steps_per_second(tmp_path):
    model = FakeModel()
    cb = lx.callbacks.TensorBoard(log_dir=tmp_path, update_freq=2, write_steps_per_second=True)
    run_fit(model, [cb], [{"loss": 1.0}, {"loss": 0.5}], steps=3,
            batch_logs=lambda e, b: (lambda: {"loss": jnp.array(e * 10.0 + b)}))
    events = read_events(tmp_path / "train")
    batch_loss = {s: v for t, s, v in events if t == "batch_loss"}
    # Global steps 1..6; every second one is written: (epoch 0, batch 1), (1, 0), (1, 2).
    assert batch_loss == {2: 1.0, 4: 10.0, 6: 12.0}
    assert sorted(s for t, s, _ in events if t == "batch_steps_per_second") == [2, 4, 6]
    sps = [v for t, s, v in events if t == "epoch_steps_per_second"]
    assert len(sps) == 2 and all(v > 0 for v in sps)


def test_evaluate_logs_against_optimizer_iterations(tmp_path):
    model = FakeModel()
    model.optimizer.iterations = 7
    cbs = lx.callbacks.CallbackList([lx.callbacks.TensorBoard(log_dir=tmp_path)], model=model)
    cbs.on_test_begin()
    cbs.on_test_end({"loss": jnp.array(0.5), "accuracy": 0.75})
    cbs.on_train_end()  # closes the writers
    events = {(t, s): v for t, s, v in read_events(tmp_path / "validation")}
    assert events == {("evaluation_loss_vs_iterations", 7): 0.5, ("evaluation_accuracy_vs_iterations", 7): 0.75}


def test_profile_batch_writes_a_jax_trace(tmp_path):
    cb = lx.callbacks.TensorBoard(log_dir=tmp_path, profile_batch=2)
    run_fit(FakeModel(), [cb], [{"loss": 1.0}], steps=3)
    profile = tmp_path / "train" / "plugins" / "profile"
    assert any(name.endswith(".xplane.pb") for _, _, files in os.walk(profile) for name in files)


def test_bad_arguments_and_missing_package(monkeypatch):
    with pytest.raises(ValueError, match="profile_batch must be"):
        lx.callbacks.TensorBoard(profile_batch=(5, 2))
    with pytest.raises(ValueError, match="update_freq must be"):
        lx.callbacks.TensorBoard(update_freq="sometimes")
    with pytest.raises(ValueError, match="does not write embedding projections"):
        lx.callbacks.TensorBoard(embeddings_freq=1)
    assert lx.callbacks.tensorboard._parse_profile_batch("3,6") == (3, 6)
    monkeypatch.setitem(sys.modules, "tensorboardX", None)
    with pytest.raises(ImportError, match=r"pip install layerax\[tensorboard\]"):
        lx.callbacks.TensorBoard()
