"""Convolution and pooling for the torch backend (Keras kernel layouts, explicit padding)."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
_CONV_T = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}
_MAX = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}
_AVG = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}


def _flat(pairs):
    """F.pad argument for (lo, hi) pairs of the trailing dims (last dim first)."""
    out: list[int] = []
    for lo, hi in reversed(pairs):
        out += (int(lo), int(hi))
    return out


def _to_first(x, nd):
    # (N, *sp, C) -> (N, C, *sp) as a view; for 2-d this is torch.channels_last memory format.
    return x.permute(0, nd + 1, *range(1, nd + 1))


def _to_last(y, nd):
    return y.permute(0, *range(2, nd + 2), 1)


def _symmetric(padding):
    return all(lo == hi and lo >= 0 for lo, hi in padding)


def _pad_spatial(x, padding, nd, channels_last, value=0.0):
    """Pad the spatial dims of x (in its own layout) with (lo, hi) pairs (negative crops)."""
    flat = _flat(padding)
    if channels_last:
        flat = [0, 0] + flat
    return F.pad(x, flat, value=value)


class NNMixin:
    """conv, conv_transpose, max_pool, avg_pool."""

    def conv(self, x, kernel, strides, padding, dilation, groups, data_format):
        nd = kernel.ndim - 2
        cl = data_format == "channels_last"
        padding = [(int(lo), int(hi)) for lo, hi in padding]
        if _symmetric(padding):
            tpad: Any = tuple(lo for lo, _ in padding)  # conv padding: per-dim sizes, or 0 when pre-padded
        else:
            x = _pad_spatial(x, padding, nd, cl)
            tpad = 0
        if cl:
            x = _to_first(x, nd)
        w = kernel.permute(nd + 1, nd, *range(nd))  # (*k, in/g, out) -> (out, in/g, *k)
        y = _CONV[nd](x, w, None, tuple(strides), tpad, tuple(dilation), int(groups))
        return _to_last(y, nd) if cl else y

    def conv_transpose(self, x, kernel, strides, padding, dilation, data_format):
        nd = kernel.ndim - 2
        cl = data_format == "channels_last"
        if cl:
            x = _to_first(x, nd)
        w = kernel.permute(nd + 1, nd, *range(nd))  # (*k, out, in) -> (in, out, *k)
        # torch's conv_transpose with padding p / output_padding op yields the "full" transposed
        # conv (lhs-dilated input padded by P = d*(k-1) each side) cropped by p at the start and
        # p - op at the end. Pick p/op to hit (lo, hi) and fix the rest with F.pad.
        tp, top, resid = [], [], []
        for i in range(nd):
            k, s, d = kernel.shape[i], int(strides[i]), int(dilation[i])
            lo, hi = int(padding[i][0]), int(padding[i][1])
            P = d * (k - 1)
            p = max(0, min(P - lo, P - hi))
            op = hi - P + p
            if op < 0 or op >= max(s, d):
                op = 0
            tp.append(p)
            top.append(op)
            resid.append((lo - P + p, hi - P + p - op))
        y = _CONV_T[nd](
            x, w, None, tuple(int(s) for s in strides), tuple(tp), tuple(top), 1, tuple(int(d) for d in dilation)
        )
        if any(a or b for a, b in resid):
            y = F.pad(y, _flat(resid))
        return _to_last(y, nd) if cl else y

    def max_pool(self, x, pool_size, strides, padding, data_format):
        nd = len(pool_size)
        cl = data_format == "channels_last"
        pool_size = tuple(int(k) for k in pool_size)
        padding = [(int(lo), int(hi)) for lo, hi in padding]
        if _symmetric(padding) and all(lo <= k // 2 for (lo, _), k in zip(padding, pool_size)):
            tpad: Any = tuple(lo for lo, _ in padding)  # conv padding: per-dim sizes, or 0 when pre-padded
        else:
            fill = float("-inf") if x.is_floating_point() else torch.iinfo(x.dtype).min
            x = _pad_spatial(x, padding, nd, cl, fill)
            tpad = 0
        if cl:
            x = _to_first(x, nd)
        y = _MAX[nd](x, pool_size, tuple(int(s) for s in strides), tpad)
        return _to_last(y, nd) if cl else y

    def avg_pool(self, x, pool_size, strides, padding, data_format):
        nd = len(pool_size)
        cl = data_format == "channels_last"
        pool_size = tuple(int(k) for k in pool_size)
        strides = tuple(int(s) for s in strides)
        padding = [(int(lo), int(hi)) for lo, hi in padding]
        pool = _AVG[nd]
        if _symmetric(padding) and all(lo <= k // 2 for (lo, _), k in zip(padding, pool_size)):
            if cl:
                x = _to_first(x, nd)
            y = pool(x, pool_size, strides, tuple(lo for lo, _ in padding), False, False)
            return _to_last(y, nd) if cl else y
        # Asymmetric: mean over the zero-padded input, rescaled by the fraction of real cells.
        spatial = x.shape[1:-1] if cl else x.shape[2:]
        x = _pad_spatial(x, padding, nd, cl)
        if cl:
            x = _to_first(x, nd)
        y = pool(x, pool_size, strides, 0, False, True)
        ones = torch.ones((1, 1, *spatial), dtype=x.dtype, device=x.device)
        frac = pool(F.pad(ones, _flat(padding)), pool_size, strides, 0, False, True)
        y = y / frac
        return _to_last(y, nd) if cl else y

    # ---- optional fused attention (see backends/_protocol.py) -------------------------------------
    def dot_product_attention(self, query, key, value, bias, mask, scale, is_causal):
        """``F.scaled_dot_product_attention`` on (B, T, N, H) tensors, float32/float64 only (other
        dtypes decline: the composite runs). The kernel gives a fully masked query row zeros (or NaN,
        depending on the kernel); such rows are unmasked for the kernel and their output replaced by
        the uniform average of ``value``, which is what the composite computes."""
        if query.dtype not in (torch.float32, torch.float64):
            return None
        q, k, v = query.transpose(1, 2), key.transpose(1, 2), value.transpose(1, 2)  # (B, N, T|S, H)
        if is_causal and (mask is not None or bias is not None):
            # the kernel takes a mask or is_causal, not both: fold the causal mask into the mask
            causal = torch.ones((q.shape[-2], k.shape[-2]), dtype=torch.bool, device=q.device).tril()
            mask = causal if mask is None else mask & causal
            is_causal = False
        row_ok = None
        attn = mask
        if mask is not None:
            row_ok = mask.any(-1, keepdim=True)
            attn = mask | ~row_ok
        if bias is not None:
            attn = bias if attn is None else torch.where(attn, bias, float("-inf"))
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=attn, is_causal=bool(is_causal), scale=float(scale))
        if row_ok is not None:
            out = torch.where(row_ok, out, v.mean(-2, keepdim=True))
        return out.transpose(1, 2)
