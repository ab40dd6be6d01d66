"""Parity of `lx.ops.linalg` with `keras.ops.linalg` (JAX backend): values, dtypes, jit, grads."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest

import layerax as lx
from layerax.ops import linalg as lla
from tests.ops._parity import Case, assert_close, check_case, rand

# keras.ops.linalg names deliberately not implemented, and why.
LEFT_OUT: dict[str, str] = {}


def _spd(shape, seed=0):
    a = rand(shape, seed=seed)
    n = shape[-1]
    return (a @ np.swapaxes(a, -1, -2) + n * np.eye(n)).astype("float32")


def _cases():
    spd, spd_b = _spd((3, 3)), _spd((2, 4, 4), 1)
    chol = np.linalg.cholesky(spd).astype("float32")
    tri = np.tril(rand((3, 3))) + 3 * np.eye(3, dtype="float32")
    general = rand((3, 3)) + 3 * np.eye(3, dtype="float32")
    tall = rand((5, 3))
    return [
        Case("cholesky", (spd,), rtol=1e-4, atol=1e-4),
        Case("cholesky", (spd_b,), {"upper": True}, rtol=1e-4, atol=1e-4, id="upper-batched"),
        Case("cholesky_inverse", (chol,), rtol=1e-4, atol=1e-4),
        Case("cholesky_inverse", (chol.T.copy(),), {"upper": True}, rtol=1e-4, atol=1e-4,
             id="upper"),
        Case("det", (general,), rtol=1e-4, atol=1e-4),
        Case("det", (rand((2, 3, 3), "int32", -3, 3),), grad=(), id="int", rtol=1e-4, atol=1e-4),
        # Eigenvectors are defined up to a phase: compare the eigenvalues and A v = lambda v
        # (test_eig_eigenvectors); no reverse-mode rule for eig's eigenvectors.
        Case("eigh", (spd,), grad=(), rtol=1e-4, atol=1e-4),
        Case("inv", (general,), rtol=1e-4, atol=1e-4),
        Case("inv", (spd_b,), rtol=1e-4, atol=1e-4, id="batched"),
        Case("lu_factor", (general,), rtol=1e-4, atol=1e-4),
        Case("lu_factor", (rand((2, 3, 3)),), grad=(), rtol=1e-4, atol=1e-4, id="batched"),
        Case("norm", (rand((3, 4)),)),
        Case("norm", (rand((3, 4)),), {"ord": "fro", "axis": (0, 1)}, id="fro"),
        Case("norm", (rand((2, 3, 4)),), {"ord": 1, "axis": 1, "keepdims": True}, id="ord1"),
        Case("norm", (rand((3, 4), "int32", -5, 5),), grad=(), id="int"),
        Case("qr", (tall,), grad=(), rtol=1e-4, atol=1e-4),
        Case("qr", (tall,), {"mode": "complete"}, grad=(), rtol=1e-4, atol=1e-4, id="complete"),
        Case("solve", (general, rand((3, 2))), grad=(0, 1), rtol=1e-4, atol=1e-4),
        Case("solve_triangular", (tri, rand((3, 2))), {"lower": True}, grad=(0, 1),
             rtol=1e-4, atol=1e-4),
        Case("solve_triangular", (tri.T.copy(), rand((3,))), grad=(0, 1), rtol=1e-4, atol=1e-4,
             id="upper"),
        Case("svd", (tall,), {"compute_uv": False}, rtol=1e-4, atol=1e-4),
        Case("svd", (tall,), {"full_matrices": False}, grad=(), rtol=1e-4, atol=1e-4, id="uv"),
        Case("lstsq", (tall, rand((5, 2))), grad=(0, 1), rtol=1e-4, atol=1e-4),
        Case("lstsq", (tall, rand((5,))), {"rcond": 1e-3}, grad=(1,), rtol=1e-4, atol=1e-4,
             id="rcond"),
        Case("matrix_rank", (np.ones((3, 4), "float32"),), grad=()),
        Case("matrix_rank", (rand((2, 3, 3)),), {"tol": 0.5}, grad=(), id="tol"),
        Case("pinv", (tall,), rtol=1e-4, atol=1e-4),
        Case("pinv", (tall,), {"rcond": 0.1}, rtol=1e-4, atol=1e-4, id="rcond"),
    ]


CASES = _cases()


@pytest.mark.parametrize("case", CASES, ids=str)
def test_parity_with_keras(case):
    check_case(case, getattr(lla, case.name), getattr(keras.ops.linalg, case.name))


def test_every_keras_linalg_name_is_covered():
    keras_names = {n for n in dir(keras.ops.linalg) if not n.startswith("_")}
    assert keras_names - set(LEFT_OUT) == set(lla.__all__)
    tested = {c.name for c in CASES} | {"eig", "jvp"}  # both tested below
    assert set(lla.__all__) == tested


def test_eig_values_and_eigenvectors():
    a = rand((3, 3)) + np.diag([3.0, 6.0, 9.0]).astype("float32")
    values, vectors = lla.eig(a)
    want_values, _ = keras.ops.linalg.eig(a)
    assert values.dtype == want_values.dtype
    np.testing.assert_allclose(np.sort_complex(np.asarray(values)),
                               np.sort_complex(np.asarray(want_values)), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(np.asarray(a @ vectors), np.asarray(vectors * values), atol=1e-4)


def test_eigh_gradient_of_the_eigenvalues():
    spd = jnp.asarray(_spd((3, 3)))
    ours = jax.grad(lambda m: jnp.sum(lla.eigh(m)[0] ** 2))(spd)
    want = jax.grad(lambda m: jnp.sum(keras.ops.linalg.eigh(m)[0] ** 2))(spd)
    assert_close(ours, want, 1e-4, 1e-4)


def test_jvp_matches_keras_with_and_without_aux():
    x, t = rand((3,)), rand((3,))
    assert_close(lla.jvp(jnp.sin, (x,), (t,)), keras.ops.linalg.jvp(jnp.sin, (x,), (t,)))

    def f(v):
        return jnp.sum(v**2), v * 2

    assert_close(lla.jvp(f, (x,), (t,), has_aux=True),
                 keras.ops.linalg.jvp(f, (x,), (t,), has_aux=True))
    w = lx.Variable(x)
    assert_close(lla.jvp(jnp.sin, (w,), (t,))[1], jnp.cos(x) * t)


def test_variables_are_accepted():
    w = lx.Variable(_spd((3, 3)))
    assert_close(lla.inv(w), keras.ops.linalg.inv(w.numpy()), 1e-5, 1e-5)


@pytest.mark.parametrize("call, match", [
    (lambda: lla.inv(rand((3, 4))), "square"),
    (lambda: lla.det(rand((3,))), "rank >= 2"),
    (lambda: lla.qr(rand((3, 3)), mode="r"), "mode"),
    (lambda: lla.cholesky(-np.eye(2, dtype="float32")), "positive-definite"),
    (lambda: lla.lstsq(rand((3, 2)), rand((4,))), "lstsq"),
])
def test_bad_input_raises_clear_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()
