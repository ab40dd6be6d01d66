"""`steps_per_execution` bodies (trainers/multi_step.py): the same steps whichever runs, and
the "auto" measurement's rule, against a hand-written jax.grad + optax loop."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import layerax as lx
from layerax.trainers import multi_step
from tests.helpers import assert_close

RNG = np.random.default_rng(0)
# 8 batches of 4: two groups of 4 steps per epoch (test_fit.py covers a partial last group).
X = RNG.normal(size=(32, 6, 6, 2)).astype("float32")
LABELS = RNG.integers(0, 3, size=32).astype("int32")
LR = 0.1
SPE = 4
BATCH = 4


def tiny_cnn():
    return lx.Sequential([
        lx.Input((6, 6, 2)),
        lx.layers.Conv2D(3, 3, activation="relu"),
        lx.layers.Flatten(),
        lx.layers.Dense(3),
    ])


def reference_weights(params, epochs):
    """The same training in hand-written JAX: conv (VALID, NHWC) + relu + dense, SGD."""
    tx = optax.sgd(LR)
    state = tx.init(params)

    def loss_fn(p, x, y):
        h = jax.lax.conv_general_dilated(x, p[0], (1, 1), "VALID",
                                         dimension_numbers=("NHWC", "HWIO", "NHWC"))
        h = jax.nn.relu(h + p[1]).reshape(x.shape[0], -1)
        logits = h @ p[2] + p[3]
        return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()

    grad = jax.jit(jax.grad(loss_fn))
    for _ in range(epochs):
        for i in range(0, len(X), BATCH):
            updates, state = tx.update(grad(params, X[i:i + BATCH], LABELS[i:i + BATCH]), state)
            params = optax.apply_updates(params, updates)
    return params


@pytest.fixture(scope="module")
def trained():
    """Weights after 2 epochs of fit: spe=1, and spe=4 with each body, from the same start."""
    start = tiny_cnn().get_weights()
    out = {"reference": reference_weights([jnp.asarray(w) for w in start], epochs=2)}
    for body in ["one_step", "auto", "scan", "unroll", "loop"]:
        model = tiny_cnn()
        model.set_weights(start)
        if body == "loop":  # a pytree clone that went through jax.jit trains as its original
            model = jax.jit(lambda m: m)(model)
        model.compile(optimizer=lx.optimizers.SGD(LR),
                      loss=lx.losses.SparseCategoricalCrossentropy(from_logits=True),
                      steps_per_execution=1 if body == "one_step" else SPE)
        if body not in ("one_step", "auto"):
            model.multi_step_body = body
        x, y = (jnp.asarray(X), jnp.asarray(LABELS)) if body == "scan" else (X, LABELS)
        history = model.fit(x, y, batch_size=BATCH, epochs=2, shuffle=False, verbose=0)
        out[body] = (model, history)
    return out


@pytest.mark.parametrize("body", ["one_step", "auto", "scan", "unroll", "loop"])
def test_every_body_trains_as_the_hand_written_loop(trained, body):
    model, history = trained[body]
    assert_close([v.value for v in model.trainable_variables], trained["reference"],
                 rtol=1e-5, atol=1e-6)
    assert int(model.optimizer.iterations.value) == 16
    _, one_step_history = trained["one_step"]
    assert_close(history.history["loss"], one_step_history.history["loss"], rtol=1e-5)


def test_the_body_that_ran_is_visible(trained):
    assert trained["scan"][0].multi_step_chosen["train"] == "scan"
    assert trained["unroll"][0].multi_step_chosen["train"] == "unroll"
    loop_model = trained["loop"][0]
    assert loop_model.multi_step_chosen["train"] == "loop"
    assert "train_multi" not in loop_model._lx_state().functions  # no scan was compiled
    auto = trained["auto"][0]
    chooser = auto._lx_state().functions["train_body"]
    # Four groups of 4 steps: the first ran as a loop and was timed; the scan was compiled
    # and timed in the next three only where the host's time was a large part of the step.
    assert chooser.loop_step > 0 and 0 < chooser.loop_host
    assert auto.multi_step_chosen == {"train": chooser.chosen}
    if chooser.scan_step is None:
        assert chooser.chosen == "loop"
        assert chooser.loop_host < multi_step.SCAN_WORTH_MEASURING * chooser.loop_wall
    else:
        assert chooser.chosen == ("scan" if chooser.scan_step < chooser.loop_step else "loop")


def test_evaluate_and_predict_with_each_body_match_numpy(trained):
    model = trained["auto"][0]
    kernel, bias, w, b = [np.asarray(v.value, np.float64) for v in model.trainable_variables]
    patches = np.lib.stride_tricks.sliding_window_view(X.astype(np.float64), (3, 3), axis=(1, 2))
    h = np.maximum(np.einsum("nhwcij,ijco->nhwo", patches, kernel) + bias, 0)
    expected = h.reshape(len(X), -1) @ w + b
    for body in ["scan", "unroll", "loop", "auto"]:
        model.multi_step_body = body
        assert_close(model.predict(X, batch_size=BATCH, verbose=0), expected, rtol=1e-4, atol=1e-5)
        logs = model.evaluate(X, LABELS, batch_size=BATCH, verbose=0, return_dict=True)
        logits = expected - expected.max(axis=1, keepdims=True)
        log_probs = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
        assert_close(logs["loss"], -log_probs[np.arange(len(X)), LABELS].mean(), rtol=1e-4)


class _FakeClock:
    """A clock that only the fake steps below advance: deterministic timings."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


class _Result:
    """A step's result: waiting for it advances the clock by the device's time."""

    def __init__(self, clock, device):
        self.clock, self.device = clock, device

    def block_until_ready(self):
        self.clock.now += self.device
        return self


class _FakeStep:
    """A step whose call costs `host` seconds of host time, then `device` until ready."""

    def __init__(self, clock, host, device):
        self.clock, self.host, self.device, self.calls = clock, host, device, 0

    def __call__(self, batch):
        self.calls += 1
        self.clock.now += self.host
        return _Result(self.clock, self.device)


def test_chooser_keeps_a_scan_that_is_faster_per_step():
    clock = _FakeClock()
    chooser = multi_step.BodyChooser(clock)
    # 40 us of host per call and 20 us of device: the host's time matters, the scan is measured.
    loop = _FakeStep(clock, host=40e-6, device=20e-6)
    chooser.run_loop(loop, [None] * 4)
    assert loop.calls == 4 and chooser.chosen is None and chooser.next_body() == "scan"
    assert chooser.loop_host == pytest.approx(40e-6) and chooser.loop_wall == pytest.approx(60e-6)
    assert chooser.loop_step == pytest.approx(40e-6)  # host and device overlap in a loop
    scan = _FakeStep(clock, host=50e-6, device=16 * 20e-6)  # 16 steps in one call
    chooser.run_scan(scan, None, count=16)  # the compiling call: not timed
    assert chooser.chosen is None and chooser.scan_step is None
    for _ in range(multi_step.SCAN_TIMINGS):
        assert chooser.chosen is None
        chooser.run_scan(scan, None, count=16)
    assert scan.calls == 1 + multi_step.SCAN_TIMINGS
    assert chooser.scan_step == pytest.approx((50e-6 + 16 * 20e-6) / 16)
    assert chooser.chosen == "scan" and chooser.next_body() == "scan"


def test_chooser_drops_a_scan_slower_than_the_loop():
    clock = _FakeClock()
    chooser = multi_step.BodyChooser(clock)
    chooser.run_loop(_FakeStep(clock, host=40e-6, device=100e-6), [None] * 3)
    assert chooser.chosen is None
    # A scan whose steps run 5x slower (the CNN on XLA:CPU): the loop is kept.
    slow = _FakeStep(clock, host=50e-6, device=4 * 500e-6)
    for _ in range(1 + multi_step.SCAN_TIMINGS):
        chooser.run_scan(slow, None, count=4)
    assert chooser.chosen == "loop" and chooser.scan_step > chooser.loop_step


def test_chooser_keeps_a_compute_bound_loop_without_a_scan():
    clock = _FakeClock()
    chooser = multi_step.BodyChooser(clock)
    chooser.run_loop(_FakeStep(clock, host=40e-6, device=5e-3), [None] * 3)
    assert chooser.chosen == "loop" and chooser.next_body() == "loop"
    assert chooser.loop_step == pytest.approx(5e-3)  # wall (host + device) less the host


def test_a_compute_bound_loop_is_kept_without_compiling_a_scan():
    chooser = multi_step.BodyChooser()
    step = jax.jit(lambda x: jnp.tanh(x @ x) @ x)  # milliseconds of device work per call
    batch = jnp.full((512, 512), 0.01)
    chooser.run_loop(step, [batch] * 3)
    assert chooser.loop_host < multi_step.SCAN_WORTH_MEASURING * chooser.loop_wall
    assert chooser.chosen == "loop" and chooser.next_body() == "loop"


def test_setting_is_checked_and_kept_by_compile():
    model = tiny_cnn()
    expected = r"multi_step_body.*'scan'.*Received: multi_step_body='while'"
    with pytest.raises(ValueError, match=expected):
        model.multi_step_body = "while"
    model.multi_step_body = "loop"
    model.compile(optimizer="sgd", loss="mse", steps_per_execution=2)
    assert model.multi_step_body == "loop" and model.multi_step_chosen["train"] == "loop"
    model.multi_step_body = "auto"
    assert model.multi_step_chosen == {}
