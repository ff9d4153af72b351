"""Splits, stacks, flips and structured matrices: ``array_split``, ``hsplit``, ``vsplit``,
``dsplit``, ``dstack``, ``fliplr``, ``flipud``, ``rot90``, ``diagflat``, ``vander``, ``kron``,
``empty_like`` (``keras.ops`` NumPy namespace). All are differentiable views/products.
"""

from __future__ import annotations

import numbers
from typing import TYPE_CHECKING, Any, Sequence

from ..backend import current
from ._dispatch import norm_axis, op, promote, tensor
from .numpy_shape import diag as _diag, flip as _flip, split as _split, zeros_like as _zeros_like


@op
def array_split(x: Any, indices_or_sections: int, axis: int = 0) -> list:
    """Split ``x`` into ``indices_or_sections`` nearly equal parts along ``axis``.

    The first ``n % sections`` parts get one extra element (NumPy's rule).

    Args:
        x: Input tensor.
        indices_or_sections: Number of parts (a positive int, as Keras requires).
        axis: Axis to split along (an int).

    Returns:
        A list of tensors.

    Raises:
        TypeError: if ``indices_or_sections`` or ``axis`` is not an int.
        ValueError: if ``indices_or_sections`` is not positive.
    """
    if not isinstance(indices_or_sections, numbers.Integral) or isinstance(indices_or_sections, bool):
        raise TypeError(
            f"array_split: indices_or_sections must be an int; got {indices_or_sections!r}. "
            f"For split points use kshim.ops.split(x, indices, axis)."
        )
    if indices_or_sections <= 0:
        raise ValueError(f"array_split: indices_or_sections must be a positive integer; got {indices_or_sections}.")
    if not isinstance(axis, numbers.Integral):
        raise TypeError(f"array_split: axis must be an int; got {axis!r}.")
    b = current()
    x = tensor(x)
    ax = norm_axis(axis, len(b.shape(x)))
    n, k = b.shape(x)[ax], int(indices_or_sections)
    size, extra = divmod(n, k)
    bounds = [0]
    for i in range(k):
        bounds.append(bounds[-1] + size + (1 if i < extra else 0))
    lead = (slice(None),) * ax
    return [b.getitem(x, lead + (slice(lo, hi),)) for lo, hi in zip(bounds[:-1], bounds[1:])]


def _split_at(name: str, x: Any, indices_or_sections: Any, axis: int, min_ndim: int) -> list:
    b = current()
    x = tensor(x)
    nd = len(b.shape(x))
    if nd < min_ndim:
        raise ValueError(
            f"{name} only works on tensors of {min_ndim} or more dimensions; got shape {tuple(b.shape(x))}."
        )
    if not isinstance(indices_or_sections, numbers.Integral):
        indices_or_sections = [int(i) for i in indices_or_sections]
    return _split(x, indices_or_sections, axis=axis)


@op
def hsplit(x: Any, indices_or_sections: Any) -> list:
    """Split horizontally: along axis 1 (axis 0 for 1-D tensors).

    Args:
        x: Input tensor of rank >= 1.
        indices_or_sections: Number of equal parts, or a list of split indices.

    Returns:
        A list of tensors.

    Raises:
        ValueError: for a 0-d tensor, or sections that do not divide the axis equally.
    """
    axis = 0 if len(current().shape(tensor(x))) == 1 else 1
    return _split_at("hsplit", x, indices_or_sections, axis, 1)


@op
def vsplit(x: Any, indices_or_sections: Any) -> list:
    """Split vertically: along axis 0 of a tensor of rank >= 2 (NumPy's rule).

    Args:
        x: Input tensor of rank >= 2.
        indices_or_sections: Number of equal parts, or a list of split indices.

    Returns:
        A list of tensors.

    Raises:
        ValueError: for a tensor of rank < 2, or sections that do not divide the axis equally.
    """
    return _split_at("vsplit", x, indices_or_sections, 0, 2)


@op
def dsplit(x: Any, indices_or_sections: Any) -> list:
    """Split along the depth axis (axis 2) of a tensor of rank >= 3.

    Args:
        x: Input tensor of rank >= 3.
        indices_or_sections: Number of equal parts, or a list of split indices.

    Returns:
        A list of tensors.

    Raises:
        ValueError: for a tensor of rank < 3, or sections that do not divide the axis equally.
    """
    return _split_at("dsplit", x, indices_or_sections, 2, 3)


@op
def dstack(xs: Sequence[Any]) -> Any:
    """Stack tensors along a third axis (1-D ``(N,)`` becomes ``(1, N, 1)``, 2-D ``(M, N)`` ``(M, N, 1)``).

    Args:
        xs: Sequence of tensors.

    Returns:
        The concatenation along axis 2, in the promoted dtype.
    """
    b = current()
    ts = []
    for t in promote(*xs):
        s = tuple(b.shape(t))
        s = (1, 1, 1) if len(s) == 0 else (1, s[0], 1) if len(s) == 1 else s + (1,) if len(s) == 2 else s
        ts.append(b.reshape(t, s))
    return b.concatenate(ts, 2)


@op
def fliplr(x: Any) -> Any:
    """Reverse the order of columns (axis 1).

    Args:
        x: Tensor of rank >= 2.

    Returns:
        ``x`` flipped along axis 1.

    Raises:
        ValueError: for a tensor of rank < 2.
    """
    b = current()
    x = tensor(x)
    if len(b.shape(x)) < 2:
        raise ValueError(f"fliplr: input must be at least 2-D; got shape {tuple(b.shape(x))}.")
    return _flip(x, axis=1)


@op
def flipud(x: Any) -> Any:
    """Reverse the order of rows (axis 0).

    Args:
        x: Tensor of rank >= 1.

    Returns:
        ``x`` flipped along axis 0.

    Raises:
        ValueError: for a 0-d tensor.
    """
    b = current()
    x = tensor(x)
    if len(b.shape(x)) < 1:
        raise ValueError("flipud: input must be at least 1-D; got a 0-d tensor.")
    return _flip(x, axis=0)


@op
def rot90(array: Any, k: int = 1, axes: Sequence[int] = (0, 1)) -> Any:
    """Rotate by 90 degrees ``k`` times in the plane of ``axes`` (from the first axis toward the second).

    Args:
        array: Tensor of rank >= 2.
        k: Number of quarter turns (negative turns the other way).
        axes: Two distinct axes spanning the plane.

    Returns:
        The rotated tensor.

    Raises:
        ValueError: for a tensor of rank < 2 or invalid ``axes``.
    """
    b = current()
    x = tensor(array)
    nd = len(b.shape(x))
    if nd < 2:
        raise ValueError(f"rot90: input must have at least 2 dimensions; got ndim={nd}.")
    axes = tuple(axes)
    if len(axes) != 2 or norm_axis(axes[0], nd) == norm_axis(axes[1], nd):
        raise ValueError(f"rot90: axes must be two different dimensions; got axes={axes}.")
    a0, a1 = norm_axis(axes[0], nd), norm_axis(axes[1], nd)
    k = int(k) % 4
    if k == 0:
        return x
    if k == 2:
        return _flip(_flip(x, axis=a0), axis=a1)
    perm = list(range(nd))
    perm[a0], perm[a1] = perm[a1], perm[a0]
    if k == 1:
        return b.transpose(_flip(x, axis=a1), tuple(perm))
    return _flip(b.transpose(x, tuple(perm)), axis=a1)


@op
def diagflat(x: Any, k: int = 0) -> Any:
    """2-D tensor with the flattened ``x`` on its ``k``-th diagonal.

    Args:
        x: Input tensor (flattened).
        k: Diagonal offset (positive: above the main diagonal).

    Returns:
        A square tensor of side ``size(x) + |k|``.
    """
    b = current()
    x = tensor(x)
    n = 1
    for s in b.shape(x):
        n *= s
    return _diag(b.reshape(x, (n,)), k=int(k))


@op
def vander(x: Any, N: int | None = None, increasing: bool = False) -> Any:  # noqa: N803
    """Vandermonde matrix: columns are powers of ``x`` (``x**(N-1), ..., x**0`` by default).

    Powers are built by repeated multiplication (as NumPy does), so integer inputs stay exact.

    Args:
        x: 1-D tensor.
        N: Number of columns (default ``len(x)``).
        increasing: Columns in increasing powers instead.

    Returns:
        ``(len(x), N)`` tensor in ``x``'s dtype.

    Raises:
        ValueError: if ``x`` is not 1-D or ``N`` is negative.
        TypeError: if ``N`` is not an int or ``increasing`` not a bool, or ``x`` is bool.
    """
    b = current()
    x = tensor(x)
    if len(b.shape(x)) != 1:
        raise ValueError(f"vander: input tensor must be 1-dimensional; got shape {tuple(b.shape(x))}.")
    if N is not None and (not isinstance(N, numbers.Integral) or isinstance(N, bool)):
        raise TypeError(f"vander: N must be an int; got N={N!r}.")
    if N is not None and N < 0:
        raise ValueError(f"vander: N must be non-negative; got N={N}.")
    if not isinstance(increasing, bool):
        raise TypeError(f"vander: increasing must be a bool; got increasing={increasing!r}.")
    if b.dtype(x) == "bool":
        raise TypeError("vander: got a bool tensor; powers of booleans are undefined. Cast it to a numeric dtype.")
    n = b.shape(x)[0]
    cols = n if N is None else int(N)
    d = b.dtype(x)
    if cols == 0:
        return b.zeros((n, 0), d)
    parts = [b.ones((n, 1), d)] + ([b.broadcast_to(b.reshape(x, (n, 1)), (n, cols - 1))] if cols > 1 else [])
    pw = b.cumprod(b.concatenate(parts, 1), 1)
    return pw if increasing else b.getitem(pw, (slice(None), slice(None, None, -1)))


@op
def kron(x1: Any, x2: Any) -> Any:
    """Kronecker product of two tensors (the lower-rank one gets leading size-1 axes).

    Args:
        x1: First tensor.
        x2: Second tensor.

    Returns:
        Tensor of shape ``(a0*b0, a1*b1, ...)`` in the promoted dtype.
    """
    b = current()
    a, c = promote(x1, x2)
    sa, sc = tuple(b.shape(a)), tuple(b.shape(c))
    nd = max(len(sa), len(sc))
    sa, sc = (1,) * (nd - len(sa)) + sa, (1,) * (nd - len(sc)) + sc
    a = b.reshape(a, tuple(v for s in sa for v in (s, 1)))
    c = b.reshape(c, tuple(v for s in sc for v in (1, s)))
    return b.reshape(b.multiply(a, c), tuple(p * q for p, q in zip(sa, sc)))


@op
def empty_like(x: Any, dtype: Any = None) -> Any:
    """A tensor shaped like ``x``; kshim fills it with zeros (Keras leaves it uninitialized).

    Args:
        x: Tensor whose shape (and, by default, dtype) to copy.
        dtype: Optional dtype of the result.

    Returns:
        A zero tensor shaped like ``x``.
    """
    return _zeros_like(x, dtype=dtype)


# Built at import time; mypy cannot evaluate it, and without it sees every public name (the same ops).
if not TYPE_CHECKING:
    __all__ = [
        _n
        for _n, _v in list(globals().items())
        if not _n.startswith("_") and callable(_v) and getattr(_v, "__module__", None) == __name__
    ]
