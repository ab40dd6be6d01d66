"""The tape under and around JAX transformations, and its limits (clear errors)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import layerax as lx
from tests.helpers import assert_close


def f(x):
    return jnp.sum(jnp.sin(x) ** 2 * x)


X0 = jnp.array([0.3, 1.2, -0.7])


def grad_via_tape(x):
    with lx.GradientTape() as tape:
        tape.watch(x)
        y = f(x)
    return y, tape.gradient(y, x)


def test_tape_inside_jax_grad_with_the_value_used_after_the_block():
    def meta(x):
        y, g = grad_via_tape(x)
        return jnp.sum(g**2) + y  # `y` escaped the block under jax.grad

    ref = jax.grad(lambda x: jnp.sum(jax.grad(f)(x) ** 2) + f(x))(X0)
    assert_close(jax.grad(meta)(X0), ref, rtol=1e-5)
    assert_close(jax.jit(jax.grad(meta))(X0), ref, rtol=1e-5)


def test_jvp_and_jacobian_around_a_tape():
    direction = jnp.array([1.0, 0.0, 2.0])
    (y, g), (y_dot, g_dot) = jax.jvp(grad_via_tape, (X0,), (direction,))
    assert_close(y_dot, jax.jvp(f, (X0,), (direction,))[1])
    assert_close(g_dot, jax.hessian(f)(X0) @ direction, rtol=1e-5, atol=1e-6)
    hessian = jax.jacobian(lambda x: grad_via_tape(x)[1])(X0)
    assert_close(hessian, jax.hessian(f)(X0), rtol=1e-5, atol=1e-6)


def test_per_example_gradients_under_vmap():
    w = lx.Variable(jax.random.normal(jax.random.key(0), (3, 4)))
    xs = jax.random.normal(jax.random.key(1), (5, 3))

    def per_example(x):
        with lx.GradientTape() as tape:
            out = jnp.sum(jnp.tanh(x @ w.value))
            loss = jax.lax.stop_gradient(out)  # taken out of the tape to return it
        return loss, tape.gradient(out, w)

    losses, grads = jax.vmap(per_example)(xs)
    ref = jax.vmap(jax.grad(lambda w, x: jnp.sum(jnp.tanh(x @ w))), in_axes=(None, 0))(w.value, xs)
    assert_close(grads, ref)
    assert_close(losses, jnp.sum(jnp.tanh(xs @ w.value), axis=1))


def test_tape_value_escaping_vmap_raises_a_clear_error():
    w = lx.Variable(jnp.ones((3, 2)))

    def per_example(x):
        with lx.GradientTape() as tape:
            out = jnp.sum(x @ w.value)
        return out, tape.gradient(out, w)

    with pytest.raises(RuntimeError, match=r"jax.vmap.*stop_gradient"):
        jax.vmap(per_example)(jnp.ones((4, 3)))


def test_scan_cond_checkpoint_custom_vjp_and_jit_inside_the_tape():
    w = lx.Variable(jnp.full((3, 3), 0.3))
    x = jnp.ones((2, 3))

    @jax.custom_vjp
    def clip_grad(v):
        return v

    clip_grad.defvjp(lambda v: (v, None), lambda _, g: (jnp.clip(g, -0.1, 0.1),))

    def body(carry, _):
        return jnp.tanh(carry @ w.value), None  # reads the variable inside the scan body

    def pure(k):
        def body(carry, _):
            return jnp.tanh(carry @ k), None

        h, _ = jax.lax.scan(body, x, None, length=2)
        h = jax.lax.cond(jnp.sum(h) > 0, lambda h: h * 2.0, lambda h: h, h)
        h = jax.checkpoint(lambda h: jnp.exp(h))(h)
        h = jax.jit(lambda h, k: h @ k)(h, k)
        return jnp.sum(clip_grad(h))

    with lx.GradientTape() as tape:
        h, _ = jax.lax.scan(body, x, None, length=2)
        h = jax.lax.cond(jnp.sum(h) > 0, lambda h: h * 2.0, lambda h: h, h)
        h = jax.checkpoint(lambda h: jnp.exp(h))(h)
        h = jax.jit(lambda h, k: h @ k)(h, w.value)  # arrays passed as arguments
        loss = jnp.sum(clip_grad(h))
    assert_close(tape.gradient(loss, w), jax.grad(pure)(w.value), rtol=1e-5)


def test_raw_jit_reading_variables_by_closure_raises_a_clear_error_when_stale():
    layer = lx.layers.Dense(2)
    x = jnp.ones((1, 3))
    layer(x)
    forward = jax.jit(lambda x: layer(x))
    with lx.GradientTape() as tape:
        loss = jnp.sum(forward(x))
    # The first trace sees the tape: correct gradient.
    assert_close(tape.gradient(loss, layer.kernel), jnp.ones((3, 2)))
    # jax.jit reuses its cached trace, which froze the old read: a clear error, not None.
    with pytest.raises(RuntimeError, match=r"jax.jit read variable 'dense/kernel' by closure"):
        with lx.GradientTape():
            forward(x)


def test_abstract_evaluation_inside_the_tape_is_allowed():
    layer = lx.layers.Dense(2)
    x = jnp.ones((4, 3))
    layer(x)
    with lx.GradientTape() as tape:
        assert tuple(layer.compute_output_shape((4, 3))) == (4, 2)  # jax.eval_shape inside
        loss = jnp.sum(layer(x))
    assert_close(tape.gradient(loss, layer.kernel), jnp.full((3, 2), 4.0))


def test_layer_passed_to_raw_jit_inside_the_tape_is_differentiated():
    layer = lx.layers.Dense(2)
    xs = [jnp.ones((2, 3)), jnp.full((2, 3), 2.0)]
    layer(xs[0])
    forward = jax.jit(lambda m, x: m(x))
    for x in xs:  # second call reuses the compiled function
        with lx.GradientTape() as tape:
            loss = jnp.sum(forward(layer, x) ** 2)
        kernel, bias = layer.kernel.value, layer.bias.value
        ref = jax.grad(lambda k, b: jnp.sum((x @ k + b) ** 2), argnums=(0, 1))(kernel, bias)
        assert_close(tape.gradient(loss, [layer.kernel, layer.bias]), list(ref))


def test_lx_function_reused_across_calls_inside_eager_tapes():
    w = lx.Variable(jnp.array([1.0, 2.0]))

    @lx.function
    def loss_fn(x):
        return jnp.sum((w * x) ** 2)

    for scale in (1.0, 3.0):
        x = jnp.array([scale, -scale])
        with lx.GradientTape() as tape:
            loss = loss_fn(x)
        assert_close(tape.gradient(loss, w), 2 * w.value * x**2)


def test_gradient_under_jax_checking_leaks():
    w = lx.Variable(jnp.array([0.5, 1.5]))

    @lx.function
    def step(x):
        with lx.GradientTape() as tape:
            loss = jnp.sum(jnp.sin(w * x))
        return loss, tape.gradient(loss, w)

    with jax.checking_leaks():
        loss, grad = step(jnp.array([1.0, 2.0]))
    assert_close(grad, jnp.cos(w.value * jnp.array([1.0, 2.0])) * jnp.array([1.0, 2.0]))
    assert np.isfinite(float(loss))


def test_tape_under_shard_map():
    mesh = jax.sharding.Mesh(np.array(jax.devices()[:1]), ("d",))
    spec = jax.sharding.PartitionSpec
    w = lx.Variable(jnp.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]))

    def shard(x):
        with lx.GradientTape() as tape:
            out = jnp.sum(jnp.tanh(x @ w.value))
        return out[None], tape.gradient(out, w)

    x = jnp.linspace(-1.0, 1.0, 12).reshape(4, 3)
    ref_loss = jnp.sum(jnp.tanh(x @ w.value))
    ref_grad = jax.grad(lambda k: jnp.sum(jnp.tanh(x @ k)))(w.value)
    mapped = jax.shard_map(shard, mesh=mesh, in_specs=spec("d"), out_specs=(spec("d"), spec()))
    loss, grad = jax.jit(mapped)(x)  # under jit the loss may leave the block
    assert float(loss[0]) == pytest.approx(float(ref_loss), rel=1e-5)
    assert_close(grad, ref_grad, rtol=1e-5)
    with pytest.raises(Exception, match=r"GradientTape block .*shard_map.*stop_gradient"):
        mapped(x)  # eager shard_map: JAX's own error names the fix
