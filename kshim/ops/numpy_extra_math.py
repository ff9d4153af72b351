"""Elementwise and number-theory ops: ``fmax``, ``fmin``, ``fmod``, ``fabs``, ``gcd``, ``lcm``,
``logaddexp2``, ``erfc``, ``isneginf``, ``isposinf``, ``isreal``, ``bitwise_left_shift``,
``bitwise_right_shift``, ``geomspace`` (``keras.ops`` NumPy/math namespaces).
"""

from __future__ import annotations

import math as _math
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import dtypes as _dt
from ..backend import current
from ._dispatch import op, promote, tensor
from .numpy_math import left_shift as _left_shift, right_shift as _right_shift


def _float_pair(x1: Any, x2: Any) -> list:
    a, c = promote(x1, x2)
    if not _dt.is_float(current().dtype(a)):
        a, c = promote(a, c, dtype=_dt.config.floatx())
    return [a, c]


def _nan_ignoring(x1: Any, x2: Any, is_max: bool) -> Any:
    b = current()
    a, c = promote(x1, x2)
    fn = b.maximum if is_max else b.minimum
    if not _dt.is_float(b.dtype(a)):
        return fn(a, c)
    return b.where(b.isnan(a), c, b.where(b.isnan(c), a, fn(a, c)))


@op
def fmax(x1: Any, x2: Any) -> Any:
    """Elementwise maximum that ignores NaN (NaN only where both inputs are NaN).

    Args:
        x1: First tensor.
        x2: Second tensor (broadcast against ``x1``).

    Returns:
        Tensor in the promoted dtype.
    """
    return _nan_ignoring(x1, x2, True)


@op
def fmin(x1: Any, x2: Any) -> Any:
    """Elementwise minimum that ignores NaN (NaN only where both inputs are NaN).

    Args:
        x1: First tensor.
        x2: Second tensor (broadcast against ``x1``).

    Returns:
        Tensor in the promoted dtype.
    """
    return _nan_ignoring(x1, x2, False)


@op
def fmod(x1: Any, x2: Any) -> Any:
    """Remainder of division with the sign of the dividend (C's ``fmod``; ``mod`` follows the divisor).

    Computed exactly as ``sign(x1) * mod(|x1|, |x2|)``.

    Args:
        x1: Dividends.
        x2: Divisors (broadcast against ``x1``).

    Returns:
        Tensor in the promoted dtype (bool operands compute in int32).
    """
    b = current()
    a, c = promote(x1, x2)
    if b.dtype(a) == "bool":
        a, c = b.cast(a, "int32"), b.cast(c, "int32")
    m = b.mod(b.abs(a), b.abs(c))
    return b.where(b.less(a, b.zeros((), b.dtype(a))), b.negative(m), m)


@op
def fabs(x: Any) -> Any:
    """Elementwise absolute value as a float (integer and bool inputs give ``floatx``).

    Args:
        x: Input tensor.

    Returns:
        ``|x|`` in a float dtype.
    """
    b = current()
    x = tensor(x)
    if not _dt.is_float(b.dtype(x)):
        x = b.cast(x, _dt.config.floatx())
    return b.abs(x)


def _int_pair(name: str, x1: Any, x2: Any) -> list:
    b = current()
    a, c = promote(x1, x2)
    d = b.dtype(a)
    if _dt.is_float(d):
        raise ValueError(
            f"Arguments to {name} must be integers; got dtype {d}. Cast them first (kshim.ops.cast(x, 'int32'))."
        )
    if d == "bool":
        a, c = b.cast(a, "int32"), b.cast(c, "int32")
    return [a, c]


def _euclid_steps(bits: int) -> int:
    """Euclid's algorithm on values below ``2**bits`` needs fewer steps than this (Lame's bound)."""
    f0, f1, n = 1, 1, 1
    while f1 <= 2**bits:
        f0, f1, n = f1, f0 + f1, n + 1
    return n + 1


def _gcd(a: Any, c: Any) -> Any:
    b = current()
    d = b.dtype(a)
    a, c = b.abs(a), b.abs(c)
    zero, one = b.zeros((), d), b.ones((), d)
    bits = {"int8": 8, "uint8": 8, "int16": 16, "uint16": 16, "int32": 32, "uint32": 32}.get(d, 64)

    def step(carry: tuple, _: Any) -> tuple:
        a, c = carry
        nz = b.not_equal(c, zero)
        r = b.mod(a, b.where(nz, c, one))
        return (b.where(nz, c, a), b.where(nz, r, zero)), None

    # A scan, not an unrolled Python loop: JAX compiles the step once instead of ~90 copies of it
    # (the unrolled int64 form took ~35 s to compile under jit).
    shape = tuple(np.broadcast_shapes(tuple(b.shape(a)), tuple(b.shape(c))))
    carry = (b.broadcast_to(a, shape), b.broadcast_to(c, shape))
    (a, _), _ = b.scan(step, carry, None, length=_euclid_steps(bits))
    return a


@op
def gcd(x1: Any, x2: Any) -> Any:
    """Greatest common divisor of ``|x1|`` and ``|x2|``, elementwise (``gcd(0, 0) = 0``).

    Args:
        x1: Integer tensor.
        x2: Integer tensor (broadcast against ``x1``).

    Returns:
        Tensor in the promoted integer dtype.

    Raises:
        ValueError: for float inputs (as Keras on JAX).
    """
    return _gcd(*_int_pair("gcd", x1, x2))


@op
def lcm(x1: Any, x2: Any) -> Any:
    """Least common multiple of ``|x1|`` and ``|x2|``, elementwise (0 if either is 0).

    Args:
        x1: Integer tensor.
        x2: Integer tensor (broadcast against ``x1``).

    Returns:
        Tensor in the promoted integer dtype.

    Raises:
        ValueError: for float inputs (as Keras on JAX).
    """
    b = current()
    a, c = _int_pair("lcm", x1, x2)
    g = _gcd(a, c)
    zero = b.zeros((), b.dtype(g))
    gz = b.equal(g, zero)
    q = b.floor_divide(b.abs(a), b.where(gz, b.ones((), b.dtype(g)), g))
    return b.where(gz, zero, b.multiply(q, b.abs(c)))


@op
def logaddexp2(x1: Any, x2: Any) -> Any:
    """``log2(2**x1 + 2**x2)`` computed without overflow.

    Keras 3.15 returns float32 even for float64 inputs; kshim keeps float64 (float64 must work
    end to end).

    Args:
        x1: First tensor.
        x2: Second tensor (broadcast against ``x1``).

    Returns:
        Tensor in the promoted float dtype (integer inputs give ``floatx``).
    """
    b = current()
    a, c = _float_pair(x1, x2)
    d = b.dtype(a)
    # equal inputs (also two equal infinities) give exactly x + 1; the gradient there splits evenly
    delta = b.where(b.equal(a, c), b.zeros((), d), b.subtract(a, c))
    ln2 = b.full((), _math.log(2.0), d)
    tail = b.divide(b.log1p(b.exp(b.multiply(b.negative(b.abs(delta)), ln2))), ln2)
    return b.add(b.maximum(a, c), tail)


# Chiarella-Reichel trapezoidal series for erfc, step h = 1/2: relative error < 2e-15 for x >= 0.3.
_ERFC_H = 0.5
_ERFC_K = np.arange(1, 15, dtype=np.float64) * _ERFC_H


@op
def erfc(x: Any) -> Any:
    """Complementary error function ``1 - erf(x)``, accurate in the far tail (not computed as ``1 - erf``).

    For ``x >= 0.5`` kshim sums the exponentially convergent trapezoidal series of Chiarella and
    Reichel (1968) with ``exp(-x**2)`` split into an exact and a small part; elsewhere ``1 - erf``
    has no cancellation. Relative error is a few ulps (float64 and float32).

    Args:
        x: Input tensor (integer inputs give ``floatx``).

    Returns:
        ``erfc(x)`` in a float dtype.
    """
    b = current()
    x = tensor(x)
    d0 = b.dtype(x)
    if not _dt.is_float(d0):
        x, d0 = b.cast(x, _dt.config.floatx()), _dt.config.floatx()
    d = "float32" if d0 in ("float16", "bfloat16") else d0
    x = b.cast(x, d) if d != d0 else x
    cut = 27.3 if d == "float64" else 10.1  # erfc underflows to 0 beyond
    big = b.greater_equal(x, b.full((), 0.5, d))
    t = b.minimum(b.maximum(x, b.full((), 0.5, d)), b.full((), cut, d))
    # exp(-t^2) = exp(-th^2) * exp(-(t - th)(t + th)) with th = floor(16 t)/16: th^2 is exact
    th = b.divide(b.floor(b.multiply(t, b.full((), 16.0, d))), b.full((), 16.0, d))
    small = b.multiply(b.subtract(t, th), b.add(t, th))
    g = b.multiply(b.exp(b.negative(b.multiply(th, th))), b.exp(b.negative(small)))
    t2 = b.multiply(t, t)
    k = b.convert_to_tensor(_ERFC_K.astype(b.numpy_dtype(d)), d)
    k2 = b.reshape(b.multiply(k, k), tuple(b.shape(k)) + (1,) * len(b.shape(t)))
    s = b.sum(b.divide(b.exp(b.negative(k2)), b.add(k2, t2)), (0,), False)
    s = b.add(s, b.divide(b.full((), 0.5, d), t2))
    series = b.multiply(b.multiply(b.full((), 2 * _ERFC_H / _math.pi, d), b.multiply(t, g)), s)
    # residue of the pole at i*x (only above the float's resolution for x < pi / h)
    pole_arg = b.minimum(b.multiply(t, b.full((), 2 * _math.pi / _ERFC_H, d)), b.full((), 80.0, d))
    pole = b.divide(b.full((), 2.0, d), b.subtract(b.ones((), d), b.exp(pole_arg)))
    series = b.add(series, b.where(b.less(t, b.full((), _math.pi / _ERFC_H, d)), pole, b.zeros((), d)))
    series = b.where(b.greater(x, b.full((), cut, d)), b.zeros((), d), series)
    out = b.where(big, series, b.subtract(b.ones((), d), b.erf(x)))
    return b.cast(out, d0) if d != d0 else out


@op
def isneginf(x: Any) -> Any:
    """Elementwise test for negative infinity (always False for integer tensors).

    Args:
        x: Input tensor.

    Returns:
        bool tensor.
    """
    b = current()
    x = tensor(x)
    if not _dt.is_float(b.dtype(x)):
        return b.zeros(tuple(b.shape(x)), "bool")
    return b.equal(x, b.full((), -np.inf, b.dtype(x)))


@op
def isposinf(x: Any) -> Any:
    """Elementwise test for positive infinity (always False for integer tensors).

    Args:
        x: Input tensor.

    Returns:
        bool tensor.
    """
    b = current()
    x = tensor(x)
    if not _dt.is_float(b.dtype(x)):
        return b.zeros(tuple(b.shape(x)), "bool")
    return b.equal(x, b.full((), np.inf, b.dtype(x)))


@op
def isreal(x: Any) -> Any:
    """Elementwise test for a zero imaginary part.

    Args:
        x: Input tensor.

    Returns:
        bool tensor shaped like ``x``: ``imag(x) == 0`` for a complex tensor, all ``True`` for a real one.
    """
    b = current()
    t = tensor(x)
    d = b.dtype(t)
    if _dt.is_complex(d):
        im = b.imag(t)
        return b.equal(im, b.zeros((), b.dtype(im)))
    return b.ones(tuple(b.shape(t)), "bool")


def _int_shift_operands(name: str, x: Any, y: Any) -> None:
    from ._dispatch import dtype_of

    for v in (x, y):
        d = dtype_of(v)
        if _dt.is_float(d):
            raise TypeError(f"{name}: operands must be integers; got dtype {d}.")


@op
def bitwise_left_shift(x: Any, y: Any) -> Any:
    """Shift the bits of ``x`` left by ``y`` (``x << y``), elementwise.

    Args:
        x: Integer tensor.
        y: Integer shift counts (a tensor or a Python int).

    Returns:
        Tensor in the promoted integer dtype.

    Raises:
        TypeError: for float operands.
    """
    _int_shift_operands("bitwise_left_shift", x, y)
    return _left_shift(x, y)


@op
def bitwise_right_shift(x: Any, y: Any) -> Any:
    """Shift the bits of ``x`` right by ``y`` (``x >> y``, arithmetic for signed dtypes), elementwise.

    Args:
        x: Integer tensor.
        y: Integer shift counts (a tensor or a Python int).

    Returns:
        Tensor in the promoted integer dtype.

    Raises:
        TypeError: for float operands.
    """
    _int_shift_operands("bitwise_right_shift", x, y)
    return _right_shift(x, y)


def geomspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True, dtype: Any = None, axis: int = 0) -> Any:
    """``num`` numbers spaced evenly on a log scale from ``start`` to ``stop`` (a geometric sequence).

    Like kshim's ``linspace``, the values are computed on the host in float64 (so ``start`` and
    ``stop`` must be concrete: Python numbers, arrays or eager tensors) and then converted.

    Args:
        start: First value (scalar or array; must not be 0).
        stop: Last value (or the bound, with ``endpoint=False``); same sign as ``start``.
        num: Number of samples.
        endpoint: Include ``stop``.
        dtype: Result dtype (default ``floatx``; Keras on JAX with x64 returns float64).
        axis: Axis of the samples when ``start``/``stop`` are arrays.

    Returns:
        Tensor of the samples.

    Raises:
        ValueError: if ``start`` or ``stop`` is 0, or ``num`` is negative.
    """
    from .core import convert_to_numpy
    from .numpy_shape import _cap

    if int(num) < 0:
        raise ValueError(f"geomspace: num must be non-negative; got num={num}.")
    s = np.asarray(convert_to_numpy(start), np.float64)
    e = np.asarray(convert_to_numpy(stop), np.float64)
    _cap(np.broadcast_shapes(s.shape, e.shape) + (int(num),), "geomspace")
    if np.any(s == 0) or np.any(e == 0):
        raise ValueError("geomspace: a geometric sequence cannot include zero; got start or stop = 0.")
    arr = np.geomspace(s, e, int(num), endpoint=bool(endpoint), axis=axis)
    return current().convert_to_tensor(np.ascontiguousarray(arr), _dt.standardize_dtype(dtype))


# Built at import time; mypy cannot evaluate it, and without it sees every public name (the same ops).
if not TYPE_CHECKING:
    __all__ = [
        _n
        for _n, _v in list(globals().items())
        if not _n.startswith("_") and callable(_v) and getattr(_v, "__module__", None) == __name__
    ]
