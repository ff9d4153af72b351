"""Adaptive pooling, pixel (un)shuffle, fold/unfold and ``extract_sequences`` (``keras.ops.nn``/``math``).

All are gathers, slices, reshapes and transposes over backend primitives, so they are exact and
differentiable on every backend.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .. import _config as config
from .. import dtypes as _dt
from ..backend import current
from ._dispatch import op, tensor
from .nn import _f

__all__ = [
    "adaptive_average_pool",
    "adaptive_max_pool",
    "depth_to_space",
    "space_to_depth",
    "fold",
    "unfold",
    "extract_sequences",
]


def _ints(v: Any, n: int, what: str, low: int = 1) -> tuple:
    """An int or a sequence of ``n`` ints, each >= ``low`` -> tuple."""
    vals = (v,) * n if isinstance(v, numbers.Integral) else tuple(v) if isinstance(v, (tuple, list)) else None
    if vals is None or len(vals) != n or not all(isinstance(e, numbers.Integral) and int(e) >= low for e in vals):
        raise ValueError(f"{what} must be an integer >= {low} or a tuple of {n} such integers, got {v!r}.")
    return tuple(int(e) for e in vals)


# ---- adaptive pooling -------------------------------------------------------------------------
def _lowest(dtype: str) -> float | int:
    if _dt.is_float(dtype):
        return -float("inf")
    if dtype == "bool":
        return False
    return int(np.iinfo(np.dtype(dtype)).min)


def _adaptive_axis(x: Any, axis: int, out: int, kind: str) -> Any:
    """Adaptive pooling of one axis: window ``i`` covers ``[floor(i*n/out), ceil((i+1)*n/out))``
    (torch's definition; Keras' JAX two-pool method gives the same windows)."""
    b = current()
    shp = tuple(b.shape(x))
    n = shp[axis]
    starts = np.array([(i * n) // out for i in range(out)])
    ends = np.array([-((-(i + 1) * n) // out) for i in range(out)])
    w = int((ends - starts).max())
    pos = starts[:, None] + np.arange(w)[None, :]
    valid = pos < ends[:, None]
    idx = b.convert_to_tensor(np.minimum(pos, n - 1).astype(np.int32))
    g = b.take(x, idx, axis)  # (..., out, w, ...)
    mshape = (1,) * axis + (out, w) + (1,) * (len(shp) - axis - 1)
    mask = b.convert_to_tensor(valid.reshape(mshape))
    d = b.dtype(x)
    if kind == "max":
        return b.max(b.where(mask, g, b.full((), _lowest(d), d)), (axis + 1,), False)
    total = b.sum(b.where(mask, g, b.zeros((), d)), (axis + 1,), False)
    counts = b.convert_to_tensor(valid.sum(1).reshape((1,) * axis + (out,) + (1,) * (len(shp) - axis - 1)), d)
    return b.divide(total, counts)


def _adaptive(kind: str, inputs: Any, output_size: Any, data_format: str | None) -> Any:
    b = current()
    x = _f(inputs) if kind == "avg" else tensor(inputs)
    df = config.standardize_data_format(data_format)
    nd = len(b.shape(x)) - 2
    name = "adaptive_average_pool" if kind == "avg" else "adaptive_max_pool"
    if nd not in (1, 2, 3):
        raise ValueError(
            f"{name}: inputs must have rank 3, 4 or 5 (batch, 1-3 spatial dims, channels); got "
            f"shape {tuple(b.shape(x))}."
        )
    sizes = _ints(output_size, nd, f"{name}: output_size")
    first = 1 if df == "channels_last" else 2
    for i, o in enumerate(sizes):
        if b.shape(x)[first + i] == 0:
            raise ValueError(f"{name}: spatial dimension {i} of {tuple(b.shape(x))} is empty.")
        x = _adaptive_axis(x, first + i, o, kind)
    return x


@op
def adaptive_average_pool(inputs: Any, output_size: Any, data_format: str | None = None) -> Any:
    """Adaptive average pooling to a fixed spatial ``output_size`` (1-3 spatial dims).

    Output cell ``i`` of a spatial axis of length ``n`` averages input cells
    ``floor(i*n/out) .. ceil((i+1)*n/out) - 1`` (as torch and Keras define it). Integer inputs
    give floatx.

    Args:
        inputs: ``(batch, *spatial, channels)`` or ``(batch, channels, *spatial)``.
        output_size: An int (every spatial dim) or a tuple with one int per spatial dim.
        data_format: ``"channels_last"`` or ``"channels_first"`` (default: the config's).

    Returns:
        The pooled tensor, spatial dims replaced by ``output_size``.

    Raises:
        ValueError: wrong rank, empty spatial dims, or a bad ``output_size``.
    """
    return _adaptive("avg", inputs, output_size, data_format)


@op
def adaptive_max_pool(inputs: Any, output_size: Any, data_format: str | None = None) -> Any:
    """Adaptive max pooling to a fixed spatial ``output_size`` (1-3 spatial dims).

    Windows as in :func:`adaptive_average_pool`; the input dtype is kept.

    Args:
        inputs: ``(batch, *spatial, channels)`` or ``(batch, channels, *spatial)``.
        output_size: An int (every spatial dim) or a tuple with one int per spatial dim.
        data_format: ``"channels_last"`` or ``"channels_first"`` (default: the config's).

    Returns:
        The pooled tensor, spatial dims replaced by ``output_size``.

    Raises:
        ValueError: wrong rank, empty spatial dims, or a bad ``output_size``.
    """
    return _adaptive("max", inputs, output_size, data_format)


# ---- depth_to_space / space_to_depth ----------------------------------------------------------
def _rank4(x: Any, name: str, block_size: Any) -> tuple:
    b = current()
    shp = tuple(b.shape(x))
    if len(shp) != 4:
        raise ValueError(
            f"{name}: x must be a 4-D tensor (batch, height, width, channels) or (batch, channels, "
            f"height, width); got shape {shp}."
        )
    if not isinstance(block_size, numbers.Integral) or int(block_size) < 1:
        raise ValueError(f"{name}: block_size must be a positive integer, got {block_size!r}.")
    return shp, int(block_size)


@op
def depth_to_space(x: Any, block_size: int, data_format: str = "channels_last") -> Any:
    """Rearranges channels into ``block_size x block_size`` spatial blocks (pixel shuffle).

    Channel order as Keras: channels_last splits the channels as ``(block_h, block_w, c)``
    (TensorFlow's DCR order); channels_first as ``(c, block_h, block_w)`` (torch's
    ``pixel_shuffle``).

    Args:
        x: 4-D tensor.
        block_size: The block edge length.
        data_format: ``"channels_last"`` or ``"channels_first"``.

    Returns:
        ``(N, H*bs, W*bs, C/bs**2)`` (channels_last) or ``(N, C/bs**2, H*bs, W*bs)``.

    Raises:
        ValueError: ``x`` is not 4-D or its channels are not divisible by ``block_size**2``.
    """
    b = current()
    x = tensor(x)
    df = config.standardize_data_format(data_format)
    (n, d1, d2, d3), bs = _rank4(x, "depth_to_space", block_size)
    c = d3 if df == "channels_last" else d1
    if c % (bs * bs):
        raise ValueError(f"depth_to_space: the channels ({c}) must be divisible by block_size**2 ({bs * bs}).")
    nc = c // (bs * bs)
    if df == "channels_last":
        y = b.transpose(b.reshape(x, (n, d1, d2, bs, bs, nc)), (0, 1, 3, 2, 4, 5))
        return b.reshape(y, (n, d1 * bs, d2 * bs, nc))
    y = b.transpose(b.reshape(x, (n, nc, bs, bs, d2, d3)), (0, 1, 4, 2, 5, 3))
    return b.reshape(y, (n, nc, d2 * bs, d3 * bs))


@op
def space_to_depth(x: Any, block_size: int, data_format: str = "channels_last") -> Any:
    """Rearranges ``block_size x block_size`` spatial blocks into channels (pixel unshuffle).

    The inverse of :func:`depth_to_space` for the same ``data_format``.

    Args:
        x: 4-D tensor.
        block_size: The block edge length.
        data_format: ``"channels_last"`` or ``"channels_first"``.

    Returns:
        ``(N, H/bs, W/bs, C*bs**2)`` (channels_last) or ``(N, C*bs**2, H/bs, W/bs)``.

    Raises:
        ValueError: ``x`` is not 4-D or its height/width are not divisible by ``block_size``.
    """
    b = current()
    x = tensor(x)
    df = config.standardize_data_format(data_format)
    (n, d1, d2, d3), bs = _rank4(x, "space_to_depth", block_size)
    h, w = (d1, d2) if df == "channels_last" else (d2, d3)
    if h % bs or w % bs:
        raise ValueError(f"space_to_depth: height {h} and width {w} must be divisible by block_size {bs}.")
    if df == "channels_last":
        y = b.transpose(b.reshape(x, (n, h // bs, bs, w // bs, bs, d3)), (0, 1, 3, 2, 4, 5))
        return b.reshape(y, (n, h // bs, w // bs, d3 * bs * bs))
    y = b.transpose(b.reshape(x, (n, d1, h // bs, bs, w // bs, bs)), (0, 1, 3, 5, 2, 4))
    return b.reshape(y, (n, d1 * bs * bs, h // bs, w // bs))


# ---- unfold / fold ------------------------------------------------------------------------------
def _blocks(size: tuple, k: tuple, d: tuple, p: tuple, s: tuple, name: str) -> tuple:
    out = tuple((n + 2 * pp - dd * (kk - 1) - 1) // ss + 1 for n, kk, dd, pp, ss in zip(size, k, d, p, s))
    if min(out) < 1:
        raise ValueError(
            f"{name}: the kernel {k} (dilation {d}) does not fit the padded spatial size "
            f"{tuple(n + 2 * pp for n, pp in zip(size, p))}."
        )
    return out


@op
def unfold(x: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1) -> Any:
    """Extracts sliding local blocks from a batched image (im2col), as ``torch.nn.functional.unfold``.

    Args:
        x: ``(N, C, H, W)`` (channels first).
        kernel_size: int or ``(kH, kW)``.
        dilation: int or pair: spacing between kernel taps.
        padding: int or pair: zeros added on both sides of H and W.
        stride: int or pair.

    Returns:
        ``(N, C*kH*kW, L)`` with ``L`` the number of blocks; the second axis is ordered
        ``(c, kh, kw)``, blocks in row-major order.

    Raises:
        ValueError: ``x`` is not 4-D, or a bad size argument.
    """
    b = current()
    x = tensor(x)
    shp = tuple(b.shape(x))
    if len(shp) != 4:
        raise ValueError(f"unfold: x must be a 4-D (N, C, H, W) tensor, got shape {shp}.")
    k, d = _ints(kernel_size, 2, "unfold: kernel_size"), _ints(dilation, 2, "unfold: dilation")
    p, s = _ints(padding, 2, "unfold: padding", 0), _ints(stride, 2, "unfold: stride")
    n, c, h, w = shp
    oh, ow = _blocks((h, w), k, d, p, s, "unfold")
    if p != (0, 0):
        x = b.pad(x, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])))
    taps = []
    for i in range(k[0]):
        for j in range(k[1]):
            r0, c0 = i * d[0], j * d[1]
            t = b.getitem(
                x,
                (
                    slice(None),
                    slice(None),
                    slice(r0, r0 + s[0] * (oh - 1) + 1, s[0]),
                    slice(c0, c0 + s[1] * (ow - 1) + 1, s[1]),
                ),
            )
            taps.append(b.reshape(t, (n, c, 1, oh * ow)))
    return b.reshape(b.concatenate(taps, 2), (n, c * k[0] * k[1], oh * ow))


def _dilate(x: Any, axis: int, s: int) -> Any:
    """Insert ``s - 1`` zeros between elements along ``axis``."""
    if s == 1:
        return x
    b = current()
    shp = tuple(b.shape(x))
    m = shp[axis]
    y = b.reshape(x, shp[: axis + 1] + (1,) + shp[axis + 1 :])
    pads = [(0, 0)] * (len(shp) + 1)
    pads[axis + 1] = (0, s - 1)
    y = b.reshape(b.pad(y, pads), shp[:axis] + (m * s,) + shp[axis + 1 :])
    return b.getitem(y, (slice(None),) * axis + (slice(0, (m - 1) * s + 1),))


@op
def fold(x: Any, output_size: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1) -> Any:
    """Sums sliding local blocks into a batched image (col2im), the adjoint of :func:`unfold`,
    as ``torch.nn.functional.fold``.

    Args:
        x: ``(N, C*kH*kW, L)``.
        output_size: int or ``(H, W)`` of the result.
        kernel_size: int or ``(kH, kW)``.
        dilation: int or pair.
        padding: int or pair.
        stride: int or pair.

    Returns:
        ``(N, C, H, W)`` with ``(H, W) = output_size``; overlapping block entries are summed. Where
        the blocks do not reach the end of ``output_size`` (a stride that does not divide), the
        remaining cells are 0, as in torch (Keras' JAX backend returns a smaller image there).

    Raises:
        ValueError: ``x`` is not 3-D, its second dim is not divisible by ``kH*kW``, or ``L`` does not
            match the number of blocks ``output_size`` implies.
    """
    b = current()
    x = tensor(x)
    shp = tuple(b.shape(x))
    if len(shp) != 3:
        raise ValueError(f"fold: x must be a 3-D (N, C*kH*kW, L) tensor, got shape {shp}.")
    size = _ints(output_size, 2, "fold: output_size")
    k, d = _ints(kernel_size, 2, "fold: kernel_size"), _ints(dilation, 2, "fold: dilation")
    p, s = _ints(padding, 2, "fold: padding", 0), _ints(stride, 2, "fold: stride")
    n, ckk, nl = shp
    if ckk % (k[0] * k[1]):
        raise ValueError(
            f"fold: the second dimension of x ({ckk}) must be divisible by the kernel size product ({k[0] * k[1]})."
        )
    nh, nw = _blocks(size, k, d, p, s, "fold")
    if nh * nw != nl:
        raise ValueError(
            f"fold: x has {nl} blocks but output_size {size} with kernel {k}, dilation {d}, "
            f"padding {p} and stride {s} gives {nh}x{nw}={nh * nw}."
        )
    c = ckk // (k[0] * k[1])
    hp, wp = size[0] + 2 * p[0], size[1] + 2 * p[1]
    xr = b.reshape(x, (n, c, k[0], k[1], nh, nw))
    total = None
    for i in range(k[0]):
        for j in range(k[1]):
            blk = _dilate(_dilate(b.getitem(xr, (slice(None), slice(None), i, j)), 2, s[0]), 3, s[1])
            bh, bw = b.shape(blk)[2], b.shape(blk)[3]
            r0, c0 = i * d[0], j * d[1]
            blk = b.pad(blk, ((0, 0), (0, 0), (r0, hp - r0 - bh), (c0, wp - c0 - bw)))
            total = blk if total is None else b.add(total, blk)
    return b.getitem(total, (slice(None), slice(None), slice(p[0], p[0] + size[0]), slice(p[1], p[1] + size[1])))


# ---- extract_sequences --------------------------------------------------------------------------
@op
def extract_sequences(x: Any, sequence_length: int, sequence_stride: int) -> Any:
    """Frames the last axis into overlapping windows.

    Args:
        x: Tensor with the sequence on its last axis (length ``N``).
        sequence_length: Window length.
        sequence_stride: Hop between window starts.

    Returns:
        ``(..., 1 + (N - sequence_length) // sequence_stride, sequence_length)``.

    Raises:
        ValueError: ``x`` is 0-d, or the window does not fit / is not positive.
    """
    b = current()
    x = tensor(x)
    shp = tuple(b.shape(x))
    if not shp:
        raise ValueError("extract_sequences: x must have at least one dimension.")
    ln, st = (
        _ints(sequence_length, 1, "extract_sequences: sequence_length")[0],
        _ints(sequence_stride, 1, "extract_sequences: sequence_stride")[0],
    )
    if ln > shp[-1]:
        raise ValueError(f"extract_sequences: sequence_length {ln} is longer than the last axis ({shp[-1]}).")
    num = 1 + (shp[-1] - ln) // st
    idx = np.arange(num)[:, None] * st + np.arange(ln)[None, :]
    return b.take(x, b.convert_to_tensor(idx.astype(np.int32)), len(shp) - 1)
