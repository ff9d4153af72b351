"""FFT primitives of the torch backend (declared in ``backends/_protocol.py``)."""

from __future__ import annotations

import torch


class SignalMixin:
    """Discrete Fourier transforms over (real, imaginary) pairs; mixed into the backend class."""

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
