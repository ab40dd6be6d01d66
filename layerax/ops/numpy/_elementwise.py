"""Element-wise operations of `lx.ops` (Keras' `keras.ops` numpy family): math, comparison, logic.

Most of them are one `jnp` call after argument normalisation, made by `_unary`/`_binary` so
that each op is a plain function with Keras' argument names and its own docstring.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from layerax.ops._common import ArrayLike, strong, tensor, to_float, with_doc

_UNARY_DOC = """{summary}

Args:
    x: Input tensor (array, numpy array, `Variable`, list or Python scalar).

Returns:
    A tensor of the same shape as `x`.

Example:
    >>> from layerax import ops
    >>> ops.{name}({example})
    {output}
"""

_BINARY_DOC = """{summary}

Args:
    {a}: First input tensor.
    {b}: Second input tensor, broadcastable with `{a}`.

Returns:
    A tensor of the broadcast shape of `{a}` and `{b}`.

Example:
    >>> from layerax import ops
    >>> ops.{name}({example})
    {output}
"""


def _unary(name: str, fn: Callable[..., Any], summary: str, example: str, output: str,
           *, floating: bool = False) -> Callable[[ArrayLike], jax.Array]:
    if floating:
        # Keras computes these in floatx() for integer and boolean inputs.
        def op(x: ArrayLike) -> jax.Array:
            return fn(to_float(strong(x)))
    else:
        def op(x: ArrayLike) -> jax.Array:
            return fn(tensor(x))
    doc = _UNARY_DOC.format(summary=summary, name=name, example=example, output=output)
    return with_doc(op, name, doc)


def _binary(name: str, fn: Callable[..., Any], summary: str, example: str, output: str,
            *, names: tuple[str, str] = ("x1", "x2"), strong_scalars: bool = False,
            ) -> Callable[[ArrayLike, ArrayLike], jax.Array]:
    convert = strong if strong_scalars else tensor
    a, b = names
    if names == ("x1", "x2"):
        def op(x1: ArrayLike, x2: ArrayLike) -> jax.Array:
            return fn(convert(x1), convert(x2))
    else:
        def op(x: ArrayLike, y: ArrayLike) -> jax.Array:
            return fn(convert(x), convert(y))
    doc = _BINARY_DOC.format(summary=summary, name=name, example=example, output=output,
                             a=a, b=b)
    return with_doc(op, name, doc)


_F = "dtype=float32)"

# ----------------------------------------------------------------------------- unary math
abs = _unary("abs", jnp.abs, "Absolute value, element-wise.", "[-1, 2]",
             "Array([1, 2], dtype=int32)")
absolute = _unary("absolute", jnp.absolute, "Absolute value, element-wise (alias of `abs`).",
                  "[-1.5, 2.0]", "Array([1.5, 2. ], " + _F)
angle = _unary("angle", jnp.angle, "Argument (angle) of complex numbers, element-wise.",
               "[1.0, -1.0]", "Array([0.       , 3.1415927], " + _F)
arccos = _unary("arccos", jnp.arccos, "Inverse cosine, element-wise.", "[1.0]",
                "Array([0.], " + _F)
arccosh = _unary("arccosh", jnp.arccosh, "Inverse hyperbolic cosine, element-wise.", "[1.0]",
                 "Array([0.], " + _F)
arcsin = _unary("arcsin", jnp.arcsin, "Inverse sine, element-wise.", "[0.0]",
                "Array([0.], " + _F)
arcsinh = _unary("arcsinh", jnp.arcsinh, "Inverse hyperbolic sine, element-wise.", "[0.0]",
                 "Array([0.], " + _F)
arctan = _unary("arctan", jnp.arctan, "Inverse tangent, element-wise.", "[0.0]",
                "Array([0.], " + _F)
arctanh = _unary("arctanh", jnp.arctanh, "Inverse hyperbolic tangent, element-wise.", "[0.0]",
                 "Array([0.], " + _F)
bitwise_invert = _unary("bitwise_invert", jnp.bitwise_invert,
                        "Bit-wise NOT of integers (and logical NOT of booleans).", "[0, 1]",
                        "Array([-1, -2], dtype=int32)")
bitwise_not = _unary("bitwise_not", jnp.bitwise_not,
                     "Bit-wise NOT (alias of `bitwise_invert`).", "[0, 1]",
                     "Array([-1, -2], dtype=int32)")
cbrt = _unary("cbrt", jnp.cbrt, "Cube root, element-wise.", "[8.0, -27.0]",
              "Array([ 2., -3.], " + _F)
ceil = _unary("ceil", jnp.ceil, "Ceiling, element-wise; integer inputs give `floatx()`.",
              "[1.2, -1.5]", "Array([ 2., -1.], " + _F, floating=True)
conj = _unary("conj", jnp.conj, "Complex conjugate, element-wise.", "[1.0]",
              "Array([1.], " + _F)
conjugate = _unary("conjugate", jnp.conjugate, "Complex conjugate (alias of `conj`).", "[1.0]",
                   "Array([1.], " + _F)
cos = _unary("cos", jnp.cos, "Cosine, element-wise.", "[0.0]", "Array([1.], " + _F)
cosh = _unary("cosh", jnp.cosh, "Hyperbolic cosine, element-wise.", "[0.0]",
              "Array([1.], " + _F)
deg2rad = _unary("deg2rad", jnp.deg2rad, "Converts angles from degrees to radians.", "[180.0]",
                 "Array([3.1415927], " + _F)
exp = _unary("exp", jnp.exp, "Exponential, element-wise.", "[0.0]", "Array([1.], " + _F)
exp2 = _unary("exp2", jnp.exp2, "Base-2 exponential, element-wise.", "[3.0]",
              "Array([8.], " + _F)
expm1 = _unary("expm1", jnp.expm1, "`exp(x) - 1`, element-wise, accurate for small `x`.",
               "[0.0]", "Array([0.], " + _F)
fabs = _unary("fabs", jnp.fabs, "Absolute value as floats, element-wise.", "[-2.0]",
              "Array([2.], " + _F)
floor = _unary("floor", jnp.floor, "Floor, element-wise; integer inputs give `floatx()`.",
               "[1.7, -1.5]", "Array([ 1., -2.], " + _F, floating=True)
i0 = _unary("i0", jnp.i0, "Modified Bessel function of the first kind, order 0.", "[0.0]",
            "Array([1...], " + _F)
imag = _unary("imag", jnp.imag, "Imaginary part, element-wise.", "[1.0]", "Array([0.], " + _F)
isfinite = _unary("isfinite", jnp.isfinite, "Whether each element is finite.",
                  "[1.0, float('inf')]", "Array([ True, False], dtype=bool)")
isinf = _unary("isinf", jnp.isinf, "Whether each element is positive or negative infinity.",
               "[1.0, float('inf')]", "Array([False,  True], dtype=bool)")
isnan = _unary("isnan", jnp.isnan, "Whether each element is NaN.", "[1.0, float('nan')]",
               "Array([False,  True], dtype=bool)")
isneginf = _unary("isneginf", jnp.isneginf, "Whether each element is negative infinity.",
                  "[1.0, -float('inf')]", "Array([False,  True], dtype=bool)")
isposinf = _unary("isposinf", jnp.isposinf, "Whether each element is positive infinity.",
                  "[1.0, float('inf')]", "Array([False,  True], dtype=bool)")
isreal = _unary("isreal", jnp.isreal, "Whether each element has no imaginary part.", "[1.0]",
                "Array([ True], dtype=bool)")
log = _unary("log", jnp.log, "Natural logarithm, element-wise.", "[1.0]", "Array([0.], " + _F)
log10 = _unary("log10", jnp.log10, "Base-10 logarithm, element-wise.", "[100.0]",
               "Array([2.], " + _F)
log1p = _unary("log1p", jnp.log1p, "`log(1 + x)`, element-wise, accurate for small `x`.",
               "[0.0]", "Array([0.], " + _F)
log2 = _unary("log2", jnp.log2, "Base-2 logarithm, element-wise.", "[8.0]",
              "Array([3.], " + _F)
logical_not = _unary("logical_not", jnp.logical_not, "Logical NOT, element-wise.",
                     "[True, False]", "Array([False,  True], dtype=bool)")
negative = _unary("negative", jnp.negative, "Numerical negative, element-wise.", "[1, -2]",
                  "Array([-1,  2], dtype=int32)")
rad2deg = _unary("rad2deg", jnp.rad2deg, "Converts angles from radians to degrees.", "[0.0]",
                 "Array([0.], " + _F)
real = _unary("real", jnp.real, "Real part, element-wise.", "[1.5]", "Array([1.5], " + _F)
reciprocal = _unary("reciprocal", jnp.reciprocal, "`1 / x`, element-wise.", "[2.0, 4.0]",
                    "Array([0.5 , 0.25], " + _F)
sign = _unary("sign", jnp.sign, "Sign (-1, 0 or 1), element-wise.", "[-3, 0, 2]",
              "Array([-1,  0,  1], dtype=int32)")
signbit = _unary("signbit", jnp.signbit, "Whether the sign bit is set, element-wise.",
                 "[-1.0, 1.0]", "Array([ True, False], dtype=bool)")
sin = _unary("sin", jnp.sin, "Sine, element-wise.", "[0.0]", "Array([0.], " + _F)
sinc = _unary("sinc", jnp.sinc, "Normalised sinc, `sin(pi x) / (pi x)`, element-wise.",
              "[0.0]", "Array([1.], " + _F)
sinh = _unary("sinh", jnp.sinh, "Hyperbolic sine, element-wise.", "[0.0]",
              "Array([0.], " + _F)
sqrt = _unary("sqrt", jnp.sqrt, "Square root, element-wise.", "[4.0, 9.0]",
              "Array([2., 3.], " + _F)
square = _unary("square", jnp.square, "Square, element-wise.", "[2, -3]",
                "Array([4, 9], dtype=int32)")
tan = _unary("tan", jnp.tan, "Tangent, element-wise.", "[0.0]", "Array([0.], " + _F)
tanh = _unary("tanh", jnp.tanh, "Hyperbolic tangent, element-wise.", "[0.0]",
              "Array([0.], " + _F)
trunc = _unary("trunc", jnp.trunc, "Rounds towards zero, element-wise.", "[-1.7, 1.7]",
               "Array([-1.,  1.], " + _F)
copy = _unary("copy", jnp.array, "Returns a copy of `x` as a tensor.", "[1, 2]",
              "Array([1, 2], dtype=int32)")


def round(x: ArrayLike, decimals: int = 0) -> jax.Array:
    """Rounds to the given number of decimals (half to even).

    Args:
        x: Input tensor.
        decimals: Number of decimal places; negative values round to tens, hundreds, ...

    Returns:
        A tensor of the dtype of `x`.

    Example:
        >>> from layerax import ops
        >>> ops.round([1.25, 2.5], decimals=1)
        Array([1.2, 2.5], dtype=float32)
    """
    x = strong(x)
    if decimals < 0 and not jnp.issubdtype(x.dtype, jnp.inexact):
        # jnp.round rejects negative decimals for integers: round in floats and cast back.
        return jnp.round(to_float(x), decimals=decimals).astype(x.dtype)
    return jnp.round(x, decimals=decimals)


def clip(x: ArrayLike, x_min: ArrayLike, x_max: ArrayLike) -> jax.Array:
    """Clips values to `[x_min, x_max]`; booleans are clipped as int32.

    Args:
        x: Input tensor.
        x_min: Lower bound.
        x_max: Upper bound.

    Returns:
        The clipped tensor.

    Example:
        >>> from layerax import ops
        >>> ops.clip([-2.0, 0.5, 3.0], 0.0, 1.0)
        Array([0. , 0.5, 1. ], dtype=float32)
    """
    x = strong(x)
    if x.dtype == jnp.bool_:
        x = x.astype("int32")
    return jnp.clip(x, tensor(x_min), tensor(x_max))


def nan_to_num(x: ArrayLike, nan: float = 0.0, posinf: float | None = None,
               neginf: float | None = None) -> jax.Array:
    """Replaces NaN and infinities with finite numbers.

    Args:
        x: Input tensor.
        nan: Value for NaNs.
        posinf: Value for positive infinity (default: the dtype's largest value).
        neginf: Value for negative infinity (default: the dtype's lowest value).

    Returns:
        A tensor of the dtype of `x`.

    Example:
        >>> from layerax import ops
        >>> ops.nan_to_num([float('nan'), 1.0], nan=-1.0)
        Array([-1.,  1.], dtype=float32)
    """
    return jnp.nan_to_num(tensor(x), nan=nan, posinf=posinf, neginf=neginf)


# ---------------------------------------------------------------------------- binary math
add = _binary("add", jnp.add, "Adds two tensors, element-wise.", "[1, 2], 3",
              "Array([4, 5], dtype=int32)")
subtract = _binary("subtract", jnp.subtract, "Subtracts `x2` from `x1`, element-wise.",
                   "[3.0, 2.0], 1.0", "Array([2., 1.], " + _F)
multiply = _binary("multiply", jnp.multiply, "Multiplies two tensors, element-wise.",
                   "[1.0, 2.0], [3.0, 4.0]", "Array([3., 8.], " + _F)
divide = _binary("divide", jnp.divide, "True division, element-wise; integers give floats.",
                 "[1, 3], 2", "Array([0.5, 1.5], " + _F)
true_divide = _binary("true_divide", jnp.true_divide, "True division (alias of `divide`).",
                      "[1, 3], 2", "Array([0.5, 1.5], " + _F)
floor_divide = _binary("floor_divide", jnp.floor_divide, "Floor division, element-wise.",
                       "[7, -7], 2", "Array([ 3, -4], dtype=int32)")
power = _binary("power", jnp.power, "`x1 ** x2`, element-wise.", "[2, 3], 2",
                "Array([4, 9], dtype=int32)")
mod = _binary("mod", jnp.mod, "Remainder with the sign of the divisor, element-wise.",
              "[7, -7], 3", "Array([1, 2], dtype=int32)")
fmod = _binary("fmod", jnp.fmod, "Remainder with the sign of the dividend, element-wise.",
               "[7, -7], 3", "Array([ 1, -1], dtype=int32)")
maximum = _binary("maximum", jnp.maximum, "Element-wise maximum (NaN-propagating).",
                  "[1.0, 5.0], [3.0, 2.0]", "Array([3., 5.], " + _F)
minimum = _binary("minimum", jnp.minimum, "Element-wise minimum (NaN-propagating).",
                  "[1.0, 5.0], [3.0, 2.0]", "Array([1., 2.], " + _F)
fmax = _binary("fmax", jnp.fmax, "Element-wise maximum that ignores NaNs.",
               "[float('nan'), 1.0], 0.0", "Array([0., 1.], " + _F)
fmin = _binary("fmin", jnp.fmin, "Element-wise minimum that ignores NaNs.",
               "[float('nan'), 1.0], 2.0", "Array([2., 1.], " + _F)
arctan2 = _binary("arctan2", jnp.arctan2, "Quadrant-aware `arctan(x1 / x2)`, element-wise.",
                  "[0.0], [1.0]", "Array([0.], " + _F, strong_scalars=True)
hypot = _binary("hypot", jnp.hypot, "`sqrt(x1**2 + x2**2)`, element-wise.",
                "[3.0], [4.0]", "Array([5.], " + _F)
logaddexp = _binary("logaddexp", jnp.logaddexp, "`log(exp(x1) + exp(x2))`, element-wise.",
                    "[0.0], [0.0]", "Array([0.6931472], " + _F, strong_scalars=True)
logaddexp2 = _binary("logaddexp2", jnp.logaddexp2,
                     "`log2(2**x1 + 2**x2)`, element-wise.", "[1.0], [1.0]",
                     "Array([2.], " + _F, strong_scalars=True)
nextafter = _binary("nextafter", jnp.nextafter,
                    "Next floating-point value after `x1` towards `x2`.", "[0.0], [0.0]",
                    "Array([0.], " + _F)
heaviside = _binary("heaviside", jnp.heaviside,
                    "Heaviside step of `x1`; `x2` is the value where `x1 == 0`.",
                    "[-1.0, 0.0, 2.0], 0.5", "Array([0. , 0.5, 1. ], " + _F)
ldexp = _binary("ldexp", jnp.ldexp, "`x1 * 2**x2`, element-wise.", "[1.0, 3.0], [2, 1]",
                "Array([4., 6.], " + _F)
gcd = _binary("gcd", jnp.gcd, "Greatest common divisor, element-wise.", "[12, 9], 6",
              "Array([6, 3], dtype=int32)")
lcm = _binary("lcm", jnp.lcm, "Least common multiple, element-wise.", "[4, 6], 3",
              "Array([12,  6], dtype=int32)")


def divide_no_nan(x1: ArrayLike, x2: ArrayLike) -> jax.Array:
    """Division that gives 0 wherever the divisor is 0 (and its gradient stays finite).

    Args:
        x1: Numerator.
        x2: Denominator.

    Returns:
        `x1 / x2`, with 0 where `x2 == 0`.

    Example:
        >>> from layerax import ops
        >>> ops.divide_no_nan([1.0, 2.0], [2.0, 0.0])
        Array([0.5, 0. ], dtype=float32)
    """
    x1, x2 = strong(x1), strong(x2)
    zero = x2 == 0
    return jnp.where(zero, 0, jnp.divide(x1, jnp.where(zero, 1, x2)))


# ------------------------------------------------------------------------ comparison, logic
equal = _binary("equal", jnp.equal, "`x1 == x2`, element-wise.", "[1, 2], 2",
                "Array([False,  True], dtype=bool)")
not_equal = _binary("not_equal", jnp.not_equal, "`x1 != x2`, element-wise.", "[1, 2], 2",
                    "Array([ True, False], dtype=bool)")
greater = _binary("greater", jnp.greater, "`x1 > x2`, element-wise.", "[1, 3], 2",
                  "Array([False,  True], dtype=bool)")
greater_equal = _binary("greater_equal", jnp.greater_equal, "`x1 >= x2`, element-wise.",
                        "[1, 2], 2", "Array([False,  True], dtype=bool)")
less = _binary("less", jnp.less, "`x1 < x2`, element-wise.", "[1, 3], 2",
               "Array([ True, False], dtype=bool)")
less_equal = _binary("less_equal", jnp.less_equal, "`x1 <= x2`, element-wise.", "[2, 3], 2",
                     "Array([ True, False], dtype=bool)")
logical_and = _binary("logical_and", jnp.logical_and, "Logical AND, element-wise.",
                      "[True, False], True", "Array([ True, False], dtype=bool)")
logical_or = _binary("logical_or", jnp.logical_or, "Logical OR, element-wise.",
                     "[True, False], False", "Array([ True, False], dtype=bool)")
logical_xor = _binary("logical_xor", jnp.logical_xor, "Logical XOR, element-wise.",
                      "[True, False], True", "Array([False,  True], dtype=bool)")
bitwise_and = _binary("bitwise_and", jnp.bitwise_and, "Bit-wise AND, element-wise.",
                      "[12, 10], 6", "Array([4, 2], dtype=int32)", names=("x", "y"))
bitwise_or = _binary("bitwise_or", jnp.bitwise_or, "Bit-wise OR, element-wise.",
                     "[12, 10], 6", "Array([14, 14], dtype=int32)", names=("x", "y"))
bitwise_xor = _binary("bitwise_xor", jnp.bitwise_xor, "Bit-wise XOR, element-wise.",
                      "[12, 10], 6", "Array([10, 12], dtype=int32)", names=("x", "y"))
bitwise_left_shift = _binary("bitwise_left_shift", jnp.left_shift,
                             "Shifts the bits of `x` left by `y`.", "[1, 3], 2",
                             "Array([ 4, 12], dtype=int32)", names=("x", "y"))
left_shift = _binary("left_shift", jnp.left_shift,
                     "Shifts the bits of `x` left by `y` (alias of `bitwise_left_shift`).",
                     "[1, 3], 2", "Array([ 4, 12], dtype=int32)", names=("x", "y"))
bitwise_right_shift = _binary("bitwise_right_shift", jnp.right_shift,
                              "Shifts the bits of `x` right by `y`.", "[8, 12], 2",
                              "Array([2, 3], dtype=int32)", names=("x", "y"))
right_shift = _binary("right_shift", jnp.right_shift,
                      "Shifts the bits of `x` right by `y` (alias of `bitwise_right_shift`).",
                      "[8, 12], 2", "Array([2, 3], dtype=int32)", names=("x", "y"))

__all__ = [
    "abs", "absolute", "add", "angle", "arccos", "arccosh", "arcsin", "arcsinh", "arctan",
    "arctan2", "arctanh", "bitwise_and", "bitwise_invert", "bitwise_left_shift", "bitwise_not",
    "bitwise_or", "bitwise_right_shift", "bitwise_xor", "cbrt", "ceil", "clip", "conj",
    "conjugate", "copy", "cos", "cosh", "deg2rad", "divide", "divide_no_nan", "equal", "exp",
    "exp2", "expm1", "fabs", "floor", "floor_divide", "fmax", "fmin", "fmod", "gcd", "greater",
    "greater_equal", "heaviside", "hypot", "i0", "imag", "isfinite", "isinf", "isnan",
    "isneginf", "isposinf", "isreal", "lcm", "ldexp", "left_shift", "less", "less_equal", "log",
    "log10", "log1p", "log2", "logaddexp", "logaddexp2", "logical_and", "logical_not",
    "logical_or", "logical_xor", "maximum", "minimum", "mod", "multiply", "nan_to_num",
    "negative", "nextafter", "not_equal", "power", "rad2deg", "real", "reciprocal",
    "right_shift", "round", "sign", "signbit", "sin", "sinc", "sinh", "sqrt", "square",
    "subtract", "tan", "tanh", "true_divide", "trunc",
]
