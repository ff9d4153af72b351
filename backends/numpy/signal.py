"""FFT primitives of the numpy backend (declared in ``backends/_protocol.py``).

Plain arrays go straight to ``np.fft`` (pocketfft; float32 stays float32); a traced input goes to
the tape rules of ``autodiff/rules_signal.py``.
"""

from __future__ import annotations

import numpy as np

from .autodiff import rules_complex as RC
from .autodiff import rules_signal as RS
from .autodiff.tensor import Tensor


class SignalMixin:
    """Discrete Fourier transforms over (real, imaginary) pairs and the complex-number primitives
    (``real``, ``imag``, ``conj``, ``complex``); mixed into the backend class."""

    def fft(self, real, imag, ndim, inverse):
        """Complex DFT over the last ``ndim`` axes (``np.fft.fftn``/``ifftn``)."""
        if real.__class__ is Tensor or imag.__class__ is Tensor:
            return RS.fft(real, imag, ndim, inverse)
        return RS.parts(RS.raw_fft(real, imag, ndim, inverse), real.dtype)

    def rfft(self, x, n):
        """Real-input DFT over the last axis with ``n`` samples (``np.fft.rfft``)."""
        if x.__class__ is Tensor:
            return RS.rfft(x, n)
        return RS.parts(RS.raw_rfft(x, n), x.dtype)

    def irfft(self, real, imag, n):
        """Inverse real DFT over the last axis giving ``n`` samples (``np.fft.irfft``)."""
        if real.__class__ is Tensor or imag.__class__ is Tensor:
            return RS.irfft(real, imag, n)
        return RS.raw_irfft(real, imag, n).astype(real.dtype, copy=False)

    # ---- complex numbers (rules in autodiff/rules_complex.py) ---------------------------------------
    def real(self, x):
        """Real part of a complex tensor (a float tensor of the parts' precision)."""
        if x.__class__ is Tensor:
            return RC.real(x)
        return np.ascontiguousarray(np.real(x))

    def imag(self, x):
        """Imaginary part of a complex tensor."""
        if x.__class__ is Tensor:
            return RC.imag(x)
        return np.ascontiguousarray(np.imag(x))

    def conj(self, x):
        """Complex conjugate of a complex tensor."""
        if x.__class__ is Tensor:
            return RC.conj(x)
        return np.conj(x)

    def complex(self, real, imag):
        """``real + 1j * imag`` of two float tensors of one dtype (float32 -> complex64, float64 ->
        complex128), broadcast together."""
        if real.__class__ is Tensor or imag.__class__ is Tensor:
            return RC.complex_(real, imag)
        return RC.raw_complex(real, imag)
