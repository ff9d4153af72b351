"""Op cases of the signal area: FFTs, STFT/ISTFT, windows, the complex-number ops on real input,
``sinc`` and ``i0``.

References: ``np.fft`` (computed in complex128 from the same inputs), an independent NumPy STFT
(``_np_stft``: reflect padding, ``sliding_window_view`` frames, ``scipy.signal.get_window`` periodic
windows, ``np.fft.rfft``), real Keras on JAX (``KERAS``) for ``stft``/``istft`` corners, ``np.hanning``
and friends (Keras' windows are NumPy's symmetric ones; only ``stft``'s named windows are periodic),
``np.angle``/``np.sinc``/``scipy.special.i0``.

Tolerances: an FFT output is a sum of n products, so float32 results carry an absolute error of
a few ulps of ``sqrt(n) * max|x|``; with inputs ~N(0, 1) and n <= 64 that is < 1e-5, hence
float32 (1e-5, 1e-5). float64 stays at (1e-10, 1e-12) except ISTFT, whose division by the
overlap-added squared window (down to ~2e-3 near the ends) amplifies round-off: (1e-10, 1e-10).
"""
from __future__ import annotations

import numpy as np
import scipy.signal
import scipy.special as sps

from .cases import KERAS, Case, add, ints, rn

_FFT = {"float32": (1e-5, 1e-5), "float64": (1e-10, 1e-12)}
_ISTFT = {"float32": (1e-5, 1e-5), "float64": (1e-10, 1e-10)}


def _parts(z, d):
    return (np.real(z).astype(d), np.imag(z).astype(d))


def _cpx(r, d, *shape):
    return [rn(r, d, *shape), rn(r, d, *shape)]


def _np_fft(x, kind, d):
    z = x[0].astype(np.float64) + 1j * x[1].astype(np.float64)
    return _parts({"fft": np.fft.fft, "fft2": np.fft.fft2, "ifft2": np.fft.ifft2}[kind](z), d)


def _np_stft(x, seq, stride, nfft, window="hann", center=True):
    """Independent NumPy STFT with Keras' conventions (unnormalized, window centred in nfft)."""
    d = x.dtype
    x = x.astype(np.float64)
    if center:
        x = np.pad(x, [(0, 0)] * (x.ndim - 1) + [(nfft // 2, nfft // 2)], mode="reflect")
    frames = np.lib.stride_tricks.sliding_window_view(x, nfft, axis=-1)[..., ::stride, :]
    if window is None:
        w = np.ones(nfft)
    else:
        w = scipy.signal.get_window(window, seq) if isinstance(window, str) else np.asarray(window, np.float64)
        lo = (nfft - seq) // 2
        w = np.pad(w, (lo, nfft - seq - lo))
    return _parts(np.fft.rfft(frames * w, n=nfft, axis=-1), d)


# ---- FFTs ---------------------------------------------------------------------------------------
for _kind, _shapes in (("fft", ((8,), (3, 5), (2, 3, 16))), ("fft2", ((4, 6), (2, 3, 5))),
                       ("ifft2", ((4, 6), (2, 3, 5)))):
    for _i, _s in enumerate(_shapes):
        add(Case(_kind, lambda r, d, _s=_s: ((_cpx(r, d, *_s),), {}),
                 lambda x, _k=_kind: _np_fft(x, _k, x[0].dtype), id=f"{_kind}-{'x'.join(map(str, _s))}",
                 tol=_FFT))
add(Case("fft", lambda r, d: (((np.zeros((2, 0), d), np.zeros((2, 0), d)),), {}),
         lambda x: (x[0], x[1]), id="fft-empty"),
    Case("fft", lambda r, d: (([np.array([1.0, 2.0], d), np.array([0.0, 1.0], d)],), {}), KERAS,
         id="fft-keras-example", tol=_FFT))

for _n, _shape in ((None, (3, 8)), (None, (2, 7)), (5, (3, 8)), (12, (3, 8)), (1, (4,))):
    add(Case("rfft", lambda r, d, _s=_shape, _n=_n: ((rn(r, d, *_s),), {} if _n is None else {"fft_length": _n}),
             lambda x, fft_length=None: _parts(np.fft.rfft(x.astype(np.float64), n=fft_length), x.dtype),
             id=f"rfft-{'x'.join(map(str, _shape))}-n{_n}", tol=_FFT))
add(Case("rfft", lambda r, d: ((ints(r, d, 2, 6),), {}),
         lambda x: _parts(np.fft.rfft(x.astype(np.float64)), np.float32), id="rfft-int", dtypes=("int32",),
         out="float32", tol=_FFT))

for _n, _bins in ((None, 5), (7, 4), (4, 5), (12, 3), (1, 3), (9, 5)):
    add(Case("irfft", lambda r, d, _b=_bins, _n=_n: ((_cpx(r, d, 3, _b),), {} if _n is None else {"fft_length": _n}),
             lambda x, fft_length=None: np.fft.irfft(x[0].astype(np.float64) + 1j * x[1],
                                                     n=fft_length).astype(x[0].dtype),
             id=f"irfft-b{_bins}-n{_n}", tol=_FFT))
add(Case("irfft", lambda r, d: ((_cpx(r, d, 2, 1),), {}), KERAS, id="irfft-one-bin"),
    Case("irfft", lambda r, d: ((_cpx(r, d, 2, 0),), {}), KERAS, id="irfft-no-bins"),
    Case("irfft", lambda r, d: ((_cpx(r, d, 2, 5),), {"fft_length": 8}), KERAS, id="irfft-keras", tol=_FFT))

# ---- STFT / ISTFT -----------------------------------------------------------------------------------
_STFT = [  # (signal shape, sequence_length, sequence_stride, fft_length, kwargs)
    ((40,), 16, 4, 16, {}),
    ((2, 37), 8, 3, 8, {"window": "hamming"}),
    ((2, 30), 6, 2, 9, {"center": False}),
    ((33,), 5, 5, 8, {"window": None}),
    ((3, 20), 4, 3, 7, {"window": "hann", "center": True}),
    ((25,), 6, 2, 6, {"window": "tensor"}),
]
for _i, (_s, _seq, _st, _nf, _kw) in enumerate(_STFT):
    def _build(r, d, _s=_s, _seq=_seq, _st=_st, _nf=_nf, _kw=_kw):
        kw = dict(_kw)
        if kw.get("window") == "tensor":
            kw["window"] = np.abs(rn(r, d, _seq)) + np.asarray(0.1, d)
        return (rn(r, d, *_s), _seq, _st, _nf), kw
    add(Case("stft", _build, _np_stft, id=f"stft-{_i}", tol=_FFT),
        Case("stft", _build, KERAS, id=f"stft-{_i}-keras", tol=_FFT))
add(Case("stft", lambda r, d: ((np.arange(5, dtype=d), 3, 2, 3), {}), KERAS, id="stft-keras-example", tol=_FFT),
    Case("stft", lambda r, d: ((rn(r, d, 3), 2, 1, 8), {}), KERAS, id="stft-short-signal-centred", tol=_FFT))

_ISTFT_CASES = [  # (batch shape, frames, sequence_length, sequence_stride, fft_length, kwargs)
    ((), 6, 8, 4, 8, {}),
    ((2,), 7, 8, 2, 8, {"window": "hamming"}),
    ((2,), 5, 6, 3, 9, {"center": False}),
    ((), 6, 5, 5, 8, {"window": None}),
    ((3,), 4, 4, 3, 7, {"window": None, "center": False}),
    ((), 8, 6, 2, 6, {"window": "tensor", "length": 9}),
    ((2,), 6, 8, 4, 8, {"length": 40}),
]
for _i, (_bs, _fr, _seq, _st, _nf, _kw) in enumerate(_ISTFT_CASES):
    def _build(r, d, _bs=_bs, _fr=_fr, _seq=_seq, _st=_st, _nf=_nf, _kw=_kw):
        kw = dict(_kw)
        if kw.get("window") == "tensor":
            kw["window"] = np.abs(rn(r, d, _seq)) + np.asarray(0.1, d)
        return (_cpx(r, d, *_bs, _fr, _nf // 2 + 1), _seq, _st, _nf), kw
    add(Case("istft", _build, KERAS, id=f"istft-{_i}", tol=_ISTFT))


def _roundtrip(r, d, shape=(2, 48), seq=16, stride=4, nfft=16, **kw):
    x = rn(r, d, *shape)
    spec = list(_np_stft(x, seq, stride, nfft, **kw))
    n_out = (spec[0].shape[-2] - 1) * stride + nfft - 2 * (nfft // 2)  # the tail no frame covers is lost
    return (spec, seq, stride, nfft), dict(kw), x[..., :n_out]


add(Case("istft", _roundtrip, None, id="istft-roundtrip-hann", tol=_ISTFT),
    Case("istft", lambda r, d: _roundtrip(r, d, (50,), 12, 3, 16, window="hamming"), None,
         id="istft-roundtrip-hamming-padded-window", tol=_ISTFT),
    # fft_length=1 with center=True: Keras 3.15 returns an empty tensor here; kshim the signal
    Case("istft", lambda r, d: _roundtrip(r, d, (5,), 1, 1, 1, window=None), None, id="istft-roundtrip-fft1"))

# ---- windows: symmetric, floatx, the length as an int or a float tensor ------------------------------
_WINDOWS = {"bartlett": np.bartlett, "blackman": np.blackman, "hamming": np.hamming, "hanning": np.hanning}
for _n, _f in _WINDOWS.items():
    for _m in (0, 1, 2, 7, 16):
        add(Case(_n, lambda r, d, _m=_m: ((np.asarray(_m, d),), {}), lambda m, _f=_f: _f(int(m)).astype(np.float32),
                 id=f"{_n}-{_m}", out="float32"))
    add(Case(_n, lambda r, d: ((9,), {}), lambda m, _f=_f: _f(m).astype(np.float32), id=f"{_n}-pyint",
             dtypes=("int32",), out="float32"))
for _m, _beta in ((0, 5.0), (1, 14.0), (5, 14.0), (12, 0.0), (16, 8.6), (11, 40.0)):
    add(Case("kaiser", lambda r, d, _m=_m, _beta=_beta: ((np.asarray(_m, d), _beta), {}),
             lambda m, beta: np.kaiser(int(m), beta).astype(np.float32), id=f"kaiser-{_m}-{_beta}", out="float32"))

# ---- complex-number ops on real input, sinc, i0 ----------------------------------------------------
for _n, _f in (("real", np.real), ("imag", np.imag), ("conj", np.conj), ("conjugate", np.conjugate)):
    add(Case(_n, lambda r, d: ((rn(r, d, 3, 4),), {}), lambda x, _f=_f: _f(x).astype(x.dtype)),
        Case(_n, lambda r, d: ((ints(r, d, 2, 3),), {}), lambda x, _f=_f: _f(x).astype(x.dtype), id=f"{_n}-int",
             dtypes=("int32", "int64", "bool")))
_SIGNED = lambda r, d: ((np.concatenate([np.array([-2.0, -0.0, 0.0, 3.0, np.nan, -np.inf], d), rn(r, d, 6)]),), {})  # noqa: E731
add(Case("angle", _SIGNED, np.angle),
    Case("angle", lambda r, d: ((ints(r, d, 2, 3),), {}), lambda x: np.angle(x.astype(np.float64)).astype(np.float32),
         id="angle-int", dtypes=("int8", "int32", "int64", "bool"), out="float32"),
    Case("sinc", lambda r, d: ((np.concatenate([np.array([0.0, 1.0, -2.0, 0.5, 1e-20], d),
                                                rn(r, d, 3, 4).ravel() * 3]),), {}), np.sinc),
    Case("sinc", lambda r, d: ((ints(r, d, 2, 3),), {}), lambda x: np.sinc(x.astype(np.float64)).astype(np.float32),
         id="sinc-int", dtypes=("int32", "int64"), out="float32"),
    Case("sinc", lambda r, d: ((rn(r, d, 3, 4),), {}), KERAS, id="sinc-keras-float16", dtypes=("float16",),
         tol={"float16": (2e-3, 2e-3)}),
    Case("i0", lambda r, d: ((np.concatenate([np.array([0.0, -1.0, 19.99, 20.0, 20.01, -35.0, 80.0], d),
                                              rn(r, d, 12) * 10]),), {}),
         lambda x: sps.i0(x.astype(np.float64)).astype(x.dtype)),
    Case("i0", lambda r, d: ((np.array([100.0, 300.0, 700.0], d),), {}),
         lambda x: sps.i0(x).astype(x.dtype), id="i0-large", dtypes=("float64",)),
    Case("i0", lambda r, d: ((ints(r, d, 2, 3, lo=0),), {}), lambda x: sps.i0(x.astype(np.float64)).astype(np.float32),
         id="i0-int32", dtypes=("int32", "uint8", "bool"), out="float32"),
    Case("i0", lambda r, d: ((ints(r, d, 2, 3),), {}), lambda x: sps.i0(x.astype(np.float64)), id="i0-int64",
         dtypes=("int64",), out="float64"),
    Case("i0", lambda r, d: ((rn(r, d, 3, 4),), {}), lambda x: sps.i0(x.astype(np.float64)).astype(x.dtype),
         id="i0-half", dtypes=("float16", "bfloat16"), tol={"float16": (2e-3, 2e-3), "bfloat16": (1e-2, 1e-2)}))
