"""Top-level Keras 3 names: lx.name_scope, lx.device, lx.version (layerax/scopes.py) and the
re-exported base classes, against Keras 3."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import pytest

import layerax as lx
from tests.helpers import keras


def _paths(module):
    caller = object()
    with module.name_scope("outer"):
        with module.name_scope("inner"):
            v = module.Variable(1.0, name="v")
        with module.name_scope("x", override_parent="a/b"):
            w = module.Variable(1.0, name="w")
        dense = module.layers.Dense(2)
        dense.build((None, 3))
        after = module.Variable(1.0, name="after")
    with module.name_scope("s", caller=caller):
        with module.name_scope("s", caller=caller):
            dedup = module.Variable(1.0, name="u")
        with module.name_scope("s", caller=caller, deduplicate=False):
            nested = module.Variable(1.0, name="u")
    return [v.path, w.path, dense.kernel.path, after.path, dedup.path, nested.path]


def test_name_scope_paths_match_keras():
    assert _paths(lx) == _paths(keras())
    assert lx.Variable(1.0, name="top").path == "top"


@pytest.mark.parametrize("bad", ["a/b", 3, None])
def test_name_scope_rejects_bad_names(bad):
    with pytest.raises(ValueError, match="name"):
        lx.name_scope(bad)


def test_device_places_new_arrays():
    with lx.device("cpu:0"):
        x = jnp.ones(2)
        v = lx.Variable(jnp.zeros(3))
    assert x.devices() == {jax.devices("cpu")[0]}
    assert v.value.devices() == {jax.devices("cpu")[0]}
    with lx.device(jax.devices()[0]):
        assert jnp.ones(1).devices() == {jax.devices()[0]}
    with lx.device("CPU"):
        assert jnp.ones(1).devices() == {jax.devices("cpu")[0]}


def test_device_rejects_unknown_devices():
    with pytest.raises(ValueError, match="cpu device"):
        with lx.device(f"cpu:{len(jax.devices('cpu'))}"):
            pass
    with pytest.raises(ValueError, match="no 'nodevice'"):
        with lx.device("nodevice:0"):
            pass
    with pytest.raises(ValueError, match="cpu:0"):
        with lx.device(3):
            pass


def test_version_and_top_level_classes():
    k = keras()
    assert lx.version() == lx.__version__ and isinstance(k.version(), str)
    from layerax.core.input_spec import InputSpec

    assert lx.InputSpec is InputSpec
    pairs = {"Initializer": lx.initializers.Initializer, "Loss": lx.losses.Loss,
             "Metric": lx.metrics.Metric, "Optimizer": lx.optimizers.Optimizer,
             "Regularizer": lx.regularizers.Regularizer, "DTypePolicy": lx.dtype_policies.DTypePolicy,
             "FloatDTypePolicy": lx.dtype_policies.FloatDTypePolicy}
    for name, cls in pairs.items():
        assert getattr(lx, name) is cls
        assert hasattr(k, name)
    spec, kspec = lx.InputSpec(ndim=2, axes={-1: 3}), k.InputSpec(ndim=2, axes={-1: 3})
    assert (spec.ndim, spec.axes) == (kspec.ndim, kspec.axes)
    assert lx.FloatDTypePolicy("mixed_float16").compute_dtype == k.FloatDTypePolicy("mixed_float16").compute_dtype
