"""Products: matmul, dot, tensordot, einsum, outer, inner, vdot, cross; and ``norm``."""

from __future__ import annotations

import builtins as _builtins
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import dtypes as _dt
from ..backend import current
from ._dispatch import dtype_of, op, promote, tensor

_py_slice = _builtins.slice


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
    """Matrix product of two tensors, with NumPy's ``matmul`` semantics.

    1-d operands are treated as a vector (a row on the left, a column on the right) and leading batch
    dimensions broadcast. The inputs are first promoted to a common dtype; integer products stay
    integer, ``bool @ bool`` gives bool (an OR of ANDs), ``int8 @ int8`` accumulates and returns
    int32, and other results keep the promoted input dtype (bfloat16 stays bfloat16).

    Args:
        x1: First tensor, of shape ``(..., n, k)`` (or ``(k,)``).
        x2: Second tensor, of shape ``(..., k, m)`` (or ``(k,)``).

    Returns:
        The product, of shape ``(..., n, m)`` with the broadcast batch dimensions (the vector
        dimensions of 1-d operands removed).

    Raises:
        ValueError: If either input is a scalar, the inner dimensions differ, or the batch dimensions
            do not broadcast.

    Example:
        >>> import numpy as np
        >>> a = np.array([[1, 2], [3, 4]], dtype="int32")
        >>> kshim.ops.convert_to_numpy(kshim.ops.matmul(a, a))
        array([[ 7, 10],
               [15, 22]], dtype=int32)
    """
    b = current()
    a, c = promote(x1, x2)
    _check_matmul(tuple(b.shape(a)), tuple(b.shape(c)))
    d = b.dtype(a)
    if d == "bool":  # Keras: bool @ bool is bool (an OR of ANDs)
        out = b.matmul(b.cast(a, "int32"), b.cast(c, "int32"))
        return b.greater(out, b.zeros((), "int32"))
    if d == "int8" and dtype_of(x1) == dtype_of(x2) == "int8":  # Keras: int8 @ int8 accumulates in int32
        a, c = b.cast(a, "int32"), b.cast(c, "int32")
    out = b.matmul(a, c)
    # NumPy computes bfloat16 products in float32; the result keeps the input dtype, as in Keras.
    return b.cast(out, b.dtype(a)) if b.dtype(out) != b.dtype(a) else out


@op
def einsum(subscripts: str, *operands: Any) -> Any:
    """Einstein summation over the operands, as described by ``subscripts``.

    The operands are promoted to a common dtype first, then contracted by the backend's ``einsum``.

    Args:
        subscripts: The NumPy-style equation, e.g. ``"ij,jk->ik"``: one comma-separated group of
            letters per operand, optionally ``->`` and the output's letters.
        *operands: The tensors, one per group of letters in ``subscripts``.

    Returns:
        The contracted tensor, in the operands' common dtype.
    """
    b = current()
    ts = promote(*operands)
    return b.einsum(subscripts, *ts)


@op
def tensordot(x1: Any, x2: Any, axes: Any = 2) -> Any:
    """Tensor dot product: sums the products of ``x1`` and ``x2`` over the given pairs of axes.

    Args:
        x1: First tensor.
        x2: Second tensor.
        axes: An int ``n`` (the default 2) to contract the last ``n`` axes of ``x1`` with the first
            ``n`` axes of ``x2``, or a pair ``(axes_1, axes_2)`` of ints or equally long sequences of
            ints naming the axes of ``x1`` and ``x2`` to contract, pairwise (negative axes allowed).

    Returns:
        A tensor in the inputs' common dtype whose shape is the uncontracted axes of ``x1``, then the
        uncontracted axes of ``x2``.
    """
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
    lc = list(letters[na : na + nc])
    for i, j in zip(ax_a, ax_c):
        lc[j] = la[i]
    out = [la[i] for i in range(na) if i not in ax_a] + [lc[j] for j in range(nc) if j not in ax_c]
    return b.einsum(f"{''.join(la)},{''.join(lc)}->{''.join(out)}", a, c)


@op
def dot(x1: Any, x2: Any) -> Any:
    """Dot product of two tensors, with NumPy's ``dot`` semantics.

    If either input is a scalar this is an elementwise product; if ``x2`` has rank 1 or 2 it is
    :func:`matmul`; otherwise it sums over the last axis of ``x1`` and the second-to-last axis of
    ``x2``. The result dtype is the inputs' common dtype (unlike ``matmul``, int8 stays int8).

    Args:
        x1: First tensor (any rank, or a scalar).
        x2: Second tensor (any rank, or a scalar).

    Returns:
        The dot product. For N-d ``x1`` and M-d ``x2`` (M >= 2) its shape is
        ``x1.shape[:-1] + x2.shape[:-2] + x2.shape[-1:]``.

    Raises:
        ValueError: If ``x2`` has rank 1 or 2 and the contracted dimensions differ.
    """
    b = current()
    a, c = promote(x1, x2)
    na, nc = len(b.shape(a)), len(b.shape(c))
    if na == 0 or nc == 0:
        return b.multiply(a, c)
    if nc <= 2:
        out = matmul(a, c)
        # Keras' dot is result_type(x1, x2) (int8 stays int8), where matmul widens int8 to int32.
        return b.cast(out, b.dtype(a)) if b.dtype(out) != b.dtype(a) else out
    return tensordot(a, c, axes=([na - 1], [nc - 2]))


@op
def outer(x1: Any, x2: Any) -> Any:
    """Outer product of two tensors, each flattened to a vector first.

    Args:
        x1: First tensor, of any shape (flattened to ``n`` elements).
        x2: Second tensor, of any shape (flattened to ``m`` elements).

    Returns:
        A tensor of shape ``(n, m)`` whose element ``[i, j]`` is ``x1.flat[i] * x2.flat[j]``, in the
        inputs' common dtype.

    Example:
        >>> out = kshim.ops.outer(kshim.ops.array([1, 2]), kshim.ops.array([1, 10, 100]))
        >>> kshim.ops.convert_to_numpy(out)
        array([[  1,  10, 100],
               [  2,  20, 200]], dtype=int32)
    """
    b = current()
    a, c = promote(x1, x2)
    return b.multiply(b.reshape(a, (int(np.prod(b.shape(a))), 1)), b.reshape(c, (1, int(np.prod(b.shape(c))))))


@op
def inner(x1: Any, x2: Any) -> Any:
    """Inner product of two tensors: the sum of products over the last axis of each.

    If either input is a scalar, this is an elementwise product instead.

    Args:
        x1: First tensor, of shape ``(..., n)`` (or a scalar).
        x2: Second tensor, of shape ``(..., n)`` (or a scalar).

    Returns:
        A tensor of shape ``x1.shape[:-1] + x2.shape[:-1]``, in the inputs' common dtype.
    """
    b = current()
    a, c = promote(x1, x2)
    if not b.shape(a) or not b.shape(c):
        return b.multiply(a, c)
    return tensordot(a, c, axes=([-1], [-1]))


@op
def vdot(x1: Any, x2: Any) -> Any:
    """Dot product of two tensors flattened to vectors: ``sum(x1.flat * x2.flat)``.

    No complex conjugation is done.

    Args:
        x1: First tensor, of any shape.
        x2: Second tensor, with the same number of elements as ``x1``.

    Returns:
        A scalar tensor in the inputs' common dtype.
    """
    b = current()
    a, c = promote(x1, x2)
    return b.sum(
        b.multiply(b.reshape(a, (int(np.prod(b.shape(a))),)), b.reshape(c, (int(np.prod(b.shape(c))),))), (0,), False
    )


@op
def cross(x1: Any, x2: Any, axisa: int = -1, axisb: int = -1, axisc: int = -1, axis: Any = None) -> Any:
    """Cross product of two tensors of 2- or 3-vectors (``numpy.cross`` semantics, as Keras 3).

    The vectors of ``x1`` lie along ``axisa`` and those of ``x2`` along ``axisb``; the other axes
    broadcast. A 2-vector is read as a 3-vector with a zero third component, except that when both
    inputs hold 2-vectors the result is only the third component (one value per pair, with no vector
    axis). The result's vectors lie along ``axisc``.

    Args:
        x1: First tensor; its ``axisa`` dimension must be 2 or 3.
        x2: Second tensor; its ``axisb`` dimension must be 2 or 3.
        axisa: Axis of ``x1`` holding the vectors (default last).
        axisb: Axis of ``x2`` holding the vectors (default last).
        axisc: Axis of the result holding the vectors (default last); ignored when both inputs hold
            2-vectors.
        axis: If given, overrides ``axisa``, ``axisb`` and ``axisc`` alike.

    Returns:
        A tensor in the inputs' common dtype: the broadcast other dimensions, with a vector axis of
        size 3 at ``axisc`` unless both inputs hold 2-vectors.

    Raises:
        ValueError: If an axis is out of range or a vector dimension is not 2 or 3.

    Example:
        >>> x = kshim.ops.convert_to_tensor([[1.0, 0.0, 0.0]])
        >>> y = kshim.ops.convert_to_tensor([[0.0, 1.0, 0.0]])
        >>> kshim.ops.convert_to_numpy(kshim.ops.cross(x, y))
        array([[0., 0., 1.]], dtype=float32)
    """
    b = current()
    a, c = promote(x1, x2)
    if axis is not None:
        axisa = axisb = axisc = axis
    comps = []
    for t, ax, name in ((a, axisa, "axisa"), (c, axisb, "axisb")):
        shp = tuple(b.shape(t))
        if not -len(shp) <= int(ax) < len(shp):
            raise ValueError(f"cross: {name}={ax} is out of bounds for an input of shape {shp}.")
        ax = int(ax) % len(shp)
        if shp[ax] not in (2, 3):
            raise ValueError(
                f"cross: incompatible dimensions for cross product (dimension must be 2 or 3); "
                f"got shapes {tuple(b.shape(a))} and {tuple(b.shape(c))} with vectors on "
                f"axisa={axisa}, axisb={axisb}."
            )
        comps.append([b.getitem(t, (_py_slice(None),) * ax + (i,)) for i in range(shp[ax])])
    ca, cb = comps
    mul = b.multiply
    z = b.subtract(mul(ca[0], cb[1]), mul(ca[1], cb[0]))
    if len(ca) == 2 and len(cb) == 2:
        return z
    if len(ca) == 3 and len(cb) == 3:
        xx = b.subtract(mul(ca[1], cb[2]), mul(ca[2], cb[1]))
        yy = b.subtract(mul(ca[2], cb[0]), mul(ca[0], cb[2]))
    elif len(ca) == 2:  # a2 = 0
        xx = mul(ca[1], cb[2])
        yy = b.negative(mul(ca[0], cb[2]))
    else:  # b2 = 0
        xx = b.negative(mul(ca[2], cb[1]))
        yy = mul(ca[2], cb[0])
    shp = tuple(b.shape(z))
    nd = len(shp) + 1
    if not -nd <= int(axisc) < nd:
        raise ValueError(f"cross: axisc={axisc} is out of bounds for a result of rank {nd}.")
    axc = int(axisc) % nd
    parts = [b.reshape(p, shp[:axc] + (1,) + shp[axc:]) for p in (xx, yy, z)]
    return b.concatenate(parts, axc)


_INF = float("inf")


def _norm_axes(axis: Any, nd: int, ord: Any) -> tuple:  # noqa: A002
    """``axis`` as a tuple of non-negative axes *in the given order* (it matters for matrix norms)."""
    if axis is None:
        if ord is not None and nd not in (1, 2):
            raise ValueError(
                f"norm: with ord={ord!r} and axis=None the input must be a vector or a "
                f"matrix; received rank {nd}. Pass `axis` (one axis for vector norms, "
                "two for matrix norms)."
            )
        return tuple(range(nd))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for a in axes:
        a = int(a)
        if not -nd <= a < nd:
            raise ValueError(f"norm: axis {a} is out of bounds for a tensor of rank {nd}.")
        out.append(a % nd)
    if len(set(out)) != len(out):
        raise ValueError(f"norm: duplicate axes given: axis={axis!r}.")
    if len(out) not in (1, 2):
        raise ValueError(f"norm: `axis` must name one axis (vector norm) or two (matrix norm); received axis={axis!r}.")
    return tuple(out)


def _vector_norm(b: Any, x: Any, ord: Any, ax: tuple, keepdims: bool) -> Any:  # noqa: A002
    if isinstance(ord, str):
        raise ValueError(
            f"Invalid `ord` argument for vector norm: {ord!r} (the string orders "
            "'fro' and 'nuc' are matrix norms). Use None, inf, -inf, 0 or a number."
        )
    if ord is None or ord == 2:
        return b.sqrt(b.sum(b.square(x), ax, keepdims))
    if ord == _INF:
        return b.max(b.abs(x), ax, keepdims)
    if ord == -_INF:
        return b.min(b.abs(x), ax, keepdims)
    if ord == 0:
        return b.sum(b.cast(b.not_equal(x, b.zeros((), b.dtype(x))), b.dtype(x)), ax, keepdims)
    if ord == 1:
        return b.sum(b.abs(x), ax, keepdims)
    p = b.full((), float(ord), b.dtype(x))
    return b.power(b.sum(b.power(b.abs(x), p), ax, keepdims), b.reciprocal(p))


def _singular_values(b: Any, x: Any, row: int, col: int) -> Any:
    """Singular values of the matrices on axes (row, col), batch axes in order first."""
    nd = len(b.shape(x))
    rest = tuple(i for i in range(nd) if i not in (row, col))
    y = b.transpose(x, rest + (row, col))
    d = b.dtype(y)
    if d not in ("float32", "float64"):
        return b.cast(b.svd(b.cast(y, "float32"), False, False), d)
    return b.svd(y, False, False)


def _matrix_norm(b: Any, x: Any, ord: Any, row: int, col: int, keepdims: bool) -> Any:  # noqa: A002
    both = tuple(sorted((row, col)))
    shape = tuple(b.shape(x))
    if ord is None or ord == "fro":
        return b.sqrt(b.sum(b.square(x), both, keepdims))
    if ord in ("nuc", 2, -2):
        s = _singular_values(b, x, row, col)
        last = (len(b.shape(s)) - 1,)
        out = b.sum(s, last, False) if ord == "nuc" else (b.max if ord == 2 else b.min)(s, last, False)
        if keepdims:
            out = b.reshape(out, tuple(1 if i in both else n for i, n in enumerate(shape)))
        return out
    if ord in (1, -1, _INF, -_INF):
        inner, outer = (row, col) if ord in (1, -1) else (col, row)  # 1: max column sum; inf: max row sum
        red = b.max if ord in (1, _INF) else b.min
        out = red(b.sum(b.abs(x), (inner,), True), (outer,), True)
        if not keepdims:
            out = b.reshape(out, tuple(n for i, n in enumerate(shape) if i not in both))
        return out
    raise ValueError(
        f"Invalid `ord` argument for matrix norm: {ord!r}. Use None, 'fro', 'nuc', inf, -inf, 1, -1, 2 or -2."
    )


@op
def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Any:  # noqa: A002
    """Matrix or vector norm (``np.linalg.norm`` semantics, as Keras).

    Args:
        x: Input tensor. Integer and bool inputs give ``floatx()``.
        ord: Order of the norm. Vectors: None or 2 (Euclidean), inf (max |x|), -inf (min |x|),
            0 (number of nonzeros), any other number p (``sum(|x|**p) ** (1/p)``). Matrices: None
            or ``"fro"`` (Frobenius), ``"nuc"`` (sum of singular values), inf / -inf (max / min
            row sum of |x|), 1 / -1 (max / min column sum), 2 / -2 (largest / smallest singular
            value).
        axis: None, one axis (vector norms) or two axes ``(row, col)`` (matrix norms). None means
            all axes: with ``ord=None`` the 2-norm of the flattened tensor, otherwise the input
            must have rank 1 or 2.
        keepdims: Keep the reduced axes with size 1.

    Returns:
        The norm(s), with the reduced axes removed (or kept with size 1).

    Raises:
        ValueError: For an invalid ``ord`` (a string for a vector norm, 0 or another number for a
            matrix norm), or invalid, duplicate or too many axes.
    """
    if isinstance(ord, str) and ord not in ("fro", "nuc"):
        raise ValueError(
            f"Invalid `ord` argument. Expected one of {{'fro', 'nuc'}} when using a string. Received: ord={ord!r}"
        )
    b = current()
    x = tensor(x)
    if not _dt.is_float(b.dtype(x)):
        x = b.cast(x, _dt.config.floatx())
    nd = len(b.shape(x))
    if axis is None and ord is None:
        return b.sqrt(b.sum(b.square(x), None, keepdims))
    axes = _norm_axes(axis, nd, ord)
    if len(axes) == 1:
        return _vector_norm(b, x, ord, axes, keepdims)
    return _matrix_norm(b, x, ord, axes[0], axes[1], keepdims)


# Built at import time; mypy cannot evaluate it, and without it sees every public name (the same ops).
if not TYPE_CHECKING:
    __all__ = [
        _n
        for _n, _v in list(globals().items())
        if not _n.startswith("_") and callable(_v) and getattr(_v, "__module__", None) == __name__
    ]
