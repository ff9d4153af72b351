"""Independent NumPy references for layer tests that must check behaviour without real Keras.

Each function restates the Keras 3 documented semantics with explicit loops or plain NumPy ops
(window loops for pooling, shifted-slice sums for convolution, scatter-adds for transposed
convolution), written for clarity rather than speed. All work in float64 so that a test's tolerance
only has to cover the layer's own float32 rounding.

Conventions shared by the conv/pool references: ``x`` is channels_last ``(batch, *spatial, channels)``;
callers convert channels_first inputs with :func:`to_channels_last` / :func:`to_channels_first`.
"""
from __future__ import annotations

import itertools
from typing import Sequence

import numpy as np


def to_channels_last(x: np.ndarray) -> np.ndarray:
    """``(batch, channels, *spatial)`` -> ``(batch, *spatial, channels)``."""
    return np.moveaxis(x, 1, -1)


def to_channels_first(x: np.ndarray) -> np.ndarray:
    """``(batch, *spatial, channels)`` -> ``(batch, channels, *spatial)``."""
    return np.moveaxis(x, -1, 1)


def _tup(v, n: int) -> tuple:
    return tuple(v) if isinstance(v, (tuple, list)) else (v,) * n


def same_pads(size: int, k: int, s: int) -> tuple[int, int]:
    """TF/Keras "same" padding of one axis: ``ceil(size / s)`` outputs, the extra on the right."""
    out = -(-size // s)
    total = max((out - 1) * s + k - size, 0)
    return total // 2, total - total // 2


# ---- pooling -------------------------------------------------------------------------------------
def pool(x: np.ndarray, mode: str, pool_size, strides=None, padding: str = "valid") -> np.ndarray:
    """Max or average pooling by an explicit loop over output windows (channels_last).

    "same" padding: windows are clipped at the borders, and the average is over the elements
    inside the input only (Keras/TF semantics; padded positions never count).
    """
    x = np.asarray(x, np.float64)
    rank = x.ndim - 2
    k = _tup(pool_size, rank)
    s = _tup(strides if strides is not None else pool_size, rank)
    sizes = x.shape[1:-1]
    if padding == "valid":
        pads = [(0, 0)] * rank
        outs = [(n - kk) // ss + 1 for n, kk, ss in zip(sizes, k, s)]
    else:
        pads = [same_pads(n, kk, ss) for n, kk, ss in zip(sizes, k, s)]
        outs = [-(-n // ss) for n, ss in zip(sizes, s)]
    y = np.empty((x.shape[0], *outs, x.shape[-1]))
    for idx in itertools.product(*[range(o) for o in outs]):
        sl = []
        for d, i in enumerate(idx):
            lo = i * s[d] - pads[d][0]
            sl.append(slice(max(lo, 0), min(lo + k[d], sizes[d])))
        win = x[(slice(None), *sl, slice(None))].reshape(x.shape[0], -1, x.shape[-1])
        y[(slice(None), *idx, slice(None))] = win.max(1) if mode == "max" else win.mean(1)
    return y


def adaptive_pool(x: np.ndarray, mode: str, output_size) -> np.ndarray:
    """Adaptive pooling (channels_last): output cell ``i`` of an axis of length ``n`` pools the
    input range ``[floor(i*n/out), ceil((i+1)*n/out))``, so windows may overlap."""
    x = np.asarray(x, np.float64)
    rank = x.ndim - 2
    outs = _tup(output_size, rank)
    sizes = x.shape[1:-1]
    y = np.empty((x.shape[0], *outs, x.shape[-1]))
    for idx in itertools.product(*[range(o) for o in outs]):
        sl = [slice((i * n) // o, -(-((i + 1) * n) // o)) for i, n, o in zip(idx, sizes, outs)]
        win = x[(slice(None), *sl, slice(None))].reshape(x.shape[0], -1, x.shape[-1])
        y[(slice(None), *idx, slice(None))] = win.max(1) if mode == "max" else win.mean(1)
    return y


# ---- convolution ---------------------------------------------------------------------------------
def _conv_pad(x: np.ndarray, k_eff: Sequence[int], s: Sequence[int], padding: str) -> np.ndarray:
    rank = x.ndim - 2
    if padding == "valid":
        return x
    if padding == "causal":
        pads = [(k_eff[0] - 1, 0)]
    else:
        pads = [same_pads(n, kk, ss) for n, kk, ss in zip(x.shape[1:-1], k_eff, s)]
    assert len(pads) == rank
    return np.pad(x, [(0, 0), *pads, (0, 0)])


def conv(x: np.ndarray, kernel: np.ndarray, bias=None, strides=1, padding: str = "valid", dilation_rate=1,
         groups: int = 1) -> np.ndarray:
    """N-D grouped convolution (cross-correlation, as Keras) as a sum over kernel offsets.

    ``kernel`` has Keras' layout ``(*kernel_size, in_channels // groups, filters)``. For every kernel
    offset the strided input slice it touches is contracted with that offset's kernel slice.
    """
    x = np.asarray(x, np.float64)
    kernel = np.asarray(kernel, np.float64)
    rank = x.ndim - 2
    ks = kernel.shape[:rank]
    s = _tup(strides, rank)
    d = _tup(dilation_rate, rank)
    k_eff = [(kk - 1) * dd + 1 for kk, dd in zip(ks, d)]
    xp = _conv_pad(x, k_eff, s, padding)
    outs = [(n - ke) // ss + 1 for n, ke, ss in zip(xp.shape[1:-1], k_eff, s)]
    cin_g, filters = kernel.shape[-2], kernel.shape[-1]
    f_g = filters // groups
    y = np.zeros((x.shape[0], *outs, filters))
    for off in itertools.product(*[range(kk) for kk in ks]):
        sl = tuple(slice(o * dd, o * dd + (n - 1) * ss + 1, ss) for o, dd, n, ss in zip(off, d, outs, s))
        patch = xp[(slice(None), *sl, slice(None))]
        w = kernel[off]  # (cin_g, filters)
        for g in range(groups):
            y[..., g * f_g:(g + 1) * f_g] += patch[..., g * cin_g:(g + 1) * cin_g] @ w[:, g * f_g:(g + 1) * f_g]
    if bias is not None:
        y = y + np.asarray(bias, np.float64)
    return y


def depthwise_conv(x: np.ndarray, kernel: np.ndarray, bias=None, strides=1, padding: str = "valid",
                   dilation_rate=1) -> np.ndarray:
    """Depthwise convolution: ``kernel`` is ``(*kernel_size, in_channels, depth_multiplier)``; output
    channel ``c * depth_multiplier + m`` filters input channel ``c`` with ``kernel[..., c, m]``."""
    rank = x.ndim - 2
    cin, mult = kernel.shape[-2], kernel.shape[-1]
    # the same as a grouped conv with one group per input channel
    grouped = np.asarray(kernel, np.float64).reshape(*kernel.shape[:rank], 1, cin * mult)
    return conv(x, grouped, bias, strides, padding, dilation_rate, groups=cin)


def separable_conv(x: np.ndarray, depthwise: np.ndarray, pointwise: np.ndarray, bias=None, strides=1,
                   padding: str = "valid", dilation_rate=1) -> np.ndarray:
    """Depthwise convolution followed by the 1x1 ``pointwise`` convolution."""
    h = depthwise_conv(x, depthwise, None, strides, padding, dilation_rate)
    return conv(h, pointwise, bias)


def conv_transpose(x: np.ndarray, kernel: np.ndarray, bias=None, strides=1, padding: str = "valid",
                   output_padding=None, dilation_rate=1) -> np.ndarray:
    """Transposed convolution (the gradient of :func:`conv` with respect to its input) as a scatter-add.

    ``kernel`` is ``(*kernel_size, filters, in_channels)`` (Keras' layout). Input position ``i`` adds
    ``x[i] @ kernel[j].T`` to full-output position ``i * stride + j * dilation``; the result is the
    window of that full output given by Keras' documented output length::

        valid: (n - 1) * s + k_eff + output_padding   (output_padding defaults to max(k_eff, s) - k_eff)
        same:  n * s                                   (output_padding None)
               (n - 1) * s + k_eff - 2 * (k_eff // 2) + output_padding

    with the left crop ``pad_left = min(ceil(pad_len / 2), k_eff - 1)`` for "same", where
    ``pad_len = s + k_eff - 2`` (no output_padding) or ``k_eff + k_eff % 2 - 2 + output_padding``.
    """
    x = np.asarray(x, np.float64)
    kernel = np.asarray(kernel, np.float64)
    rank = x.ndim - 2
    ks = kernel.shape[:rank]
    s = _tup(strides, rank)
    d = _tup(dilation_rate, rank)
    op = _tup(output_padding, rank) if output_padding is not None else (None,) * rank
    sizes = x.shape[1:-1]
    k_eff = [(kk - 1) * dd + 1 for kk, dd in zip(ks, d)]
    full = [(n - 1) * ss + ke for n, ss, ke in zip(sizes, s, k_eff)]
    crop, lengths = [], []
    for n, ss, ke, o in zip(sizes, s, k_eff, op):
        if padding == "valid":
            o = max(ke, ss) - ke if o is None else o
            crop.append(0)
            lengths.append((n - 1) * ss + ke + o)
        else:
            pad_len = ss + ke - 2 if o is None else ke + ke % 2 - 2 + o
            left = min(pad_len // 2 + pad_len % 2, ke - 1)
            crop.append(ke - 1 - left)
            lengths.append(n * ss if o is None else (n - 1) * ss + ke - 2 * (ke // 2) + o)
    big = [max(f, c + L) for f, c, L in zip(full, crop, lengths)]
    filters = kernel.shape[-2]
    y = np.zeros((x.shape[0], *big, filters))
    for off in itertools.product(*[range(kk) for kk in ks]):
        sl = tuple(slice(o * dd, o * dd + (n - 1) * ss + 1, ss) for o, dd, n, ss in zip(off, d, sizes, s))
        y[(slice(None), *sl, slice(None))] += x @ kernel[off].T
    y = y[(slice(None), *[slice(c, c + L) for c, L in zip(crop, lengths)], slice(None))]
    if bias is not None:
        y = y + np.asarray(bias, np.float64)
    return y


# ---- activations ---------------------------------------------------------------------------------
def relu(x: np.ndarray, max_value=None, negative_slope: float = 0.0, threshold: float = 0.0) -> np.ndarray:
    """Keras' ReLU: ``x`` for ``threshold < x < max_value``, ``max_value`` above,
    ``negative_slope * (x - threshold)`` at or below the threshold (Keras computes the positive part
    with a strict ``x > threshold``, so ``x == threshold`` gives 0 although its docstring writes
    ``threshold <= x``)."""
    dtype = np.asarray(x).dtype
    x = np.asarray(x, np.float64)
    threshold = float(np.asarray(threshold, dtype))  # Keras casts it to the input's dtype first
    y = np.where(x > threshold, x, negative_slope * (x - threshold))
    if max_value is not None:
        y = np.where(x >= max_value, max_value, y)
    return y


def elu(x: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    x = np.asarray(x, np.float64)
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


def softmax(x: np.ndarray, axis=-1, mask=None) -> np.ndarray:
    """Softmax over one or several axes; masked-out entries are left out of the normalization and
    come out as 0 (a fully masked slice gives all zeros)."""
    x = np.asarray(x, np.float64)
    axis = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
    if mask is None:
        keep = np.ones(x.shape, bool)
    else:
        keep = np.broadcast_to(np.asarray(mask).astype(bool), x.shape)
    z = np.where(keep, x, -np.inf)
    zmax = np.max(np.where(keep, x, -1e300), axis=axis, keepdims=True)
    e = np.where(keep, np.exp(z - zmax), 0.0)
    tot = e.sum(axis=axis, keepdims=True)
    return np.divide(e, tot, out=np.zeros_like(e), where=tot > 0)


# ---- normalization -------------------------------------------------------------------------------
def _axes(axis, ndim: int) -> tuple:
    axis = axis if isinstance(axis, (tuple, list)) else [axis]
    return tuple(sorted(a % ndim for a in axis))


def _param_shape(shape, keep: tuple) -> list:
    return [n if i in keep else 1 for i, n in enumerate(shape)]


def batch_norm(x: np.ndarray, gamma, beta, mean, var, epsilon: float = 1e-3, axis: int = -1,
               training: bool = False, momentum: float = 0.99):
    """Batch normalization. Returns ``(y, new_moving_mean, new_moving_var)``: in training the
    batch's (biased) mean and variance over every axis but ``axis`` normalize ``x`` and the moving
    statistics move as ``m <- momentum * m + (1 - momentum) * batch_stat``."""
    x = np.asarray(x, np.float64)
    ax = axis % x.ndim
    red = tuple(i for i in range(x.ndim) if i != ax)
    shp = _param_shape(x.shape, (ax,))
    c = x.shape[ax]
    gamma = np.ones(c) if gamma is None else np.asarray(gamma, np.float64)
    beta = np.zeros(c) if beta is None else np.asarray(beta, np.float64)
    mean, var = np.asarray(mean, np.float64), np.asarray(var, np.float64)
    if training:
        bm, bv = x.mean(red), x.var(red)
        new_m, new_v = momentum * mean + (1 - momentum) * bm, momentum * var + (1 - momentum) * bv
    else:
        bm, bv, new_m, new_v = mean, var, mean, var
    y = (x - bm.reshape(shp)) / np.sqrt(bv.reshape(shp) + epsilon) * gamma.reshape(shp) + beta.reshape(shp)
    return y, new_m, new_v


def layer_norm(x: np.ndarray, gamma=None, beta=None, axis=-1, epsilon: float = 1e-3,
               rms_scaling: bool = False) -> np.ndarray:
    """Layer normalization over ``axis``; with ``rms_scaling`` the input is only divided by
    ``sqrt(var + epsilon)`` (no centering) and scaled by ``gamma`` (Keras' rms_scaling form)."""
    x = np.asarray(x, np.float64)
    ax = _axes(axis, x.ndim)
    shp = _param_shape(x.shape, ax)
    g = 1.0 if gamma is None else np.asarray(gamma, np.float64).reshape(shp)
    var = x.var(ax, keepdims=True)
    if rms_scaling:
        return x / np.sqrt(var + epsilon) * g
    b = 0.0 if beta is None else np.asarray(beta, np.float64).reshape(shp)
    return (x - x.mean(ax, keepdims=True)) / np.sqrt(var + epsilon) * g + b


def group_norm(x: np.ndarray, groups: int, gamma=None, beta=None, axis: int = -1,
               epsilon: float = 1e-3) -> np.ndarray:
    """Group normalization: the channels on ``axis`` split into ``groups`` consecutive groups; each
    sample's group is normalized by its mean and (biased) variance over the group's channels and
    every non-batch axis."""
    x = np.asarray(x, np.float64)
    ax = axis % x.ndim
    c = x.shape[ax]
    groups = c if groups == -1 else groups
    xm = np.moveaxis(x, ax, -1)
    g = xm.reshape(*xm.shape[:-1], groups, c // groups)
    red = tuple(range(1, g.ndim - 2)) + (g.ndim - 1,)
    g = (g - g.mean(red, keepdims=True)) / np.sqrt(g.var(red, keepdims=True) + epsilon)
    y = g.reshape(xm.shape)
    if gamma is not None:
        y = y * np.asarray(gamma, np.float64)
    if beta is not None:
        y = y + np.asarray(beta, np.float64)
    return np.moveaxis(y, -1, ax)


def unit_norm(x: np.ndarray, axis=-1) -> np.ndarray:
    """``x / max(||x||_2, 1e-6)`` over ``axis`` (Keras: ``x * rsqrt(max(sum x^2, 1e-12))``)."""
    x = np.asarray(x, np.float64)
    ss = (x * x).sum(_axes(axis, x.ndim), keepdims=True)
    return x / np.sqrt(np.maximum(ss, 1e-12))


def rms_norm(x: np.ndarray, scale=None, axis=-1, epsilon: float = 1e-6) -> np.ndarray:
    """``x / sqrt(mean(x^2) + epsilon) * scale`` over ``axis``."""
    x = np.asarray(x, np.float64)
    ax = _axes(axis, x.ndim)
    y = x / np.sqrt((x * x).mean(ax, keepdims=True) + epsilon)
    if scale is not None:
        y = y * np.asarray(scale, np.float64).reshape(_param_shape(x.shape, ax))
    return y


# ---- merging -------------------------------------------------------------------------------------
def align_ranks(xs: Sequence[np.ndarray]) -> list:
    """Keras' merge rule for inputs of different rank: expand the lower-rank ones at axis 1."""
    n = max(np.ndim(x) for x in xs)
    out = []
    for x in xs:
        x = np.asarray(x, np.float64)
        while x.ndim < n:
            x = np.expand_dims(x, 1)
        out.append(x)
    return out


def batch_dot(x: np.ndarray, y: np.ndarray, axes, normalize: bool = False) -> np.ndarray:
    """Keras' Dot layer: per sample, ``tensordot`` over one axis of each input (axes count the batch
    axis as 0); with ``normalize`` both inputs are L2-normalized along those axes first. A result with
    only the batch axis gets a trailing axis of 1."""
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    a = list(axes) if isinstance(axes, (tuple, list)) else [axes, axes]
    a = [ai % t.ndim for ai, t in zip(a, (x, y))]
    if normalize:
        x = x / np.sqrt(np.maximum((x * x).sum(a[0], keepdims=True), 1e-12))
        y = y / np.sqrt(np.maximum((y * y).sum(a[1], keepdims=True), 1e-12))
    out = np.stack([np.tensordot(xb, yb, axes=(a[0] - 1, a[1] - 1)) for xb, yb in zip(x, y)])
    return out.reshape(-1, 1) if out.ndim == 1 else out


def masked_extremum(op, x0, x1, m0, m1) -> np.ndarray:
    """Keras' masked Maximum/Minimum of two inputs: ``op`` over the inputs unmasked at a timestep;
    where only one is unmasked that one; where none is, the first input."""
    m0, m1 = np.asarray(m0, bool)[..., None], np.asarray(m1, bool)[..., None]
    both = op(x0, x1)
    return np.where(m0 & m1, both, np.where(m1 & ~m0, x1, x0))


def masked_multiply(x0, x1, m0, m1) -> np.ndarray:
    """Keras' masked Multiply of two inputs: the product of the unmasked factors (masked ones count
    as 1), and 0 where both are masked."""
    m0, m1 = np.asarray(m0, bool)[..., None], np.asarray(m1, bool)[..., None]
    prod = np.where(m0, x0, 1.0) * np.where(m1, x1, 1.0)
    return np.where(m0 | m1, prod, 0.0)


# ---- reshaping -----------------------------------------------------------------------------------
def upsample_bilinear(x: np.ndarray, size: Sequence[int]) -> np.ndarray:
    """Bilinear upsampling of a channels_last ``(b, h, w, c)`` array with half-pixel centres: output
    pixel ``i`` samples source coordinate ``(i + 0.5) / scale - 0.5``, clamped to the input."""
    x = np.asarray(x, np.float64)
    out = x
    for ax, f in ((1, size[0]), (2, size[1])):
        n = out.shape[ax]
        src = np.clip((np.arange(n * f) + 0.5) / f - 0.5, 0, n - 1)
        lo = np.floor(src).astype(int)
        hi = np.minimum(lo + 1, n - 1)
        w = (src - lo).reshape([-1 if i == ax else 1 for i in range(out.ndim)])
        out = np.take(out, lo, axis=ax) * (1 - w) + np.take(out, hi, axis=ax) * w
    return out


def bin_index(x: np.ndarray, boundaries: Sequence[float]) -> np.ndarray:
    """Discretization's bin of each value: the number of boundaries ``<= x``."""
    return np.searchsorted(np.asarray(boundaries, np.float64), np.asarray(x, np.float64), side="right")
