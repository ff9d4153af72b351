"""Untraced NumPy implementations of the primitives NumPy lacks as a single call."""

from __future__ import annotations

import math

import numpy as np

_special: object = None


def _sp():
    """scipy.special when installed (fast, vectorized); False otherwise."""
    global _special
    if _special is None:
        try:
            import scipy.special as sp

            _special = sp
        except ImportError:  # NumPy-only install: exact but slower fallbacks below
            _special = False
    return _special


_SP_OK = frozenset((np.dtype("float32"), np.dtype("float64")))
_math_erf = np.vectorize(math.erf, otypes=[np.float64])


def _via_float32(fn, x):
    return fn(x.astype(np.float32)).astype(x.dtype)


def sigmoid(x):
    x = np.asarray(x)
    if x.dtype not in _SP_OK:
        return _via_float32(sigmoid, x)
    # NOTE: exp(-|x|) never overflows; both branches are exact to rounding.
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


def softplus(x):
    return np.logaddexp(0, x)


def erf(x):
    x = np.asarray(x)
    if x.dtype not in _SP_OK:
        return _via_float32(erf, x)
    sp = _sp()
    if sp:
        return sp.erf(x)
    return _math_erf(x).astype(x.dtype, copy=False)


def _erfinv_newton(x):
    """erfinv in float64 from a Winitzki start and Newton steps on math.erf (|err| ~ 1 ulp)."""
    x = np.asarray(x, np.float64)
    a = 0.147
    ln = np.log1p(-x * x)
    t = 2 / (np.pi * a) + ln / 2
    with np.errstate(invalid="ignore"):
        y = np.sign(x) * np.sqrt(np.sqrt(t * t - ln / a) - t)
        for _ in range(4):
            err = _math_erf(y) - x
            y = y - err / (2 / np.sqrt(np.pi) * np.exp(-y * y))
    y = np.where(x == 1, np.inf, np.where(x == -1, -np.inf, y))
    return np.where(np.abs(x) > 1, np.nan, y)


def erfinv(x):
    x = np.asarray(x)
    if x.dtype not in _SP_OK:
        return _via_float32(erfinv, x)
    sp = _sp()
    if sp:
        return sp.erfinv(x)
    return _erfinv_newton(x).astype(x.dtype, copy=False)


def select(mask, g, out=None):
    """``where(mask, g, 0)`` (broadcasting); a multiply when ``g`` is finite, which is far faster."""
    g = np.asarray(g)
    if g.dtype.kind == "f" and np.isfinite(g).all():
        return np.multiply(g, mask, out=out)
    r = np.where(mask, g, np.zeros((), g.dtype))
    if out is None:
        return r
    out[...] = r
    return out


def logical_not(x):
    return np.logical_not(x)


def bitwise_not(x):
    return np.invert(x)


#: Float32/float16 sums of at least this many terms accumulate in float64. NumPy sums pairwise only
#: along a contiguous axis; over batch or spatial axes it adds one slice at a time, whose error grows
#: with the count (measured on (64, 16, 16, 32) over axes (0, 1, 2): 3.7e-6 relative, against
#: 1.3e-7 for JAX and 1.0e-7 for torch), which made batch-norm statistics and bias gradients the
#: largest float32 difference between the numpy backend and the others. Accumulating in float64
#: and rounding once gives 5.6e-8.
_WIDE_SUM_FROM = 64


#: Widest trailing block (elements after the last reduced axis) that :func:`_sum_as_gemv` handles.
#: NumPy reduces over a middle axis one short inner row at a time: global average pooling of
#: (64, 64, 64, 3) float32 images over (1, 2) takes 2.9 ms, a float64 GEMV with a vector of ones
#: 0.2 ms (the same float32 result). From a trailing block of 16 on, NumPy's loop is as fast.
_GEMV_SUM_MAX_INNER = 8


def sum_(x, axis=None, keepdims=False):
    dt = x.dtype
    if dt.kind in "iu":
        return np.sum(x, axis=axis, keepdims=keepdims, dtype=dt)
    if dt in (np.float32, np.float16) and x.size and x.size // max(1, _kept(x.shape, axis)) >= _WIDE_SUM_FROM:
        out = _sum_as_gemv(x, axis, keepdims)
        if out is None:
            out = np.sum(x, axis=axis, keepdims=keepdims, dtype=np.float64)
        return out.astype(dt)
    return np.sum(x, axis=axis, keepdims=keepdims)


def _sum_as_gemv(x, axis, keepdims=False):
    """The float64 sum of ``x`` over ``axis`` as ``ones @ x.reshape(lead, reduced, inner)`` when the
    reduced axes are one consecutive run followed by a short trailing block (2 to
    ``_GEMV_SUM_MAX_INNER`` elements), else None. Same float64 accumulation as the ``np.sum`` it
    replaces, in a different order; rounded to float32 the results agree (bit for bit in the
    measured cases)."""
    if axis is None:
        return None
    axes = _reduced_axes(x.ndim, axis)
    first, last = axes[0], axes[-1]
    if axes != list(range(first, last + 1)):
        return None
    inner = int(np.prod(x.shape[last + 1 :], dtype=np.int64))
    if not 2 <= inner <= _GEMV_SUM_MAX_INNER:
        return None
    lead = int(np.prod(x.shape[:first], dtype=np.int64))
    reduced = x.size // (lead * inner)
    out = np.matmul(np.ones(reduced), x.reshape(lead, reduced, inner).astype(np.float64))
    return out.reshape(x.shape[:first] + (1,) * len(axes) * bool(keepdims) + x.shape[last + 1 :])


def _reduced_axes(ndim, axis):
    """The sorted, non-negative axes of a reduction over ``axis`` (an int or a sequence)."""
    return sorted({a % ndim for a in (axis if isinstance(axis, (tuple, list)) else (axis,))})


def _kept(shape, axis):
    """Number of output elements of a reduction of ``shape`` over ``axis``."""
    if axis is None:
        return 1
    axes = set(_reduced_axes(len(shape), axis))
    return int(np.prod([s for i, s in enumerate(shape) if i not in axes], dtype=np.int64))


def prod_(x, axis=None, keepdims=False):
    dt = x.dtype
    if dt.kind in "iu":
        return np.prod(x, axis=axis, keepdims=keepdims, dtype=dt)
    return np.prod(x, axis=axis, keepdims=keepdims)


def cumsum(x, axis):
    x = np.asarray(x)
    dt = x.dtype
    return np.cumsum(x, axis=axis, dtype=dt if dt.kind in "iuf" else None)


def cumprod(x, axis):
    x = np.asarray(x)
    dt = x.dtype
    return np.cumprod(x, axis=axis, dtype=dt if dt.kind in "iuf" else None)


def top_k_indices(x, k):
    """Indices of the ``k`` largest along the last axis, descending, ties lower index first."""
    n = x.shape[-1]
    idx = np.argsort(x[..., ::-1], axis=-1, kind="stable")[..., ::-1]
    return (n - 1 - idx[..., :k]).astype(np.int64)


def scatter_index(indices):
    indices = np.asarray(indices)
    return tuple(indices[..., i] for i in range(indices.shape[-1]))


def scatter_add(x, indices, updates):
    out = np.array(x, copy=True)
    np.add.at(out, scatter_index(indices), updates)
    return out


def scatter_update(x, indices, updates):
    out = np.array(x, copy=True)
    out[scatter_index(indices)] = updates
    return out


def slice_update(x, key, update):
    out = np.array(x, copy=True)
    out[key] = update
    return out


def softmax(x, axis):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    e /= np.sum(e, axis=axis, keepdims=True)
    return e


def log_softmax(x, axis):
    s = x - np.max(x, axis=axis, keepdims=True)
    return s - np.log(np.sum(np.exp(s), axis=axis, keepdims=True))


def logsumexp(x, axis=None, keepdims=False):
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0).astype(x.dtype, copy=False)
    out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    if not keepdims:
        out = np.squeeze(out, axis=axis)
    return out
