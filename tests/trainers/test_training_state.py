"""compile/fit keep their bookkeeping outside the model's pytree; fit's resume protocol."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import layerax as lx
from layerax.core.context import bump_structure_version
from tests.helpers import assert_close

RNG = np.random.default_rng(0)
X = RNG.normal(size=(24, 3)).astype("float32")
Y = RNG.normal(size=(24, 2)).astype("float32")


class TwoDense(lx.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.hidden = lx.layers.Dense(4, activation="tanh")
        self.out = lx.layers.Dense(2)

    def call(self, x):
        return self.out(self.hidden(x))


def sequential():
    hidden = lx.layers.Dense(4, activation="tanh")
    return lx.Sequential([lx.Input((3,)), hidden, lx.layers.Dense(2)])


def functional():
    inputs = lx.Input((3,))
    return lx.Model(inputs, lx.layers.Dense(2)(lx.layers.Dense(4, activation="tanh")(inputs)))


def subclassed():
    model = TwoDense()
    model(X[:1])
    return model


def numpy_forward(model, x):
    """The two Dense layers (tanh, then linear) in numpy, from the model's weights."""
    k1, b1, k2, b2 = model.get_weights()
    return np.tanh(np.asarray(x) @ k1 + b1) @ k2 + b2


def fresh_structure(model):
    """The model's tree structure described anew (not a cached treedef)."""
    bump_structure_version()
    return jax.tree_util.tree_structure(model)


class StopAfterTwoBatches(lx.callbacks.Callback):
    """Stops fit the Keras way and reads the optimizer through the model."""

    def __init__(self):
        super().__init__()
        self.learning_rates = []

    def on_train_batch_end(self, batch, logs=None):
        self.learning_rates.append(float(self.model.optimizer.learning_rate))
        if batch == 1:
            self.model.stop_training = True


@pytest.mark.parametrize("make", [sequential, functional, subclassed])
def test_training_changes_neither_the_tree_structure_nor_a_user_jit_cache(make):
    model = make()
    forward = jax.jit(lambda m, x: m(x))
    forward(model, X)
    forward(model, jnp.asarray(X))  # numpy and jax inputs share the cache entry
    structure = jax.tree_util.tree_structure(model)
    cache_size = forward._cache_size()
    n_leaves = len(jax.tree_util.tree_leaves(model))

    def check(stage):
        assert jax.tree_util.tree_structure(model) == structure, stage
        assert fresh_structure(model) == structure, stage
        assert len(jax.tree_util.tree_leaves(model)) == n_leaves, stage
        out = forward(model, X)
        assert forward._cache_size() == cache_size, stage
        # The jitted call sees the trained weights (leaves), without retracing.
        assert_close(out, numpy_forward(model, X), rtol=1e-5, atol=1e-6)

    model.compile(optimizer=lx.optimizers.SGD(0.1), loss="mse", metrics=["mae"])
    check("compile")
    before = model.get_weights()
    history = model.fit(X, Y, batch_size=8, epochs=2, verbose=0)
    assert not np.allclose(before[0], model.get_weights()[0])
    assert model.history is history and len(history.history["loss"]) == 2
    check("fit")
    model.evaluate(X, Y, batch_size=8, verbose=0)
    check("evaluate")
    model.predict(X, batch_size=8, verbose=0)
    check("predict")
    stopper = StopAfterTwoBatches()
    model.fit(X, Y, batch_size=8, epochs=3, verbose=0, callbacks=[stopper])
    assert model.stop_training and stopper.learning_rates == pytest.approx([0.1, 0.1])
    assert int(model.optimizer.iterations.value) == 3 * 2 + 2
    check("second fit, stopped by a callback")
    model.train_on_batch(X[:8], Y[:8])
    model.test_on_batch(X[:8], Y[:8])
    model.predict_on_batch(X[:8])
    check("on-batch methods")
    model.compile(optimizer="adam", loss="mae", steps_per_execution=2)
    model.fit(X, Y, batch_size=8, epochs=1, verbose=0)
    check("second compile and fit with steps_per_execution")


def test_predict_before_compile_keeps_the_structure():
    model = sequential()
    structure = fresh_structure(model)
    out = model.predict(X, batch_size=8, verbose=0)
    assert_close(out, numpy_forward(model, X), rtol=1e-5, atol=1e-6)
    assert fresh_structure(model) == structure
    assert not model.compiled and model.optimizer is None


def test_keras_attributes_read_and_write_the_training_state():
    model = sequential()
    assert (model.optimizer, model.loss, model.history, model.compiled) == (None, None, None, False)
    assert (model.run_eagerly, model.steps_per_execution, model.stop_training) == (False, 1, False)
    optimizer = lx.optimizers.Adam(0.01)
    model.compile(optimizer=optimizer, loss="mse", steps_per_execution=3, jit_compile=False)
    assert model.optimizer is optimizer and model.loss == "mse" and model.compiled
    assert model.steps_per_execution == 3 and model.jit_compile is False and model.run_eagerly
    model.steps_per_execution = 2
    model.run_eagerly = False
    model.stop_training = True
    assert model.steps_per_execution == 2 and not model.run_eagerly and model.stop_training
    state = model._lx_state()
    assert (state.steps_per_execution, state.run_eagerly, state.stop_training) == (2, False, True)
    assert "optimizer" not in model.__dict__ and "stop_training" not in model.__dict__
    with pytest.raises(ValueError, match=">= 1. Received: steps_per_execution=0"):
        model.steps_per_execution = 0
    # fit resets stop_training and runs eagerly-compiled steps alike.
    history = model.fit(X, Y, batch_size=8, epochs=1, verbose=0)
    assert model.history is history and not model.stop_training


def test_setting_a_training_attribute_is_no_structure_change():
    from layerax.core.context import CTX

    model = sequential()
    model.compile(optimizer="sgd", loss="mse")
    version = CTX.structure_version
    model.stop_training = True
    model.history = None
    model.optimizer = lx.optimizers.SGD(0.5)
    assert CTX.structure_version == version


def test_a_pytree_clone_takes_its_own_copy_of_the_training_state():
    model = sequential()
    model.compile(optimizer=lx.optimizers.SGD(0.1), loss="mse")
    model.fit(X, Y, batch_size=8, epochs=1, verbose=0)
    clone = jax.tree.map(lambda v: v, model)
    assert clone.compiled and clone.optimizer is model.optimizer and clone.loss == "mse"
    assert clone._lx_state() is not model._lx_state()
    assert clone._lx_state().functions == {}  # the original's steps run the original
    clone.stop_training = True
    clone.compile(optimizer="adam", loss="mae")
    assert not model.stop_training and model.loss == "mse"
    assert isinstance(model.optimizer, lx.optimizers.SGD)
    assert isinstance(clone.optimizer, lx.optimizers.Adam)


# ---------------------------------------------------------------- resuming
class ResumeAt(lx.callbacks.Callback):
    def __init__(self, position):
        super().__init__()
        self.position = position
        self.seeds = []

    def on_train_begin(self, logs=None):
        self.seeds.append(self.params["shuffle_seed"])

    def resume_position(self):
        return self.position

    def on_epoch_end(self, epoch, logs=None):
        self.seeds.append(self.params["shuffle_seed"])


def test_resume_position_starts_fit_at_that_epoch_and_step():
    a, b = sequential(), sequential()
    b.set_weights(a.get_weights())
    for model in (a, b):
        model.compile(optimizer=lx.optimizers.SGD(0.1), loss="mse")
    callback = ResumeAt(lx.callbacks.ResumePosition(epoch=2, step=1))
    history = a.fit(X, Y, batch_size=8, epochs=3, shuffle=False, verbose=0, callbacks=[callback])
    assert history.epoch == [2]
    for start in (8, 16):  # epoch 2 without its first batch
        b.train_on_batch(X[start : start + 8], Y[start : start + 8])
    assert_close(a.get_weights(), b.get_weights(), rtol=1e-6, atol=1e-7)
    assert int(a.optimizer.iterations.value) == 2


def test_resume_position_shuffle_seed_reproduces_the_batch_order():
    model = sequential()
    initial = model.get_weights()
    model.compile(optimizer=lx.optimizers.SGD(0.1), loss="mse")
    first = ResumeAt(None)
    model.fit(X, Y, batch_size=8, epochs=2, verbose=0, callbacks=[first])
    seed = first.seeds[0]
    assert isinstance(seed, int) and first.seeds == [seed] * 3
    trained = model.get_weights()

    model.set_weights(initial)
    model.compile(optimizer=lx.optimizers.SGD(0.1), loss="mse")
    resumed = ResumeAt(lx.callbacks.ResumePosition(epoch=0, shuffle_seed=seed))
    model.fit(X, Y, batch_size=8, epochs=2, verbose=0, callbacks=[resumed])
    assert_close(model.get_weights(), trained, rtol=1e-6, atol=1e-7)
    # The callbacks see the seed the run shuffles with: the resumed one's from then on.
    assert resumed.seeds[0] != seed and resumed.seeds[1:] == [seed, seed]

    model.set_weights(initial)
    model.compile(optimizer=lx.optimizers.SGD(0.1), loss="mse")
    model.fit(X, Y, batch_size=8, epochs=2, verbose=0)  # another seed: another order
    assert not np.allclose(model.get_weights()[0], trained[0])


def test_resume_position_errors():
    model = sequential()
    model.compile(optimizer="sgd", loss="mse")
    position = lx.callbacks.ResumePosition
    two = [ResumeAt(position(epoch=1)), ResumeAt(position(epoch=2))]
    with pytest.raises(ValueError, match="ask fit to resume: ResumeAt .* and ResumeAt "):
        model.fit(X, Y, epochs=3, verbose=0, callbacks=two)
    message = r"ResumeAt.resume_position\(\) must return an lx.callbacks.ResumePosition or None"
    with pytest.raises(TypeError, match=message + r". Received: \{'epoch': 1\}"):
        model.fit(X, Y, epochs=3, verbose=0, callbacks=[ResumeAt({"epoch": 1})])
    with pytest.raises(ValueError, match="`epoch` to be an integer >= 0. Received: epoch=-1"):
        lx.callbacks.ResumePosition(epoch=-1)
    with pytest.raises(ValueError, match="`step` to be an integer >= 0. Received: step=1.5"):
        lx.callbacks.ResumePosition(epoch=0, step=1.5)
    with pytest.raises(ValueError, match="integer >= 0 or None. Received: shuffle_seed='7'"):
        lx.callbacks.ResumePosition(epoch=0, shuffle_seed="7")


def test_a_nested_callback_list_passes_the_position_on():
    model = sequential()
    model.compile(optimizer="sgd", loss="mse")
    inner = lx.callbacks.CallbackList([ResumeAt(lx.callbacks.ResumePosition(epoch=1))])
    history = model.fit(X, Y, epochs=2, verbose=0, callbacks=[inner])
    assert history.epoch == [1]


def test_a_deep_copy_trains_itself_only():
    import copy

    model = sequential()
    model.compile(optimizer=lx.optimizers.SGD(0.1), loss="mse")
    model.fit(X, Y, batch_size=8, epochs=1, verbose=0)
    weights = model.get_weights()
    duplicate = copy.deepcopy(model)
    assert duplicate.compiled and duplicate.optimizer is not model.optimizer
    duplicate.fit(X, Y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    assert_close(model.get_weights(), weights, rtol=0, atol=0)
    # The copy went on from the same weights and optimizer state as the original would.
    model.fit(X, Y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    assert_close(duplicate.get_weights(), model.get_weights(), rtol=1e-6, atol=1e-7)
    assert int(duplicate.optimizer.iterations.value) == int(model.optimizer.iterations.value) == 6
