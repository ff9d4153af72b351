"""Traced convolution and pooling. Conv VJPs are (transposed) convolutions / im2col GEMMs."""

from __future__ import annotations

import numpy as np

from .. import nn
from .tensor import Tensor, make, val


def _is(x):
    return x.__class__ is Tensor


def conv(x, kernel, strides, padding, dilation, groups, data_format):
    xv, wv = val(x), val(kernel)
    xc = nn.to_cl(xv, data_format)
    out, cols = nn.conv_cl(xc, wv, strides, padding, dilation, groups, keep_cols=_is(kernel))
    xshape = xc.shape

    def vjp(g):
        gc = nn.to_cl(g, data_format)
        gx = gw = None
        if _is(x):
            gx = nn.from_cl(nn.conv_input_grad(gc, wv, xshape, strides, padding, dilation, groups), data_format)
        if cols is not None:
            gw = nn.conv_kernel_grad(cols, gc, wv.shape, groups)
        return gx, gw

    return make(nn.from_cl(out, data_format), (x, kernel), vjp)


def conv_transpose(x, kernel, strides, padding, dilation, data_format):
    xv, wv = val(x), val(kernel)
    xc = nn.to_cl(xv, data_format)
    out, cols = nn.conv_transpose_cl(xc, wv, strides, padding, dilation, keep_cols=_is(kernel))
    nd = len(strides)

    def vjp(g):
        gc = nn.to_cl(g, data_format)
        gx = gw = None
        if _is(x):
            gx = nn.from_cl(nn.conv_transpose_input_grad(gc, wv, strides, padding, dilation), data_format)
        if cols is not None:
            wf_shape = wv.shape[:nd] + (wv.shape[-1], wv.shape[-2])
            gwf = nn.conv_kernel_grad(cols, gc, wf_shape, 1)
            gw = np.swapaxes(gwf, -1, -2)[(slice(None, None, -1),) * nd]
        return gx, gw

    return make(nn.from_cl(out, data_format), (x, kernel), vjp)


def max_pool(x, pool_size, strides, padding, data_format):
    out, grad = nn.max_pool(x.value, pool_size, strides, padding, data_format, want_grad=True)
    return make(out, (x,), lambda g: (grad(g),))


def avg_pool(x, pool_size, strides, padding, data_format):
    xv = x.value
    out, cnt, taps, xpshape = nn.avg_pool(xv, pool_size, strides, padding, data_format)
    axes = nn.spatial_axes(xv.ndim, data_format)
    return make(out, (x,), lambda g: (nn.avg_pool_grad(g, cnt, taps, xpshape, axes, padding),))
