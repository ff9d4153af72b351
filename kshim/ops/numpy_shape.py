"""Creation and shape-manipulation ops of the ``keras.ops`` NumPy namespace."""

from __future__ import annotations

import builtins
import math as _math
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from .. import dtypes as _dt
from .._symbolic import KerasTensor
from .._validation import check_op_output, is_symbolic_dim
from ..backend import current
from ._dispatch import axis_tuple, dtype_of, norm_axis, op, promote, shape_of, tensor

_sl = builtins.slice


def _dt_or(dtype: Any, default: str) -> str:
    return default if dtype is None else _dt.standardize_dtype(dtype)


def _dims(shape: Any) -> tuple:
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    return tuple(s if is_symbolic_dim(s) else int(s) for s in shape)  # a traced size stays symbolic


def _shape(shape: Any, op_name: str) -> tuple:
    """``shape`` as ints, refused when the tensor ``op_name`` would create is over the size limit."""
    return _cap(_dims(shape), op_name)


def _cap(dims: Sequence[int], op_name: str) -> tuple:
    """Refuse, before allocating, an output of more than ``MAX_ELEMENTS`` elements whose size comes
    from an argument (a shape, a count, repeats or paddings)."""
    check_op_output(dims, f"the output of {op_name}", fix="Use smaller shapes, counts, repeats or paddings.")
    return tuple(dims)


# ---- creation ---------------------------------------------------------------------------------
def zeros(shape: Any, dtype: Any = None) -> Any:
    """A new tensor of the given shape filled with zeros.

    Args:
        shape: The result's shape: an int or a sequence of ints.
        dtype: The result's dtype; None (the default) means ``floatx()``.

    Returns:
        A tensor of shape ``shape`` and dtype ``dtype``.

    Raises:
        ValueError: If the result would have more elements than kshim's per-tensor limit (``2**31 - 1``).
    """
    return current().zeros(_shape(shape, "zeros"), _dt_or(dtype, _dt.config.floatx()))


def ones(shape: Any, dtype: Any = None) -> Any:
    """A new tensor of the given shape filled with ones.

    Args:
        shape: The result's shape: an int or a sequence of ints.
        dtype: The result's dtype; None (the default) means ``floatx()``.

    Returns:
        A tensor of shape ``shape`` and dtype ``dtype``.

    Raises:
        ValueError: If the result would have more elements than kshim's per-tensor limit (``2**31 - 1``).
    """
    return current().ones(_shape(shape, "ones"), _dt_or(dtype, _dt.config.floatx()))


def empty(shape: Any, dtype: Any = None) -> Any:
    """A new tensor of the given shape; kshim always fills it with zeros (Keras leaves the values unspecified).

    Args:
        shape: The result's shape: an int or a sequence of ints.
        dtype: The result's dtype; None (the default) means ``floatx()``.

    Returns:
        A zero-filled tensor of shape ``shape`` and dtype ``dtype``.

    Raises:
        ValueError: If the result would have more elements than kshim's per-tensor limit (``2**31 - 1``).
    """
    return zeros(shape, dtype)


def full(shape: Any, fill_value: Any, dtype: Any = None) -> Any:
    """A new tensor of the given shape filled with ``fill_value``.

    Args:
        shape: The result's shape: an int or a sequence of ints.
        fill_value: A Python bool, int or float, or a tensor (or array) that broadcasts to ``shape``.
        dtype: The result's dtype. None (the default) means the dtype of ``fill_value``: ``bool``,
            int32 or ``floatx()`` for Python scalars, the tensor's dtype otherwise.

    Returns:
        A tensor of shape ``shape``.

    Raises:
        ValueError: If the result would have more elements than kshim's per-tensor limit (``2**31 - 1``).

    Example:
        >>> kshim.ops.convert_to_numpy(kshim.ops.full((2,), 7))
        array([7, 7], dtype=int32)
    """
    if not isinstance(fill_value, (bool, int, float)):
        v = tensor(fill_value)
        return current().broadcast_to(tensor(v, _dt_or(dtype, current().dtype(v))), _shape(shape, "full"))
    return current().full(_shape(shape, "full"), fill_value, _dt_or(dtype, _dt.scalar_dtype(fill_value)))


def _like(x: Any, dtype: Any) -> tuple:
    return shape_of(x), _dt_or(dtype, _dt.canonical_dtype(current().dtype(tensor(x))))


@op
def zeros_like(x: Any, dtype: Any = None) -> Any:
    """A new tensor with the shape of ``x``, filled with zeros.

    Args:
        x: Tensor (or array) whose shape (and, by default, dtype) the result takes.
        dtype: The result's dtype; None (the default) means ``x``'s dtype.

    Returns:
        A tensor of ``x``'s shape.
    """
    s, d = _like(x, dtype)
    return current().zeros(s, d)


@op
def ones_like(x: Any, dtype: Any = None) -> Any:
    """A new tensor with the shape of ``x``, filled with ones.

    Args:
        x: Tensor (or array) whose shape (and, by default, dtype) the result takes.
        dtype: The result's dtype; None (the default) means ``x``'s dtype.

    Returns:
        A tensor of ``x``'s shape.
    """
    s, d = _like(x, dtype)
    return current().ones(s, d)


@op
def full_like(x: Any, fill_value: Any, dtype: Any = None) -> Any:
    """A new tensor with the shape of ``x``, filled with ``fill_value``.

    Args:
        x: Tensor (or array) whose shape (and, by default, dtype) the result takes.
        fill_value: The value to fill with (a scalar).
        dtype: The result's dtype; None (the default) means ``x``'s dtype.

    Returns:
        A tensor of ``x``'s shape.
    """
    s, d = _like(x, dtype)
    return current().full(s, fill_value, d)


def arange(start: Any, stop: Any = None, step: Any = 1, dtype: Any = None) -> Any:
    """Evenly spaced values in the half-open interval ``[start, stop)``, ``step`` apart.

    Args:
        start: The first value; when ``stop`` is None it is the end instead, and the values start at 0.
        stop: The end of the interval (excluded), or None (the default).
        step: The spacing between values (default 1).
        dtype: The result's dtype. None (the default) means ``floatx()`` if any of ``start``, ``stop``
            and ``step`` is a Python float, int32 otherwise.

    Returns:
        A 1-d tensor of ``ceil((stop - start) / step)`` values (none if that is not positive).

    Raises:
        ValueError: If the result would have more elements than kshim's per-tensor limit (``2**31 - 1``).

    Example:
        >>> kshim.ops.convert_to_numpy(kshim.ops.arange(1, 7, 2))
        array([1, 3, 5], dtype=int32)
    """
    if stop is None:
        start, stop = 0, start
    if dtype is None:
        is_f = builtins.any(isinstance(v, float) for v in (start, stop, step))
        dtype = _dt.config.floatx() if is_f else "int32"
    if builtins.all(isinstance(v, (int, float, np.number)) for v in (start, stop, step)) and step:
        _cap((builtins.max(0, _math.ceil((stop - start) / step)),), "arange")
    return current().arange(start, stop, step, _dt.standardize_dtype(dtype))


def _host(v: Any) -> Any:
    """A Python number or a NumPy array for a start/stop given as a number, list or tensor."""
    if isinstance(v, (int, float)):
        return v
    b = current()
    return np.asarray(b.to_numpy(v)) if b.is_tensor(v) else np.asarray(v)


def linspace(
    start: float,
    stop: float,
    num: int = 50,
    endpoint: bool = True,
    retstep: bool = False,
    dtype: Any = None,
    axis: int = 0,
) -> Any:
    """``num`` evenly spaced values from ``start`` to ``stop``.

    The values are computed with NumPy on the host, then converted to a tensor.

    Args:
        start: The first value: a number, or an array or tensor for several sequences at once.
        stop: The last value (included when ``endpoint`` is True); same kinds as ``start``.
        num: How many values (default 50).
        endpoint: If True (the default) ``stop`` is the last value; otherwise it is excluded.
        retstep: If True, also return the spacing between values.
        dtype: The result's dtype; None (the default) means ``floatx()``.
        axis: The axis of the result along which the values lie, when ``start``/``stop`` are arrays
            (default 0).

    Returns:
        The tensor of values, or, with ``retstep=True``, a tuple ``(values, step)`` where ``step`` is
        the spacing as a NumPy value.

    Raises:
        ValueError: If the result would have more elements than kshim's per-tensor limit (``2**31 - 1``).
    """
    _cap((int(num),), "linspace")
    # numpy's stubs overload ``retstep`` on Literal[True] / Literal[False] only: a plain bool matches neither.
    np_linspace: Any = np.linspace
    vals = np_linspace(_host(start), _host(stop), num, endpoint=endpoint, retstep=retstep, axis=axis)
    arr = vals[0] if retstep else vals
    out = current().convert_to_tensor(arr, _dt_or(dtype, _dt.config.floatx()))
    return (out, vals[1]) if retstep else out


def logspace(
    start: float,
    stop: float,
    num: int = 50,
    endpoint: bool = True,
    base: float = 10.0,
    dtype: Any = None,
    axis: int = 0,
) -> Any:
    """``num`` values spaced evenly on a log scale: ``base ** linspace(start, stop, num)``.

    The values are computed with NumPy on the host, then converted to a tensor.

    Args:
        start: The first exponent: a number, or an array or tensor for several sequences at once.
        stop: The last exponent (included when ``endpoint`` is True); same kinds as ``start``.
        num: How many values (default 50).
        endpoint: If True (the default) ``base ** stop`` is the last value; otherwise it is excluded.
        base: The base of the log scale (default 10.0).
        dtype: The result's dtype; None (the default) means ``floatx()``.
        axis: The axis of the result along which the values lie, when ``start``/``stop`` are arrays
            (default 0).

    Returns:
        The tensor of values.

    Raises:
        ValueError: If the result would have more elements than kshim's per-tensor limit (``2**31 - 1``).
    """
    _cap((int(num),), "logspace")
    arr = np.logspace(_host(start), _host(stop), num, endpoint=endpoint, base=_host(base), axis=axis)
    return current().convert_to_tensor(arr, _dt_or(dtype, _dt.config.floatx()))


def eye(N: int, M: int | None = None, k: int = 0, dtype: Any = None) -> Any:  # noqa: N803
    """A 2-d tensor with ones on the ``k``-th diagonal and zeros elsewhere.

    Args:
        N: The number of rows.
        M: The number of columns; None (the default) means ``N``.
        k: The diagonal: 0 (the default) the main one, positive above it, negative below it.
        dtype: The result's dtype; None (the default) means ``floatx()``.

    Returns:
        A tensor of shape ``(N, M)``.

    Raises:
        TypeError: If ``N`` or ``M`` is a float or a float tensor (as Keras).
        ValueError: If the result would have more elements than kshim's per-tensor limit (``2**31 - 1``).
    """
    if _is_float_arg(N):
        raise TypeError(f"Argument `N` must be an integer or an integer tensor. Received: N={N!r}")
    if _is_float_arg(M):
        raise TypeError(f"Argument `M` must be an integer, an integer tensor, or `None`. Received: M={M!r}")
    n, m = _cap((int(N), int(N if M is None else M)), "eye")
    return current().eye(n, m, int(k), _dt_or(dtype, _dt.config.floatx()))


def _is_float_arg(v: Any) -> bool:
    """A Python float, or a tensor/array/Variable of a float dtype (as Keras' ``eye`` refuses)."""
    if isinstance(v, (float, np.floating)):
        return True
    if v is None or isinstance(v, (int, np.integer)):
        return False
    try:
        return _dt.is_float(dtype_of(v))
    except Exception:  # not a tensor-like: int() reports it
        return False


def identity(n: int, dtype: Any = None) -> Any:
    """The ``n`` by ``n`` identity matrix.

    Args:
        n: The number of rows and columns.
        dtype: The result's dtype; None (the default) means ``floatx()``.

    Returns:
        A tensor of shape ``(n, n)`` with ones on the main diagonal and zeros elsewhere.

    Raises:
        ValueError: If the result would have more elements than kshim's per-tensor limit (``2**31 - 1``).
    """
    return eye(n, dtype=dtype)


def array(x: Any, dtype: Any = None) -> Any:
    """Converts ``x`` to a tensor of the active backend.

    Args:
        x: A tensor, ``Variable``, NumPy array, Python scalar or (nested) list.
        dtype: The result's dtype; None (the default) infers it (Python ints give int32 and floats
            ``floatx()``; a NumPy array keeps its dtype).

    Returns:
        A backend tensor (``x`` itself when it already is one of the right dtype).

    Raises:
        TypeError: If ``x`` is a symbolic ``KerasTensor``.
    """
    return tensor(x, None if dtype is None else _dt.standardize_dtype(dtype))


@op
def copy(x: Any) -> Any:
    """A copy of ``x``: a new tensor with the same values, shape and dtype.

    Args:
        x: Input tensor.

    Returns:
        The copied tensor.
    """
    b = current()
    x = tensor(x)
    return b.add(x, b.zeros((), b.dtype(x))) if b.dtype(x) != "bool" else b.logical_or(x, x)


@op
def tri(N: int, M: int | None = None, k: int = 0, dtype: Any = None) -> Any:  # noqa: N803
    """A 2-d tensor with ones at and below the ``k``-th diagonal and zeros elsewhere.

    Args:
        N: The number of rows.
        M: The number of columns; None (the default) means ``N``.
        k: The diagonal at and below which the tensor is filled: 0 (the default) the main one,
            positive above it, negative below it.
        dtype: The result's dtype; None (the default) means ``floatx()``.

    Returns:
        A tensor of shape ``(N, M)`` whose element ``[i, j]`` is 1 when ``j - i <= k``.

    Raises:
        ValueError: If the result would have more elements than kshim's per-tensor limit (``2**31 - 1``).
    """
    b = current()
    M = N if M is None else M
    _cap((int(N), int(M)), "tri")
    r = b.reshape(b.arange(0, N, 1, "int32"), (N, 1))
    c = b.reshape(b.arange(0, M, 1, "int32"), (1, M))
    mask = b.less_equal(b.subtract(c, r), b.full((), k, "int32"))
    return b.cast(mask, _dt_or(dtype, _dt.config.floatx()))


def _tri_mask(x: Any, k: int, lower: bool) -> Any:
    b = current()
    n, m = b.shape(x)[-2:]
    r = b.reshape(b.arange(0, n, 1, "int32"), (n, 1))
    c = b.reshape(b.arange(0, m, 1, "int32"), (1, m))
    d = b.subtract(c, r)
    kk = b.full((), k, "int32")
    return b.less_equal(d, kk) if lower else b.greater_equal(d, kk)


@op
def tril(x: Any, k: int = 0) -> Any:
    """The lower triangle of ``x``: elements above the ``k``-th diagonal are set to zero.

    The triangle is taken over the last two axes; leading axes are batch axes.

    Args:
        x: Input tensor of rank 2 or more.
        k: The diagonal: 0 (the default) the main one, positive above it, negative below it.

    Returns:
        A tensor of ``x``'s shape and dtype.
    """
    b = current()
    x = tensor(x)
    return b.where(_tri_mask(x, k, True), x, b.zeros((), b.dtype(x)))


@op
def triu(x: Any, k: int = 0) -> Any:
    """The upper triangle of ``x``: elements below the ``k``-th diagonal are set to zero.

    The triangle is taken over the last two axes; leading axes are batch axes.

    Args:
        x: Input tensor of rank 2 or more.
        k: The diagonal: 0 (the default) the main one, positive above it, negative below it.

    Returns:
        A tensor of ``x``'s shape and dtype.
    """
    b = current()
    x = tensor(x)
    return b.where(_tri_mask(x, k, False), x, b.zeros((), b.dtype(x)))


# ---- shape ------------------------------------------------------------------------------------
def _check_newshape(shape: tuple) -> None:
    """Keras' checks (and messages) on the int entries of a reshape target."""
    ints = [s for s in shape if isinstance(s, (int, np.integer))]
    if any(s < -1 for s in ints):
        raise ValueError(
            f"Each dimension in `newshape` must be a non-negative integer, or `-1` for a single "
            f"unknown dimension. Received: newshape={shape}."
        )
    if ints.count(-1) > 1:
        raise ValueError(f"There must be at most one unknown dimension (-1) in `newshape`. Received: newshape={shape}.")


def _resolve_shape(shape: Any, size: int, src: tuple) -> tuple:
    shape = _dims(shape)  # a reshape keeps the size: nothing to cap
    _check_newshape(shape)
    known = _math.prod(s for s in shape if s != -1)
    if -1 in shape:
        if known == 0 or size % known:
            raise ValueError(f"Cannot reshape a tensor of shape {src} (size {size}) into {shape}.")
        shape = tuple(size // known if s == -1 else s for s in shape)
    if _math.prod(shape) != size:
        raise ValueError(f"Cannot reshape a tensor of shape {src} (size {size}) into {shape}.")
    return shape


@op
def reshape(x: Any, newshape: Any) -> Any:
    """Gives ``x`` a new shape with the same number of elements.

    Args:
        x: Input tensor.
        newshape: The new shape: an int or a sequence of ints, at most one of which may be -1
            (that dimension is inferred from the size). Symbolically it may also be a 1-d int
            KerasTensor (or hold 0-d ones): the dims it gives are then unknown (None).

    Returns:
        A tensor with ``x``'s elements (in row-major order) and dtype, of shape ``newshape``.

    Raises:
        ValueError: If ``newshape`` has more than one -1, a dim below -1, or does not match ``x``'s
            size.

    Example:
        >>> kshim.ops.shape(kshim.ops.reshape(kshim.ops.zeros((2, 3)), (3, -1)))
        (3, 2)
    """
    b = current()
    x = tensor(x)
    src = tuple(b.shape(x))
    return b.reshape(x, _resolve_shape(newshape, _math.prod(src), src))


def _reshape_spec(x: Any, newshape: Any) -> Any:
    """The symbolic output of ``reshape`` when ``newshape`` is (or holds) a KerasTensor: its values
    are unknown, so every dim they give is None (as Keras). None: an ordinary probe does."""
    if isinstance(newshape, KerasTensor):
        rank = newshape.shape[0] if len(newshape.shape) == 1 and newshape.shape[0] is not None else 1
        dims: tuple = (None,) * rank
    elif isinstance(newshape, (list, tuple)) and any(d is None or isinstance(d, KerasTensor) for d in newshape):
        _check_newshape(tuple(newshape))
        dims = tuple(d if isinstance(d, (int, np.integer)) and d >= 0 else None for d in newshape)
    else:
        return None
    return KerasTensor(dims, x.dtype if isinstance(x, KerasTensor) else dtype_of(x))


reshape.__wrapped__.output_spec = _reshape_spec  # type: ignore[attr-defined]


@op
def ravel(x: Any) -> Any:
    """Flattens ``x`` to one dimension.

    Args:
        x: Input tensor.

    Returns:
        A 1-d tensor of ``x``'s elements in row-major order, with ``x``'s dtype.
    """
    return reshape(x, (-1,))


@op
def transpose(x: Any, axes: Any = None) -> Any:
    """Permutes the axes of ``x``.

    Args:
        x: Input tensor.
        axes: A permutation of ``range(x.ndim)`` (negative axes allowed): axis ``i`` of the result is
            axis ``axes[i]`` of ``x``. None (the default) reverses the axes.

    Returns:
        The transposed tensor.

    Raises:
        ValueError: If ``axes`` does not have one entry per axis, an axis is out of bounds, or
            ``axes`` is not a permutation (Keras' messages).
    """
    b = current()
    x = tensor(x)
    nd = len(b.shape(x))
    if axes is None:
        return b.transpose(x, tuple(reversed(range(nd))))
    axes = list(axes)
    if len(axes) != nd:  # Keras' checks, in its order and with its messages
        raise ValueError(
            f"axis must be a list of the same length as the input shape, expected {nd}, but received {len(axes)}."
        )
    if any(not isinstance(a, (int, np.integer)) or isinstance(a, bool) or not -nd <= a < nd for a in axes):
        raise ValueError(f"Each axis in `axes` must be an integer in [-{nd}, {nd}). Received: axes={axes}.")
    perm = tuple(int(a) % nd for a in axes)
    if len(set(perm)) != nd:
        raise ValueError(
            f"`axes` must be a valid permutation of the input dimensions (no duplicates). "
            f"Received: axes={axes} for input of rank {nd}."
        )
    return b.transpose(x, perm)


@op
def moveaxis(x: Any, source: Any, destination: Any) -> Any:
    """Moves axes of ``x`` to new positions; the other axes keep their order.

    Args:
        x: Input tensor.
        source: The axis (int) or axes (sequence of ints) to move; negative axes allowed.
        destination: The new position(s) of the moved axes, one per ``source`` axis.

    Returns:
        The tensor with its axes rearranged.

    Raises:
        ValueError: If an axis is out of bounds for ``x``'s rank, an axis is repeated, or ``source``
            and ``destination`` differ in length.
    """
    b = current()
    x = tensor(x)
    nd = len(b.shape(x))
    src = [norm_axis(a, nd) for a in (source if isinstance(source, (list, tuple)) else [source])]
    dst = [norm_axis(a, nd) for a in (destination if isinstance(destination, (list, tuple)) else [destination])]
    if len(set(src)) != len(src) or len(set(dst)) != len(dst):  # as NumPy: not left to the backend
        raise ValueError(f"moveaxis: repeated axis in `source` {source} or `destination` {destination}.")
    if len(src) != len(dst):
        raise ValueError(
            f"moveaxis: `source` {source} and `destination` {destination} must have the same number of elements."
        )
    order = [a for a in range(nd) if a not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return b.transpose(x, tuple(order))


@op
def swapaxes(x: Any, axis1: int, axis2: int) -> Any:
    """Swaps two axes of ``x``.

    Args:
        x: Input tensor.
        axis1: The first axis (negative counts from the end).
        axis2: The second axis.

    Returns:
        The tensor with ``axis1`` and ``axis2`` exchanged.

    Raises:
        ValueError: If an axis is out of bounds for ``x``'s rank.
    """
    b = current()
    x = tensor(x)
    nd = len(b.shape(x))
    p = list(range(nd))
    a1, a2 = norm_axis(axis1, nd), norm_axis(axis2, nd)
    p[a1], p[a2] = p[a2], p[a1]
    return b.transpose(x, tuple(p))


@op
def expand_dims(x: Any, axis: Any) -> Any:
    """Inserts axes of size 1 into the shape of ``x``.

    Args:
        x: Input tensor.
        axis: The position (int) or positions (sequence of ints) of the new axes in the result;
            negative positions count from the end of the result's shape.

    Returns:
        The reshaped tensor, of rank ``x.ndim + len(axis)``.

    Raises:
        ValueError: If a position is out of bounds for the result's rank.
    """
    b = current()
    x = tensor(x)
    shp = list(b.shape(x))
    axes = axis if isinstance(axis, (list, tuple)) else [axis]
    out_nd = len(shp) + len(axes)
    for a in sorted(norm_axis(a, out_nd) for a in axes):
        shp.insert(a, 1)
    return b.reshape(x, tuple(shp))


@op
def squeeze(x: Any, axis: Any = None) -> Any:
    """Removes axes of size 1 from the shape of ``x``.

    Args:
        x: Input tensor.
        axis: The axis (int) or axes (sequence of ints) to remove; None (the default) removes every
            axis of size 1.

    Returns:
        The reshaped tensor.

    Raises:
        ValueError: If a named axis does not have size 1 or is out of bounds.
    """
    b = current()
    x = tensor(x)
    shp = b.shape(x)
    axes = axis_tuple(axis, len(shp))
    if axes is None:
        axes = tuple(i for i, s in enumerate(shp) if s == 1)
    for a in axes:
        if shp[a] != 1:
            raise ValueError(f"Cannot squeeze axis {a} of shape {shp}: its size is {shp[a]}, not 1.")
    return b.reshape(x, tuple(s for i, s in enumerate(shp) if i not in axes))


@op
def broadcast_to(x: Any, shape: Any) -> Any:
    """Broadcasts ``x`` to a new shape, with NumPy's broadcasting rules.

    Args:
        x: Input tensor.
        shape: The target shape (an int or a sequence of ints).

    Returns:
        A tensor of shape ``shape`` with ``x``'s dtype.

    Raises:
        ValueError: If ``x``'s shape does not broadcast to ``shape``, or the result would have more
            elements than kshim's per-tensor limit (``2**31 - 1``).
    """
    b = current()
    x = tensor(x)
    target = _shape(shape, "broadcast_to")
    try:
        np.broadcast_shapes(tuple(b.shape(x)), target)
    except ValueError:
        raise ValueError(f"Cannot broadcast a tensor of shape {tuple(b.shape(x))} to {tuple(shape)}.") from None
    return b.broadcast_to(x, target)


@op
def concatenate(xs: Sequence[Any], axis: int = 0) -> Any:
    """Joins a sequence of tensors along an existing axis.

    The tensors are promoted to a common dtype first.

    Args:
        xs: A non-empty sequence of tensors of the same rank, whose shapes agree except along ``axis``.
        axis: The axis to join along (default 0; negative counts from the end), or None to flatten
            every tensor first and join the results.

    Returns:
        The joined tensor.

    Raises:
        ValueError: If the shapes differ outside ``axis``, or ``axis`` is out of bounds.
    """
    b = current()
    ts = promote(*xs)
    if axis is None:
        ts = [b.reshape(t, (_math.prod(b.shape(t)),)) for t in ts]
        axis = 0
    nd = len(b.shape(ts[0]))
    ax = norm_axis(axis, nd)
    ref = b.shape(ts[0])
    for t in ts[1:]:
        s = b.shape(t)
        if len(s) != nd or builtins.any(s[i] != ref[i] for i in range(nd) if i != ax):
            raise ValueError(f"concatenate: shapes {[tuple(b.shape(t)) for t in ts]} differ outside axis {axis}.")
    return b.concatenate(ts, ax)


@op
def append(x1: Any, x2: Any, axis: int | None = None) -> Any:
    """Append ``x2`` to the end of ``x1``, as ``numpy.append``.

    Args:
        x1: Input tensor or array-like.
        x2: Values to append, tensor or array-like.
        axis: Axis along which to join. ``None`` (the default) flattens both inputs first and returns
            a 1-D tensor; otherwise the shapes must match except along ``axis``.

    Returns:
        The concatenation of ``x1`` and ``x2``, in their promoted dtype.
    """
    return concatenate([x1, x2], axis=axis)


append.__name__ = "append"


@op
def stack(x: Sequence[Any], axis: int = 0) -> Any:
    """Joins a sequence of tensors along a new axis.

    The tensors are promoted to a common dtype first.

    Args:
        x: A non-empty sequence of tensors of the same shape.
        axis: The position of the new axis in the result (default 0; negative counts from the end).

    Returns:
        A tensor of rank one more than the inputs', of size ``len(x)`` along ``axis``.

    Raises:
        ValueError: If ``axis`` is out of bounds for the result's rank.
    """
    b = current()
    ts = promote(*x)
    nd = len(b.shape(ts[0])) + 1
    ax = norm_axis(axis, nd)
    return b.concatenate([expand_dims(t, ax) for t in ts], ax)


@op
def hstack(xs: Sequence[Any]) -> Any:
    """Joins a sequence of tensors horizontally: along axis 0 for 1-d tensors, axis 1 otherwise.

    Args:
        xs: A non-empty sequence of tensors, promoted to a common dtype.

    Returns:
        The joined tensor.

    Raises:
        ValueError: If the shapes differ outside the joined axis.
    """
    b = current()
    ts = promote(*xs)
    return concatenate(ts, axis=0 if len(b.shape(ts[0])) == 1 else 1)


@op
def vstack(xs: Sequence[Any]) -> Any:
    """Joins a sequence of tensors vertically (along axis 0); 1-d tensors of shape ``(n,)`` are first
    reshaped to ``(1, n)``.

    Args:
        xs: A non-empty sequence of tensors, promoted to a common dtype.

    Returns:
        The joined tensor, of rank 2 or more.

    Raises:
        ValueError: If the shapes differ outside axis 0.
    """
    b = current()
    ts = [t if len(b.shape(t)) > 1 else b.reshape(t, (1,) + tuple(b.shape(t))) for t in promote(*xs)]
    return concatenate(ts, axis=0)


@op
def split(x: Any, indices_or_sections: Any, axis: int = 0) -> list:
    """Splits ``x`` into several tensors along ``axis``.

    Args:
        x: Input tensor.
        indices_or_sections: An int ``n``: split into ``n`` equal sections; or a sequence of
            increasing indices along ``axis`` at which to split.
        axis: The axis to split along (default 0; negative counts from the end).

    Returns:
        A Python list of tensors (``n`` of them, or ``len(indices_or_sections) + 1``).

    Raises:
        ValueError: If an int ``indices_or_sections`` does not divide the size of ``axis``, or
            ``axis`` is out of bounds.

    Example:
        >>> parts = kshim.ops.split(kshim.ops.arange(6), 3)
        >>> [kshim.ops.convert_to_numpy(p).tolist() for p in parts]
        [[0, 1], [2, 3], [4, 5]]
    """
    b = current()
    x = tensor(x)
    nd = len(b.shape(x))
    ax = norm_axis(axis, nd)
    n = b.shape(x)[ax]
    if isinstance(indices_or_sections, int):
        if n % indices_or_sections:
            raise ValueError(f"split: axis {axis} of size {n} does not divide into {indices_or_sections} sections.")
        step = n // indices_or_sections
        bounds = [i * step for i in range(indices_or_sections + 1)]
    else:
        bounds = [0] + [int(i) for i in indices_or_sections] + [n]
    if b.split_at is not None and all(0 <= lo <= hi <= n for lo, hi in zip(bounds[:-1], bounds[1:])):
        return list(b.split_at(x, bounds[1:-1], ax))
    lead = (_sl(None),) * ax
    return [b.getitem(x, lead + (_sl(lo, hi),)) for lo, hi in zip(bounds[:-1], bounds[1:])]


@op
def flip(x: Any, axis: Any = None) -> Any:
    """Reverses the order of the elements of ``x`` along ``axis``.

    Args:
        x: Input tensor.
        axis: An int or a sequence of ints; None (the default) flips every axis.

    Returns:
        A tensor of ``x``'s shape and dtype.

    Raises:
        ValueError: If an axis is out of bounds for ``x``'s rank.
    """
    b = current()
    x = tensor(x)
    nd = len(b.shape(x))
    axes = axis_tuple(axis, nd)
    axes = range(nd) if axes is None else axes
    return b.getitem(x, tuple(_sl(None, None, -1) if i in axes else _sl(None) for i in range(nd)))


@op
def roll(x: Any, shift: Any, axis: Any = None) -> Any:
    """Rolls the elements of ``x`` along ``axis``: elements shifted past the end reappear at the start.

    Args:
        x: Input tensor.
        shift: The number of places to shift (negative shifts to the left): an int, or a sequence of
            ints, one per axis of ``axis``.
        axis: The axis or axes to roll; None (the default) rolls the flattened tensor and restores
            the shape.

    Returns:
        A tensor of ``x``'s shape and dtype.

    Raises:
        ValueError: If an axis is out of bounds for ``x``'s rank.
    """
    b = current()
    x = tensor(x)
    if axis is None:
        shp = b.shape(x)
        return reshape(roll(ravel(x), shift, 0), shp)
    shifts = shift if isinstance(shift, (list, tuple)) else [shift]
    axes = axis if isinstance(axis, (list, tuple)) else [axis]
    for s, a in zip(shifts, axes):
        a = norm_axis(a, len(b.shape(x)))
        n = b.shape(x)[a]
        if n == 0:
            continue
        s = int(s) % n
        if s:
            lead = (_sl(None),) * a
            x = b.concatenate([b.getitem(x, lead + (_sl(n - s, None),)), b.getitem(x, lead + (_sl(0, n - s),))], a)
    return x


@op
def repeat(x: Any, repeats: Any, axis: Any = None) -> Any:
    """Repeats each element of ``x`` along ``axis``.

    Args:
        x: Input tensor.
        repeats: An int (every element repeated that many times), or a 1-d sequence or tensor of one
            count per element along ``axis``.
        axis: The axis to repeat along; None (the default) flattens ``x`` first.

    Returns:
        The tensor with the repeated elements.

    Raises:
        ValueError: If ``axis`` is out of bounds, or the result would have more elements than
            kshim's per-tensor limit (``2**31 - 1``).

    Example:
        >>> kshim.ops.convert_to_numpy(kshim.ops.repeat(kshim.ops.array([1, 2]), 2))
        array([1, 1, 2, 2], dtype=int32)
    """
    b = current()
    x = tensor(x)
    if axis is None:
        x, axis = ravel(x), 0
    ax = norm_axis(axis, len(b.shape(x)))
    shp = tuple(b.shape(x))
    if not isinstance(repeats, (int, np.integer)):
        reps = np.asarray(repeats if not b.is_tensor(repeats) else b.to_numpy(repeats)).reshape(-1)
        if reps.size == 1:
            repeats = int(reps[0])
        else:
            _cap(shp[:ax] + (int(reps.sum()),) + shp[ax + 1 :], "repeat")
            idx = np.repeat(np.arange(shp[ax]), reps)
            return b.take(x, b.convert_to_tensor(idx, "int64"), ax)
    r = int(repeats)
    _cap(shp[:ax] + (shp[ax] * r,) + shp[ax + 1 :], "repeat")
    y = b.reshape(x, shp[: ax + 1] + (1,) + shp[ax + 1 :])
    y = b.broadcast_to(y, shp[: ax + 1] + (r,) + shp[ax + 1 :])
    return b.reshape(y, shp[:ax] + (shp[ax] * r,) + shp[ax + 1 :])


@op
def tile(x: Any, repeats: Any) -> Any:
    """Builds a tensor by repeating ``x`` as a whole ``repeats`` times along each axis.

    Args:
        x: Input tensor.
        repeats: An int or a sequence of ints, the repetitions per axis. If it has more entries than
            ``x`` has axes, ``x`` gets leading axes of size 1; if fewer, ones are prepended to it.

    Returns:
        A tensor whose shape is ``x``'s (padded as above) times ``repeats``, elementwise.

    Raises:
        ValueError: If the result would have more elements than kshim's per-tensor limit (``2**31 - 1``).
    """
    b = current()
    x = tensor(x)
    reps = [int(r) for r in (repeats if isinstance(repeats, (list, tuple)) else [repeats])]
    shp = tuple(b.shape(x))
    nd = builtins.max(len(shp), len(reps))
    shp = (1,) * (nd - len(shp)) + shp
    reps = [1] * (nd - len(reps)) + reps
    _cap(tuple(r * s for r, s in zip(reps, shp)), "tile")
    y = b.reshape(x, tuple(v for s in shp for v in (1, s)))
    y = b.broadcast_to(y, tuple(v for r, s in zip(reps, shp) for v in (r, s)))
    return b.reshape(y, tuple(r * s for r, s in zip(reps, shp)))


@op
def pad(x: Any, pad_width: Any, mode: str = "constant", constant_values: Any = None) -> Any:
    """Pads ``x`` on both sides of each axis.

    kshim supports only the ``"constant"``, ``"reflect"``, ``"symmetric"`` and ``"edge"`` modes
    (Keras also has others, such as ``"wrap"``).

    Args:
        x: Input tensor.
        pad_width: How much to pad: an int (the same before and after every axis), a pair
            ``(before, after)`` for every axis, or one pair per axis.
        mode: ``"constant"`` (the default: fill with ``constant_values``), ``"reflect"`` (mirror,
            excluding the edge), ``"symmetric"`` (mirror, including the edge) or ``"edge"`` (repeat
            the edge value).
        constant_values: The fill value for ``"constant"``; None (the default) means 0.

    Returns:
        The padded tensor, with ``x``'s dtype.

    Raises:
        ValueError: If ``mode`` is unsupported, ``constant_values`` is given with another mode, or
            the result would have more elements than kshim's per-tensor limit (``2**31 - 1``).
    """
    b = current()
    x = tensor(x)
    nd = len(b.shape(x))
    pw = np.broadcast_to(
        np.asarray(pad_width, dtype=np.int64).reshape(-1, 2) if np.ndim(pad_width) else np.full((1, 2), int(pad_width)),
        (nd, 2),
    )
    if mode not in ("constant", "reflect", "symmetric", "edge"):
        raise ValueError(f"pad: unsupported mode {mode!r}; use constant, reflect, symmetric or edge.")
    if constant_values is not None and mode != "constant":
        raise ValueError(
            f"Argument `constant_values` can only be provided when `mode == 'constant'`. Received: mode={mode!r}"
        )
    _cap(tuple(n + int(lo) + int(hi) for n, (lo, hi) in zip(b.shape(x), pw)), "pad")
    return b.pad(x, [tuple(int(v) for v in p) for p in pw], mode, 0 if constant_values is None else constant_values)


@op
def take(x: Any, indices: Any, axis: Any = None) -> Any:
    """Gathers the elements of ``x`` at ``indices`` along ``axis``.

    Negative indices count from the end of the axis; non-integer indices are cast to int32.

    Args:
        x: Input tensor.
        indices: An int tensor (or array or list) of indices, of any shape.
        axis: The axis to gather from; None (the default) takes from the flattened tensor.

    Returns:
        A tensor of shape ``x.shape[:axis] + indices.shape + x.shape[axis + 1:]``.

    Raises:
        ValueError: If ``axis`` is out of bounds for ``x``'s rank.

    Example:
        >>> x = kshim.ops.array([10, 20, 30])
        >>> kshim.ops.convert_to_numpy(kshim.ops.take(x, [2, -3]))
        array([30, 10], dtype=int32)
    """
    b = current()
    x = tensor(x)
    if axis is None:
        x, axis = ravel(x), 0
    ax = norm_axis(axis, len(b.shape(x)))
    idx = tensor(indices)
    if not _dt.is_int(b.dtype(idx)):
        idx = b.cast(idx, "int32")
    n = b.shape(x)[ax]
    idx = b.where(b.less(idx, b.zeros((), b.dtype(idx))), b.add(idx, b.full((), n, b.dtype(idx))), idx)
    return b.take(x, idx, ax)


@op
def take_along_axis(x: Any, indices: Any, axis: Any = None) -> Any:
    """Gathers elements of ``x`` along ``axis`` with an index tensor of the same rank (such as the
    output of :func:`argsort`).

    Negative indices count from the end of the axis.

    Args:
        x: Input tensor.
        indices: An int tensor of ``x``'s rank, whose other dimensions broadcast against ``x``'s.
        axis: The axis to gather along; None (the default) uses the flattened ``x`` (and 1-d
            ``indices``).

    Returns:
        A tensor of ``x``'s dtype with the shape of ``indices`` along ``axis``.

    Raises:
        ValueError: If ``axis`` is out of bounds for ``x``'s rank.
    """
    b = current()
    x = tensor(x)
    if axis is None:
        x, axis = ravel(x), 0
    ax = norm_axis(axis, len(b.shape(x)))
    idx = tensor(indices)
    n = b.shape(x)[ax]
    idx = b.where(b.less(idx, b.zeros((), b.dtype(idx))), b.add(idx, b.full((), n, b.dtype(idx))), idx)
    return b.take_along_axis(x, idx, ax)


@op
def diagonal(x: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
    """The diagonal of ``x`` with the given ``offset``, over the axes ``axis1`` and ``axis2``.

    Args:
        x: Input tensor of rank 2 or more.
        offset: The diagonal: 0 (the default) the main one, positive above it, negative below it.
        axis1: The axis of the rows (default 0).
        axis2: The axis of the columns (default 1).

    Returns:
        A tensor of ``x``'s dtype whose shape is ``x``'s other axes, then the diagonal's length.

    Raises:
        ValueError: If an axis is out of bounds for ``x``'s rank, or ``axis1`` and ``axis2`` name the
            same axis.
    """
    b = current()
    x = tensor(x)
    nd = len(b.shape(x))
    a1, a2 = norm_axis(axis1, nd), norm_axis(axis2, nd)
    if a1 == a2:
        raise ValueError(
            f"diagonal: `axis1` and `axis2` cannot be the same axis. Received: axis1={axis1}, "
            f"axis2={axis2} (both axis {a1} of a rank-{nd} tensor)."
        )
    x = moveaxis(x, [a1, a2], [nd - 2, nd - 1])
    n, m = b.shape(x)[-2:]
    rows = np.arange(builtins.max(0, -offset), builtins.min(n, m - offset))
    if rows.size == 0:
        return b.zeros(tuple(b.shape(x)[:-2]) + (0,), b.dtype(x))
    flat = b.reshape(x, tuple(b.shape(x)[:-2]) + (n * m,))
    return b.take(flat, b.convert_to_tensor(rows * m + rows + offset, "int64"), nd - 2)


@op
def diag(x: Any, k: int = 0) -> Any:
    """Extracts a diagonal of a matrix, or builds a matrix with a vector on a diagonal.

    Args:
        x: A 2-d tensor (a diagonal is extracted, as :func:`diagonal`) or a 1-d tensor of ``n``
            values (placed on the ``k``-th diagonal of an ``(n + |k|, n + |k|)`` matrix of zeros).
        k: The diagonal: 0 (the default) the main one, positive above it, negative below it.

    Returns:
        The 1-d diagonal, or the 2-d matrix, with ``x``'s dtype.
    """
    b = current()
    x = tensor(x)
    if len(b.shape(x)) == 2:
        return diagonal(x, k)
    n = b.shape(x)[0] + builtins.abs(k)
    e = b.eye(n, n, k, b.dtype(x) if b.dtype(x) != "bool" else "int32")
    v = b.pad(x if b.dtype(x) != "bool" else b.cast(x, "int32"), [(0, builtins.abs(k))], "constant", 0)
    # NOTE: row i holds x[i] for k >= 0; column j holds x[j] for k < 0.
    out = b.multiply(e, b.reshape(v, (n, 1) if k >= 0 else (1, n)))
    return b.cast(out, "bool") if b.dtype(x) == "bool" else out


@op
def trace(x: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
    """The sum of the diagonal of ``x`` with the given ``offset``, over the axes ``axis1`` and ``axis2``.

    Args:
        x: Input tensor of rank 2 or more.
        offset: The diagonal: 0 (the default) the main one, positive above it, negative below it.
        axis1: The axis of the rows (default 0).
        axis2: The axis of the columns (default 1).

    Returns:
        A tensor of ``x``'s other axes; the dtype follows :func:`sum` (bool, int8 and int16 give
        int32, uint8 and uint16 give uint32).

    Raises:
        ValueError: If an axis is out of bounds for ``x``'s rank.
    """
    from .numpy_reduce import sum as _sum  # Keras' accumulation dtypes (int8 -> int32, uint8 -> uint32, ...)

    d = diagonal(x, offset, axis1, axis2)
    return _sum(d, axis=-1)


@op
def meshgrid(*x: Any, indexing: str = "xy") -> list:
    """Coordinate grids from 1-d coordinate vectors.

    Args:
        *x: 1-d tensors of coordinates, of lengths ``n1, n2, ...``.
        indexing: ``"xy"`` (the default: Cartesian, the first two dimensions of the outputs are
            swapped, giving shape ``(n2, n1, ...)``) or ``"ij"`` (matrix indexing: shape
            ``(n1, n2, ...)``).

    Returns:
        A Python list of tensors, one per input, each of the grid's shape.
    """
    b = current()
    ts = [tensor(t) for t in x]
    n = len(ts)
    shapes = [b.shape(t)[0] for t in ts]
    if indexing == "xy" and n >= 2:
        shapes[0], shapes[1] = shapes[1], shapes[0]
    out = []
    for i, t in enumerate(ts):
        pos = i
        if indexing == "xy" and n >= 2 and i < 2:
            pos = 1 - i
        shp = [1] * n
        shp[pos] = b.shape(t)[0]
        out.append(b.broadcast_to(b.reshape(t, tuple(shp)), tuple(shapes)))
    return out


def ndim(x: Any) -> int:
    """The number of dimensions of ``x``.

    Args:
        x: A tensor, ``Variable``, ``KerasTensor``, array or nested list.

    Returns:
        The rank, as a Python int.
    """
    return len(shape_of(x))


def size(x: Any) -> int:
    """The number of elements of ``x``.

    Args:
        x: A tensor, ``Variable``, array or nested list.

    Returns:
        The number of elements (the product of the shape), as a Python int.
    """
    return int(_math.prod(shape_of(x)))


# Built at import time; mypy cannot evaluate it, and without it sees every public name (the same ops).
if not TYPE_CHECKING:
    __all__ = [
        _n
        for _n, _v in list(globals().items())
        if not _n.startswith("_") and callable(_v) and getattr(_v, "__module__", None) == __name__
    ]
