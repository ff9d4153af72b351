"""Moments, batch normalization, normalize and dot-product attention (``keras.ops.nn``)."""

from __future__ import annotations

import math as _math
from typing import TYPE_CHECKING, Any

import ml_dtypes

from .. import _config as config
from ..backend import current
from ._dispatch import axis_tuple, norm_axis, op, promote, tensor
from .nn import _c, _f, softmax


@op
def moments(x: Any, axes: Any, keepdims: bool = False, synchronized: bool = False) -> tuple:
    """Mean and population variance of ``x`` over ``axes``.

    Integer inputs are cast to ``floatx()``; float16 and bfloat16 inputs are reduced in float32 and
    the results cast back. ``synchronized`` is accepted and ignored (kshim computes on one device).

    Args:
        x: Input tensor.
        axes: The axis (int) or axes (sequence of ints) to reduce over; negative axes allowed.
        keepdims: If True, the reduced axes are kept with size 1; if False (the default) they are
            removed.
        synchronized: Ignored.

    Returns:
        A tuple ``(mean, variance)`` of tensors in ``x``'s float dtype, with the reduced axes removed
        (or kept with size 1).

    Raises:
        ValueError: If an axis is out of bounds for ``x``'s rank.

    Example:
        >>> mean, var = kshim.ops.moments(kshim.ops.array([1.0, 2.0, 3.0, 4.0]), axes=0)
        >>> float(kshim.ops.convert_to_numpy(mean)), float(kshim.ops.convert_to_numpy(var))
        (2.5, 1.25)
    """
    b = current()
    x = _f(x)
    ax = axis_tuple(axes, len(b.shape(x)))
    count = 1
    for a in ax:
        count *= b.shape(x)[a]
    low = b.dtype(x) in ("float16", "bfloat16")
    xc = b.cast(x, "float32") if low else x
    n = _c(xc, float(count))
    mean = b.divide(b.sum(xc, ax, True), n)
    var = b.divide(b.sum(b.square(b.subtract(xc, b.stop_gradient(mean))), ax, True), n)
    # NOTE: var uses the stop-gradient'ed mean only in the forward value; its gradient through
    # the mean is zero anyway (sum of centered values is 0), so this is exact.
    if not keepdims:
        shp = tuple(s for i, s in enumerate(b.shape(mean)) if i not in ax)
        mean, var = b.reshape(mean, shp), b.reshape(var, shp)
    if low:  # as Keras: clipped to the finite range of the low dtype first (no overflow to inf)
        hi = float(ml_dtypes.finfo(b.dtype(x)).max)
        mean = b.minimum(b.maximum(mean, _c(mean, -hi)), _c(mean, hi))
        var = b.minimum(var, _c(var, hi))
        mean, var = b.cast(mean, b.dtype(x)), b.cast(var, b.dtype(x))
    return mean, var


@op
def batch_normalization(
    x: Any, mean: Any, variance: Any, axis: int, offset: Any = None, scale: Any = None, epsilon: float = 1e-3
) -> Any:
    """Normalizes ``x`` with given statistics: ``(x - mean) / sqrt(variance + epsilon) * scale + offset``.

    Args:
        x: Input tensor; integer inputs are cast to ``floatx()``.
        mean: The mean: a 1-d tensor of ``x.shape[axis]`` values (applied along ``axis``) or a tensor
            that broadcasts against ``x``.
        variance: The variance, shaped like ``mean``.
        axis: The feature axis of ``x`` that 1-d statistics run along.
        offset: The shift (beta), shaped like ``mean``; None (the default) adds nothing.
        scale: The scale (gamma), shaped like ``mean``; None (the default) scales by 1.
        epsilon: Small float added to the variance for numerical stability (default 1e-3).

    Returns:
        The normalized tensor, of ``x``'s shape and float dtype.

    Raises:
        ValueError: If ``axis`` is out of bounds for ``x``'s rank.
    """
    b = current()
    x = _f(x)
    d = b.dtype(x)
    nd = len(b.shape(x))
    ax = norm_axis(axis, nd)

    def bshape(v):
        v = tensor(v, d)
        if len(b.shape(v)) == 1:
            shp = [1] * nd
            shp[ax] = b.shape(v)[0]
            v = b.reshape(v, tuple(shp))
        return v

    inv = b.reciprocal(b.sqrt(b.add(bshape(variance), _c(x, epsilon))))
    if scale is not None:
        inv = b.multiply(inv, bshape(scale))
    res = b.negative(b.multiply(bshape(mean), inv))
    if offset is not None:
        res = b.add(res, bshape(offset))
    return b.add(b.multiply(x, inv), res)


@op
def normalize(x: Any, axis: int = -1, order: int = 2, epsilon: float | None = None) -> Any:
    """Scales ``x`` to unit norm along ``axis``: ``x / max(norm(x), epsilon)``.

    Args:
        x: Input tensor; integer inputs are cast to ``floatx()``.
        axis: The axis along which the norm is taken (default -1), a tuple of axes, or None (all
            axes).
        order: The order ``p`` of the norm, ``sum(|x|**p) ** (1/p)`` (default 2: Euclidean).
        epsilon: The lower bound of the norm, which avoids dividing by zero; None (the default)
            means ``kshim.config.epsilon()``.

    Returns:
        A tensor of ``x``'s shape and float dtype (a scalar ``x`` gives shape ``(1,)``, as Keras).

    Raises:
        ValueError: If ``axis`` is out of bounds for ``x``'s rank.

    Example:
        >>> out = kshim.ops.normalize(kshim.ops.array([[3.0, 4.0]]))
        >>> kshim.ops.convert_to_numpy(out)
        array([[0.6, 0.8]], dtype=float32)
    """
    b = current()
    x = _f(x)
    if not b.shape(x):  # as Keras: a scalar is normalized as a vector of one element
        x = b.reshape(x, (1,))
    ndim = len(b.shape(x))
    if axis is None:
        ax = tuple(range(ndim))
    elif isinstance(axis, (tuple, list)):
        ax = axis_tuple(axis, ndim)
    else:
        ax = (norm_axis(axis, ndim),)
    eps = config.epsilon() if epsilon is None else epsilon
    if order == 2:
        sq = b.sum(b.square(x), ax, True)
        return b.multiply(x, b.reciprocal(b.sqrt(b.maximum(sq, _c(x, eps * eps)))))
    n = b.power(b.sum(b.power(b.abs(x), _c(x, float(order))), ax, True), _c(x, 1.0 / order))
    return b.divide(x, b.maximum(n, _c(x, eps)))


@op
def dot_product_attention(
    query: Any,
    key: Any,
    value: Any,
    bias: Any = None,
    mask: Any = None,
    scale: float | None = None,
    is_causal: bool = False,
    flash_attention: Any = None,
    attn_logits_soft_cap: float | None = None,
) -> Any:
    """Scaled dot-product attention: ``softmax(query @ key^T * scale + bias) @ value`` per head.

    Shapes use B (batch), T (query length), S (key/value length), N (heads), H (head size). Unlike
    Keras, key and value must have as many heads as query (no grouped-query attention), and
    ``flash_attention`` is ignored. Masked logits are set to -1e9 (-6e4 for float16) before the
    softmax; a query row whose keys are all masked attends uniformly to every key.

    Fused kernels: without ``attn_logits_soft_cap`` and with a Python-number ``scale``, the backend's
    optional ``dot_product_attention`` hook runs (torch: ``F.scaled_dot_product_attention`` for
    float32/float64; JAX: ``jax.nn.dot_product_attention`` for float32 with equal query/value head
    sizes; NumPy: none). It equals this composite up to float rounding, not bitwise, and its gradients
    are the framework's; every other case runs the composite.

    Args:
        query: Tensor of shape ``(B, T, N, H)``; integer inputs are cast to ``floatx()``.
        key: Tensor of shape ``(B, S, N, H)``.
        value: Tensor of shape ``(B, S, N, H)``.
        bias: Optional tensor added to the logits, broadcastable to ``(B, N, T, S)``.
        mask: Optional boolean tensor broadcastable to ``(B, N, T, S)``; True marks the positions that
            take part in the attention.
        scale: The factor applied to the logits; None (the default) means ``1 / sqrt(H)``.
        is_causal: If True, query position ``t`` only attends to key positions ``s <= t``.
        flash_attention: Ignored.
        attn_logits_soft_cap: None (the default), or a float ``c``: the logits are soft-capped to
            ``c * tanh(logits / c)`` (after the bias) before masking and the softmax.

    Returns:
        A tensor of shape ``(B, T, N, H)``, in the query's float dtype.

    Raises:
        ValueError: If ``query`` is not of rank 4.
    """
    b = current()
    q, k, v = promote(_f(query), key, value)
    if len(b.shape(q)) != 4:
        raise ValueError(f"dot_product_attention expects (batch, seq, heads, dim) inputs, got {b.shape(q)}.")
    h = b.shape(q)[-1]
    sc = 1.0 / _math.sqrt(h) if scale is None else scale
    fused = getattr(b, "dot_product_attention", None)
    if fused is not None and attn_logits_soft_cap is None and isinstance(sc, (int, float)):
        out = _fused_attention(b, fused, q, k, v, bias, mask, float(sc), bool(is_causal))
        if out is not None:
            return out
    logits = b.multiply(b.einsum("btnh,bsnh->bnts", q, k), _c(q, sc))
    if bias is not None:
        logits = b.add(logits, tensor(bias, b.dtype(q)))
    if attn_logits_soft_cap is not None:
        cap = _c(q, attn_logits_soft_cap)
        logits = b.multiply(b.tanh(b.divide(logits, cap)), cap)
    big_neg = _c(q, -1e9 if b.dtype(q) != "float16" else -6e4)
    if mask is not None:
        logits = b.where(tensor(mask, "bool"), logits, big_neg)
    if is_causal:
        t, s = b.shape(q)[1], b.shape(k)[1]
        r = b.reshape(b.arange(0, t, 1, "int32"), (t, 1))
        c = b.reshape(b.arange(0, s, 1, "int32"), (1, s))
        logits = b.where(b.greater_equal(r, c), logits, big_neg)
    w = softmax(logits, axis=-1)
    return b.einsum("bnts,bsnh->btnh", w, v)


def _fused_attention(
    b: Any, fused: Any, q: Any, k: Any, v: Any, bias: Any, mask: Any, scale: float, is_causal: bool
) -> Any:
    """The backend's fused attention on rank-4 ``bias``/``mask`` (leading axes added, as broadcasting
    would), or None where it declines or a mask/bias has rank above 4."""
    extra = []
    for t, dt in ((bias, b.dtype(q)), (mask, "bool")):
        if t is not None:
            t = tensor(t, dt)
            r = len(b.shape(t))
            if r > 4:
                return None
            if r < 4:
                t = b.reshape(t, (1,) * (4 - r) + tuple(b.shape(t)))
        extra.append(t)
    return fused(q, k, v, extra[0], extra[1], scale, is_causal)


# Built at import time; mypy cannot evaluate it, and without it sees every public name (the same ops).
if not TYPE_CHECKING:
    __all__ = [
        _n
        for _n, _v in list(globals().items())
        if not _n.startswith("_") and callable(_v) and getattr(_v, "__module__", None) == __name__
    ]
