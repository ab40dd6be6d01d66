"""lx.function: captured state, write-back, retracing, donation, nesting."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import layerax as lx
from tests.helpers import assert_close


def test_closure_variables_are_written_back():
    total = lx.Variable(jnp.zeros(3), trainable=False)

    @lx.function
    def accumulate(x):
        total.assign_add(x)
        return total.value * 2

    out = accumulate(jnp.ones(3))
    assert_close(out, [2.0, 2.0, 2.0])
    accumulate(jnp.ones(3))
    assert_close(total.numpy(), [2.0, 2.0, 2.0])
    assert accumulate.trace_count == 2  # one discovery trace + one compiled trace


def test_retraces_only_on_shape_dtype_or_static_change():
    w = lx.Variable(jnp.ones(()))

    @lx.function
    def f(x, scale=1.0, flag=True):
        return x * w * scale if flag else x

    f(jnp.ones(3))
    n = f.trace_count
    f(jnp.zeros(3))
    f(jnp.ones(3), 2.0)  # Python floats are traced, not static
    f(jnp.ones(3), 3.0)
    assert f.trace_count == n + 1  # the new (x, scale) tree structure
    n = f.trace_count
    f(jnp.ones(4))
    assert f.trace_count == n + 1  # new shape
    f(jnp.ones(3, jnp.int32))
    assert f.trace_count == n + 2  # new dtype
    f(jnp.ones(3), 1.0, False)
    assert f.trace_count == n + 3  # bools are static
    assert f.experimental_get_tracing_count() == f.trace_count


def test_layers_and_optimizers_as_arguments():
    model = lx.layers.Dense(2)
    model(jnp.ones((1, 3)))
    opt = lx.optimizers.SGD(0.1)

    @lx.function
    def step(model, opt, x):
        grads = jax.grad(lambda tv: jnp.sum(model.stateless_call(tv, [], x)[0]))(
            [v.value for v in model.trainable_variables]
        )
        opt.apply_gradients(zip(grads, model.trainable_variables))

    before = model.kernel.numpy()
    step(model, opt, jnp.ones((1, 3)))
    assert_close(model.kernel.numpy(), before - 0.1)
    assert int(opt.iterations.value) == 1


def test_training_loop_matches_hand_written_optax():
    rng = np.random.default_rng(0)
    x = jnp.asarray(rng.normal(size=(16, 4)), jnp.float32)
    y = jnp.asarray(rng.normal(size=(16, 1)), jnp.float32)
    model = lx.layers.Dense(1)
    model(x)
    params = [v.value for v in model.trainable_variables]
    opt = lx.optimizers.Adam(0.05)

    @lx.function
    def step(x, y):
        def loss(tv):
            return jnp.mean((model.stateless_call(tv, [], x)[0] - y) ** 2)

        value, grads = jax.value_and_grad(loss)([v.value for v in model.trainable_variables])
        opt.apply_gradients(zip(grads, model.trainable_variables))
        return value

    tx = optax.adam(0.05, eps=1e-7)
    state = tx.init(params)

    def ref_loss(p):
        return jnp.mean((x @ p[0] + p[1] - y) ** 2)

    for _ in range(5):
        ours = step(x, y)
        ref, grads = jax.value_and_grad(ref_loss)(params)
        updates, state = tx.update(grads, state, params)
        params = optax.apply_updates(params, updates)
        assert_close(ours, ref, rtol=1e-5)
    assert_close([v.value for v in model.trainable_variables], params, rtol=1e-5)


def test_lazy_build_inside_the_function():
    model = lx.layers.Dense(3)

    @lx.function
    def f(x):
        return model(x)

    out = f(jnp.ones((2, 5)))
    assert model.built and out.shape == (2, 3)
    assert_close(out, np.ones((2, 5)) @ model.kernel.numpy())


def test_donation_never_invalidates_user_arrays():
    v = lx.Variable(jnp.ones(2))
    held = v.value

    @lx.function
    def bump():
        v.assign(v.value + 1)

    bump()
    held_later = v.value  # read after a compiled update: still safe from donation
    internal = v._value
    bump()
    assert_close(held, [1.0, 1.0])  # still readable
    assert_close(held_later, [2.0, 2.0])
    assert_close(v.numpy(), [3.0, 3.0])
    assert not internal.is_deleted()
    untouched = v._value
    bump()
    assert untouched.is_deleted()  # a buffer nobody took was donated
    shared = jnp.zeros(2)
    a, b = lx.Variable(shared), lx.Variable(shared)

    @lx.function
    def both():
        a.assign_add(jnp.ones(2))
        b.assign_add(jnp.ones(2))

    both()
    assert_close(shared, [0.0, 0.0])
    assert_close(a.numpy(), [1.0, 1.0])
    assert_close(b.numpy(), [1.0, 1.0])


def test_an_initializer_returning_a_held_array_is_not_donated_and_a_fresh_one_is():
    given = jnp.arange(3.0)  # weights handed to a layer through an initializer closure
    kept = lx.Variable(lambda shape, dtype=None: jnp.asarray(given, dtype=dtype), shape=(3,),
                       dtype="float32")
    fresh = lx.Variable(lx.initializers.Ones(), shape=(3,), dtype="float32")
    fresh_buffer = fresh._value

    @lx.function
    def bump():
        kept.assign_add(jnp.ones(3))
        fresh.assign_add(jnp.ones(3))

    bump()
    assert_close(given, [0.0, 1.0, 2.0])  # still readable: copied, not donated
    assert_close(kept.numpy(), [1.0, 2.0, 3.0])
    assert_close(fresh.numpy(), [2.0, 2.0, 2.0])
    del fresh_buffer  # this test's own reference kept it shared; fresh ones have none
    untouched = fresh._value
    bump()
    assert untouched.is_deleted()  # owned: donated without a copy


def test_nested_functions_are_inlined():
    w = lx.Variable(jnp.ones(()))

    @lx.function
    def inner(x):
        w.assign_add(1.0)
        return x * w

    @lx.function
    def outer(x):
        return inner(x) + inner(x)

    assert_close(outer(jnp.ones(())), 5.0)  # 2 + 3
    assert float(w.value) == 3.0


def test_inside_raw_jit_runs_inline():
    w = lx.Variable(jnp.full((), 2.0))

    @lx.function
    def f(x):
        return x * w

    assert_close(jax.jit(f)(jnp.ones(3)), [2.0, 2.0, 2.0])


def test_static_argnums_and_method_decoration():
    class Scaler:
        def __init__(self, value):
            self.w = lx.Variable(jnp.full((), value))

        @lx.function
        def apply(self, x):
            self.w.assign(self.w.value * 2)
            return x * self.w

    a, b = Scaler(1.0), Scaler(10.0)
    assert_close(a.apply(jnp.ones(2)), [2.0, 2.0])
    assert_close(b.apply(jnp.ones(2)), [20.0, 20.0])
    assert_close(a.apply(jnp.ones(2)), [4.0, 4.0])
    assert float(a.w.value) == 4.0 and float(b.w.value) == 20.0
    g = lx.function(lambda x, n: jnp.zeros((n,)) + x, static_argnums=1)
    assert g(jnp.ones(()), 3).shape == (3,)
    assert g(jnp.ones(()), 5).shape == (5,)
    h = lx.function(lambda x, n: jnp.zeros((n,)) + x, static_argnames="n")
    assert h(jnp.ones(()), n=4).shape == (4,)


def test_run_functions_eagerly():
    calls = []

    @lx.function
    def f(x):
        calls.append(type(x))
        return x + 1

    lx.config.run_functions_eagerly(True)
    try:
        f(jnp.ones(()))
        f(jnp.ones(()))
    finally:
        lx.config.run_functions_eagerly(False)
    assert len(calls) == 2 and f.trace_count == 0


def test_input_signature_is_rejected_clearly():
    with pytest.raises(ValueError, match="input_signature"):
        lx.function(lambda x: x, input_signature=[1])


def test_global_random_under_function_advances_and_raw_jit_errors():
    @lx.function
    def draw():
        return lx.random.normal((3,))

    a, b = draw(), draw()
    assert not np.allclose(a, b)

    with pytest.raises(RuntimeError, match="global_seed_generator"):
        jax.jit(lambda: lx.random.normal((3,)))()


def test_tuples_of_arrays_and_none_take_the_shallow_path_to_the_same_entry():
    # fit calls its step with `(x, y, None)` batches: a cheap key finds the entry the general
    # path (a full flatten) would find, with the same traces and the same results.
    w = lx.Variable(jnp.ones(()))

    @lx.function
    def step(data):
        x, y, sw = data
        y = sum(jnp.sum(leaf) for leaf in jax.tree.leaves(y))  # y may be nested
        out = jnp.sum(x * w) + y + (0.0 if sw is None else 10 * jnp.sum(sw))
        w.assign_add(1.0)
        return out

    x, y = np.ones((2, 3), np.float32), np.full((2,), 2.0, np.float32)
    assert_close(step((x, y, None)), 6.0 + 4.0)  # w = 1
    n = step.trace_count
    assert_close(step((jnp.asarray(x), y, None)), 12.0 + 4.0)  # numpy or jax: one entry
    assert_close(step._call_general(((x, y, None),), {}), 18.0 + 4.0)  # the general path agrees
    assert step.trace_count == n and len(step._shallow) == 1
    assert step._shallow[((tuple, (True, True, False)),)] is step._entry_for(((x, y, None),), {})[0]
    assert_close(step((x, y, y)), 24.0 + 4.0 + 40.0)  # a sample weight: another structure
    assert_close(step([x, y, None]), 30.0 + 4.0)  # a list is not a tuple
    assert_close(step((x, [y], None)), 36.0 + 4.0)  # nested: the general path
    assert len(step._shallow) == 3
    assert_close(w.numpy(), 7.0)


def test_shallow_path_leaves_tracers_and_numbers_to_the_general_path():
    w = lx.Variable(jnp.ones(()))

    @lx.function
    def f(pair):
        a, b = pair
        return a * w + b

    assert_close(f((jnp.ones(2), 3.0)), [4.0, 4.0])  # a Python number: traced, general path
    assert_close(f((jnp.ones(2), 5.0)), [6.0, 6.0])
    assert not f._shallow
    # Inside a raw jax.jit the body runs inline (tracers are not written back).
    assert_close(jax.jit(lambda a: f((a, a)))(jnp.ones(2)), [2.0, 2.0])
    assert not f._shallow


def test_discovering_the_state_keeps_no_copy_of_it_alive():
    # The first call traces before it knows the variables, which it reads as constants. JAX
    # keeps the constants of a trace aborted by an exception alive for good, so discovery
    # must finish its traces: afterwards only the variable's current value remains.
    import gc

    shape = (37, 41)  # a shape no other test uses
    v = lx.Variable(jnp.zeros(shape))

    @lx.function
    def f(x):
        v.assign_add(x)
        return jnp.sum(v.value)

    def live():
        gc.collect()
        return [a for a in jax.live_arrays() if a.shape == shape and not a.is_deleted()]

    assert_close(f(np.ones(shape, np.float32)), 37 * 41)
    assert len(live()) == 1 and live()[0] is v.value
    assert f.trace_count == 2  # the discovery trace and the compiled one
    assigned, read_only = f.state_variables(np.ones(shape, np.float32))  # an abstract trace
    assert assigned == [v] and read_only == [] and len(live()) == 1
