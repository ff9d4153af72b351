"""Raw and traced DFTs of the NumPy backend over (real, imag) pairs, with their VJPs.

Cotangent convention: a complex value ``z = re + 1j*im`` is a pair of real tensors, so the
cotangent of an output pair is a pair ``(g_re, g_im)`` and the cotangent of the inputs is the
real gradient with respect to each part. For a linear map ``y = A z`` that is ``A^H (g_re +
1j*g_im)``: the VJP of the forward DFT is ``N * ifft`` and that of the inverse DFT is
``fft / N``. ``rfft`` and ``irfft`` only keep (or only read) half of a Hermitian spectrum, so
their VJPs weight the bins that stand for two conjugate frequencies (all but the zero-frequency
bin and, for even ``n``, the Nyquist bin): by 1/2 in the VJP of ``rfft`` (computed with an
``irfft``) and by 2 in the VJP of ``irfft`` (computed with an ``rfft``).

A traced pair output is one tape node holding ``stack([re, im])`` and two ``getitem`` nodes on
it, so the backward pass runs one inverse transform however the two parts are used.
"""

from __future__ import annotations

import numpy as np

from . import rules_array as RA
from .tensor import Tensor, make, val

_COMPLEX: dict[np.dtype, np.dtype] = {
    np.dtype(np.float32): np.dtype(np.complex64),
    np.dtype(np.float64): np.dtype(np.complex128),
}


def _is(x):
    return x.__class__ is Tensor


def to_complex(re, im):
    """``re + 1j*im`` in the complex dtype of the parts' float dtype (complex64 for float32)."""
    z = np.empty(np.broadcast_shapes(re.shape, im.shape), _COMPLEX.get(re.dtype, np.complex128))
    z.real = re
    z.imag = im
    return z


def _axes(ndim):
    return tuple(range(-int(ndim), 0))


def raw_fft(re, im, ndim, inverse):
    """Complex DFT of raw arrays over the last ``ndim`` axes; returns the complex result."""
    z = to_complex(re, im)
    return np.fft.ifftn(z, axes=_axes(ndim)) if inverse else np.fft.fftn(z, axes=_axes(ndim))


def raw_rfft(x, n):
    """Real-input DFT of a raw array over the last axis with ``n`` samples (complex result)."""
    return np.fft.rfft(x, n=int(n), axis=-1)


def raw_irfft(re, im, n):
    """Inverse real DFT of raw (re, im) arrays over the last axis, ``n`` samples."""
    return np.fft.irfft(to_complex(re, im), n=int(n), axis=-1)


def parts(z, dtype):
    """(real, imag) of a complex array as contiguous arrays of ``dtype``."""
    return (np.ascontiguousarray(z.real, dtype=dtype), np.ascontiguousarray(z.imag, dtype=dtype))


def _pair(z, dtype, parents, vjp):
    node = make(np.stack(parts(z, dtype)), parents, vjp)
    return RA.getitem(node, (0,)), RA.getitem(node, (1,))


def _fit_last(a, length):
    """Crop or zero-pad the last axis of ``a`` to ``length`` (the transpose of a crop/pad)."""
    cur = a.shape[-1]
    if cur == length:
        return a
    if cur > length:
        return a[..., :length]
    return np.pad(a, [(0, 0)] * (a.ndim - 1) + [(0, length - cur)])


def _pair_weights(n, dtype):
    """1 for the zero-frequency and (even n) Nyquist bins, 2 for the bins of conjugate pairs."""
    w = np.full(n // 2 + 1, 2.0, dtype)
    w[0] = 1.0
    if n % 2 == 0:
        w[-1] = 1.0
    return w


def fft(re, im, ndim, inverse):
    """Traced complex DFT over the last ``ndim`` axes; VJP: the opposite transform, rescaled."""
    rv, iv = val(re), val(im)
    dtype = rv.dtype
    size = int(np.prod(rv.shape[rv.ndim - int(ndim) :]))

    def vjp(g):
        gz = raw_fft(g[0], g[1], ndim, not inverse)
        gz = gz / size if inverse else gz * size
        gr, gi = parts(gz, dtype)
        return (gr if _is(re) else None, gi if _is(im) else None)

    return _pair(raw_fft(rv, iv, ndim, inverse), dtype, (re, im), vjp)


def rfft(x, n):
    """Traced real-input DFT; VJP: ``n * irfft`` of the half-weighted cotangent, cropped/padded."""
    xv = x.value
    n = int(n)
    length = xv.shape[-1]

    def vjp(g):
        gz = to_complex(g[0], g[1]) / _pair_weights(n, g.dtype)
        return (_fit_last(np.fft.irfft(gz, n=n, axis=-1) * n, length).astype(xv.dtype, copy=False),)

    return _pair(raw_rfft(xv, n), xv.dtype, (x,), vjp)


def irfft(re, im, n):
    """Traced inverse real DFT; VJP: ``rfft`` of the cotangent with pair weights, over ``n``."""
    rv, iv = val(re), val(im)
    n = int(n)
    bins = rv.shape[-1]
    dtype = rv.dtype

    def vjp(g):
        gz = np.fft.rfft(g, n=n, axis=-1) * (_pair_weights(n, g.dtype) / n)
        gr, gi = parts(gz, dtype)
        return (_fit_last(gr, bins) if _is(re) else None, _fit_last(gi, bins) if _is(im) else None)

    out = np.ascontiguousarray(raw_irfft(rv, iv, n), dtype=dtype)
    return make(out, (re, im), vjp)
