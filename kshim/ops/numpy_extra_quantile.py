"""Quantiles and percentiles, plain and NaN-ignoring, and ``nanmedian`` (``keras.ops`` NumPy namespace).

One composite for all of them: move the reduced axes last, sort (NaN sorts last on every backend),
gather the two neighbours of NumPy's virtual index ``q * (n - 1)`` with ``take_along_axis`` and
interpolate by ``method``. For the NaN-ignoring forms ``n`` is the per-slice count of non-NaN
values (a tensor), so everything keeps a static shape: jit-able on JAX and differentiable on the
NumPy backend's tape. Integer inputs give ``floatx`` (Keras' rule).
"""

from __future__ import annotations

import numbers
from typing import TYPE_CHECKING, Any

import numpy as np

from ..backend import current
from ._dispatch import axis_tuple, op, tensor
from .numpy_extra_nan import _floatx_input

_METHODS = ("linear", "lower", "higher", "midpoint", "nearest")


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


def _quantile(x: Any, q: Any, axis: Any, method: str, keepdims: bool, ignore_nan: bool, scale: float, name: str) -> Any:
    if method not in _METHODS:
        raise ValueError(
            f"{name}: method must be one of {', '.join(repr(m) for m in _METHODS)}; got method={method!r}."
        )
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
    v = b.multiply(qv, b.subtract(cnt, one))  # virtual index, shape qshape + kshape + (1,)
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
        Quantiles of shape ``q.shape + reduced shape``; integer inputs give ``floatx``. A
        quantile that lands exactly on a sample returns that sample, also when it is infinite
        (NumPy's interpolation, and Keras on JAX, give NaN next to an infinity there).

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


# Built at import time; mypy cannot evaluate it, and without it sees every public name (the same ops).
if not TYPE_CHECKING:
    __all__ = [
        _n
        for _n, _v in list(globals().items())
        if not _n.startswith("_") and callable(_v) and getattr(_v, "__module__", None) == __name__
    ]
