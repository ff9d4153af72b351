"""Conversion, dtype promotion and symbolic dispatch shared by every public op."""

from __future__ import annotations

import functools
import numbers
from typing import Any, Callable, Sequence, overload

import numpy as np

from .. import dtypes as _dt
from .._scope import autocast_dtype
from .._symbolic import KerasTensor, any_symbolic
from ..backend import current
from ..variables import Variable
from . import node as _node

_PY_SCALARS = (bool, int, float, complex)


def op(fn: Callable) -> Callable:
    """Make ``fn`` a public op: on KerasTensor arguments it records a graph node instead."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if any_symbolic(args, kwargs):
            return _node.symbolic_call(fn, args, kwargs)
        return fn(*args, **kwargs)

    wrapper.__wrapped__ = fn
    return wrapper


def _foreign_check(b: Any, x: Any) -> None:
    raise TypeError(
        f"Got a Variable created under the {x.backend.name!r} backend inside an op running on the "
        f"{b.name!r} backend. Objects of two backends cannot be mixed; move values across with "
        f"get_weights()/set_weights() or convert through NumPy explicitly."
    )


def tensor(x: Any, dtype: str | None = None) -> Any:
    """Convert ``x`` to a tensor of the active backend (``dtype`` optional, canonical name)."""
    b = current()
    if b.is_tensor(x):
        if dtype is not None and b.dtype(x) != dtype:
            return b.cast(x, dtype)
        return x
    if isinstance(x, Variable):
        if x.backend is not b:
            _foreign_check(b, x)
        x = x.value
        if dtype is not None and b.dtype(x) != dtype:
            return b.cast(x, dtype)
        return x
    if isinstance(x, KerasTensor):
        from .._errors import ArgumentError  # ValueError as in Keras (no value to convert), TypeError as before

        raise ArgumentError(
            "A symbolic KerasTensor reached an eager op (it has no value, only a shape and "
            "dtype); call the op through a layer or kshim.ops inside a functional model."
        )
    if dtype is None:
        if isinstance(x, _PY_SCALARS):
            dtype = _dt.scalar_dtype(x)
        elif isinstance(x, np.ndarray):
            dtype = _dt.canonical_dtype(x.dtype) if x.dtype != object else None
        elif isinstance(x, np.generic):
            dtype = _dt.canonical_dtype(x.dtype)
            if dtype == "float64":
                dtype = _dt.config.floatx()
            elif dtype == "complex128":
                dtype = _dt.complex_of(_dt.config.floatx())
        elif isinstance(x, (list, tuple)):
            arr = np.asarray(_unwrap_list(b, x))
            d = _array_like_dtype(arr)
            return b.convert_to_tensor(arr) if d is None else b.convert_to_tensor(arr, d)
    if type(x) in _PY_SCALARS:  # dtype is set: the caller's, or the scalar's from above
        return constant(b, x, dtype if dtype is not None else _dt.scalar_dtype(x))
    return b.convert_to_tensor(x, dtype)


def real_tensor(x: Any, name: str) -> Any:
    """``tensor(x)`` for an op ``name`` that computes on real numbers only: a complex input raises a
    ``TypeError`` naming the op (rather than NumPy's silent or a backend's obscure behaviour)."""
    t = tensor(x)
    d = current().dtype(t)
    if _dt.is_complex(d):
        raise TypeError(f"{name}: complex input (dtype {d}) is not supported; take ops.real/ops.imag/ops.abs first.")
    return t


_CONSTANTS: dict = {}


def constant(b: Any, value: Any, dtype: str) -> Any:
    """A 0-d tensor for a Python scalar, cached per (backend, value, dtype): ops use the same few
    constants every step, and creating a device tensor each time is measurable overhead."""
    if not getattr(b, "cache_constants", True):
        return b.full((), value, dtype)
    key = (b.name, type(value), value, dtype)
    t = _CONSTANTS.get(key)
    if t is None:
        t = b.full((), value, dtype)
        try:  # never cache a value created inside a trace (e.g. a jax tracer under jit)
            b.to_numpy(t)
        except Exception:
            return t
        if len(_CONSTANTS) > 4096:
            _CONSTANTS.clear()
        _CONSTANTS[key] = t
    return t


def _array_like_dtype(arr: np.ndarray) -> str | None:
    """The dtype ``tensor`` gives a Python list or tuple, from its ``np.asarray`` form: floats take
    ``floatx()`` and NumPy's default int64 becomes int32, as Keras' ``convert_to_tensor`` does; None
    (keep NumPy's dtype) for the rest."""
    if arr.dtype.kind == "f":
        return _dt.config.floatx()
    if arr.dtype.kind == "c":
        return _dt.complex_of(_dt.config.floatx())
    if arr.dtype.kind in "iu":
        return "int32" if arr.dtype == np.int64 else _dt.canonical_dtype(arr.dtype)
    return None


def _unwrap_list(b: Any, x: Any) -> Any:
    if isinstance(x, (list, tuple)):
        return [_unwrap_list(b, e) for e in x]
    if isinstance(x, Variable):
        return x.numpy()
    if b.is_tensor(x):
        return b.to_numpy(x)
    return x


def dtype_of(x: Any) -> str:
    """Canonical dtype of a tensor-like (Python scalars give their standalone dtype)."""
    if isinstance(x, Variable):
        cast_to = autocast_dtype()
        if cast_to is not None and x.autocast and x.dtype.startswith("float"):
            return cast_to
        return x.dtype
    if isinstance(x, KerasTensor):
        return x.dtype
    b = current()
    if b.is_tensor(x):
        return b.dtype(x)
    if type(x) in _PY_SCALARS:  # NumPy scalars (np.float64 subclasses float) are strongly typed
        return _dt.scalar_dtype(x)
    if isinstance(x, (list, tuple)):  # the dtype `tensor(x)` will give it, not NumPy's float64/int64
        arr = np.asarray(_unwrap_list(b, x))
        d = _array_like_dtype(arr)
        if d is not None:
            return d
        return _dt.canonical_dtype(arr.dtype)
    return _dt.canonical_dtype(np.asarray(x).dtype)


def promote(*xs: Any, dtype: str | None = None) -> list:
    """Convert operands to tensors of one common dtype (Python scalars are weakly typed)."""
    strong = []
    for x in xs:
        if type(x) in _PY_SCALARS or x is None:  # only Python scalars are weak (not np.float64)
            continue
        strong.append(dtype_of(x))
    if dtype is None:
        if strong:
            dtype = _dt.result_type(*strong)
            for x in xs:
                if type(x) in _PY_SCALARS:
                    dtype = _dt.weak_result(dtype, x)
        else:
            dtype = _dt.result_type(*[_dt.scalar_dtype(x) for x in xs])
    elif not _dt.is_complex(dtype) and any(_dt.is_complex(d) for d in strong):
        # An op computing in a real dtype it chose (e.g. floatx for integers) would drop the imaginary part.
        raise TypeError(
            f"This op computes in {dtype} and does not support complex input (got {', '.join(strong)}); "
            "take ops.real/ops.imag/ops.abs first."
        )
    return [tensor(x, dtype) for x in xs]


def binary(name: str, x1: Any, x2: Any) -> Any:
    b = current()
    if b.is_tensor(x1):
        d1 = b.dtype(x1)
        if b.is_tensor(x2):
            if b.dtype(x2) == d1:  # fast path: same backend, same dtype
                return getattr(b, name)(x1, x2)
        elif type(x2) in _PY_SCALARS and _dt.weak_result(d1, x2) == d1:
            return getattr(b, name)(x1, constant(b, x2, d1))
    elif b.is_tensor(x2) and type(x1) in _PY_SCALARS:
        d2 = b.dtype(x2)
        if _dt.weak_result(d2, x1) == d2:
            return getattr(b, name)(constant(b, x1, d2), x2)
    a, c = promote(x1, x2)
    return getattr(b, name)(a, c)


def unary_float(name: str, x: Any) -> Any:
    """Unary math op: integer inputs are computed in floatx (Keras semantics); float and complex
    inputs keep their dtype."""
    x = tensor(x)
    b = current()
    if not _dt.is_inexact(b.dtype(x)):
        x = b.cast(x, _dt.config.floatx())
    return getattr(b, name)(x)


@overload
def axis_tuple(axis: None, ndim: int) -> None: ...
@overload
def axis_tuple(axis: int | Sequence[int], ndim: int) -> tuple[int, ...]: ...
def axis_tuple(axis: Any, ndim: int) -> tuple[int, ...] | None:
    """Normalize ``axis`` (None, int or sequence; negatives allowed) to a sorted tuple or None."""
    if axis is None:
        return None
    axes = (axis,) if isinstance(axis, numbers.Integral) else tuple(axis)
    out = []
    for a in axes:
        a = int(a)
        if not -ndim <= a < max(ndim, 1):
            raise ValueError(f"axis {a} is out of bounds for a tensor of rank {ndim}")
        out.append(a % ndim if ndim else 0)
    return tuple(sorted(set(out)))


def norm_axis(axis: int, ndim: int) -> int:
    a = int(axis)
    if not -ndim <= a < max(ndim, 1):
        raise ValueError(f"axis {axis} is out of bounds for a tensor of rank {ndim}")
    return a % ndim if ndim else 0


def shape_of(x: Any) -> tuple:
    if isinstance(x, (Variable, KerasTensor)):
        return tuple(x.shape)
    b = current()
    if b.is_tensor(x):
        return tuple(b.shape(x))
    return np.shape(x)
