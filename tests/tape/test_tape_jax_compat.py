"""How the tape depends on jax: one table of internal names, a public transpose, no leaks.

These checks run on every jax CI tests (the lowest supported, 0.10.2 and the newest).
"""

from __future__ import annotations

import ast
import pathlib
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import layerax as lx
from layerax.tape import _compat, gradient_tape
from tests.tape.test_tape_compiled import _hlo_ops

PACKAGE = pathlib.Path(lx.__file__).parent


def _loss(w, b, x):
    h = jnp.tanh(x @ w + b)
    # take_along_axis and an integer gather leave integer residuals in the tangent jaxpr.
    picked = jnp.take_along_axis(h, jnp.array([[1], [0], [2], [1]]), axis=1)
    return jnp.mean(picked**2) + jnp.sum(jnp.sin(w) * w)


def _inputs():
    rng = np.random.default_rng(0)
    w = rng.normal(size=(3, 3)).astype("float32")
    b = rng.normal(size=(3,)).astype("float32")
    x = jnp.asarray(rng.normal(size=(4, 3)).astype("float32"))
    return w, b, x


def _tape_grads(w, b, x):
    wv, bv = lx.Variable(w, name="w"), lx.Variable(b, name="b")
    with lx.GradientTape() as tape:
        loss = _loss(wv, bv, x)
    return (loss, *tape.gradient(loss, [wv, bv]))


def _stateless_tape(w, b, x):
    with lx.GradientTape() as tape:
        tape.watch([w, b])
        loss = _loss(w, b, x)
    return (loss, *tape.gradient(loss, [w, b]))


def _reference(w, b, x):
    loss, (gw, gb) = jax.value_and_grad(_loss, argnums=(0, 1))(w, b, x)
    return loss, gw, gb


@pytest.mark.parametrize("public_only", [False, True], ids=["backward_pass", "linear_transpose"])
def test_both_transpose_paths_give_jax_grad(monkeypatch, public_only):
    monkeypatch.setattr(_compat, "_PUBLIC_ONLY", public_only)
    w, b, x = _inputs()
    want = _reference(w, b, x)
    eager = _tape_grads(w, b, x)
    compiled = jax.jit(_stateless_tape)(w, b, x)
    for got in (eager, compiled):
        for g, r in zip(got, want):
            np.testing.assert_allclose(np.asarray(g), np.asarray(r), rtol=1e-5, atol=1e-6)


def test_compiled_tape_jaxpr_equals_value_and_grad_with_integer_residuals():
    w, b, x = _inputs()
    got = str(jax.make_jaxpr(_stateless_tape)(w, b, x))
    want = str(jax.make_jaxpr(_reference)(w, b, x))
    assert got == want


def test_public_transpose_compiles_to_the_same_hlo_ops(monkeypatch):
    # The public path adds only empty calls to the jaxpr; XLA removes them.
    w, b, x = _inputs()

    def hlo_ops(fn):
        return _hlo_ops(jax.jit(fn).lower(w, b, x).compile().as_text())

    monkeypatch.setattr(_compat, "_PUBLIC_ONLY", True)
    assert hlo_ops(_stateless_tape) == hlo_ops(_reference)


def test_a_missing_internal_is_named_on_first_tape_use_never_at_import(monkeypatch):
    monkeypatch.setitem(_compat._LOCATIONS, "NotInJax", ("jax._src.core:NoSuchName",))
    monkeypatch.setattr(_compat, "_MISSING", dict(_compat._MISSING))
    missing = _compat._resolve("NotInJax")
    with pytest.raises(ImportError, match="NotInJax .*jax._src.core:NoSuchName"):
        missing()
    assert any("NotInJax" in name for name in _compat.missing_names())
    # The engine (imported on the first tape) refuses to load and the tape says why.
    monkeypatch.delitem(sys.modules, "layerax.tape._engine", raising=False)
    monkeypatch.delattr(lx.tape, "_engine", raising=False)
    monkeypatch.setattr(gradient_tape, "_BACKEND", {"engine": None, "error": None})
    with pytest.raises(lx.tape.UnsupportedJaxError, match="NotInJax") as info:
        lx.GradientTape()
    assert "stateless_call" in str(info.value)


def test_every_table_name_resolves_on_this_jax():
    assert _compat.missing_names() == []
    assert _compat.ARRAY_TYPE is type(jnp.zeros(()))


def test_public_homes_are_preferred():
    import jax.extend.core as extend_core

    if hasattr(extend_core, "set_current_trace"):  # jax.extend.core has it since 0.8
        assert _compat.set_current_trace is extend_core.set_current_trace
    assert _compat.Tracer is jax.core.Tracer


def _imports(path: pathlib.Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


def test_only_compat_imports_private_jax():
    offenders = {}
    for path in PACKAGE.rglob("*.py"):
        if path == PACKAGE / "tape" / "_compat.py":
            continue
        private = [
            name
            for name in _imports(path)
            if name.startswith(("jax._src", "jax.interpreters", "jaxlib"))
        ]
        text = path.read_text()
        if "jax._src" in text.replace("# ", ""):
            private.append("jax._src (by string)")
        if private:
            offenders[str(path.relative_to(PACKAGE))] = private
    assert offenders == {}


def test_the_shim_table_names_each_version_change():
    whats = [row[0] for row in _compat.VERSION_SHIMS]
    assert any("LinearizeTrace" in w for w in whats)
    assert any("residual" in w for w in whats)
    for row in _compat.VERSION_SHIMS:
        assert len(row) == 3 and all(isinstance(cell, str) and cell for cell in row)
