"""LossScaleOptimizer and mixed_float16 training."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

import layerax as lx
from tests.helpers import keras


@pytest.fixture(autouse=True)
def _float32_policy_after_each_test():
    yield
    lx.mixed_precision.set_global_policy(None)


def _values(variables):
    return [np.array(v.value) for v in variables]


def test_a_non_finite_gradient_skips_the_step_and_halves_the_scale():
    w = lx.Variable(np.array([1.0, -2.0], "float32"))
    opt = lx.optimizers.LossScaleOptimizer(lx.optimizers.Adam(0.1), initial_scale=1024.0)
    opt.apply([jnp.array([512.0, 512.0])], [w])  # finite: builds Adam's state, one step
    assert int(opt.iterations.value) == 1 and int(opt.step_counter.value) == 1
    before = _values([w, *opt.inner_optimizer.variables])
    for bad in (np.inf, np.nan):
        opt.apply([jnp.array([bad, 1.0])], [w])
        after = _values([w, *opt.inner_optimizer.variables])
        for a, b in zip(after, before):
            np.testing.assert_array_equal(a, b)
        assert int(opt.step_counter.value) == 0
    assert float(opt.dynamic_scale.value) == 256.0
    assert int(opt.iterations.value) == 1


def test_the_scale_doubles_after_dynamic_growth_steps_finite_steps():
    w = lx.Variable(np.zeros(2, "float32"))
    opt = lx.optimizers.LossScaleOptimizer(lx.optimizers.SGD(0.1), initial_scale=4.0,
                                           dynamic_growth_steps=3)
    seen = []
    for _ in range(4):
        opt.apply([jnp.ones(2)], [w])
        seen.append((float(opt.dynamic_scale.value), int(opt.step_counter.value)))
    assert seen == [(4.0, 1), (4.0, 2), (8.0, 0), (8.0, 1)]


def test_updates_use_the_unscaled_gradients():
    grads = [np.array([0.5, -1.0], "float32"), np.array([2.0, 0.25], "float32")]
    plain_w = lx.Variable(np.ones(2, "float32"))
    plain = lx.optimizers.SGD(0.1, momentum=0.9)
    scaled_w = lx.Variable(np.ones(2, "float32"))
    scaled = lx.optimizers.LossScaleOptimizer(lx.optimizers.SGD(0.1, momentum=0.9),
                                              initial_scale=64.0, dynamic_growth_steps=1)
    for g in grads:
        scale = float(scaled.dynamic_scale.value)
        plain.apply([g], [plain_w])
        scaled.apply([g * scale], [scaled_w])
    assert float(scaled.dynamic_scale.value) == 256.0  # grew after every step
    np.testing.assert_allclose(scaled_w.numpy(), plain_w.numpy(), rtol=1e-6)


def test_matches_keras_on_a_sequence_with_overflows():
    k = keras()
    grads = [[1.0, 2.0], [np.inf, 0.0], [0.5, 0.5], [0.25, 1.0], [np.nan, 1.0], [1.0, 1.0]]
    w = lx.Variable(np.array([1.0, 1.0], "float32"))
    ours = lx.optimizers.LossScaleOptimizer(lx.optimizers.SGD(0.5, momentum=0.5),
                                            initial_scale=8.0, dynamic_growth_steps=2)
    kw = k.Variable(np.array([1.0, 1.0], "float32"))
    theirs = k.optimizers.LossScaleOptimizer(k.optimizers.SGD(0.5, momentum=0.5),
                                             initial_scale=8.0, dynamic_growth_steps=2)
    theirs.build([kw])
    # Keras' eager stateful apply leaks tracers on the JAX backend: use its pure form.
    k_params, k_state = [kw.value], [v.value for v in theirs.variables]
    k_names = [v.name for v in theirs.variables]
    for g in grads:
        g = np.asarray(g, "float32")
        ours.apply([g], [w])
        k_params, k_state = theirs.stateless_apply(k_state, [g], k_params)
        k_scale = float(k_state[k_names.index("dynamic_scale")])
        assert float(ours.dynamic_scale.value) == k_scale
        np.testing.assert_allclose(w.numpy(), np.asarray(k_params[0]), rtol=1e-6)
    assert int(ours.iterations.value) == 4


def test_compiled_step_and_stateless_apply_agree_with_eager():
    def make():
        w = lx.Variable(np.array([1.0, 3.0], "float32"))
        return w, lx.optimizers.LossScaleOptimizer(lx.optimizers.SGD(0.1), initial_scale=32.0)

    w_eager, eager = make()
    w_fn, compiled = make()

    @lx.function
    def step(x):
        with lx.GradientTape() as tape:
            loss = jnp.sum(w_fn * x)
            scaled = compiled.scale_loss(loss)
        compiled.apply(tape.gradient(scaled, [w_fn]), [w_fn])
        return loss

    inputs = [np.array([1.0, 2.0], "float32"), np.array([np.inf, 1.0], "float32"),
              np.array([-1.0, 0.5], "float32")]
    for x in inputs:
        step(x)
        eager.apply([eager.scale_loss(jnp.asarray(x))], [w_eager])
    np.testing.assert_allclose(w_fn.numpy(), w_eager.numpy(), rtol=1e-6)
    assert float(compiled.dynamic_scale.value) == float(eager.dynamic_scale.value) == 16.0

    w_pure, pure = make()
    pure.build([w_pure])
    opt_values = [v.value for v in pure.variables]
    params = [w_pure.value]
    for x in inputs:
        params, opt_values = pure.stateless_apply(opt_values, [jnp.asarray(x) * opt_values[1]],
                                                  params)
    np.testing.assert_allclose(np.asarray(params[0]), w_eager.numpy(), rtol=1e-6)
    np.testing.assert_array_equal(w_pure.numpy(), [1.0, 3.0])  # stateless: untouched


def test_loss_scale_factor_on_any_optimizer():
    w = lx.Variable(np.zeros(1, "float32"))
    opt = lx.optimizers.SGD(0.5, loss_scale_factor=4.0)
    assert float(opt.scale_loss(jnp.float32(1.5))) == 6.0
    opt.apply([jnp.array([4.0])], [w])
    np.testing.assert_allclose(w.numpy(), [-0.5])


def test_config_round_trip_and_clear_errors():
    opt = lx.optimizers.LossScaleOptimizer(lx.optimizers.Adam(0.01), initial_scale=128.0,
                                           dynamic_growth_steps=10, name="lso")
    clone = lx.optimizers.LossScaleOptimizer.from_config(opt.get_config())
    assert (clone.initial_scale, clone.dynamic_growth_steps, clone.name) == (128.0, 10, "lso")
    assert type(clone.inner_optimizer).__name__ == "Adam"
    assert float(clone.learning_rate) == pytest.approx(0.01)
    assert lx.mixed_precision.LossScaleOptimizer is lx.optimizers.LossScaleOptimizer
    with pytest.raises(ValueError, match="dynamic=False"):
        lx.optimizers.LossScaleOptimizer(lx.optimizers.SGD(), dynamic=False)
    with pytest.raises(ValueError, match="Set `clipnorm` on the `inner_optimizer`"):
        lx.optimizers.LossScaleOptimizer(lx.optimizers.SGD(), clipnorm=1.0)
    with pytest.raises(TypeError, match="expects an `lx.optimizers.Optimizer`"):
        lx.optimizers.LossScaleOptimizer("sgd")


class _Regressor(lx.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.hidden = lx.layers.Dense(8, activation="tanh")
        self.out = lx.layers.Dense(1)

    def call(self, x):
        return self.out(self.hidden(x))


def _regression_data():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((128, 4)).astype("float32")
    y = (x @ np.array([[0.5], [-1.0], [0.25], [2.0]], "float32")).astype("float32")
    return x, y


def _fit(policy, optimizer, **compile_kwargs):
    lx.mixed_precision.set_global_policy(policy)
    lx.utils.set_random_seed(5)
    model = _Regressor()
    model.compile(optimizer=optimizer, loss="mse", **compile_kwargs)
    x, y = _regression_data()
    history = model.fit(x, y, batch_size=32, epochs=6, shuffle=False, verbose=0)
    return model, history.history["loss"]


def test_mixed_float16_fit_scales_the_loss_and_matches_float32():
    ref_model, ref_loss = _fit("float32", lx.optimizers.SGD(0.05))
    # A scale that never overflows here, so both runs take the same 24 steps.
    opt = lx.optimizers.LossScaleOptimizer(lx.optimizers.SGD(0.05), initial_scale=256.0)
    model, loss = _fit("mixed_float16", opt)
    assert float(model.optimizer.dynamic_scale.value) == 256.0
    assert model.compute_dtype == "float16"
    assert int(model.optimizer.iterations.value) == 24  # no step was skipped
    assert all(v.dtype == jnp.float32 for v in model.trainable_variables)
    assert loss[-1] < 0.5 * loss[0]
    np.testing.assert_allclose(loss, ref_loss, rtol=2e-2)
    for v, r in zip(model.trainable_variables, ref_model.trainable_variables):
        np.testing.assert_allclose(v.numpy(), r.numpy(), rtol=2e-2, atol=5e-3)


def test_fit_recovers_from_overflowing_scales():
    # 2**40 overflows float16 gradients: those steps are skipped while the scale halves.
    opt = lx.optimizers.LossScaleOptimizer(lx.optimizers.SGD(0.05), initial_scale=2.0**40)
    model, loss = _fit("mixed_float16", opt)
    scale = float(model.optimizer.dynamic_scale.value)
    skipped = int(round(np.log2(2.0**40 / scale)))
    assert skipped >= 20
    assert int(model.optimizer.iterations.value) == 24 - skipped
    assert np.isfinite(loss).all() and all(np.isfinite(v.numpy()).all()
                                           for v in model.trainable_variables)


def test_fit_wraps_the_optimizer_for_mixed_float16_and_adjusts_its_scale():
    model, loss = _fit("mixed_float16", lx.optimizers.SGD(0.05))
    opt = model.optimizer
    assert isinstance(opt, lx.optimizers.LossScaleOptimizer)
    assert opt.initial_scale == 2.0**15 and opt.dynamic_growth_steps == 2000
    # Keras' default scale overflows float16 at first on this problem: halved until not.
    skipped = int(round(np.log2(2.0**15 / float(opt.dynamic_scale.value))))
    assert skipped >= 1
    assert int(opt.iterations.value) == 24 - skipped
    assert loss[-1] < 0.5 * loss[0]


def test_auto_scale_loss_only_for_mixed_float16():
    lx.mixed_precision.set_global_policy("mixed_float16")
    model = _Regressor()
    model.compile(optimizer="sgd", loss="mse", auto_scale_loss=False)
    assert not isinstance(model.optimizer, lx.optimizers.LossScaleOptimizer)
    lx.mixed_precision.set_global_policy("mixed_bfloat16")
    model = _Regressor()
    model.compile(optimizer="sgd", loss="mse")
    assert not isinstance(model.optimizer, lx.optimizers.LossScaleOptimizer)
