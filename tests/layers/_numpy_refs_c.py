"""Independent NumPy (float64) references for the image colour, tone, geometric and mixing layer tests.

Each function is the textbook formula of what the layer documents (and Keras 3 computes), written
from the formula, not from kshim's code, so the tests that use them check kshim on a NumPy-only
install too. Images are channels-last ``(..., H, W, C)`` unless a function says otherwise.
"""
from __future__ import annotations

import numpy as np

GRAY_WEIGHTS = np.array([0.2989, 0.5870, 0.1140])
"""ITU-R 601 luma weights, as ``keras.ops.image.rgb_to_grayscale`` uses them."""


def grayscale(x: np.ndarray) -> np.ndarray:
    """Luma of RGB images, keeping a channel axis of 1."""
    return np.asarray(x, np.float64) @ GRAY_WEIGHTS[:, None]


def rgb_to_hsv(x: np.ndarray) -> np.ndarray:
    """RGB -> HSV on any non-negative scale: V = max, S = (max - min) / max (0 where max is 0),
    H in [0, 1) from the hexcone sector of the largest channel (0 where max == min)."""
    x = np.asarray(x, np.float64)
    r, g, b = x[..., 0], x[..., 1], x[..., 2]
    v = x.max(-1)
    rng = v - x.min(-1)
    s = np.where(v > 0, rng / np.where(v > 0, v, 1), 0.0)
    safe = np.where(rng > 0, rng, 1)
    h = np.where(v == r, (g - b) / safe, np.where(v == g, (b - r) / safe + 2, (r - g) / safe + 4)) / 6.0
    h = np.where(h < 0, h + 1, h)
    h = np.where(rng > 0, h, 0.0)
    return np.stack([h, s, v], -1)


def hsv_to_rgb(hsv: np.ndarray) -> np.ndarray:
    """HSV -> RGB by the piecewise-linear hexcone: each channel's hue ramp, scaled by S and V."""
    hsv = np.asarray(hsv, np.float64)
    h, s, v = hsv[..., 0] * 6.0, hsv[..., 1], hsv[..., 2]
    ramps = np.stack([np.abs(h - 3) - 1, 2 - np.abs(h - 2), 2 - np.abs(h - 4)], -1)
    ramps = np.clip(ramps, 0, 1)
    return ((ramps - 1) * s[..., None] + 1) * v[..., None]


def rescale(x: np.ndarray, src: tuple, dst: tuple) -> np.ndarray:
    """Affine map of values from range ``src`` to range ``dst``."""
    x = np.asarray(x, np.float64)
    return (x - src[0]) / (src[1] - src[0]) * (dst[1] - dst[0]) + dst[0]


def conv3x3_same(x: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Per-channel 3x3 correlation with zero padding ("same"), as an explicit sum of shifted copies."""
    x = np.asarray(x, np.float64)
    h, w = x.shape[-3], x.shape[-2]
    pad = np.zeros(x.shape[:-3] + (h + 2, w + 2, x.shape[-1]))
    pad[..., 1:-1, 1:-1, :] = x
    out = np.zeros_like(x)
    for i in range(3):
        for j in range(3):
            out += kernel[i, j] * pad[..., i:i + h, j:j + w, :]
    return out


def _linear_weights(n_in: int, n_out: int) -> np.ndarray:
    """``(n_out, n_in)`` matrix of half-pixel-centred linear interpolation (no antialiasing): output
    pixel ``i`` samples input coordinate ``(i + 0.5) * n_in / n_out - 0.5``, clamped to the image."""
    m = np.zeros((n_out, n_in))
    for i in range(n_out):
        c = min(max((i + 0.5) * n_in / n_out - 0.5, 0.0), n_in - 1.0)
        lo = int(np.floor(c))
        hi = min(lo + 1, n_in - 1)
        f = c - lo
        m[i, lo] += 1 - f
        m[i, hi] += f
    return m


def resize_bilinear(x: np.ndarray, out_h: int, out_w: int) -> np.ndarray:
    """Bilinear resize of ``(..., H, W, C)`` images by the two separable weight matrices."""
    x = np.asarray(x, np.float64)
    wh = _linear_weights(x.shape[-3], out_h)
    ww = _linear_weights(x.shape[-2], out_w)
    return np.einsum("ph,qw,...hwc->...pqc", wh, ww, x)


def resize_nearest(x: np.ndarray, out_h: int, out_w: int) -> np.ndarray:
    """Nearest-neighbour resize by an explicit index map: output ``i`` takes input
    ``floor((i + 0.5) * n_in / n_out)`` (the input pixel whose cell holds the output's centre)."""
    x = np.asarray(x)
    h, w = x.shape[-3], x.shape[-2]
    ri = np.minimum(np.floor((np.arange(out_h) + 0.5) * h / out_h).astype(int), h - 1)
    ci = np.minimum(np.floor((np.arange(out_w) + 0.5) * w / out_w).astype(int), w - 1)
    return x[..., ri, :, :][..., ci, :]


def aspect_crop_window(h: int, w: int, th: int, tw: int) -> tuple[int, int, int, int]:
    """The centred largest window of aspect ``th:tw`` in an ``h x w`` image: (top, left, height, width)."""
    ch = max(min(h, int(w * th / tw)), 1)
    cw = max(min(w, int(h * tw / th)), 1)
    return (h - ch) // 2, (w - cw) // 2, ch, cw


def aspect_pad(x: np.ndarray, th: int, tw: int, fill: float) -> np.ndarray:
    """Pads ``(..., H, W, C)`` images symmetrically with ``fill`` on the short side towards aspect
    ``th:tw`` (the same number of rows, or columns, on both sides)."""
    h, w = x.shape[-3], x.shape[-2]
    ph = (max(h, int(w * th / tw)) - h) // 2
    pw = (max(w, int(h * tw / th)) - w) // 2
    widths = [(0, 0)] * (x.ndim - 3) + [(ph, ph), (pw, pw), (0, 0)]
    return np.pad(np.asarray(x, np.float64), widths, constant_values=fill)


def affine_warp(x: np.ndarray, matrices: np.ndarray, fill_mode: str = "constant", fill_value: float = 0.0,
                interpolation: str = "bilinear") -> np.ndarray:
    """``(N, H, W, C)`` images warped by projective transforms ``[a0, a1, a2, b0, b1, b2, c0, c1]``
    (one per image): output pixel (row y, column x) samples the input at column
    ``(a0 x + a1 y + a2) / k`` and row ``(b0 x + b1 y + b2) / k``, ``k = c0 x + c1 y + 1``.

    Samples outside the image follow ``fill_mode`` per coordinate: ``constant`` (``fill_value``),
    ``nearest`` (clamped), ``wrap`` (modulo the size) or ``reflect`` (mirrored about the edge
    pixels' outer border, ``d c b a | a b c d | d c b a``). Bilinear interpolation mixes the four
    neighbours; nearest rounds to the closest pixel (halves to even).
    """
    x = np.asarray(x, np.float64)
    n, h, w, c = x.shape
    out = np.empty_like(x)
    yy, xx = np.meshgrid(np.arange(h, dtype=np.float64), np.arange(w, dtype=np.float64), indexing="ij")

    def fix(idx: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
        """Index after the fill mode, and whether it is inside (for ``constant``)."""
        if fill_mode == "nearest":
            return np.clip(idx, 0, size - 1), np.ones(idx.shape, bool)
        if fill_mode == "wrap":
            return np.mod(idx, size), np.ones(idx.shape, bool)
        if fill_mode == "reflect":
            period = 2 * size
            m = np.mod(idx, period)
            return np.where(m >= size, period - 1 - m, m), np.ones(idx.shape, bool)
        inside = (idx >= 0) & (idx < size)
        return np.clip(idx, 0, size - 1), inside

    for i in range(n):
        a0, a1, a2, b0, b1, b2, c0, c1 = np.asarray(matrices[i], np.float64)
        k = c0 * xx + c1 * yy + 1.0
        sx, sy = (a0 * xx + a1 * yy + a2) / k, (b0 * xx + b1 * yy + b2) / k
        if interpolation == "nearest":
            ry, iny = fix(np.round(sy).astype(int), h)
            rx, inx = fix(np.round(sx).astype(int), w)
            val = x[i][ry, rx]
            out[i] = np.where((iny & inx)[..., None], val, fill_value)
            continue
        y0, x0 = np.floor(sy), np.floor(sx)
        fy, fx = sy - y0, sx - x0
        acc = np.zeros((h, w, c))
        for dy, wy in ((0, 1 - fy), (1, fy)):
            for dx, wx in ((0, 1 - fx), (1, fx)):
                ry, iny = fix(y0.astype(int) + dy, h)
                rx, inx = fix(x0.astype(int) + dx, w)
                val = np.where((iny & inx)[..., None], x[i][ry, rx], fill_value)
                acc += (wy * wx)[..., None] * val
        out[i] = acc
    return out
