"""The transfer-learning recipe of Keras' guide: freeze a base, train a head, unfreeze, fine-tune.

A small convolutional base with BatchNormalization stands in for an
`lx.applications` model (the same layer kinds, compiled in seconds). Checked
against Keras 3 (JAX backend) where the two are directly comparable: which
weights are trainable after freezing and unfreezing. Checked against the
guide's semantics: a frozen BatchNormalization runs in inference mode during
`fit` (its moving statistics stay as they were), and a base called with
`training=False` keeps them after it is unfrozen, while its kernels train.

The last test runs examples/transfer_learning.py, the same recipe on an
`lx.applications.MobileNet` pretrained inside the script and loaded back with
`weights=path`.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

import layerax as lx
from tests.examples.conftest import numbers

SHAPE = (8, 8, 3)


def _base(lib):
    inputs = lib.Input(SHAPE)
    x = lib.layers.Conv2D(4, 3, padding="same", use_bias=False)(inputs)
    x = lib.layers.BatchNormalization(name="bn")(x)
    x = lib.layers.ReLU()(x)
    return lib.Model(inputs, x, name="base")


def _transfer_model(lib, base, training):
    inputs = lib.Input(SHAPE)
    x = base(inputs, training=False) if training is False else base(inputs)
    x = lib.layers.GlobalAveragePooling2D()(x)
    x = lib.layers.Dropout(0.2)(x)
    outputs = lib.layers.Dense(2)(x)
    return lib.Model(inputs, outputs)


def _compile(lib, model, learning_rate):
    model.compile(optimizer=lib.optimizers.Adam(learning_rate),
                  loss=lib.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    x = rng.normal(2.0, 3.0, (32, *SHAPE)).astype("float32")  # far from BN's initial stats
    y = (x.mean(axis=(1, 2, 3)) > 2.0).astype("int32")
    return x, y


def _moving_stats(base):
    bn = base.get_layer("bn")
    return np.asarray(bn.moving_mean.value).copy(), np.asarray(bn.moving_variance.value).copy()


def test_trainable_weights_match_keras_when_freezing_and_unfreezing():
    counts = {}
    for lib in (lx, keras):
        base = _base(lib)
        base.trainable = False
        model = _transfer_model(lib, base, training=False)
        frozen = (len(model.trainable_weights), len(model.non_trainable_weights))
        base.trainable = True
        unfrozen = (len(model.trainable_weights), len(model.non_trainable_weights))
        counts[lib.__name__] = (frozen, unfrozen, len(model.weights))
    assert counts["layerax"] == counts["keras"]
    # frozen: the head's kernel and bias; unfrozen: + conv kernel, gamma, beta
    assert counts["layerax"] == ((2, 5), (5, 2), 7)


def test_frozen_batchnorm_keeps_its_moving_statistics(data):
    x, y = data
    lx.utils.set_random_seed(0)
    base = _base(lx)
    base.trainable = False
    model = _transfer_model(lx, base, training=False)
    _compile(lx, model, 1e-2)
    mean0, var0 = _moving_stats(base)
    kernel0 = np.asarray(model.layers[-1].kernel.value).copy()
    model.fit(x, y, batch_size=16, epochs=2, verbose=0)
    mean1, var1 = _moving_stats(base)
    np.testing.assert_array_equal(mean1, mean0)
    np.testing.assert_array_equal(var1, var0)
    assert not np.allclose(np.asarray(model.layers[-1].kernel.value), kernel0)  # the head trained

    # Unfrozen, but called with training=False: BN still runs in inference mode; the base trains.
    base.trainable = True
    _compile(lx, model, 1e-3)
    conv0 = np.asarray(base.layers[1].kernel.value).copy()
    model.fit(x, y, batch_size=16, epochs=2, verbose=0)
    mean2, var2 = _moving_stats(base)
    np.testing.assert_array_equal(mean2, mean0)
    np.testing.assert_array_equal(var2, var0)
    assert not np.allclose(np.asarray(base.layers[1].kernel.value), conv0)


def test_unfrozen_base_called_without_training_flag_updates_statistics(data):
    """The control: with the base called plainly, one step of `fit` moves BN's statistics
    exactly as Keras does (same conv kernel, one full batch, momentum 0.99)."""
    x, y = data
    stats, kernel = {}, None
    for lib in (keras, lx):
        base = _base(lib)
        model = _transfer_model(lib, base, training=None)
        if kernel is None:
            kernel = np.asarray(base.layers[1].kernel.numpy())
        else:
            base.layers[1].kernel.assign(kernel)
        _compile(lib, model, 1e-3)
        model.fit(x, y, batch_size=32, epochs=1, shuffle=False, verbose=0)
        bn = base.get_layer("bn")
        stats[lib.__name__] = [np.asarray(v.value if lib is lx else v.numpy())
                               for v in (bn.moving_mean, bn.moving_variance)]
    assert not np.allclose(stats["layerax"][0], 0.0)
    for ours, theirs in zip(stats["layerax"], stats["keras"]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-6)


def test_transfer_learning_example(run_example):
    out = run_example("transfer_learning.py")
    (pretrained,) = numbers(r"pretraining: validation accuracy {n}", out)
    assert pretrained > 0.7  # the base learned its first task, also with BN in inference mode
    (difference,) = numbers(r"base rebuilt with weights=path: max difference of its features {n}",
                            out)
    assert difference == 0.0  # weights=path loaded the saved weights exactly
    assert "base frozen: 2 trainable weights (the head's), 135 frozen" in out
    assert "base unfrozen: 83 trainable weights" in out  # 27 kernels, 27 gammas, 27 betas, the head
    (frozen,) = numbers(r"frozen base, trained head: test accuracy {n}", out)
    (tuned,) = numbers(r"fine-tuned: test accuracy {n}", out)
    # Chance is 0.25; 512 test images put it within +-0.04 (two standard deviations).
    assert frozen > 0.33
    assert tuned > 0.45 and tuned > frozen
