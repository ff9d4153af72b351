"""Untraced N-d convolution (im2col + GEMM) and pooling (window splitting or a loop over taps).

Internally convolutions work channels-last: ``x`` (N, *spatial, C), kernel (*k, C // groups, O).
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

from . import rawops as R


def to_cl(x, data_format):
    if data_format == "channels_first":
        return np.moveaxis(x, 1, -1)
    return x


def from_cl(x, data_format):
    if data_format == "channels_first":
        return np.moveaxis(x, -1, 1)
    return x


def pad_spatial(x, padding, fill=0):
    """Pad (positive) or crop (negative) the spatial axes 1..nd of a channels-last array."""
    if all(lo == 0 and hi == 0 for lo, hi in padding):
        return x
    crop = (slice(None),) + tuple(slice(max(-lo, 0), n - max(-hi, 0)) for (lo, hi), n in zip(padding, x.shape[1:-1]))
    x = x[crop]
    if all(lo <= 0 and hi <= 0 for lo, hi in padding):
        return x
    pads = [(max(lo, 0), max(hi, 0)) for lo, hi in padding]
    shape = (x.shape[0],) + tuple(n + lo + hi for n, (lo, hi) in zip(x.shape[1:-1], pads)) + (x.shape[-1],)
    out = np.full(shape, fill, x.dtype) if fill != 0 else np.zeros(shape, x.dtype)
    out[(slice(None),) + tuple(slice(lo, lo + n) for (lo, _), n in zip(pads, x.shape[1:-1]))] = x
    return out


def dilate(x, strides):
    """Insert ``s - 1`` zeros between the elements of each spatial axis (channels-last)."""
    if all(s == 1 for s in strides):
        return x
    shape = (x.shape[0],) + tuple((n - 1) * s + 1 if n else 0 for n, s in zip(x.shape[1:-1], strides)) + (x.shape[-1],)
    out = np.zeros(shape, x.dtype)
    out[(slice(None),) + tuple(slice(None, None, s) for s in strides)] = x
    return out


def im2col(xp, ksize, strides, dilation):
    """Patches of a padded channels-last ``xp``: (N, *out, *k, C) strided view and out shape."""
    nd = len(ksize)
    sp = xp.shape[1:-1]
    out = tuple((n - d * (k - 1) - 1) // s + 1 for n, k, s, d in zip(sp, ksize, strides, dilation))
    out = tuple(max(o, 0) for o in out)
    st = xp.strides
    shape = (xp.shape[0],) + out + tuple(ksize) + (xp.shape[-1],)
    strides_ = (
        (st[0],)
        + tuple(st[1 + i] * strides[i] for i in range(nd))
        + tuple(st[1 + i] * dilation[i] for i in range(nd))
        + (st[-1],)
    )
    return as_strided(xp, shape, strides_, writeable=False), out


def conv_cl(x, w, strides, padding, dilation, groups=1, keep_cols=False):
    """Channels-last conv. Returns (out, cols) with cols the im2col matrix when ``keep_cols``."""
    nd = x.ndim - 2
    ksize = w.shape[:nd]
    xp = pad_spatial(x, padding)
    win, osp = im2col(xp, ksize, strides, dilation)
    n, c = x.shape[0], x.shape[-1]
    kk = int(np.prod(ksize))
    cout = w.shape[-1]
    rows = n * int(np.prod(osp))
    if groups == 1:
        if c <= 4:  # few channels: a tap-major copy is much faster; cols is then its transposed view
            cols = (
                np.ascontiguousarray(np.moveaxis(win, tuple(range(1 + nd, 2 + 2 * nd)), tuple(range(1 + nd))))
                .reshape(kk * c, rows)
                .T
            )
        else:
            cols = win.reshape(rows, kk * c)
        out = np.matmul(cols, w.reshape(kk * c, cout))
    else:
        cg, og = c // groups, cout // groups
        cols = win.reshape(rows, kk, groups, cg).transpose(2, 0, 1, 3).reshape(groups, rows, kk * cg)
        wg = w.reshape(kk, cg, groups, og).transpose(2, 0, 1, 3).reshape(groups, kk * cg, og)
        out = np.matmul(cols, wg).transpose(1, 0, 2).reshape(rows, cout)
    return out.reshape((n,) + osp + (cout,)), (cols if keep_cols else None)


def conv_kernel_grad(cols, g, wshape, groups):
    """Kernel cotangent from the forward's im2col matrix and the output cotangent."""
    cout = wshape[-1]
    g2 = g.reshape(-1, cout)
    if groups == 1:
        return np.matmul(cols.T, g2).reshape(wshape)
    nd = len(wshape) - 2
    kk, cg, og = int(np.prod(wshape[:nd])), wshape[-2], cout // groups
    gg = g2.reshape(-1, groups, og).transpose(1, 0, 2)
    gw = np.matmul(np.swapaxes(cols, -1, -2), gg)  # (groups, kk*cg, og)
    return gw.reshape(groups, kk, cg, og).transpose(1, 2, 0, 3).reshape(wshape)


def _tap_slices(ksize, strides, dilation, out):
    """Per kernel tap (row-major), the slice of the padded input that the tap reads."""
    return [
        (slice(None),)
        + tuple(slice(t * d, t * d + (o - 1) * s + 1, s) for t, s, d, o in zip(tap, strides, dilation, out))
        for tap in itertools.product(*[range(k) for k in ksize])
    ]


def conv_input_grad(g, w, xshape, strides, padding, dilation, groups):
    """Cotangent of ``conv_cl`` w.r.t. its input: per kernel tap one GEMM, added into its window."""
    nd = len(strides)
    ksize, cg, cout = w.shape[:nd], w.shape[-2], w.shape[-1]
    kk, n, osp, c = int(np.prod(ksize)), g.shape[0], g.shape[1:-1], xshape[-1]
    g2 = g.reshape(-1, cout)
    og = cout // groups
    if groups == 1:
        wt = w.reshape(kk, cg, cout).transpose(0, 2, 1)  # (kk, cout, C)
    else:
        gg = g2.reshape(-1, groups, og).transpose(1, 0, 2)  # (groups, rows, og)
        wt = w.reshape(kk, cg, groups, og).transpose(0, 2, 3, 1)  # (kk, groups, og, cg)
    buf = np.empty((n,) + osp + (c,), np.result_type(g, w))
    b2 = buf.reshape(-1, c)
    psp = tuple(m + lo + hi for m, (lo, hi) in zip(xshape[1:-1], padding))
    gxp = np.zeros((n,) + psp + (c,), buf.dtype)
    for t, sl in enumerate(_tap_slices(ksize, strides, dilation, osp)):
        if groups == 1:
            np.matmul(g2, wt[t], out=b2)
        else:
            b2.reshape(-1, groups, cg)[...] = np.matmul(gg, wt[t]).transpose(1, 0, 2)
        gxp[sl] += buf
    return pad_spatial(gxp, [(-lo, -hi) for lo, hi in padding])


def conv_transpose_cl(x, w, strides, padding, dilation, keep_cols=False):
    """Protocol conv_transpose (kernel (*k, out, in)), channels-last. Returns (out, cols)."""
    nd = len(strides)
    wf = np.swapaxes(w[(slice(None, None, -1),) * nd], -1, -2)
    return conv_cl(dilate(x, strides), wf, (1,) * nd, padding, dilation, 1, keep_cols)


def conv_transpose_input_grad(g, w, strides, padding, dilation):
    nd = len(strides)
    pads = [
        (dilation[i] * (w.shape[i] - 1) - padding[i][0], dilation[i] * (w.shape[i] - 1) - padding[i][1])
        for i in range(nd)
    ]
    return conv_cl(g, w, strides, pads, dilation, 1)[0]


# ---- pooling (any layout: operates on the given spatial axes) ----------------------------------


def _taps(shape, axes, pool, strides, padding):
    out = tuple((shape[a] + lo + hi - k) // s + 1 for a, k, s, (lo, hi) in zip(axes, pool, strides, padding))
    taps = []
    for t in itertools.product(*[range(k) for k in pool]):
        sl = [slice(None)] * len(shape)
        for a, ti, s, o in zip(axes, t, strides, out):
            sl[a] = slice(ti, ti + (o - 1) * s + 1, s)
        taps.append(tuple(sl))
    return taps, out


def _pad_axes(x, axes, padding, fill):
    if all(lo == 0 and hi == 0 for lo, hi in padding):
        return x
    shape = list(x.shape)
    sl = [slice(None)] * x.ndim
    for a, (lo, hi) in zip(axes, padding):
        sl[a] = slice(lo, lo + shape[a])
        shape[a] += lo + hi
    out = np.full(shape, fill, x.dtype)
    out[tuple(sl)] = x
    return out


def spatial_axes(ndim, data_format):
    return tuple(range(1, ndim - 1)) if data_format == "channels_last" else tuple(range(2, ndim))


def _lowest(dtype):
    return -np.inf if dtype.kind == "f" or dtype.kind == "V" else np.iinfo(dtype).min


def max_pool(x, pool, strides, padding, data_format, want_grad=False):
    """Max pooling. Returns ``(out, grad)``; ``grad(g)`` is the VJP when ``want_grad``, else None.

    The cotangent of a window goes to its first maximum (row-major window order), as in JAX.
    """
    axes = spatial_axes(x.ndim, data_format)
    xp = _pad_axes(x, axes, padding, _lowest(x.dtype))
    pool, strides = tuple(pool), tuple(strides)
    tiled = _max_pool_tiled if strides == pool else _max_pool_taps
    out, grad = tiled(xp, axes, pool, strides, want_grad)
    if grad is None:
        return out, None
    crop = [slice(None)] * xp.ndim
    for a, (lo, hi) in zip(axes, padding):
        crop[a] = slice(lo, xp.shape[a] - hi)
    return out, lambda g: grad(g)[tuple(crop)]


def _max_pool_tiled(xp, axes, pool, strides, want_grad):
    """Non-overlapping windows (strides == pool): split each spatial axis into (out, pool)."""
    osp = [xp.shape[a] // k for a, k in zip(axes, pool)]
    crop_list = [slice(None)] * xp.ndim
    split = []
    for i, n in enumerate(xp.shape):
        if i in axes:
            j = axes.index(i)
            crop_list[i] = slice(0, osp[j] * pool[j])
            split += [osp[j], pool[j]]
        else:
            split.append(n)
    crop = tuple(crop_list)
    win = tuple(a + j + 1 for j, a in enumerate(axes))  # window axes of the split view
    xs = xp[crop].reshape(split)  # a view: splitting axes never copies
    taps = []
    for t in itertools.product(*[range(k) for k in pool]):
        tap: list[Any] = [slice(None)] * len(split)
        for a, ti in zip(win, t):
            tap[a] = ti
        taps.append(tuple(tap))
    out = xs[taps[0]].copy()
    for sl in taps[1:]:
        np.maximum(out, xs[sl], out=out)
    if not want_grad:
        return out, None
    mask = np.equal(xs, np.expand_dims(out, win))
    seen = mask[taps[0]].copy()
    for i, sl in enumerate(taps[1:], 2):  # keep only the first maximum of each window
        m = mask[sl]
        m &= ~seen
        if i < len(taps):
            seen |= m
    full = all(o * k == n for o, k, n in zip(osp, pool, (xp.shape[a] for a in axes)))

    def grad(g):
        gxp = (np.empty if full else np.zeros)(xp.shape, g.dtype)
        R.select(mask, np.expand_dims(g, win), out=gxp[crop].reshape(split))
        return gxp

    return out, grad


def _max_pool_taps(xp, axes, pool, strides, want_grad):
    """General (overlapping) windows: a loop over the window taps, tracking the arg-max tap."""
    taps, _ = _taps(xp.shape, axes, pool, strides, [(0, 0)] * len(axes))
    out = xp[taps[0]].copy()
    arg: Any = np.zeros(out.shape, np.int8 if len(taps) < 128 else np.int32) if want_grad else None
    for i, sl in enumerate(taps[1:], 1):
        v = xp[sl]
        if want_grad:
            arg[v > out] = i
        np.maximum(out, v, out=out)
    if not want_grad:
        return out, None

    def grad(g):
        gxp = np.zeros(xp.shape, g.dtype)
        for i, sl in enumerate(taps):
            gxp[sl] += R.select(arg == i, g)
        return gxp

    return out, grad


def avg_counts(x, axes, pool, strides, padding):
    shape = [1] * x.ndim
    for a in axes:
        shape[a] = x.shape[a]
    ones = _pad_axes(np.ones(shape, x.dtype), axes, padding, 0)
    taps, _ = _taps(ones.shape, axes, pool, strides, [(0, 0)] * len(axes))
    cnt = ones[taps[0]].copy()
    for sl in taps[1:]:
        cnt += ones[sl]
    return cnt


def avg_pool(x, pool, strides, padding, data_format):
    axes = spatial_axes(x.ndim, data_format)
    xp = _pad_axes(x, axes, padding, 0)
    taps, _ = _taps(xp.shape, axes, pool, strides, [(0, 0)] * len(axes))
    out = xp[taps[0]].copy()
    for sl in taps[1:]:
        out += xp[sl]
    cnt = avg_counts(x, axes, pool, strides, padding)
    out /= cnt
    return out, cnt, taps, xp.shape


def avg_pool_grad(g, cnt, taps, xpshape, axes, padding):
    gc = g / cnt
    gxp = np.zeros(xpshape, g.dtype)
    for sl in taps:
        gxp[sl] += gc
    sl = [slice(None)] * len(xpshape)
    for a, (lo, hi) in zip(axes, padding):
        sl[a] = slice(lo, xpshape[a] - hi)
    return gxp[tuple(sl)]
