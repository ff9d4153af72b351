"""``keras.ops`` math namespace: top_k, in_top_k, erf, erfinv, segment reductions, logsumexp."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import dtypes as _dt
from ..backend import current
from ._dispatch import op, tensor, unary_float
from .nn import logsumexp  # noqa: F401  (re-exported: keras.ops.logsumexp)


@op
def top_k(x: Any, k: int, sorted: bool = True) -> tuple:  # noqa: A002
    """Largest ``k`` entries along the last axis: ``(values, int32 indices)``.

    The entries always come sorted in descending order, ties with the lower index first; ``sorted`` is
    accepted for Keras compatibility and ignored.

    Args:
        x: Tensor or array-like of shape ``(..., n)``.
        k: Number of entries to keep, an int in ``[0, n]``.
        sorted: Ignored (the result is always sorted).

    Returns:
        A tuple ``(values, indices)``: ``values`` of shape ``(..., k)`` and the dtype of ``x``, and
        ``indices`` of the same shape, int32, giving their positions along the last axis.

    Raises:
        ValueError: If ``k`` is negative or larger than the last dimension.

    Example:
        >>> values, indices = kshim.ops.top_k([1.0, 3.0, 2.0, 3.0], 2)
        >>> kshim.ops.convert_to_numpy(indices)
        array([1, 3], dtype=int32)
    """
    b = current()
    x = tensor(x)
    n = b.shape(x)[-1]
    if not 0 <= k <= n:
        raise ValueError(f"top_k: k={k} must be in [0, {n}] for input shape {b.shape(x)}.")
    v, i = b.top_k(x, int(k))
    return v, b.cast(i, "int32")


@op
def in_top_k(targets: Any, predictions: Any, k: int) -> Any:
    """Whether each target's score is among the top ``k`` predictions of its row.

    A target counts as in the top ``k`` when fewer than ``k`` predictions of its row are strictly greater
    than its score, so ties with the ``k``-th score count as hits. A ``nan`` target score counts as
    ``-inf`` (as in Keras 3), so it is a hit only when fewer than ``k`` other scores are above ``-inf``;
    ``nan`` scores elsewhere in the row are never counted as greater.

    Args:
        targets: Integer tensor of shape ``(batch,)``, the class index of each row (non-integer values are
            cast to int64).
        predictions: Tensor of shape ``(batch, num_classes)`` of scores.
        k: Number of top predictions to look at, an int.

    Returns:
        A bool tensor of shape ``(batch,)``.

    Example:
        >>> hits = kshim.ops.in_top_k([1, 0], [[0.1, 0.5, 0.4], [0.1, 0.5, 0.4]], 2)
        >>> kshim.ops.convert_to_numpy(hits)
        array([ True, False])
    """
    b = current()
    p = tensor(predictions)
    t = tensor(targets)
    if not _dt.is_int(b.dtype(t)):
        t = b.cast(t, "int64")
    score = b.reshape(b.take_along_axis(p, b.reshape(t, (-1, 1)), 1), (-1, 1))
    if _dt.is_float(b.dtype(score)):  # Keras: a nan score is not a large probability
        score = b.where(b.isnan(score), b.full((), -float("inf"), b.dtype(score)), score)
    higher = b.sum(b.cast(b.greater(p, score), "int32"), (1,), False)
    return b.less(higher, b.full((), int(k), "int32"))


@op
def erf(x: Any) -> Any:
    """Elementwise error function ``erf(x) = 2 / sqrt(pi) * integral of exp(-t ** 2) from 0 to x``.

    Integer and bool inputs are computed in ``kshim.config.floatx()``.

    Args:
        x: Input tensor or array-like.

    Returns:
        A floating tensor of the shape of ``x``, with values in ``[-1, 1]``.
    """
    return unary_float("erf", x)


@op
def erfinv(x: Any) -> Any:
    """Elementwise inverse of the error function: ``erf(erfinv(x)) == x`` for ``x`` in ``(-1, 1)``.

    Integer and bool inputs are computed in ``kshim.config.floatx()``; ``-1`` and ``1`` give ``-inf`` and
    ``inf``.

    Args:
        x: Input tensor or array-like, with values in ``[-1, 1]``.

    Returns:
        A floating tensor of the shape of ``x``.
    """
    return unary_float("erfinv", x)


def _segment(x: Any, segment_ids: Any, num_segments: int | None) -> tuple:
    b = current()
    x = tensor(x)
    ids = tensor(segment_ids)
    if num_segments is None:
        num_segments = int(b.to_numpy(b.max(ids, None, False))) + 1
    return b, x, ids, int(num_segments)


@op
def segment_sum(data: Any, segment_ids: Any, num_segments: int | None = None, sorted: bool = False) -> Any:  # noqa: A002
    """Sum of ``data`` rows per segment id; rows whose id is outside ``[0, num_segments)`` (e.g. -1)
    are dropped, as in Keras on JAX.

    Segments that no row maps to are 0.

    Args:
        data: Tensor of shape ``(n, ...)``.
        segment_ids: Integer tensor of shape ``(n,)``, the segment of each row of ``data``.
        num_segments: Number of segments (the size of the result's first axis). ``None`` (the default)
            uses ``max(segment_ids) + 1``, read eagerly, so it must be given under ``jax.jit``.
        sorted: Accepted for Keras compatibility and ignored (the ids need not be sorted).

    Returns:
        A tensor of shape ``(num_segments,) + data.shape[1:]`` and the dtype of ``data``.

    Example:
        >>> out = kshim.ops.segment_sum([1.0, 2.0, 3.0, 4.0], [0, 0, 2, -1])
        >>> kshim.ops.convert_to_numpy(out)
        array([3., 0., 3.], dtype=float32)
    """
    b, x, ids, n = _segment(data, segment_ids, num_segments)
    zeros = b.zeros((n,) + tuple(b.shape(x)[1:]), b.dtype(x))
    idd = b.dtype(ids)
    valid = b.logical_and(b.greater_equal(ids, b.zeros((), idd)), b.less(ids, b.full((), n, idd)))
    safe_ids = b.where(valid, ids, b.zeros((), idd))
    vmask = b.reshape(valid, (b.shape(ids)[0],) + (1,) * (len(b.shape(x)) - 1))
    x = b.where(vmask, x, b.zeros((), b.dtype(x)))
    return b.scatter_add(zeros, b.reshape(safe_ids, (-1, 1)), x)


@op
def segment_max(data: Any, segment_ids: Any, num_segments: int | None = None, sorted: bool = False) -> Any:  # noqa: A002
    """Max of ``data`` rows per segment id: empty segments give ``-inf`` for floats (the dtype's
    minimum for integers) and ids outside ``[0, num_segments)`` are dropped, as in Keras on JAX.

    It is computed over a one-hot ``(n, num_segments)`` mask, so memory grows with both sizes.

    Args:
        data: Tensor of shape ``(n, ...)``.
        segment_ids: Integer tensor of shape ``(n,)``, the segment of each row of ``data``.
        num_segments: Number of segments (the size of the result's first axis). ``None`` (the default)
            uses ``max(segment_ids) + 1``, read eagerly, so it must be given under ``jax.jit``.
        sorted: Accepted for Keras compatibility and ignored (the ids need not be sorted).

    Returns:
        A tensor of shape ``(num_segments,) + data.shape[1:]`` and the dtype of ``data``.
    """
    import numpy as np

    b, x, ids, n = _segment(data, segment_ids, num_segments)
    onehot = b.equal(b.reshape(ids, (-1, 1)), b.reshape(b.arange(0, n, 1, b.dtype(ids)), (1, n)))
    d = b.dtype(x)
    low = float("-inf") if _dt.is_float(d) else int(np.iinfo(d).min)
    extra = len(b.shape(x)) - 1
    mask = b.reshape(onehot, tuple(b.shape(onehot)) + (1,) * extra)
    xe = b.reshape(x, (b.shape(x)[0], 1) + tuple(b.shape(x)[1:]))
    return b.max(b.where(mask, xe, b.full((), low, d)), (0,), False)


# Built at import time; mypy cannot evaluate it, and without it sees every public name (the same ops).
if not TYPE_CHECKING:
    __all__ = [
        _n
        for _n, _v in list(globals().items())
        if not _n.startswith("_") and callable(_v) and getattr(_v, "__module__", None) == __name__
    ]
