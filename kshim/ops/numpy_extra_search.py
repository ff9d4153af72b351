"""Searching and counting: ``searchsorted``, ``digitize``, ``isin``, ``histogram``, ``bincount``,
``select``, ``argpartition``, ``unravel_index``, ``allclose`` (``keras.ops`` NumPy namespace).

Fixed-shape composites (searchsorted is a branch-free binary search over ``take``), so all of them
except ``bincount`` run under ``jax.jit``; ``bincount``'s output length depends on the values.
"""

from __future__ import annotations

import numbers
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from .. import dtypes as _dt
from ..backend import current
from ._dispatch import norm_axis, op, promote, tensor
from .numpy_math import isclose as _isclose
from .numpy_reduce import argsort as _argsort


def _concrete(b: Any, t: Any, op_name: str, fix: str) -> np.ndarray:
    """``t`` on the host; a traced value (inside ``jax.jit``) cannot be, so say what to do instead."""
    try:
        return np.asarray(b.to_numpy(t))
    except Exception as e:  # a tracer: its value does not exist yet
        raise TypeError(
            f"{op_name}: the output shape depends on the input values, so it cannot be "
            f"traced (jax.jit, or any {b.name} graph compilation). {fix}"
        ) from e


def _sorts_before(b: Any, a: Any, c: Any, or_equal: bool) -> Any:
    """``a < c`` (``a <= c``) in sort order, where NaN is larger than every number."""
    if not _dt.is_float(b.dtype(a)):
        return b.less_equal(a, c) if or_equal else b.less(a, c)
    if or_equal:  # not (c < a)
        return b.logical_not(b.logical_or(b.less(c, a), b.logical_and(b.isnan(a), b.logical_not(b.isnan(c)))))
    return b.logical_or(b.less(a, c), b.logical_and(b.isnan(c), b.logical_not(b.isnan(a))))


def _search(b: Any, s: Any, v: Any, side: str) -> Any:
    """int32 insertion points of ``v`` into the sorted 1-D ``s`` (binary search, fixed step count)."""
    n = b.shape(s)[0]
    lo = b.zeros(tuple(b.shape(v)), "int32")
    if n == 0:
        return lo
    hi = b.full(tuple(b.shape(v)), n, "int32")
    two, one, last = b.full((), 2, "int32"), b.ones((), "int32"), b.full((), n - 1, "int32")
    for _ in range(int(n).bit_length()):
        mid = b.floor_divide(b.add(lo, hi), two)
        sm = b.take(s, b.minimum(mid, last), 0)
        right = b.logical_and(_sorts_before(b, sm, v, side == "right"), b.less(lo, hi))
        lo = b.where(right, b.add(mid, one), lo)
        hi = b.where(right, hi, mid)
    return lo


def _ordered_pair(x1: Any, x2: Any) -> tuple:
    b = current()
    a, c = promote(x1, x2)
    if b.dtype(a) == "bool":
        a, c = b.cast(a, "int32"), b.cast(c, "int32")
    return a, c


@op
def searchsorted(sorted_sequence: Any, values: Any, side: str = "left") -> Any:
    """Indices where ``values`` would be inserted into ``sorted_sequence`` to keep it sorted.

    NaN counts as larger than every number (NumPy's and JAX's sort order).

    Args:
        sorted_sequence: 1-D ascending tensor.
        values: Values to insert, any shape.
        side: ``"left"`` (first suitable index) or ``"right"`` (last).

    Returns:
        int32 indices, shaped like ``values``.

    Raises:
        ValueError: for a ``sorted_sequence`` that is not 1-D, or an unknown ``side``.
    """
    if side not in ("left", "right"):
        raise ValueError(f"searchsorted: side must be 'left' or 'right'; got side={side!r}.")
    b = current()
    s, v = _ordered_pair(sorted_sequence, values)
    if len(b.shape(s)) != 1:
        raise ValueError(
            f"searchsorted only supports 1-D sorted sequences; got sorted_sequence.shape="
            f"{tuple(b.shape(s))}. Apply it per row (kshim.ops.vectorize) for N-D sequences."
        )
    return _search(b, s, v, side)


@op
def digitize(x: Any, bins: Any) -> Any:
    """Index of the bin each value of ``x`` falls in (``bins[i-1] <= x < bins[i]``).

    ``bins`` may be increasing or decreasing (then ``bins[i-1] > x >= bins[i]``), as in NumPy.

    Args:
        x: Values, any shape.
        bins: 1-D monotonic tensor of bin edges.

    Returns:
        int32 bin indices shaped like ``x``.

    Raises:
        ValueError: if ``bins`` is not 1-D.
    """
    b = current()
    v, s = _ordered_pair(x, bins)
    if len(b.shape(s)) != 1:
        raise ValueError(f"digitize: bins must be a 1-D tensor; got bins.shape={tuple(b.shape(s))}.")
    n = b.shape(s)[0]
    if n == 0:
        return b.zeros(tuple(b.shape(v)), "int32")
    inc = _search(b, s, v, "right")
    dec = b.subtract(b.full((), n, "int32"), _search(b, b.getitem(s, (slice(None, None, -1),)), v, "right"))
    increasing = b.greater_equal(b.getitem(s, (n - 1,)), b.getitem(s, (0,)))
    return b.where(increasing, inc, dec)


@op
def isin(x1: Any, x2: Any, assume_unique: bool = False, invert: bool = False) -> Any:
    """Elementwise test whether each element of ``x1`` occurs in ``x2`` (NaN never matches).

    Args:
        x1: Tensor to test.
        x2: Values to look for (any shape; flattened).
        assume_unique: Accepted for NumPy/Keras compatibility; the result does not depend on it.
        invert: Return ``not isin``.

    Returns:
        bool tensor shaped like ``x1``.
    """
    b = current()
    a, c = _ordered_pair(x1, x2)
    m = int(np.prod(b.shape(c), dtype=np.int64))
    if m == 0:
        found = b.zeros(tuple(b.shape(a)), "bool")
    else:
        s = b.sort(b.reshape(c, (m,)), 0)
        idx = b.minimum(_search(b, s, a, "left"), b.full((), m - 1, "int32"))
        found = b.equal(b.take(s, idx, 0), a)
    return b.logical_not(found) if invert else found


@op
def select(condlist: Sequence[Any], choicelist: Sequence[Any], default: Any = 0) -> Any:
    """Elementwise ``choicelist[i]`` for the first ``condlist[i]`` that holds, else ``default``.

    Args:
        condlist: List of boolean tensors (non-bool values are tested for truth).
        choicelist: List of tensors, one per condition; all broadcast together.
        default: Value where no condition holds.

    Returns:
        Tensor of the broadcast shape, in the promoted dtype of the choices and ``default``.

    Raises:
        ValueError: if the lists are not lists, are empty, or differ in length.
    """
    if not isinstance(condlist, (list, tuple)) or not isinstance(choicelist, (list, tuple)):
        raise ValueError(
            f"select: condlist and choicelist must be lists; got {type(condlist).__name__} "
            f"and {type(choicelist).__name__}."
        )
    if not condlist or not choicelist:
        raise ValueError("select: condlist and choicelist must not be empty.")
    if len(condlist) != len(choicelist):
        raise ValueError(
            f"select: condlist and choicelist must have the same length; got "
            f"{len(condlist)} conditions and {len(choicelist)} choices."
        )
    b = current()
    *choices, out = promote(*choicelist, default)
    for c, v in zip(reversed(condlist), reversed(choices)):
        out = b.where(tensor(c, "bool"), v, out)
    return out


@op
def argpartition(x: Any, kth: Any, axis: int = -1) -> Any:
    """Indices that partition ``x`` around its ``kth`` element along ``axis``.

    The element at position ``kth`` is the one a full sort would put there, smaller ones come
    before it and larger ones after. kshim returns the stable full argsort, which is one valid
    partition (the order inside each side is unspecified, and differs between backends in Keras).

    Args:
        x: Input tensor.
        kth: Position (int, or a sequence of ints) to partition around; negatives count from the end.
        axis: Axis to partition; None uses the flattened tensor.

    Returns:
        int32 indices with the shape of ``x`` (flattened for ``axis=None``).

    Raises:
        ValueError: if ``kth`` is not an integer or is out of range.
    """
    b = current()
    x = tensor(x)
    if axis is None:
        x = b.reshape(x, (int(np.prod(b.shape(x), dtype=np.int64)),))
        axis = 0
    ax = norm_axis(axis, len(b.shape(x)))
    n = b.shape(x)[ax]
    for k in kth if isinstance(kth, (list, tuple)) else [kth]:
        if not isinstance(k, numbers.Integral) or isinstance(k, bool):
            raise ValueError(f"argpartition: kth must be an integer; got kth={kth!r}.")
        if not -n <= int(k) < n:
            raise ValueError(f"argpartition: kth={int(k)} is out of bounds for an axis of size {n}.")
    return _argsort(x, axis=ax)


@op
def unravel_index(indices: Any, shape: Sequence[int]) -> tuple:
    """Convert flat indices into a tuple of coordinate tensors for a tensor of ``shape``.

    As in JAX, indices are not checked: they are clipped into ``[-size, size - 1]`` and negative
    ones wrap.

    Args:
        indices: Integer tensor of flat indices.
        shape: The shape the indices refer to.

    Returns:
        A tuple of ``len(shape)`` tensors shaped like ``indices``, in ``indices``' dtype.
    """
    b = current()
    idx = tensor(indices)
    d = b.dtype(idx)
    dims = [int(s) for s in shape]
    total = int(np.prod(dims, dtype=np.int64))
    if total == 0:
        raise ValueError(f"unravel_index: cannot index into an empty shape {tuple(dims)}.")
    idx = b.minimum(b.maximum(idx, b.full((), -total, d)), b.full((), total - 1, d))
    idx = b.where(b.less(idx, b.zeros((), d)), b.add(idx, b.full((), total, d)), idx)
    out = []
    for s in reversed(dims):
        sd = b.full((), s, d)
        out.append(b.mod(idx, sd))
        idx = b.floor_divide(idx, sd)
    return tuple(reversed(out))


@op
def allclose(x1: Any, x2: Any, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False) -> Any:
    """Whether every element pair satisfies ``|x1 - x2| <= atol + rtol * |x2|`` (see ``isclose``).

    Args:
        x1: First tensor.
        x2: Second tensor (broadcast against ``x1``).
        rtol: Relative tolerance.
        atol: Absolute tolerance.
        equal_nan: Count NaN == NaN as close.

    Returns:
        A 0-d bool tensor.
    """
    b = current()
    return b.all(_isclose(x1, x2, rtol=rtol, atol=atol, equal_nan=equal_nan), None, False)


@op
def histogram(x: Any, bins: int = 10, range: Any = None) -> tuple:  # noqa: A002
    """Counts of ``x`` in ``bins`` equal-width bins over ``range`` (NumPy's binning rules).

    Values outside ``range`` and NaNs are not counted; the last bin includes its right edge.

    Args:
        x: 1-D tensor.
        bins: Number of bins (a non-negative int).
        range: ``(lower, upper)`` tuple; default ``(min(x), max(x))``, widened by 0.5 on each side
            when they are equal.

    Returns:
        ``(counts, bin_edges)`` of shapes ``(bins,)`` and ``(bins + 1,)``, both in ``x``'s float
        dtype (``floatx`` for integer ``x``), as Keras on JAX returns them.

    Raises:
        TypeError: if ``bins`` is not an int.
        ValueError: for a negative ``bins``, a malformed ``range`` or a non-1-D ``x``.
    """
    if not isinstance(bins, int) or isinstance(bins, bool):
        raise TypeError(f"histogram: bins must be an int; got bins={bins!r}.")
    if bins < 0:
        raise ValueError(f"histogram: bins must be a non-negative integer; got bins={bins}.")
    if range is not None:
        if not isinstance(range, tuple) or len(range) != 2:
            raise ValueError(f"histogram: range must be a tuple of two numbers; got range={range!r}.")
        if range[1] < range[0]:
            raise ValueError(f"histogram: the second element of range must not be less than the first; got {range}.")
    b = current()
    x = tensor(x)
    if len(b.shape(x)) != 1:
        raise ValueError(f"histogram: input tensor must be 1-dimensional; got shape {tuple(b.shape(x))}.")
    if not _dt.is_float(b.dtype(x)):
        x = b.cast(x, _dt.config.floatx())
    d = b.dtype(x)
    n = b.shape(x)[0]
    if range is not None:
        lo, hi = b.full((), float(range[0]), d), b.full((), float(range[1]), d)
    elif n == 0:
        lo, hi = b.zeros((), d), b.ones((), d)
    else:
        ok = b.logical_not(b.isnan(x))  # NaN-free bounds, as NumPy would need finite ones
        lo = b.min(b.where(ok, x, b.full((), np.inf, d)), None, False)
        hi = b.max(b.where(ok, x, b.full((), -np.inf, d)), None, False)
    same = b.equal(lo, hi)
    half = b.full((), 0.5, d)
    lo, hi = b.where(same, b.subtract(lo, half), lo), b.where(same, b.add(hi, half), hi)
    steps = b.arange(0, bins + 1, 1, d)
    edges = b.add(lo, b.multiply(steps, b.divide(b.subtract(hi, lo), b.full((), float(max(bins, 1)), d))))
    edges = b.concatenate([b.getitem(edges, (slice(0, bins),)), b.reshape(hi, (1,))], 0)
    if bins == 0:
        return b.zeros((0,), d), b.getitem(edges, (slice(0, 1),))
    keep = b.logical_and(b.greater_equal(x, lo), b.less_equal(x, hi))
    f = b.multiply(b.divide(b.subtract(x, lo), b.subtract(hi, lo)), b.full((), float(bins), d))
    f = b.where(keep, f, b.zeros((), d))
    last = b.full((), bins - 1, "int32")
    idx = b.minimum(b.maximum(b.cast(f, "int32"), b.zeros((), "int32")), last)
    # NumPy's correction of rounding in the division: move to the bin whose edges contain x
    one = b.ones((), "int32")
    idx = b.where(b.less(x, b.take(edges, idx, 0)), b.maximum(b.subtract(idx, one), b.zeros((), "int32")), idx)
    up = b.logical_and(b.greater_equal(x, b.take(edges, b.add(idx, one), 0)), b.less(idx, last))
    idx = b.where(up, b.add(idx, one), idx)
    idx = b.where(keep, idx, b.full((), bins, "int32"))
    counts = b.scatter_add(b.zeros((bins + 1,), d), b.reshape(idx, (n, 1)), b.ones((n,), d))
    return b.getitem(counts, (slice(0, bins),)), edges


@op
def bincount(x: Any, weights: Any = None, minlength: int = 0, sparse: bool = False) -> Any:
    """Number of occurrences (or summed ``weights``) of each value ``0 .. max(x)`` in ``x``.

    The output length ``max(max(x) + 1, minlength)`` depends on the values, so this op reads
    ``max(x)`` on the host and cannot run inside ``jax.jit``; there, use
    ``kshim.ops.segment_sum(weights, x, num_segments=N)`` (or ``one_hot(x, N)`` summed) for a
    fixed length ``N``.

    Args:
        x: 1-D non-negative integer tensor, or 2-D (one count per row, all of the same length).
        weights: Optional weights shaped like ``x``.
        minlength: Minimum output length.
        sparse: Must be False: kshim has no sparse tensors.

    Returns:
        int32 counts (without weights) or weight sums in ``result_type(x, weights)``, of shape
        ``(length,)`` or ``(rows, length)``.

    Raises:
        TypeError: for a float ``x``, or when traced (see above).
        ValueError: for negative values, ``sparse=True``, or an input of rank other than 1 or 2.
    """
    if sparse:
        raise ValueError("bincount: sparse=True is not supported; kshim has no sparse tensors. Use sparse=False.")
    b = current()
    x = tensor(x)
    dx = b.dtype(x)
    if _dt.is_float(dx):
        raise TypeError(
            f"bincount: x must have an integer dtype; got {dx}. Cast it first (kshim.ops.cast(x, 'int32'))."
        )
    if dx == "bool":
        x = b.cast(x, "int32")
    shp = tuple(b.shape(x))
    if len(shp) not in (1, 2):
        raise ValueError(f"bincount: x must be 1-D or 2-D; got shape {shp}.")
    if weights is not None:
        w = tensor(weights)
        d = _dt.result_type(dx, b.dtype(w))
        w = b.cast(w, d) if b.dtype(w) != d else w
        if tuple(b.shape(w)) != shp:
            raise ValueError(f"bincount: weights must have the shape of x {shp}; got {tuple(b.shape(w))}.")
    else:
        d = "int32"
        w = b.ones(shp, d)
    length = int(minlength)
    if int(np.prod(shp, dtype=np.int64)):
        fix = "Pass a fixed length instead: kshim.ops.segment_sum(weights, x, num_segments=N)."
        lo = int(_concrete(b, b.min(x, None, False), "bincount", fix))
        if lo < 0:
            raise ValueError(f"bincount: x must be non-negative; got a minimum of {lo}.")
        length = max(length, int(_concrete(b, b.max(x, None, False), "bincount", fix)) + 1)
    if len(shp) == 1:
        return b.scatter_add(b.zeros((length,), d), b.reshape(x, shp + (1,)), w)
    rows = b.broadcast_to(b.reshape(b.arange(0, shp[0], 1, b.dtype(x)), (shp[0], 1)), shp)
    idx = b.concatenate([b.reshape(rows, shp + (1,)), b.reshape(x, shp + (1,))], 2)
    return b.scatter_add(b.zeros((shp[0], length), d), idx, w)


# Built at import time; mypy cannot evaluate it, and without it sees every public name (the same ops).
if not TYPE_CHECKING:
    __all__ = [
        _n
        for _n, _v in list(globals().items())
        if not _n.startswith("_") and callable(_v) and getattr(_v, "__module__", None) == __name__
    ]
