"""The optimizer's state crosses `.keras` files both ways (Keras 3, JAX backend, as oracle).

Two training steps in one library, a `.keras` file, one more step in both:
the weights agree only when every slot went to the right place.
"""

from __future__ import annotations

import os
import zipfile

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras
import numpy as np
import pytest

import layerax as lx

RNG = np.random.default_rng(3)
X = RNG.standard_normal((6, 3)).astype("float32")
Y = RNG.standard_normal((6, 2)).astype("float32")

# The Keras and layerax optimizers take the same arguments.
OPTIMIZERS = {
    "Nadam": lambda lib: lib.optimizers.Nadam(0.05),
    "Adadelta": lambda lib: lib.optimizers.Adadelta(1.0, rho=0.9),
    "Ftrl": lambda lib: lib.optimizers.Ftrl(0.2, l1_regularization_strength=0.01, beta=0.1),
    "Adafactor": lambda lib: lib.optimizers.Adafactor(0.1),
    "Lamb": lambda lib: lib.optimizers.Lamb(0.05, weight_decay=0.01),
    # growth every 2 steps: the scale and step counter change during the 3 steps
    # Keras' momentum slots hold `-learning_rate` times optax's trace.
    "SGD-momentum": lambda lib: lib.optimizers.SGD(0.05, momentum=0.9),
    "RMSprop-momentum": lambda lib: lib.optimizers.RMSprop(0.01, momentum=0.8, centered=True),
    # A learning-rate schedule is no variable: Keras saves the iteration, then the slots.
    "Adam-schedule": lambda lib: lib.optimizers.Adam(
        lib.optimizers.schedules.ExponentialDecay(0.05, decay_steps=1, decay_rate=0.5)),
    "LossScaleOptimizer": lambda lib: lib.optimizers.LossScaleOptimizer(
        lib.optimizers.Adam(0.05), initial_scale=8.0, dynamic_growth_steps=2),
}


@pytest.fixture(scope="module")
def weights():
    # A Dense kernel (rank 2: Adafactor factors it) and a bias (rank 1), in two layers.
    return [RNG.uniform(-1, 1, s).astype("float32") for s in [(3, 4), (4,), (4, 2), (2,)]]


def _model(lib, optimizer, weights):
    model = lib.Sequential([lib.Input((3,)), lib.layers.Dense(4, activation="tanh"), lib.layers.Dense(2)])
    model.set_weights(weights)
    model.compile(optimizer=OPTIMIZERS[optimizer](lib), loss="mse")
    return model


def _fit(model, epochs):
    model.fit(X, Y, batch_size=len(X), epochs=epochs, shuffle=False, verbose=0)


def _assert_same(a, b):
    for x, y in zip(a.get_weights(), b.get_weights(), strict=True):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
def test_state_continues_across_libraries(optimizer, weights, tmp_path):
    # Keras trains 2 steps -> .keras -> layerax trains 1: equal to Keras' 3rd step. Then
    # layerax's .keras -> Keras: every optimizer variable equals Keras' own after 3 steps.
    theirs = _model(keras, optimizer, weights)
    _fit(theirs, 2)
    theirs.save(tmp_path / "k.keras")
    mine = lx.saving.load_model(str(tmp_path / "k.keras"))
    assert type(mine.optimizer).__name__ == optimizer.split("-")[0]
    assert int(mine.optimizer.iterations) == 2
    _fit(theirs, 1)
    _fit(mine, 1)
    _assert_same(mine, theirs)
    mine.save(str(tmp_path / "lx.keras"))
    back = keras.saving.load_model(tmp_path / "lx.keras")
    _assert_same(back, theirs)
    expected = theirs.optimizer.variables
    for got, want in zip(back.optimizer.variables, expected, strict=True):
        assert got.shape == want.shape and got.dtype == want.dtype, want.path
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=2e-5, atol=2e-6,
                                   err_msg=want.path)
    assert int(back.optimizer.iterations) == 3
    if optimizer == "LossScaleOptimizer":
        assert float(back.optimizer.dynamic_scale) == float(mine.optimizer.dynamic_scale.value) == 16.0


def test_untrained_optimizer_writes_keras_initial_state(weights, tmp_path):
    # Nothing trained yet: Keras' initial slots (Ftrl's accumulators start at 0.1).
    mine = _model(lx, "Ftrl", weights)
    mine.save(str(tmp_path / "fresh.keras"))
    assert mine.optimizer._groups == {}  # saving built nothing
    theirs = keras.saving.load_model(tmp_path / "fresh.keras")
    accumulators = [v for v in theirs.optimizer.variables if v.path.endswith("accumulator")]
    assert len(accumulators) == 4
    for v in accumulators:
        np.testing.assert_allclose(np.asarray(v), 0.1)


def test_state_that_does_not_fit_names_the_slot(weights, tmp_path):
    theirs = _model(keras, "Nadam", weights)
    _fit(theirs, 1)
    theirs.save(tmp_path / "k.keras")
    # Same number of arrays, one of the wrong shape: the file is refused, with the fix.
    import h5py, io

    with zipfile.ZipFile(tmp_path / "k.keras") as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    buffer = io.BytesIO(members["model.weights.h5"])
    with h5py.File(buffer, "a") as f:
        del f["optimizer/vars/2"]
        f["optimizer/vars/2"] = np.zeros((5, 5), "float32")
    members["model.weights.h5"] = buffer.getvalue()
    with zipfile.ZipFile(tmp_path / "bad.keras", "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    with pytest.raises(ValueError, match=r"slot 2 \(momentum of .*kernel.*\(5, 5\).*compile=False"):
        lx.saving.load_model(str(tmp_path / "bad.keras"))
