"""Error cases of GradientTape, and the jax-version check."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import layerax as lx
from layerax.core.context import CTX
from layerax.tape import gradient_tape


def test_gradient_of_a_non_array_target_raises():
    w = lx.Variable(1.0)
    with lx.GradientTape() as tape:
        _ = w * 2.0
    with pytest.raises(TypeError, match="target to be an array computed inside the tape's block"):
        tape.gradient("loss", w)


def test_non_array_sources_raise():
    w = lx.Variable(1.0)
    layer = lx.layers.Dense(2, name="head")
    layer(jnp.ones((1, 2)))
    with lx.GradientTape(persistent=True) as tape:
        y = w * 2.0
    with pytest.raises(TypeError, match="Received a str"):
        tape.gradient(y, ["w"])
    with pytest.raises(TypeError, match=r"layer 'head'.*head.trainable_variables"):
        tape.gradient(y, layer)


def test_watch_rejects_numpy_and_python_values_and_needs_the_block():
    tape = lx.GradientTape()
    with pytest.raises(RuntimeError, match="inside the tape's `with` block"):
        tape.watch(jnp.ones(2))
    with tape:
        with pytest.raises(ValueError, match=r"JAX arrays.*Received a ndarray.*jnp.asarray"):
            tape.watch(np.ones(2))
        with pytest.raises(ValueError, match="Received a float"):
            tape.watch(1.0)


def test_second_call_on_non_persistent_tape_and_never_entered_tape():
    w = lx.Variable(3.0)
    with pytest.raises(RuntimeError, match="never recorded"):
        lx.GradientTape().gradient(w * 1.0, w)
    with lx.GradientTape() as tape:
        y = w * w
    assert float(tape.gradient(y, w)) == 6.0
    with pytest.raises(RuntimeError, match="only be used to compute one set of gradients"):
        tape.gradient(y, w)


def test_invalid_unconnected_gradients_and_output_gradients():
    w = lx.Variable(jnp.ones(2))
    with lx.GradientTape(persistent=True) as tape:
        y = w * 2.0
    with pytest.raises(ValueError, match="'none', 'zero'.*Received: unconnected_gradients='zeros'"):
        tape.gradient(y, w, unconnected_gradients="zeros")
    with pytest.raises(ValueError, match="one entry per target array"):
        tape.gradient([y, y], w, output_gradients=[jnp.ones(2)])
    with pytest.raises(ValueError, match=r"shape \(3,\).*shape \(2,\)"):
        tape.gradient(y, w, output_gradients=jnp.ones(3))


def test_reentering_a_recording_tape_and_misnesting_raise():
    tape = lx.GradientTape()
    with tape:
        with pytest.raises(ValueError, match="already recording"):
            tape.__enter__()
    outer, inner = lx.GradientTape(), lx.GradientTape()
    outer.__enter__()
    inner.__enter__()
    with pytest.raises(RuntimeError, match="nested properly"):
        outer.__exit__(None, None, None)
    inner.__exit__(None, None, None)
    outer.__exit__(None, None, None)  # now properly nested
    assert CTX.interceptors == ()


def test_stop_recording_and_reset_need_the_innermost_block():
    outer = lx.GradientTape()
    with pytest.raises(RuntimeError, match="inside the tape's `with` block"):
        with outer.stop_recording():
            pass
    with outer:
        with lx.GradientTape():
            with pytest.raises(RuntimeError, match="innermost active tape"):
                with outer.stop_recording():
                    pass
            with pytest.raises(RuntimeError, match="directly in the tape's block"):
                outer.reset()


def test_jacobian_arguments_are_checked():
    x = jnp.ones((2, 3))
    with lx.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * 2.0
    with pytest.raises(TypeError, match="one array computed in the block"):
        tape.jacobian([y, y], x)
    with pytest.raises(ValueError, match=r"same first \(batch\) dimension.*\(2, 3\).*\(3,\)"):
        tape.batch_jacobian(y, jnp.ones(3))


def test_gradient_of_a_tape_from_an_ended_compiled_function_raises():
    box = {}

    @jax.jit
    def leaky(x):
        with lx.GradientTape() as tape:
            tape.watch(x)
            y = jnp.sum(x * x)
        box.update(tape=tape, x=x, y=y)
        return y

    leaky(jnp.ones(2))
    with pytest.raises(RuntimeError, match="inside the same compiled function"):
        box["tape"].gradient(box["y"], box["x"])


def test_exception_inside_the_block_restores_the_state():
    w = lx.Variable(1.0)
    with pytest.raises(KeyError):
        with lx.GradientTape():
            with lx.GradientTape():
                _ = w * 2.0
                raise KeyError("boom")
    assert CTX.interceptors == ()
    assert float(w * 3.0) == 3.0 and not isinstance(w * 3.0, jax.core.Tracer)


# ------------------------------------------------------------ jax versions
@pytest.fixture
def fresh_backend(monkeypatch):
    monkeypatch.setattr(gradient_tape, "_BACKEND", {"engine": None, "error": None})
    return monkeypatch


def test_unsupported_old_jax_raises_naming_the_range_and_the_functional_api(fresh_backend):
    fresh_backend.setattr(gradient_tape, "_jax_version", lambda: "0.6.2")
    with pytest.raises(lx.tape.UnsupportedJaxError) as info:
        lx.GradientTape()
    message = str(info.value)
    assert "jax 0.6.2" in message
    assert f"{gradient_tape.MIN_JAX_VERSION} to {gradient_tape.MAX_TESTED_JAX_VERSION}" in message
    assert "jax.value_and_grad" in message and "stateless_call" in message
    with pytest.raises(lx.tape.UnsupportedJaxError):  # remembered, not retried
        lx.GradientTape()


def test_newer_jax_failing_the_self_check_raises(fresh_backend):
    def broken_check():
        raise AssertionError("tape gradient [0.] differs from the closed form [1.]")

    fresh_backend.setattr(gradient_tape, "_jax_version", lambda: "0.12.0")
    fresh_backend.setattr(gradient_tape, "_self_check", broken_check)
    with pytest.raises(lx.tape.UnsupportedJaxError, match=r"jax 0.12.0.*self-check.*differs"):
        lx.GradientTape()


def test_newer_jax_passing_the_self_check_is_accepted(fresh_backend):
    fresh_backend.setattr(gradient_tape, "_jax_version", lambda: "0.11.1")
    with lx.GradientTape() as tape:
        w = lx.Variable(2.0)
        y = w * w
    assert float(tape.gradient(y, w)) == 4.0


def test_missing_jax_internals_raise_the_version_error(fresh_backend):
    import sys

    fresh_backend.setitem(sys.modules, "layerax.tape._engine", None)  # import fails
    fresh_backend.delattr(lx.tape, "_engine", raising=False)
    with pytest.raises(lx.tape.UnsupportedJaxError, match=r"jax .*Cause: (ModuleNotFound|Import)Error"):
        lx.GradientTape()


def test_self_check_numeric_path_passes():
    gradient_tape._self_check(compare_traces=False)
