"""FFT primitives of the jax backend (declared in ``backends/_protocol.py``)."""

from __future__ import annotations

import jax.numpy as jnp
from jax import lax


class SignalMixin:
    """Discrete Fourier transforms over (real, imaginary) pairs; mixed into the backend class."""

    def fft(self, real, imag, ndim, inverse):
        """Complex DFT over the last ``ndim`` axes (``jnp.fft.fftn``/``ifftn``)."""
        z = lax.complex(real, imag)
        axes = tuple(range(-int(ndim), 0))
        out = jnp.fft.ifftn(z, axes=axes) if inverse else jnp.fft.fftn(z, axes=axes)
        return jnp.real(out), jnp.imag(out)

    def rfft(self, x, n):
        """Real-input DFT over the last axis with ``n`` samples (``jnp.fft.rfft``)."""
        out = jnp.fft.rfft(x, n=int(n), axis=-1)
        return jnp.real(out), jnp.imag(out)

    def irfft(self, real, imag, n):
        """Inverse real DFT over the last axis giving ``n`` samples (``jnp.fft.irfft``)."""
        return jnp.fft.irfft(lax.complex(real, imag), n=int(n), axis=-1)
