"""Integer-valued draws: ``randint`` (every integer dtype) and ``shuffle``.

Both are computed from exact integer/float64 arithmetic on Threefry bits (no transcendental
functions), so the results are bit-identical on numpy, jax and torch for the same seed.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import dtypes as _dt
from ..backend import current
from ._draw import shape_tuple, uniform01, words

_INT_RANGE = {
    "int8": (-(2**7), 2**7 - 1),
    "int16": (-(2**15), 2**15 - 1),
    "int32": (-(2**31), 2**31 - 1),
    "int64": (-(2**63), 2**63 - 1),
    "uint8": (0, 2**8 - 1),
    "uint16": (0, 2**16 - 1),
    "uint32": (0, 2**32 - 1),
}
_EXACT = 2**53  # ranges up to this size come from one 53-bit float64 uniform


def _int_dtype(dtype: Any) -> str:
    try:
        d = _dt.standardize_dtype(dtype)
    except ValueError:
        d = str(dtype)
    if d not in _INT_RANGE:
        raise ValueError(
            f"`keras.random.randint` requires an integer `dtype`. Received: dtype={dtype} "
            f"(supported: {', '.join(_INT_RANGE)})."
        )
    return d


def _is_scalar_int(x: Any) -> bool:
    return (
        isinstance(x, (int, np.integer))
        and not isinstance(x, bool)
        or (isinstance(x, np.ndarray) and x.ndim == 0 and x.dtype.kind in "iu")
    )


def randint(shape: Any, minval: Any, maxval: Any, dtype: Any = "int32", seed: Any = None) -> Any:
    """Integers drawn uniformly from ``[minval, maxval)``.

    As in Keras' JAX backend, the bounds are clipped to the range of ``dtype`` (``maxval`` above the
    largest value makes that value reachable) and an empty range gives ``minval``.

    Args:
        shape: Output shape.
        minval: Lowest value (inclusive): an int or an integer array broadcastable to ``shape``.
        maxval: Upper bound (exclusive), same forms as ``minval``.
        dtype: Integer dtype of the result: int8, int16, int32, int64, uint8, uint16 or uint32.
        seed: An int, a ``SeedGenerator``, a ``(2,)`` seed tensor or ``None``.

    Returns:
        A tensor of ``shape`` and ``dtype``.

    Raises:
        ValueError: If ``dtype`` is not an integer dtype.

    kshim differs: with array bounds, ranges wider than 2**53 are drawn from a 53-bit uniform, so
    not every integer of such a range can occur (scalar bounds of any width are exact).
    """
    d = _int_dtype(dtype)
    shp = shape_tuple(shape)
    lo_d, hi_d = _INT_RANGE[d]
    if _is_scalar_int(minval) and _is_scalar_int(maxval):
        lo = min(max(int(minval), lo_d), hi_d)
        hi = max(min(int(maxval), hi_d + 1), lo_d)
        return _randint_scalar(shp, lo, hi, d, seed)
    return _randint_array(shp, minval, maxval, d, lo_d, hi_d, seed)


def _randint_scalar(shp: tuple, lo: int, hi: int, d: str, seed: Any) -> Any:
    b = current()
    r = hi - lo
    if r <= 1:
        # An empty or one-value range still consumes a seed step, like any draw.
        uniform01(shp, "float32", seed)
        return b.full(shp, lo, d)
    if r <= _EXACT:
        u = uniform01(shp, "float64", seed)
        v = b.minimum(b.floor(b.multiply(u, b.full((), float(r), "float64"))), b.full((), float(r - 1), "float64"))
        out = b.cast(v, "int64")
    else:
        out = _wide_offsets(shp, r, seed)
    return b.cast(b.add(out, b.full((), lo, "int64")), d)


def _wide_offsets(shp: tuple, r: int, seed: Any) -> Any:
    """Offsets uniform in ``[0, r)`` for ``2**53 < r <= 2**64`` (int64 dtype only), exactly.

    An offset is ``q * 2**32 + w`` with ``q`` uniform below ``ceil(r / 2**32)`` and ``w`` a random
    word; a candidate beyond ``r`` (only possible in the last ``q``, probability < 2**-21) is
    replaced by the next of three candidates. The sum is formed with wrapping int64 arithmetic,
    which is exact modulo 2**64, and ``lo + offset`` always lies inside int64.
    """
    b = current()
    n = int(np.prod(shp)) if shp else 1
    buckets = -(-r // 2**32)
    cand = 3
    w = words(seed, 3 * cand * n)
    hi = b.right_shift(b.getitem(w, (slice(0, cand * n),)), b.full((), 5, "int64"))
    lo = b.right_shift(b.getitem(w, (slice(cand * n, 2 * cand * n),)), b.full((), 6, "int64"))
    u = b.multiply(
        b.cast(b.add(b.multiply(hi, b.full((), 67108864, "int64")), lo), "float64"), b.full((), 2.0**-53, "float64")
    )
    q = b.cast(
        b.minimum(
            b.floor(b.multiply(u, b.full((), float(buckets), "float64"))), b.full((), float(buckets - 1), "float64")
        ),
        "int64",
    )
    low = b.getitem(w, (slice(2 * cand * n, 3 * cand * n),))
    # q * 2**32 + low, wrapping: (q << 32) keeps the low 64 bits on every backend.
    off = b.add(b.left_shift(q, b.full((), 32, "int64")), low)
    off = b.reshape(off, (cand, n))
    qs = b.reshape(q, (cand, n))
    # A candidate is valid when q < buckets - 1, or when it is in the last bucket below r.
    last_q, last_limit = buckets - 1, r - (buckets - 1) * 2**32
    lows = b.reshape(low, (cand, n))
    valid = b.logical_or(b.less(qs, b.full((), last_q, "int64")), b.less(lows, b.full((), last_limit, "int64")))
    out = b.getitem(off, (cand - 1,))
    for i in range(cand - 2, -1, -1):
        out = b.where(b.getitem(valid, (i,)), b.getitem(off, (i,)), out)
    return b.reshape(out, shp)


def _randint_array(shp: tuple, minval: Any, maxval: Any, d: str, lo_d: int, hi_d: int, seed: Any) -> Any:
    b = current()
    from ..ops import convert_to_tensor

    lo = b.cast(convert_to_tensor(minval), "int64")
    hi = b.cast(convert_to_tensor(maxval), "int64")
    lo = b.minimum(b.maximum(lo, b.full((), lo_d, "int64")), b.full((), hi_d, "int64"))
    hi = b.maximum(b.minimum(hi, b.full((), min(hi_d + 1, 2**63 - 1), "int64")), b.full((), lo_d, "int64"))
    lo, hi = b.broadcast_to(lo, shp), b.broadcast_to(hi, shp)
    r = b.maximum(b.subtract(b.cast(hi, "float64"), b.cast(lo, "float64")), b.zeros((), "float64"))
    u = uniform01(shp, "float64", seed)
    v = b.minimum(b.floor(b.multiply(u, r)), b.maximum(b.subtract(r, b.ones((), "float64")), b.zeros((), "float64")))
    return b.cast(b.add(lo, b.cast(v, "int64")), d)


def shuffle(x: Any, axis: int = 0, seed: Any = None) -> Any:
    """Randomly permute ``x`` along ``axis`` (one permutation, applied to every slice).

    Args:
        x: The tensor (or array-like) to shuffle.
        axis: The axis to permute; negative values count from the end.
        seed: An int, a ``SeedGenerator``, a ``(2,)`` seed tensor or ``None``.

    Returns:
        A tensor like ``x`` with its entries along ``axis`` permuted.

    Raises:
        ValueError: If ``x`` is a scalar or ``axis`` is out of range.

    kshim differs: the entries along ``axis`` move together (as Keras' TensorFlow backend and, for
    ``axis=0``, its torch backend do); Keras' JAX and NumPy backends permute every 1-D slice along
    ``axis`` independently, which mixes rows of a batch. The backends of Keras disagree, kshim's agree.
    """
    b = current()
    from ..ops import convert_to_tensor

    x = convert_to_tensor(x)
    ndim = len(b.shape(x))
    if ndim == 0:
        raise ValueError("shuffle needs a tensor of rank >= 1; received a scalar.")
    if not isinstance(axis, (int, np.integer)) or not -ndim <= int(axis) < ndim:
        raise ValueError(f"axis {axis} is out of bounds for a tensor of rank {ndim} (shape {b.shape(x)}).")
    ax = int(axis) % ndim
    n = b.shape(x)[ax]
    perm = b.argsort(uniform01((n,), "float64", seed), 0)
    return b.take(x, perm, ax)
