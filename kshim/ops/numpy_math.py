"""Elementwise ops of the ``keras.ops`` NumPy namespace (arithmetic, math, comparison, logic)."""
from __future__ import annotations

import math as _math
from typing import Any

from .. import dtypes as _dt
from ..backend import current
from ._dispatch import binary, op, promote, tensor, unary_float


def _unary_same(name: str, doc: str):
    def f(x: Any) -> Any:
        return getattr(current(), name)(tensor(x))
    f.__name__ = f.__qualname__ = name
    f.__doc__ = doc
    return op(f)


def _unary_float(name: str, doc: str):
    def f(x: Any) -> Any:
        return unary_float(name, x)
    f.__name__ = f.__qualname__ = name
    f.__doc__ = doc
    return op(f)


def _binary(name: str, doc: str):
    def f(x1: Any, x2: Any) -> Any:
        return binary(name, x1, x2)
    f.__name__ = f.__qualname__ = name
    f.__doc__ = doc
    return op(f)


negative = _unary_same("negative", "Elementwise ``-x``.")
@op
def abs(x: Any) -> Any:  # noqa: A001
    """Elementwise absolute value (bool is returned unchanged)."""
    b = current()
    x = tensor(x)
    return x if b.dtype(x) == "bool" else b.abs(x)


absolute = abs
sign = _unary_same("sign", "Elementwise sign (-1, 0, 1).")
floor = _unary_float("floor", "Elementwise floor.")
ceil = _unary_float("ceil", "Elementwise ceiling.")
exp = _unary_float("exp", "Elementwise exponential.")
expm1 = _unary_float("expm1", "Elementwise ``exp(x) - 1``.")
log = _unary_float("log", "Natural logarithm.")
log1p = _unary_float("log1p", "Elementwise ``log(1 + x)``.")
sqrt = _unary_float("sqrt", "Elementwise square root.")
reciprocal = _unary_float("reciprocal", "Elementwise ``1 / x``.")
sin = _unary_float("sin", "Sine.")
cos = _unary_float("cos", "Cosine.")
tan = _unary_float("tan", "Tangent.")
arcsin = _unary_float("arcsin", "Inverse sine.")
arccos = _unary_float("arccos", "Inverse cosine.")
arctan = _unary_float("arctan", "Inverse tangent.")
sinh = _unary_float("sinh", "Hyperbolic sine.")
cosh = _unary_float("cosh", "Hyperbolic cosine.")
tanh = _unary_float("tanh", "Hyperbolic tangent.")
arcsinh = _unary_float("arcsinh", "Inverse hyperbolic sine.")
arccosh = _unary_float("arccosh", "Inverse hyperbolic cosine.")
arctanh = _unary_float("arctanh", "Inverse hyperbolic tangent.")
isnan = _unary_same("isnan", "Elementwise NaN test.")
isinf = _unary_same("isinf", "Elementwise infinity test.")
isfinite = _unary_same("isfinite", "Elementwise finiteness test.")
logical_not = op(lambda x: current().logical_not(tensor(x, "bool")))
logical_not.__name__ = "logical_not"
bitwise_not = _unary_same("bitwise_not", "Elementwise bitwise NOT of integers.")
bitwise_invert = bitwise_not

add = _binary("add", "Elementwise ``x1 + x2`` with broadcasting.")
subtract = _binary("subtract", "Elementwise ``x1 - x2``.")
multiply = _binary("multiply", "Elementwise ``x1 * x2``.")
maximum = _binary("maximum", "Elementwise maximum (NaN propagates).")
minimum = _binary("minimum", "Elementwise minimum (NaN propagates).")
floor_divide = _binary("floor_divide", "Elementwise floor division.")
mod = _binary("mod", "Elementwise remainder with the sign of the divisor.")
equal = _binary("equal", "Elementwise ``==``.")
not_equal = _binary("not_equal", "Elementwise ``!=``.")
less = _binary("less", "Elementwise ``<``.")
less_equal = _binary("less_equal", "Elementwise ``<=``.")
greater = _binary("greater", "Elementwise ``>``.")
greater_equal = _binary("greater_equal", "Elementwise ``>=``.")
@op
def bitwise_and(x: Any, y: Any) -> Any:
    """Elementwise bitwise AND of integers (or logical AND of bools)."""
    return binary("bitwise_and", x, y)


@op
def bitwise_or(x: Any, y: Any) -> Any:
    """Elementwise bitwise OR of integers (or logical OR of bools)."""
    return binary("bitwise_or", x, y)


@op
def bitwise_xor(x: Any, y: Any) -> Any:
    """Elementwise bitwise XOR of integers (or logical XOR of bools)."""
    return binary("bitwise_xor", x, y)


@op
def square(x: Any) -> Any:
    """Elementwise ``x * x`` (bool gives int32, as in Keras)."""
    b = current()
    x = tensor(x)
    if b.dtype(x) == "bool":
        x = b.cast(x, "int32")
    return b.square(x)


@op
def round(x: Any, decimals: int = 0) -> Any:  # noqa: A001
    """Round half to even, to ``decimals`` places."""
    b = current()
    x = tensor(x)
    if decimals == 0 or not _dt.is_float(b.dtype(x)):
        return b.round(x) if _dt.is_float(b.dtype(x)) else x
    f = b.full((), 10.0 ** decimals, b.dtype(x))
    return b.divide(b.round(b.multiply(x, f)), f)


def _float_pair(x1: Any, x2: Any) -> list:
    a, c = promote(x1, x2)
    d = current().dtype(a)
    if not _dt.is_float(d):
        a, c = promote(a, c, dtype=_dt.config.floatx())
    return [a, c]


@op
def divide(x1: Any, x2: Any) -> Any:
    """True division (integers give floatx)."""
    a, c = _float_pair(x1, x2)
    return current().divide(a, c)


true_divide = divide


@op
def divide_no_nan(x1: Any, x2: Any) -> Any:
    """``x1 / x2`` with 0 where ``x2 == 0``."""
    b = current()
    a, c = _float_pair(x1, x2)
    zero = b.zeros((), b.dtype(c))
    nz = b.not_equal(c, zero)
    safe = b.where(nz, c, b.ones((), b.dtype(c)))
    return b.where(nz, b.divide(a, safe), zero)


@op
def power(x1: Any, x2: Any) -> Any:
    """Elementwise ``x1 ** x2`` (bool ** bool computes in int32, as Keras on JAX)."""
    a, c = promote(x1, x2)
    b = current()
    if b.dtype(a) == "bool":
        a, c = b.cast(a, "int32"), b.cast(c, "int32")
    return b.power(a, c)


@op
def arctan2(x1: Any, x2: Any) -> Any:
    """Elementwise ``atan2(x1, x2)``."""
    a, c = _float_pair(x1, x2)
    return current().arctan2(a, c)


@op
def logical_and(x1: Any, x2: Any) -> Any:
    return current().logical_and(tensor(x1, "bool"), tensor(x2, "bool"))


@op
def logical_or(x1: Any, x2: Any) -> Any:
    return current().logical_or(tensor(x1, "bool"), tensor(x2, "bool"))


@op
def logical_xor(x1: Any, x2: Any) -> Any:
    return current().logical_xor(tensor(x1, "bool"), tensor(x2, "bool"))


@op
def left_shift(x: Any, y: Any) -> Any:
    """Elementwise ``x << y`` of integers."""
    return binary("left_shift", x, y)


@op
def right_shift(x: Any, y: Any) -> Any:
    """Elementwise ``x >> y`` of integers (arithmetic for signed types)."""
    return binary("right_shift", x, y)


@op
def where(condition: Any, x1: Any = None, x2: Any = None) -> Any:
    """Select ``x1`` where ``condition`` else ``x2``."""
    if x1 is None or x2 is None:
        raise ValueError("kshim.ops.where needs x1 and x2 (the one-argument form has a data-dependent shape).")
    b = current()
    a, c = promote(x1, x2)
    return b.where(tensor(condition, "bool"), a, c)


@op
def clip(x: Any, x_min: Any, x_max: Any) -> Any:
    """Clamp into ``[x_min, x_max]``."""
    b = current()
    x = tensor(x)
    d = b.dtype(x)
    if d == "bool":
        x, d = b.cast(x, "int32"), "int32"
    return b.minimum(b.maximum(x, tensor(x_min, d)), tensor(x_max, d))


@op
def rsqrt(x: Any) -> Any:
    """``1 / sqrt(x)``."""
    return current().reciprocal(unary_float("sqrt", x))


@op
def log2(x: Any) -> Any:
    b = current()
    x = unary_float("log", x)
    return b.divide(x, b.full((), _math.log(2.0), b.dtype(x)))


@op
def log10(x: Any) -> Any:
    b = current()
    x = unary_float("log", x)
    return b.divide(x, b.full((), _math.log(10.0), b.dtype(x)))


@op
def exp2(x: Any) -> Any:
    b = current()
    x = tensor(x)
    x = x if _dt.is_float(b.dtype(x)) else b.cast(x, _dt.config.floatx())
    return b.exp(b.multiply(x, b.full((), _math.log(2.0), b.dtype(x))))


@op
def cbrt(x: Any) -> Any:
    b = current()
    x = tensor(x)
    x = x if _dt.is_float(b.dtype(x)) else b.cast(x, _dt.config.floatx())
    mag = b.power(b.abs(x), b.full((), 1.0 / 3.0, b.dtype(x)))
    return b.multiply(b.sign(x), mag)


@op
def logaddexp(x1: Any, x2: Any) -> Any:
    """``log(exp(x1) + exp(x2))`` computed stably."""
    b = current()
    a, c = _float_pair(x1, x2)
    m = b.maximum(a, c)
    # where both are -inf (or +inf) the difference is NaN; the result is then m itself
    same = b.equal(a, c)
    zero = b.zeros((), b.dtype(a))
    diff = b.subtract(b.where(same, zero, a), b.where(same, zero, c))
    return b.add(m, b.log1p(b.exp(b.negative(b.abs(diff)))))


@op
def hypot(x1: Any, x2: Any) -> Any:
    b = current()
    a, c = _float_pair(x1, x2)
    return b.sqrt(b.add(b.square(a), b.square(c)))


@op
def deg2rad(x: Any) -> Any:
    b = current()
    x = tensor(x)
    x = x if _dt.is_float(b.dtype(x)) else b.cast(x, _dt.config.floatx())
    return b.multiply(x, b.full((), _math.pi / 180.0, b.dtype(x)))


@op
def rad2deg(x: Any) -> Any:
    b = current()
    x = tensor(x)
    x = x if _dt.is_float(b.dtype(x)) else b.cast(x, _dt.config.floatx())
    return b.multiply(x, b.full((), 180.0 / _math.pi, b.dtype(x)))


@op
def trunc(x: Any) -> Any:
    """Round toward zero."""
    b = current()
    x = tensor(x)
    if not _dt.is_float(b.dtype(x)):
        return x
    return b.where(b.less(x, b.zeros((), b.dtype(x))), b.ceil(x), b.floor(x))


@op
def nan_to_num(x: Any, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None) -> Any:
    """Replace NaN/inf with finite numbers."""
    b = current()
    x = tensor(x)
    d = b.dtype(x)
    if not _dt.is_float(d):
        return x
    import ml_dtypes
    info = ml_dtypes.finfo(b.numpy_dtype(d))  # also knows bfloat16
    x = b.where(b.isnan(x), b.full((), nan, d), x)
    x = b.where(b.logical_and(b.isinf(x), b.greater(x, b.zeros((), d))),
                b.full((), float(info.max) if posinf is None else posinf, d), x)
    return b.where(b.logical_and(b.isinf(x), b.less(x, b.zeros((), d))),
                   b.full((), float(info.min) if neginf is None else neginf, d), x)


@op
def isclose(x1: Any, x2: Any, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False) -> Any:
    """Elementwise ``|x1 - x2| <= atol + rtol * |x2|``."""
    b = current()
    a, c = _float_pair(x1, x2)
    d = b.dtype(a)
    close = b.less_equal(b.abs(b.subtract(a, c)),
                         b.add(b.full((), atol, d), b.multiply(b.full((), rtol, d), b.abs(c))))
    close = b.logical_or(close, b.equal(a, c))
    if equal_nan:
        close = b.logical_or(close, b.logical_and(b.isnan(a), b.isnan(c)))
    return close


@op
def heaviside(x1: Any, x2: Any) -> Any:
    b = current()
    a, c = _float_pair(x1, x2)
    d = b.dtype(a)
    zero = b.zeros((), d)
    return b.where(b.less(a, zero), zero, b.where(b.greater(a, zero), b.ones((), d), c))


@op
def signbit(x: Any) -> Any:
    """True where the sign bit of ``x`` is set: negative numbers and ``-0.0`` (as NumPy and Keras)."""
    b = current()
    x = tensor(x)
    d = b.dtype(x)
    zero = b.zeros((), d)
    neg = b.less(x, zero)
    if not _dt.is_float(d):
        return neg
    # -0.0 == 0.0, but atan2(-0.0, -1) = -pi while atan2(+0.0, -1) = +pi
    zero_sign = b.less(b.arctan2(x, b.full((), -1.0, d)), zero)
    return b.where(b.equal(x, zero), zero_sign, neg)


__all__ = [_n for _n, _v in list(globals().items())
           if not _n.startswith("_") and callable(_v) and getattr(_v, "__module__", None) == __name__]
