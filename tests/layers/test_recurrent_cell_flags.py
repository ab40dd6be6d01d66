"""The class attributes a cell sets to tell `RNN` how to run it (user cells included)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

import layerax as lx


class _Cell(lx.layers.Layer):
    """h = tanh(x @ W + h @ U): the output is the new first state."""

    def __init__(self, units: int, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(self.units, self.units), name="recurrent_kernel")

    def call(self, inputs, states):
        h = jnp.tanh(inputs @ self.kernel + states[0] @ self.recurrent_kernel)
        return h, [h]


class _FlaggedCell(_Cell):
    output_is_first_state = True
    compiles_eagerly = True


def _scan_outputs(layer, x):
    """(number of scan outputs, number of carries: the (batch, units) ones) of the loop."""
    jaxpr = jax.make_jaxpr(lambda m, x: m(x))(layer, x)
    (scan,) = _find_scans(jaxpr.jaxpr)
    return len(scan.outvars), sum(len(v.aval.shape) == 2 for v in scan.outvars)


def _find_scans(jaxpr):
    """The scan equations of a jaxpr, looking inside nested calls (pjit, closed_call)."""
    found = []
    for eqn in jaxpr.eqns:
        if eqn.primitive.name == "scan":
            found.append(eqn)
            continue
        for param in eqn.params.values():
            inner = getattr(param, "jaxpr", param)
            if hasattr(inner, "eqns"):
                found.extend(_find_scans(inner))
    return found


def test_user_cell_output_is_first_state_carries_only_the_states():
    x = np.random.default_rng(0).normal(size=(3, 6, 4)).astype(np.float32)
    plain, flagged = lx.layers.RNN(_Cell(5)), lx.layers.RNN(_FlaggedCell(5))
    plain(x)
    flagged(x)
    flagged.set_weights(plain.get_weights())
    np.testing.assert_allclose(np.asarray(flagged(x)), np.asarray(plain(x)), rtol=1e-6, atol=1e-6)
    outs, carries = _scan_outputs(flagged, jnp.asarray(x))
    assert outs == carries  # no stacked per-step outputs
    outs, carries = _scan_outputs(plain, jnp.asarray(x))
    assert outs == carries + 1  # the unflagged cell's outputs are stacked
    # Masked steps keep the state: the flagged cell gives the same numbers there too.
    mask = np.array([[1, 1, 1, 0, 0, 0], [1] * 6, [1, 0, 0, 0, 0, 0]], bool)
    np.testing.assert_allclose(
        np.asarray(flagged(x, mask=mask)), np.asarray(plain(x, mask=mask)), rtol=1e-6, atol=1e-6
    )


def test_compiles_eagerly_is_read_from_the_cell_class_itself():
    x = jnp.ones((2, 3, 4))
    flagged, plain = lx.layers.RNN(_FlaggedCell(5)), lx.layers.RNN(_Cell(5))
    flagged(x)
    plain(x)
    assert flagged._can_compile_eagerly(x, None, None, False)
    assert not plain._can_compile_eagerly(x, None, None, False)

    class Subclass(lx.layers.LSTMCell):  # a subclass does not inherit its parent's promise
        pass

    sub, lstm = lx.layers.RNN(Subclass(5)), lx.layers.LSTM(5)
    sub(x)
    lstm(x)
    assert lstm._can_compile_eagerly(x, None, None, False)
    assert not sub._can_compile_eagerly(x, None, None, False)
    sub.set_weights(lstm.get_weights())
    np.testing.assert_allclose(np.asarray(sub(x)), np.asarray(lstm(x)), rtol=1e-6, atol=1e-6)
