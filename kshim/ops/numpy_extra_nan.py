"""NaN-ignoring reductions, quantiles and percentiles, ``ptp`` (``keras.ops`` NumPy namespace).

Everything here is a composite over the backend primitives (sort, take_along_axis, where, sum,
...), so it is jit-able on JAX and differentiable on the NumPy backend's tape.

Result dtypes follow Keras' rules as kshim applies them elsewhere: integer inputs of the float
reductions (``nanmean``, ``nanvar``, ``quantile``, ...) give ``floatx``; integer sums and
products accumulate as ``kshim.ops.sum``/``prod`` do; indices are int32. Keras on JAX with x64
reports 64-bit results for some of these (JAX widens them); kshim keeps Keras' 32-bit rule.
"""
from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .. import dtypes as _dt
from ..backend import current
from ._dispatch import axis_tuple, op, tensor
from .numpy_reduce import argmax as _argmax, argmin as _argmin, cumprod as _cumprod
from .numpy_reduce import cumsum as _cumsum, max as _max, min as _min, prod as _prod, sum as _sum

_METHODS = ("linear", "lower", "higher", "midpoint", "nearest")


def _floatx_input(x: Any) -> Any:
    """``x`` as a tensor; integer and bool inputs become ``floatx`` (Keras' rule for float results)."""
    b = current()
    x = tensor(x)
    if not _dt.is_float(b.dtype(x)):
        x = b.cast(x, _dt.config.floatx())
    return x


def _fill_nan(x: Any, value: float) -> Any:
    """``x`` with NaNs replaced by ``value`` (integer tensors are returned unchanged)."""
    b = current()
    d = b.dtype(x)
    if not _dt.is_float(d):
        return x
    return b.where(b.isnan(x), b.full((), value, d), x)


@op
def nansum(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Sum over ``axis``, treating NaN as zero.

    Args:
        x: Input tensor.
        axis: Axis or axes to reduce; None reduces all axes.
        keepdims: Keep reduced axes with size 1.

    Returns:
        The sum; integer inputs accumulate as ``kshim.ops.sum`` does (bool/int8/int16/int32 in
        int32, small unsigned ints in uint32).
    """
    return _sum(_fill_nan(tensor(x), 0.0), axis=axis, keepdims=keepdims)


@op
def nanprod(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Product over ``axis``, treating NaN as one.

    Args:
        x: Input tensor.
        axis: Axis or axes to reduce; None reduces all axes.
        keepdims: Keep reduced axes with size 1.

    Returns:
        The product, with ``kshim.ops.prod``'s dtype rule.
    """
    return _prod(_fill_nan(tensor(x), 1.0), axis=axis, keepdims=keepdims)


def _nan_extreme(x: Any, axis: Any, keepdims: bool, is_max: bool) -> Any:
    b = current()
    x = tensor(x)
    d = b.dtype(x)
    if not _dt.is_float(d):
        return (_max if is_max else _min)(x, axis=axis, keepdims=keepdims)
    nan = b.isnan(x)
    out = (_max if is_max else _min)(b.where(nan, b.full((), -np.inf if is_max else np.inf, d), x),
                                     axis=axis, keepdims=keepdims)
    all_nan = b.all(nan, axis_tuple(axis, len(b.shape(x))), keepdims)
    return b.where(all_nan, b.full((), np.nan, d), out)


@op
def nanmax(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Maximum over ``axis`` ignoring NaNs (NaN where a slice is all NaN).

    Args:
        x: Input tensor.
        axis: Axis or axes to reduce; None reduces all axes.
        keepdims: Keep reduced axes with size 1.

    Returns:
        The maximum, in ``x``'s dtype.

    Raises:
        ValueError: if a reduced axis is empty (a maximum of nothing is undefined).
    """
    return _nan_extreme(x, axis, keepdims, True)


@op
def nanmin(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Minimum over ``axis`` ignoring NaNs (NaN where a slice is all NaN).

    Args:
        x: Input tensor.
        axis: Axis or axes to reduce; None reduces all axes.
        keepdims: Keep reduced axes with size 1.

    Returns:
        The minimum, in ``x``'s dtype.

    Raises:
        ValueError: if a reduced axis is empty.
    """
    return _nan_extreme(x, axis, keepdims, False)


def _nan_arg(x: Any, axis: Any, keepdims: bool, is_max: bool) -> Any:
    b = current()
    x = tensor(x)
    d = b.dtype(x)
    fn = _argmax if is_max else _argmin
    if not _dt.is_float(d):
        return fn(x, axis=axis, keepdims=keepdims)
    nan = b.isnan(x)
    idx = fn(b.where(nan, b.full((), -np.inf if is_max else np.inf, d), x), axis=axis, keepdims=keepdims)
    all_nan = b.all(nan, axis_tuple(axis, len(b.shape(x))), keepdims)
    return b.where(all_nan, b.full((), -1, "int32"), idx)


@op
def nanargmax(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Index of the first maximum ignoring NaNs; -1 for an all-NaN slice (as Keras on JAX).

    Args:
        x: Input tensor.
        axis: Axis to reduce (an int); None searches the flattened tensor.
        keepdims: Keep the reduced axis with size 1.

    Returns:
        int32 indices.
    """
    return _nan_arg(x, axis, keepdims, True)


@op
def nanargmin(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Index of the first minimum ignoring NaNs; -1 for an all-NaN slice (as Keras on JAX).

    Args:
        x: Input tensor.
        axis: Axis to reduce (an int); None searches the flattened tensor.
        keepdims: Keep the reduced axis with size 1.

    Returns:
        int32 indices.
    """
    return _nan_arg(x, axis, keepdims, False)


def _nan_count_sum(x: Any, axis: Any, keepdims: bool) -> tuple:
    """(sum of non-NaN entries, count of non-NaN entries), both in ``x``'s float dtype."""
    b = current()
    d = b.dtype(x)
    axes = axis_tuple(axis, len(b.shape(x)))
    ok = b.logical_not(b.isnan(x))
    s = b.sum(b.where(ok, x, b.zeros((), d)), axes, keepdims)
    n = b.sum(b.cast(ok, d), axes, keepdims)
    return s, n


def _safe_div(s: Any, n: Any) -> Any:
    """``s / n`` with NaN (and no division warning) where ``n == 0``."""
    b = current()
    d = b.dtype(s)
    zero = b.equal(n, b.zeros((), d))
    return b.where(zero, b.full((), np.nan, d), b.divide(s, b.where(zero, b.ones((), d), n)))


@op
def nanmean(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Mean over ``axis`` of the non-NaN entries (NaN for an all-NaN or empty slice).

    Args:
        x: Input tensor.
        axis: Axis or axes to reduce; None reduces all axes.
        keepdims: Keep reduced axes with size 1.

    Returns:
        The mean; integer inputs give ``floatx``.
    """
    x = _floatx_input(x)
    return _safe_div(*_nan_count_sum(x, axis, keepdims))


@op
def nanvar(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Population variance (ddof 0) over ``axis`` of the non-NaN entries.

    Args:
        x: Input tensor.
        axis: Axis or axes to reduce; None reduces all axes.
        keepdims: Keep reduced axes with size 1.

    Returns:
        The variance; integer inputs give ``floatx``; NaN for an all-NaN slice.
    """
    b = current()
    x = _floatx_input(x)
    d = b.dtype(x)
    s, n = _nan_count_sum(x, axis, True)
    m = _safe_div(s, n)
    dev = b.subtract(x, m)
    sq = b.where(b.isnan(x), b.zeros((), d), b.multiply(dev, dev))
    axes = axis_tuple(axis, len(b.shape(x)))
    n = b.sum(b.cast(b.logical_not(b.isnan(x)), d), axes, keepdims)
    return _safe_div(b.sum(sq, axes, keepdims), n)


@op
def nanstd(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Population standard deviation over ``axis`` of the non-NaN entries.

    Args:
        x: Input tensor.
        axis: Axis or axes to reduce; None reduces all axes.
        keepdims: Keep reduced axes with size 1.

    Returns:
        ``sqrt(nanvar(x))``; integer inputs give ``floatx``.
    """
    return current().sqrt(nanvar(x, axis=axis, keepdims=keepdims))


@op
def nancumsum(x: Any, axis: Any = None, dtype: Any = None) -> Any:
    """Cumulative sum treating NaN as zero.

    Args:
        x: Input tensor.
        axis: Axis to accumulate along; None accumulates the flattened tensor.
        dtype: Optional result dtype (default: as ``kshim.ops.cumsum``, bool gives int32).

    Returns:
        The running sums.
    """
    return _cumsum(_fill_nan(tensor(x), 0.0), axis=axis, dtype=dtype)


@op
def nancumprod(x: Any, axis: Any = None, dtype: Any = None) -> Any:
    """Cumulative product treating NaN as one.

    Args:
        x: Input tensor.
        axis: Axis to accumulate along; None accumulates the flattened tensor.
        dtype: Optional result dtype (default: as ``kshim.ops.cumprod``).

    Returns:
        The running products.
    """
    return _cumprod(_fill_nan(tensor(x), 1.0), axis=axis, dtype=dtype)


# ---- quantiles ----------------------------------------------------------------------------------
def _q_tensor(q: Any, dtype: str, scale: float, name: str) -> Any:
    """``q / scale`` as a tensor of ``dtype``; concrete (host) values are range-checked."""
    b = current()
    lim = "[0, 100]" if scale == 100.0 else "[0, 1]"
    concrete = None
    if isinstance(q, (numbers.Number, list, tuple, np.ndarray, np.generic)):
        concrete = np.asarray(q, dtype=np.float64)
    if concrete is not None:
        if concrete.ndim > 1:
            raise ValueError(f"{name}: q must be a scalar or a 1-D sequence; got shape {concrete.shape}.")
        if np.any(concrete < 0) or np.any(concrete > scale) or np.any(np.isnan(concrete)):
            raise ValueError(f"{name}: q must be in the range {lim}; got q={q!r}.")
        return b.convert_to_tensor(concrete / scale, dtype)
    qt = tensor(q, dtype)
    if len(b.shape(qt)) > 1:
        raise ValueError(f"{name}: q must be a scalar or a 1-D tensor; got shape {tuple(b.shape(qt))}.")
    return qt if scale == 1.0 else b.divide(qt, b.full((), scale, dtype))


def _quantile(x: Any, q: Any, axis: Any, method: str, keepdims: bool, ignore_nan: bool, scale: float,
              name: str) -> Any:
    if method not in _METHODS:
        raise ValueError(f"{name}: method must be one of {', '.join(repr(m) for m in _METHODS)}; "
                         f"got method={method!r}.")
    b = current()
    x = _floatx_input(x)
    d = b.dtype(x)
    qt = _q_tensor(q, d, scale, name)
    shp = tuple(b.shape(x))
    nd = len(shp)
    axes = axis_tuple(axis, nd)
    red = tuple(range(nd)) if axes is None else axes
    kept = tuple(i for i in range(nd) if i not in red)
    n = int(np.prod([shp[i] for i in red], dtype=np.int64))
    if n == 0:
        raise ValueError(f"{name}: cannot compute a quantile over an empty axis (input shape {shp}, axis={axis}).")
    kshape = tuple(shp[i] for i in kept)
    xt = b.reshape(b.transpose(x, kept + red), kshape + (n,))
    s = b.sort(xt, len(kshape))  # NaN sorts last on every backend
    qshape = tuple(b.shape(qt))
    lead = (1,) * len(qshape)
    tail = (1,) * len(kshape) + (1,)
    qv = b.reshape(qt, qshape + tail)
    one = b.ones((), d)
    if ignore_nan:
        cnt = b.sum(b.cast(b.logical_not(b.isnan(s)), d), (len(kshape),), True)
        cnt = b.reshape(cnt, lead + kshape + (1,))
    else:
        cnt = b.full((), float(n), d)
    v = b.multiply(qv, b.subtract(cnt, one))          # virtual index, shape qshape + kshape + (1,)
    hi_lim = b.maximum(b.subtract(cnt, one), b.zeros((), d))
    lo_f = b.minimum(b.maximum(b.floor(v), b.zeros((), d)), hi_lim)
    hi_f = b.minimum(b.maximum(b.ceil(v), b.zeros((), d)), hi_lim)
    sb = b.broadcast_to(b.reshape(s, lead + kshape + (n,)), qshape + kshape + (n,))
    ax = len(qshape) + len(kshape)

    def at(pos):
        return b.take_along_axis(sb, b.cast(pos, "int32"), ax)
    if method == "nearest":
        out = at(b.minimum(b.maximum(b.round(v), b.zeros((), d)), hi_lim))  # ties to even, as NumPy
    elif method == "lower":
        out = at(lo_f)
    elif method == "higher":
        out = at(hi_f)
    else:
        lo, hi = at(lo_f), at(hi_f)
        if method == "linear":
            t = b.subtract(v, lo_f)
        else:  # midpoint: t = 0.5 except where the virtual index is exact
            t = b.where(b.equal(lo_f, hi_f), b.zeros((), d), b.full((), 0.5, d))
        diff = b.subtract(hi, lo)
        # NumPy's lerp: from the nearer end, so t in {0, 1} returns an end exactly.
        up = b.greater_equal(t, b.full((), 0.5, d))
        out = b.where(up, b.subtract(hi, b.multiply(diff, b.subtract(one, t))), b.add(lo, b.multiply(diff, t)))
        out = b.where(b.equal(lo, hi), lo, out)  # equal ends (also +-inf): exactly that value
    if ignore_nan:
        bad = b.equal(cnt, b.zeros((), d))
    else:
        bad = b.reshape(b.any(b.isnan(s), (len(kshape),), True), lead + kshape + (1,))
    out = b.where(bad, b.full((), np.nan, d), out)
    if keepdims:
        full = tuple(1 if i in red else shp[i] for i in range(nd))
        # kept axes keep their order, so the kept shape reinserts into place
        return b.reshape(out, qshape + full)
    return b.reshape(out, qshape + kshape)


@op
def quantile(x: Any, q: Any, axis: Any = None, method: str = "linear", keepdims: bool = False) -> Any:
    """The ``q``-th quantiles of ``x`` along ``axis`` (NaN where a slice contains NaN).

    Args:
        x: Input tensor.
        q: Quantile or 1-D sequence of quantiles, in ``[0, 1]``.
        axis: Axis or axes to reduce; None reduces all axes.
        method: ``"linear"``, ``"lower"``, ``"higher"``, ``"midpoint"`` or ``"nearest"`` (NumPy's
            definitions; ``"nearest"`` rounds ties to even as NumPy and Keras on torch do, where
            Keras on JAX rounds them down).
        keepdims: Keep reduced axes with size 1.

    Returns:
        Quantiles of shape ``q.shape + reduced shape``; integer inputs give ``floatx``.

    Raises:
        ValueError: for an unknown ``method``, a concrete ``q`` outside ``[0, 1]``, or an empty axis.
    """
    return _quantile(x, q, axis, method, keepdims, False, 1.0, "quantile")


@op
def percentile(x: Any, q: Any, axis: Any = None, method: str = "linear", keepdims: bool = False) -> Any:
    """The ``q``-th percentiles of ``x`` along ``axis``: ``quantile(x, q / 100)``.

    Args:
        x: Input tensor.
        q: Percentile or 1-D sequence of percentiles, in ``[0, 100]``.
        axis: Axis or axes to reduce; None reduces all axes.
        method: As in :func:`quantile`.
        keepdims: Keep reduced axes with size 1.

    Returns:
        Percentiles of shape ``q.shape + reduced shape``; integer inputs give ``floatx``.

    Raises:
        ValueError: for an unknown ``method``, a concrete ``q`` outside ``[0, 100]``, or an empty axis.
    """
    return _quantile(x, q, axis, method, keepdims, False, 100.0, "percentile")


@op
def nanquantile(x: Any, q: Any, axis: Any = None, method: str = "linear", keepdims: bool = False) -> Any:
    """Quantiles of the non-NaN entries (NaN for an all-NaN slice).

    Args:
        x: Input tensor.
        q: Quantile or 1-D sequence of quantiles, in ``[0, 1]``.
        axis: Axis or axes to reduce; None reduces all axes.
        method: As in :func:`quantile`.
        keepdims: Keep reduced axes with size 1.

    Returns:
        Quantiles of shape ``q.shape + reduced shape``; integer inputs give ``floatx``.

    Raises:
        ValueError: for an unknown ``method``, a concrete ``q`` outside ``[0, 1]``, or an empty axis.
    """
    return _quantile(x, q, axis, method, keepdims, True, 1.0, "nanquantile")


@op
def nanpercentile(x: Any, q: Any, axis: Any = None, method: str = "linear", keepdims: bool = False) -> Any:
    """Percentiles of the non-NaN entries: ``nanquantile(x, q / 100)``.

    Args:
        x: Input tensor.
        q: Percentile or 1-D sequence of percentiles, in ``[0, 100]``.
        axis: Axis or axes to reduce; None reduces all axes.
        method: As in :func:`quantile`.
        keepdims: Keep reduced axes with size 1.

    Returns:
        Percentiles of shape ``q.shape + reduced shape``; integer inputs give ``floatx``.

    Raises:
        ValueError: for an unknown ``method``, a concrete ``q`` outside ``[0, 100]``, or an empty axis.
    """
    return _quantile(x, q, axis, method, keepdims, True, 100.0, "nanpercentile")


@op
def nanmedian(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Median of the non-NaN entries along ``axis`` (NaN for an all-NaN slice).

    Args:
        x: Input tensor.
        axis: Axis or axes to reduce; None reduces all axes.
        keepdims: Keep reduced axes with size 1.

    Returns:
        The median; integer inputs give ``floatx``.

    Raises:
        ValueError: for an empty axis.
    """
    return _quantile(x, 0.5, axis, "linear", keepdims, True, 1.0, "nanmedian")


@op
def ptp(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Range (``max - min``) of values along ``axis``.

    Args:
        x: Input tensor (numeric, not bool).
        axis: Axis or axes to reduce; None reduces all axes.
        keepdims: Keep reduced axes with size 1.

    Returns:
        ``max(x) - min(x)`` in ``x``'s dtype.

    Raises:
        TypeError: for a bool tensor (a difference of booleans is undefined, as in Keras).
        ValueError: if a reduced axis is empty.
    """
    b = current()
    x = tensor(x)
    if b.dtype(x) == "bool":
        raise TypeError("ptp: got a bool tensor; the range of booleans is undefined. Cast it to an "
                        "integer dtype first (kshim.ops.cast(x, 'int32')).")
    return b.subtract(_max(x, axis=axis, keepdims=keepdims), _min(x, axis=axis, keepdims=keepdims))


__all__ = [_n for _n, _v in list(globals().items())
           if not _n.startswith("_") and callable(_v) and getattr(_v, "__module__", None) == __name__]
