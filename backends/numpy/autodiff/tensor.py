"""The traced ``Tensor`` of the NumPy tape and the reverse pass.

A traced tensor wraps an ``np.ndarray`` (``.value``) and remembers the node that produced it:
its ``parents`` (inputs, traced or raw) and a ``vjp`` closure mapping the output cotangent to one
cotangent (or ``None``) per parent. Only floating outputs are traced; integer/bool results of a
traced op come back as raw arrays (they carry no gradient).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..._base import INEXACT_DTYPES

# The backend instance, set by ``backend.py`` once the class is complete (operators route through it);
# typed ``Any`` because it is bound after this module is imported (``backend.py`` imports this one).
B: Any = None

# Traced (differentiable) dtypes: the floats and the complex dtypes. Complex cotangents follow JAX's
# convention (the transpose of the linear map, no conjugation: the rules of holomorphic ops are the
# real rules unchanged); a real value that fed a complex one receives the real part of its cotangent.
_FLOAT = frozenset(np.dtype(d) for d in INEXACT_DTYPES if d != "bfloat16")
_REAL = np.dtype(np.float64)  # the dtype taken for a cotangent without one (a Python float)
try:  # bfloat16 is optional
    import ml_dtypes as _mld

    _FLOAT = _FLOAT | {np.dtype(_mld.bfloat16)}
except ImportError:  # pragma: no cover
    pass


class Tensor:
    """A value recorded on the tape. Arithmetic routes through the backend's primitives."""

    __slots__ = ("value", "parents", "vjp")
    __array_ufunc__ = None  # make ``ndarray <op> Tensor`` defer to our reflected operators
    __array_priority__ = 1000

    def __init__(self, value, parents=(), vjp=None):
        self.value = value
        self.parents = parents
        self.vjp = vjp

    shape = property(lambda self: self.value.shape)
    dtype = property(lambda self: self.value.dtype)
    ndim = property(lambda self: self.value.ndim)
    size = property(lambda self: self.value.size)
    T = property(lambda self: B.transpose(self, tuple(range(self.ndim))[::-1]))

    def __len__(self):
        return len(self.value)

    def __repr__(self):
        return f"Tensor({self.value!r})"

    def __array__(self, dtype=None, copy=None):
        return np.asarray(self.value, dtype=dtype)

    def __float__(self):
        return float(self.value)

    def __int__(self):
        return int(self.value)

    def __bool__(self):
        return bool(self.value)

    def __index__(self):
        return int(self.value)

    def item(self):
        return self.value.item()

    def numpy(self):
        return np.asarray(self.value)

    __hash__ = object.__hash__

    # arithmetic -------------------------------------------------------------------------------
    def __add__(self, o):
        return B.add(self, o)

    def __radd__(self, o):
        return B.add(o, self)

    def __sub__(self, o):
        return B.subtract(self, o)

    def __rsub__(self, o):
        return B.subtract(o, self)

    def __mul__(self, o):
        return B.multiply(self, o)

    def __rmul__(self, o):
        return B.multiply(o, self)

    def __truediv__(self, o):
        return B.divide(self, o)

    def __rtruediv__(self, o):
        return B.divide(o, self)

    def __floordiv__(self, o):
        return B.floor_divide(self, o)

    def __rfloordiv__(self, o):
        return B.floor_divide(o, self)

    def __mod__(self, o):
        return B.mod(self, o)

    def __rmod__(self, o):
        return B.mod(o, self)

    def __pow__(self, o):
        return B.power(self, o)

    def __rpow__(self, o):
        return B.power(o, self)

    def __matmul__(self, o):
        return B.matmul(self, o)

    def __rmatmul__(self, o):
        return B.matmul(o, self)

    def __neg__(self):
        return B.negative(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return B.abs(self)

    def __invert__(self):
        return B.bitwise_not(self)

    def __lt__(self, o):
        return B.less(self, o)

    def __le__(self, o):
        return B.less_equal(self, o)

    def __gt__(self, o):
        return B.greater(self, o)

    def __ge__(self, o):
        return B.greater_equal(self, o)

    def __eq__(self, o):
        return B.equal(self, o)  # noqa: D105

    def __ne__(self, o):
        return B.not_equal(self, o)

    def __and__(self, o):
        return B.bitwise_and(self, o)

    def __rand__(self, o):
        return B.bitwise_and(o, self)

    def __or__(self, o):
        return B.bitwise_or(self, o)

    def __ror__(self, o):
        return B.bitwise_or(o, self)

    def __xor__(self, o):
        return B.bitwise_xor(self, o)

    def __rxor__(self, o):
        return B.bitwise_xor(o, self)

    def __getitem__(self, key):
        return B.getitem(self, key if isinstance(key, tuple) else (key,))

    def __iter__(self):
        for i in range(len(self.value)):
            yield self[i]

    def astype(self, dtype):
        return B.cast(self, dtype if isinstance(dtype, str) else np.dtype(dtype).name)

    def reshape(self, *shape):
        new_shape = shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        return B.reshape(self, tuple(np.empty(self.shape, dtype=bool).reshape(new_shape).shape))


def val(x):
    """Raw value of a traced or raw tensor."""
    return x.value if x.__class__ is Tensor else x


def make(value, parents, vjp):
    """Record one node; integer/bool outputs are returned raw (no gradient flows)."""
    if value.dtype not in _FLOAT:
        return value
    return Tensor(value, parents, vjp)


_GEMV_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def unbroadcast(g, shape):
    """Sum ``g`` down to ``shape`` (reverse of NumPy broadcasting)."""
    gs = g.shape
    if gs == shape:
        return g
    nd = len(gs) - len(shape)
    axes = tuple(range(nd)) + tuple(i + nd for i, s in enumerate(shape) if s == 1 and gs[i + nd] != 1)
    if axes and axes == tuple(range(len(axes))) and g.dtype in _GEMV_DTYPES and g.flags.c_contiguous and g.size > 4096:
        # Leading axes only (a bias gradient): one GEMV with a ones vector is ~4x faster than
        # NumPy's strided multi-axis reduction.
        rows = int(np.prod(gs[: len(axes)]))
        return (np.ones(rows, g.dtype) @ g.reshape(rows, -1)).reshape(shape)
    if axes:
        g = g.sum(axis=axes)
    return g.reshape(shape)


def backward(out, seed):
    """Reverse pass from ``out`` with cotangent ``seed``. Returns ``{id(leaf): grad}`` for the
    tensors without a vjp (leaves). Iterative topological sort; frees the graph afterwards."""
    order = []
    seen = set()
    stack = [(out, False)]
    while stack:
        t, done = stack.pop()
        if done:
            order.append(t)
            continue
        if id(t) in seen:
            continue
        seen.add(id(t))
        stack.append((t, True))
        for p in t.parents:
            if p.__class__ is Tensor and id(p) not in seen:
                stack.append((p, False))
    grads = {id(out): seed}
    leaves = {}
    for t in reversed(order):
        g = grads.pop(id(t), None)
        if t.vjp is None:
            if g is not None:
                leaves[id(t)] = g
            continue
        if g is None:
            continue
        pgs = t.vjp(g)
        for p, pg in zip(t.parents, pgs):
            if pg is None or p.__class__ is not Tensor:
                continue
            k = id(p)
            if getattr(pg, "dtype", _REAL).kind == "c" and p.value.dtype.kind != "c":
                pg = pg.real  # a real input of a complex result (NumPy mixed real/complex arithmetic)
            prev = grads.get(k)
            grads[k] = pg if prev is None else prev + pg
    for t in order:  # free the graph: closures hold intermediates
        if t.vjp is not None:
            t.vjp = None
            t.parents = ()
    return leaves
