"""FFT primitives of the torch backend (declared in ``backends/_protocol.py``)."""

from __future__ import annotations

import torch


class SignalMixin:
    """Discrete Fourier transforms over (real, imaginary) pairs and the complex-number primitives
    (``real``, ``imag``, ``conj``, ``complex``); mixed into the backend class."""

    def fft(self, real, imag, ndim, inverse):
        """Complex DFT over the last ``ndim`` axes (``torch.fft.fftn``/``ifftn``)."""
        z = torch.complex(real, imag)
        dims = tuple(range(-int(ndim), 0))
        out = torch.fft.ifftn(z, dim=dims) if inverse else torch.fft.fftn(z, dim=dims)
        return out.real.contiguous(), out.imag.contiguous()

    def rfft(self, x, n):
        """Real-input DFT over the last axis with ``n`` samples (``torch.fft.rfft``)."""
        out = torch.fft.rfft(x, n=int(n), dim=-1)
        return out.real.contiguous(), out.imag.contiguous()

    def irfft(self, real, imag, n):
        """Inverse real DFT over the last axis giving ``n`` samples (``torch.fft.irfft``)."""
        return torch.fft.irfft(torch.complex(real, imag), n=int(n), dim=-1)

    # ---- complex numbers ------------------------------------------------------------------------
    def real(self, x):
        """Real part of a complex tensor (a float tensor of the parts' precision)."""
        return torch.real(x).contiguous()

    def imag(self, x):
        """Imaginary part of a complex tensor."""
        return torch.imag(x).contiguous()

    def conj(self, x):
        """Complex conjugate of a complex tensor (materialized, not torch's lazy conjugate view)."""
        return torch.conj_physical(x)

    def complex(self, real, imag):
        """``real + 1j * imag`` of two float tensors of one dtype (float32 -> complex64, float64 ->
        complex128), broadcast together."""
        real, imag = torch.broadcast_tensors(real, imag)
        return torch.complex(real, imag)
