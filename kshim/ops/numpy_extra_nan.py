"""NaN-ignoring reductions and ``ptp`` (``keras.ops`` NumPy namespace); the NaN-ignoring
quantiles are in numpy_extra_quantile.py.

Everything here is a composite over the backend primitives (sort, take_along_axis, where, sum,
...), so it is jit-able on JAX and differentiable on the NumPy backend's tape.

Result dtypes follow Keras' rules as kshim applies them elsewhere: integer inputs of the float
reductions (``nanmean``, ``nanvar``, ...) give ``floatx``; integer sums and
products accumulate as ``kshim.ops.sum``/``prod`` do; indices are int32. Keras on JAX with x64
reports 64-bit results for some of these (JAX widens them); kshim keeps Keras' 32-bit rule.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .. import dtypes as _dt
from ..backend import current
from ._dispatch import axis_tuple, op, tensor
from .numpy_reduce import argmax as _argmax, argmin as _argmin, cumprod as _cumprod
from .numpy_reduce import cumsum as _cumsum, max as _max, min as _min, prod as _prod, sum as _sum


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
    out = (_max if is_max else _min)(
        b.where(nan, b.full((), -np.inf if is_max else np.inf, d), x), axis=axis, keepdims=keepdims
    )
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
    nan = b.isnan(x)
    s, n = _nan_count_sum(x, axis, True)
    # zero the deviations at NaNs *before* squaring, so no NaN reaches the gradient either
    dev = b.where(nan, b.zeros((), d), b.subtract(x, _safe_div(s, n)))
    axes = axis_tuple(axis, len(b.shape(x)))
    n = b.sum(b.cast(b.logical_not(nan), d), axes, keepdims)
    return _safe_div(b.sum(b.multiply(dev, dev), axes, keepdims), n)


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
        raise TypeError(
            "ptp: got a bool tensor; the range of booleans is undefined. Cast it to an "
            "integer dtype first (kshim.ops.cast(x, 'int32'))."
        )
    return b.subtract(_max(x, axis=axis, keepdims=keepdims), _min(x, axis=axis, keepdims=keepdims))


# Built at import time; mypy cannot evaluate it, and without it sees every public name (the same ops).
if not TYPE_CHECKING:
    __all__ = [
        _n
        for _n, _v in list(globals().items())
        if not _n.startswith("_") and callable(_v) and getattr(_v, "__module__", None) == __name__
    ]
