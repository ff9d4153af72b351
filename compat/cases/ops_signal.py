"""Cross-backend cases of the signal ops (``kshim.ops.signal``): FFTs, STFT, windows, and the
complex-number helpers on real tensors (``real``, ``imag``, ``conj``, ``angle``), ``sinc``, ``i0``, and the
complex views (``view_as_complex``, ``view_as_real``, ``polar``).

FFTs sum over their axis (butterflies ordered differently by pocketfft, XLA and torch): the
``reduction`` tolerance. Windows take a length, not a tensor, and return ``floatx()`` values in
every case dtype.
"""

from __future__ import annotations

from .ops import C, F, R, op

op("fft", F((3, 8)), F((3, 8)), fn=lambda o, re, im: o.fft((re, im)), tol=R)
op("fft2", F((2, 4, 6)), F((2, 4, 6)), fn=lambda o, re, im: o.fft2((re, im)), tol=R)
op("ifft2", F((2, 4, 6)), F((2, 4, 6)), fn=lambda o, re, im: o.ifft2((re, im)), tol=R)
op("rfft", F((3, 10)), kw={"fft_length": 8}, tol=R)
op("irfft", F((3, 5)), F((3, 5)), fn=lambda o, re, im: o.irfft((re, im), fft_length=8), tol=R)
op("stft", F((2, 32)), C(8), C(4), C(8), tol=R)
op(
    "stft_hamming_uncentered",
    F((2, 30)),
    fn=lambda o, x: o.stft(x, 6, 3, 8, window="hamming", center=False),
    tol=R,
    base="stft",
)
op("istft", F((2, 32)), fn=lambda o, x: o.istft(o.stft(x, 8, 4, 8), 8, 4, 8, length=32), tol=R)
for _n in ("bartlett", "blackman", "hamming", "hanning"):
    op(_n, C(9))
op("kaiser", C(9), C(5.0))
for _n in ("real", "imag", "conj", "conjugate", "angle", "sinc"):
    op(_n, F())
op("i0", F(lo=-4.0, hi=4.0))
# complex views: the complex result is read back through real ops (the matrix compares real arrays)
op("view_as_complex", F((3, 4, 2)), fn=lambda o, x: o.abs(o.view_as_complex(x)))
op("view_as_real", F((3, 4, 2)), fn=lambda o, x: o.view_as_real(o.multiply(o.view_as_complex(x), o.view_as_complex(x))))
op("polar", F((3, 4), lo=0.1, hi=2.0), F((3, 4), lo=-3.0, hi=3.0), fn=lambda o, r, t: o.view_as_real(o.polar(r, t)))
