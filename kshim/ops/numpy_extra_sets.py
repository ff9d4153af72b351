"""``unique`` and ``nonzero`` (``keras.ops`` NumPy namespace): ops whose output shape can depend
on the input values.

``unique(x, size=N)`` has a fixed shape and runs under ``jax.jit``; without ``size`` kshim reads the
number of unique values on the host, which a traced value does not have, so the error says to
pass ``size``. ``nonzero`` always has a data-dependent shape (Keras' signature has no ``size``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..backend import current
from ._dispatch import norm_axis, op, tensor
from .numpy_extra_search import _concrete


def _lex_order(b: Any, rows: Any) -> Any:
    """Stable lexicographic argsort (int32) of the rows of a 2-D tensor (first column most significant)."""
    n, m = b.shape(rows)
    perm = b.arange(0, n, 1, "int32")
    for j in range(m - 1, -1, -1):
        col = b.take(b.getitem(rows, (slice(None), j)), perm, 0)
        perm = b.take(perm, b.cast(b.argsort(col, 0), "int32"), 0)
    return perm


@op
def unique(
    x: Any,
    sorted: bool = True,
    return_index: bool = False,
    return_inverse: bool = False,  # noqa: A002
    return_counts: bool = False,
    axis: Any = None,
    size: int | None = None,
    fill_value: Any = None,
) -> Any:
    """The sorted unique elements of ``x`` (or unique slices along ``axis``).

    NaNs are all distinct from each other (each one is its own unique value), as in Keras.

    Args:
        x: Input tensor.
        sorted: Keras' flag; kshim always returns the values sorted, which satisfies both settings
            (with ``sorted=False`` Keras leaves the order unspecified).
        return_index: Also return the index of the first occurrence of each unique value.
        return_inverse: Also return, for every element (slice along ``axis``), the position of its
            value in the unique output; shaped like ``x`` for ``axis=None``.
        return_counts: Also return how often each unique value occurs.
        axis: None flattens ``x``; an int treats the slices along that axis as the elements.
        size: Fixed output length: fewer unique values are padded with ``fill_value`` (counts
            with 0, first indices with the first unique value's index, as Keras on JAX), more
            are truncated. Required under ``jax.jit`` (the shape must not depend on values).
        fill_value: Padding value for ``size`` (default 0).

    Returns:
        The unique values, or a tuple ``(values, [index], [inverse], [counts])`` with the
        requested extras (int32).

    Raises:
        TypeError: when traced without ``size``.
        ValueError: for a negative ``size``.
    """
    b = current()
    x = tensor(x)
    d = b.dtype(x)
    shp = tuple(b.shape(x))
    if axis is None:
        rest: tuple = ()
        rows = b.reshape(x, (int(np.prod(shp, dtype=np.int64)), 1))
        ax = None
    else:
        ax = norm_axis(axis, len(shp))
        rest = shp[:ax] + shp[ax + 1 :]
        moved = b.transpose(x, (ax,) + tuple(i for i in range(len(shp)) if i != ax))
        rows = b.reshape(moved, (shp[ax], int(np.prod(rest, dtype=np.int64))))
    n, m = b.shape(rows)
    if size is not None and int(size) < 0:
        raise ValueError(f"unique: size must be a non-negative integer; got size={size}.")
    if n:
        perm = _lex_order(b, rows) if m else b.arange(0, n, 1, "int32")
        srt = b.take(rows, perm, 0)
        if m:
            neq = b.any(b.not_equal(b.getitem(srt, (slice(1, None),)), b.getitem(srt, (slice(None, -1),))), (1,), False)
        else:  # zero-size slices are all equal
            neq = b.zeros((n - 1,), "bool")
        first = b.concatenate([b.ones((1,), "bool"), neq], 0)
        gid = b.subtract(b.cumsum(b.cast(first, "int32"), 0), b.ones((), "int32"))
        n_unique = b.sum(b.cast(first, "int32"), None, False)
    if size is None:
        k = (
            int(
                _concrete(
                    b,
                    n_unique,
                    "unique",
                    "Pass size=N (and fill_value=...) for a fixed-length result that works under jit.",
                )
            )
            if n
            else 0
        )
    else:
        k = int(size)
    fill = b.full((), 0 if fill_value is None else fill_value, d)
    if n == 0:
        outs = [b.broadcast_to(fill, (k, m))]
        index = b.zeros((k,), "int32")
        inverse = b.zeros((0,), "int32")
        counts = b.zeros((k,), "int32")
    else:
        kk = b.full((), k, "int32")
        slot = b.where(b.logical_and(first, b.less(gid, kk)), gid, kk)  # k = discard slot
        start = b.scatter_update(b.zeros((k + 1,), "int32"), b.reshape(slot, (n, 1)), b.arange(0, n, 1, "int32"))
        start = b.getitem(start, (slice(0, k),))
        valid = b.less(b.arange(0, k, 1, "int32"), n_unique)
        outs = [b.where(b.reshape(valid, (k, 1)), b.take(srt, start, 0), fill)]
        index = b.take(perm, start, 0)
        index = b.where(valid, index, b.take(perm, b.zeros((1,), "int32"), 0))
        inverse = b.scatter_update(b.zeros((n,), "int32"), b.reshape(perm, (n, 1)), gid)
        cnt_slot = b.where(b.less(gid, kk), gid, kk)
        counts = b.scatter_add(b.zeros((k + 1,), "int32"), b.reshape(cnt_slot, (n, 1)), b.ones((n,), "int32"))
        counts = b.getitem(counts, (slice(0, k),))
    values = outs[0]
    if ax is None:
        values = b.reshape(values, (k,))
        inverse = b.reshape(inverse, shp)
    else:
        values = b.reshape(values, (k,) + rest)
        nd = len(shp)
        values = b.transpose(values, tuple(list(range(1, ax + 1)) + [0] + list(range(ax + 1, nd))))
    extras = [t for flag, t in ((return_index, index), (return_inverse, inverse), (return_counts, counts)) if flag]
    return tuple([values] + extras) if extras else values


@op
def nonzero(x: Any) -> tuple:
    """Indices of the non-zero elements of ``x``, one int32 tensor per dimension (row-major order).

    The number of non-zeros depends on the values: this op reads ``x`` on the host and cannot be
    traced by ``jax.jit``; inside jit, mask with ``kshim.ops.where(x != 0, a, b)`` instead.

    Args:
        x: Input tensor of rank >= 1.

    Returns:
        A tuple of ``ndim(x)`` int32 tensors.

    Raises:
        ValueError: for a 0-d tensor (reshape it to 1-D first, as in Keras on JAX).
        TypeError: when traced (see above).
    """
    b = current()
    x = tensor(x)
    if len(b.shape(x)) == 0:
        raise ValueError(
            "nonzero: calling nonzero on a 0-d tensor is not allowed; reshape it to 1-D first "
            "(kshim.ops.reshape(x, (1,)))."
        )
    host = _concrete(b, x, "nonzero", "Inside jit, use kshim.ops.where(x != 0, a, b) to mask instead.")
    return tuple(b.convert_to_tensor(np.ascontiguousarray(i, dtype=np.int32), "int32") for i in np.nonzero(host))


# Built at import time; mypy cannot evaluate it, and without it sees every public name (the same ops).
if not TYPE_CHECKING:
    __all__ = [
        _n
        for _n, _v in list(globals().items())
        if not _n.startswith("_") and callable(_v) and getattr(_v, "__module__", None) == __name__
    ]
