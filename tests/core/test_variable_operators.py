"""Operators between an lx.Variable and every kind of operand, eagerly, on a tape, compiled.

Each case is checked against the same `jax.numpy` expression with the variable
replaced by its array: the result (a JAX array, never a numpy one), its dtype,
and the tape's gradients against `jax.grad` of that expression.
"""

from __future__ import annotations

import functools
import operator

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import layerax as lx
from tests.helpers import assert_close

# symbol -> (Python operator, the jax.numpy function it stands for)
OPERATORS = {
    "@": (operator.matmul, jnp.matmul),
    "+": (operator.add, jnp.add),
    "-": (operator.sub, jnp.subtract),
    "*": (operator.mul, jnp.multiply),
    "/": (operator.truediv, jnp.true_divide),
    "//": (operator.floordiv, jnp.floor_divide),
    "%": (operator.mod, jnp.remainder),
    "**": (operator.pow, jnp.power),
    "<": (operator.lt, jnp.less),
    "<=": (operator.le, jnp.less_equal),
    ">": (operator.gt, jnp.greater),
    ">=": (operator.ge, jnp.greater_equal),
    "==": (operator.eq, jnp.equal),
    "!=": (operator.ne, jnp.not_equal),
}

# Positive values (for `**` with a variable exponent), with some equal entries across
# operands so that ==, <=, >= are true for some elements and false for others.
V = np.array([[0.5, 1.5], [2.0, 1.25]], np.float32)
U = np.array([[0.5, 1.0], [1.75, 1.25]], np.float32)
X = np.array([[0.5, 2.5], [1.0, 0.75]], np.float32)
J = np.array([[1.5, 1.5], [0.25, 1.25]], np.float32)
KINDS = ("numpy", "numpy_scalar", "python_scalar", "jax", "variable")
SCALARS = ("numpy_scalar", "python_scalar")
PAIRS = [("variable", k) for k in KINDS] + [(k, "variable") for k in KINDS[:-1]]
CASES = [
    (sym, left, right)
    for sym in OPERATORS
    for left, right in PAIRS
    if not (sym == "@" and (left in SCALARS or right in SCALARS))  # matmul needs arrays
]


def _operand(kind: str, second_variable: bool) -> object:
    if kind == "numpy":
        return X.copy()
    if kind == "numpy_scalar":
        return np.float32(1.5)
    if kind == "python_scalar":
        return 1.5
    if kind == "jax":
        return jnp.asarray(J)
    return lx.Variable(U if second_variable else V, name="u" if second_variable else "v")


def _operands(left: str, right: str) -> tuple[object, object, list[lx.Variable]]:
    a = _operand(left, second_variable=False)
    b = _operand(right, second_variable=left == "variable")
    variables = [x for x in (a, b) if isinstance(x, lx.Variable)]
    return a, b, variables


@functools.lru_cache(maxsize=None)
def _reference(sym: str, left: str, right: str) -> tuple:
    """The jnp result and jax.grad of `sum(result)` with respect to the variables' arrays.

    Computed once per case, on operands of their own, and shared by the three modes.
    """
    a, b, variables = _operands(left, right)
    fn = OPERATORS[sym][1]

    def expression(values: list) -> jax.Array:
        swap = dict(zip(map(id, variables), values))
        return fn(swap.get(id(a), a), swap.get(id(b), b))

    values = [jnp.asarray(v.numpy()) for v in variables]
    loss = lambda vals: jnp.sum(expression(vals).astype(jnp.float32))  # noqa: E731
    return expression(values), jax.grad(loss)(values)


def _check_result(result: object, expected: jax.Array) -> None:
    assert isinstance(result, jax.Array) and not isinstance(result, np.ndarray), type(result)
    assert result.dtype == expected.dtype and result.shape == expected.shape
    assert_close(result, expected)


@pytest.mark.parametrize("sym,left,right", CASES)
def test_eager(sym, left, right):
    a, b, variables = _operands(left, right)
    expected, _ = _reference(sym, left, right)
    _check_result(OPERATORS[sym][0](a, b), expected)


@pytest.mark.parametrize("sym,left,right", CASES)
def test_on_a_tape(sym, left, right):
    a, b, variables = _operands(left, right)
    expected, expected_grads = _reference(sym, left, right)
    with lx.GradientTape() as tape:
        result = OPERATORS[sym][0](a, b)
        loss = jnp.sum(result.astype(jnp.float32))
    # "zero": comparisons and floor division have zero gradients (jax.grad's zeros).
    grads = tape.gradient(loss, variables, unconnected_gradients="zero")
    _check_result(result, expected)
    assert_close(grads, expected_grads)


@pytest.mark.parametrize("sym,left,right", CASES)
def test_in_lx_function(sym, left, right):
    a, b, variables = _operands(left, right)  # numpy operands are closure constants
    expected, expected_grads = _reference(sym, left, right)

    @lx.function
    def step():
        with lx.GradientTape() as tape:
            result = OPERATORS[sym][0](a, b)
            loss = jnp.sum(result.astype(jnp.float32))
        return result, tape.gradient(loss, variables, unconnected_gradients="zero")

    result, grads = step()
    _check_result(result, expected)
    assert_close(grads, expected_grads)


def test_reflected_operators_compute_the_swapped_expression():
    v = lx.Variable(V)
    for name, fn in [
        ("add", jnp.add),
        ("sub", jnp.subtract),
        ("mul", jnp.multiply),
        ("truediv", jnp.true_divide),
        ("floordiv", jnp.floor_divide),
        ("mod", jnp.remainder),
        ("pow", jnp.power),
        ("matmul", jnp.matmul),
    ]:
        out = getattr(v, f"__r{name}__")(X)
        assert isinstance(out, jax.Array)
        assert_close(out, fn(X, V))
    quotient, remainder = divmod(X, v)
    assert isinstance(quotient, jax.Array) and isinstance(remainder, jax.Array)
    assert_close(quotient, np.floor_divide(X, V))
    assert_close(remainder, np.remainder(X, V))
    assert_close(divmod(v, 0.75)[1], np.remainder(V, 0.75))


def test_integer_operators_with_numpy_operands():
    bits = np.array([1, 6, 12], np.int32)
    iv = lx.Variable(np.array([3, 5, 2], np.int32))
    bitwise = [
        ("&", operator.and_),
        ("|", operator.or_),
        ("^", operator.xor),
        ("<<", operator.lshift),
        (">>", operator.rshift),
    ]
    for sym, op in bitwise:
        for a, b, want in [(bits, iv, op(bits, iv.numpy())), (iv, bits, op(iv.numpy(), bits))]:
            out = op(a, b)
            assert isinstance(out, jax.Array), sym
            assert out.dtype == jnp.int32 and out.tolist() == want.tolist(), sym
        assert op(np.int32(7), iv).tolist() == op(np.int32(7), iv.numpy()).tolist(), sym


def test_numpy_linear_regression_trains_like_a_hand_written_loop():
    # TF2 tutorials' linear regression, with numpy data: `X @ w` must stay differentiable.
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 3)).astype(np.float32)
    y = (x @ np.array([[1.0], [-2.0], [0.5]], np.float32) + 0.3).astype(np.float32)
    w = lx.Variable(np.zeros((3, 1), np.float32), name="w")
    b = lx.Variable(np.float32(0.0), name="b")
    optimizer = lx.optimizers.SGD(learning_rate=0.1)

    @lx.function
    def compiled_step():
        with lx.GradientTape() as tape:
            loss = jnp.mean((x @ w + b - y) ** 2)
        optimizer.apply_gradients(zip(tape.gradient(loss, [w, b]), [w, b]))
        return loss

    def eager_step():
        with lx.GradientTape() as tape:
            loss = ((x @ w + b - y) ** 2).mean()
        optimizer.apply_gradients(zip(tape.gradient(loss, [w, b]), [w, b]))
        return loss

    def ref_loss(params):
        return jnp.mean((x @ params[0] + params[1] - y) ** 2)

    params = [jnp.zeros((3, 1)), jnp.zeros(())]
    for step in [eager_step, compiled_step, eager_step, compiled_step]:
        loss = step()
        ref, grads = jax.value_and_grad(ref_loss)(params)
        params = [p - 0.1 * g for p, g in zip(params, grads)]
        assert_close(loss, ref)
    assert_close(w.numpy(), params[0])
    assert_close(b.numpy(), params[1])


# ------------------------------------------------------------- numpy functions
def test_host_conversions_give_numpy_values():
    v = lx.Variable(V)
    s = lx.Variable(2.5)
    for out in (np.asarray(v), np.array(v), v.numpy(), np.asarray(v, np.float64)):
        assert type(out) is np.ndarray
        assert_close(out, V)
    assert np.asarray(v, np.float64).dtype == np.float64
    assert type(float(s)) is float and float(s) == 2.5
    assert type(int(s)) is int and int(s) == 2


def test_numpy_functions_work_on_the_host_value():
    v = lx.Variable(V)
    for out, want in [
        (np.add(X, v), X + V),
        (np.exp(v), np.exp(V)),
        (np.mean(v), V.mean()),
        (np.sum(v, axis=0), V.sum(axis=0)),
        (np.max(v), V.max()),
        (np.dot(X, v), X @ V),
    ]:
        assert isinstance(out, (np.ndarray, np.generic)), type(out)
        assert_close(out, want)
    # numpy defers in-place operators too, as for jax arrays: `acc` becomes a JAX array.
    acc, acc_jax = X.copy(), X.copy()
    acc += v
    acc_jax += jnp.asarray(V)
    assert type(acc) is type(acc_jax)
    assert_close(acc, X + V)


def test_numpy_functions_of_a_variable_are_not_recorded_by_a_tape():
    v = lx.Variable(V)
    with lx.GradientTape() as tape:
        host = np.mean(v) + np.sum(np.add(X, v))
    assert isinstance(host, np.generic)
    assert tape.gradient(jnp.asarray(host), v) is None


def test_numpy_array_methods_of_tape_values_are_recorded():
    # np.mean / np.sum / np.max call the array's own method: on a tape value it is JAX's
    # (TF gives numpy values there). Element-wise numpy ufuncs give host values.
    v = lx.Variable(V)

    def step():
        with lx.GradientTape() as tape:
            loss = np.mean(v * X) + np.sum(v**2) + np.max(v + 0.0)
        return loss, tape.gradient(loss, v)

    want = jax.grad(lambda w: jnp.mean(w * X) + jnp.sum(w**2) + jnp.max(w))(jnp.asarray(V))
    for run in (step, lx.function(step)):
        loss, grad = run()
        assert isinstance(loss, jax.Array)
        assert_close(loss, np.mean(V * X) + np.sum(V**2) + np.max(V))
        assert_close(grad, want)
    with lx.GradientTape() as tape:
        host = np.exp(v * 1.0)
    assert type(host) is np.ndarray
    assert_close(host, np.exp(V))


def test_numpy_function_of_a_traced_variable_explains_the_fix():
    v = lx.Variable(V, name="kernel")

    @lx.function
    def step():
        return np.mean(v)

    with pytest.raises(TypeError, match=r"variable 'kernel'.*traced.*jnp\.mean\(v\)"):
        step()

    with pytest.raises(TypeError, match=r"variable 'kernel'.*jnp\.add\(x, v\)"):
        lx.function(lambda: np.add(X, v))()


def test_comparisons_are_elementwise_and_variables_stay_hashable():
    v, u = lx.Variable(V), lx.Variable(U)
    assert (v == u).tolist() == (V == U).tolist()
    assert (v != u).tolist() == (V != U).tolist()
    assert (1.5 == v).tolist() == (V == 1.5).tolist()
    assert (v == None) is False and (v != "kernel") is True  # noqa: E711
    assert {v: 1, u: 2}[u] == 2 and len({v, u, v}) == 2
    assert hash(v) == object.__hash__(v)
