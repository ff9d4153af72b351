"""Reductions, scans and sorting of the ``keras.ops`` NumPy namespace."""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING, Any

from .. import dtypes as _dt
from ..backend import current
from ._dispatch import axis_tuple, norm_axis, op, tensor


def _sum_dtype(d: str) -> str:
    # Keras/JAX: bool and small ints accumulate in int32; uints in uint32.
    if d in ("bool", "int8", "int16"):
        return "int32"
    if d in ("uint8", "uint16"):
        return "uint32"
    return d


@op
def sum(x: Any, axis: Any = None, keepdims: bool = False) -> Any:  # noqa: A001
    """Sum of the elements of ``x`` over ``axis``.

    bool, int8 and int16 inputs accumulate and return int32, uint8 and uint16 return uint32, as in
    Keras; other dtypes are kept.

    Args:
        x: Input tensor.
        axis: None (the default: reduce over all axes), an int or a sequence of ints; negative
            axes count from the end.
        keepdims: If True, the reduced axes are kept with size 1 (so the result broadcasts
            against ``x``); if False (the default) they are removed.

    Returns:
        The sums, with the reduced axes removed (or kept with size 1).

    Raises:
        ValueError: If an axis is out of bounds for ``x``'s rank.

    Example:
        >>> x = kshim.ops.array([[1, 2], [3, 4]])
        >>> kshim.ops.convert_to_numpy(kshim.ops.sum(x, axis=0))
        array([4, 6], dtype=int32)
    """
    b = current()
    x = tensor(x)
    d = b.dtype(x)
    if _sum_dtype(d) != d:
        x = b.cast(x, _sum_dtype(d))
    return b.sum(x, axis_tuple(axis, len(b.shape(x))), keepdims)


@op
def prod(x: Any, axis: Any = None, keepdims: bool = False, dtype: Any = None) -> Any:
    """Product of the elements of ``x`` over ``axis``.

    Args:
        x: Input tensor.
        axis: None (the default: reduce over all axes), an int or a sequence of ints; negative
            axes count from the end.
        keepdims: If True, the reduced axes are kept with size 1 (so the result broadcasts
            against ``x``); if False (the default) they are removed.
        dtype: The dtype to compute and return in. None (the default) keeps ``x``'s dtype, except that
            bool, int8 and int16 become int32 and uint8 and uint16 become uint32.

    Returns:
        The products, with the reduced axes removed (or kept with size 1).

    Raises:
        ValueError: If an axis is out of bounds for ``x``'s rank.
    """
    b = current()
    x = tensor(x)
    d = _dt.standardize_dtype(dtype) if dtype is not None else _sum_dtype(b.dtype(x))
    if d != b.dtype(x):
        x = b.cast(x, d)
    return b.prod(x, axis_tuple(axis, len(b.shape(x))), keepdims)


def _minmax(name: str, x: Any, axis: Any, keepdims: bool, initial: Any) -> Any:
    b = current()
    x = tensor(x)
    shp = b.shape(x)
    axes = axis_tuple(axis, len(shp))
    red = range(len(shp)) if axes is None else axes
    if builtins.any(shp[a] == 0 for a in red):
        if initial is None:
            raise ValueError(f"Cannot compute {name} of an empty tensor of shape {shp} without `initial`.")
        out_shape = (
            tuple(1 if (axes is None or i in axes) else s for i, s in enumerate(shp))
            if keepdims
            else tuple(s for i, s in enumerate(shp) if axes is not None and i not in axes)
        )
        return b.full(out_shape, initial, b.dtype(x))
    out = getattr(b, name)(x, axes, keepdims)
    if initial is not None:
        fn = b.maximum if name == "max" else b.minimum
        out = fn(out, b.full((), initial, b.dtype(x)))
    return out


@op
def max(x: Any, axis: Any = None, keepdims: bool = False, initial: Any = None) -> Any:  # noqa: A001
    """Maximum of the elements of ``x`` over ``axis``.

    Args:
        x: Input tensor.
        axis: None (the default: reduce over all axes), an int or a sequence of ints; negative
            axes count from the end.
        keepdims: If True, the reduced axes are kept with size 1 (so the result broadcasts
            against ``x``); if False (the default) they are removed.
        initial: None (the default) or a Python number: the result is at least ``initial``,
            and reducing over an empty axis gives ``initial`` instead of an error.

    Returns:
        The maximums, in ``x``'s dtype, with the reduced axes removed (or kept with size 1).

    Raises:
        ValueError: If a reduced axis is empty and ``initial`` is None, or an axis is out of bounds.
    """
    return _minmax("max", x, axis, keepdims, initial)


@op
def min(x: Any, axis: Any = None, keepdims: bool = False, initial: Any = None) -> Any:  # noqa: A001
    """Minimum of the elements of ``x`` over ``axis``.

    Args:
        x: Input tensor.
        axis: None (the default: reduce over all axes), an int or a sequence of ints; negative
            axes count from the end.
        keepdims: If True, the reduced axes are kept with size 1 (so the result broadcasts
            against ``x``); if False (the default) they are removed.
        initial: None (the default) or a Python number: the result is at most ``initial``,
            and reducing over an empty axis gives ``initial`` instead of an error.

    Returns:
        The minimums, in ``x``'s dtype, with the reduced axes removed (or kept with size 1).

    Raises:
        ValueError: If a reduced axis is empty and ``initial`` is None, or an axis is out of bounds.
    """
    return _minmax("min", x, axis, keepdims, initial)


amax, amin = max, min


@op
def mean(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Arithmetic mean of the elements of ``x`` over ``axis``.

    Integer and bool inputs give ``floatx()``; float16 and bfloat16 inputs are summed in float32 and
    the result cast back. The mean over an empty axis is NaN.

    Args:
        x: Input tensor.
        axis: None (the default: reduce over all axes), an int or a sequence of ints; negative
            axes count from the end.
        keepdims: If True, the reduced axes are kept with size 1 (so the result broadcasts
            against ``x``); if False (the default) they are removed.

    Returns:
        The means, in a float dtype, with the reduced axes removed (or kept with size 1).

    Raises:
        ValueError: If an axis is out of bounds for ``x``'s rank.

    Example:
        >>> x = kshim.ops.array([[1.0, 2.0], [3.0, 5.0]])
        >>> kshim.ops.convert_to_numpy(kshim.ops.mean(x, axis=1))
        array([1.5, 4. ], dtype=float32)
    """
    b = current()
    x = tensor(x)
    d = b.dtype(x)
    if not _dt.is_inexact(d):
        x = b.cast(x, _dt.config.floatx())
        d = b.dtype(x)
    shp = b.shape(x)
    axes = axis_tuple(axis, len(shp))
    count = 1
    for a in range(len(shp)) if axes is None else axes:
        count *= shp[a]
    # NOTE: float16 sums accumulate in float32 to avoid overflow, then cast back.
    acc = b.cast(x, "float32") if d in ("float16", "bfloat16") else x
    s = b.sum(acc, axes, keepdims)
    out = b.divide(s, b.full((), float(count) if count else float("nan"), b.dtype(s)))
    return b.cast(out, d) if d in ("float16", "bfloat16") else out


@op
def var(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Population variance (the mean squared deviation from the mean, no Bessel correction) over
    ``axis``.

    Integer and bool inputs give ``floatx()``.

    Args:
        x: Input tensor.
        axis: None (the default: reduce over all axes), an int or a sequence of ints; negative
            axes count from the end.
        keepdims: If True, the reduced axes are kept with size 1 (so the result broadcasts
            against ``x``); if False (the default) they are removed.

    Returns:
        The variances, in a float dtype, with the reduced axes removed (or kept with size 1).

    Raises:
        ValueError: If an axis is out of bounds for ``x``'s rank.
    """
    b = current()
    m = mean(x, axis=axis, keepdims=True)
    x = tensor(x, b.dtype(m))
    d = b.subtract(x, m)
    if _dt.is_complex(b.dtype(d)):  # |x - mean|^2, real (as NumPy and JAX)
        return mean(b.real(b.multiply(d, b.conj(d))), axis=axis, keepdims=keepdims)
    return mean(b.square(d), axis=axis, keepdims=keepdims)


@op
def std(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Population standard deviation (the square root of :func:`var`) over ``axis``.

    Integer and bool inputs give ``floatx()``.

    Args:
        x: Input tensor.
        axis: None (the default: reduce over all axes), an int or a sequence of ints; negative
            axes count from the end.
        keepdims: If True, the reduced axes are kept with size 1 (so the result broadcasts
            against ``x``); if False (the default) they are removed.

    Returns:
        The standard deviations, in a float dtype, with the reduced axes removed (or kept with size 1).

    Raises:
        ValueError: If an axis is out of bounds for ``x``'s rank.
    """
    return current().sqrt(var(x, axis=axis, keepdims=keepdims))


@op
def any(x: Any, axis: Any = None, keepdims: bool = False) -> Any:  # noqa: A001
    """Whether any element of ``x`` over ``axis`` is true (nonzero).

    Args:
        x: Input tensor, converted to bool (nonzero is true).
        axis: None (the default: reduce over all axes), an int or a sequence of ints; negative
            axes count from the end.
        keepdims: If True, the reduced axes are kept with size 1 (so the result broadcasts
            against ``x``); if False (the default) they are removed.

    Returns:
        A bool tensor, with the reduced axes removed (or kept with size 1).

    Raises:
        ValueError: If an axis is out of bounds for ``x``'s rank.
    """
    b = current()
    x = tensor(x, "bool")
    return b.any(x, axis_tuple(axis, len(b.shape(x))), keepdims)


@op
def all(x: Any, axis: Any = None, keepdims: bool = False) -> Any:  # noqa: A001
    """Whether every element of ``x`` over ``axis`` is true (nonzero).

    Args:
        x: Input tensor, converted to bool (nonzero is true).
        axis: None (the default: reduce over all axes), an int or a sequence of ints; negative
            axes count from the end.
        keepdims: If True, the reduced axes are kept with size 1 (so the result broadcasts
            against ``x``); if False (the default) they are removed.

    Returns:
        A bool tensor, with the reduced axes removed (or kept with size 1).

    Raises:
        ValueError: If an axis is out of bounds for ``x``'s rank.
    """
    b = current()
    x = tensor(x, "bool")
    return b.all(x, axis_tuple(axis, len(b.shape(x))), keepdims)


@op
def count_nonzero(x: Any, axis: Any = None) -> Any:
    """Number of nonzero elements of ``x`` over ``axis``.

    Args:
        x: Input tensor (for bool, the number of True values is counted).
        axis: None (the default: reduce over all axes), an int or a sequence of ints; negative
            axes count from the end.

    Returns:
        An int32 tensor of counts, with the reduced axes removed.

    Raises:
        ValueError: If an axis is out of bounds for ``x``'s rank.
    """
    b = current()
    x = tensor(x)
    nz = b.cast(b.not_equal(x, b.zeros((), b.dtype(x))), "int32")
    return b.sum(nz, axis_tuple(axis, len(b.shape(x))), False)


def _arg(name: str, x: Any, axis: Any, keepdims: bool) -> Any:
    b = current()
    x = tensor(x)
    ax = None if axis is None else norm_axis(axis, len(b.shape(x)))
    out = getattr(b, name)(x, ax, keepdims)
    return b.cast(out, "int32")


@op
def argmax(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Index of the first maximum of ``x`` along ``axis``.

    Args:
        x: Input tensor.
        axis: An int (negative counts from the end), or None (the default) for the index into the
            flattened tensor.
        keepdims: If True, the reduced axis is kept with size 1; if False (the default) it is removed.

    Returns:
        An int32 tensor of indices.

    Raises:
        ValueError: If ``axis`` is out of bounds for ``x``'s rank.
    """
    return _arg("argmax", x, axis, keepdims)


@op
def argmin(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Index of the first minimum of ``x`` along ``axis``.

    Args:
        x: Input tensor.
        axis: An int (negative counts from the end), or None (the default) for the index into the
            flattened tensor.
        keepdims: If True, the reduced axis is kept with size 1; if False (the default) it is removed.

    Returns:
        An int32 tensor of indices.

    Raises:
        ValueError: If ``axis`` is out of bounds for ``x``'s rank.
    """
    return _arg("argmin", x, axis, keepdims)


def _flat_or_axis(x: Any, axis: Any) -> tuple:
    b = current()
    x = tensor(x)
    if axis is None:
        n = 1
        for s in b.shape(x):
            n *= s
        return b.reshape(x, (n,)), 0
    return x, norm_axis(axis, len(b.shape(x)))


def _cum_dtype(d: str) -> str:
    # Keras: cumulative ops keep the input dtype (int8 stays int8); only bool becomes int32.
    return "int32" if d == "bool" else d


@op
def cumsum(x: Any, axis: Any = None, dtype: Any = None) -> Any:
    """Cumulative sum of the elements of ``x`` along ``axis``.

    Args:
        x: Input tensor.
        axis: An int (negative counts from the end), or None (the default) to scan the flattened
            tensor.
        dtype: The dtype to compute and return in. None (the default) keeps ``x``'s dtype (int8 stays
            int8), except that bool becomes int32.

    Returns:
        A tensor of the same shape as ``x`` (1-d of ``x``'s size when ``axis`` is None) whose element
        ``i`` along ``axis`` is the sum of elements ``0..i``.

    Raises:
        ValueError: If ``axis`` is out of bounds for ``x``'s rank.

    Example:
        >>> kshim.ops.convert_to_numpy(kshim.ops.cumsum(kshim.ops.array([1, 2, 3])))
        array([1, 3, 6], dtype=int32)
    """
    b = current()
    x, ax = _flat_or_axis(x, axis)
    d = _dt.standardize_dtype(dtype) if dtype is not None else _cum_dtype(b.dtype(x))
    return b.cumsum(b.cast(x, d) if d != b.dtype(x) else x, ax)


@op
def cumprod(x: Any, axis: Any = None, dtype: Any = None) -> Any:
    """Cumulative product of the elements of ``x`` along ``axis``.

    Args:
        x: Input tensor.
        axis: An int (negative counts from the end), or None (the default) to scan the flattened
            tensor.
        dtype: The dtype to compute and return in. None (the default) keeps ``x``'s dtype (int8 stays
            int8), except that bool becomes int32.

    Returns:
        A tensor of the same shape as ``x`` (1-d of ``x``'s size when ``axis`` is None) whose element
        ``i`` along ``axis`` is the product of elements ``0..i``.

    Raises:
        ValueError: If ``axis`` is out of bounds for ``x``'s rank.
    """
    b = current()
    x, ax = _flat_or_axis(x, axis)
    d = _dt.standardize_dtype(dtype) if dtype is not None else _cum_dtype(b.dtype(x))
    return b.cumprod(b.cast(x, d) if d != b.dtype(x) else x, ax)


@op
def sort(x: Any, axis: int = -1) -> Any:
    """Sorts the elements of ``x`` in ascending order along ``axis``.

    Args:
        x: Input tensor.
        axis: The axis to sort along (the default -1: the last axis), or None to sort the flattened
            tensor.

    Returns:
        The sorted tensor, with ``x``'s dtype and shape (1-d when ``axis`` is None).

    Raises:
        ValueError: If ``axis`` is out of bounds for ``x``'s rank.
    """
    x, ax = _flat_or_axis(x, axis)
    return current().sort(x, ax)


@op
def argsort(x: Any, axis: int = -1) -> Any:
    """Indices that sort ``x`` in ascending order along ``axis`` (a stable sort: equal elements keep
    their order).

    Args:
        x: Input tensor.
        axis: The axis to sort along (the default -1: the last axis), or None to sort the flattened
            tensor.

    Returns:
        An int32 tensor of indices, of ``x``'s shape (1-d when ``axis`` is None or ``x`` is a scalar).

    Raises:
        ValueError: If ``axis`` is out of bounds for ``x``'s rank.

    Example:
        >>> kshim.ops.convert_to_numpy(kshim.ops.argsort(kshim.ops.array([3, 1, 2])))
        array([1, 2, 0], dtype=int32)
    """
    b = current()
    x = tensor(x)
    if not b.shape(x):  # a scalar, as NumPy and Keras: sorted as a one-element vector, result (1,)
        return b.cast(b.argsort(b.reshape(x, (1,)), 0), "int32")
    x, ax = _flat_or_axis(x, axis)
    return b.cast(b.argsort(x, ax), "int32")


@op
def average(x: Any, axis: Any = None, weights: Any = None) -> Any:
    """Weighted average of the elements of ``x`` over ``axis``: ``sum(x * w) / sum(w)``.

    Integer and bool inputs give ``floatx()``.

    Args:
        x: Input tensor.
        axis: None (the default: reduce over all axes), an int or a sequence of ints; negative
            axes count from the end.
        weights: None (the default: the plain :func:`mean`), a tensor broadcastable to ``x``'s shape,
            or, with an int ``axis``, a 1-d tensor of one weight per element along that axis.

    Returns:
        The weighted averages, in a float dtype, with the reduced axes removed.

    Raises:
        ValueError: If an axis is out of bounds for ``x``'s rank.
    """
    if weights is None:
        return mean(x, axis=axis)
    b = current()
    x = tensor(x)
    if not _dt.is_float(b.dtype(x)):
        x = b.cast(x, _dt.config.floatx())
    w = tensor(weights, b.dtype(x))
    if axis is not None and len(b.shape(w)) == 1 and len(b.shape(x)) > 1:
        ax = norm_axis(axis, len(b.shape(x)))
        w = b.reshape(w, tuple(b.shape(w)[0] if i == ax else 1 for i in range(len(b.shape(x)))))
    w = b.broadcast_to(w, b.shape(x))
    axes = axis_tuple(axis, len(b.shape(x)))
    return b.divide(b.sum(b.multiply(x, w), axes, False), b.sum(w, axes, False))


@op
def median(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Median of the elements of ``x`` over ``axis``.

    For an even number of elements it is the mean of the two middle values; a NaN anywhere in a
    reduced slice makes that median NaN. Integer and bool inputs give ``floatx()``.

    Args:
        x: Input tensor.
        axis: None (the default: the median of all elements), an int or a sequence of ints (the
            median over those axes together); negatives count from the end.
        keepdims: If True, the reduced axes are kept with size 1 (so the result broadcasts
            against ``x``); if False (the default) they are removed.

    Returns:
        The medians, in a float dtype, with the reduced axes removed (or kept with size 1).

    Raises:
        ValueError: If an axis is out of bounds for ``x``'s rank.
    """
    b = current()
    x = tensor(x)
    if not _dt.is_float(b.dtype(x)):
        x = b.cast(x, _dt.config.floatx())
    shape = tuple(b.shape(x))
    nd = len(shape)
    axes = tuple(range(nd)) if axis is None else axis_tuple(axis, nd)
    kept = tuple(i for i in range(nd) if i not in axes)
    kept_shape = tuple(shape[i] for i in kept)
    if axes != tuple(range(nd - len(axes), nd)):  # the reduced axes last, then flattened into one
        x = b.transpose(x, kept + axes)
    n = 1
    for a in axes:
        n *= shape[a]
    flat = b.reshape(x, kept_shape + (n,))
    ax = len(kept)
    s = b.sort(flat, ax)
    lead = (slice(None),) * ax
    lo = b.getitem(s, lead + (slice((n - 1) // 2, (n - 1) // 2 + 1),))
    hi = b.getitem(s, lead + (slice(n // 2, n // 2 + 1),))
    med = b.divide(b.add(lo, hi), b.full((), 2.0, b.dtype(s)))
    # a NaN anywhere in the reduced slice makes the median NaN (as NumPy and Keras); sort puts NaNs last
    med = b.where(b.any(b.isnan(flat), (ax,), True), b.full((), float("nan"), b.dtype(s)), med)
    if keepdims:
        return b.reshape(med, tuple(1 if i in axes else d for i, d in enumerate(shape)))
    return b.reshape(med, kept_shape)


@op
def diff(a: Any, n: int = 1, axis: int = -1) -> Any:
    """The ``n``-th discrete difference of ``a`` along ``axis``: ``out[i] = a[i + 1] - a[i]``,
    applied ``n`` times.

    For bool inputs each step is ``a[i + 1] != a[i]`` (as NumPy).

    Args:
        a: Input tensor.
        n: How many times to take the difference (default 1); 0 returns ``a`` unchanged.
        axis: The axis to differentiate along (default -1: the last axis).

    Returns:
        A tensor of ``a``'s dtype whose size along ``axis`` is ``n`` less than ``a``'s (at least 0).

    Raises:
        ValueError: If ``axis`` is out of bounds for ``a``'s rank.

    Example:
        >>> kshim.ops.convert_to_numpy(kshim.ops.diff(kshim.ops.array([1, 4, 9, 16])))
        array([3, 5, 7], dtype=int32)
    """
    b = current()
    x = tensor(a)
    ax = norm_axis(axis, len(b.shape(x)))
    lead = (slice(None),) * ax
    step = b.not_equal if b.dtype(x) == "bool" else b.subtract  # NumPy: bool differences are "changed"
    for _ in range(n):
        x = step(b.getitem(x, lead + (slice(1, None),)), b.getitem(x, lead + (slice(None, -1),)))
    return x


# Built at import time; mypy cannot evaluate it, and without it sees every public name (the same ops).
if not TYPE_CHECKING:
    __all__ = [
        _n
        for _n, _v in list(globals().items())
        if not _n.startswith("_") and callable(_v) and getattr(_v, "__module__", None) == __name__
    ]
