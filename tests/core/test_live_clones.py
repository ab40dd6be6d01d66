"""Models that went through a JAX transform are live models, and live models go through JAX.

A model returned by `jax.jit`, `jax.vmap`, an eager `jax.tree.map` or a `jax.grad`-based
update holds concrete arrays: the tape, `lx.function`, `fit`, saving, callbacks and
`set_weights` treat it like any other model. Weights are compared with a hand-written
forward pass and SGD step.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import layerax as lx
from layerax.core.state import is_bound_here, is_trace_local, state_is_routed
from tests.helpers import assert_close

LR = 0.1


def make_model() -> lx.Model:
    return lx.Sequential(
        [lx.layers.Input((3,)), lx.layers.Dense(4, activation="tanh"), lx.layers.Dense(2)]
    )


def reference_forward(params, x):
    k1, b1, k2, b2 = params
    return jnp.tanh(x @ k1 + b1) @ k2 + b2


def reference_loss(params, x, y):
    return jnp.mean((reference_forward(params, x) - y) ** 2)


def reference_sgd(params, x, y):
    grads = jax.grad(reference_loss)(params, x, y)
    return [p - LR * g for p, g in zip(params, grads)]


def model_loss(model, x, y):
    return jnp.mean((model(x) - y) ** 2)


def params_of(model):
    return [jnp.asarray(w) for w in model.get_weights()]


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(6, 3)).astype(np.float32)
    y = rng.normal(size=(6, 2)).astype(np.float32)
    return x, y


@jax.jit
def jitted_sgd_step(model, x, y):
    grads = jax.grad(model_loss)(model, x, y)
    return jax.tree.map(lambda p, g: p - LR * g, model, grads)


def eager_sgd_step(model, x, y):
    grads = jax.grad(model_loss)(model, x, y)
    return jax.tree.map(lambda p, g: p - LR * g, model, grads)


def vmapped_sgd_step(model, x, y):
    """Per-example gradients averaged over the mapped axis: the model leaves stay unbatched."""

    def per_example(m, xi, yi):
        grads = jax.grad(model_loss)(m, xi[None], yi[None])
        grads = jax.lax.pmean(grads, "batch")
        return jax.tree.map(lambda p, g: p - LR * g, m, grads)

    return jax.vmap(per_example, in_axes=(None, 0, 0), out_axes=None, axis_name="batch")(
        model, jnp.asarray(x), jnp.asarray(y)
    )


# Each way of producing a model through a JAX transform: (clone, whether it took an SGD step).
TRANSFORMS = {
    "jit_identity": (lambda m, x, y: jax.jit(lambda m: m)(m), False),
    "tree_map": (lambda m, x, y: jax.tree.map(lambda p: p * 1.0, m), False),
    "jit_sgd_step": (jitted_sgd_step, True),
    "eager_grad_update": (eager_sgd_step, True),
    "vmap_over_data": (vmapped_sgd_step, True),
}


@pytest.fixture(params=sorted(TRANSFORMS))
def clone_and_params(request, data):
    """(the original, the transformed model, the reference parameters of the latter)."""
    x, y = data
    model = make_model()
    params = params_of(model)
    transform, steps = TRANSFORMS[request.param]
    clone = transform(model, x, y)
    expected = reference_sgd(params, x, y) if steps else params
    assert_close(params_of(clone), expected, rtol=1e-5, atol=1e-6)
    return model, clone, expected


def test_clone_variables_are_live(clone_and_params):
    model, clone, _ = clone_and_params
    assert [v.path for v in clone.variables] == [v.path for v in model.variables]
    assert not any(is_trace_local(v) for v in clone.variables)
    assert not any(v is w for v, w in zip(clone.variables, model.variables))


def test_tape_gradients_and_optimizer_step_on_clone(clone_and_params, data):
    model, clone, params = clone_and_params
    x, y = data
    before = params_of(model)
    with lx.GradientTape() as tape:
        loss = model_loss(clone, jnp.asarray(x), y)
    grads = tape.gradient(loss, clone.trainable_variables)
    assert_close(loss, reference_loss(params, x, y))
    assert_close(grads, jax.grad(reference_loss)(params, x, y), rtol=1e-5, atol=1e-6)
    lx.optimizers.SGD(LR).apply_gradients(zip(grads, clone.trainable_variables))
    assert_close(params_of(clone), reference_sgd(params, x, y), rtol=1e-5, atol=1e-6)
    assert_close(params_of(model), before)  # the original is independent


def test_lx_function_captures_clone_state(clone_and_params, data):
    _, clone, params = clone_and_params
    x, y = data
    forward = lx.function(lambda x: clone(x))
    assert_close(forward(x), reference_forward(params, x), rtol=1e-5, atol=1e-6)
    _, read = forward.state_variables(x)
    assert {id(v) for v in read} == {id(v) for v in clone.trainable_variables}
    # The weights are inputs of the compiled function, not constants folded into it.
    new = [np.asarray(p) * 0.5 for p in params]
    clone.set_weights(new)
    traces = forward.trace_count
    assert_close(forward(x), reference_forward(new, x), rtol=1e-5, atol=1e-6)
    assert forward.trace_count == traces  # new values, same compiled function


def test_lx_function_training_step_on_clone(clone_and_params, data):
    _, clone, params = clone_and_params
    x, y = data
    optimizer = lx.optimizers.SGD(LR)

    @lx.function
    def train_step(x, y):
        with lx.GradientTape() as tape:
            loss = model_loss(clone, x, y)
        grads = tape.gradient(loss, clone.trainable_variables)
        optimizer.apply_gradients(zip(grads, clone.trainable_variables))
        return loss

    expected = params
    for _ in range(2):
        loss = train_step(x, y)
        assert_close(loss, reference_loss(expected, x, y), rtol=1e-5, atol=1e-6)
        expected = reference_sgd(expected, x, y)
    assert_close(params_of(clone), expected, rtol=1e-5, atol=1e-6)


class _WeightsAtBatchEnd(lx.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.seen = []

    def on_train_batch_end(self, batch, logs=None):
        self.seen.append(params_of(self.model))


def test_fit_evaluate_predict_and_callbacks_on_clone(clone_and_params, data):
    model, clone, params = clone_and_params
    x, y = data
    before = params_of(model)
    clone.compile(optimizer=lx.optimizers.SGD(LR), loss="mse")
    assert_close(clone.evaluate(x, y, batch_size=6, verbose=0), reference_loss(params, x, y))
    assert_close(clone.predict(x, batch_size=6, verbose=0), reference_forward(params, x))
    recorder = _WeightsAtBatchEnd()
    history = clone.fit(
        x, y, batch_size=3, epochs=1, shuffle=False, verbose=0, callbacks=[recorder]
    )
    step1 = reference_sgd(params, x[:3], y[:3])
    step2 = reference_sgd(step1, x[3:], y[3:])
    assert recorder.model is clone
    assert_close(recorder.seen, [step1, step2], rtol=1e-5, atol=1e-6)
    assert_close(params_of(clone), step2, rtol=1e-5, atol=1e-6)
    expected_loss = (reference_loss(params, x[:3], y[:3]) + reference_loss(step1, x[3:], y[3:])) / 2
    assert_close(history.history["loss"][0], expected_loss, rtol=1e-5)
    assert_close(params_of(model), before)


def test_set_get_weights_save_and_load_clone(clone_and_params, data, tmp_path):
    model, clone, params = clone_and_params
    x, _ = data
    assert_close(clone.get_weights(), params)
    new = [np.asarray(p) + 1.0 for p in params]
    clone.set_weights(new)
    assert_close(clone(x), reference_forward(new, x), rtol=1e-5, atol=1e-6)
    assert not np.allclose(model.get_weights()[0], new[0])
    path = str(tmp_path / "clone.layerax")
    clone.save(path)
    loaded = lx.models.load_model(path)
    assert_close(loaded.get_weights(), new)
    assert_close(loaded(x), reference_forward(new, x), rtol=1e-5, atol=1e-6)
    weights_path = str(tmp_path / "clone.weights.npz")
    clone.save_weights(weights_path)
    other = jax.jit(lambda m: m)(make_model())
    other.load_weights(weights_path)
    assert_close(other.get_weights(), new)


def test_clone_of_compiled_model_trains_itself(data):
    x, y = data
    model = make_model()
    model.compile(optimizer=lx.optimizers.SGD(LR), loss="mse")
    model.fit(x, y, batch_size=6, epochs=1, shuffle=False, verbose=0)
    trained = params_of(model)
    clone = jax.jit(lambda m: m)(model)
    clone.fit(x, y, batch_size=6, epochs=1, shuffle=False, verbose=0)
    assert_close(params_of(clone), reference_sgd(trained, x, y), rtol=1e-5, atol=1e-6)
    assert_close(params_of(model), trained)  # fit on the clone did not train the original
    model.fit(x, y, batch_size=6, epochs=1, shuffle=False, verbose=0)
    assert_close(params_of(model), reference_sgd(trained, x, y), rtol=1e-5, atol=1e-6)


def test_readme_jit_loop_then_fit_then_jit_again(data):
    x, y = data
    model = make_model()
    expected = params_of(model)
    for _ in range(3):
        model = jitted_sgd_step(model, x, y)
        expected = reference_sgd(expected, x, y)
    model.compile(optimizer=lx.optimizers.SGD(LR), loss="mse")
    model.fit(x, y, batch_size=6, epochs=2, shuffle=False, verbose=0)
    expected = reference_sgd(reference_sgd(expected, x, y), x, y)
    assert_close(params_of(model), expected, rtol=1e-5, atol=1e-6)
    # ... and back to raw JAX: the fitted model goes through jax.jit with the same results.
    jitted = jax.jit(lambda m, x: m(x))(model, x)
    assert_close(jitted, model(x), rtol=1e-6, atol=1e-6)
    assert_close(jitted, reference_forward(expected, x), rtol=1e-5, atol=1e-6)
    model = jitted_sgd_step(model, x, y)
    assert_close(params_of(model), reference_sgd(expected, x, y), rtol=1e-5, atol=1e-6)


def test_model_after_lx_function_step_goes_through_jit(data):
    x, y = data
    model = make_model()
    optimizer = lx.optimizers.SGD(LR)

    @lx.function
    def train_step(x, y):
        with lx.GradientTape() as tape:
            loss = model_loss(model, x, y)
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    expected = reference_sgd(params_of(model), x, y)
    train_step(x, y)
    jitted = jax.jit(lambda m, x: m(x))(model, x)
    assert_close(jitted, reference_forward(expected, x), rtol=1e-5, atol=1e-6)
    stepped = jitted_sgd_step(model, x, y)
    assert_close(params_of(stepped), reference_sgd(expected, x, y), rtol=1e-5, atol=1e-6)
    # The step keeps working on the original after its buffers went through jax.jit.
    train_step(x, y)
    assert_close(params_of(model), reference_sgd(expected, x, y), rtol=1e-5, atol=1e-6)


def test_live_clone_refuses_to_keep_a_tracer(data):
    """A clone holding concrete arrays is guarded like any live variable."""
    layer = lx.layers.Dense(2)
    layer(jnp.ones((1, 3)))
    clone = jax.jit(lambda l: l)(layer)
    with pytest.raises(RuntimeError, match="assigned a traced value"):
        jax.jit(lambda b: clone.bias.assign(b))(jnp.ones(2))
    assert_close(clone.bias.value, layer.bias.value)


def test_trace_local_clones_may_be_mutated_and_returned():
    layer = lx.layers.Layer()
    layer.total = lx.Variable(jnp.zeros(()), trainable=False)
    seen = []

    def add(l, x):
        seen.append(is_trace_local(l.total))
        l.total.assign_add(x)
        return l

    out = jax.jit(add)(layer, 2.0)
    assert seen == [True] and not is_trace_local(out.total)
    assert float(out.total.value) == 2.0 and float(layer.total.value) == 0.0
    # Unbatched leaves enter jax.vmap as concrete arrays; the clone is still trace-local.
    outs = jax.vmap(lambda l, x: add(l, x).total.value, in_axes=(None, 0))(layer, jnp.arange(3.0))
    assert seen[-1] is True
    assert_close(outs, np.arange(3.0))


class _Probe(lx.layers.Layer):
    """Records the state predicates as its call sees them (in `seen`, a plain list)."""

    def __init__(self, seen):
        super().__init__()
        self.inner = lx.layers.Dense(2)
        self.inner.build((None, 3))
        object.__setattr__(self, "_seen", seen)  # the list itself, not a tracked copy

    def call(self, x):
        self._seen.append((state_is_routed(), is_bound_here(self.inner.kernel)))
        return self.inner(x)


def test_state_predicates():
    x = jnp.ones((1, 3))
    seen = []
    probe = _Probe(seen)
    probe(x)
    with lx.GradientTape():
        assert state_is_routed()
        probe(x)
    probe.stateless_call([v.value for v in probe.trainable_variables], [], x)
    lx.function(lambda x: probe(x))(x)
    # Eager; under a tape (routed, nothing bound); stateless_call binds; lx.function binds
    # once it knows the variable (its first, discovering trace adopts it on first read).
    assert seen[:3] == [(False, False), (True, False), (True, True)]
    assert all(routed for routed, _ in seen[3:]) and seen[-1] == (True, True)
    assert not state_is_routed() and not is_bound_here(probe.inner.kernel)


def test_clone_is_placed_by_a_distribution_and_fits_under_it(data):
    x, y = data
    model = make_model()
    clone = jitted_sgd_step(model, x, y)
    expected = reference_sgd(reference_sgd(params_of(model), x, y), x, y)
    try:
        with lx.distribution.DataParallel(devices=jax.devices()[:1]).scope():
            clone.compile(optimizer=lx.optimizers.SGD(LR), loss="mse")
            clone.fit(x, y, batch_size=6, epochs=1, shuffle=False, verbose=0)
    finally:
        lx.distribution.set_distribution(None)
    for var in clone.variables:
        assert isinstance(var.value.sharding, jax.sharding.NamedSharding), var.path
        assert var._sharding == var.value.sharding
    assert_close(params_of(clone), expected, rtol=1e-5, atol=1e-6)
