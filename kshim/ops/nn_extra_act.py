"""``layer_normalization``, ``rms_normalization``, ``psnr`` and the ``sparse_sigmoid``, ``sparsemax``,
``threshold`` activations (``keras.ops.nn``)."""

from __future__ import annotations

import math as _math
import warnings
from typing import Any

from .. import _config as config
from ..backend import current
from ._dispatch import axis_tuple, norm_axis, op, promote, tensor
from .nn import _c, _f
from .nn_norm import moments

__all__ = ["layer_normalization", "rms_normalization", "psnr", "sparse_sigmoid", "sparsemax", "threshold"]


def _compute(x: Any) -> tuple:
    """(x in its compute dtype, dtype to return): half precisions compute in float32, as Keras;
    float64 stays float64 (Keras would compute it in float32); integers give floatx."""
    b = current()
    x = _f(x)
    d = b.dtype(x)
    if d in ("float16", "bfloat16"):
        return b.cast(x, "float32"), d
    return x, d


def _norm_axes(axis: Any, nd: int) -> tuple:
    if nd == 0:
        raise ValueError("normalization needs a tensor of rank >= 1, got a 0-d tensor.")
    return axis_tuple(axis, nd)


def fused_layer_norm(x: Any, gamma: Any, beta: Any, axes: Any, epsilon: float) -> Any:
    """The backend's fused layer-norm kernel (``layer_norm`` in ``backends/_protocol.py``) when ``axes``
    are the trailing axes of ``x``, else None (the caller computes the composite).

    Keras' torch backend also takes ``F.layer_norm``, but for any run of consecutive axes, which
    normalizes the trailing ones even when ``axes`` are not them; kshim takes it only where it computes
    the same statistics.
    """
    b = current()
    if b.layer_norm is None:
        return None
    nd = len(b.shape(x))
    axes = sorted(a % nd for a in axes)
    if not axes or axes != list(range(nd - len(axes), nd)):
        return None
    shape = tuple(b.shape(x)[nd - len(axes) :])

    def param(v: Any) -> Any:
        return None if v is None else b.reshape(tensor(v, b.dtype(x)), shape)

    return b.layer_norm(x, param(gamma), param(beta), len(axes), float(epsilon))


def _bshape(v: Any, x: Any, axes: tuple) -> Any:
    """A scale/offset whose rank differs from ``x``'s, laid out along ``axes`` (Keras' broadcast)."""
    b = current()
    v = tensor(v, b.dtype(x))
    nd = len(b.shape(x))
    if len(b.shape(v)) != nd and axes != (nd - 1,):
        shp = [1] * nd
        for a in axes:
            shp[a] = b.shape(x)[a]
        v = b.reshape(v, tuple(shp))
    return v


@op
def layer_normalization(
    x: Any, gamma: Any = None, beta: Any = None, axis: Any = -1, epsilon: float | None = None, **kwargs: Any
) -> Any:
    """Layer normalization (Ba et al., 2016): ``(x - mean) / sqrt(var + epsilon) * gamma + beta``
    with the statistics over ``axis``.

    float16/bfloat16 inputs are computed in float32 and returned in their dtype (as Keras); float64
    stays float64 throughout (Keras computes it in float32); integer inputs give floatx (Keras
    would cast the result back to the integer dtype).

    Args:
        x: Input tensor.
        gamma: Optional scale, broadcast along ``axis``.
        beta: Optional offset, broadcast along ``axis``.
        axis: Axis or axes to normalize over.
        epsilon: Added to the variance (default ``kshim.config.epsilon()``).
        **kwargs: Only Keras' deprecated ``rms_scaling=True`` (scale by ``rsqrt(var + epsilon)``
            without centering), which warns as in Keras.

    Returns:
        The normalized tensor, shape of ``x``.

    Raises:
        TypeError: an unknown keyword argument.
        ValueError: ``x`` is 0-d or ``axis`` is out of range.
    """
    rms_scaling = bool(kwargs.pop("rms_scaling", False))
    if kwargs:
        raise TypeError(f"layer_normalization got unexpected keyword argument(s) {sorted(kwargs)}.")
    if rms_scaling:
        warnings.warn(
            "You passed `rms_scaling=True`, which is deprecated. This argument incorrectly scales "
            "the input by the variance, not the root mean square. To correctly use RMS "
            "Normalization, please use `kshim.ops.rms_normalization` instead.",
            stacklevel=2,
        )
    b = current()
    x, out_dtype = _compute(x)
    axes = _norm_axes(axis, len(b.shape(x)))
    epsilon = config.epsilon() if epsilon is None else float(epsilon)
    if not rms_scaling:
        y = fused_layer_norm(x, gamma, beta, axes, epsilon)
        if y is not None:
            return y if b.dtype(y) == out_dtype else b.cast(y, out_dtype)
    eps = _c(x, epsilon)
    mean, var = moments(x, axes, keepdims=True)
    inv = b.reciprocal(b.sqrt(b.add(var, eps)))
    if rms_scaling:
        y = b.multiply(x, inv)
        if gamma is not None:
            y = b.multiply(y, _bshape(gamma, x, axes))
    else:
        if gamma is not None:
            inv = b.multiply(inv, _bshape(gamma, x, axes))
        res = b.negative(b.multiply(mean, inv))
        if beta is not None:
            res = b.add(res, _bshape(beta, x, axes))
        y = b.add(b.multiply(x, inv), res)
    return y if b.dtype(y) == out_dtype else b.cast(y, out_dtype)


@op
def rms_normalization(x: Any, scale: Any = None, axis: Any = -1, epsilon: float | None = None) -> Any:
    """Root-mean-square normalization (Zhang & Sennrich, 2019):
    ``x * rsqrt(mean(square(x), axis) + epsilon) * scale``.

    Dtype handling as :func:`layer_normalization`.

    Args:
        x: Input tensor.
        scale: Optional scale, multiplied after normalizing (broadcasting).
        axis: Axis or axes to normalize over.
        epsilon: Added to the mean square (default ``kshim.config.epsilon()``).

    Returns:
        The normalized tensor, shape of ``x``.

    Raises:
        ValueError: ``x`` is 0-d or ``axis`` is out of range.
    """
    b = current()
    x, out_dtype = _compute(x)
    axes = _norm_axes(axis, len(b.shape(x)))
    count = 1
    for a in axes:
        count *= b.shape(x)[a]
    ms = b.divide(b.sum(b.square(x), axes, True), _c(x, float(count)))
    eps = _c(x, config.epsilon() if epsilon is None else float(epsilon))
    y = b.multiply(x, b.reciprocal(b.sqrt(b.add(ms, eps))))
    if scale is not None:
        y = b.multiply(y, tensor(scale, b.dtype(x)))
    return y if b.dtype(y) == out_dtype else b.cast(y, out_dtype)


@op
def psnr(x1: Any, x2: Any, max_val: Any) -> Any:
    """Peak signal-to-noise ratio: ``20 log10(max_val) - 10 log10(mean((x1 - x2)**2))``.

    Args:
        x1: First signal.
        x2: Second signal, same shape as ``x1``.
        max_val: The largest possible signal value.

    Returns:
        A 0-d tensor (the mean runs over every element).

    Raises:
        ValueError: ``x1`` and ``x2`` differ in shape.
    """
    b = current()
    a, c = promote(_f(x1), _f(x2))
    if tuple(b.shape(a)) != tuple(b.shape(c)):
        raise ValueError(f"Input shapes {tuple(b.shape(a))} and {tuple(b.shape(c))} must match for PSNR calculation.")
    n = 1
    for s in b.shape(a):
        n *= s
    mse = b.divide(b.sum(b.square(b.subtract(a, c)), None, False), _c(a, float(n)))
    ln10 = _c(a, _math.log(10.0))
    mv = tensor(max_val, b.dtype(a))
    return b.subtract(
        b.multiply(_c(a, 20.0), b.divide(b.log(mv), ln10)), b.multiply(_c(a, 10.0), b.divide(b.log(mse), ln10))
    )


@op
def sparse_sigmoid(x: Any) -> Any:
    """Sparse sigmoid: 0 for ``x <= -1``, 1 for ``x >= 1``, ``(x + 1) / 2`` between (the derivative of
    ``sparse_plus``).

    Args:
        x: Input tensor (integers give floatx).

    Returns:
        A tensor of ``x``'s float dtype.
    """
    b = current()
    x = _f(x)
    mid = b.multiply(_c(x, 0.5), b.add(x, _c(x, 1.0)))
    return b.where(b.less_equal(x, _c(x, -1.0)), _c(x, 0.0), b.where(b.greater_equal(x, _c(x, 1.0)), _c(x, 1.0), mid))


@op
def sparsemax(x: Any, axis: int = -1) -> Any:
    """Sparsemax (Martins & Astudillo, 2016): the Euclidean projection of ``x`` onto the probability
    simplex along ``axis``, ``max(x - tau, 0)`` with ``tau`` chosen so that the result sums to 1.

    Deliberate difference: Keras 3.15's backends compute ``tau`` from the *sum of the cumulative
    sums* over the support instead of the cumulative sum at the support size, so its result does
    not sum to 1 whenever the support has two or more entries (e.g. ``[1, .5, 0]`` gives
    ``[.25, 0, 0]`` instead of ``[.75, .25, 0]``). kshim computes the sparsemax of the paper; both
    agree when the support is a single entry.

    Args:
        x: Input tensor (integers give floatx).
        axis: The axis to normalize over.

    Returns:
        A tensor of ``x``'s float dtype and shape, non-negative, summing to 1 along ``axis``.

    Raises:
        ValueError: ``axis`` is out of range.
    """
    b = current()
    x = _f(x)
    nd = len(b.shape(x))
    ax = norm_axis(axis, nd)
    n = b.shape(x)[ax]
    z = b.negative(b.sort(b.negative(x), ax))  # descending
    cs = b.cumsum(z, ax)
    shp = [1] * nd
    shp[ax] = n
    r = b.reshape(b.arange(1, n + 1, 1, b.dtype(x)), tuple(shp))
    support = b.greater(b.add(_c(x, 1.0), b.multiply(r, z)), cs)
    k = b.sum(b.cast(support, "int32"), (ax,), True)  # support size, >= 1
    cs_k = b.take_along_axis(cs, b.subtract(k, b.ones((), "int32")), ax)
    tau = b.divide(b.subtract(cs_k, _c(x, 1.0)), b.cast(k, b.dtype(x)))
    return b.maximum(b.subtract(x, tau), _c(x, 0.0))


@op
def threshold(x: Any, threshold: float, default_value: float) -> Any:
    """``x`` where ``x > threshold``, else ``default_value``.

    Args:
        x: Input tensor.
        threshold: The cut-off value.
        default_value: Value for entries ``<= threshold``.

    Returns:
        A tensor of ``x``'s shape; its dtype is that of ``x`` combined with ``default_value``
        (Keras' promotion: a Python float with an integer tensor gives floatx).
    """
    b = current()
    xt = tensor(x)
    xv, dv = promote(xt, default_value)
    t = promote(xt, threshold)
    return b.where(b.greater(t[0], t[1]), xv, dv)
