"""Elementwise ops of the ``keras.ops`` NumPy namespace (arithmetic, math, comparison, logic)."""

from __future__ import annotations

import math as _math
from typing import TYPE_CHECKING, Any

import numpy as _np

from .. import dtypes as _dt
from ..backend import current
from ._dispatch import binary, op, promote, tensor, unary_float
from ._elementwise_docs import DOCS as _DOCS


def _unary_same(name: str, doc: str):
    def f(x: Any) -> Any:
        return getattr(current(), name)(tensor(x))

    f.__name__ = f.__qualname__ = name
    f.__doc__ = _DOCS.get(name, doc)
    return op(f)


def _unary_float(name: str, doc: str):
    def f(x: Any) -> Any:
        return unary_float(name, x)

    f.__name__ = f.__qualname__ = name
    f.__doc__ = _DOCS.get(name, doc)
    return op(f)


def _binary(name: str, doc: str):
    def f(x1: Any, x2: Any) -> Any:
        return binary(name, x1, x2)

    f.__name__ = f.__qualname__ = name
    f.__doc__ = _DOCS.get(name, doc)
    return op(f)


negative = _unary_same("negative", "Elementwise ``-x``.")


@op
def abs(x: Any) -> Any:  # noqa: A001
    """Elementwise absolute value (bool is returned unchanged).

    Args:
        x: Input tensor or array-like, of any numeric or bool dtype.

    Returns:
        A tensor of the shape and dtype of ``x`` holding ``|x|``.

    Example:
        >>> kshim.ops.convert_to_numpy(kshim.ops.abs([-1.5, 0.0, 2.0]))
        array([1.5, 0. , 2. ], dtype=float32)
    """
    b = current()
    x = tensor(x)
    return x if b.dtype(x) == "bool" else b.abs(x)


absolute = abs


@op
def sign(x: Any) -> Any:
    """Elementwise sign: -1, 0 or 1 (``nan`` stays ``nan``).

    As in Keras 3 on JAX, a bool input is refused; integer inputs keep their dtype.

    Args:
        x: Input tensor or array-like, of an integer or floating dtype.

    Returns:
        A tensor of the shape and dtype of ``x``.

    Raises:
        TypeError: If ``x`` is bool.
    """
    b = current()
    x = tensor(x)
    if b.dtype(x) == "bool":
        raise TypeError(
            "sign does not accept dtype bool (as Keras 3 on JAX); cast it to an integer or floating dtype first."
        )
    return b.sign(x)


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


@op
def logical_not(x: Any) -> Any:
    return current().logical_not(tensor(x, "bool"))


logical_not.__doc__ = _DOCS["logical_not"]
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
    """Elementwise bitwise AND of integers (or logical AND of bools).

    Both operands are first promoted to a common dtype (Python scalars are weakly typed).

    Args:
        x: Integer or bool tensor.
        y: Integer or bool tensor, broadcastable against ``x``.

    Returns:
        A tensor of the broadcast shape and the promoted dtype.
    """
    return binary("bitwise_and", x, y)


@op
def bitwise_or(x: Any, y: Any) -> Any:
    """Elementwise bitwise OR of integers (or logical OR of bools).

    Both operands are first promoted to a common dtype (Python scalars are weakly typed).

    Args:
        x: Integer or bool tensor.
        y: Integer or bool tensor, broadcastable against ``x``.

    Returns:
        A tensor of the broadcast shape and the promoted dtype.
    """
    return binary("bitwise_or", x, y)


@op
def bitwise_xor(x: Any, y: Any) -> Any:
    """Elementwise bitwise XOR of integers (or logical XOR of bools).

    Both operands are first promoted to a common dtype (Python scalars are weakly typed).

    Args:
        x: Integer or bool tensor.
        y: Integer or bool tensor, broadcastable against ``x``.

    Returns:
        A tensor of the broadcast shape and the promoted dtype.
    """
    return binary("bitwise_xor", x, y)


@op
def square(x: Any) -> Any:
    """Elementwise ``x * x`` (bool gives int32, as in Keras).

    Args:
        x: Input tensor or array-like.

    Returns:
        A tensor of the shape of ``x`` and its dtype (int32 for a bool input).
    """
    b = current()
    x = tensor(x)
    if b.dtype(x) == "bool":
        x = b.cast(x, "int32")
    return b.square(x)


@op
def round(x: Any, decimals: int = 0) -> Any:  # noqa: A001
    """Round half to even, to ``decimals`` places.

    Floating inputs round ties to the even neighbour (``2.5`` gives ``2.0``). With ``decimals != 0`` the
    value is multiplied by ``10 ** decimals``, rounded and divided back, so the result carries the
    floating-point error of that scaling. Integer inputs with a negative ``decimals`` are rounded to a
    multiple of ``10 ** -decimals``, ties to the even multiple (``round(250, -2)`` gives ``200``), as in
    Keras 3. kshim computes this exactly in integer arithmetic and deliberately differs where Keras'
    ``floatx()`` detour is wrong: magnitudes above ``2 ** 24``, and results that float error plus a
    truncating cast put one below the multiple (Keras on JAX gives ``round(1000, -3) == 999``). A result
    outside the integer dtype's range saturates to its minimum or maximum (as Keras on JAX); a
    ``10 ** -decimals`` beyond that range gives zeros. Integer inputs with ``decimals >= 0`` and bool
    inputs are returned unchanged.

    Args:
        x: Input tensor or array-like.
        decimals: Number of decimal places to keep (default 0); a negative value rounds to the left of
            the decimal point (tens, hundreds, ...).

    Returns:
        A tensor of the shape and dtype of ``x``.

    Example:
        >>> kshim.ops.convert_to_numpy(kshim.ops.round([0.5, 1.5, 2.5, -0.5]))
        array([ 0.,  2.,  2., -0.], dtype=float32)
    """
    b = current()
    x = tensor(x)
    decimals = int(decimals)
    d = b.dtype(x)
    if not _dt.is_float(d):
        if decimals >= 0 or d == "bool":
            return x
        return _round_int(b, x, d, 10**-decimals)
    if decimals == 0:
        return b.round(x)
    f = b.full((), 10.0**decimals, b.dtype(x))
    return b.divide(b.round(b.multiply(x, f)), f)


def _round_int(b: Any, x: Any, d: str, f: int) -> Any:
    """Integer ``x`` rounded to a multiple of ``f`` (a power of ten), ties to the even multiple."""
    if f > int(_np.iinfo(d).max):
        return b.zeros(tuple(b.shape(x)), d)
    ft = b.full((), f, d)
    q = b.floor_divide(x, ft)
    r = b.subtract(x, b.multiply(q, ft))  # 0 <= r < f
    rest = b.subtract(ft, r)  # distance to the next multiple, without overflow
    two = b.full((), 2, d)
    odd = b.not_equal(b.mod(q, two), b.zeros((), d))
    up = b.logical_or(b.greater(r, rest), b.logical_and(b.equal(r, rest), odd))
    q = b.where(up, b.add(q, b.ones((), d)), q)
    info = _np.iinfo(d)
    hi, lo = int(info.max) // f, -(-int(info.min) // f)
    out = b.multiply(b.minimum(b.maximum(q, b.full((), lo, d)), b.full((), hi, d)), ft)
    out = b.where(b.greater(q, b.full((), hi, d)), b.full((), int(info.max), d), out)
    return b.where(b.less(q, b.full((), lo, d)), b.full((), int(info.min), d), out)


def _float_pair(x1: Any, x2: Any, complex_ok: bool = False) -> list:
    """The operands promoted together, in ``floatx()`` when that is an integer/bool dtype; complex
    operands stay complex where the op is defined on them (``complex_ok``) and raise otherwise."""
    a, c = promote(x1, x2)
    d = current().dtype(a)
    if not (_dt.is_inexact(d) if complex_ok else _dt.is_float(d)):
        a, c = promote(a, c, dtype=_dt.config.floatx())
    return [a, c]


@op
def divide(x1: Any, x2: Any) -> Any:
    """True division (integers give floatx).

    The operands are promoted to a common dtype (Python scalars are weakly typed); when that dtype is an
    integer or bool one, both are cast to ``kshim.config.floatx()``. Division by zero follows IEEE
    rules (``inf`` or ``nan``); see ``divide_no_nan`` for a zero instead.

    Args:
        x1: Dividend tensor or array-like.
        x2: Divisor, broadcastable against ``x1``.

    Returns:
        A floating tensor of the broadcast shape.

    Example:
        >>> kshim.ops.convert_to_numpy(kshim.ops.divide(kshim.ops.convert_to_tensor([1, 3]), 2))
        array([0.5, 1.5], dtype=float32)
    """
    a, c = _float_pair(x1, x2, complex_ok=True)
    return current().divide(a, c)


true_divide = divide


@op
def divide_no_nan(x1: Any, x2: Any) -> Any:
    """``x1 / x2`` with 0 where ``x2 == 0``.

    The result is 0 wherever ``x2`` is zero, whatever ``x1`` holds there (even ``nan`` or ``inf``); the
    division itself only sees non-zero divisors, so its gradient stays finite. Dtypes follow ``divide``:
    integer and bool operands are computed in ``kshim.config.floatx()``.

    Args:
        x1: Dividend tensor or array-like.
        x2: Divisor, broadcastable against ``x1``.

    Returns:
        A floating tensor of the broadcast shape.

    Example:
        >>> x = kshim.ops.convert_to_tensor([1.0, 1.0])
        >>> y = kshim.ops.convert_to_tensor([2.0, 0.0])
        >>> kshim.ops.convert_to_numpy(kshim.ops.divide_no_nan(x, y))
        array([0.5, 0. ], dtype=float32)
    """
    b = current()
    a, c = _float_pair(x1, x2)
    zero = b.zeros((), b.dtype(c))
    nz = b.not_equal(c, zero)
    safe = b.where(nz, c, b.ones((), b.dtype(c)))
    return b.where(nz, b.divide(a, safe), zero)


@op
def power(x1: Any, x2: Any) -> Any:
    """Elementwise ``x1 ** x2`` (bool ** bool computes in int32, as Keras on JAX).

    The operands are promoted to a common dtype (Python scalars are weakly typed), so integer bases with
    integer exponents stay integer.

    Args:
        x1: Base tensor or array-like.
        x2: Exponent, broadcastable against ``x1``.

    Returns:
        A tensor of the broadcast shape and the promoted dtype (int32 when both are bool).
    """
    a, c = promote(x1, x2)
    b = current()
    if b.dtype(a) == "bool":
        a, c = b.cast(a, "int32"), b.cast(c, "int32")
    return b.power(a, c)


@op
def arctan2(x1: Any, x2: Any) -> Any:
    """Elementwise ``atan2(x1, x2)``.

    The angle, in radians in ``[-pi, pi]``, of the point ``(x2, x1)``, with the quadrant taken from the
    signs of both. Integer and bool operands are computed in ``kshim.config.floatx()``.

    Args:
        x1: The y coordinates.
        x2: The x coordinates, broadcastable against ``x1``.

    Returns:
        A floating tensor of the broadcast shape.
    """
    a, c = _float_pair(x1, x2)
    return current().arctan2(a, c)


@op
def logical_and(x1: Any, x2: Any) -> Any:
    """Elementwise logical AND.

    Both inputs are cast to bool first (any non-zero value is True).

    Args:
        x1: Input tensor or array-like.
        x2: Input tensor, broadcastable against ``x1``.

    Returns:
        A bool tensor of the broadcast shape.
    """
    return current().logical_and(tensor(x1, "bool"), tensor(x2, "bool"))


@op
def logical_or(x1: Any, x2: Any) -> Any:
    """Elementwise logical OR.

    Both inputs are cast to bool first (any non-zero value is True).

    Args:
        x1: Input tensor or array-like.
        x2: Input tensor, broadcastable against ``x1``.

    Returns:
        A bool tensor of the broadcast shape.
    """
    return current().logical_or(tensor(x1, "bool"), tensor(x2, "bool"))


@op
def logical_xor(x1: Any, x2: Any) -> Any:
    """Elementwise logical XOR.

    Both inputs are cast to bool first (any non-zero value is True).

    Args:
        x1: Input tensor or array-like.
        x2: Input tensor, broadcastable against ``x1``.

    Returns:
        A bool tensor of the broadcast shape.
    """
    return current().logical_xor(tensor(x1, "bool"), tensor(x2, "bool"))


@op
def left_shift(x: Any, y: Any) -> Any:
    """Elementwise ``x << y`` of integers.

    Both operands are first promoted to a common dtype (Python scalars are weakly typed).

    Args:
        x: Integer tensor of values to shift.
        y: Integer tensor of shift amounts, broadcastable against ``x``.

    Returns:
        A tensor of the broadcast shape and the promoted dtype.
    """
    return binary("left_shift", x, y)


@op
def right_shift(x: Any, y: Any) -> Any:
    """Elementwise ``x >> y`` of integers (arithmetic for signed types).

    Both operands are first promoted to a common dtype (Python scalars are weakly typed);
    a signed negative value keeps its sign (``-8 >> 1`` is ``-4``).

    Args:
        x: Integer tensor of values to shift.
        y: Integer tensor of shift amounts, broadcastable against ``x``.

    Returns:
        A tensor of the broadcast shape and the promoted dtype.
    """
    return binary("right_shift", x, y)


@op
def where(condition: Any, x1: Any = None, x2: Any = None) -> Any:
    """Select ``x1`` where ``condition`` else ``x2``; with only ``condition``, its non-zero indices.

    The one-argument form ``where(condition)`` is :func:`nonzero` (as NumPy and Keras): its output
    shape depends on the values, so it reads ``condition`` on the host and cannot be traced by
    ``jax.jit``.

    Args:
        condition: Tensor or array-like, cast to bool (any non-zero value is True).
        x1: Values taken where ``condition`` is True.
        x2: Values taken where ``condition`` is False. ``condition``, ``x1`` and ``x2`` broadcast
            together; ``x1`` and ``x2`` are promoted to a common dtype (Python scalars weakly typed).

    Returns:
        A tensor of the broadcast shape and the promoted dtype of ``x1`` and ``x2``; with ``x1``
        and ``x2`` both None, a tuple of int32 index tensors, one per dimension of ``condition``.

    Raises:
        ValueError: If exactly one of ``x1`` and ``x2`` is None (Keras' message).

    Example:
        >>> x = kshim.ops.convert_to_tensor([1, 2, 3])
        >>> kshim.ops.convert_to_numpy(kshim.ops.where([True, False, True], x, 0))
        array([1, 0, 3], dtype=int32)
    """
    if (x1 is None) != (x2 is None):
        raise ValueError("`x1` and `x2` either both should be `None` or both should have non-None value.")
    if x1 is None:
        from .numpy_extra_sets import nonzero

        return nonzero(condition)
    b = current()
    a, c = promote(x1, x2)
    return b.where(tensor(condition, "bool"), a, c)


@op
def clip(x: Any, x_min: Any, x_max: Any) -> Any:
    """Clamp into ``[x_min, x_max]``.

    Computed as ``minimum(maximum(x, x_min), x_max)``, so where ``x_min > x_max`` the result is
    ``x_max``. The bounds are cast to the dtype of ``x`` (a float bound on an integer tensor is
    truncated) and a bool ``x`` is computed in int32.

    Args:
        x: Input tensor or array-like.
        x_min: Lower bound, a scalar or a tensor broadcastable against ``x``.
        x_max: Upper bound, a scalar or a tensor broadcastable against ``x``.

    Returns:
        A tensor of the broadcast shape and the dtype of ``x`` (int32 for a bool ``x``).

    Example:
        >>> kshim.ops.convert_to_numpy(kshim.ops.clip([-2.0, 0.5, 3.0], 0.0, 1.0))
        array([0. , 0.5, 1. ], dtype=float32)
    """
    b = current()
    x = tensor(x)
    d = b.dtype(x)
    if d == "bool":
        x, d = b.cast(x, "int32"), "int32"
    return b.minimum(b.maximum(x, tensor(x_min, d)), tensor(x_max, d))


@op
def rsqrt(x: Any) -> Any:
    """``1 / sqrt(x)``.

    Integer and bool inputs are computed in ``kshim.config.floatx()``. Zero gives ``inf`` and negative values ``nan``.

    Args:
        x: Input tensor or array-like.

    Returns:
        A floating tensor of the shape of ``x``.
    """
    return current().reciprocal(unary_float("sqrt", x))


@op
def log2(x: Any) -> Any:
    """Elementwise base-2 logarithm.

    Computed as ``log(x) / log(2)``. Integer and bool inputs are computed in ``kshim.config.floatx()``.
    Zero gives ``-inf`` and negative values ``nan``.

    Args:
        x: Input tensor or array-like.

    Returns:
        A floating tensor of the shape of ``x``.
    """
    b = current()
    x = unary_float("log", x)
    return b.divide(x, b.full((), _math.log(2.0), b.dtype(x)))


@op
def log10(x: Any) -> Any:
    """Elementwise base-10 logarithm.

    Computed as ``log(x) / log(10)``. Integer and bool inputs are computed in ``kshim.config.floatx()``.
    Zero gives ``-inf`` and negative values ``nan``.

    Args:
        x: Input tensor or array-like.

    Returns:
        A floating tensor of the shape of ``x``.
    """
    b = current()
    x = unary_float("log", x)
    return b.divide(x, b.full((), _math.log(10.0), b.dtype(x)))


@op
def exp2(x: Any) -> Any:
    """Elementwise ``2 ** x``.

    Computed as ``exp(x * log(2))``. Integer and bool inputs are computed in ``kshim.config.floatx()``.

    Args:
        x: Input tensor or array-like.

    Returns:
        A floating tensor of the shape of ``x``.
    """
    b = current()
    x = tensor(x)
    x = x if _dt.is_float(b.dtype(x)) else b.cast(x, _dt.config.floatx())
    return b.exp(b.multiply(x, b.full((), _math.log(2.0), b.dtype(x))))


@op
def cbrt(x: Any) -> Any:
    """Elementwise real cube root (negative inputs give negative roots).

    Computed as ``sign(x) * |x| ** (1/3)``, so the root of an exact cube may be off in the last bit
    (``cbrt(27.0)`` can give ``3.0000002`` in float32).
    Integer and bool inputs are computed in ``kshim.config.floatx()``.

    Args:
        x: Input tensor or array-like.

    Returns:
        A floating tensor of the shape of ``x``.
    """
    b = current()
    x = tensor(x)
    x = x if _dt.is_float(b.dtype(x)) else b.cast(x, _dt.config.floatx())
    mag = b.power(b.abs(x), b.full((), 1.0 / 3.0, b.dtype(x)))
    return b.multiply(b.sign(x), mag)


@op
def logaddexp(x1: Any, x2: Any) -> Any:
    """``log(exp(x1) + exp(x2))`` computed stably.

    Evaluated as ``max(x1, x2) + log1p(exp(-|x1 - x2|))``, which neither overflows for large inputs nor
    gives ``nan`` where both are the same infinity (``logaddexp(-inf, -inf)`` is ``-inf``). Integer and bool
    operands are computed in ``kshim.config.floatx()``.

    Args:
        x1: Input tensor or array-like.
        x2: Input tensor, broadcastable against ``x1``.

    Returns:
        A floating tensor of the broadcast shape.
    """
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
    """Elementwise ``sqrt(x1 ** 2 + x2 ** 2)``, the length of the hypotenuse.

    Computed directly from the squares, without rescaling, so it overflows to ``inf`` where a square
    exceeds the dtype's range. Integer and bool operands are computed in ``kshim.config.floatx()``.

    Args:
        x1: First leg, a tensor or array-like.
        x2: Second leg, broadcastable against ``x1``.

    Returns:
        A floating tensor of the broadcast shape.

    Example:
        >>> a = kshim.ops.convert_to_tensor([3.0, 5.0])
        >>> b = kshim.ops.convert_to_tensor([4.0, 12.0])
        >>> kshim.ops.convert_to_numpy(kshim.ops.hypot(a, b))
        array([ 5., 13.], dtype=float32)
    """
    b = current()
    a, c = _float_pair(x1, x2)
    return b.sqrt(b.add(b.square(a), b.square(c)))


@op
def deg2rad(x: Any) -> Any:
    """Convert angles from degrees to radians (``x * pi / 180``).

    Integer and bool inputs are computed in ``kshim.config.floatx()``.

    Args:
        x: Angles in degrees, a tensor or array-like.

    Returns:
        A floating tensor of the shape of ``x``.
    """
    b = current()
    x = tensor(x)
    x = x if _dt.is_float(b.dtype(x)) else b.cast(x, _dt.config.floatx())
    return b.multiply(x, b.full((), _math.pi / 180.0, b.dtype(x)))


@op
def rad2deg(x: Any) -> Any:
    """Convert angles from radians to degrees (``x * 180 / pi``).

    Integer and bool inputs are computed in ``kshim.config.floatx()``.

    Args:
        x: Angles in radians, a tensor or array-like.

    Returns:
        A floating tensor of the shape of ``x``.
    """
    b = current()
    x = tensor(x)
    x = x if _dt.is_float(b.dtype(x)) else b.cast(x, _dt.config.floatx())
    return b.multiply(x, b.full((), 180.0 / _math.pi, b.dtype(x)))


@op
def trunc(x: Any) -> Any:
    """Round toward zero.

    Floating values lose their fractional part (``-1.7`` gives ``-1.0``); integer and bool inputs are
    returned unchanged.

    Args:
        x: Input tensor or array-like.

    Returns:
        A tensor of the shape and dtype of ``x``.
    """
    b = current()
    x = tensor(x)
    if not _dt.is_float(b.dtype(x)):
        return x
    return b.where(b.less(x, b.zeros((), b.dtype(x))), b.ceil(x), b.floor(x))


@op
def nan_to_num(x: Any, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None) -> Any:
    """Replace NaN/inf with finite numbers.

    Integer and bool inputs are returned unchanged.

    Args:
        x: Input tensor or array-like.
        nan: Value that replaces ``nan`` (default 0.0).
        posinf: Value that replaces ``+inf``; ``None`` (the default) uses the largest finite value of the
            dtype of ``x``.
        neginf: Value that replaces ``-inf``; ``None`` (the default) uses the most negative finite value
            of the dtype of ``x``.

    Returns:
        A tensor of the shape and dtype of ``x``.
    """
    b = current()
    x = tensor(x)
    d = b.dtype(x)
    if not _dt.is_float(d):
        return x
    import ml_dtypes

    info = ml_dtypes.finfo(b.numpy_dtype(d))  # also knows bfloat16
    x = b.where(b.isnan(x), b.full((), nan, d), x)
    x = b.where(
        b.logical_and(b.isinf(x), b.greater(x, b.zeros((), d))),
        b.full((), float(info.max) if posinf is None else posinf, d),
        x,
    )
    return b.where(
        b.logical_and(b.isinf(x), b.less(x, b.zeros((), d))),
        b.full((), float(info.min) if neginf is None else neginf, d),
        x,
    )


@op
def isclose(x1: Any, x2: Any, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False) -> Any:
    """Elementwise ``|x1 - x2| <= atol + rtol * |x2|``.

    The test is not symmetric: the relative tolerance scales with ``|x2|``. Equal values, including
    infinities of the same sign, are always close; ``nan`` is close to nothing unless ``equal_nan``. The
    operands are promoted to a common dtype, integer and bool ones to ``kshim.config.floatx()``.

    Args:
        x1: Input tensor or array-like.
        x2: Reference tensor, broadcastable against ``x1``.
        rtol: Relative tolerance (default ``1e-5``).
        atol: Absolute tolerance (default ``1e-8``).
        equal_nan: Whether ``nan`` in both ``x1`` and ``x2`` counts as close (default False).

    Returns:
        A bool tensor of the broadcast shape.
    """
    b = current()
    a, c = _float_pair(x1, x2)
    d = b.dtype(a)
    close = b.less_equal(b.abs(b.subtract(a, c)), b.add(b.full((), atol, d), b.multiply(b.full((), rtol, d), b.abs(c))))
    close = b.logical_or(close, b.equal(a, c))
    if equal_nan:
        close = b.logical_or(close, b.logical_and(b.isnan(a), b.isnan(c)))
    return close


@op
def heaviside(x1: Any, x2: Any) -> Any:
    """Heaviside step function: 0 where ``x1 < 0``, 1 where ``x1 > 0``, ``x2`` where ``x1 == 0``.

    A ``nan`` in ``x1`` also takes the value of ``x2`` (NumPy gives ``nan`` there). The operands are
    promoted to a common dtype, integer and bool ones to ``kshim.config.floatx()``.

    Args:
        x1: Input tensor or array-like.
        x2: Value at ``x1 == 0``, broadcastable against ``x1``.

    Returns:
        A floating tensor of the broadcast shape.

    Example:
        >>> x = kshim.ops.convert_to_tensor([-1.0, 0.0, 2.0])
        >>> kshim.ops.convert_to_numpy(kshim.ops.heaviside(x, 0.5))
        array([0. , 0.5, 1. ], dtype=float32)
    """
    b = current()
    a, c = _float_pair(x1, x2)
    d = b.dtype(a)
    zero = b.zeros((), d)
    return b.where(b.less(a, zero), zero, b.where(b.greater(a, zero), b.ones((), d), c))


@op
def signbit(x: Any) -> Any:
    """True where the sign bit of ``x`` is set: negative numbers and ``-0.0`` (as NumPy and Keras).

    Args:
        x: Input tensor or array-like, of any numeric or bool dtype.

    Returns:
        A bool tensor of the shape of ``x``.
    """
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


# Built at import time; mypy cannot evaluate it, and without it sees every public name (the same ops).
if not TYPE_CHECKING:
    __all__ = [
        _n
        for _n, _v in list(globals().items())
        if not _n.startswith("_") and callable(_v) and getattr(_v, "__module__", None) == __name__
    ]
