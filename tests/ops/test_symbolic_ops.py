"""`lx.ops` on symbolic tensors (functional API): every op records a node that a model runs.

For every function of `lx.ops` one case of the parity tables (tests/ops/test_*_parity.py) is
replayed with its array arguments replaced by `lx.Input`s: the model built from the symbolic
result must give the eager op's values, shapes and dtypes, and the symbolic spec must match
`keras.ops.<name>` on `keras.KerasTensor`s where Keras can infer it.
"""

from __future__ import annotations

import json
import types
import warnings
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import layerax as lx
from layerax import ops
from tests.helpers import keras
from tests.ops import (test_core_parity, test_image_parity, test_linalg_parity,
                       test_math_parity, test_nn_parity, test_numpy_parity)
from tests.ops._parity import Case
from tests.ops.parity import assert_same


def _f(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-1.0, 1.0, shape).astype("float32")


# Ops that take Python callables: their tensor arguments become symbolic, the callables are
# constants of the node (the parity tables leave them to hand-written tests).
_CONTROL_FLOW: dict[str, tuple[tuple[Any, ...], dict[str, Any]]] = {
    "cond": ((np.array(True), lambda: jnp.ones(2), lambda: jnp.zeros(2)), {}),
    "switch": ((np.array(1, "int32"), [lambda v: v + 1.0, lambda v: v * 2.0], _f((3,))), {}),
    "scan": ((lambda c, v: (c + v, c * v), np.float32(0.0) + np.zeros((), "float32"),
              _f((4,))), {}),
    "associative_scan": ((lambda a, b: a + b, _f((5,))), {}),
    "map": ((lambda v: v * 2.0, _f((3, 2))), {}),
    "vectorized_map": ((lambda v: jnp.sum(v), _f((3, 2))), {}),
    "fori_loop": ((0, 3, lambda i, v: v * 2.0, _f((2,))), {}),
    "jvp": ((lambda v: jnp.sin(v), (_f((3,)),), (_f((3,), 1),)), {}),
    "eig": ((_f((3, 3)),), {}),
    "elastic_transform": ((_f((2, 8, 8, 1)),), {"seed": 1}),
    "while_loop": ((lambda v: jnp.sum(v) < 10.0, lambda v: (v * 2.0,), (_f((2,)) + 2.0,)),
                   {"maximum_iterations": 5}),
}

# Functions of lx.ops without a symbolic case, with the reason.
EXCLUDED: dict[str, str] = {
    "custom_gradient": "takes and returns a Python function: no tensor argument",
    "vectorize": "takes and returns a Python function: no tensor argument",
    "convert_to_numpy": "a numpy array cannot hold a symbolic tensor: raises as in Keras "
                        "(test_convert_to_numpy_raises)",
    "shape": "pure Python on the shape: test_pure_python_ops",
    "dtype": "pure Python on the dtype: test_pure_python_ops",
    "is_tensor": "pure Python: test_pure_python_ops",
    "ndim": "pure Python on the shape: test_pure_python_ops",
    "nonzero": "output shape depends on the values: raises a ValueError naming the op "
               "(test_data_dependent_shapes_raise)",
    "unique": "output shape depends on the values (test_data_dependent_shapes_raise)",
    "bincount": "output length depends on the values (test_data_dependent_shapes_raise)",
}

# Ops whose symbolic output Keras 3.15 cannot infer on KerasTensors (it raises): ours is
# checked against the eager op only. The test asserts that Keras still raises for each.
KERAS_RAISES = {
    # Bugs of Keras' compute_output_spec for these arguments (an int output_size; hstack of
    # 1-d tensors).
    "adaptive_average_pool", "adaptive_max_pool", "hstack",
}


# Keras' symbolic output spec differs from its own eager op for these (ours follows the
# eager op: the test checks both).
KERAS_SPEC_DIFFERS = {"corrcoef", "eig", "lu_factor", "multi_hot", "polar", "slogdet", "vstack"}

# Cases run outside `jax.jit` (their parity cases are not jittable).
EAGER: set[str] = set()


# Ops whose models are run on arrays and compared with the eager op (one of each kind:
# element-wise, reductions, lists of tensors, several outputs, each family, control flow).
VALUE_SAMPLE = [
    "add", "where", "mean", "matmul", "einsum", "concatenate", "stack", "split", "meshgrid",
    "reshape", "take", "argsort", "cast", "unstack", "scan", "cond", "relu", "softmax",
    "conv", "max_pool", "top_k", "stft", "svd", "qr", "resize", "rearrange",
]


def _first_cases() -> dict[str, tuple[tuple[Any, ...], dict[str, Any]]]:
    """One (args, kwargs) per op, from the parity tables."""
    cases: dict[str, tuple[tuple[Any, ...], dict[str, Any]]] = {}
    for module in (test_numpy_parity, test_core_parity):
        for name, spec in module.SPECS.items():
            rng = np.random.default_rng(sum(map(ord, name)))
            cases[name] = (tuple(spec.make(rng, spec.dtypes[0], spec.shapes[0])),
                           dict(spec.kwargs[0]))
    for module in (test_image_parity, test_linalg_parity, test_math_parity, test_nn_parity):
        for case in module.CASES:
            assert isinstance(case, Case)
            cases.setdefault(case.name, (tuple(case.args), dict(case.kwargs)))
    cases["rearrange"] = ((_f((2, 3, 4)), "b h w -> b (h w)"), {})
    cases.update(_CONTROL_FLOW)
    return cases


CASES = _first_cases()
FUNCTIONS = sorted(n for n in ops.__all__ if not isinstance(getattr(ops, n), types.ModuleType))


def _is_array(x: Any) -> bool:
    return isinstance(x, (np.ndarray, jax.Array))


def _symbolic(tree: Any, make: Any, found: list[Any]) -> Any:
    """`tree` with each array replaced by `make(array)` (the arrays are appended to found)."""
    if _is_array(tree):
        found.append(tree)
        return make(tree)
    if type(tree) in (list, tuple):
        return type(tree)(_symbolic(v, make, found) for v in tree)
    if type(tree) is dict:
        return {k: _symbolic(v, make, found) for k, v in tree.items()}
    return tree


def _specs(tree: Any) -> list[tuple[tuple[Any, ...], str]]:
    leaves = jax.tree_util.tree_leaves(tree, is_leaf=lambda v: hasattr(v, "shape"))
    return [(tuple(v.shape), jnp.dtype(v.dtype).name) for v in leaves]


def test_every_function_has_a_case_or_a_reason():
    missing = [n for n in FUNCTIONS if n not in CASES and n not in EXCLUDED]
    assert not missing, f"ops without a symbolic case: {missing}"
    assert set(KERAS_RAISES) | set(_CONTROL_FLOW) <= set(CASES)


def _keras_op(k: Any, name: str) -> Any:
    return getattr(k.ops, name) if hasattr(k.ops, name) else getattr(k.ops.image, name)


def _build(name: str, k: Any) -> tuple[Any, list[Any], Any, Any]:
    """The model of one case, its arrays, its symbolic outputs and Keras' symbolic outputs."""
    args, kwargs = CASES[name]
    fn = getattr(ops, name)
    arrays: list[Any] = []
    inputs: list[Any] = []

    def make_input(a: Any) -> Any:
        inputs.append(lx.Input(batch_shape=a.shape, dtype=jnp.asarray(a).dtype))
        return inputs[-1]

    sym_args, sym_kwargs = _symbolic((args, kwargs), make_input, arrays)
    if not arrays:  # creation ops (`ones(shape)`, `arange(n)`): nothing is symbolic
        return None, [], None, None
    out = fn(*sym_args, **sym_kwargs)
    k_args, k_kwargs = _symbolic(
        (args, kwargs), lambda a: k.KerasTensor(a.shape, jnp.asarray(a).dtype.name), [])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = _keras_op(k, name)(*k_args, **k_kwargs)
    except Exception:
        theirs = None
    return lx.Model(inputs, out), arrays, out, theirs


def test_every_op_on_symbolic_tensors_matches_eager_and_keras():
    k = keras()
    built = {name: _build(name, k) for name in FUNCTIONS if name not in EXCLUDED}
    built = {name: b for name, b in built.items() if b[0] is not None}
    assert len(built) > 250, sorted(built)
    keras_raised = {name for name, b in built.items() if b[3] is None}
    assert keras_raised == KERAS_RAISES
    differs, failures = set(), []
    for name, (_, _, out, theirs) in built.items():
        if theirs is None or _specs(out) == _specs(theirs):
            continue
        # Where Keras' symbolic spec disagrees with its own eager op, ours must match the
        # eager op (and the op must be listed in KERAS_SPEC_DIFFERS).
        args, kwargs = CASES[name]
        eager = _keras_op(k, name)(*args, **kwargs)
        if _specs(out) == _specs(eager):
            differs.add(name)
        else:
            failures.append(f"{name}: {_specs(out)} != Keras {_specs(theirs)}")
    assert not failures, failures
    assert differs == KERAS_SPEC_DIFFERS

    # Every model computes exactly what the op computes on the arrays: the same program
    # (jaxpr) as the direct call. Compiling ~350 programs would cost minutes; values are
    # compared below on a sample of every family, eager op vs the models in one program.
    for name, (model, arrays, out, _) in built.items():
        arrays = [jnp.asarray(a) for a in arrays]
        direct = jax.make_jaxpr(lambda a, name=name: _call(name, a))(arrays)
        assert str(jax.make_jaxpr(model)(arrays)) == str(direct), name
        assert _specs(out) == _specs(jax.eval_shape(lambda a, name=name: _call(name, a), arrays))

    sample = [n for n in VALUE_SAMPLE if n in built]
    assert len(sample) == len(VALUE_SAMPLE)
    arrays = {n: [jnp.asarray(a) for a in built[n][1]] for n in sample}
    got = jax.jit(lambda arrays: {n: built[n][0](arrays[n]) for n in arrays})(arrays)
    for name in sample:
        expected = getattr(ops, name)(*CASES[name][0], **CASES[name][1])
        assert_same(got[name], expected, 1e-5, 1e-5, f"{name}: model vs eager op")
        assert _specs(built[name][2]) == _specs(expected), name


def _call(name: str, arrays: list[Any]) -> Any:
    args, kwargs = _fill(name, arrays)
    return getattr(ops, name)(*args, **kwargs)


def _fill(name: str, arrays: list[Any]) -> tuple[Any, Any]:
    """The case's (args, kwargs) with its arrays replaced by `arrays`, in order."""
    it = iter(arrays)
    return _symbolic(CASES[name], lambda a: next(it), [])


def test_pure_python_ops_answer_like_keras():
    k = keras()
    x, kx = lx.Input(batch_shape=(None, 3)), k.KerasTensor((None, 3))
    assert ops.shape(x) == k.ops.shape(kx) == (None, 3)
    assert ops.dtype(x) == k.ops.dtype(kx) == "float32"
    assert ops.is_tensor(x) is k.ops.is_tensor(kx) is False
    # Keras returns a KerasTensor here; the rank of a symbolic tensor is always known.
    assert ops.ndim(x) == 2


def test_convert_to_numpy_raises():
    with pytest.raises(ValueError, match="convert_to_numpy"):
        ops.convert_to_numpy(lx.Input(shape=(3,)))


def test_data_dependent_shapes_raise():
    x = lx.Input(batch_shape=(5,), dtype="int32")
    for name in ("nonzero", "unique", "bincount"):
        with pytest.raises(ValueError, match=rf"`ops.{name}`.*shape=\(5,\) dtype=int32"):
            getattr(ops, name)(x)


def test_unknown_batch_size():
    x = lx.Input(shape=(4,))
    y = lx.Input(shape=(2,))
    mean = ops.mean(x, axis=-1)
    pairs = ops.reshape(x, (-1, 2))
    both = ops.concatenate([x, y], axis=-1)
    first, second = ops.split(x, 2, axis=-1)
    assert (mean.shape, pairs.shape, both.shape) == ((None,), (None, 2), (None, 6))
    assert (first.shape, second.shape) == ((None, 2), (None, 2))
    model = lx.Model([x, y], [mean, pairs, both, second])
    a, b = _f((3, 4)), _f((3, 2), 1)
    got = model([a, b])
    want = [np.mean(a, axis=-1), a.reshape(-1, 2), np.concatenate([a, b], -1), a[:, 2:]]
    for g, w in zip(got, want):
        np.testing.assert_allclose(np.asarray(g), w, rtol=1e-6)


def test_config_round_trip_and_clone():
    x = lx.Input(shape=(4,), name="x")
    w = np.arange(12, dtype="float32").reshape(4, 3) / 10.0
    h = ops.relu(ops.matmul(x, w))
    h = ops.clip(ops.einsum("bi,bi->b", h, h), 0.0, 50.0)
    out = ops.stack([h, ops.sum(x, axis=1)], axis=-1)
    model = lx.Model(x, out)
    config = model.get_config()
    op_layers = [layer for layer in config["layers"] if layer["class_name"] == "OpLayer"]
    assert [layer["config"]["op"] for layer in op_layers] == [
        "numpy.matmul", "nn.relu", "numpy.einsum", "numpy.clip", "numpy.sum", "numpy.stack"]
    assert op_layers[-1]["config"]["kwargs"] == {"axis": -1}
    a = _f((2, 4))
    want = np.stack([np.clip(np.sum(np.maximum(a @ w, 0) ** 2, 1), 0, 50), a.sum(1)], -1)
    again = lx.Model.from_config(json.loads(json.dumps(config)))
    clone = lx.models.clone_model(model)
    for m in (model, again, clone):
        np.testing.assert_allclose(np.asarray(m(a)), want, rtol=1e-5)


def test_error_names_the_op_the_inputs_and_the_cause():
    x = lx.Input(shape=(4,))
    with pytest.raises(ValueError, match=r"`ops.matmul` \(numpy.matmul\).*shape=\(None, 4\) "
                                         r"dtype=float32.*TypeError: dot_general"):
        ops.matmul(x, np.ones((3, 2), "float32"))


def test_numpy_and_variable_constants():
    x = lx.Input(shape=(3,))
    scale = lx.Variable(np.array([1.0, 2.0, 3.0], "float32"), trainable=False)
    offset = np.array([0.5, 0.0, -0.5], "float32")
    y = ops.add(ops.multiply(x, scale), offset)
    model = lx.Model(x, ops.where(y > 1.0, y, offset))
    a = _f((2, 3))

    def want(s):
        v = a * s + offset
        return np.where(v > 1.0, v, offset)
    np.testing.assert_allclose(np.asarray(model(a)), want(np.array([1.0, 2.0, 3.0])), rtol=1e-6)
    # The Variable is a weight of the model: a new value is seen, also under jit.
    assert any(v is scale for v in model.weights)
    scale.assign(np.array([3.0, 3.0, 3.0], "float32"))
    np.testing.assert_allclose(np.asarray(jax.jit(lambda t: model(t))(a)),
                               want(np.array([3.0, 3.0, 3.0])), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(lx.Model.from_config(model.get_config())(a)),
                               want(np.array([3.0, 3.0, 3.0])), rtol=1e-6)


def test_elementwise_ops_keep_masks_and_others_drop_them():
    x = lx.Input(shape=(3, 2))
    masked = lx.layers.Masking(0.0)(x)
    assert ops.exp(masked)._lx_mask is not None
    assert ops.relu(masked)._lx_mask is not None
    assert ops.sum(masked, axis=-1)._lx_mask is None


def test_wrapped_ops_keep_their_identity():
    import inspect

    assert ops.add is ops.numpy.add and ops.relu is ops.nn.relu
    for name in ("add", "relu", "cond", "resize"):
        fn = getattr(ops, name)
        assert fn.__name__ == name and fn.__doc__ == fn.__wrapped__.__doc__
        assert inspect.signature(fn) == inspect.signature(fn.__wrapped__)
    # Errors on arrays are the op's own, unchanged.
    with pytest.raises(TypeError, match="dot_general"):
        ops.matmul(np.ones((2, 4)), np.ones((3, 2)))


def test_an_op_calling_another_op_records_one_node_named_after_itself():
    x = lx.Input(shape=(3,))
    model = lx.Model(x, ops.cast(x, "int32"))  # cast calls convert_to_tensor inside
    assert [getattr(layer, "op", None) for layer in model.layers[1:]] == ["core.cast"]
    assert model.output.dtype == "int32"
    np.testing.assert_array_equal(np.asarray(model(np.array([[1.5, -2.5, 3.0]], "float32"))),
                                  [[1, -2, 3]])
