"""Parity of every op of `lx.ops`' numpy family with `keras.ops` (values, shapes, dtypes, grads)."""

from __future__ import annotations

import numpy as np
import pytest

from layerax import ops
from tests.ops.parity import (FLOAT_INT, FLOAT_INT_BOOL, FLOATS, Spec, binary, check_parity,
                              unary, values)

F32 = ("float32",)
INTS = ("int32", "uint8")
ALL_DTYPES = ("float32", "int32", "float16", "bool")


def _v(r, s, d, domain="any"):
    return values(r, s, d, domain)


def args_of(*makers):
    """A maker from per-argument makers of (rng, dtype, shape)."""
    return lambda r, d, s: tuple(m(r, d, s) for m in makers)


def arr(domain="any", dtype=None, shape=None):
    return lambda r, d, s: _v(r, shape if shape is not None else s, dtype or d, domain)


def const(value):
    return lambda r, d, s: value


def reduction(domain="any", dtypes=FLOAT_INT, extra=(), **spec):
    kwargs = ({}, {"axis": 0}, {"axis": -1, "keepdims": True}, *extra)
    return Spec(make=args_of(arr(domain)), dtypes=dtypes, shapes=((2, 3, 4), (5,)),
                kwargs=kwargs, **spec)


def cumulative(domain="any", dtypes=FLOAT_INT, **spec):
    return Spec(make=args_of(arr(domain)), dtypes=dtypes, shapes=((2, 3), (5,)),
                kwargs=({}, {"axis": 0}, {"axis": -1, "dtype": "float32"}), **spec)


def with_nans(r, d, s):
    x = _v(r, s, d)
    x.flat[::3] = np.nan
    return (x,)


def nan_reduction(**spec):
    return Spec(make=with_nans, dtypes=F32, shapes=((2, 3, 4), (5,)),
                kwargs=({}, {"axis": 0}, {"axis": -1, "keepdims": True}), **spec)


def creation(*args, kwargs=({}, {"dtype": "int32"}), **spec):
    return Spec(make=lambda r, d, s: args, dtypes=F32, shapes=((),), kwargs=kwargs, **spec)


def window(**spec):
    return Spec(make=lambda r, d, s: (5,), dtypes=F32, shapes=((),), **spec)


def matrix(shape):
    return lambda r, d, s: _v(r, shape, d)


def sorted_1d(r, d, s):
    return np.sort(_v(r, (6,), d))


SPECS: dict[str, Spec] = {
    # ----------------------------------------------------------------- unary element-wise
    "abs": unary(dtypes=ALL_DTYPES),
    "absolute": unary(),
    "angle": unary(grad=False),
    "arccos": unary("unit"),
    "arccosh": unary("ge1"),
    "arcsin": unary("unit"),
    "arcsinh": unary(),
    "arctan": unary(),
    "arctanh": unary("unit"),
    "bitwise_invert": unary(dtypes=INTS + ("bool",)),
    "bitwise_not": unary(dtypes=INTS),
    "cbrt": unary("pos"),
    "ceil": unary(dtypes=ALL_DTYPES),
    "conj": unary(),
    "conjugate": unary(),
    "copy": unary(),
    "cos": unary(),
    "cosh": unary(),
    "deg2rad": unary(),
    "exp": unary(),
    "exp2": unary(),
    "expm1": unary(),
    "fabs": unary(),
    "floor": unary(dtypes=ALL_DTYPES),
    "i0": unary(grad=False),
    "imag": unary(),
    "isfinite": unary(),
    "isinf": unary(),
    "isnan": unary(),
    "isneginf": unary(),
    "isposinf": unary(),
    "isreal": unary(),
    "log": unary("pos", dtypes=ALL_DTYPES),
    "log10": unary("pos"),
    "log1p": unary("pos"),
    "log2": unary("pos"),
    "logical_not": unary(dtypes=FLOAT_INT_BOOL),
    "nan_to_num": Spec(make=lambda r, d, s: (np.array([np.nan, np.inf, -np.inf, 1.5], d),),
                       dtypes=F32, shapes=((4,),),
                       kwargs=({}, {"nan": 1.0, "posinf": 9.0, "neginf": -9.0})),
    "negative": unary(dtypes=ALL_DTYPES[:3]),
    "rad2deg": unary(),
    "real": unary(),
    "reciprocal": unary("pos"),
    "round": unary(dtypes=("float32", "int32", "float16"),
                   kwargs=({}, {"decimals": 1}, {"decimals": -1})),
    "sign": unary(dtypes=ALL_DTYPES[:3]),
    "signbit": unary(),
    "sin": unary(),
    "sinc": unary(),
    "sinh": unary(),
    "sqrt": unary("nonneg", dtypes=ALL_DTYPES),
    "square": unary(),
    "tan": unary("unit"),
    "tanh": unary(),
    "trunc": unary(),
    "clip": Spec(make=args_of(arr(), const(-1), const(1)), dtypes=FLOAT_INT_BOOL + ("float16",)),
    # ---------------------------------------------------------------- binary element-wise
    "add": binary(scalar=1.5, dtypes=ALL_DTYPES),
    "subtract": binary(scalar=2, dtypes=("float32", "int32", "float16")),
    "multiply": binary(scalar=2.0, dtypes=ALL_DTYPES),
    "divide": binary(second="pos", scalar=2, dtypes=("float32", "int32", "float16")),
    "true_divide": binary(second="pos", scalar=2.0),
    "divide_no_nan": Spec(make=lambda r, d, s: (_v(r, s, d), _v(r, s, d, "unit").round()),
                          dtypes=("float32", "int32", "float16")),
    "floor_divide": binary(second="pos", scalar=2, grad=False),
    "power": binary("pos", scalar=2, dtypes=("float32", "int32", "float16")),
    "mod": binary(second="pos", scalar=3, grad=False),
    "fmod": binary(second="pos", scalar=3, grad=False),
    "maximum": binary(scalar=0.5, dtypes=ALL_DTYPES),
    "minimum": binary(scalar=0, dtypes=ALL_DTYPES),
    "fmax": binary(scalar=0.5),
    "fmin": binary(scalar=0.5),
    "arctan2": binary(scalar=1.0, dtypes=("float32", "int32", "float16")),
    "hypot": binary(),
    "logaddexp": binary(scalar=1.0, dtypes=("float32", "int32", "float16")),
    "logaddexp2": binary(scalar=1.0),
    "nextafter": binary(dtypes=F32, grad=False),
    "heaviside": binary(scalar=0.5),
    "ldexp": Spec(make=args_of(arr(), arr(dtype="int32")), dtypes=FLOATS),
    "gcd": binary(dtypes=INTS),
    "lcm": binary(dtypes=INTS),
    "equal": binary(scalar=1, dtypes=FLOAT_INT_BOOL),
    "not_equal": binary(scalar=1, dtypes=FLOAT_INT_BOOL),
    "greater": binary(scalar=0.5),
    "greater_equal": binary(scalar=0),
    "less": binary(scalar=0.5),
    "less_equal": binary(scalar=0),
    "logical_and": binary(dtypes=FLOAT_INT_BOOL),
    "logical_or": binary(dtypes=FLOAT_INT_BOOL),
    "logical_xor": binary(dtypes=FLOAT_INT_BOOL),
    "bitwise_and": binary(scalar=3, dtypes=INTS + ("bool",)),
    "bitwise_or": binary(scalar=3, dtypes=INTS + ("bool",)),
    "bitwise_xor": binary(scalar=3, dtypes=INTS + ("bool",)),
    "bitwise_left_shift": binary("nonneg", dtypes=INTS),
    "left_shift": binary("nonneg", dtypes=INTS),
    "bitwise_right_shift": binary("nonneg", dtypes=INTS),
    "right_shift": binary("nonneg", dtypes=INTS),
    "isclose": binary(kwargs=({}, {"rtol": 0.5, "atol": 0.5})),
    "allclose": Spec(make=lambda r, d, s: (_v(r, s, d), _v(r, s, d) * 0 + 1),
                     kwargs=({}, {"atol": 10.0})),
    # -------------------------------------------------------------------------- reductions
    "all": reduction(dtypes=FLOAT_INT_BOOL),
    "any": reduction(dtypes=FLOAT_INT_BOOL),
    "amax": reduction(),
    "amin": reduction(),
    "max": reduction(extra=({"axis": -1, "initial": 0.5},)),
    "min": reduction(extra=({"axis": -1, "initial": 0.5},)),
    "sum": reduction(dtypes=("float32", "int32", "bool", "int8", "float16")),
    "prod": reduction(dtypes=("float32", "int32", "bool"), extra=({"dtype": "float32"},)),
    "mean": reduction(dtypes=("float32", "int32", "float16", "bool")),
    "var": reduction(dtypes=("float32", "int32", "float16")),
    "std": reduction(dtypes=("float32", "int32", "float16")),
    "median": reduction(dtypes=("float32", "int32")),
    "ptp": reduction(grad=False),
    "argmax": reduction(),
    "argmin": reduction(),
    "count_nonzero": Spec(make=args_of(arr()), shapes=((2, 3, 4), (5,)),
                          kwargs=({}, {"axis": 0}, {"axis": (0, 2)}), dtypes=FLOAT_INT_BOOL),
    "nanmax": nan_reduction(),
    "nanmin": nan_reduction(),
    "nansum": nan_reduction(),
    "nanprod": nan_reduction(),
    "nanmean": nan_reduction(),
    "nanvar": nan_reduction(),
    "nanstd": nan_reduction(),
    "nanmedian": nan_reduction(),
    "nanargmax": nan_reduction(),
    "nanargmin": nan_reduction(),
    "cumsum": cumulative(dtypes=("float32", "int32", "bool")),
    "cumprod": cumulative(),
    "nancumsum": Spec(make=with_nans, dtypes=F32, kwargs=({}, {"axis": 0})),
    "nancumprod": Spec(make=with_nans, dtypes=F32, kwargs=({}, {"axis": 0})),
    "average": Spec(make=args_of(arr()), shapes=((5,), (2, 3)),
                    kwargs=({}, {"axis": 0}), dtypes=("float32", "int32")),
    "quantile": Spec(make=args_of(arr(), const(np.array([0.25, 0.5]))), shapes=((5,), (2, 3)),
                     kwargs=({}, {"axis": 0, "method": "nearest"}, {"axis": 1, "keepdims": True}
                             ) if False else ({}, {"axis": 0, "method": "nearest"})),
    "percentile": Spec(make=args_of(arr(), const(30.0)), shapes=((5,), (2, 3)),
                       kwargs=({}, {"axis": 0, "method": "midpoint"}, {"keepdims": True})),
    "nanquantile": Spec(make=lambda r, d, s: (*with_nans(r, d, s), 0.5), dtypes=F32,
                        kwargs=({}, {"axis": 0})),
    "nanpercentile": Spec(make=lambda r, d, s: (*with_nans(r, d, s), 50), dtypes=F32,
                          kwargs=({}, {"axis": 0})),
    "bincount": Spec(make=lambda r, d, s: (_v(r, s, "int32", "nonneg"), _v(r, s, d)),
                     shapes=((5,), (8,)), dtypes=F32,
                     kwargs=({}, {"minlength": 9}), grad=False, jit=False),
    "histogram": Spec(make=args_of(arr()), shapes=((7,),), kwargs=({}, {"bins": 3},
                                                                  {"range": (-1.0, 1.0)}),
                      grad=False, jit=False),
    "corrcoef": Spec(make=args_of(matrix((3, 5))), shapes=((),)),
    "trace": Spec(make=args_of(matrix((3, 4))), shapes=((),), dtypes=FLOAT_INT + ("bool",),
                  kwargs=({}, {"offset": 1})),
    "trapezoid": Spec(make=args_of(arr()), dtypes=FLOAT_INT, kwargs=({}, {"dx": 0.5})),
    # ---------------------------------------------------------------------------- creation
    "arange": creation(7, kwargs=({},)),
    "array": Spec(make=args_of(arr()), kwargs=({}, {"dtype": "float32"}), grad=False),
    "zeros": creation((2, 3)),
    "ones": creation((2, 3)),
    "empty": creation((2, 3)),
    "full": creation((2, 3), 7),
    "zeros_like": Spec(make=args_of(arr()), kwargs=({}, {"dtype": "float32"}), grad=False),
    "ones_like": Spec(make=args_of(arr()), kwargs=({}, {"dtype": "float32"}), grad=False),
    "empty_like": Spec(make=args_of(arr()), kwargs=({}, {"dtype": "float32"}), grad=False),
    "full_like": Spec(make=args_of(arr(), const(3)), kwargs=({}, {"dtype": "float32"}),
                      grad=False),
    "eye": creation(3, kwargs=({}, {"M": 4, "k": 1}, {"dtype": "int32"})),
    "identity": creation(3),
    "tri": creation(3, kwargs=({}, {"M": 2, "k": -1}, {"dtype": "int32"})),
    "linspace": creation(0.0, 1.0, kwargs=({}, {"num": 5, "endpoint": False},
                                           {"num": 4, "dtype": "float32"})),
    "logspace": creation(0.0, 2.0, kwargs=({}, {"num": 5, "base": 2.0})),
    "geomspace": creation(1.0, 8.0, kwargs=({}, {"num": 4, "endpoint": False})),
    "meshgrid": Spec(make=args_of(arr(shape=(3,)), arr(shape=(2,))),
                     kwargs=({}, {"indexing": "ij"}), shapes=((),)),
    "bartlett": window(),
    "blackman": window(),
    "hamming": window(),
    "hanning": window(),
    "kaiser": Spec(make=lambda r, d, s: (5, 2.0), dtypes=F32, shapes=((),)),
    "vander": Spec(make=args_of(arr(shape=(4,))), kwargs=({}, {"N": 3, "increasing": True}),
                   shapes=((),)),
    # ------------------------------------------------------------------ shape manipulation
    "reshape": Spec(make=args_of(arr(shape=(2, 6)), const((3, -1))), shapes=((),)),
    "ravel": unary(),
    "transpose": Spec(make=args_of(arr(shape=(2, 3, 4))), shapes=((),),
                      kwargs=({}, {"axes": (1, 0, 2)})),
    "swapaxes": Spec(make=args_of(arr(shape=(2, 3, 4)), const(0), const(2)), shapes=((),)),
    "moveaxis": Spec(make=args_of(arr(shape=(2, 3, 4)), const(0), const(-1)), shapes=((),)),
    "expand_dims": Spec(make=args_of(arr(), const(-1))),
    "squeeze": Spec(make=args_of(arr(shape=(1, 3, 1))), shapes=((),),
                    kwargs=({}, {"axis": 0}, {"axis": (0, 2)})),
    "broadcast_to": Spec(make=args_of(arr(shape=(3,)), const((2, 3))), shapes=((),)),
    "concatenate": Spec(make=lambda r, d, s: ([_v(r, s, d), _v(r, s, d)],),
                        kwargs=({}, {"axis": -1}), grad=False),
    "stack": Spec(make=lambda r, d, s: ([_v(r, s, d), _v(r, s, d)],),
                  kwargs=({}, {"axis": 1}), grad=False),
    "hstack": Spec(make=lambda r, d, s: ([_v(r, s, d), _v(r, s, d)],), grad=False),
    "vstack": Spec(make=lambda r, d, s: ([_v(r, s, d), _v(r, s, d)],), grad=False),
    "dstack": Spec(make=lambda r, d, s: ([_v(r, s, d), _v(r, s, d)],), grad=False),
    "append": binary(kwargs=({}, {"axis": 0})),
    "split": Spec(make=args_of(arr(shape=(4, 6)), const(2)), shapes=((),),
                  kwargs=({}, {"axis": 1})),
    "array_split": Spec(make=args_of(arr(shape=(5, 3)), const(2)), shapes=((),),
                        kwargs=({}, {"axis": 1})),
    "hsplit": Spec(make=args_of(arr(shape=(2, 4)), const(2)), shapes=((),)),
    "vsplit": Spec(make=args_of(arr(shape=(4, 2)), const([1, 3])), shapes=((),)),
    "dsplit": Spec(make=args_of(arr(shape=(1, 2, 4)), const(2)), shapes=((),)),
    "flip": Spec(make=args_of(arr()), kwargs=({}, {"axis": 0})),
    "fliplr": Spec(make=args_of(arr(shape=(2, 3))), shapes=((),)),
    "flipud": Spec(make=args_of(arr(shape=(2, 3))), shapes=((),)),
    "rot90": Spec(make=args_of(arr(shape=(2, 3))), shapes=((),),
                  kwargs=({}, {"k": 3}, {"axes": (1, 0)})),
    "roll": Spec(make=args_of(arr(), const(2)), kwargs=({}, {"axis": 0})),
    "repeat": Spec(make=args_of(arr(), const(2)), kwargs=({}, {"axis": 0})),
    "tile": Spec(make=args_of(arr(), const((2, 1)))),
    "pad": Spec(make=args_of(arr(shape=(2, 3)), const(((1, 0), (0, 2)))), shapes=((),),
                kwargs=({}, {"mode": "reflect"}, {"constant_values": 3})),
    "diag": Spec(make=args_of(arr()), kwargs=({}, {"k": 1})),
    "diagflat": Spec(make=args_of(arr()), kwargs=({}, {"k": -1})),
    "diagonal": Spec(make=args_of(arr(shape=(3, 4, 2))), shapes=((),),
                     kwargs=({}, {"offset": 1, "axis1": 1, "axis2": 0})),
    "diff": Spec(make=args_of(arr()), kwargs=({}, {"n": 2, "axis": 0})),
    "tril": Spec(make=args_of(arr(shape=(3, 4))), shapes=((),), kwargs=({}, {"k": -1})),
    "triu": Spec(make=args_of(arr(shape=(3, 4))), shapes=((),), kwargs=({}, {"k": 1})),
    "view": Spec(make=args_of(arr()), dtypes=("float32", "int32"),
                 kwargs=({}, {"dtype": "int32"}, {"dtype": "uint8"}), grad=False),
    "ndim": unary(grad=False, jit=False),
    "size": unary(grad=False, jit=False),
    # ---------------------------------------------------------------- indexing, selection
    "get_item": Spec(make=args_of(arr(shape=(3, 4)), const((slice(1, None), 2))), shapes=((),)),
    "take": Spec(make=args_of(arr(shape=(3, 4)), const(np.array([[2, 0], [-1, 1]]))),
                 shapes=((),), kwargs=({}, {"axis": 0}, {"axis": 1})),
    "take_along_axis": Spec(make=args_of(arr(shape=(3, 4)),
                                         const(np.array([[0, 2, 1, 3]] * 3))),
                            shapes=((),), kwargs=({"axis": 1}, {"axis": 0})),
    "where": Spec(make=lambda r, d, s: (_v(r, s, "bool"), _v(r, s, d), _v(r, s, d))),
    "select": Spec(make=lambda r, d, s: ([_v(r, s, "bool"), _v(r, s, "bool")],
                                         [_v(r, s, d), _v(r, s, d)]),
                   kwargs=({}, {"default": 7}), grad=False),
    "nonzero": unary(grad=False, jit=False),
    "sort": Spec(make=args_of(arr()), kwargs=({}, {"axis": 0})),
    "argsort": Spec(make=args_of(arr()), kwargs=({}, {"axis": 0})),
    "argpartition": Spec(make=lambda r, d, s: (r.permutation(6).astype(d), 2),
                         shapes=((),), grad=False),
    "searchsorted": Spec(make=lambda r, d, s: (sorted_1d(r, d, s), _v(r, s, d)),
                         kwargs=({}, {"side": "right"})),
    "digitize": Spec(make=lambda r, d, s: (_v(r, s, d), np.array([-1.0, 0.0, 1.5])),
                     grad=False),
    "isin": Spec(make=args_of(arr(), arr(shape=(3,))), kwargs=({}, {"invert": True})),
    "unique": Spec(make=args_of(arr("nonneg", dtype="int32")), dtypes=F32,
                   kwargs=({}, {"return_counts": True, "return_index": True}, {"size": 8}),
                   grad=False, jit=False),
    "unravel_index": Spec(make=lambda r, d, s: (np.array([0, 5, 7]), (2, 4)), dtypes=F32,
                          shapes=((),)),
    # ------------------------------------------------------------------------ products
    "matmul": Spec(make=args_of(arr(shape=(2, 3)), arr(shape=(3, 4))), shapes=((),),
                   dtypes=("float32", "int32", "int8")),
    "dot": Spec(make=args_of(arr(shape=(2, 3)), arr(shape=(3,))), shapes=((),),
                dtypes=("float32", "int32", "int8")),
    "einsum": Spec(make=lambda r, d, s: ("ij,jk->ik", _v(r, (2, 3), d), _v(r, (3, 4), d)),
                   shapes=((),), dtypes=("float32", "int32", "int8")),
    "tensordot": Spec(make=args_of(arr(shape=(2, 3)), arr(shape=(3, 4))), shapes=((),),
                      kwargs=({"axes": 1}, {"axes": ([1], [0])})),
    "inner": binary(),
    "vdot": binary(),
    "outer": binary(),
    "kron": binary(),
    "cross": Spec(make=args_of(arr(shape=(2, 3)), arr(shape=(2, 3))), shapes=((),),
                  kwargs=({}, {"axis": 1})),
    "correlate": Spec(make=args_of(arr(shape=(5,)), arr(shape=(3,))), shapes=((),),
                      kwargs=({}, {"mode": "same"}, {"mode": "full"})),
    "slogdet": Spec(make=args_of(matrix((2, 3, 3))), shapes=((),), dtypes=F32),
}

# Ops not in SPECS, with the reason (test_names checks that this table and SPECS cover the
# whole family).
LEFT_OUT: dict[str, str] = {
    "vectorize": "takes a Python function, not tensors: tested against Keras in "
                 "test_vectorize_matches_keras below",
}


@pytest.mark.parametrize("name", sorted(SPECS))
def test_parity_with_keras(name):
    check_parity(name, SPECS[name], ops)


def test_vectorize_matches_keras():
    from tests.helpers import keras

    x = np.arange(6.0, dtype="float32").reshape(2, 3)
    ours = ops.vectorize(lambda a, b: ops.sum(a * b), signature="(n),(n)->()")
    theirs = keras().ops.vectorize(lambda a, b: keras().ops.sum(a * b), signature="(n),(n)->()")
    np.testing.assert_allclose(ours(x, x), theirs(x, x))
    scaled = ops.vectorize(lambda a, k: a * k, excluded={1})
    np.testing.assert_allclose(scaled(x, 2.0), x * 2.0)


@pytest.mark.parametrize("name,args", [
    ("sum", ([[1, 2], [3, 4]],)),
    ("add", ([1.5, 2.0], 3)),
    ("sin", (1.0,)),
    ("multiply", (2, 3)),
    ("concatenate", ([[1.0, 2.0], [3.0]],)),
    ("where", (np.array([True, False]), 1, 2.5)),
    ("mean", ([1, 2, 4],)),
    ("clip", ([-3.0, 0.5, 3.0], -1, 1)),
])
def test_lists_and_python_scalars_like_keras(name, args):
    from tests.helpers import keras
    from tests.ops.parity import assert_same

    assert_same(getattr(ops, name)(*args), getattr(keras().ops, name)(*args), 1e-6, 1e-6, name)


VMAPPED = ["abs", "exp", "sum", "mean", "max", "argmax", "cumsum", "sort", "flip", "tril",
           "add", "matmul", "where", "take", "clip"]


def test_ops_under_vmap_match_keras_per_example():
    import jax

    from tests.helpers import keras

    rng = np.random.default_rng(0)
    batch = rng.normal(size=(3, 4, 4)).astype("float32")
    for name in VMAPPED:
        ours, theirs = getattr(ops, name), getattr(keras().ops, name)
        extra = {"add": (1.0,), "matmul": (batch[0],), "where": (batch[0], 0.0),
                 "take": (np.array([1, 0]),), "clip": (-0.5, 0.5)}.get(name, ())
        if name == "where":
            got = jax.vmap(lambda x: ours(x > 0, *extra))(batch)
            want = np.stack([theirs(x > 0, *extra) for x in batch])
        else:
            got = jax.vmap(lambda x: ours(x, *extra))(batch)
            want = np.stack([theirs(x, *extra) for x in batch])
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6, err_msg=name)


@pytest.mark.parametrize("call,error,match", [
    (lambda: ops.concatenate(np.ones(3)), TypeError, "list or tuple of tensors"),
    (lambda: ops.where([True], [1.0]), ValueError, "give both `x1` and `x2`"),
    (lambda: ops.searchsorted(np.ones((2, 2)), 1.0), ValueError, "1-D sorted sequences"),
    (lambda: ops.searchsorted(np.ones(2), 1.0, side="middle"), ValueError, "'left' or 'right'"),
    (lambda: ops.bincount(np.ones((2, 2, 2), "int32")), ValueError, "1-D or 2-D input"),
    (lambda: ops.histogram(np.ones((2, 2))), ValueError, "1-D input"),
    (lambda: ops.histogram(np.ones(3), bins=0), ValueError, "positive integer"),
    (lambda: ops.correlate(np.ones((2, 2)), np.ones(2)), ValueError, "two 1-D tensors"),
    (lambda: ops.correlate(np.ones(2), np.ones(2), mode="x"), ValueError, "'valid', 'same'"),
    (lambda: ops.select([True], [1, 2]), ValueError, "same length"),
    (lambda: ops.diag(np.ones((2, 2, 2))), ValueError, "1-D or 2-D input"),
    (lambda: ops.meshgrid([1], indexing="yx"), ValueError, "'xy' or 'ij'"),
    (lambda: ops.pad([1], (1, 1), mode="edge", constant_values=2), ValueError, "mode='constant'"),
    (lambda: ops.vander(np.ones((2, 2))), ValueError, "1-D input"),
])
def test_bad_arguments_raise_clear_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()
