"""Eager GradientTape semantics against jax.grad references."""

from __future__ import annotations

import io
import contextlib

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import layerax as lx
from tests.helpers import assert_close


def f_ref(w, x):
    return jnp.sum(jnp.sin(w * x) * w) + jnp.sum(x**2)


W0 = jnp.array([0.5, -1.0, 2.0])
X0 = jnp.array([1.5, 0.25, -0.75])


def test_variables_read_in_block_are_watched():
    w = lx.Variable(W0, name="w")
    frozen = lx.Variable(W0, name="frozen", trainable=False)
    with lx.GradientTape() as tape:
        loss = f_ref(w.value, X0) + jnp.sum(frozen * 3.0)
    dw, dfrozen = tape.gradient(loss, [w, frozen])
    assert_close(dw, jax.grad(f_ref)(W0, X0))
    assert dfrozen is None  # non-trainable variables are not watched automatically
    assert tape.watched_variables() == (w,)


def test_watched_variables_lists_auto_and_explicit_in_order():
    a = lx.Variable(1.0, name="a")
    b = lx.Variable(2.0, name="b", trainable=False)
    c = lx.Variable(3.0, name="c")
    with lx.GradientTape() as tape:
        tape.watch(b)
        y = c * a + b
    assert tape.watched_variables() == (b, c, a)
    gb, gc, ga = tape.gradient(y, [b, c, a])
    assert (float(gb), float(gc), float(ga)) == (1.0, 1.0, 3.0)


def test_watch_array_without_reassignment():
    x = jnp.array([1.0, 2.0, 3.0])
    with lx.GradientTape() as tape:
        tape.watch(x)  # TF syntax: no rebinding
        y = jnp.sum(jnp.tanh(x) * x)
    assert_close(tape.gradient(y, x), jax.grad(lambda v: jnp.sum(jnp.tanh(v) * v))(x))


def test_watch_returns_none_like_tf():
    x = jnp.array(3.0)
    with lx.GradientTape() as tape:
        assert tape.watch(x) is None
        y = x * x
    assert float(tape.gradient(y, x)) == 6.0


def test_watch_nested_structure_and_unwatched_array_is_unconnected():
    xs = {"a": jnp.array(2.0), "b": [jnp.array(3.0)]}
    other = jnp.array(5.0)
    with lx.GradientTape() as tape:
        tape.watch(xs)
        y = xs["a"] * xs["b"][0] * other
    grads = tape.gradient(y, {"a": xs["a"], "b": xs["b"], "other": other})
    assert float(grads["a"]) == 15.0 and float(grads["b"][0]) == 10.0
    assert grads["other"] is None


def test_watch_accessed_variables_false_only_watches_explicit():
    a = lx.Variable(2.0)
    b = lx.Variable(3.0)
    with lx.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(a)
        y = a * b
    ga, gb = tape.gradient(y, [a, b])
    assert float(ga) == 3.0 and gb is None
    assert tape.watched_variables() == (a,)


def test_persistent_tape_allows_many_calls():
    x = jnp.array(3.0)
    with lx.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * x
        z = y * y
    assert float(tape.gradient(z, x)) == 4 * 27.0
    assert float(tape.gradient(y, x)) == 6.0
    assert float(tape.gradient(z, y)) == 18.0


def test_non_persistent_second_call_raises():
    w = lx.Variable(2.0)
    with lx.GradientTape() as tape:
        y = w * w
    tape.gradient(y, w)
    with pytest.raises(RuntimeError, match="non-persistent GradientTape can only be used"):
        tape.gradient(y, w)
    with pytest.raises(RuntimeError, match="non-persistent"):
        tape.jacobian(y, w)


def test_unconnected_none_and_zero():
    a = lx.Variable(jnp.ones(3))
    b = lx.Variable(jnp.ones((2, 2)))
    with lx.GradientTape(persistent=True) as tape:
        y = jnp.sum(a * 2.0)
    assert tape.gradient(y, [a, b])[1] is None
    for mode in ("zero", "ZERO", lx.UnconnectedGradients.ZERO):
        ga, gb = tape.gradient(y, [a, b], unconnected_gradients=mode)
        assert_close(ga, 2.0 * jnp.ones(3))
        assert gb.shape == (2, 2) and gb.dtype == jnp.float32 and not np.any(gb)
    assert tape.gradient(y, b, unconnected_gradients=lx.UnconnectedGradients.NONE) is None


def test_sources_structure_is_preserved():
    a, b, c = lx.Variable(2.0), lx.Variable(3.0), lx.Variable(4.0)
    with lx.GradientTape() as tape:
        y = a * b * c
    grads = tape.gradient(y, {"ab": (a, b), "rest": [c]})
    assert set(grads) == {"ab", "rest"} and isinstance(grads["ab"], tuple)
    got = [float(grads["ab"][0]), float(grads["ab"][1]), float(grads["rest"][0])]
    assert got == [12.0, 8.0, 6.0]


def test_single_source_returns_single_gradient():
    w = lx.Variable(W0)
    with lx.GradientTape() as tape:
        y = f_ref(w.value, X0)
    g = tape.gradient(y, w)
    assert isinstance(g, jax.Array)
    assert_close(g, jax.grad(f_ref)(W0, X0))


def test_list_target_and_non_scalar_target_are_summed():
    w = lx.Variable(W0)
    with lx.GradientTape(persistent=True) as tape:
        v = jnp.sin(w) * X0  # non-scalar
        s = jnp.sum(w**3)
    assert_close(tape.gradient(v, w), jax.grad(lambda w: jnp.sum(jnp.sin(w) * X0))(W0))
    assert_close(
        tape.gradient([v, s], w),
        jax.grad(lambda w: jnp.sum(jnp.sin(w) * X0) + jnp.sum(w**3))(W0),
    )
    assert_close(
        tape.gradient({"v": v, "s": s}, w),
        jax.grad(lambda w: jnp.sum(jnp.sin(w) * X0) + jnp.sum(w**3))(W0),
    )


def test_output_gradients_weight_the_target():
    w = lx.Variable(W0)
    weights = jnp.array([1.0, -2.0, 0.5])
    with lx.GradientTape() as tape:
        v = jnp.sin(w)
    got = tape.gradient(v, w, output_gradients=weights)
    assert_close(got, jax.vjp(jnp.sin, W0)[1](weights)[0])


def test_gradient_with_respect_to_intermediate_values():
    w = lx.Variable(W0)
    with lx.GradientTape(persistent=True) as tape:
        logits = w * X0
        loss = jnp.sum(jax.nn.log_softmax(logits) * jnp.array([1.0, 0.0, 0.0]))
    loss_of_logits = lambda z: jnp.sum(jax.nn.log_softmax(z) * jnp.array([1.0, 0.0, 0.0]))
    assert_close(tape.gradient(loss, logits), jax.grad(loss_of_logits)(W0 * X0))
    # Asking for the variable and the intermediate together keeps the total
    # derivative for the variable (the path through the intermediate).
    g_w, g_logits = tape.gradient(loss, [w, logits])
    assert_close(g_w, jax.grad(lambda w: loss_of_logits(w * X0))(W0))
    assert_close(g_logits, jax.grad(loss_of_logits)(W0 * X0))


def test_stop_recording():
    a = lx.Variable(3.0)
    with lx.GradientTape() as tape:
        y = a * a
        with tape.stop_recording():
            z = y * a  # treated as a constant
            assert float(z) == 27.0
        out = y + z
    assert float(tape.gradient(out, a)) == 6.0
    assert float(out) == 36.0


def test_reset_inside_block_forgets_earlier_operations():
    a = lx.Variable(3.0)
    with lx.GradientTape() as tape:
        first = a * a
        tape.reset()
        total = first + a * 5.0
    assert float(tape.gradient(total, a)) == 5.0
    assert float(total) == 24.0


def test_reset_outside_block_then_reenter():
    a = lx.Variable(3.0)
    tape = lx.GradientTape()
    with tape:
        y = a * a
    tape.reset()
    assert tape.watched_variables() == ()
    with tape:
        z = a * 4.0
    assert float(tape.gradient(z, a)) == 4.0
    del y


def test_reentering_continues_the_recording():
    a = lx.Variable(2.0)
    tape = lx.GradientTape(persistent=True)
    with tape:
        y = a * a
    with tape:
        z = y * a
    assert float(tape.gradient(z, a)) == 12.0  # d(a^3)/da


def test_values_behave_as_arrays_inside_and_after_the_block():
    w = lx.Variable(W0)
    out = io.StringIO()
    with lx.GradientTape() as tape:
        loss = f_ref(w.value, X0)
        inside = float(loss)
        with contextlib.redirect_stdout(out):
            print(loss)
        as_np = np.asarray(loss * 2)
        branch = "big" if loss > -100.0 else "small"  # Python control flow on the value
        _ = f"{loss:.3f}"
    expected = float(f_ref(W0, X0))
    assert inside == pytest.approx(expected, rel=1e-6)
    assert float(out.getvalue()) == pytest.approx(expected, rel=1e-5)  # prints the number
    assert as_np.dtype == np.float32 and float(as_np) == pytest.approx(2 * expected, rel=1e-6)
    assert branch == "big"
    grads = tape.gradient(loss, w)
    # After the block: arithmetic, numpy, jnp functions and jit all see a plain value.
    assert float(loss) == pytest.approx(expected, rel=1e-6)
    assert float(loss.numpy()) == pytest.approx(expected, rel=1e-6)
    assert float(jnp.exp(loss)) == pytest.approx(np.exp(expected), rel=1e-5)
    assert float(jax.jit(lambda v: v + 1)(loss)) == pytest.approx(expected + 1, rel=1e-6)
    assert loss.shape == () and loss.dtype == jnp.float32
    assert_close(grads, jax.grad(f_ref)(W0, X0))


def test_assignments_in_block_take_effect_and_are_not_differentiated():
    w = lx.Variable(2.0)
    moving = lx.Variable(1.0, trainable=False)
    with lx.GradientTape() as tape:
        y = w * w
        moving.assign(0.9 * moving + 0.1 * y)  # BatchNorm-style statistics
        out = y * moving  # reads the new (plain) value: a constant for the tape
    assert isinstance(moving._value, jax.Array) and not isinstance(moving._value, jax.core.Tracer)
    assert float(moving.value) == pytest.approx(1.3)
    assert float(tape.gradient(out, w)) == pytest.approx(2 * 2.0 * 1.3)


def test_reads_after_assigning_a_trainable_variable_share_its_gradient():
    w = lx.Variable(2.0)
    with lx.GradientTape() as tape:
        a = w * 3.0
        w.assign(5.0)
        b = w * 7.0
        y = a + b
    assert float(y) == 41.0
    assert float(tape.gradient(y, w)) == 10.0  # TF: the variable's gradient sums all its reads


def test_non_persistent_gradient_inside_block_stops_recording():
    w = lx.Variable(2.0)
    with lx.GradientTape() as tape:
        y = w * w
        g = tape.gradient(y, w)
        later = w * 10.0  # no longer recorded
    assert float(g) == 4.0 and float(later) == 20.0
    assert not isinstance(later, jax.core.Tracer)  # computed after recording stopped


def test_persistent_gradient_inside_block_keeps_recording():
    w = lx.Variable(2.0)
    with lx.GradientTape(persistent=True) as tape:
        y = w * w
        g = tape.gradient(y, w)
        z = y * w
    assert float(g) == 4.0
    assert float(tape.gradient(z, w)) == 12.0


def test_integer_values_are_not_watched():
    count = lx.Variable(jnp.array(3, jnp.int32))
    x = jnp.array([1, 2])
    w = lx.Variable(1.5)
    with lx.GradientTape() as tape:
        tape.watch(x)
        y = w * count.value.astype(jnp.float32) + jnp.sum(x).astype(jnp.float32)
    gw, gc, gx = tape.gradient(y, [w, count, x])
    assert float(gw) == 3.0 and gc is None and gx is None


def test_plain_values_have_no_gradient_like_tf():
    w = lx.Variable(2.0)
    with lx.GradientTape(persistent=True) as tape:
        _ = w * w
    assert tape.gradient(jnp.array(1.0), w) is None
    assert tape.gradient(0.0, w) is None
    assert float(tape.gradient(0.0, w, unconnected_gradients="zero")) == 0.0


def test_lx_function_called_in_an_eager_tape_is_differentiated():
    w = lx.Variable(W0)

    @lx.function
    def inner(x):
        return f_ref(w.value, x)

    with lx.GradientTape() as tape:
        loss = inner(X0)
    assert_close(tape.gradient(loss, w), jax.grad(f_ref)(W0, X0))


def test_layer_losses_inside_and_after_the_block():
    class Penalized(lx.Layer):
        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(input_shape[-1], 2), initializer="ones")

        def call(self, x):
            self.add_loss(0.5 * jnp.sum(self.kernel.value**2))
            return x @ self.kernel.value

    layer = Penalized()
    x = jnp.ones((3, 4))
    layer(x)
    with lx.GradientTape() as tape:
        out = layer(x)
        loss = jnp.sum(out) + sum(layer.losses)
    assert len(layer.losses) == 1
    assert float(layer.losses[0]) == pytest.approx(4.0)  # usable after the block
    kernel = layer.kernel.value
    ref = jax.grad(lambda k: jnp.sum(x @ k) + 0.5 * jnp.sum(k**2))(kernel)
    assert_close(tape.gradient(loss, layer.kernel), ref)

    @lx.function
    def compiled(x):
        with lx.GradientTape() as tape:
            loss = jnp.sum(layer(x)) + sum(layer.losses)
        return loss, tape.gradient(loss, layer.kernel)

    loss, grad = compiled(x)
    assert float(loss) == pytest.approx(float(jnp.sum(x @ kernel)) + 4.0)
    assert_close(grad, ref)


def test_eager_steps_release_the_recording():
    import gc

    layer = lx.layers.Dense(3)
    x = jnp.ones((2, 4))
    layer(x)

    def step():
        with lx.GradientTape() as tape:
            loss = jnp.mean(jnp.tanh(layer(x)) ** 2)
        tape.gradient(loss, layer.trainable_variables)
        return loss

    kept = [step() for _ in range(2)]  # the losses are kept, as a training loop does
    gc.collect()
    before = len(jax.live_arrays())
    kept += [step() for _ in range(10)]
    gc.collect()
    # Only the kept losses stay alive: no activations, residuals or old weights.
    assert len(jax.live_arrays()) - before <= 10
    assert all(np.isfinite(float(v)) for v in kept)
