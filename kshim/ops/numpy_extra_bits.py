"""Bit-level ops: ``view`` (reinterpret the bits as another dtype), ``nextafter``, ``ldexp``.

The backend protocol has no bitcast primitive, so the IEEE-754 bit patterns are computed
arithmetically: sign, exponent and mantissa fields come from exact operations (scaling by powers
of two built by exact multiplications, comparisons, casts of integer-valued floats) and are packed
with integer shifts. This is exact for every finite value, zero and infinity, on every backend,
jit-able and free of host syncs. Two deliberate limits, both documented on the ops:

* NaN payloads are not preserved: any NaN encodes as the canonical quiet NaN (sign kept as the
  backend reports it), and every NaN bit pattern decodes to NaN.
* JAX on CPU flushes subnormal floats to zero in arithmetic, so on the jax backend subnormal
  inputs read as zero and subnormal results come out as zero.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .. import dtypes as _dt
from ..backend import current
from ._dispatch import op, promote, tensor

# (exponent bits, mantissa bits) of each float format
_FMT = {"float16": (5, 10), "bfloat16": (8, 7), "float32": (8, 23), "float64": (11, 52)}
_WIDTH = {
    "bool": 8,
    "uint8": 8,
    "int8": 8,
    "uint16": 16,
    "int16": 16,
    "float16": 16,
    "bfloat16": 16,
    "uint32": 32,
    "int32": 32,
    "float32": 32,
    "int64": 64,
    "float64": 64,
}
_EMAX = {"float16": 15, "bfloat16": 127, "float32": 127, "float64": 1023}


def _pow2(b: Any, e: Any, d: str) -> Any:
    """Exactly ``2.0 ** e`` in float dtype ``d`` for an int32 ``e`` with ``|e| <= emax(d)``."""
    neg = b.less(e, b.zeros((), "int32"))
    ae = b.abs(e)
    one_i = b.ones((), "int32")
    out = b.ones(tuple(b.shape(e)), d)
    one = b.ones((), d)
    for k in range(_EMAX[d].bit_length()):
        bit = b.equal(b.bitwise_and(b.right_shift(ae, b.full((), k, "int32")), one_i), one_i)
        c = b.where(neg, b.full((), 2.0 ** -(2**k), d), b.full((), 2.0 ** (2**k), d))
        out = b.multiply(out, b.where(bit, c, one))
    return out


def _i64(b: Any, v: int) -> Any:
    return b.full((), int(v), "int64")


def _float_to_bits(b: Any, x: Any) -> Any:
    """IEEE-754 bit pattern of float tensor ``x`` as int64 (two's complement for 64-bit formats)."""
    d = b.dtype(x)
    eb, mb = _FMT[d]
    bias = 2 ** (eb - 1) - 1
    emin = 1 - bias
    w = 1 + eb + mb
    c = "float64"
    xf = b.cast(x, c) if d != c else x
    zero = b.zeros((), c)
    neg = b.greater(b.arctan2(b.zeros(tuple(b.shape(xf)), c), xf), zero)  # also true for -0.0
    nan, inf = b.isnan(xf), b.isinf(xf)
    a = b.where(b.logical_or(nan, inf), zero, b.abs(xf))
    normal = b.greater_equal(a, b.full((), 2.0**emin, c))
    safe = b.where(normal, a, b.ones((), c))
    e = b.floor(b.divide(b.log(safe), b.full((), float(np.log(2.0)), c)))
    e = b.cast(b.minimum(b.maximum(e, b.full((), float(emin), c)), b.full((), float(bias), c)), "int32")
    one_i = b.ones((), "int32")
    e = b.where(b.greater(_pow2(b, e, c), safe), b.subtract(e, one_i), e)  # log rounding fix
    e = b.where(b.greater_equal(b.divide(safe, _pow2(b, e, c)), b.full((), 2.0, c)), b.add(e, one_i), e)
    ec = b.where(normal, e, b.full((), emin, "int32"))
    mant = b.cast(b.multiply(b.divide(a, _pow2(b, ec, c)), b.full((), 2.0**mb, c)), "int64")
    mfield = b.where(normal, b.subtract(mant, _i64(b, 2**mb)), mant)
    efield = b.where(normal, b.add(b.cast(ec, "int64"), _i64(b, bias)), b.zeros((), "int64"))
    emax_field = _i64(b, 2**eb - 1)
    efield = b.where(b.logical_or(nan, inf), emax_field, efield)
    mfield = b.where(nan, _i64(b, 2 ** (mb - 1)), b.where(inf, b.zeros((), "int64"), mfield))
    bits = b.bitwise_or(b.left_shift(efield, _i64(b, mb)), mfield)
    return b.bitwise_or(bits, b.left_shift(b.cast(neg, "int64"), _i64(b, w - 1)))


def _bits_to_float(b: Any, bits: Any, d: str) -> Any:
    """Float tensor of dtype ``d`` with the IEEE-754 bit pattern ``bits`` (int64)."""
    eb, mb = _FMT[d]
    bias = 2 ** (eb - 1) - 1
    w = 1 + eb + mb
    c = "float64"
    one = _i64(b, 1)
    sign = b.equal(b.bitwise_and(b.right_shift(bits, _i64(b, w - 1)), one), one)
    ef = b.bitwise_and(b.right_shift(bits, _i64(b, mb)), _i64(b, 2**eb - 1))
    mf = b.cast(b.bitwise_and(bits, _i64(b, 2**mb - 1)), c)
    normal = b.greater(ef, b.zeros((), "int64"))
    frac = b.divide(mf, b.full((), 2.0**mb, c))
    frac = b.where(normal, b.add(frac, b.ones((), c)), frac)
    ee = b.where(normal, b.subtract(b.cast(ef, "int32"), b.full((), bias, "int32")), b.full((), 1 - bias, "int32"))
    ee = b.minimum(ee, b.full((), bias, "int32"))  # the all-ones exponent (inf/nan) is replaced below
    val = b.multiply(frac, _pow2(b, ee, c))
    special = b.equal(ef, _i64(b, 2**eb - 1))
    val = b.where(special, b.where(b.equal(mf, b.zeros((), c)), b.full((), np.inf, c), b.full((), np.nan, c)), val)
    val = b.where(sign, b.negative(val), val)
    return b.cast(val, d) if d != c else val


def _to_words(b: Any, x: Any) -> Any:
    """Unsigned bit words of ``x`` as int64 (two's complement for 64-bit dtypes)."""
    d = b.dtype(x)
    if d in _FMT:
        return _float_to_bits(b, x)
    w = b.cast(x, "int64")
    if d in ("int8", "int16", "int32"):
        w = b.bitwise_and(w, _i64(b, 2 ** _WIDTH[d] - 1))
    return w


def _from_words(b: Any, w: Any, d: str) -> Any:
    if d in _FMT:
        return _bits_to_float(b, w, d)
    if d == "bool":
        return b.not_equal(w, b.zeros((), "int64"))
    if d in ("int8", "int16", "int32"):
        n = _WIDTH[d]
        w = b.where(b.greater_equal(w, _i64(b, 2 ** (n - 1))), b.subtract(w, _i64(b, 2**n)), w)
    return b.cast(w, d)


@op
def view(x: Any, dtype: Any = None) -> Any:
    """Reinterpret the bits of ``x`` as ``dtype`` (little-endian, as NumPy/JAX/torch on x86/ARM).

    With a narrower ``dtype`` the last axis grows by the width ratio; with a wider one it must
    be divisible by it and shrinks. kshim computes the bit patterns arithmetically (the backend
    protocol has no bitcast): NaN payloads are not kept (any NaN becomes the canonical quiet NaN,
    and NaN patterns decode to NaN), and on JAX, whose CPU arithmetic flushes subnormals, subnormal
    floats read and write as zero.

    Args:
        x: Input tensor.
        dtype: Target dtype; None returns ``x`` unchanged.

    Returns:
        The reinterpreted tensor.

    Raises:
        ValueError: for a 0-d tensor with a different item size, or a last axis the wider item
            size does not divide.
    """
    b = current()
    x = tensor(x)
    if dtype is None:
        return x
    src, dst = b.dtype(x), _dt.standardize_dtype(dtype)
    if src == dst:
        return x
    ws, wd = _WIDTH[src], _WIDTH[dst]
    shp = tuple(b.shape(x))
    if ws != wd and not shp:
        raise ValueError(
            f"view: a 0-d tensor can only be viewed as a dtype of the same item size; {src} is "
            f"{ws // 8} bytes and {dst} is {wd // 8}. Reshape it to (1,) first."
        )
    words = _to_words(b, x)
    if ws > wd:
        r = ws // wd
        mask = _i64(b, 2**wd - 1)
        parts = [b.bitwise_and(b.right_shift(words, _i64(b, j * wd)), mask) for j in range(r)]
        words = b.reshape(b.concatenate([b.reshape(p, shp + (1,)) for p in parts], len(shp)), shp[:-1] + (shp[-1] * r,))
    elif ws < wd:
        r = wd // ws
        if shp[-1] % r:
            raise ValueError(f"view: the last axis ({shp[-1]}) must be divisible by {r} to view {src} as {dst}.")
        grouped = b.reshape(words, shp[:-1] + (shp[-1] // r, r))
        words = b.zeros(shp[:-1] + (shp[-1] // r,), "int64")
        for j in range(r):
            piece = b.getitem(grouped, (Ellipsis, j))
            words = b.bitwise_or(words, b.left_shift(piece, _i64(b, j * ws)))
    return _from_words(b, words, dst)


@op
def nextafter(x1: Any, x2: Any) -> Any:
    """The next representable float after ``x1`` in the direction of ``x2``, elementwise.

    Computed on the IEEE-754 bit patterns (see :func:`view`); on JAX, whose CPU arithmetic
    flushes subnormals, steps that land on a subnormal give zero.

    Args:
        x1: Start values.
        x2: Directions (broadcast against ``x1``).

    Returns:
        Tensor in the promoted float dtype (integer inputs give ``floatx``).
    """
    b = current()
    a, c = promote(x1, x2)
    if not _dt.is_float(b.dtype(a)):
        a, c = promote(a, c, dtype=_dt.config.floatx())
    d = b.dtype(a)
    shp = tuple(np.broadcast_shapes(tuple(b.shape(a)), tuple(b.shape(c))))
    a, c = b.broadcast_to(a, shp), b.broadcast_to(c, shp)
    eb, mb = _FMT[d]
    w = 1 + eb + mb
    bits = _float_to_bits(b, a)
    sign_bit = b.left_shift(_i64(b, 1), _i64(b, w - 1))
    mag = b.bitwise_and(bits, _i64(b, 2 ** (w - 1) - 1) if w < 64 else b.bitwise_not(sign_bit))
    sign = b.bitwise_and(bits, sign_bit)
    zero = b.zeros((), d)
    away = b.equal(b.greater(c, a), b.greater(a, zero))  # moving away from zero grows the magnitude
    one = _i64(b, 1)
    new_mag = b.where(away, b.add(mag, one), b.subtract(mag, one))
    is_zero = b.equal(a, zero)
    new_mag = b.where(is_zero, one, new_mag)
    sign = b.where(is_zero, b.where(b.less(c, a), sign_bit, b.zeros((), "int64")), sign)
    out = _bits_to_float(b, b.bitwise_or(sign, new_mag), d)
    out = b.where(b.equal(a, c), c, out)
    return b.where(b.logical_or(b.isnan(a), b.isnan(c)), b.full((), np.nan, d), out)


@op
def ldexp(x1: Any, x2: Any) -> Any:
    """``x1 * 2 ** x2`` elementwise, exact (no rounding except into the subnormal range).

    Args:
        x1: Mantissas (integer inputs give ``floatx``).
        x2: Integer exponents (broadcast against ``x1``).

    Returns:
        Tensor in ``x1``'s float dtype.

    Raises:
        TypeError: if ``x2`` does not have an integer dtype.
    """
    b = current()
    m = tensor(x1)
    e = tensor(x2)
    if not _dt.is_int(b.dtype(e)) and b.dtype(e) != "bool":
        raise TypeError(f"ldexp exponent must be an integer type. Received: x2 dtype={b.dtype(e)}")
    if not _dt.is_float(b.dtype(m)):
        m = b.cast(m, _dt.config.floatx())
    d = b.dtype(m)
    cd = "float32" if d in ("float16", "bfloat16") else d
    mc = b.cast(m, cd) if cd != d else m
    lim = _EMAX[cd] - 2
    e = b.cast(b.minimum(b.maximum(b.cast(e, "int64"), _i64(b, -3 * lim)), _i64(b, 3 * lim)), "int32")
    q = b.floor_divide(e, b.full((), 3, "int32"))
    r = b.subtract(e, b.multiply(q, b.full((), 2, "int32")))
    pq = _pow2(b, q, cd)
    out = b.multiply(b.multiply(b.multiply(mc, pq), pq), _pow2(b, r, cd))
    return b.cast(out, d) if cd != d else out


# Built at import time; mypy cannot evaluate it, and without it sees every public name (the same ops).
if not TYPE_CHECKING:
    __all__ = [
        _n
        for _n, _v in list(globals().items())
        if not _n.startswith("_") and callable(_v) and getattr(_v, "__module__", None) == __name__
    ]
