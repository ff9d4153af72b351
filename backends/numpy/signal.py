"""FFT primitives of the numpy backend (declared in ``backends/_protocol.py``).

Plain arrays go straight to ``np.fft`` (pocketfft; float32 stays float32); a traced input goes to
the tape rules of ``autodiff/rules_signal.py``.
"""

from __future__ import annotations

from .autodiff import rules_signal as RS
from .autodiff.tensor import Tensor


class SignalMixin:
    """Discrete Fourier transforms over (real, imaginary) pairs; mixed into the backend class."""

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
