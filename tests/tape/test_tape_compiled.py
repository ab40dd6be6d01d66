"""Compiled tape steps: same computation as jax.value_and_grad, same weights as optax loops."""

from __future__ import annotations

import collections

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import layerax as lx
from layerax.core.state import run_with_state
from tests.helpers import assert_close

SIZES = (6, 8, 3)


class MLP(lx.Model):
    def __init__(self) -> None:
        super().__init__()
        self.hidden = lx.layers.Dense(SIZES[1], activation="relu")
        self.out = lx.layers.Dense(SIZES[2])

    def call(self, x):
        return self.out(self.hidden(x))


def make_mlp() -> MLP:
    model = MLP()
    model(jnp.zeros((1, SIZES[0])))
    return model


def xent(logits, labels):
    return optax.softmax_cross_entropy_with_integer_labels(logits, labels).mean()


def forward(params, x):
    k1, b1, k2, b2 = params
    return jax.nn.relu(x @ k1 + b1) @ k2 + b2


def batches(n, batch=5):
    rng = np.random.default_rng(0)
    return [
        (jnp.asarray(rng.normal(size=(batch, SIZES[0])), jnp.float32),
         jnp.asarray(rng.integers(0, SIZES[2], size=(batch,)), jnp.int32))
        for _ in range(n)
    ]


# ----------------------------------------------------------- jaxpr / HLO
def test_mlp_step_jaxpr_is_identical_to_value_and_grad():
    model = make_mlp()
    variables = model.trainable_variables
    values = [v.value for v in variables]
    (x, y), = batches(1)

    def tape_step(x, y):
        with lx.GradientTape() as tape:
            loss = xent(model(x, training=True), y)
        return loss, tape.gradient(loss, model.trainable_variables)

    def reference_step(x, y):
        def loss_fn(vals):
            logits, _ = model.stateless_call(vals, [], x, training=True)
            return xent(logits, y)

        return jax.value_and_grad(loss_fn)([v.value for v in variables])

    # What lx.function traces: the body run inside the pure bridge.
    def traced(step):
        return jax.make_jaxpr(lambda v, x, y: run_with_state(variables, v, step, x, y)[0])

    assert str(traced(tape_step)(values, x, y)) == str(traced(reference_step)(values, x, y))


def test_stateless_tape_in_raw_jit_jaxpr_is_identical_to_value_and_grad():
    model = make_mlp()
    values = [v.value for v in model.trainable_variables]
    (x, y), = batches(1)

    def tape_step(vals, x, y):
        with lx.GradientTape() as tape:
            tape.watch(vals)
            logits, _ = model.stateless_call(vals, [], x, training=True)
            loss = xent(logits, y)
        return loss, tape.gradient(loss, vals)

    def reference_step(vals, x, y):
        def loss_fn(vals):
            logits, _ = model.stateless_call(vals, [], x, training=True)
            return xent(logits, y)

        return jax.value_and_grad(loss_fn)(vals)

    assert str(jax.make_jaxpr(tape_step)(values, x, y)) == str(
        jax.make_jaxpr(reference_step)(values, x, y)
    )


def _hlo_ops(compiled_text: str) -> collections.Counter:
    ops = collections.Counter()
    for line in compiled_text.splitlines():
        line = line.strip()
        if " = " not in line or line.startswith(("HloModule", "ENTRY", "ROOT %tuple")):
            continue
        rhs = line.split(" = ", 1)[1]
        # "f32[8,3]{1,0} dot(...)": the op name follows the result type.
        parts = rhs.split(" ")
        for part in parts[1:]:
            if "(" in part:
                ops[part.split("(")[0]] += 1
                break
    return ops


def test_train_step_compiles_to_the_same_hlo_as_value_and_grad():
    model = make_mlp()
    opt = lx.optimizers.Adam(1e-2)
    opt.build(model.trainable_variables)
    state = model.trainable_variables + opt.variables
    (x, y), = batches(1)

    def tape_step(x, y):
        with lx.GradientTape() as tape:
            loss = xent(model(x, training=True), y)
        grads = tape.gradient(loss, model.trainable_variables)
        opt.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    def reference_step(x, y):
        variables = model.trainable_variables

        def loss_fn(vals):
            logits, _ = model.stateless_call(vals, [], x, training=True)
            return xent(logits, y)

        loss, grads = jax.value_and_grad(loss_fn)([v.value for v in variables])
        opt.apply_gradients(zip(grads, variables))
        return loss

    def compiled_ops(step):
        fn = jax.jit(lambda vals, x, y: run_with_state(state, vals, step, x, y))
        return _hlo_ops(fn.lower([v.value for v in state], x, y).compile().as_text())

    tape_ops, ref_ops = compiled_ops(tape_step), compiled_ops(reference_step)
    assert sum(tape_ops.values()) > 20
    assert tape_ops == ref_ops


# ------------------------------------------------- weights after N steps
_REFERENCE_CACHE: dict = {}


def _reference_weights(initial, data, tx, key=None):
    """Weights after a hand-written jax.value_and_grad + optax loop (cached by `key`)."""
    if key is not None and key in _REFERENCE_CACHE:
        cached_initial, result = _REFERENCE_CACHE[key]
        assert_close(initial, cached_initial, rtol=0, atol=0)
        return result
    params, opt_state = list(initial), tx.init(list(initial))

    @jax.jit
    def step(params, opt_state, x, y):
        loss, grads = jax.value_and_grad(lambda p: xent(forward(p, x), y))(params)
        updates, opt_state = tx.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, loss

    losses = []
    for x, y in data:
        params, opt_state, loss = step(params, opt_state, x, y)
        losses.append(float(loss))
    if key is not None:
        _REFERENCE_CACHE[key] = (list(initial), (params, losses))
    return params, losses


@pytest.mark.parametrize("compiled", [True, False], ids=["lx_function", "eager"])
def test_weights_after_steps_match_value_and_grad_optax_loop(compiled):
    model = make_mlp()
    initial = [jnp.array(v.value) for v in model.trainable_variables]
    opt = lx.optimizers.Optimizer(optax.adam(1e-2))
    data = batches(4)

    def train_step(x, y):
        with lx.GradientTape() as tape:
            predictions = model(x, training=True)
            loss = xent(predictions, y)
        gradients = tape.gradient(loss, model.trainable_variables)
        opt.apply_gradients(zip(gradients, model.trainable_variables))
        return loss

    step = lx.function(train_step) if compiled else train_step
    losses = [float(step(x, y)) for x, y in data]
    # Every test starts from the same seed, so the reference run is shared.
    ref_params, ref_losses = _reference_weights(initial, data, optax.adam(1e-2), key="adam")
    assert losses == pytest.approx(ref_losses, rel=1e-5)
    assert_close([v.value for v in model.trainable_variables], ref_params, rtol=1e-5, atol=1e-6)
    if compiled:
        assert step.trace_count <= 2  # discovery trace + compiled trace, no retracing


def test_raw_jit_stateless_tape_step_matches_optax_loop():
    model = make_mlp()
    initial = [jnp.array(v.value) for v in model.trainable_variables]
    opt = lx.optimizers.Optimizer(optax.adam(1e-2))
    opt.build(model.trainable_variables)
    data = batches(4)

    @jax.jit
    def step(train_vals, opt_vals, x, y):
        with lx.GradientTape() as tape:
            tape.watch(train_vals)  # no rebinding: the arrays are recognised when used
            logits, _ = model.stateless_call(train_vals, [], x, training=True)
            loss = xent(logits, y)
        grads = tape.gradient(loss, train_vals)
        new_train, new_opt = opt.stateless_apply(opt_vals, grads, train_vals)
        return new_train, new_opt, loss

    train_vals = [v.value for v in model.trainable_variables]
    opt_vals = [v.value for v in opt.variables]
    for x, y in data:
        train_vals, opt_vals, _ = step(train_vals, opt_vals, x, y)
    ref_params, _ = _reference_weights(initial, data, optax.adam(1e-2), key="adam")
    assert_close(train_vals, ref_params, rtol=1e-5, atol=1e-6)


def test_optimizer_minimize_with_callable_and_with_tape():
    w = lx.Variable(jnp.array([1.0, -2.0]))
    opt = lx.optimizers.Optimizer(optax.sgd(0.1))
    opt.minimize(lambda: jnp.sum(w**2), [w])
    assert_close(w.value, jnp.array([0.8, -1.6]))
    with lx.GradientTape() as tape:
        loss = jnp.sum(w**2)
    opt.minimize(loss, lambda: [w], tape=tape)
    assert_close(w.value, jnp.array([0.64, -1.28]))
    with pytest.raises(ValueError, match="`tape` is required"):
        opt.minimize(jnp.sum(w**2), [w])

    @lx.function
    def compiled_minimize():
        return opt.minimize(lambda: jnp.sum(w**2), [w])

    compiled_minimize()
    assert_close(w.value, jnp.array([0.512, -1.024]))
    assert int(opt.iterations.value) == 3
