"""`lx.ops` has every name of `keras.ops` (for the families listed here), and `lx.tree` every
name of `keras.tree`."""

from __future__ import annotations

import importlib

import pytest

from layerax import ops
from tests.helpers import keras

# (Keras module that defines the family, the layerax module that provides it, the parity-test
# module whose SPECS and LEFT_OUT tables must cover the family.) The nn, math, linalg and
# image families are added here with their modules.
FAMILIES = [
    ("keras.src.ops.numpy", "layerax.ops.numpy", "tests.ops.test_numpy_parity"),
    ("keras.src.ops.core", "layerax.ops.core", "tests.ops.test_core_parity"),
]

# Names of keras.ops deliberately absent from lx.ops, with the reason. None for now.
EXCLUDED: dict[str, str] = {}


def keras_names(keras_module: str) -> list[str]:
    """The public names of `keras.ops` defined in `keras_module`."""
    k_ops = keras().ops
    return sorted(n for n in dir(k_ops) if not n.startswith("_")
                  and getattr(getattr(k_ops, n), "__module__", None) == keras_module)


@pytest.mark.parametrize("keras_module,ours,_tests", FAMILIES, ids=[f[1] for f in FAMILIES])
def test_lx_ops_has_every_keras_name(keras_module, ours, _tests):
    expected = set(keras_names(keras_module)) - set(EXCLUDED)
    assert expected, f"no names found in {keras_module}: did Keras move its ops?"
    missing = expected - set(dir(ops))
    assert not missing, f"lx.ops lacks these keras.ops names: {sorted(missing)}"
    family = importlib.import_module(ours)
    missing_in_family = expected - set(family.__all__)
    assert not missing_in_family, f"{ours}.__all__ lacks {sorted(missing_in_family)}"
    assert set(family.__all__) <= set(ops.__all__)
    for name in expected:
        assert getattr(ops, name) is getattr(family, name), name


@pytest.mark.parametrize("keras_module,_ours,tests_module", FAMILIES,
                         ids=[f[1] for f in FAMILIES])
def test_parity_tables_cover_the_family(keras_module, _ours, tests_module):
    tests = importlib.import_module(tests_module)
    covered = set(tests.SPECS) | set(tests.LEFT_OUT)
    missing = set(keras_names(keras_module)) - set(EXCLUDED) - covered
    assert not missing, f"{tests_module} has no parity spec for {sorted(missing)}"
    assert not set(tests.SPECS) & set(tests.LEFT_OUT)


def test_family_submodules_mirror_keras():
    for family in ("numpy", "core"):
        assert getattr(ops, family).__name__ == f"layerax.ops.{family}"


def test_lx_tree_has_every_keras_tree_name():
    import layerax as lx

    wanted = {n for n in dir(keras().tree) if not n.startswith("_")}
    assert wanted - set(lx.tree.__all__) == set()


def test_lx_ops_has_every_public_keras_ops_name():
    # Every family at once (the nn, math, linalg and image parity files check their own
    # coverage): a name a new Keras release adds to keras.ops fails here until lx.ops has it.
    wanted = {n for n in dir(keras().ops) if not n.startswith("_")} - set(EXCLUDED)
    assert sorted(wanted - set(dir(ops))) == []


def test_no_two_families_define_the_same_name():
    seen: dict[str, str] = {}
    for family in ops._FAMILIES:
        for name in family.__all__:
            assert name not in seen, f"{name} is in {seen.get(name)} and {family.__name__}"
            seen[name] = family.__name__


@pytest.mark.parametrize(
    "shape,pattern,lengths",
    [
        ((2, 3, 4, 5), "b h w c -> b c h w", {}),
        ((2, 3, 4, 5), "b h w c -> (b h) w c", {}),
        ((2, 3, 4, 5), "b h w c -> h (b w) c", {}),
        ((2, 3, 4, 5), "b h w c -> b (c h w)", {}),
        ((2, 4, 6, 5), "b (h1 h) (w1 w) c -> (b h1 w1) h w c", {"h1": 2, "w1": 3}),
        ((2, 4, 6, 5), "b (h h1) (w w1) c -> b h w (c h1 w1)", {"h1": 2, "w1": 2}),
    ],
)
def test_rearrange_matches_keras(shape, pattern, lengths):
    import jax
    import numpy as np

    x = np.random.default_rng(0).normal(size=shape).astype("float32")
    want = np.asarray(keras().ops.rearrange(x, pattern, **lengths))
    got = ops.rearrange(x, pattern, **lengths)
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_array_equal(np.asarray(got), want)
    jitted = jax.jit(lambda t: ops.rearrange(t, pattern, **lengths))(x)
    np.testing.assert_array_equal(np.asarray(jitted), want)


@pytest.mark.parametrize(
    "pattern,lengths,message",
    [
        ("b h w -> b w h", {}, "names 3 axes"),
        ("b h w c -> b h w", {}, "same axes"),
        ("b (h1 h) w c -> b h1 h w c", {}, "give the lengths"),
        ("b (h1 h) w c -> b h1 h w c", {"h1": 5}, "does not split"),
        ("b h w c => b h w c", {}, "input axes -> output axes"),
        ("b h w c -> b h w c", {"z": 2}, "not in"),
    ],
)
def test_rearrange_errors_say_what_is_wrong(pattern, lengths, message):
    import numpy as np

    with pytest.raises(ValueError, match=message):
        ops.rearrange(np.zeros((2, 4, 6, 3)), pattern, **lengths)
