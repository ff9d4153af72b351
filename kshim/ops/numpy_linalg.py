"""Products: matmul, dot, tensordot, einsum, outer, inner, vdot, cross; and ``norm``."""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import dtypes as _dt
from ..backend import current
from ._dispatch import axis_tuple, dtype_of, op, promote, tensor


def _check_matmul(sa: tuple, sc: tuple) -> None:
    ka = sa[-1] if sa else None
    kc = (sc[-2] if len(sc) >= 2 else sc[0]) if sc else None
    if not sa or not sc or ka != kc:
        raise ValueError(f"matmul: incompatible shapes {sa} and {sc} (inner dimensions {ka} vs {kc}).")
    try:
        np.broadcast_shapes(sa[:-2], sc[:-2])
    except ValueError:
        raise ValueError(f"matmul: batch dimensions of {sa} and {sc} do not broadcast.") from None


@op
def matmul(x1: Any, x2: Any) -> Any:
    """Matrix product with NumPy semantics (integer inputs stay integer)."""
    b = current()
    a, c = promote(x1, x2)
    _check_matmul(tuple(b.shape(a)), tuple(b.shape(c)))
    d = b.dtype(a)
    if d == "bool":  # Keras: bool @ bool is bool (an OR of ANDs)
        out = b.matmul(b.cast(a, "int32"), b.cast(c, "int32"))
        return b.greater(out, b.zeros((), "int32"))
    if d == "int8" and dtype_of(x1) == dtype_of(x2) == "int8":  # Keras: int8 @ int8 accumulates in int32
        a, c = b.cast(a, "int32"), b.cast(c, "int32")
    return b.matmul(a, c)


@op
def einsum(subscripts: str, *operands: Any) -> Any:
    """Einstein summation."""
    b = current()
    ts = promote(*operands)
    return b.einsum(subscripts, *ts)


@op
def tensordot(x1: Any, x2: Any, axes: Any = 2) -> Any:
    b = current()
    a, c = promote(x1, x2)
    na, nc = len(b.shape(a)), len(b.shape(c))
    if isinstance(axes, int):
        ax_a, ax_c = list(range(na - axes, na)), list(range(axes))
    else:
        ax_a, ax_c = axes
        ax_a = [ax_a] if isinstance(ax_a, int) else list(ax_a)
        ax_c = [ax_c] if isinstance(ax_c, int) else list(ax_c)
        ax_a, ax_c = [x % na for x in ax_a], [x % nc for x in ax_c]
    letters = "abcdefghijklmnopqrstuvwxyz"
    la = list(letters[:na])
    lc = list(letters[na:na + nc])
    for i, j in zip(ax_a, ax_c):
        lc[j] = la[i]
    out = [la[i] for i in range(na) if i not in ax_a] + [lc[j] for j in range(nc) if j not in ax_c]
    return b.einsum(f"{''.join(la)},{''.join(lc)}->{''.join(out)}", a, c)


@op
def dot(x1: Any, x2: Any) -> Any:
    """``np.dot``: scalars multiply, otherwise sum over last of x1 and second-last of x2."""
    b = current()
    a, c = promote(x1, x2)
    na, nc = len(b.shape(a)), len(b.shape(c))
    if na == 0 or nc == 0:
        return b.multiply(a, c)
    if nc <= 2:
        return matmul(a, c)
    return tensordot(a, c, axes=([na - 1], [nc - 2]))


@op
def outer(x1: Any, x2: Any) -> Any:
    b = current()
    a, c = promote(x1, x2)
    return b.multiply(b.reshape(a, (int(np.prod(b.shape(a))), 1)),
                      b.reshape(c, (1, int(np.prod(b.shape(c))))))


@op
def inner(x1: Any, x2: Any) -> Any:
    b = current()
    a, c = promote(x1, x2)
    if not b.shape(a) or not b.shape(c):
        return b.multiply(a, c)
    return tensordot(a, c, axes=([-1], [-1]))


@op
def vdot(x1: Any, x2: Any) -> Any:
    b = current()
    a, c = promote(x1, x2)
    return b.sum(b.multiply(b.reshape(a, (int(np.prod(b.shape(a))),)),
                            b.reshape(c, (int(np.prod(b.shape(c))),))), (0,), False)


@op
def cross(x1: Any, x2: Any, axisa: int = -1, axisb: int = -1, axisc: int = -1, axis: Any = None) -> Any:
    """Cross product of 3-vectors along the last axis."""
    b = current()
    a, c = promote(x1, x2)
    if b.shape(a)[-1] != 3 or b.shape(c)[-1] != 3:
        raise ValueError(f"cross: last dimension must be 3, got shapes {b.shape(a)} and {b.shape(c)}.")
    comp = [[b.getitem(t, (Ellipsis, i)) for i in range(3)] for t in (a, c)]
    (a0, a1, a2), (c0, c1, c2) = comp
    parts = [b.subtract(b.multiply(a1, c2), b.multiply(a2, c1)),
             b.subtract(b.multiply(a2, c0), b.multiply(a0, c2)),
             b.subtract(b.multiply(a0, c1), b.multiply(a1, c0))]
    shp = tuple(b.shape(parts[0])) + (1,)
    return b.concatenate([b.reshape(p, shp) for p in parts], len(shp) - 1)


@op
def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Any:  # noqa: A002
    """Vector norms (ord None/2, 1, inf, -inf, p) and the Frobenius matrix norm."""
    b = current()
    x = tensor(x)
    if not _dt.is_float(b.dtype(x)):
        x = b.cast(x, _dt.config.floatx())
    nd = len(b.shape(x))
    axes = axis_tuple(axis, nd)
    if ord in (None, 2, "fro", "euclidean") and (axes is None or len(axes) <= 2) and not (
            ord == 2 and axes is not None and len(axes) == 2):
        return b.sqrt(b.sum(b.square(x), axes, keepdims))
    if axes is None or len(axes) == 1:
        ax = axes
        if ord == 1:
            return b.sum(b.abs(x), ax, keepdims)
        if ord == float("inf"):
            return b.max(b.abs(x), ax, keepdims)
        if ord == float("-inf"):
            return b.min(b.abs(x), ax, keepdims)
        if ord == 0:
            return b.sum(b.cast(b.not_equal(x, b.zeros((), b.dtype(x))), b.dtype(x)), ax, keepdims)
        p = b.full((), float(ord), b.dtype(x))
        return b.power(b.sum(b.power(b.abs(x), p), ax, keepdims), b.reciprocal(p))
    raise ValueError(f"norm: ord={ord!r} over axes {axes} is not supported (use None/'fro' for matrices).")


__all__ = [_n for _n, _v in list(globals().items())
           if not _n.startswith("_") and callable(_v) and getattr(_v, "__module__", None) == __name__]
