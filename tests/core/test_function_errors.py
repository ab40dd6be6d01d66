"""`lx.function` errors name the user's function and parameter; a tape left open warns (item 14)."""

from __future__ import annotations

import warnings

import jax.numpy as jnp
import numpy as np
import pytest

import layerax as lx


def scale(x, n):
    if n > 0:  # a TF habit: Python control flow on a Python-number argument
        return x * n
    return x


def test_python_control_flow_on_traced_number_names_function_and_parameter():
    with pytest.raises(TypeError) as info:
        lx.function(scale)(jnp.ones(2), 3)
    message = str(info.value)
    assert "lx.function 'scale'" in message and "test_function_errors.py" in message
    assert "parameter `n`" in message and 'static_argnums=(1,) or static_argnames=("n",)' in message
    assert "function pure" not in message and "dynamic[" not in message
    # The suggested fix works, with the closed-form values.
    fixed = lx.function(scale, static_argnums=(1,))
    np.testing.assert_array_equal(np.asarray(fixed(jnp.ones(2), 3)), np.full(2, 3.0))
    np.testing.assert_array_equal(np.asarray(fixed(jnp.ones(2), -1)), np.ones(2))


def test_nested_argument_and_method_parameter_are_named():
    @lx.function
    def repeat(x, config):
        for _ in range(config["steps"]):
            x = x + 1
        return x

    with pytest.raises(TypeError, match=r"parameter `config`\['steps'\].*static_argnames=\(\"config\",\)"):
        repeat(jnp.zeros(2), config={"steps": 3})

    class Head(lx.Model):
        def __init__(self):
            super().__init__()
            self.dense = lx.layers.Dense(2)

        @lx.function
        def first(self, x, k):
            return self.dense(x)[: int(k)]

    with pytest.raises(TypeError, match=r"lx.function 'first'.*parameter `k`.*static_argnums=\(2,\)"):
        Head().first(jnp.ones((3, 2)), 2)


def _open_and_forget():
    tape = lx.GradientTape()
    tape.__enter__()  # never exited
    return tape


def test_a_tape_left_open_warns_once():
    double = lx.function(lambda x: x * 2)
    with lx.GradientTape():  # a tape in an active block: inline, silently (intended)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            double(jnp.ones(2))
    tape = _open_and_forget()
    try:
        with pytest.warns(RuntimeWarning, match=r"GradientTape opened at .*_open_and_forget.*still recording"):
            np.testing.assert_array_equal(np.asarray(double(jnp.ones(2))), np.full(2, 2.0))
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            double(jnp.ones(2))  # once per tape
    finally:
        tape.__exit__(None, None, None)
